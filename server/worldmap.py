"""The world map drawn on the server as SVG: Bali Process members coloured by a category (treaty status, US
TIP tier), every member a link to its profile with a tooltip. No tiles, no map library, nothing from another
host: the shapes are `static/map/countries.json`, made from Natural Earth by `scripts/build_map.py`.

Members with a shape in the 1:110m data are filled; members too small to see at that scale, or absent from
it (Nauru, Palau, Hong Kong …), are also drawn as a dot at the centroid the build took from the data. Every
other country is plain land. The callers fetch the data and choose colours and words; this module draws.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from xml.sax.saxutils import escape, quoteattr

LAND = "#e4e4e0"
BORDER = "#ffffff"
SEA = "#f4f8fb"
MEMBER_OUTLINE = "#333333"
DOT_RADIUS = 4.5


@dataclass(frozen=True)
class Member:
    """One member on the map: its ISO 3166-1 alpha-3 code, where it links, its tooltip and its category."""

    iso3: str
    href: str
    title: str
    category: str


@lru_cache(maxsize=1)
def shapes() -> dict:
    """The generated shapes file (see `scripts/build_map.py`)."""
    return json.loads((files("server") / "static" / "map" / "countries.json").read_text(encoding="utf-8"))


def draw(members: list[Member], colours: dict[str, str], title: str, attribution: str) -> str:
    """The map as an `<svg>` element. `colours` maps each category to a fill; members in a category without a
    colour are drawn in the first one's outline only (they should not occur)."""
    data = shapes()
    width, height = data["width"], data["height"]
    member_codes = {m.iso3 for m in members}
    parts = [f'<rect width="{width}" height="{height}" fill="{SEA}"/>']
    land = [d for code, d in data["shapes"].items() if code not in member_codes] + data["unnamed"]
    parts.append(f'<path class="land" d="{"".join(land)}" fill="{LAND}" stroke="{BORDER}" stroke-width="0.5"/>')
    dots = []
    for member in sorted(members, key=lambda m: m.iso3):
        fill = colours.get(member.category, "none")
        tooltip = f"<title>{escape(member.title)}</title>"
        drawn = []
        if member.iso3 in data["shapes"]:
            drawn.append(
                f'<path d="{data["shapes"][member.iso3]}" fill="{fill}" stroke="{MEMBER_OUTLINE}" stroke-width="0.4"/>'
            )
        point = data["points"].get(member.iso3)
        if point is not None:
            dot = f'<circle cx="{point[0]}" cy="{point[1]}" r="{DOT_RADIUS}" fill="{fill}" stroke="{MEMBER_OUTLINE}" stroke-width="0.8"/>'
            # dots go on top of every shape, so a small member is never hidden under a large neighbour
            dots.append(_link(member, tooltip + dot, "member dot"))
        if drawn:
            parts.append(_link(member, tooltip + "".join(drawn), "member"))
    parts.extend(dots)
    parts.append(
        f'<text x="{width - 4}" y="{height - 4}" font-size="8" text-anchor="end" fill="#666">{escape(attribution)}</text>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'class="world-map" aria-label={quoteattr(title)}><title>{escape(title)}</title>{"".join(parts)}</svg>'
    )


def _link(member: Member, body: str, cls: str) -> str:
    return (
        f'<a href={quoteattr(member.href)} class="{cls}" data-iso3="{escape(member.iso3)}" '
        f"data-category={quoteattr(member.category)}>{body}</a>"
    )


def legend(entries: list[tuple[str, str, int]]) -> str:
    """The legend as a small `<svg>`: (label, fill, count) per category."""
    row = 20
    parts = []
    for index, (label, fill, count) in enumerate(entries):
        y = index * row
        parts.append(
            f'<g class="legend-entry" data-fill="{escape(fill)}"><rect x="0" y="{y + 3}" width="14" height="14" '
            f'fill="{fill}" stroke="{MEMBER_OUTLINE}" stroke-width="0.5"/>'
            f'<text x="20" y="{y + 14}" font-size="12">{escape(label)} ({count})</text></g>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 {len(entries) * row + 4}" '
        f'width="320" class="map-legend">{"".join(parts)}</svg>'
    )
