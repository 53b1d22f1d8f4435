"""Charts drawn on the server as SVG text (no chart library, no CDN): a step chart of parties over time with
the thesis period marked, horizontal bars, a dated timeline, and the ontology's class diagram.
Each function takes plain Python data and returns an `<svg>` string; the callers fetch the data.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

PALETTE = ["#0b3d5c", "#c0392b", "#27ae60", "#8e44ad", "#d35400"]


def _svg(width: int, height: int, body: str, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>{body}</svg>'
    )


def parties_over_time(
    series: dict[str, list[tuple[int, int]]],
    title: str,
    band: tuple[int, int] = (2015, 2018),
    band_label: str = "2015–2018",
) -> str:
    """Cumulative counts by year, one step line per series; the years in `band` are shaded."""
    years = [y for points in series.values() for y, _ in points] + list(band)
    first, last = min(years + [2000]), max(years + [2024])
    top = max([c for points in series.values() for _, c in points] + [1])
    width, height, left, bottom, right, top_pad = 720, 320, 50, 40, 160, 20
    x = lambda year: left + (year - first) / max(1, last - first) * (width - left - right)  # noqa: E731
    y = lambda count: height - bottom - count / top * (height - bottom - top_pad)  # noqa: E731
    parts = [
        f'<rect x="{x(band[0]):.1f}" y="{top_pad}" width="{x(band[1] + 1) - x(band[0]):.1f}" '
        f'height="{height - bottom - top_pad}" fill="#f7e9c8"/>',
        f'<text x="{x(band[0]) + 4:.1f}" y="{top_pad + 14}" font-size="11" fill="#7a5b12">{escape(band_label)}</text>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="#333"/>',
        f'<line x1="{left}" y1="{top_pad}" x2="{left}" y2="{height - bottom}" stroke="#333"/>',
    ]
    for year in range(first - first % 5 + 5, last + 1, 5):
        parts.append(
            f'<text x="{x(year):.1f}" y="{height - bottom + 16}" font-size="11" text-anchor="middle">{year}</text>'
        )
    for tick in range(0, top + 1, max(1, top // 5)):
        parts.append(f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" font-size="11" text-anchor="end">{tick}</text>')
    for index, (name, points) in enumerate(series.items()):
        colour = PALETTE[index % len(PALETTE)]
        path, previous = [], 0
        for year, count in sorted(points):
            path.append(f"L{x(year):.1f},{y(previous):.1f} L{x(year):.1f},{y(count):.1f}")
            previous = count
        d = f"M{x(first):.1f},{y(0):.1f} " + " ".join(path) + f" L{x(last):.1f},{y(previous):.1f}"
        parts.append(f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="2"/>')
        parts.append(
            f'<text x="{width - right + 8}" y="{top_pad + 16 + index * 18}" font-size="12" fill="{colour}">'
            f"{escape(name)} ({previous})</text>"
        )
    return _svg(width, height, "".join(parts), title)


def bars(items: list[tuple[str, int]], title: str) -> str:
    """Horizontal bars, one per (label, value)."""
    width, row = 560, 26
    peak = max([v for _, v in items] + [1])
    parts = []
    for index, (label, value) in enumerate(items):
        y = 10 + index * row
        length = value / peak * (width - 220)
        parts.append(
            f'<text x="150" y="{y + 15}" font-size="12" text-anchor="end">{escape(label)}</text>'
            f'<rect x="158" y="{y + 3}" width="{length:.1f}" height="16" fill="{PALETTE[index % len(PALETTE)]}"/>'
            f'<text x="{164 + length:.1f}" y="{y + 15}" font-size="12">{value}</text>'
        )
    return _svg(width, 20 + len(items) * row, "".join(parts), title)


def timeline(items: list[tuple[str, str, str]], title: str, start: int = 2015, end: int = 2018) -> str:
    """Dated items (date text, label, kind) on a horizontal axis from `start` to the end of `end`."""
    kinds = sorted({kind for _, _, kind in items})
    width, lane = 760, 22
    height = 60 + len(items) * lane
    x = lambda date: 40 + (_fraction_year(date) - start) / (end + 1 - start) * (width - 80)  # noqa: E731
    parts = [f'<line x1="40" y1="30" x2="{width - 40}" y2="30" stroke="#333"/>']
    for year in range(start, end + 2):
        parts.append(
            f'<line x1="{x(str(year)):.1f}" y1="24" x2="{x(str(year)):.1f}" y2="{height - 10}" stroke="#ddd"/>'
            f'<text x="{x(str(year)):.1f}" y="18" font-size="11" text-anchor="middle">{year}</text>'
        )
    for index, (date, label, kind) in enumerate(sorted(items)):
        colour = PALETTE[kinds.index(kind) % len(PALETTE)]
        cx, cy = x(date), 50 + index * lane
        anchor = "end" if cx > width * 0.6 else "start"
        dx = -8 if anchor == "end" else 8
        parts.append(
            f'<circle cx="{cx:.1f}" cy="{cy}" r="5" fill="{colour}"><title>{escape(date)}</title></circle>'
            f'<text x="{cx + dx:.1f}" y="{cy + 4}" font-size="11" text-anchor="{anchor}">'
            f"{escape(date)} · {escape(label[:70])}</text>"
        )
    return _svg(width, height, "".join(parts), title)


def _fraction_year(date: str) -> float:
    parts = [int(p) for p in date.split("-") if p.isdigit()]
    year = parts[0]
    month = parts[1] if len(parts) > 1 else 1
    day = parts[2] if len(parts) > 2 else 1
    return year + (month - 1) / 12 + (day - 1) / 365


def class_diagram(classes: list[tuple[str, list[str]]]) -> str:
    """Boxes for classes, arranged by depth under their superclasses, with lines to each superclass."""
    parents = dict(classes)
    depth_cache: dict[str, int] = {}

    def depth(name: str, seen=()) -> int:
        if name not in depth_cache:
            supers = [s for s in parents.get(name, []) if s in parents and s not in seen]
            depth_cache[name] = 0 if not supers else 1 + max(depth(s, seen + (name,)) for s in supers)
        return depth_cache[name]

    columns: dict[int, list[str]] = {}
    for name, _ in sorted(classes):
        columns.setdefault(depth(name), []).append(name)
    box_w, box_h, gap_x, gap_y = 190, 24, 60, 10
    position = {
        name: (20 + level * (box_w + gap_x), 20 + row * (box_h + gap_y))
        for level, names in columns.items()
        for row, name in enumerate(names)
    }
    parts = []
    for name, supers in classes:
        for parent in supers:
            if parent in position:
                (x1, y1), (x2, y2) = position[name], position[parent]
                parts.append(
                    f'<line x1="{x1}" y1="{y1 + box_h / 2}" x2="{x2 + box_w}" y2="{y2 + box_h / 2}" stroke="#999"/>'
                )
    for name, (x, y) in position.items():
        parts.append(
            f'<rect x="{x}" y="{y}" width="{box_w}" height="{box_h}" rx="4" fill="#eef3f8" stroke="#0b3d5c"/>'
            f'<text x="{x + 8}" y="{y + 16}" font-size="12">{escape(name)}</text>'
        )
    width = 40 + (max(columns) + 1) * (box_w + gap_x)
    height = 40 + max(len(n) for n in columns.values()) * (box_h + gap_y)
    return _svg(width, height, "".join(parts), "Class diagram")
