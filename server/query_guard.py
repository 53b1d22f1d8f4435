"""Query guard: decides, before any engine sees a query, whether it may run on a read-only public endpoint.

It refuses updates (the endpoint is read-only), `SERVICE` calls to endpoints off the allowlist, and queries
that nest deeper than the engines' parsers can safely follow. It reads the query with a small lexer of
its own, in one pass and in linear time (a query is at most `max_query_length` characters):

- `\\u` / `\\U` escapes are decoded first, as SPARQL does before parsing;
- strings, IRIs and comments are skipped (a comment ends at CR or LF), so a keyword inside them is not a
  false alarm; prefixed names follow the grammar's PN_LOCAL, escapes included, so a name never swallows
  what follows it;
- `<` is the less-than operator, not the start of an IRI, where an operand has just ended inside an
  expression (SPARQL's grammar admits no IRI there), and an IRI everywhere else.

The lexer is the first of two layers, and the one that gives a clear message. The second does not depend
on it: with an empty allowlist the query workers run without a network (see `isolation`); with a
non-empty one the worker parses the query for real and runs the text re-serialised from that parse (see
`federation`). `tests/test_query_guard.py` checks the lexer against the engine's own parse by fuzzing.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import NamedTuple

from .errors import Forbidden, QueryTooComplex

UPDATE_KEYWORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
#: deepest nesting of (, { and [ accepted; the engines' recursive parsers overflow their stack far deeper
MAX_NESTING = 128

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_PN_CHARS = _PN_CHARS_U + "\\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"(?:%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%])"
# PN_PREFIX? ':' PN_LOCAL?   (also matches blank node labels `_:x`)
_PREFIXED = re.compile(
    rf"(?:[{_PN_CHARS_BASE}_](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?)?:"
    rf"(?:(?:[{_PN_CHARS_U}:0-9]|{_PLX})(?:(?:[{_PN_CHARS}.:]|{_PLX})*(?:[{_PN_CHARS}:]|{_PLX}))?)?"
)
_KEYWORD = re.compile(rf"[{_PN_CHARS_BASE}_][{_PN_CHARS}]*")
_VAR = re.compile(rf"[?$][{_PN_CHARS_U}0-9][{_PN_CHARS_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?")
_LANGTAG = re.compile(r"@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*")
_IRI_FORBIDDEN = set('<>"{}|^`\\') | {chr(c) for c in range(0x21)}
#: whitespace, then perhaps one of the common tokens (it always matches), so most of a query is read by the
#: regex engine, not by Python
_TOKEN = re.compile(
    "[ \t\r\n]*(?:"
    + "|".join(
        f"(?P<{kind}>{pattern})"
        for kind, pattern in (
            ("special", "[#\"'<]"),
            ("var", _VAR.pattern),
            ("keyword", _KEYWORD.pattern),  # or the start of a prefixed name: see `lex`
            ("number", _NUMBER.pattern),
        )
    )
    + ")?"
)

#: keywords after which a `(` opens an expression (in a graph pattern, other parentheses are collections)
_EXPRESSION_OPENERS = {"FILTER", "BIND", "HAVING", "BY", "ASC", "DESC"}
#: clauses in which every parenthesis is an expression, up to the next `{` or WHERE
_EXPRESSION_CLAUSES = {"SELECT", "BY", "HAVING"}
_CLAUSE_ENDS = {"WHERE", "LIMIT", "OFFSET", "VALUES", "FROM"}
_OPERAND_WORDS = {"TRUE", "FALSE"}


class Token(NamedTuple):
    kind: str  # iri, string, var, number, name (a prefixed name), keyword, punct
    text: str
    #: where the token starts in the text after escape decoding (`decode_escapes`); -1 for derived tokens
    start: int = -1


@dataclass(frozen=True)
class Reading:
    """What the guard learned of a query in one pass."""

    tokens: tuple[Token, ...]
    depth: int


def decode_escapes(text: str) -> str:
    if "\\u" not in text and "\\U" not in text:
        return text
    return _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)


def _string_end(text: str, start: int) -> int:
    """The index after the string literal starting at `start` (the end of the text if unterminated)."""
    quote = text[start]
    if text.startswith(quote * 3, start):
        i = start + 3
        while True:
            j = text.find(quote * 3, i)
            if j < 0:
                return len(text)
            backslashes = 0
            k = j - 1
            while k >= i and text[k] == "\\":
                backslashes += 1
                k -= 1
            if backslashes % 2 == 0:
                end = j + 3
                while end < len(text) and text[end] == quote:  # '''a''''' ends at the last quotes
                    end += 1
                return end
            i = j + 1
    i = start + 1
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
        elif c == quote:
            return i + 1
        elif c in "\r\n":
            return i
        else:
            i += 1
    return len(text)


def _iri_end(text: str, start: int) -> int | None:
    """The index after the IRIREF starting at `start`, or None if no IRIREF starts there."""
    i = start + 1
    while i < len(text):
        c = text[i]
        if c == ">":
            return i + 1
        if c in _IRI_FORBIDDEN:
            return None
        i += 1
    return None


def _is_operand(token: Token | None) -> bool:
    if token is None:
        return False
    if token.kind in ("var", "string", "number", "iri", "name"):
        return True
    if token.kind == "keyword":
        return token.text.upper() in _OPERAND_WORDS
    return token.text in (")", "]")


#: texts up to this length are remembered by the hundred (ready-made queries and repeated requests send the
#: same text again and again); longer ones only while they are among the last few read — one request reads
#: its text several times (prefixes, nesting, updates, SERVICE) — so the memory held stays small and bounded
CACHED_UP_TO = 8_000


class _Remembered:
    """Readings of the most recent texts, least recently used first out (safe to share with the thread a long
    text is checked in)."""

    def __init__(self, size: int):
        self.size = size
        self._readings: OrderedDict[str, Reading] = OrderedDict()
        self._lock = threading.Lock()

    def __contains__(self, query: str) -> bool:
        return query in self._readings

    def get(self, query: str) -> Reading:
        with self._lock:
            reading = self._readings.get(query)
            if reading is not None:
                self._readings.move_to_end(query)
                return reading
        reading = lex(query)
        with self._lock:
            self._readings[query] = reading
            while len(self._readings) > self.size:
                self._readings.popitem(last=False)
        return reading


#: at most 512 × 8 000 characters (and their tokens), plus 4 texts of the longest accepted length: a few MB
_SHORT_TEXTS, _LONG_TEXTS = _Remembered(512), _Remembered(4)


def read(query: str) -> Reading:
    """What the guard learns of `query` (remembered, see CACHED_UP_TO)."""
    return (_SHORT_TEXTS if len(query) <= CACHED_UP_TO else _LONG_TEXTS).get(query)


def is_read(query: str) -> bool:
    """True when reading `query` again is a look-up, not a pass over the text."""
    return query in (_SHORT_TEXTS if len(query) <= CACHED_UP_TO else _LONG_TEXTS)


def lex(query: str) -> Reading:
    """Lex `query` in one linear pass: its significant tokens and its deepest nesting."""
    text = decode_escapes(query)
    found: list[Token] = []
    # what each open bracket is: "expr" (an expression), "list" (a collection), "group" ({ or [)
    stack: list[str] = []
    depth = 0
    clause = False  # inside SELECT / ORDER BY / GROUP BY / HAVING, before the next pattern
    i, n = 0, len(text)
    append = found.append
    while True:
        match = _TOKEN.match(text, i)
        kind = match.lastgroup
        i = match.start(kind) if kind else match.end()
        if i >= n:
            break
        c = text[i]
        # A prefixed name starts like a keyword, or with ':', and reaches a ':' through name characters and
        # dots; trying it only there spares the regex engine a failing, backtracking attempt at every word.
        if kind == "keyword" or c == ":":
            end = match.end() if kind else i
            if end < n and text[end] in ":.":
                name = _PREFIXED.match(text, i)
                if name:
                    match, kind = name, "name"
        if kind == "keyword":
            end = match.end()
            word = text[i:end]
            upper = word.upper()
            if upper in _EXPRESSION_CLAUSES:
                clause = True
            elif upper in _CLAUSE_ENDS:
                clause = False
            append(Token("keyword", word, i))
            i = end
            continue
        if kind in ("var", "name", "number"):
            end = match.end()
            append(Token(kind, text[i:end], i))
            i = end
            continue
        if c == "#":
            ends = [p for p in (text.find("\n", i), text.find("\r", i)) if p >= 0]
            i = min(ends) if ends else n
            continue
        if c in "\"'":
            end = _string_end(text, i)
            tag = _LANGTAG.match(text, end)
            if tag:
                end = tag.end()
            append(Token("string", text[i:end], i))
            i = end
            continue
        previous = found[-1] if found else None
        in_expression = bool(stack) and stack[-1] == "expr"
        if c == "<":
            end = None if (in_expression and _is_operand(previous)) else _iri_end(text, i)
            if end is not None:
                append(Token("iri", text[i:end], i))
                i = end
                continue
            append(Token("punct", "<", i))
            i += 1
            continue
        if c in "({[":
            if c == "(":
                before = previous.text.upper() if previous is not None else ""
                two_before = found[-2].text.upper() if len(found) > 1 else ""
                calls_function = previous is not None and previous.kind in ("keyword", "name", "iri")
                opens_expression = (
                    in_expression
                    or (clause and (not stack or stack[-1] == "group"))
                    or before in _EXPRESSION_OPENERS
                    or (calls_function and two_before in _EXPRESSION_OPENERS)
                )
                stack.append("expr" if opens_expression else "list")
            else:
                stack.append("group")
                if c == "{":
                    clause = False
            depth = max(depth, len(stack))
        elif c in ")}]" and stack:
            stack.pop()
        found.append(Token("punct", c, i))
        i += 1
    return Reading(tuple(found), depth)


def looks_like_update(query: str) -> bool:
    """True when the first keyword after the prologue (BASE / PREFIX) is an update operation."""
    toks = read(query).tokens
    i = 0
    while i < len(toks):
        word = toks[i].text.upper() if toks[i].kind == "keyword" else None
        if word == "BASE":
            i += 2
        elif word == "PREFIX":
            i += 3
        else:
            return word in UPDATE_KEYWORDS
    return False


def service_targets(query: str) -> list[str]:
    """The endpoints a query's SERVICE clauses name: IRIs as written, a variable as '?var'."""
    if "SERVICE" not in decode_escapes(query).upper():  # upper() maps more letters onto S, E, R, V, I, C
        return []  # than the engine's keyword matching does, so no SERVICE is missed
    toks = _split_keyword_prefixes(read(query).tokens)
    prefixes: dict[str, str] = {}
    targets = []
    for i, tok in enumerate(toks):
        if tok.kind != "keyword":
            continue
        word = tok.text.upper()
        if word == "PREFIX" and i + 2 < len(toks) and toks[i + 1].kind == "name" and toks[i + 2].kind == "iri":
            prefixes[toks[i + 1].text[:-1]] = toks[i + 2].text[1:-1]
        elif word == "SERVICE":
            j = i + 1
            if j < len(toks) and toks[j].text.upper() == "SILENT":
                j += 1
            target = toks[j] if j < len(toks) else Token("punct", "")
            if target.kind == "iri":
                targets.append(target.text[1:-1])
            elif target.kind == "name":
                prefix, _, local = target.text.partition(":")
                targets.append(prefixes.get(prefix, prefix + ":") + _unescape_local(local))
            else:
                targets.append(target.text or "?")
    return targets


