"""Charts drawn on the server as SVG text (no chart library, no CDN): a step chart of parties over time with
the thesis period marked, horizontal bars, a dated timeline, small multiples of outcome indicators, and the
ontology's class diagram. Each function takes plain Python data and returns `<svg>` text; the callers fetch
the data (through the query service) and say which ready-made query a chart comes from.

Labels are measured, not hoped to fit: `text_width` estimates how wide a text is drawn from its characters and
font size (generously, with the widths of a wide sans-serif such as DejaVu Sans), and every chart makes its
margins and its viewBox as large as its longest label needs, in whichever language the labels are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

PALETTE = ["#0b3d5c", "#c0392b", "#27ae60", "#8e44ad", "#d35400", "#16a085", "#7f8c8d"]

#: widths of characters as a share of the font size, on the wide side (DejaVu Sans is among the widest
#: sans-serif fonts a browser falls back to), so an estimate is never short
_NARROW = set("iljI.,:;'!|()[]{} f t r-·")
_WIDE = set("mwMW@%—")
_SAFETY = 1.08


def text_width(text: str, size: float) -> float:
    """An upper estimate of the width of `text` drawn at `size` px in a sans-serif font."""
    units = 0.0
    for char in text:
        if char in _NARROW:
            units += 0.36
        elif char in _WIDE:
            units += 1.0
        elif char.isupper() or char.isdigit():
            units += 0.74
        else:
            units += 0.64
    return units * size * _SAFETY


def wrap(text: str, max_width: float, size: float) -> list[str]:
    """`text` broken at spaces into lines no wider than `max_width` (a word longer than that has a line of its
    own)."""
    lines: list[str] = []
    for word in text.split():
        if lines and text_width(lines[-1] + " " + word, size) <= max_width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def _tspans(lines: list[str], x: float, line_height: float) -> str:
    return "".join(
        f'<tspan x="{x:.1f}" dy="{0 if index == 0 else line_height}">{escape(line)}</tspan>'
        for index, line in enumerate(lines)
    )


def _svg(width: float, height: float, body: str, title: str, x0: float = 0, css_class: str = "") -> str:
    """The picture, drawn at its own size in px (a page may shrink it to fit, never stretch it)."""
    x0, width, height = math.floor(x0), math.ceil(width + (x0 - math.floor(x0))), math.ceil(height)
    klass = f' class="{css_class}"' if css_class else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{x0:.0f} 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}"{klass} '
        f'role="img" aria-label={quoteattr(title)}><title>{escape(title)}</title>{body}</svg>'
    )


def parties_over_time(
    series: dict[str, list[tuple[int, int]]],
    title: str,
    band: tuple[int, int] = (2015, 2018),
    band_label: str = "2015–2018",
) -> str:
    """Cumulative counts by year, one step line per series; the years in `band` are shaded. The legend on the
    right is as wide as its longest entry."""
    years = [y for points in series.values() for y, _ in points] + list(band)
    first, last = min(years + [2000]), max(years + [2024])
    top = max([c for points in series.values() for _, c in points] + [1])
    finals = {name: (sorted(points)[-1][1] if points else 0) for name, points in series.items()}
    legend = [f"{name} ({finals[name]})" for name in series]
    plot, height, bottom, top_pad = 510, 320, 40, 20
    left = 14 + text_width(str(top), 11)
    right = 24 + max([text_width(entry, 12) for entry in legend] + [40])
    width = left + plot + right
    x = lambda year: left + (year - first) / max(1, last - first) * plot  # noqa: E731
    y = lambda count: height - bottom - count / top * (height - bottom - top_pad)  # noqa: E731
    band_text_x = x(band[0]) + 4
    parts = [
        f'<rect x="{x(band[0]):.1f}" y="{top_pad}" width="{x(band[1] + 1) - x(band[0]):.1f}" '
        f'height="{height - bottom - top_pad}" fill="#f7e9c8"/>',
        f'<text x="{band_text_x:.1f}" y="{top_pad + 14}" font-size="11" fill="#7a5b12">{escape(band_label)}</text>',
        f'<line x1="{left:.1f}" y1="{height - bottom}" x2="{left + plot:.1f}" y2="{height - bottom}" stroke="#333"/>',
        f'<line x1="{left:.1f}" y1="{top_pad}" x2="{left:.1f}" y2="{height - bottom}" stroke="#333"/>',
    ]
    for year in range(first - first % 5 + 5, last + 1, 5):
        parts.append(
            f'<text x="{x(year):.1f}" y="{height - bottom + 16}" font-size="11" text-anchor="middle">{year}</text>'
        )
    for tick in range(0, top + 1, max(1, top // 5)):
        parts.append(f'<text x="{left - 6:.1f}" y="{y(tick) + 4:.1f}" font-size="11" text-anchor="end">{tick}</text>')
    for index, points in enumerate(series.values()):
        colour = PALETTE[index % len(PALETTE)]
        path, previous = [], 0
        for year, count in sorted(points):
            path.append(f"L{x(year):.1f},{y(previous):.1f} L{x(year):.1f},{y(count):.1f}")
            previous = count
        d = f"M{x(first):.1f},{y(0):.1f} " + " ".join(path) + f" L{x(last):.1f},{y(previous):.1f}"
        parts.append(f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="2"/>')
        parts.append(
            f'<text x="{left + plot + 12:.1f}" y="{top_pad + 16 + index * 18}" font-size="12" fill="{colour}">'
            f"{escape(legend[index])}</text>"
        )
    # A band label wider than the band may reach past the plot: the picture grows to hold it.
    width = max(width, band_text_x + text_width(band_label, 11) + 4)
    return _svg(width, height, "".join(parts), title)


def bars(items: list[tuple[str, int]], title: str) -> str:
    """Horizontal bars, one per (label, value); the labels' column is as wide as the longest label."""
    row, size, bar_room = 26, 12, 340
    peak = max([v for _, v in items] + [1])
    label_room = max([text_width(label, size) for label, _ in items] + [40])
    value_room = max([text_width(str(value), size) for _, value in items] + [10])
    start = 8 + label_room + 8  # where the bars begin
    parts = []
    for index, (label, value) in enumerate(items):
        y = 10 + index * row
        length = value / peak * bar_room
        parts.append(
            f'<text x="{start - 8:.1f}" y="{y + 15}" font-size="{size}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{start:.1f}" y="{y + 3}" width="{length:.1f}" height="16" '
            f'fill="{PALETTE[index % len(PALETTE)]}"/>'
            f'<text x="{start + length + 6:.1f}" y="{y + 15}" font-size="{size}">{value}</text>'
        )
    width = start + bar_room + 6 + value_room + 8
    return _svg(width, 20 + len(items) * row, "".join(parts), title)


