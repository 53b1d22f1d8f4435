"""The site: the home page (what the graph is, counts, charts, the query gallery, search by name), the
dumps at /dumps/, and the dataset description at /.well-known/void."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response

from .. import charts, citation, figures, formats, negotiation, pages, results, void, wikidata
from ..errors import NotFound
from ..query import Binding
from ..service import Row
from ..state import state
from ..statistics import internal_query
from ..store import DUMPS_DIR

router = APIRouter()
#: the longest dump file name there is, with room to spare; longer names are not looked up
MAX_DUMP_NAME = 64
#: search results shown; the search query asks for one more to know whether there are more
SEARCH_LIMIT = 50


async def _ready(request: Request, query_id: str, values: dict) -> list[Row]:
    # No client watching: the home page is built once and shared by every request that waits for it.
    query = state(request).catalogue.get(query_id)
    return await state(request).service.rows(query.body, query.bindings(values), columns=query.column_names)


async def _internal(request: Request, name: str, bindings: dict | None = None) -> list[Row]:
    return await state(request).service.rows(internal_query(name), bindings)


async def _at_most(limit: int, *work):
    """Await `work` together, at most `limit` at a time: a page asks no more of the pool than it has workers,
    so its own queries never wait in line behind each other."""
    gate = asyncio.Semaphore(limit)

    async def gated(one):
        async with gate:
            return await one

    return await asyncio.gather(*(gated(one) for one in work))


def _value(row: Row, name: str, default=""):
    return row[name].value if name in row else default


@router.get("/", name="home")
async def home(request: Request) -> Response:
    key = ("home", pages.language(request), request.url.query, dt.date.today())
    return pages.respond(request, await state(request).page_cache.get_or_build(key, lambda: _build_home(request)))


async def _build_home(request: Request) -> bytes:
    lang = pages.language(request)
    text = request.query_params.get("q", "").strip()
    found, more = [], False
    if text:
        rows = await _internal(request, "search", {"_text": Binding.literal(text[:100])})
        found = [
            {"iri": _value(r, "s"), "name": _value(r, "name"), "type": pages.short(_value(r, "type"))}
            for r in rows[:SEARCH_LIMIT]
        ]
        more = len(rows) > SEARCH_LIMIT
    # The page's queries are independent: ask for all at once, so they share the worker pool.
    instruments = (("untoc", "UNTOC"), ("tip-protocol", "TIP Protocol"), ("smuggling-protocol", "Smuggling Protocol"))
    (
        counts_rows,
        kind_rows,
        status_rows,
        laws,
        plan_rows,
        members,
        indonesia,
        indicator_rows,
        *parties,
    ) = await _at_most(
        state(request).settings.workers,
        _internal(request, "counts"),
        _internal(request, "legal-act-kinds"),
        _ready(request, "treaty-status", {"instrument": "tip-protocol", "as_of": "2018-12-31"}),
        _ready(request, "legislation", {}),
        _ready(request, "action-plans", {"in_force_in": "2016"}),
        _ready(request, "members", {"kind": "state"}),
        _ready(request, "indonesia-2015-2018", {}),
        figures.indicator_rows(request, "IDN", watch=False),
        *(_ready(request, "parties-over-time", {"instrument": instrument}) for instrument, _ in instruments),
    )
    counts = counts_rows[0]
    series = {
        name: [(int(_value(r, "year")), int(_value(r, "cumulative_parties"))) for r in rows]
        for (_, name), rows in zip(instruments, parties, strict=True)
    }
    strings = {k: v.get(lang, v["en"]) for k, v in pages.STRINGS.items()}
    parties_chart = charts.parties_over_time(series, strings["chart_parties"], band_label=strings["thesis_period"])
    statuses = {}
    for row in status_rows:  # member states, as the chart's title says (territories are counted elsewhere)
        if "/id/state/" in _value(row, "state"):
            statuses[_value(row, "status")] = statuses.get(_value(row, "status"), 0) + 1
    status_chart = charts.bars(
        [
            (strings.get("status_" + status.replace("-", "_"), status), count)
            for status, count in sorted(statuses.items(), key=lambda kv: -kv[1])
        ],
        strings["chart_status"],
    )
    kinds: dict[str, set] = {}
    for row in laws:
        kinds.setdefault(_value(row, "kind"), set()).add(_value(row, "state"))
    kind_names = {_value(r, "en"): _value(r, "id") for r in kind_rows} if lang == "id" else {}
    law_chart = charts.bars(
        sorted(((kind_names.get(kind) or kind, len(states)) for kind, states in kinds.items()), key=lambda kv: -kv[1]),
        strings["chart_laws"],
    )
    plans = {_value(r, "state") for r in plan_rows}
    plan_chart = charts.bars(
        [
            (strings["with_plan"], len(plans)),
            (strings["without_plan"], len({_value(r, "member") for r in members} - plans)),
        ],
        strings["chart_plans"],
    )
    indonesia_chart = charts.timeline(
        [
            (
                _value(r, "date"),
                _value(r, "label_id") if lang == "id" and _value(r, "label_id") else _value(r, "label"),
                _value(r, "kind"),
            )
            for r in indonesia
            if _value(r, "kind") != "outcome indicator"  # drawn in the indicators chart instead
        ],
        strings["chart_indonesia"],
    )
    link = figures.query_link
    chart_links = {
        "parties": [link("parties-over-time", {"instrument": i}, lang) for i, _ in instruments],
        "status": [link("treaty-status", {"instrument": "tip-protocol", "as_of": "2018-12-31"}, lang)],
        "laws": [link("legislation", {}, lang)],
        "plans": [link("action-plans", {"in_force_in": "2016"}, lang), link("members", {"kind": "state"}, lang)],
        "indonesia": [link("indonesia-2015-2018", {}, lang)],
    }
    indicators = figures.indicators_view(indicator_rows, lang, strings, "IDN")
    response = await pages.render(
        request,
        "home.html",
        counts={k: _value(counts, k) for k in counts},
        text=text,
        found=found,
        more=more,
        queries=state(request).catalogue.available(state(request).settings.service_allowlist),
        parties_chart=parties_chart,
        status_chart=status_chart,
        law_chart=law_chart,
        plan_chart=plan_chart,
        indonesia_chart=indonesia_chart,
        links=chart_links,
        indicators=indicators,
        cite=citation.text(state(request).dataset.version),
        jsonld=citation.dataset_jsonld(state(request).dataset.version, str(request.base_url)),
    )
    return response.body


async def _wikidata_differences(request: Request):
    kg = state(request)
    statements = await wikidata.our_statements(kg.service, kg.catalogue)
    path = kg.settings.wikidata_snapshot
    snapshot = await asyncio.to_thread(wikidata.load_snapshot, path) if path else {"entities": {}}
    return path, wikidata.diff(statements, snapshot)


@router.get("/wikidata", name="wikidata_page")
async def wikidata_page(request: Request) -> Response:
    """Our statements for Wikidata compared with the configured snapshot (docs/wikidata.md)."""
    path, differences = await _wikidata_differences(request)
    return await pages.render(
        request,
        "wikidata.html",
        differences=differences,
        snapshot=path.name if path else None,
        counts=wikidata.counts(differences),
    )


@router.get("/wikidata.csv", name="wikidata_csv")
async def wikidata_csv(request: Request) -> Response:
    """The same comparison as CSV (status `not-in-snapshot` throughout when no snapshot is configured)."""
    _, differences = await _wikidata_differences(request)
    return Response(wikidata.diff_csv(differences), media_type="text/csv; charset=utf-8")


@router.get("/cite.bib", name="cite_bibtex")
async def cite_bibtex(request: Request) -> Response:
    """How to cite the dataset, as BibTeX (made from CITATION.cff and the served data version)."""
    return Response(citation.bibtex(state(request).dataset.version), media_type="application/x-bibtex; charset=utf-8")


@router.get("/cite.json", name="cite_csl")
async def cite_csl(request: Request) -> Response:
    """How to cite the dataset, as CSL-JSON (for Zotero and citation processors)."""
    return Response(
        citation.csl_json(state(request).dataset.version), media_type="application/vnd.citationstyles.csl+json"
    )


@router.get("/docs", name="api_docs", include_in_schema=False)
async def api_docs(request: Request) -> Response:
    """The OpenAPI documentation, rendered by the vendored Swagger UI: works with the network unplugged."""
    return await pages.render(request, "api_docs.html")


@router.get("/redoc", include_in_schema=False)
async def redoc() -> Response:
    return RedirectResponse("/docs", status_code=307)


def _dumps_folder(request: Request) -> Path:
    """The served version's dumps. With a remote store they are where `balikg load --to` left them, which
    may not be on this machine (docs/deploy.md says how to ship them with the version)."""
    dataset = state(request).dataset
    folder = dataset.directory / DUMPS_DIR
    if not (folder / "SHA256SUMS").is_file():
        raise NotFound(f"the dumps of data version {dataset.version} are not on this server; see /sparql for the data")
    return folder


@router.get("/dumps/", name="dumps")
async def dumps(request: Request) -> Response:
    folder = _dumps_folder(request)
    files = sorted(p.name for p in folder.iterdir() if p.is_file())
    sums = (folder / "SHA256SUMS").read_text(encoding="utf-8")
    if negotiation.prefers_html(request.headers.get("accept")):
        return await pages.render(request, "dumps.html", files=files, sums=sums)
    return JSONResponse({"files": [str(request.url_for("dump_file", name=f)) for f in files]})


@router.get("/dumps/{name}", name="dump_file")
async def dump_file(name: str, request: Request) -> Response:
    folder = _dumps_folder(request)
    if len(name) > MAX_DUMP_NAME or "/" in name or "\x00" in name or not (folder / name).is_file():
        raise NotFound("no such dump; see /dumps/")
    path = folder / name
    media = "text/plain; charset=utf-8" if name == "SHA256SUMS" else "application/gzip"
    return FileResponse(path, media_type=media, filename=name)


@router.get("/.well-known/void", name="void_description")
async def void_description(request: Request) -> Response:
    kg = state(request)
    media_type = negotiation.choose(formats.offers("graph"), request.headers.get("accept")) or "text/turtle"
    partitions = [
        {"kind": _value(r, "kind"), "term": _value(r, "term"), "count": int(_value(r, "count"))}
        for r in await _internal(request, "void-partitions")
    ]
    rows = await _internal(request, "void-sources")
    sources = [_value(r, "source") for r in rows if "source" in r]
    links = next((int(_value(r, "wikidata_links")) for r in rows if "wikidata_links" in r), 0)
    folder = kg.dataset.directory / DUMPS_DIR
    dumps = sorted(p.name for p in folder.iterdir() if p.name.endswith(".gz")) if folder.is_dir() else []
    triples = void.describe(
        base_url=str(request.base_url),
        version=kg.dataset.version,
        triples=kg.dataset.triples,
        partitions=partitions,
        sources=sources,
        wikidata_links=links,
        dumps=dumps,
    )
    return Response(
        results.serialize_triples(triples, media_type),
        media_type=formats.content_type(media_type),
        headers={"Vary": "Accept"},
    )
