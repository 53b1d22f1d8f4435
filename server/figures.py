"""What a page needs to show a chart honestly: the ready-made query behind it (a link to its page with the
chart's parameters, and to its CSV), and for the outcome indicators the view built from the `indicators`
query's rows — small multiples over 2013–2020 with the thesis period shaded, and the figures that could not be
placed in a year listed with why. The rows come from the query service like every other query's.
"""

from __future__ import annotations

from urllib.parse import urlencode

from . import charts
from .service import Row
from .state import state

#: the years the indicators chart spans, and the thesis period it shades
INDICATOR_YEARS = (2013, 2020)
THESIS_PERIOD = (2015, 2018)


def query_link(query_id: str, params: dict[str, str], lang: str) -> dict:
    """Links to a ready-made query run with `params`: its page (in the page's language) and its CSV."""
    page_params = dict(params) | ({"lang": "id"} if lang == "id" else {})
    return {
        "id": query_id,
        "params": ", ".join(f"{k}={v}" for k, v in params.items()),
        "page": f"/queries/{query_id}" + (f"?{urlencode(page_params)}" if page_params else ""),
        "csv": f"/queries/{query_id}.csv" + (f"?{urlencode(params)}" if params else ""),
    }


async def indicator_rows(request, iso3: str, *, watch: bool = True) -> list[Row]:
    """The `indicators` ready-made query's rows for one state, through the query service."""
    query = state(request).catalogue.get("indicators")
    return await state(request).service.rows(
        query.body,
        query.bindings({"state": iso3}),
        columns=query.column_names,
        client=request if watch else None,
    )


def _text(row: Row, name: str) -> str:
    return row[name].value if name in row else ""


def observations(rows: list[Row], lang: str) -> list[charts.Observation]:
    """The query's rows as observations, each one row (one figure of one body), names in the page's language."""
    return [
        charts.Observation(
            measure=_text(r, "measure"),
            unit=_text(r, "unit"),
            body=(_text(r, "reporting_body_id") if lang == "id" else "") or _text(r, "reporting_body"),
            period=_text(r, "period"),
            year=int(_text(r, "year")) if _text(r, "year") else None,
            value=int(_text(r, "value")),
            qualifier=_text(r, "qualifier"),
            source=_text(r, "source"),
        )
        for r in rows
    ]


def indicators_view(rows: list[Row], lang: str, strings: dict, iso3: str) -> dict | None:
    """The indicators chart of one state (None when the state has no observations)."""
    if not rows:
        return None

    def measure_title(notation: str) -> str:
        return strings.get("measure_" + notation.replace("-", "_"), notation)

    def unit_name(notation: str) -> str:
        return strings.get("unit_" + notation.replace("-", "_"), notation)

    chart = charts.indicators(
        observations(rows, lang),
        series_name=lambda body, unit: f"{body} ({unit_name(unit)})",
        measure_title=measure_title,
        first=INDICATOR_YEARS[0],
        last=INDICATOR_YEARS[1],
        band=THESIS_PERIOD,
        band_label=strings["thesis_period"],
    )
    return {
        "panels": [{"measure": m, "title": measure_title(m), "svg": svg} for m, svg in chart.panels],
        "unplaced": [
            {
                "measure": measure_title(obs.measure),
                "body": obs.body,
                "value": obs.value,
                "unit": unit_name(obs.unit),
                "period": obs.period,
                "source": obs.source,
                "reason": strings["unplaced_" + reason.replace("-", "_")],
            }
            for obs, reason in chart.unplaced
        ],
        "links": [query_link("indicators", {"state": iso3}, lang)],
    }