def _split_keyword_prefixes(toks: tuple[Token, ...]) -> list[Token]:
    """The engine reads a keyword wherever one starts: `SERVICEe:x` is SERVICE and `e:x`, `SERVICE:` is
    SERVICE and `:`, `SERVICESILENT` is SERVICE SILENT. So a prefixed name that starts with SERVICE or
    SILENT is split (a prefix such as `services:` is then refused as a SERVICE target: the safe side)."""
    out: list[Token] = []
    for tok in toks:
        if tok.kind not in ("name", "keyword"):
            out.append(tok)
            continue
        rest = tok.text
        while True:
            upper = rest.upper()
            head = next((k for k in ("SERVICE", "SILENT") if upper.startswith(k)), None)
            if head is None or (":" not in rest and upper not in ("SERVICE", "SILENT", "SERVICESILENT")):
                break
            out.append(Token("keyword", rest[: len(head)]))
            rest = rest[len(head) :]
            if not rest:
                break
        if rest:
            out.append(Token("name" if ":" in rest else "keyword", rest))
    return out


def _unescape_local(local: str) -> str:
    return re.sub(r"\\(.)", r"\1", local)


def check_nesting(query: str) -> None:
    depth = read(query).depth
    if depth > MAX_NESTING:
        raise QueryTooComplex(
            f"the query nests brackets {depth} deep; this endpoint accepts at most {MAX_NESTING} levels"
        )


