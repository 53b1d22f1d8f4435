"""The benchmark harness (bench/) stays runnable: its generator's output conforms to the shapes, its inlined
queries parse, and a very short run against all the real servers on loopback completes and agrees on
answer sizes. About a minute in all: the ×2 validation (~25 s) and our server's first start (~12 s) dominate.
"""

import pytest

from bench import harness, report, servers
from bench.generate import generate
from bench.workload import workload
from server.catalogue import Catalogue
from server.datafiles import DataLayout
from server.dataset import write_store_dir
from server.loader import load
from server.store import OxigraphStore
from server.validation import validate


def _data_triples(data_dir=None) -> int:
    loaded = load(DataLayout.for_data_dir(data_dir))
    return sum(loaded.triples_in(g) for g in loaded.data_graphs)


def test_generated_x2_conforms_and_doubles_the_graph(tmp_path):
    generate(2, tmp_path)
    loaded = load(DataLayout.for_data_dir(tmp_path))
    validation = validate(loaded)
    assert validation.conforms, validation.render()
    # The forum and the instruments are shared by every copy (their triples are not duplicated), so the
    # graph grows a little less than ×2: at least 1.9×, never more than 2×.
    ratio = sum(loaded.triples_in(g) for g in loaded.data_graphs) / _data_triples()
    assert 1.9 <= ratio <= 2.0


def _installed(name: str) -> bool:
    try:
        return bool(servers.executable(name))
    except FileNotFoundError:
        return False


def test_inlined_queries_answer_like_bound_ones(tmp_path):
    """The text sent to the other servers gives the same rows as our engine with bound parameters."""
    write_store_dir(load(DataLayout()), tmp_path)
    store = OxigraphStore(tmp_path)
    catalogue = Catalogue()
    for item in workload():
        query = catalogue.get(item.name)
        if query is None:
            continue
        values = {p.name: p.example for p in query.params}
        bound = {name: binding.to_term() for name, binding in query.bindings(values).items()}
        expected = store.query(query.body, bindings=bound)
        inlined = store.query(item.text)
        if item.graph:
            assert set(inlined.triples) == set(expected.triples), item.name
        else:
            project = lambda result: sorted(str(row[: len(query.columns)]) for row in result.rows)
            assert project(inlined) == project(expected), item.name


@pytest.mark.skipif(
    not (_installed("oxigraph") and _installed("rdflib-endpoint")),
    reason="pip install -e '.[bench]' for the other servers",
)
@pytest.mark.parametrize("interleave", [False, True], ids=["one-server-at-a-time", "interleaved"])
def test_smoke_run_against_every_server(tmp_path, interleave):
    settings = harness.Settings(
        scales=[1],
        duration=1,
        reps=3,
        connections=4,
        workdir=tmp_path,
        only=("tip-tiers", "adhoc-label-regex"),
        first_start=False,
        interleave=interleave,
        request_timeout=60,
    )
    lines = []
    (scale,) = harness.run(settings, log=lines.append)
    measured = [line.split()[1] for line in lines if line.startswith("  ") and "size=" in line]
    variants = len(servers.NAMES) + 1
    if interleave:  # every server answers the first query before any answers the second
        assert measured == ["tip-tiers"] * variants + ["adhoc-label-regex"] * variants
    else:  # each server answers both queries before the next starts
        assert measured == ["tip-tiers", "adhoc-label-regex"] * variants
    assert set(scale.runs) == {"balikg", "balikg-nocache", *servers.NAMES}
    for run in scale.runs.values():
        assert run.startup_seconds > 0 and run.peak_rss > 10 * 2**20
        assert set(run.results) == {"tip-tiers", "adhoc-label-regex"}
        for measured in run.results.values():
            assert measured.answer.size is not None, (run.name, measured.answer)
            assert measured.latency.p50 > 0 and measured.throughput.rps > 0
    for item in ("tip-tiers", "adhoc-label-regex"):
        assert len({run.results[item].answer.size for run in scale.runs.values()}) == 1
    text = report.render([scale], "python -m bench run --scale 1", 1, 3, 4, interleaved=interleave)
    assert ("measured in turn, query by query" in text) is interleave
    rows = scale.runs["balikg"].results["tip-tiers"].answer.size
    assert f"| tip-tiers | {' / '.join([str(rows)] * 5)} |" in text
    assert "### Targets" in text


@pytest.mark.skipif(not _installed("oxigraph"), reason="pip install -e '.[test]' for Oxigraph server")
def test_cost_splits_each_requests_cpu_between_our_processes_and_oxigraphs(tmp_path):
    from bench import cost

    costs = cost.run(tmp_path, duration=2, connections=2, only=("adhoc-label-regex",), log=lambda line: None)
    ours, theirs = costs["adhoc-label-regex"]
    assert ours.front_ms > 0 and ours.workers_ms > 0, "our front and our query workers both spend CPU"
    assert theirs.total_ms > 0 and theirs.workers_ms == 0, "Oxigraph server is one process"
    assert ours.rps > 0 and theirs.rps > 0
    table = cost.render(costs, "python -m bench cost", 2, 2)
    assert f"| adhoc-label-regex | {ours.front_ms:.2f} | {ours.workers_ms:.2f} |" in table


def test_writers_measures_three_ways_of_writing_the_same_answer(store_cache):
    from bench import writers

    costs = writers.run(store_cache, rounds=1, only=("adhoc-label-regex",), budget=0.01, log=lambda line: None)
    cost = costs["adhoc-label-regex"]
    assert cost.rows > 0 and all(cost.ms[way] > 0 for way in writers.WAYS)
    table = writers.render(costs, "python -m bench writers")
    assert f"| adhoc-label-regex | {cost.rows} | {cost.ms['by name']:.2f} | {cost.ms['ours']:.2f} |" in table
