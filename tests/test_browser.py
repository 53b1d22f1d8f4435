"""The site in a real browser: Debian's Chromium driven by Playwright against a real `balikg serve`.
Screenshots are saved to test-artifacts/ for people to look at."""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("BALIKG_REQUIRE_BROWSER"),
    reason="Debian's chromium is not installed (.ci/run installs it and sets BALIKG_REQUIRE_BROWSER)",
)


@pytest.fixture(scope="module")
def page():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(60_000)
        yield page
        browser.close()


def test_home_switch_to_indonesian_and_open_indonesia(page, live_server):
    page.goto(live_server + "/")
    assert page.locator("h1").first.inner_text() == "Bali Process Knowledge Graph"
    for chart in ("parties", "status", "laws", "plans", "indonesia"):
        assert page.locator(f"#chart-{chart} svg").count() == 1, chart
    page.click("#lang-id")
    assert page.locator("h1").first.inner_text() == "Graf Pengetahuan Proses Bali"
    page.fill("#q", "Indonesia")
    page.click("form[role=search] button")
    page.screenshot(path=str(ARTIFACTS / "home-id.png"), full_page=True)
    page.click("#search-results a:text-is('Indonesia')")
    assert page.url.startswith(live_server + "/id/state/IDN")
    assert page.locator("#entity-name").inner_text() == "Indonesia"
    assert page.locator("a.source").count() > 5
    assert page.locator("a.wikidata").get_attribute("href") == "http://www.wikidata.org/entity/Q252"
    assert "Sumber" in page.content()  # interface still in Indonesian
    page.screenshot(path=str(ARTIFACTS / "indonesia-id.png"), full_page=True)


def test_run_a_ready_made_query_with_a_parameter_and_download_csv(page, live_server):
    page.goto(live_server + "/queries/tip-tiers?lang=en")
    page.fill("#param-year", "2017")
    page.click("#run")
    assert "year=2017" in page.url
    assert int(page.locator("#row-count").inner_text()) > 30
    assert page.locator("#results td", has_text="Tier 3").count() > 0
    page.screenshot(path=str(ARTIFACTS / "tip-tiers-2017.png"), full_page=True)
    with page.expect_download() as download:
        page.click("a.download:text-is('csv')")
    saved = ARTIFACTS / "tip-tiers-2017.csv"
    download.value.save_as(saved)
    assert saved.read_text(encoding="utf-8").splitlines()[0] == "state,label,iso3,tier,source"


def _collect_requests(page, base: str) -> list[str]:
    elsewhere: list[str] = []
    page.on("request", lambda r: elsewhere.append(r.url) if not r.url.startswith((base, "data:", "blob:")) else None)
    return elsewhere


def test_the_sparql_editor_runs_a_query_and_shows_errors_with_no_request_leaving_the_machine(page, live_server):
    elsewhere = _collect_requests(page, live_server)
    page.goto(live_server + "/sparql")
    page.wait_for_selector("#yasgui .CodeMirror")
    assert page.locator("#plain-editor").is_hidden()
    editor = page.locator("#yasgui .CodeMirror").first
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("SELECT * WHERE { ?s ?p ")
    page.click("#yasgui .yasqe_queryButton")
    page.wait_for_selector("#yasgui .yasr", state="visible")
    page.wait_for_function("document.querySelector('#yasgui .yasr').innerText.includes('SPARQL syntax error')")
    page.screenshot(path=str(ARTIFACTS / "sparql-error.png"), full_page=True)
    editor.click()
    page.keyboard.press("Control+A")
    # bp: is declared by the endpoint, not by the query
    page.keyboard.type("SELECT ?iso WHERE { ?s bp:iso3 ?iso } ORDER BY ?iso LIMIT 3")
    page.click("#yasgui .yasqe_queryButton")
    page.wait_for_selector("#yasgui .yasr table tbody tr")
    assert page.locator("#yasgui .yasr table tbody tr").count() == 3
    page.screenshot(path=str(ARTIFACTS / "sparql-editor.png"), full_page=True)
    assert elsewhere == []


def test_without_scripts_the_sparql_page_is_a_form_the_server_answers(page, live_server):
    context = page.context.browser.new_context(java_script_enabled=False)
    plain = context.new_page()
    plain.goto(live_server + "/sparql")
    plain.fill("#query", "SELECT * WHERE { ?s ?p ")
    plain.click("#run")
    assert "SPARQL syntax error: error at 1:" in plain.locator("#query-error").inner_text()
    plain.fill("#query", "SELECT ?iso WHERE { ?s bp:iso3 ?iso } ORDER BY ?iso LIMIT 3")
    plain.click("#run")
    assert plain.locator("#results tr").count() == 4
    context.close()


def test_the_api_documentation_works_offline(page, live_server):
    elsewhere = _collect_requests(page, live_server)
    page.goto(live_server + "/docs")
    page.wait_for_selector(".swagger-ui .opblock")
    assert page.locator(".swagger-ui .opblock").count() > 10
    page.screenshot(path=str(ARTIFACTS / "api-docs.png"))
    assert elsewhere == []


def test_the_map_renders_in_both_languages_and_links_to_profiles_with_no_request_leaving_the_machine(page, live_server):
    elsewhere = _collect_requests(page, live_server)
    page.goto(live_server + "/?lang=en")
    page.click("#nav-map")
    assert page.url.startswith(live_server + "/map")
    world = page.locator("#map svg.world-map")
    box = world.bounding_box()
    assert box["width"] > 600 and box["height"] > 250
    members = page.locator("#map a.member, #map a.dot")
    assert members.count() > 40
    assert page.locator("#map-legend .legend-entry").count() == 4
    # a member's tooltip names it and its status
    assert page.locator('#map a.member[data-iso3="IDN"] title').text_content().startswith("Indonesia: party")
    page.screenshot(path=str(ARTIFACTS / "map-en.png"), full_page=True)
    # the form redraws the map: the tier view
    page.select_option("#map-view", "tier")
    page.click("#map-show")
    page.wait_for_url("**/map?view=tier*")
    page.wait_for_selector("#map-legend .legend-entry")
    assert page.locator("#map-legend .legend-entry").count() > 4
    page.screenshot(path=str(ARTIFACTS / "map-tier-en.png"), full_page=True)
    page.click("#lang-id")
    page.wait_for_url("**lang=id*")
    assert page.locator("h1").first.inner_text() == "Peta"
    assert "Laporan TIP" in page.locator("#map-title").inner_text()
    page.screenshot(path=str(ARTIFACTS / "map-tier-id.png"), full_page=True)
    # a shape is a link to the member's profile, in the language chosen
    page.locator('#map a.member[data-iso3="AUS"] path').click()
    page.wait_for_url(live_server + "/id/state/AUS?lang=id")
    assert page.locator("#entity-name").inner_text() == "Australia"
    # a small member drawn as a dot links too
    page.goto(live_server + "/map?lang=id")
    page.locator('#map a.dot[data-iso3="NRU"] circle').click()
    page.wait_for_url(live_server + "/id/state/NRU?lang=id")
    page.goto(live_server + "/?lang=en")
    assert elsewhere == []
