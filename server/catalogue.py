"""Catalogue: the ready-made queries in `queries/*.rq`, their headers, and typed parameter binding.

Each file starts with `#+ ` lines holding YAML: title, description (en and `_id` for Indonesian), tags,
params (name, type, required, default, enum, description, example) and the output columns. A parameter
`name` appears in the query as `?_name`; request values are checked against their type and turned into
RDF terms that the engine binds (pyoxigraph substitutions, rdflib initBindings) — never pasted into the
query text. A query's form (SELECT, ASK, or a graph: CONSTRUCT/DESCRIBE) is the engine's reading of it, not
a guess. Running a query is the query service's job; this module only describes and binds.

A *federated* query calls a remote endpoint with `SERVICE <IRI>`; its header carries the tag `federated`
(a test checks the tag and the SERVICE calls agree). It can run only where every endpoint it calls is in
`BALIKG_SERVICE_ALLOWLIST`; elsewhere it is left out of the lists (`Catalogue.available`) and running it
is a `FederationOff` error naming the setting.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import yaml

from .datafiles import QUERIES_DIR
from .errors import BadRequest, FederationOff
from .query import Binding, is_absolute_iri

XSD = "http://www.w3.org/2001/XMLSchema#"
PARAM_TYPES = {"iri", "iso3", "string", "integer", "year", "date", "language", "enum"}
_HEADER_LINE = re.compile(r"^#\+ ?(.*)$")
_PARAM_VARIABLE = re.compile(r"[?$]_([A-Za-z][A-Za-z0-9_]*)")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
#: the endpoints a ready-made query calls (our own files: a plain IRI after SERVICE, never a prefixed name)
_SERVICE = re.compile(r"\bSERVICE\s+(?:SILENT\s+)?<([^>]*)>", re.I)
FEDERATED_TAG = "federated"


class CatalogueError(Exception):
    """A query file whose header is missing or malformed."""


class ParameterError(BadRequest):
    """A request value that does not fit its parameter; the message names the parameter."""


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    required: bool
    description: str
    example: str
    default: str | None = None
    enum: tuple[str, ...] = ()

    def to_binding(self, raw: str) -> Binding:
        """Check `raw` against the type and turn it into the value the engine binds."""
        value = raw.strip() if self.type != "string" else raw
        expected = {
            "iri": "an absolute IRI",
            "iso3": "an ISO 3166-1 alpha-3 code such as IDN",
            "integer": "an integer",
            "year": "a four-digit year such as 2016",
            "date": "a date YYYY-MM-DD (or 'today')",
            "language": "a language tag such as en or id",
            "enum": "one of " + ", ".join(self.enum),
            "string": "text",
        }[self.type]
        try:
            if self.type == "iri":
                if not is_absolute_iri(value):
                    raise ValueError
                return Binding.iri(value)
            if self.type == "iso3":
                if not re.fullmatch(r"[A-Za-z]{3}", value):
                    raise ValueError
                return Binding.literal(value.upper())
            if self.type == "integer":
                if not re.fullmatch(r"[+-]?[0-9]{1,18}", value):
                    raise ValueError
                return Binding.literal(str(int(value)), XSD + "integer")
            if self.type == "year":
                if not re.fullmatch(r"[0-9]{4}", value):
                    raise ValueError
                return Binding.literal(value, XSD + "gYear")
            if self.type == "date":
                if value == "today":
                    return Binding.literal(dt.date.today().isoformat(), XSD + "date")
                if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
                    raise ValueError
                return Binding.literal(dt.date.fromisoformat(value).isoformat(), XSD + "date")
            if self.type == "language":
                if not _LANGUAGE.match(value):
                    raise ValueError
                return Binding.literal(value.lower())
            if self.type == "enum":
                if value not in self.enum:
                    raise ValueError
                return Binding.literal(value)
            if "\x00" in value:
                raise ValueError
            return Binding.literal(value)
        except ValueError:
            raise ParameterError(f"parameter '{self.name}': expected {expected}, got {raw!r}") from None


@dataclass(frozen=True)
class Column:
    name: str
    description: str


@dataclass(frozen=True)
class ReadyQuery:
    id: str
    path: Path
    title: str
    title_id: str
    description: str
    description_id: str
    tags: tuple[str, ...]
    params: tuple[Param, ...]
    columns: tuple[Column, ...]
    text: str
    #: "select", "ask" or "graph" (CONSTRUCT and DESCRIBE), as the engine reads the query
    form: str = field(default="select")

    @property
    def body(self) -> str:
        """The SPARQL without the header."""
        return "\n".join(line for line in self.text.splitlines() if not _HEADER_LINE.match(line)).strip() + "\n"

    @property
    def services(self) -> tuple[str, ...]:
        """The remote endpoints the query calls with SERVICE, in order of first use."""
        return tuple(dict.fromkeys(_SERVICE.findall(self.body)))

    @property
    def federated(self) -> bool:
        return FEDERATED_TAG in self.tags

    def runs_with(self, allowlist: list[str]) -> bool:
        """Whether every endpoint the query calls is allowlisted (always, for a query that calls none)."""
        return all(service in allowlist for service in self.services)

    def federation_off_message(self) -> str:
        return (
            f"the ready-made query '{self.id}' calls {', '.join(self.services)} with SERVICE, and federation with it "
            "is off on this endpoint (BALIKG_SERVICE_ALLOWLIST does not name it; see docs/endpoint.md)"
        )

    def require_runnable(self, allowlist: list[str]) -> None:
        if not self.runs_with(allowlist):
            raise FederationOff(self.federation_off_message())

    @property
    def column_names(self) -> tuple[str, ...] | None:
        return tuple(c.name for c in self.columns) or None

    def bindings(self, values: dict[str, str]) -> dict[str, Binding]:
        """Typed bindings for `?_name` variables from request values (defaults applied, unknowns refused)."""
        known = {p.name for p in self.params}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ParameterError(
                f"unknown parameter '{unknown[0]}' for query '{self.id}'"
                + (f"; it takes: {', '.join(sorted(known))}" if known else "; it takes none")
            )
        out = {}
        for param in self.params:
            raw = values.get(param.name)
            if raw is None or raw == "":
                raw = param.default
            if raw is None:
                if param.required:
                    raise ParameterError(f"parameter '{param.name}' is required ({param.description})")
                continue
            out["_" + param.name] = param.to_binding(str(raw))
        return out

    def summary(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "title_id": self.title_id,
            "description": self.description,
            "description_id": self.description_id,
            "tags": list(self.tags),
            "params": [
                {
                    "name": p.name,
                    "type": p.type,
                    "required": p.required,
                    "default": p.default,
                    "enum": list(p.enum) or None,
                    "description": p.description,
                    "example": p.example,
                }
                for p in self.params
            ],
            "columns": [{"name": c.name, "description": c.description} for c in self.columns],
        }


def parse_query_file(path: Path) -> ReadyQuery:
    text = path.read_text(encoding="utf-8")
    header_lines = []
    for line in text.splitlines():
        match = _HEADER_LINE.match(line)
        if not match:
            break
        header_lines.append(match.group(1))
    if not header_lines:
        raise CatalogueError(f"{path.name}: no '#+ ' header")
    try:
        header = yaml.safe_load("\n".join(header_lines))
    except yaml.YAMLError as error:
        raise CatalogueError(f"{path.name}: header is not valid YAML: {error}") from None
    if not isinstance(header, dict):
        raise CatalogueError(f"{path.name}: header must be a YAML mapping")
    for key in ("title", "title_id", "description", "description_id", "tags", "params", "columns"):
        if key not in header:
            raise CatalogueError(f"{path.name}: header lacks '{key}'")
    params = []
    for spec in header["params"] or []:
        for key in ("name", "type", "description", "example"):
            if key not in spec:
                raise CatalogueError(f"{path.name}: parameter {spec.get('name', '?')!r} lacks '{key}'")
        if spec["type"] not in PARAM_TYPES:
            raise CatalogueError(f"{path.name}: parameter {spec['name']!r} has unknown type {spec['type']!r}")
        if spec["type"] == "enum" and not spec.get("enum"):
            raise CatalogueError(f"{path.name}: enum parameter {spec['name']!r} lists no values")
        params.append(
            Param(
                name=spec["name"],
                type=spec["type"],
                required=bool(spec.get("required", False)),
                description=spec["description"],
                example=str(spec["example"]),
                default=None if spec.get("default") is None else str(spec["default"]),
                enum=tuple(str(v) for v in spec.get("enum") or ()),
            )
        )
    columns = [Column(c["name"], c["description"]) for c in header["columns"] or []]
    form = query_form("\n".join(line for line in text.splitlines() if not _HEADER_LINE.match(line)), path.name)
    query = ReadyQuery(
        id=path.stem,
        path=path,
        title=header["title"],
        title_id=header["title_id"],
        description=header["description"],
        description_id=header["description_id"],
        tags=tuple(header["tags"] or ()),
        params=tuple(params),
        columns=tuple(columns),
        text=text,
        form=form,
    )
    declared = {p.name for p in params}
    used = set(_PARAM_VARIABLE.findall(query.body))
    if declared != used:
        raise CatalogueError(f"{path.name}: declared params {sorted(declared)} differ from ?_ variables {sorted(used)}")
    return query


def query_form(text: str, where: str = "query") -> str:
    """The query's form as the engine reads it: planned on an empty in-memory store, which costs
    microseconds (rdflib's parser would add over a second to start-up). A SERVICE call is read as a GRAPH
    pattern here (the same shape), because the engine may call the remote endpoint while planning."""
    try:
        answer = ox.Store().query(_SERVICE.sub("GRAPH <urn:balikg:form-check>", text))
    except SyntaxError as error:
        raise CatalogueError(f"{where}: the query does not parse: {error}") from None
    if isinstance(answer, ox.QueryBoolean):
        return "ask"
    if isinstance(answer, ox.QueryTriples):
        return "graph"
    return "select"


class Catalogue:
    """All ready-made queries of a folder, by id."""

    def __init__(self, folder: Path = QUERIES_DIR):
        self.queries = {q.id: q for q in (parse_query_file(p) for p in sorted(folder.glob("*.rq")))}

    def __iter__(self):
        return iter(self.queries.values())

    def __len__(self) -> int:
        return len(self.queries)

    def get(self, query_id: str) -> ReadyQuery | None:
        return self.queries.get(query_id)

    def available(self, allowlist: list[str]) -> list[ReadyQuery]:
        """The queries that can run here: all but the federated ones whose endpoints are not allowlisted."""
        return [query for query in self if query.runs_with(allowlist)]