def timeline(items: list[tuple[str, str, str]], title: str, start: int = 2015, end: int = 2018) -> str:
    """Dated items (date text, label, kind) on a horizontal axis from `start` to the end of `end`. A label goes
    on the side of its dot with more room and is wrapped onto more lines when it is wider than that room (a
    single word wider still makes the picture grow)."""
    kinds = sorted({kind for _, _, kind in items})
    width, size, line_height, margin = 760, 11, 13, 6
    x = lambda date: 40 + (_fraction_year(date) - start) / (end + 1 - start) * (width - 80)  # noqa: E731
    low, high = 0.0, float(width)
    labels, cy = [], 50
    for date, label, kind in sorted(items):
        cx = x(date)
        short = label if len(label) <= 110 else label[:109].rstrip() + "…"
        right_room, left_room = width - margin - (cx + 8), cx - 8 - margin
        at_right = right_room >= left_room
        lines = wrap(f"{date} · {short}", max(right_room, left_room), size)
        needed = max(text_width(line, size) for line in lines)
        if at_right:
            anchor, tx = "start", cx + 8
            high = max(high, tx + needed + margin)
        else:
            anchor, tx = "end", cx - 8
            low = min(low, tx - needed - margin)
        labels.append((date, kind, cx, cy, anchor, tx, lines))
        cy += 22 + line_height * (len(lines) - 1)
    height = cy + 10
    parts = [f'<line x1="40" y1="30" x2="{width - 40}" y2="30" stroke="#333"/>']
    for year in range(start, end + 2):
        parts.append(
            f'<line x1="{x(str(year)):.1f}" y1="24" x2="{x(str(year)):.1f}" y2="{height - 10}" stroke="#ddd"/>'
            f'<text x="{x(str(year)):.1f}" y="18" font-size="11" text-anchor="middle">{year}</text>'
        )
    for date, kind, cx, cy, anchor, tx, lines in labels:
        colour = PALETTE[kinds.index(kind) % len(PALETTE)]
        parts.append(
            f'<circle cx="{cx:.1f}" cy="{cy}" r="5" fill="{colour}"><title>{escape(date)}</title></circle>'
            f'<text x="{tx:.1f}" y="{cy + 4}" font-size="{size}" text-anchor="{anchor}">'
            f"{_tspans(lines, tx, line_height)}</text>"
        )
    return _svg(high - low, height, "".join(parts), title, x0=low)


