"""The map of the members: /map (an HTML page) and /map.svg (the map alone), coloured by treaty status under
one instrument on a date (the `treaty-status` ready-made query) or by each member's latest US TIP Report tier
up to a report year (the `tip-tiers` ready-made query, one run per recorded year). Drawn on the server by
`server/worldmap.py`; no script, no tiles, nothing from another host.

Parameters: `view` (status | tier), `instrument` and `as_of` (as `treaty-status` takes them), `year` (as
`tip-tiers` takes it; by default the newest report year recorded) and `lang`. A bad value is the catalogue's
typed 400, as for the ready-made queries.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from .. import pages, worldmap
from ..catalogue import ParameterError
from ..state import state
from .site import _at_most, _internal, _ready, _value

router = APIRouter()

VIEWS = ("status", "tier")
#: the map's default date: the last day of the thesis period (2015–2018), the date of the home page's status
#: chart; the graph's treaty actions and tiers were gathered for that period, so a later date could show
#: what was merely not recorded as if it had not happened
DEFAULT_AS_OF = "2018-12-31"
DEFAULT_INSTRUMENT = "tip-protocol"
ALLOWED = {"view", "instrument", "as_of", "year", "lang"}

STATUS_COLOURS = {
    "party": "#1a9850",
    "signatory": "#fee08b",
    "not-party": "#d73027",
    "unknown": "#bdbdbd",
}
#: tiers by their English label (the query's `tier` column), best to worst
TIER_COLOURS = {
    "Tier 1": "#1a9850",
    "Tier 2": "#a6d96a",
    "Tier 2 Watch List": "#fdae61",
    "Tier 3": "#d73027",
    "Special Case": "#9e9ac8",
    "not ranked": "#bdbdbd",
    "none": "#ffffff",
}


def _key(text: str) -> str:
    return text.lower().replace("-", "_").replace(" ", "_")


async def _parameters(request: Request) -> dict[str, str]:
    """The request's map parameters, checked; defaults filled in (the year only for the tier view)."""
    given = dict(request.query_params)
    unknown = sorted(set(given) - ALLOWED)
    if unknown:
        raise ParameterError(f"unknown parameter '{unknown[0]}' for /map; it takes: {', '.join(sorted(ALLOWED))}")
    view = given.get("view") or "status"
    if view not in VIEWS:
        raise ParameterError(f"parameter 'view': expected one of {', '.join(VIEWS)}, got {view!r}")
    catalogue = state(request).catalogue
    status = catalogue.get("treaty-status").bindings(
        {"instrument": given.get("instrument") or DEFAULT_INSTRUMENT, "as_of": given.get("as_of") or DEFAULT_AS_OF}
    )
    values = {"view": view, "instrument": status["_instrument"].value, "as_of": status["_as_of"].value}
    if given.get("year"):
        values["year"] = catalogue.get("tip-tiers").bindings({"year": given["year"]})["_year"].value
    elif view == "tier":
        years = [_value(r, "year") for r in await _internal(request, "tip-report-years")]
        values["year"] = years[0] if years else ""
    return values


def _strings(lang: str) -> dict[str, str]:
    return {key: texts.get(lang, texts["en"]) for key, texts in pages.STRINGS.items()}


async def _draw(request: Request, values: dict[str, str]) -> dict:
    """The map, its legend and its title for the parameters."""
    lang = pages.language(request)
    t = _strings(lang)
    status_query = {"instrument": values["instrument"], "as_of": values["as_of"]}
    work = [_ready(request, "treaty-status", status_query), _ready(request, "members", {})]
    years: list[str] = []
    if values["view"] == "tier":
        recorded = [_value(r, "year") for r in await _internal(request, "tip-report-years")]
        years = sorted(y for y in recorded if values["year"] and y <= values["year"])
        work += [_ready(request, "tip-tiers", {"year": year}) for year in years]
    status_rows, member_rows, *tier_rows = await _at_most(state(request).settings.workers, *work)
    names_id = {_value(r, "member"): _value(r, "label_id") for r in member_rows}

    def name(row) -> str:
        return (lang == "id" and names_id.get(_value(row, "state"))) or _value(row, "label")

    members = []
    if values["view"] == "status":
        colours = STATUS_COLOURS
        for row in status_rows:
            status = _value(row, "status")
            label = t["status_" + _key(status)]
            date = _value(row, "action_date") or _value(row, "signature_date") or _value(row, "known_on")
            members.append(
                worldmap.Member(
                    iso3=_value(row, "iso3"),
                    href=pages.local_link(_value(row, "state"), lang),
                    title=f"{name(row)}: {label}" + (f" ({date})" if date else ""),
                    category=status,
                )
            )
        labels = {status: t["status_" + _key(status)] for status in colours}
        title = t["map_title_status"].format(
            instrument=t["instrument_" + _key(values["instrument"])], date=values["as_of"]
        )
    else:
        colours = TIER_COLOURS
        latest: dict[str, tuple[str, str]] = {}
        for year, rows in zip(years, tier_rows, strict=True):  # oldest first: a later report overwrites
            for row in rows:
                latest[_value(row, "state")] = (_value(row, "tier"), year)
        for row in status_rows:  # the members, as treaty-status counts them (members proper, not observers)
            tier, year = latest.get(_value(row, "state"), ("none", ""))
            label = t.get("tier_" + _key(tier), tier)
            members.append(
                worldmap.Member(
                    iso3=_value(row, "iso3"),
                    href=pages.local_link(_value(row, "state"), lang),
                    title=f"{name(row)}: {label}" + (" (" + t["map_report"].format(year=year) + ")" if year else ""),
                    category=tier,
                )
            )
        labels = {tier: t.get("tier_" + _key(tier), tier) for tier in colours}
        title = t["map_title_tier"].format(year=values["year"])
    counts = {category: sum(1 for m in members if m.category == category) for category in colours}
    legend = worldmap.legend([(labels[c], colours[c], counts[c]) for c in colours])
    svg = worldmap.draw(members, colours, title, t["map_attribution"])
    return {"svg": svg, "legend": legend, "title": title, "members": len(members)}


@router.get("/map", name="map")
async def map_page(request: Request) -> Response:
    """Members on a world map, coloured by treaty status on a date or by US TIP Report tier (an HTML page)."""
    values = await _parameters(request)
    lang = pages.language(request)
    key = ("map", lang, tuple(sorted(values.items())))

    async def build() -> bytes:
        drawn = await _draw(request, values)
        response = await pages.render(
            request,
            "map.html",
            values=values,
            views=VIEWS,
            instruments=next(
                p.enum for p in state(request).catalogue.get("treaty-status").params if p.name == "instrument"
            ),
            **drawn,
        )
        return response.body

    return pages.respond(request, await state(request).page_cache.get_or_build(key, build))


@router.get("/map.svg", name="map_svg")
async def map_svg(request: Request) -> Response:
    """The map alone, as an SVG image (the same parameters as /map)."""
    values = await _parameters(request)
    key = ("map.svg", pages.language(request), tuple(sorted(values.items())))

    async def build() -> bytes:
        drawn = await _draw(request, values)
        return ('<?xml version="1.0" encoding="utf-8"?>\n' + drawn["svg"]).encode("utf-8")

    body = await state(request).page_cache.get_or_build(key, build)
    return Response(body, media_type="image/svg+xml")
