"""The members' map (/map, /map.svg): drawn on the server as SVG, every member a link to its profile with a
tooltip, coloured as the ready-made queries answer (treaty-status on a date, the latest tip-tiers tier),
in English and Indonesian; bad parameters are 400s."""

import re
import xml.etree.ElementTree as ET

import pytest

from server import worldmap

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def english(client):
    """Pages remember a language chosen in the URL (a cookie on the shared client): start and end in English."""
    client.cookies.delete("lang")
    yield
    client.cookies.delete("lang")


def _rows(client, query: str, **params) -> list[dict]:
    r = client.get(f"/queries/{query}.json", params=params)
    assert r.status_code == 200, r.text
    return [{k: v["value"] for k, v in b.items()} for b in r.json()["results"]["bindings"]]


def _map(client, **params) -> ET.Element:
    r = client.get("/map.svg", params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("image/svg+xml")
    return ET.fromstring(r.content)


def _members(svg: ET.Element) -> dict[str, list[ET.Element]]:
    """Every member's links on the map (a shape, a dot or both), by ISO code."""
    found: dict[str, list[ET.Element]] = {}
    for link in svg.iter(SVG + "a"):
        found.setdefault(link.get("data-iso3"), []).append(link)
    return found


def _fills(link: ET.Element) -> set[str]:
    return {shape.get("fill") for shape in link if shape.tag in (SVG + "path", SVG + "circle")}


def _legend(html: str) -> dict[str, str]:
    """Legend label (without its count) → fill."""
    return {
        label: fill
        for fill, label in re.findall(
            r'<g class="legend-entry" data-fill="([^"]+)">.*?<text[^>]*>([^<]*) \(\d+\)</text>', html
        )
    }


@pytest.mark.parametrize("as_of", ["2008-12-31", "2015-12-31"])
def test_every_member_links_to_its_profile_coloured_as_treaty_status_answers(client, as_of):
    expected = {r["iso3"]: r for r in _rows(client, "treaty-status", instrument="tip-protocol", as_of=as_of)}
    page = client.get("/map", params={"instrument": "tip-protocol", "as_of": as_of})
    assert page.status_code == 200
    legend = _legend(page.text)
    words = {"party": "party", "signatory": "signatory", "not-party": "not a party", "unknown": "unknown"}
    members = _members(_map(client, instrument="tip-protocol", as_of=as_of))
    assert set(members) == set(expected)
    for iso3, links in members.items():
        row = expected[iso3]
        for link in links:
            assert link.get("href") == row["state"].replace("https://w3id.org/bali-process-kg", "")
            assert link.get("data-category") == row["status"]
            assert _fills(link) == {legend[words[row["status"]]]}, iso3
            title = link.find(SVG + "title").text
            assert title.startswith(f"{row['label']}: {words[row['status']]}")
    assert len({_fills(links[0]).pop() for links in members.values()}) > 1  # the map tells members apart


def test_indonesia_changes_colour_when_the_query_says_its_status_changed(client):
    # the two dates bracket Indonesia's TIP Protocol deposit, as the query itself dates it
    before, after = (
        next(r for r in _rows(client, "treaty-status", instrument="tip-protocol", as_of=d) if r["iso3"] == "IDN")
        for d in ("2008-12-31", "2015-12-31")
    )
    assert before["status"] != after["status"] and after["status"] == "party"
    fills = [
        _fills(_members(_map(client, instrument="tip-protocol", as_of=d))["IDN"][0])
        for d in ("2008-12-31", "2015-12-31")
    ]
    assert fills[0] != fills[1]


def test_every_member_is_visible_small_ones_as_dots(client):
    data = worldmap.shapes()
    members = _members(_map(client))
    for iso3 in members:
        assert iso3 in data["shapes"] or iso3 in data["points"], iso3
    # members absent from the 1:110m shapes (Nauru, Palau, Hong Kong …) are dots at points from the 1:50m data
    for iso3 in ("NRU", "PLW", "HKG", "MAC", "WSM", "TON", "KIR", "MDV", "SGP"):
        if iso3 in members:
            assert iso3 not in data["shapes"]
            assert any(link.find(SVG + "circle") is not None for link in members[iso3]), iso3


def test_the_tier_view_colours_each_member_by_its_latest_recorded_tier(client):
    latest: dict[str, tuple[str, str]] = {}
    for year in ("2015", "2016", "2017", "2018"):
        for row in _rows(client, "tip-tiers", year=year):
            latest[row["iso3"]] = (row["tier"], year)
    page = client.get("/map", params={"view": "tier"})
    assert "reports up to 2018" in page.text  # the newest report year recorded is the default
    legend = _legend(page.text)
    members = _members(_map(client, view="tier"))
    assert {iso3 for iso3 in members if iso3 in latest} == set(latest) & set(members)
    for iso3, links in members.items():
        tier, year = latest.get(iso3, ("none", ""))
        for link in links:
            assert link.get("data-category") == tier
            if tier != "none":
                assert _fills(link) == {legend[tier]}
                assert link.find(SVG + "title").text.endswith(f"({year} report)")
    # an earlier cut-off year gives that year's tiers
    early = _members(_map(client, view="tier", year="2015"))
    tiers_2015 = {r["iso3"]: r["tier"] for r in _rows(client, "tip-tiers", year="2015")}
    assert {iso3: links[0].get("data-category") for iso3, links in early.items() if iso3 in tiers_2015} == {
        iso3: tier for iso3, tier in tiers_2015.items() if iso3 in early
    }


def test_in_indonesian_names_and_statuses_are_indonesian(client):
    names = {r["iso3"]: r["label_id"] for r in _rows(client, "members") if "iso3" in r and "label_id" in r}
    statuses = {r["iso3"]: r["status"] for r in _rows(client, "treaty-status", instrument="untoc", as_of="2018-12-31")}
    words = {"party": "pihak", "signatory": "penandatangan", "not-party": "bukan pihak", "unknown": "tidak diketahui"}
    members = _members(_map(client, instrument="untoc", lang="id"))
    for iso3, links in members.items():
        assert links[0].find(SVG + "title").text.startswith(f"{names[iso3]}: {words[statuses[iso3]]}")
        assert links[0].get("href").endswith("?lang=id")
    page = client.get("/map", params={"lang": "id"})
    assert "<h1>Peta</h1>" in page.text and "Warnai menurut" in page.text


def test_the_page_is_small_self_contained_and_linked_from_home_and_nav(client):
    page = client.get("/map")
    assert page.status_code == 200
    assert len(page.content) < 300_000
    svg = re.search(r"<svg [^>]*class=\"world-map\".*?</svg>", page.text, re.S).group(0)
    # nothing in the map comes from another host
    assert re.findall(r'(?:href|src)="(https?:[^"]*)"', svg) == []
    assert "Natural Earth" in svg
    home = client.get("/").text
    assert 'href="/map"' in home
    assert re.search(r'<nav>.*href="/map".*</nav>', home, re.S)


@pytest.mark.parametrize(
    "params,message",
    [
        ({"view": "globe"}, "parameter 'view'"),
        ({"instrument": "kyoto"}, "parameter 'instrument'"),
        ({"as_of": "2018-02-30"}, "parameter 'as_of'"),
        ({"year": "18"}, "parameter 'year'"),
        ({"colour": "red"}, "unknown parameter 'colour'"),
    ],
)
@pytest.mark.parametrize("path", ["/map", "/map.svg"])
def test_bad_parameters_are_400s(client, path, params, message):
    r = client.get(path, params=params)
    assert r.status_code == 400
    assert message in r.text