def _fraction_year(date: str) -> float:
    parts = [int(p) for p in date.split("-") if p.isdigit()]
    year = parts[0]
    month = parts[1] if len(parts) > 1 else 1
    day = parts[2] if len(parts) > 2 else 1
    return year + (month - 1) / 12 + (day - 1) / 365


@dataclass(frozen=True)
class Observation:
    """One row of the `indicators` ready-made query: one observation, never a sum of several."""

    measure: str
    unit: str
    body: str
    period: str
    #: the calendar year the figure belongs to, where the data says so (the query's `year` column)
    year: int | None
    value: int
    qualifier: str = ""
    source: str = ""

    @property
    def partial(self) -> bool:
        """A figure for part of its year (a reporting period lying inside one calendar year)."""
        return self.year is not None and self.period != str(self.year)


@dataclass
class IndicatorChart:
    #: one panel per measure that has figures to draw: (measure notation, svg)
    panels: list[tuple[str, str]]
    #: figures not drawn, each with why: "period" (no calendar year in the data), "range" (a year outside
    #: the chart), "whole-year" (the same body's figure for the whole year is drawn instead)
    unplaced: list[tuple[Observation, str]]


QUALIFIER_SIGNS = {"at-least": "≥", "more-than": ">", "approximately": "≈", "estimate": "~"}


