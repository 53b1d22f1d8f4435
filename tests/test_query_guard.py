"""The query guard decides before any engine runs: updates, non-allowlisted SERVICE calls and too-deep nesting
are refused, whatever the spelling; nothing hidden in a string, an IRI or a comment is mistaken for a keyword;
and the lexer agrees with the engine's own parser, checked by a differential fuzz against pyoxigraph."""

import contextlib
import gc
import http.server
import random
import threading
import time

import pyoxigraph as ox
import pytest

from server.errors import Forbidden, QueryTooComplex
from server.query_guard import (
    CACHED_UP_TO,
    MAX_NESTING,
    check,
    check_nesting,
    check_services,
    is_read,
    lex,
    looks_like_update,
    read,
    service_targets,
)

EVIL = "http://127.0.0.1:8799/x"


@pytest.mark.parametrize(
    "query,targets",
    [
        ("SELECT * { SERVICE <http://a.example/sparql> { ?s ?p ?o } }", ["http://a.example/sparql"]),
        ("SELECT * { service silent <http://a.example/sparql> { } }", ["http://a.example/sparql"]),
        ("PREFIX e: <http://e.example/> SELECT * { SERVICE e:sparql { } }", ["http://e.example/sparql"]),
        ("SELECT * { SERVICE ?endpoint { } }", ["?endpoint"]),
        ("SELECT * { \\u0053ERVICE <http://escaped.example/> { } }", ["http://escaped.example/"]),
        ('SELECT * { ?s ?p "SERVICE <http://in-a-string.example/>" }', []),
        ("SELECT * { ?s ?p ?o } # SERVICE <http://in-a-comment.example/>", []),
        ("SELECT * { ?s <http://example.org/SERVICE> ?o . ?s ex:SERVICE ?o }", []),
        ("SELECT * { ?s a <http://www.w3.org/ns/sparql-service-description#Service> }", []),
        ("SELECT * { FILTER(?a < <http://x.example/>) }", []),
        # the long s upper-cases to S: read as SERVICE, the safe side (the engine's keywords are ASCII)
        ("SELECT * { \u017fERVICE <http://long-s.example/> { } }", ["http://long-s.example/"]),
    ],
)
def test_service_targets_are_found_in_every_spelling(query, targets):
    assert service_targets(query) == targets


@pytest.mark.parametrize(
    "query",
    [
        # a comment ended by a bare CR (the engine ends comments at CR or LF)
        f"SELECT * WHERE {{ #x\rSERVICE <{EVIL}> {{ ?s ?p ?o }} }}",
        # `<` as less-than after an operand, read by the old lexer as the start of an IRI
        f"PREFIX : <{EVIL}> SELECT * WHERE {{ FILTER(1<2)SERVICE:#>\n{{ ?s ?p ?o }} }}",
        # a prefixed name that swallowed what follows it
        f'SELECT * WHERE {{ ?x bp:iso3"IDN".SERVICE<{EVIL}>{{ ?s ?p ?o }} }}',
        # an escaped character in a local name is part of the name, not a comment
        f"SELECT * WHERE {{ ?s ex:a\\#b ?o SERVICE <{EVIL}> {{ }} }}",
        # a keyword glued to a colon reads as the keyword and the name `:`
        f"PREFIX : <{EVIL}> SELECT * WHERE {{ SERVICE SILENT:{{ }} }}",
    ],
)
def test_the_bypasses_found_by_the_hostile_probe_are_refused(query):
    assert EVIL in service_targets(query)
    with pytest.raises(Forbidden, match="not allowed"):
        check(query, [])


def test_allowlisted_service_passes_and_others_are_refused():
    query = "SELECT * { SERVICE <http://allowed.example/sparql> { ?s ?p ?o } }"
    check_services(query, ["http://allowed.example/sparql"])
    with pytest.raises(Forbidden, match="none are configured"):
        check_services(query, [])
    with pytest.raises(Forbidden, match="SERVICE <\\?endpoint> is not allowed"):
        check_services("SELECT * { SERVICE ?endpoint { } }", ["http://allowed.example/sparql"])


@pytest.mark.parametrize(
    "query,is_update",
    [
        ("INSERT DATA { <a> <b> <c> }", True),
        ("PREFIX x: <http://x/> BASE <http://b/> delete where { ?s ?p ?o }", True),
        ("LOAD <http://example.org/data.ttl>", True),
        ("WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", True),
        ("# INSERT in a comment\nSELECT * { ?s ?p ?o }", False),
        ('SELECT * { ?s ?p "DROP ALL" }', False),
        ("ASK {}", False),
    ],
)
def test_updates_are_recognised_after_the_prologue(query, is_update):
    assert looks_like_update(query) is is_update


@pytest.mark.parametrize("length", [500, CACHED_UP_TO + 500, 19_000])
def test_a_text_is_read_once_however_long(length):
    """One request reads its text several times (prefixes, nesting, updates, SERVICE): each after the first
    is a look-up, for short and long texts alike."""
    query = "SELECT * { ?s ?p ?o }" + " " * (length - 40) + f"# {length}"
    assert not is_read(query)
    first = read(query)
    assert is_read(query)
    assert read(query) is first


def test_nesting_past_the_limit_is_refused_with_the_limit_named():
    deep = "SELECT * WHERE { FILTER(" + "STR(" * (MAX_NESTING + 10) + "1" + ")" * (MAX_NESTING + 10) + ") }"
    with pytest.raises(QueryTooComplex, match=str(MAX_NESTING)):
        check_nesting(deep)
    fine = "SELECT * WHERE { FILTER(" + "(" * 20 + "1" + ")" * 20 + ") }"
    check_nesting(fine)
    assert read(fine).depth == 22


