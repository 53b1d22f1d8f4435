"""Negotiation: picks a response media type from an Accept header (with q-values) or a `format=` name.

Offers are listed in the server's order of preference; among media ranges the client weighs equally, the
more specific range wins (RFC 9110 §12.5.1), and among equal candidates the server's first offer wins.
`None` means nothing acceptable, which the caller turns into 406.
"""

from __future__ import annotations

from dataclasses import dataclass

#: format= names a person can type into a link, and the media types they stand for
FORMAT_NAMES = {
    "json": "application/sparql-results+json",
    "srj": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "srx": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "ttl": "text/turtle",
    "turtle": "text/turtle",
    "nt": "application/n-triples",
    "ntriples": "application/n-triples",
    "rdfxml": "application/rdf+xml",
    "rdf": "application/rdf+xml",
    "jsonld": "application/ld+json",
    "nq": "application/n-quads",
    "nquads": "application/n-quads",
    "trig": "application/trig",
    "html": "text/html",
}

#: other names clients use for the same media types
ALIASES = {
    "application/json": "application/sparql-results+json",
    "application/xml": "application/sparql-results+xml",
    "text/xml": "application/sparql-results+xml",
    "application/x-turtle": "text/turtle",
    "text/n3": "text/turtle",
    "text/plain": "application/n-triples",
    "application/x-trig": "application/trig",
}


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float
    order: int

    @property
    def specificity(self) -> int:
        return (self.type != "*") + (self.subtype != "*")

    def matches(self, media_type: str) -> bool:
        main, _, sub = media_type.partition("/")
        return self.type in ("*", main) and self.subtype in ("*", sub)


def parse_accept(header: str | None) -> list[MediaRange]:
    """Parse an Accept header; a missing or empty header accepts anything."""
    if not header or not header.strip():
        return [MediaRange("*", "*", 1.0, 0)]
    ranges = []
    for order, part in enumerate(header.split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if "/" not in media:
            continue
        media = ALIASES.get(media, media)
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
        main, _, sub = media.partition("/")
        ranges.append(MediaRange(main, sub, q, order))
    return ranges


def choose(offers: list[str], accept: str | None) -> str | None:
    """The offer the client prefers most, or None if it accepts none of them."""
    ranges = parse_accept(accept)
    best, best_key = None, None
    for index, offer in enumerate(offers):
        matching = [r for r in ranges if r.matches(offer)]
        if not matching:
            continue
        most_specific = max(matching, key=lambda r: (r.specificity, -r.order))
        if most_specific.q <= 0:
            continue
        key = (most_specific.q, most_specific.specificity, -index)
        if best_key is None or key > best_key:
            best, best_key = offer, key
    return best


def prefers_html(accept: str | None) -> bool:
    """A browser asks for text/html explicitly, ahead of (or equal to) anything else."""
    if not accept:
        return False
    ranges = parse_accept(accept)
    html = [r for r in ranges if r.type == "text" and r.subtype == "html" and r.q > 0]
    return bool(html) and html[0].q >= max(r.q for r in ranges if r.specificity == 2)
