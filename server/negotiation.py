"""Negotiation: picks a response media type from an Accept header (with q-values) or a `format=` name.

Media types and the names of formats are declared in `formats`. Offers are listed in the server's order of preference; among media ranges the client weighs equally, the
more specific range wins (RFC 9110 §12.5.1), and among equal candidates the server's first offer wins.
`None` means nothing acceptable, which the caller turns into 406.
"""

from __future__ import annotations

from dataclasses import dataclass

from .formats import MEDIA_TYPE_ALIASES

#: at most this many media ranges are read from one Accept header (a client never needs more)
MAX_RANGES = 64


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
    for order, part in enumerate(header.split(",", MAX_RANGES)[:MAX_RANGES]):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if "/" not in media:
            continue
        media = MEDIA_TYPE_ALIASES.get(media, media)
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
