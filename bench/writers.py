"""What pulling rows and writing SPARQL JSON cost in a query worker, in one process.

`python -m bench writers` opens the shipped graph's store as a worker does and, for each SELECT of the
workload (plus a whole-graph `SELECT *`, cut at the default cap of 10 000 rows), runs the query and writes
its answer three ways:
- **by name**: rows pulled by looking each value up by its variable's name, then our writer (`results`) —
  how the store read rows before;
- **ours**: rows pulled as tuples, then our writer — what the endpoint does;
- **engine**: pyoxigraph's own JSON writer, with no row cap and no row count — the floor a worker could
  reach if it handed the writing to the engine (the cap and `X-Result-Count` need both, so it does not).
All three give the same bytes when the cap is not reached (checked). The times include evaluating the query,
because the engine evaluates as rows are pulled. CPU time of this process, median of `rounds` alternating
measurements, so that the machine's drift hits every column alike.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from math import exp, log
from pathlib import Path

import pyoxigraph as ox

from server import prefixes, results
from server.dataset import prepare
from server.settings import Settings
from server.store import OXIGRAPH_DIR, OxigraphStore, QueryResult

from .workload import workload

JSON = "application/sparql-results+json"
#: the default row cap of the endpoint (`BALIKG_MAX_ROWS`)
CAP = 10_000
EXTRA = {"select-all (cut at 10 000 rows)": "SELECT * WHERE { ?s ?p ?o }"}
WAYS = ("by name", "ours", "engine")


@dataclass
class WriterCost:
    rows: int
    ms: dict[str, float]  # way → CPU milliseconds per answer


class _Writers:
    def __init__(self, directory: Path):
        self.ours = OxigraphStore(directory)
        self.engine = ox.Store.read_only(str(directory / OXIGRAPH_DIR))

    def write(self, way: str, text: str) -> bytes:
        if way == "ours":
            return results.serialize(self.ours.query(text), JSON, CAP).body
        answer = self.engine.query(text)
        if way == "engine":
            return answer.serialize(format=ox.QueryResultsFormat.JSON)
        names = [v.value for v in answer.variables]
        rows = (tuple(solution[name] for name in names) for solution in answer)
        return results.serialize(QueryResult("bindings", variables=names, rows=rows), JSON, CAP).body


def _cpu_ms(work, budget: float) -> float:
    """CPU milliseconds per call of `work`, over calls filling `budget` seconds of CPU."""
    started, calls = time.process_time(), 0
    while time.process_time() - started < budget:
        work()
        calls += 1
    return (time.process_time() - started) * 1000 / calls


def run(store_dir: Path, rounds: int, only: tuple[str, ...], budget: float = 0.15, log=print) -> dict[str, WriterCost]:
    """{query name: WriterCost} for the shipped graph, its store directory cached under `store_dir`."""
    writers = _Writers(prepare(Settings(store_dir=str(store_dir))).directory)
    queries = {item.name: prefixes.declare(item.text)[0] for item in workload() if not item.graph} | EXTRA
    costs = {}
    for name, text in queries.items():
        if only and name not in only:
            continue
        written = results.serialize(writers.ours.query(text), JSON, CAP)
        bodies = {way: writers.write(way, text) for way in ("by name", "engine")}
        if bodies["by name"] != written.body or (not written.truncated and bodies["engine"] != written.body):
            raise AssertionError(f"{name}: the writers disagree")
        samples: dict[str, list[float]] = {way: [] for way in WAYS}
        for _ in range(rounds):
            for way in WAYS:
                samples[way].append(_cpu_ms(lambda way=way: writers.write(way, text), budget))
        costs[name] = WriterCost(written.count, {way: statistics.median(samples[way]) for way in WAYS})
        log(f"  {name:40s} " + "  ".join(f"{way} {costs[name].ms[way]:7.2f} ms" for way in WAYS))
    return costs


def render(costs: dict[str, WriterCost], command: str) -> str:
    lines = [
        f"`{command}` — milliseconds of CPU per answer (query evaluated and written as SPARQL JSON), one process.",
        "",
        "| query | rows | rows by name | ours (rows as tuples) | engine's writer (no cap, no count) |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, cost in costs.items():
        lines.append(f"| {name} | {cost.rows} | " + " | ".join(f"{cost.ms[way]:.2f}" for way in WAYS) + " |")

    def change(way: str) -> str:
        ratio = exp(sum(log(c.ms[way] / c.ms["by name"]) for c in costs.values()) / len(costs))
        return f"{100 * (ratio - 1):+.1f} %"

    lines.append(f"| **geometric mean, change from by name** | | | {change('ours')} | {change('engine')} |")
    return "\n".join(lines) + "\n"
