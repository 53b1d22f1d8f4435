"""Both languages all the way: every interface string a template uses exists, in English and in Indonesian."""

import re
from pathlib import Path

import yaml

TEMPLATES = Path(__file__).resolve().parent.parent / "server" / "templates"
STRINGS = yaml.safe_load((TEMPLATES / "strings.yaml").read_text(encoding="utf-8"))


def test_every_string_has_an_english_and_an_indonesian_text():
    untranslated = sorted(key for key, texts in STRINGS.items() if not (texts.get("en") and texts.get("id")))
    assert untranslated == []


def test_every_string_a_template_uses_is_defined():
    used = set()
    for template in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"\bt\.([a-z_]+)\b", template.read_text(encoding="utf-8")))
        used |= set(re.findall(r"\bt\['([a-z_]+)'\]", template.read_text(encoding="utf-8")))
    assert sorted(used - set(STRINGS)) == []


def test_strings_built_from_values_exist_for_every_value():
    # entity.html builds keys from data values: statuses, ranks and the treaty table's instruments
    for key in (
        "status_party",
        "status_not_party",
        "status_signatory",
        "status_unknown",
        "rank_preferred",
        "rank_normal",
        "rank_deprecated",
        "instrument_untoc",
        "instrument_tip_protocol",
        "instrument_smuggling_protocol",
        "instrument_actip",
    ):
        assert key in STRINGS


def test_the_maps_strings_built_from_values_exist_for_every_value():
    # server/routers/map.py and map.html build keys from its views, statuses and tiers
    from server.routers.map import STATUS_COLOURS, TIER_COLOURS, VIEWS, _key

    keys = [f"map_view_{view}" for view in VIEWS]
    keys += ["status_" + _key(status) for status in STATUS_COLOURS]
    keys += ["tier_" + _key(tier) for tier in TIER_COLOURS]
    assert sorted(key for key in keys if key not in STRINGS) == []


def test_strings_the_charts_and_the_treaty_table_build_from_values_exist_for_every_value():
    from server.catalogue import Catalogue

    measures = next(p.enum for p in Catalogue().get("indicators").params if p.name == "measure")
    deposits = ("ratification", "accession", "acceptance", "approval", "succession", "deposit")
    keys = (
        [f"measure_{m.replace('-', '_')}" for m in measures]
        + [f"unit_{u}" for u in ("cases", "persons", "suspects", "not_stated")]
        + [f"deposit_{d}" for d in (*deposits, "territorial_application", "party_statement")]
        + [f"unplaced_{r}" for r in ("period", "range", "whole_year")]
    )
    assert [key for key in keys if key not in STRINGS] == []
