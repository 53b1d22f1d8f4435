"""Pages: what the HTML front needs besides routing — the template environment, the interface strings in
English and Indonesian, the mapping of public IRIs to local links, and running page queries.

Templates live in `server/templates/`, interface strings in `server/templates/strings.yaml`, the
internal queries in `server/sparql/`. Page queries go through the query service like `/sparql`'s, so a page
obeys the same checks, time limit and worker pool as any other query; a page's failures are the service's
typed errors, which the app's error map answers with an HTML error page. Pages render in a thread.
"""

from __future__ import annotations

import asyncio
import json
from importlib.resources import files
from pathlib import Path
from urllib.parse import urlencode

import pyoxigraph as ox
import yaml
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from .datafiles import BASE
from .errors import RequestFailed
from .query import QueryRequest
from .state import state

TEMPLATES = Path(str(files("server") / "templates"))
STRINGS = yaml.safe_load((TEMPLATES / "strings.yaml").read_text(encoding="utf-8"))
LANGUAGES = ("en", "id")


def language(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get("lang") or "en"
    return lang if lang in LANGUAGES else "en"


def local_link(iri: str, lang: str = "en") -> str:
    """A link a browser can follow here: our own IRIs map to this server's paths, others stay as they are."""
    if iri.startswith(BASE):
        path = "/" + iri[len(BASE) :]
        return path + ("?lang=id" if lang == "id" else "")
    return iri


def short(iri: str) -> str:
    for prefix, namespace in (("bp:", BASE + "def#"), ("", BASE + "id/")):
        if iri.startswith(namespace):
            return prefix + iri[len(namespace) :]
    return iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1] or iri


def link_for(iri: str, lang: str = "en") -> str | None:
    """Where a value links to on a page: our IRIs to local pages, other http(s) IRIs as they are, and
    nothing else (a `javascript:` or `data:` IRI in the data is shown, never made a link)."""
    if iri.startswith(BASE):
        return local_link(iri, lang)
    if iri.startswith(("http://", "https://")):
        return iri
    return None


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]))
    env.globals.update(local_link=local_link, link_for=link_for, short=short, urlencode=urlencode)
    return env


ENV = _environment()


async def render(
    request: Request, template: str, status_code: int = 200, headers: dict | None = None, **context
) -> HTMLResponse:
    """Render a page in a worker thread, so a large page never holds the event loop."""
    lang = language(request)
    strings = {key: value.get(lang, value["en"]) for key, value in STRINGS.items()}

    def switch(to: str) -> str:
        params = dict(request.query_params)
        params["lang"] = to
        return request.url.path + "?" + urlencode(params)

    page = ENV.get_template(template)
    html = await asyncio.to_thread(page.render, request=request, lang=lang, t=strings, switch=switch, **context)
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="lax")
    return response


def respond(request: Request, body: bytes) -> HTMLResponse:
    """A rendered page as a response (remembering a language chosen in the URL, as `render` does)."""
    response = HTMLResponse(body)
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie("lang", language(request), max_age=365 * 24 * 3600, samesite="lax")
    return response


#: what a page asks the service for: solutions as SPARQL JSON, graphs as N-Triples
TABLE_FORMATS = "application/sparql-results+json, application/n-triples"


async def results_table(request: Request, query_request: QueryRequest) -> tuple[dict | None, RequestFailed | None]:
    """Run a query for an HTML page: (table, None), or (None, the failure to show on the page). Graph
    results show as subject/predicate/object rows; IRIs link to their local pages."""
    lang = language(request)
    try:
        answer = await state(request).service.answer(query_request, client=request)
    except RequestFailed as error:
        return None, error

    def cell(kind: str, value: str) -> dict:
        if kind == "uri":
            return {"text": short(value) if value.startswith(BASE) else value, "href": link_for(value, lang)}
        return {"text": value, "href": None}

    if answer.kind == "graph":
        rows = [
            [
                cell("uri" if isinstance(t, ox.NamedNode) else "literal", t.value)
                for t in (triple.subject, triple.predicate, triple.object)
            ]
            for triple in ox.parse(answer.body, format=ox.RdfFormat.N_TRIPLES)
        ]
        return {"variables": ["subject", "predicate", "object"], "rows": rows, "truncated": answer.truncated}, None
    data = json.loads(answer.body)
    if "boolean" in data:
        return {
            "variables": ["boolean"],
            "rows": [[cell("literal", str(data["boolean"]).lower())]],
            "truncated": False,
        }, None
    variables = data["head"]["vars"]
    rows = [
        [cell(b[v]["type"], b[v]["value"]) if v in b else None for v in variables] for b in data["results"]["bindings"]
    ]
    return {"variables": variables, "rows": rows, "truncated": answer.truncated}, None
