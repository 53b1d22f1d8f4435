"""The docs tell the truth: README's commands are the ones CI runs, its settings table is the Settings class."""

import re
from pathlib import Path

from server.settings import Settings

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def _quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section, re.S)


def test_readme_has_exactly_two_quick_start_commands():
    install_and_serve, test = _quick_start_commands()
    assert install_and_serve.endswith("&& .venv/bin/balikg serve")
    assert test == ".venv/bin/python -m pytest"


def test_ci_runs_readmes_install_step_and_test_command():
    install_and_serve, test = _quick_start_commands()
    install = install_and_serve.removesuffix(" && .venv/bin/balikg serve")
    ci_lines = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()]
    assert install in ci_lines
    assert test in ci_lines
    assert ci_lines.index(install) < ci_lines.index(test)


def test_settings_table_matches_the_settings_class():
    rows = re.findall(r"^\| `BALIKG_([A-Z_]+)` \| (.+?) \| (.+?) \|$", README, re.M)
    documented = {name.lower(): (default, meaning) for name, default, meaning in rows}
    fields = Settings.model_fields
    assert set(documented) == set(fields)
    for name, field in fields.items():
        default, meaning = documented[name]
        assert meaning == field.description, name
        if field.default not in (None, []) and field.default_factory is None:
            # written as it is set in the environment (booleans as true/false)
            shown = str(field.default).lower() if isinstance(field.default, bool) else field.default
            assert default == f"`{shown}`", name


def test_seed_figures_doc_agrees_with_the_query_output():
    import csv

    golden = (REPO / "tests" / "golden" / "queries" / "seed-figures.csv").read_bytes().decode("utf-8")
    computed = {
        (r["claim"], r["counting_rule"]): (r["claimed_value"], r["computed_value"])
        for r in csv.DictReader(golden.splitlines())
    }
    doc = (REPO / "docs" / "seed-figures.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| ([a-z][^|]+?) \| (\d+) \| (\d+) \| (.+?) \|$", doc, re.M)
    assert {(claim, rule): (thesis, graph) for claim, thesis, graph, rule in rows} == computed


def test_sources_md_is_current(loaded_graph):
    from server.statistics import sources_markdown

    assert (REPO / "data" / "SOURCES.md").read_text(encoding="utf-8") == sources_markdown(loaded_graph)
