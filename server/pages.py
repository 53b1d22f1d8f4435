"""Pages: what the HTML front needs besides routing — the template environment, the interface strings in
English and Indonesian, the mapping of public IRIs to local links, and running page queries.

Templates live in `server/templates/`, interface strings in `server/templates/strings.yaml`, the
internal queries in `server/sparql/`. Page queries go through the same executor as `/sparql`, so a page
obeys the same time limit and worker pool as any other query.
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from urllib.parse import urlencode

import yaml
from fastapi import Request
from jinja2 import Environment, FileSystemLoader, select_autoescape

from .datafiles import BASE
from .executor import QueryRequest
from .statistics import internal_query

TEMPLATES = Path(str(files("server") / "templates"))
STRINGS = yaml.safe_load((TEMPLATES / "strings.yaml").read_text(encoding="utf-8"))
LANGUAGES = ("en", "id")


def language(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get("lang") or "en"
    return lang if lang in LANGUAGES else "en"


def local_link(iri: str, lang: str = "en") -> str:
    """A link a browser can follow here: our own IRIs map to this server's paths, others stay as they are."""
    if iri.startswith(BASE):
        path = "/" + iri[len(BASE):]
        return path + ("?lang=id" if lang == "id" else "")
    return iri


def short(iri: str) -> str:
    for prefix, namespace in (("bp:", BASE + "def#"), ("", BASE + "id/")):
        if iri.startswith(namespace):
            return prefix + iri[len(namespace):]
    return iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1] or iri


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]))
    env.globals.update(local_link=local_link, short=short, urlencode=urlencode)
    return env


ENV = _environment()


def render(request: Request, template: str, status_code: int = 200, **context):
    from fastapi.responses import HTMLResponse

    lang = language(request)
    strings = {key: value.get(lang, value["en"]) for key, value in STRINGS.items()}

    def switch(to: str) -> str:
        params = dict(request.query_params)
        params["lang"] = to
        return request.url.path + "?" + urlencode(params)

    html = ENV.get_template(template).render(request=request, lang=lang, t=strings, switch=switch, **context)
    response = HTMLResponse(html, status_code=status_code)
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="lax")
    return response


def label_in(values: dict, lang: str, en_key: str = "en", id_key: str = "id") -> str | None:
    return (values.get(id_key) if lang == "id" else None) or values.get(en_key)


def binding(kind: str, value: str, datatype: str | None = None) -> tuple:
    return (kind, value, None, datatype or "http://www.w3.org/2001/XMLSchema#string")


async def select(request: Request, query: str, bindings: dict | None = None, columns=None) -> list[dict]:
    """Run a SELECT through the executor and return rows as {variable: value-dict} (SPARQL JSON terms)."""
    outcome = await request.app.state.executor.execute(QueryRequest(
        query=query, media_type="application/sparql-results+json", bindings=bindings or {},
        max_rows=request.app.state.settings.max_rows, columns=columns,
    ))
    if outcome.status != "ok":
        raise RuntimeError(outcome.message)
    return json.loads(outcome.body)["results"]["bindings"]


async def select_internal(request: Request, name: str, bindings: dict | None = None) -> list[dict]:
    return await select(request, internal_query(name), bindings)


async def results_table(request: Request, query: str, *, bindings: dict | None = None, columns=None,
                        default_graphs=None, named_graphs=None) -> tuple[dict | None, str | None, int]:
    """Run a query for an HTML page: (table, error message, HTTP status). Graph results show as
    subject/predicate/object rows; IRIs link to their local pages."""
    from . import query_guard
    from .executor import QueryTimeout, Saturated

    lang = language(request)
    settings = request.app.state.settings
    if query_guard.looks_like_update(query):
        return None, "read-only endpoint: SPARQL Update is not accepted here", 403
    try:
        query_guard.check_services(query, settings.service_allowlist)
    except query_guard.ForbiddenQuery as error:
        return None, str(error), 403
    try:
        outcome = await request.app.state.executor.execute(QueryRequest(
            query=query, accept="application/sparql-results+json, application/n-triples",
            bindings=bindings or {}, max_rows=settings.max_rows, columns=columns,
            default_graphs=default_graphs, named_graphs=named_graphs))
    except (QueryTimeout, Saturated) as error:
        return None, str(error), 503
    if outcome.status == "syntax":
        return None, f"SPARQL syntax error: {outcome.message}", 400
    if outcome.status != "ok":
        return None, outcome.message, 500

    def cell(term: dict | None):
        if term is None:
            return None
        if term["type"] == "uri":
            return {"text": short(term["value"]) if term["value"].startswith(BASE) else term["value"],
                    "href": local_link(term["value"], lang)}
        return {"text": term["value"], "href": None}

    if outcome.media_type == "application/n-triples":
        import pyoxigraph as ox

        rows = []
        for triple in ox.parse(outcome.body, format=ox.RdfFormat.N_TRIPLES):
            rows.append([cell({"type": "uri" if isinstance(t, ox.NamedNode) else "literal", "value": t.value})
                         for t in (triple.subject, triple.predicate, triple.object)])
        return {"variables": ["subject", "predicate", "object"], "rows": rows, "truncated": outcome.truncated}, None, 200
    data = json.loads(outcome.body)
    if "boolean" in data:
        return {"variables": ["boolean"], "rows": [[{"text": str(data["boolean"]).lower(), "href": None}]],
                "truncated": False}, None, 200
    variables = data["head"]["vars"]
    rows = [[cell(b.get(v)) for v in variables] for b in data["results"]["bindings"]]
    return {"variables": variables, "rows": rows, "truncated": outcome.truncated}, None, 200
