"""The Markdown report: machine and versions, per-scale tables, ratios, geometric means, and the targets.

Ratios are ours ÷ theirs for throughput (higher is better for us) over the items that all compared
servers answered; an item whose answer sizes differ between servers is flagged, and kept out of no
average (the flag is the reader's cue to look). Measuring is the harness's job; this module only
formats what it returns.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import platform
import subprocess
from importlib.metadata import version

from . import servers
from .harness import ScaleRun

SHORT = {
    "balikg": "ours",
    "balikg-nocache": "ours-nc",
    "oxigraph": "ox-union",
    "oxigraph-materialised": "ox-mat",
    "rdflib-endpoint": "rdflib-ep",
}
OTHERS = ("oxigraph", "oxigraph-materialised", "rdflib-endpoint")


def geomean(values: list[float]) -> float | None:
    values = [v for v in values if v and v > 0]
    return math.exp(sum(map(math.log, values)) / len(values)) if values else None


def _fmt(value, digits=1, missing="—") -> str:
    return missing if value is None else f"{value:.{digits}f}"


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    memory = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal")) / 2**20
    try:
        oxigraph_cli = subprocess.run(
            [servers.executable("oxigraph"), "--version"], capture_output=True, text=True
        ).stdout.strip()
    except FileNotFoundError:
        oxigraph_cli = "oxigraph (not installed)"
    versions = ", ".join(
        f"{p} {version(p)}"
        for p in ("bali-process-kg", "pyoxigraph", "rdflib", "rdflib-endpoint", "fastapi", "uvicorn")
    )
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB RAM, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; {oxigraph_cli}; {versions}"
    )


def ratios(scale: ScaleRun, mine: str, other: str, ready_only: bool = False) -> list[float]:
    ours, theirs = scale.runs.get(mine), scale.runs.get(other)
    if not ours or not theirs:
        return []
    out = []
    for name, mine in ours.results.items():
        if ready_only and name.startswith("adhoc-"):
            continue
        them = theirs.results.get(name)
        if mine.throughput and them and them.throughput and them.throughput.rps > 0:
            out.append(mine.throughput.rps / them.throughput.rps)
    return out


def scale_section(scale: ScaleRun) -> str:
    names = list(scale.runs)
    lines = [f"### ×{scale.factor} — {scale.quads} quads", ""]
    if scale.generate_seconds is not None:
        lines.append(f"Generated in {scale.generate_seconds:.1f} s; N-Quads export {scale.export_seconds:.1f} s.\n")
    lines += [
        "| server | start-up (s) | first start, empty cache (s) | `oxigraph load` (s) | peak RSS serving (MB) "
        "| peak RSS first start (MB) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for run in scale.runs.values():
        if run.name == "balikg-nocache":  # the same process as balikg
            continue
        lines.append(
            f"| {run.name} | {_fmt(run.startup_seconds, 2)} | {_fmt(run.first_start_seconds, 1)} "
            f"| {_fmt(run.load_seconds, 1)} | {run.peak_rss / 2**20:.0f} "
            f"| {_fmt(run.first_start_rss and run.first_start_rss / 2**20, 0)} |"
        )
    head = " / ".join(SHORT[n] for n in names)
    lines += [
        "",
        f"Per query (values: {head}); ratios are our throughput without the result cache (ours-nc) ÷ theirs.",
        "",
        "| query | size (rows or triples) | p50 ms | p95 ms | req/s | "
        + " | ".join(f"÷ {SHORT[o]}" for o in OTHERS)
        + " |",
        "|---|---|---|---|---|---:|---:|---:|",
    ]
    items = list(next(iter(scale.runs.values())).results)
    for item in items:
        cells = [scale.runs[n].results[item] for n in names]
        sizes = [c.answer.size for c in cells]
        size = " / ".join("err" if s is None else str(s) for s in sizes)
        if len(set(sizes)) > 1:
            size += " ⚠ **differ**"
        p50 = " / ".join(_fmt(c.latency and c.latency.p50 * 1000) for c in cells)
        p95 = " / ".join(_fmt(c.latency and c.latency.p95 * 1000) for c in cells)
        rps = " / ".join(("≈" if c.estimated else "") + _fmt(c.throughput and c.throughput.rps) for c in cells)
        mine = scale.runs.get("balikg-nocache") and scale.runs["balikg-nocache"].results[item]
        ratio = []
        for other in OTHERS:
            them = scale.runs.get(other) and scale.runs[other].results[item]
            ok = mine and them and mine.throughput and them.throughput and them.throughput.rps > 0
            ratio.append(_fmt(ok and mine.throughput.rps / them.throughput.rps, 2))
        lines.append(f"| {item} | {size} | {p50} | {p95} | {rps} | " + " | ".join(ratio) + " |")
    throughput_means = " / ".join(
        _fmt(geomean([r.throughput.rps for r in scale.runs[n].results.values() if r.throughput])) for n in names
    )
    p50_means = " / ".join(
        _fmt(geomean([r.latency.p50 * 1000 for r in scale.runs[n].results.values() if r.latency]), 2) for n in names
    )
    lines.append(
        f"| **geometric mean** | | {p50_means} | | {throughput_means} | "
        + " | ".join(_fmt(geomean(ratios(scale, "balikg-nocache", o)), 2) for o in OTHERS)
        + " |"
    )
    lines += [
        "",
        "Throughput ratios, geometric mean over the workload:",
        "",
        "| ours | " + " | ".join(f"÷ {SHORT[o]}" for o in OTHERS) + " |",
        "|---|---:|---:|---:|",
    ]
    for mine, label in (
        ("balikg", "as served (ready-made routes, result cache)"),
        ("balikg-nocache", "every request distinct (no cache hits)"),
    ):
        lines.append(f"| {label} | " + " | ".join(_fmt(geomean(ratios(scale, mine, o)), 2) for o in OTHERS) + " |")
    failures = [
        f"{n} {i}: {r.answer.status} {r.answer.error}"
        for n in names
        for i, r in scale.runs[n].results.items()
        if r.answer.size is None
    ]
    if failures:
        lines += ["", "Failed requests (excluded from means):", ""] + [f"- {f}" for f in failures]
    return "\n".join(lines) + "\n"


def _verdict(ok: bool | None) -> str:
    return "not measured" if ok is None else ("met" if ok else "**missed**")


def targets(scales: list[ScaleRun]) -> str:
    by_factor = {s.factor: s for s in scales}
    rows = []
    real = by_factor.get(1)
    if real:
        ours = real.runs.get("balikg")
        for mine, how in (("balikg", "as served"), ("balikg-nocache", "no cache hits")):
            for other, goal in (("oxigraph", 0.8), ("oxigraph-materialised", 0.8), ("rdflib-endpoint", 20)):
                mean = geomean(ratios(real, mine, other))
                rows.append(
                    (
                        f"×1 throughput ({how}) ≥ {goal:g}× {other} (geomean)",
                        _fmt(mean, 2) + "×",
                        None if mean is None else mean >= goal,
                    )
                )
        rows += [
            (
                "×1 start-up ≤ 2 s (warm store cache)",
                _fmt(ours and ours.startup_seconds, 2) + " s",
                ours is not None and ours.startup_seconds <= 2,
            ),
        ]
    for factor in sorted(f for f in by_factor if f >= 10):
        ours = by_factor[factor].runs.get("balikg")
        if not ours:
            continue
        # Uncached: a cache hit would meet the latency goal whatever the engine does.
        uncached = by_factor[factor].runs.get("balikg-nocache") or ours
        ready = {n: r for n, r in uncached.results.items() if not n.startswith("adhoc-")}
        slowest = max(ready.items(), key=lambda kv: kv[1].latency.p50 if kv[1].latency else math.inf)
        p50 = slowest[1].latency.p50 * 1000 if slowest[1].latency else None
        label = "" if factor == 100 else f" (goal is for ×100; measured at ×{factor})"
        rows += [
            (
                f"×{factor} every ready-made query p50 < 200 ms (no cache hits){label}",
                f"slowest {slowest[0]} {_fmt(p50)} ms",
                p50 is not None and p50 < 200,
            ),
            (
                f"×{factor} cold start ≤ 30 s, empty cache{label}",
                _fmt(ours.first_start_seconds) + " s",
                ours.first_start_seconds is not None and ours.first_start_seconds <= 30,
            ),
            (
                f"×{factor} cold start ≤ 30 s, warm cache{label}",
                _fmt(ours.startup_seconds) + " s",
                ours.startup_seconds <= 30,
            ),
            (
                f"×{factor} peak RSS ≤ 500 MB, serving{label}",
                f"{ours.peak_rss / 2**20:.0f} MB",
                ours.peak_rss <= 500 * 2**20,
            ),
            (
                f"×{factor} peak RSS ≤ 500 MB, first start{label}",
                f"{(ours.first_start_rss or 0) / 2**20:.0f} MB",
                (ours.first_start_rss or 0) <= 500 * 2**20,
            ),
        ]
    lines = ["| target | measured | verdict |", "|---|---|---|"]
    lines += [f"| {name} | {value} | {_verdict(ok)} |" for name, value, ok in rows]
    return "\n".join(lines) + "\n"


def render(
    scales: list[ScaleRun], command: str, duration: float, reps: int, connections: int, *, interleaved: bool = False
) -> str:
    tool = (
        "wrk"
        if any(
            r.results and any(m.throughput and m.throughput.tool == "wrk" for m in r.results.values())
            for s in scales
            for r in s.runs.values()
        )
        else "asyncio httpx"
    )
    parts = [
        "## Latest results",
        "",
        f"- **Command:** `{command}`",
        f"- **Date:** {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"- **Machine:** {machine()}",
        f"- **Method:** latency from a sequential httpx client ({reps} requests, fewer when a query is slow); "
        f"throughput from {tool} with {connections} connections for {duration:g} s per query and server "
        "(≈ marks an estimate 1/p50 for a query too slow to complete one request per connection in that time); "
        + (
            "servers started together and measured in turn, query by query; "
            if interleaved
            else "servers run one at a time; "
        )
        + "ours is measured as served (`ours`) and with no result-cache hits (`ours-nc`); "
        "`Accept-Encoding: identity` everywhere.",
        "",
        "### Targets",
        "",
        targets(scales),
    ]
    parts += [scale_section(s) for s in scales]
    return "\n".join(parts)
