"""Query guard: decides, before any engine sees a request, whether it may run on a read-only public endpoint.

Two things are refused here rather than left to the engines: updates (the endpoint is read-only) and
`SERVICE` calls to endpoints that are not on the allowlist (both pyoxigraph and rdflib would open the
connection). The check is lexical — strings, IRIs and comments are skipped, and `\\u` / `\\U` escapes are
decoded first, as SPARQL processes them before parsing — so a keyword hidden in a literal is not a false
alarm and an escaped keyword is not a way round.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

UPDATE_KEYWORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_TOKEN = re.compile(
    r"""
      (?P<ws>\s+)
    | (?P<comment>\#[^\n]*)
    | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<var>[?$][A-Za-z0-9_\u00B7-\uFFFF]+)
    | (?P<word>[A-Za-z_][A-Za-z0-9_\-.]*(?::[^\s{}()\[\];,]*)?|:[^\s{}()\[\];,]*)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


class ForbiddenQuery(Exception):
    """The request asks for something a read-only public endpoint does not do."""


@dataclass(frozen=True)
class Token:
    kind: str
    text: str


def decode_escapes(text: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)


def tokens(query: str) -> list[Token]:
    """The query's significant tokens (no whitespace or comments), after escape decoding."""
    found = []
    for match in _TOKEN.finditer(decode_escapes(query)):
        kind = match.lastgroup
        if kind not in ("ws", "comment"):
            found.append(Token(kind, match.group()))
    return found


@lru_cache(maxsize=4096)
def looks_like_update(query: str) -> bool:
    """True when the first keyword after the prologue (BASE / PREFIX) is an update operation."""
    toks = tokens(query)
    i = 0
    while i < len(toks):
        word = toks[i].text.upper() if toks[i].kind == "word" else None
        if word == "BASE":
            i += 2
        elif word == "PREFIX":
            i += 3
        else:
            return word in UPDATE_KEYWORDS
    return False


def service_targets(query: str) -> list[str]:
    """The endpoints a query's SERVICE clauses name: IRIs as written, a variable as '?var'."""
    return list(_service_targets(query))


@lru_cache(maxsize=4096)  # ready-made queries and repeated requests send the same text again and again
def _service_targets(query: str) -> tuple[str, ...]:
    toks = tokens(query)
    prefixes: dict[str, str] = {}
    targets = []
    for i, tok in enumerate(toks):
        if tok.kind != "word":
            continue
        word = tok.text.upper()
        if word == "PREFIX" and i + 2 < len(toks):
            prefixes[toks[i + 1].text.rstrip(":")] = toks[i + 2].text[1:-1]
        elif word == "SERVICE":
            j = i + 1
            if j < len(toks) and toks[j].text.upper() == "SILENT":
                j += 1
            target = toks[j] if j < len(toks) else Token("other", "")
            if target.kind == "iri":
                targets.append(target.text[1:-1])
            elif target.kind == "word" and ":" in target.text:
                prefix, _, local = target.text.partition(":")
                targets.append(prefixes.get(prefix, "") + local)
            else:
                targets.append(target.text or "?")
    return tuple(targets)


def check_services(query: str, allowlist: list[str]) -> None:
    """Raise ForbiddenQuery if the query calls a SERVICE that is not on the allowlist."""
    for target in service_targets(query):
        if target not in allowlist:
            raise ForbiddenQuery(
                f"SERVICE <{target}> is not allowed: this endpoint only federates with allowlisted endpoints"
                + (f" ({', '.join(allowlist)})" if allowlist else " (none are configured)")
            )
