#!/usr/bin/env bash
# Opt-in (not in .ci/run): the remote-store path against Virtuoso open source (Debian's
# virtuoso-opensource, 7.2.5). Starts Virtuoso on loopback ports with a throw-away database, lets the
# anonymous SPARQL account update (only this throw-away instance), then runs the same checks the CI runs
# against Oxigraph server — every ready-made query's golden result and the W3C protocol suite, through
# `balikg load --to` and `balikg serve --store` — and prints each difference. Docs: docs/deploy.md.
# Usage: scripts/virtuoso.sh  (needs: apt-get install virtuoso-opensource; the project's .venv)
set -uo pipefail
cd "$(dirname "$0")/.."
command -v virtuoso-t >/dev/null || { echo "virtuoso-t not found: apt-get install virtuoso-opensource" >&2; exit 2; }
work=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
sql_port=$(free_port); http_port=$(free_port)
cat > "$work/virtuoso.ini" <<INI
[Database]
DatabaseFile = $work/virtuoso.db
ErrorLogFile = $work/virtuoso.log
LockFile = $work/virtuoso.lck
TransactionFile = $work/virtuoso.trx
xa_persistent_file = $work/virtuoso.pxa
Striping = 0
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = $work/virtuoso-temp.db
TransactionFile = $work/virtuoso-temp.trx
Striping = 0
[Parameters]
ServerPort = 127.0.0.1:$sql_port
DirsAllowed = ., $work
NumberOfBuffers = 20000
MaxDirtyBuffers = 12000
[HTTPServer]
ServerPort = 127.0.0.1:$http_port
ServerRoot = $work
ServerThreads = 10
[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 30
INI
virtuoso-t -f -c "$work/virtuoso.ini" > "$work/server.out" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 120); do
    curl -sf "http://127.0.0.1:$http_port/sparql?query=ASK%7B%7D" >/dev/null && break
    sleep 0.5
done
isql=$(command -v isql-vt || command -v isql)
"$isql" "127.0.0.1:$sql_port" dba dba exec='grant SPARQL_UPDATE to "SPARQL";' >/dev/null
echo "Virtuoso $(virtuoso-t -? 2>&1 | grep -m1 -o 'Version [0-9.]*') on 127.0.0.1:$http_port"
BALIKG_TEST_ENGINE_URL="http://127.0.0.1:$http_port/sparql" .venv/bin/python -m pytest -q -p no:cacheprovider \
    "tests/test_protocol_conformance.py" -k "remote" \
    "tests/test_remote_store.py::test_ready_made_results_through_the_engine_equal_the_golden_file" \
    "tests/test_remote_store.py::test_the_engine_sees_only_the_public_graphs" \
    "tests/test_remote_store.py::test_pages_and_descriptions_match_the_embedded_store" \
    -rf --tb=line "$@"
