"""Results: serialises a `store.QueryResult` in the SPARQL result formats and RDF formats we offer.

SELECT and ASK: SPARQL 1.1 Query Results JSON, XML, CSV and TSV. CONSTRUCT and DESCRIBE: Turtle,
N-Triples, RDF/XML, JSON-LD, N-Quads and TriG (the last two put the triples in the default graph).
A row cap applies to both: at most `max_rows` solutions or triples are written, and the caller is told
whether the cap cut the result short. The formats themselves are declared in `formats`; choosing one is
`negotiation`'s job.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from json.encoder import encode_basestring as _json_string
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from .formats import rdf_format
from .store import QueryResult

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


@dataclass
class SerializedResult:
    media_type: str
    body: bytes
    truncated: bool
    count: int


def serialize(result: QueryResult, media_type: str, max_rows: int) -> SerializedResult:
    """Write `result` as `media_type`, keeping at most `max_rows` rows (or triples)."""
    if result.kind == "graph":
        triples, truncated = _take(result.triples, max_rows)
        body = ox.serialize(triples, format=rdf_format(media_type)) if triples else b""
        return SerializedResult(media_type, body, truncated, len(triples))
    fmt = _WRITER_NAMES[media_type]
    if result.kind == "boolean":
        return SerializedResult(media_type, _BOOLEAN_WRITERS[fmt](result.boolean), False, 1)
    # Rows are written as they are pulled from the engine, so a large answer is never held twice in memory.
    rows = _Capped(result.rows, max_rows)
    body = _BINDINGS_WRITERS[fmt](result.variables, rows)
    return SerializedResult(media_type, body, rows.truncated, rows.count)


def _take(iterator, limit: int) -> tuple[list, bool]:
    items = []
    for item in iterator:
        if len(items) == limit:
            return items, True
        items.append(item)
    return items, False


class _Capped:
    """Yields at most `limit` items; afterwards `count` says how many and `truncated` whether more existed."""

    def __init__(self, iterator, limit: int):
        self._iterator, self._limit = iterator, limit
        self.count, self.truncated = 0, False

    def __iter__(self):
        for item in self._iterator:
            if self.count == self._limit:
                self.truncated = True
                return
            self.count += 1
            yield item


# ---- JSON -------------------------------------------------------------------------------------------


def _json_term(term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {
            "type": "triple",
            "value": {
                "subject": _json_term(term.subject),
                "predicate": _json_term(term.predicate),
                "object": _json_term(term.object),
            },
        }
    raise TypeError(f"unexpected term {term!r}")


def _json_bindings(variables, rows) -> bytes:
    # Written piece by piece (same bytes as json.dumps of the whole document with compact separators),
    # so that no dictionary per row is built.
    names = [_json_string(v) for v in variables]
    parts = ['{"head":{"vars":[', ",".join(names), ']},"results":{"bindings":[']
    separator = ""
    for row in rows:
        parts.append(
            separator
            + "{"
            + ",".join(f"{name}:{_json_term_text(t)}" for name, t in zip(names, row, strict=False) if t is not None)
            + "}"
        )
        separator = ","
    parts.append("]}}")
    return "".join(parts).encode()


def _json_term_text(term) -> str:
    if isinstance(term, ox.Literal):
        text = '{"type":"literal","value":' + _json_string(term.value)
        if term.language:
            return text + ',"xml:lang":' + _json_string(term.language) + "}"
        if term.datatype.value != XSD_STRING:
            return text + ',"datatype":' + _json_string(term.datatype.value) + "}"
        return text + "}"
    if isinstance(term, ox.NamedNode):
        return '{"type":"uri","value":' + _json_string(term.value) + "}"
    return json.dumps(_json_term(term), ensure_ascii=False, separators=(",", ":"))


def _json_boolean(value: bool) -> bytes:
    return json.dumps({"head": {}, "boolean": value}).encode()


# ---- XML --------------------------------------------------------------------------------------------

_XML_HEAD = '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'


def _xml_term(term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != XSD_STRING:
            return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
        return f"<literal>{escape(term.value)}</literal>"
    if isinstance(term, ox.Triple):
        return (
            f"<triple><subject>{_xml_term(term.subject)}</subject><predicate>{_xml_term(term.predicate)}"
            f"</predicate><object>{_xml_term(term.object)}</object></triple>"
        )
    raise TypeError(f"unexpected term {term!r}")


def _xml_bindings(variables, rows) -> bytes:
    parts = [_XML_HEAD, "<head>", *(f"<variable name={quoteattr(v)}/>" for v in variables), "</head><results>"]
    for row in rows:
        parts.append("<result>")
        parts.extend(
            f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>"
            for v, t in zip(variables, row, strict=False)
            if t is not None
        )
        parts.append("</result>")
    parts.append("</results></sparql>\n")
    return "".join(parts).encode()


def _xml_boolean(value: bool) -> bytes:
    return f"{_XML_HEAD}<head/><boolean>{'true' if value else 'false'}</boolean></sparql>\n".encode()


# ---- CSV and TSV ------------------------------------------------------------------------------------


def _csv_field(term) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        text = "_:" + term.value
    elif isinstance(term, (ox.NamedNode, ox.Literal)):
        text = term.value
    else:
        text = str(term)
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_bindings(variables, rows) -> bytes:
    lines = [",".join(variables)]
    lines.extend(",".join(_csv_field(t) for t in row) for row in rows)
    return ("\r\n".join(lines) + "\r\n").encode()


def _tsv_field(term) -> str:
    # TSV cells are RDF terms in SPARQL/Turtle syntax; pyoxigraph's str() gives their N-Triples form, except
    # for a triple term, whose str() is the bare triple.
    if term is None:
        return ""
    if isinstance(term, ox.Triple):
        return f"<<( {term} )>>"
    return str(term)


def _tsv_bindings(variables, rows) -> bytes:
    lines = ["\t".join("?" + v for v in variables)]
    lines.extend("\t".join(_tsv_field(t) for t in row) for row in rows)
    return ("\n".join(lines) + "\n").encode()


def _plain_boolean(value: bool) -> bytes:
    return b"true\n" if value else b"false\n"


_WRITER_NAMES = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
_BINDINGS_WRITERS = {"json": _json_bindings, "xml": _xml_bindings, "csv": _csv_bindings, "tsv": _tsv_bindings}
_BOOLEAN_WRITERS = {"json": _json_boolean, "xml": _xml_boolean, "csv": _plain_boolean, "tsv": _plain_boolean}


def serialize_triples(triples, media_type: str) -> bytes:
    """Write RDF triples (e.g. a service description) in one of the graph media types."""
    return ox.serialize(list(triples), format=rdf_format(media_type))


def convert_turtle(text: str, media_type: str) -> bytes:
    """Re-serialise a Turtle document (the shapes file) in another RDF format."""
    return ox.serialize(list(ox.parse(text.encode("utf-8"), format=ox.RdfFormat.TURTLE)), format=rdf_format(media_type))