def _nice_ceiling(peak: int) -> tuple[int, int]:
    """A round top for an axis above `peak` (with headroom for the value labels) and its tick step."""
    target = max(1.0, peak * 1.15)
    step = 1
    while target / step > 5:
        for factor in (2, 2.5, 2):
            step = int(step * factor)
            if target / step <= 5:
                break
    top = step * -(-int(target) // step)
    return max(top, step), step


def indicators(
    observations: list[Observation],
    *,
    series_name,
    measure_title,
    first: int = 2013,
    last: int = 2020,
    band: tuple[int, int] = (2015, 2018),
    band_label: str = "2015–2018",
) -> IndicatorChart:
    """Small multiples: one panel per measure, the years `first`–`last` across, the `band` shaded, one line
    per reporting body and unit (`series_name(body, unit)` names it), one dot per observation. A line joins
    only consecutive years: a missing year is a gap. Figures whose year the data does not give, or that fall
    outside the years drawn, are returned in `unplaced` for the page to list."""
    unplaced: list[tuple[Observation, str]] = []
    placed: dict[str, dict[tuple[str, str], dict[int, Observation]]] = {}
    ordered = sorted(observations, key=lambda o: (o.measure, o.body, o.unit, o.partial, o.period))
    for obs in ordered:
        if obs.year is None:
            unplaced.append((obs, "period"))
            continue
        if not first <= obs.year <= last:
            unplaced.append((obs, "range"))
            continue
        line = placed.setdefault(obs.measure, {}).setdefault((obs.body, obs.unit), {})
        if obs.year in line:  # the body's whole-year figure came first (sorted): this part-year one is listed
            unplaced.append((obs, "whole-year"))
            continue
        line[obs.year] = obs
    # one colour per reporting body and unit across every panel
    keys = sorted({key for lines in placed.values() for key in lines})
    colours = {key: PALETTE[index % len(PALETTE)] for index, key in enumerate(keys)}
    panels = [
        (
            measure,
            _indicator_panel(
                measure, lines, colours, series_name, measure_title(measure), first, last, band, band_label
            ),
        )
        for measure, lines in placed.items()
    ]
    return IndicatorChart(panels, unplaced)


def _indicator_panel(measure, lines, colours, series_name, title, first, last, band, band_label) -> str:
    width, plot_h, top_pad, size = 380, 130, 24, 10
    peak = max(o.value for line in lines.values() for o in line.values())
    top, step = _nice_ceiling(peak)
    left = 10 + text_width(f"{top}", size)
    right = 14
    span = (width - left - right) / (last - first + 1)
    x = lambda year: left + (year - first + 0.5) * span  # noqa: E731
    y = lambda value: top_pad + plot_h - value / top * plot_h  # noqa: E731
    axis_y = top_pad + plot_h
    parts = [
        f'<rect class="band" x="{x(band[0]) - span / 2:.1f}" y="{top_pad}" width="{(band[1] - band[0] + 1) * span:.1f}" '
        f'height="{plot_h}" fill="#f7e9c8"/>',
        f'<text x="{x(band[0]) - span / 2 + 3:.1f}" y="{top_pad - 6}" font-size="{size}" fill="#7a5b12">'
        f"{escape(band_label)}</text>",
        f'<line x1="{left:.1f}" y1="{axis_y}" x2="{width - right:.1f}" y2="{axis_y}" stroke="#333"/>',
    ]
    for tick in range(0, top + 1, step):
        parts.append(
            f'<line x1="{left:.1f}" y1="{y(tick):.1f}" x2="{width - right:.1f}" y2="{y(tick):.1f}" stroke="#eee"/>'
            f'<text x="{left - 4:.1f}" y="{y(tick) + 3.5:.1f}" font-size="{size}" text-anchor="end">{tick}</text>'
        )
    for year in range(first, last + 1):
        parts.append(f'<text x="{x(year):.1f}" y="{axis_y + 14}" font-size="{size}" text-anchor="middle">{year}</text>')
    legend_y = axis_y + 34
    legend_size, legend_line = 11, 14
    for (body, unit), line in sorted(lines.items()):
        colour = colours[(body, unit)]
        years = sorted(line)
        # one path segment per run of consecutive years: a missing year breaks the line
        segments, run = [], [years[0]]
        for year in years[1:]:
            if year == run[-1] + 1:
                run.append(year)
            else:
                segments.append(run)
                run = [year]
        segments.append(run)
        for run in segments:
            if len(run) > 1:
                d = " ".join(f"{'M' if i == 0 else 'L'}{x(yr):.1f},{y(line[yr].value):.1f}" for i, yr in enumerate(run))
                parts.append(f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for year in years:
            obs = line[year]
            sign = QUALIFIER_SIGNS.get(obs.qualifier, "")
            fill = "#fff" if obs.partial else colour
            parts.append(
                f'<circle class="point" cx="{x(year):.1f}" cy="{y(obs.value):.1f}" r="4" fill="{fill}" '
                f'stroke="{colour}" stroke-width="2" data-measure={quoteattr(measure)} data-body={quoteattr(body)} '
                f'data-unit={quoteattr(unit)} data-year="{year}" data-period={quoteattr(obs.period)} '
                f'data-value="{obs.value}"><title>{escape(f"{obs.period}: {sign}{obs.value} — {body}")}</title>'
                "</circle>"
                f'<text x="{x(year):.1f}" y="{y(obs.value) - 7:.1f}" font-size="{size}" text-anchor="middle" '
                f'fill="{colour}">{sign}{obs.value}</text>'
            )
        lines_of_text = wrap(series_name(body, unit), width - 34, legend_size)
        parts.append(
            f'<rect x="6" y="{legend_y - 9}" width="14" height="4" fill="{colour}"/>'
            f'<text y="{legend_y}" font-size="{legend_size}">{_tspans(lines_of_text, 26, legend_line)}</text>'
        )
        legend_y += legend_line * len(lines_of_text) + 4
    return _svg(width, legend_y, "".join(parts), title, css_class="indicator-panel")


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
    box_w = max([190.0] + [text_width(name, 12) + 16 for name, _ in classes])
    box_h, gap_x, gap_y = 24, 60, 10
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
                    f'<line x1="{x1:.1f}" y1="{y1 + box_h / 2}" x2="{x2 + box_w:.1f}" y2="{y2 + box_h / 2}" '
                    'stroke="#999"/>'
                )
    for name, (x, y) in position.items():
        parts.append(
            f'<rect x="{x:.1f}" y="{y}" width="{box_w:.1f}" height="{box_h}" rx="4" fill="#eef3f8" stroke="#0b3d5c"/>'
            f'<text x="{x + 8:.1f}" y="{y + 16}" font-size="12">{escape(name)}</text>'
        )
    width = 40 + (max(columns) + 1) * (box_w + gap_x)
    height = 40 + max(len(n) for n in columns.values()) * (box_h + gap_y)
    return _svg(width, height, "".join(parts), "Class diagram")