@pytest.mark.parametrize(
    "hostile",
    [
        '\\"' * 10_000,  # unterminated escaped quotes (quadratic in the old lexer)
        '"' + "a" * 20_000,  # one unterminated string
        "<" * 20_000,  # IRI starts that never end
        "'''" + "\\'" * 10_000,  # an unterminated long string full of escapes
        "ex:" + "a." * 10_000,  # a prefixed name that keeps going
        "(" * 20_000,  # nesting
    ],
)
def test_reading_is_linear_in_the_length_of_the_text(hostile):
    # Generous bound: the quadratic lexer took about 6 s on the first of these; linear takes 0.1–60 ms.
    # The CPU time of this thread alone, without garbage collection: other threads of the test process
    # (the in-process app's) once pushed the whole process's CPU time for "(" * 20 000 from 46 ms to 546 ms.
    gc.disable()
    try:
        started = time.thread_time()
        lex(hostile)
        took = time.thread_time() - started
    finally:
        gc.enable()
    assert took < 0.5


# ---- the lexer against the engine's own parse ----------------------------------------------------


class _Listener:
    """A SPARQL endpoint on loopback that counts the connections made to it."""

    def __init__(self):
        listener = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self):
                listener.hits += 1
                self.rfile.read(int(self.headers.get("content-length") or 0))
                body = b'{"head":{"vars":[]},"results":{"bindings":[{}]}}'
                self.send_response(200)
                self.send_header("content-type", "application/sparql-results+json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.hits = 0
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sparql"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


_PIECES = [
    "?s ?p ?o .",
    "FILTER(1<2)",
    "FILTER(?o<3)",
    "FILTER(?o<=?s)",
    "BIND(1<2 AS ?b)",
    "#c\r",
    "#c\n",
    "#<\r",
    "# SERVICE <{u}>\n",
    '?s e:p "x#y" .',
    '?s e:p """a"b""" .',
    "?s e:p 'x<y' .",
    "?s e:a\\#b ?o .",
    "?s e:a\\.b ?o .",
    "?s e:p ( 1 <{u}> ) .",
    '?s e:p "a"@en .',
    "?s e:p <{u}#x> .",
    "FILTER(?s=<{u}>)",
    "?s e:p 1.5e3 .",
    "FILTER(STR(?s)<STR(?o))",
    "OPTIONAL { ?s ?p ?o }",
    "FILTER NOT EXISTS { ?s <{u}> ?o }",
    "?s a e:C .",
    "[ e:p ?o ] .",
    "FILTER(?o IN (1,2))",
    "VALUES ?v { 1 2 }",
]
_GARBAGE = [" ", "\r", "#", "<", ">", "(", ")", '"', "'", ":", "\\", ".", ";", "e:", "1", "?s", "{", "}"]
_CALLS = [
    "SERVICE <{u}> {{ }}",
    "SERVICE :x {{ }}",
    "SERVICEe:x {{ }}",
    "SERVICE SILENT <{u}> {{ }}",
    "service<{u}>{{ }}",
    "\\u0053ERVICE <{u}> {{ }}",
    "SERVICE:{{ }}",
    "SERVICE SILENT:x{{ }}",
]


def _fuzzed_queries(url: str, count: int, seed: int = 21):
    rng = random.Random(seed)
    prologue = f"PREFIX : <{url}> PREFIX e: <{url.rsplit('/', 1)[0]}/> SELECT * WHERE {{ "
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 5)):
            parts.append(rng.choice(_PIECES) if rng.random() < 0.8 else rng.choice(_GARBAGE))
            parts.append(rng.choice([" ", "", "\n", "\r", "\t"]))
        parts.insert(rng.randint(0, len(parts)), rng.choice(_CALLS))
        body = "".join(parts).replace("{u}", url).replace("{{ }}", "{ }")
        yield prologue + body + " }"


def test_the_lexer_finds_every_service_call_the_engine_makes():
    """Differential fuzz: whenever pyoxigraph, running a generated query, connects to the loopback
    endpoint, the guard must have found a SERVICE target in that query."""
    store = ox.Store()
    engine_called = missed = 0
    with _Listener() as listener:
        for query in _fuzzed_queries(listener.url, 1500):
            before = listener.hits
            with contextlib.suppress(SyntaxError, OSError, RuntimeError, ValueError):
                list(store.query(query))
            if listener.hits > before:
                engine_called += 1
                if not service_targets(query):
                    missed += 1
                    print("missed:", repr(query))
    assert engine_called > 100, "the fuzz must reach the engine's SERVICE often enough to mean something"
    assert missed == 0


# ---- the federation layer, on its own ------------------------------------------------------------------


def test_with_an_allowlist_the_real_parse_refuses_what_the_lexer_might_miss():
    from server.federation import checked_text

    allowed = "http://allowed.example/sparql"
    # Whatever the lexer makes of it, the parse sees the SERVICE and its endpoint.
    hidden = f"PREFIX : <{EVIL}> SELECT ?s WHERE {{ ?a ?b ?c FILTER(1<2)SERVICE:#>\n{{ ?s ?p ?o }} }}"
    with pytest.raises(Forbidden, match="not allowed"):
        checked_text(hidden, [allowed])
    with pytest.raises(Forbidden, match="not allowed"):
        checked_text("SELECT ?s WHERE { ?a ?b ?c . SERVICE ?where { ?s ?p ?o } }", [allowed])
    text = checked_text(f"SELECT ?s WHERE {{ ?a ?b ?c . SERVICE <{allowed}> {{ ?s ?p ?o }} }}", [allowed])
    assert f"SERVICE <{allowed}>" in text
    assert ox.Store().query(text.replace(f"SERVICE <{allowed}>", "")) is not None  # it is SPARQL the engine parses