def check_services(query: str, allowlist: list[str]) -> None:
    """Raise Forbidden if the query calls a SERVICE that is not on the allowlist."""
    for target in service_targets(query):
        if target not in allowlist:
            raise Forbidden(
                f"SERVICE <{target}> is not allowed: this endpoint only federates with allowlisted endpoints"
                + (f" ({', '.join(allowlist)})" if allowlist else " (none are configured)")
            )


def check(query: str, allowlist: list[str]) -> None:
    """Every check of this module, in order: nesting, updates, SERVICE (the verdict on a short text is
    remembered, like its reading)."""
    key = (query, tuple(allowlist))
    known, refusal = remembered(query, allowlist)
    if not known:
        refusal = _judge(query, key[1])
        if len(query) <= CACHED_UP_TO:
            _VERDICTS[key] = refusal
            while len(_VERDICTS) > 512:
                _VERDICTS.popitem(last=False)
    if refusal is not None:
        raise refusal.with_traceback(None)  # a remembered refusal must not collect a traceback per raise


#: verdicts on short texts, least recently used first out (at most 512 × 8 000 characters)
_VERDICTS: OrderedDict[tuple[str, tuple[str, ...]], Forbidden | QueryTooComplex | None] = OrderedDict()


def remembered(query: str, allowlist: list[str]) -> tuple[bool, Forbidden | QueryTooComplex | None]:
    """(True, verdict) when this text was judged before — so a caller can skip a thread hop — else (False, None)."""
    key = (query, tuple(allowlist))
    if key in _VERDICTS:
        _VERDICTS.move_to_end(key)
        return True, _VERDICTS[key]
    return False, None


def _judge(query: str, allowlist: tuple[str, ...]) -> Forbidden | QueryTooComplex | None:
    try:
        check_nesting(query)
        if looks_like_update(query):
            raise Forbidden("read-only endpoint: SPARQL Update is not accepted here")
        check_services(query, list(allowlist))
    except (Forbidden, QueryTooComplex) as refusal:
        return refusal
    return None
