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
    # numbers get a chart view, drawn by the page itself
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(
        "SELECT ?class (COUNT(?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class ORDER BY DESC(?n) LIMIT 5"
    )
    page.click("#yasgui .yasqe_queryButton")
    page.wait_for_selector("#yasgui .yasr table tbody tr")
    page.click("#yasgui .select_chart")
    page.wait_for_selector("#yasgui svg.result-chart")
    bars = page.locator("#yasgui svg.result-chart rect")
    assert bars.count() == 5
    widths = [float(bars.nth(i).get_attribute("width")) for i in range(5)]
    assert widths == sorted(widths, reverse=True) and widths[0] > widths[-1]
    page.screenshot(path=str(ARTIFACTS / "sparql-chart.png"), full_page=True)
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


#: every element's box against its text, and every SVG text against its picture, measured by the browser
OVERFLOW = """() => {
  const problems = [];
  const describe = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    ' "' + (el.textContent || '').trim().slice(0, 60) + '"';
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('svg') || ['SCRIPT', 'STYLE', 'TEMPLATE'].includes(el.tagName)) continue;
    const style = getComputedStyle(el);
    if (style.display === 'inline' || style.display === 'none' || el.getClientRects().length === 0) continue;
    if (['auto', 'scroll'].includes(style.overflowX)) continue;  // a box that scrolls on purpose
    if (!(el.textContent || '').trim()) continue;
    if (el.scrollWidth > el.clientWidth + 1) problems.push('overflows its box: ' + describe(el));
  }
  if (document.documentElement.scrollWidth > document.documentElement.clientWidth + 1)
    problems.push('the page scrolls sideways');
  for (const svg of document.querySelectorAll('svg[viewBox]')) {
    const box = svg.viewBox.baseVal;
    for (const text of svg.querySelectorAll('text')) {
      const b = text.getBBox();
      if (b.width === 0) continue;
      if (b.x < box.x - 0.5 || b.y < box.y - 0.5 || b.x + b.width > box.x + box.width + 0.5 ||
          b.y + b.height > box.y + box.height + 0.5)
        problems.push('outside its chart: "' + text.textContent.slice(0, 60) + '" ' +
          [b.x, b.y, b.width, b.height].map(Math.round).join(',') + ' in ' +
          [box.x, box.y, box.width, box.height].map(Math.round).join(','));
    }
  }
  return problems;
}"""


def test_the_overflow_check_sees_a_clipped_label_and_an_overflowing_box(page):
    page.set_content(
        '<div style="width:60px;white-space:nowrap">a label far too long for its box</div>'
        '<svg viewBox="0 0 100 20" width="100"><text x="90" y="15" font-size="12">cut at the right</text></svg>'
        '<svg viewBox="0 0 100 20" width="100"><text x="10" y="15" font-size="12" text-anchor="end">cut</text></svg>'
    )
    problems = page.evaluate(OVERFLOW)
    assert len(problems) == 3, problems


@pytest.mark.parametrize("lang", ["en", "id"])
@pytest.mark.parametrize("path", ["/", "/id/state/IDN", "/id/state/AUS", "/queries"])
def test_no_text_overflows_its_box_or_its_chart(page, live_server, path, lang):
    page.goto(f"{live_server}{path}?lang={lang}")
    assert page.evaluate(OVERFLOW) == []


def test_the_indicators_chart_draws_on_indonesias_profile(page, live_server):
    page.goto(live_server + "/id/state/IDN?lang=en")
    panels = page.locator("#chart-indicators .panel")
    assert panels.count() >= 5
    prosecutions = page.locator('#chart-indicators .panel[data-measure="prosecutions"]')
    assert prosecutions.locator("circle.point").count() == 4  # 2013, 2014 (AGO); 2017, 2018 (courts)
    assert prosecutions.locator("path").count() == 2  # two bodies, and no line across the missing years
    box = prosecutions.locator("svg").bounding_box()
    assert box["width"] > 250 and box["height"] > 150
    assert page.locator("#indicators-unplaced li").count() >= 1
    assert page.locator("#chart-indicators a.chart-csv").get_attribute("href") == "/queries/indicators.csv?state=IDN"
    page.screenshot(path=str(ARTIFACTS / "indonesia.png"), full_page=True)
    # the pictures in README (docs/img/) are these, copied by hand after a look: the profile down to its chart
    bottom = page.locator("#indicators").bounding_box()
    page.screenshot(path=str(ARTIFACTS / "indonesia-readme.png"), full_page=True, clip=_clip(page, bottom))
    page.goto(live_server + "/?lang=en")
    assert page.locator("#chart-indicators circle.point").count() > 10
    page.screenshot(path=str(ARTIFACTS / "home.png"), full_page=True)
    bottom = page.locator("#chart-laws").bounding_box()
    page.screenshot(path=str(ARTIFACTS / "home-readme.png"), full_page=True, clip=_clip(page, bottom))


def _clip(page, bottom: dict) -> dict:
    scrolled = page.evaluate("window.scrollY")
    return {"x": 0, "y": 0, "width": 1280, "height": bottom["y"] + scrolled + bottom["height"] + 16}
