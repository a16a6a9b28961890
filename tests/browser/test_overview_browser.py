"""The Overview in a real browser: figures, offline map, a sidebar filter kept in the URL."""

from __future__ import annotations

from tests.browser.conftest import wait_for_app


def _tile(page, label: str) -> str:
    tile = page.locator("[data-testid='stMetric']", has_text=label).first
    return tile.locator("[data-testid='stMetricValue']").inner_text()


def test_overview_shows_published_total_and_offline_map(offline_page, shipped):
    page = offline_page
    wait_for_app(page)
    page.wait_for_selector("[data-testid='stMetric']")
    assert _tile(page, "Health workers trained") == "93,112"
    page.wait_for_selector(".choroplethlayer path", timeout=30_000)
    shapes = page.locator(".choroplethlayer path").count()
    countries = shipped.scalar("select count(distinct iso3) from training where trainees > 0")
    assert shapes == countries
    assert page.blocked == [], f"the page tried to reach the internet: {page.blocked}"


def test_country_filter_changes_tiles_and_url_and_survives_reload(page, shipped):
    wait_for_app(page)
    page.wait_for_selector("[data-testid='stMetric']")
    box = page.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect']", has_text="Country")
    box.locator("input").click()
    box.locator("input").fill("Uganda")
    page.keyboard.press("Enter")
    expected = shipped.scalar("select sum(trainees) from training where iso3 = 'UGA'")
    page.wait_for_function(
        "(v) => [...document.querySelectorAll('[data-testid=stMetricValue]')].some(e => e.innerText === v)",
        arg=f"{expected:,}", timeout=20_000,
    )
    page.wait_for_function("() => location.search.includes('country=UGA')", timeout=10_000)
    url = page.evaluate("location.href")
    page.goto(url, wait_until="networkidle")
    wait_for_app(page)
    page.wait_for_selector("[data-testid='stMetric']")
    assert _tile(page, "Health workers trained") == f"{expected:,}"
    assert "country=UGA" in page.evaluate("location.href")


def test_reset_clears_filters_and_url(page, shipped):
    page.goto(page.url.split("?")[0] + "?country=UGA&theme=Mental+health", wait_until="networkidle")
    wait_for_app(page)
    page.wait_for_selector("[data-testid='stMetric']")
    expected = shipped.scalar("select sum(trainees) from training t join projects p using (project_id) "
                              "where t.iso3 = 'UGA' and p.theme = 'Mental health'")
    assert _tile(page, "Health workers trained") == f"{expected:,}"
    page.locator("[data-testid='stSidebar']").get_by_role("button", name="Reset").click()
    page.wait_for_function(
        "(v) => [...document.querySelectorAll('[data-testid=stMetricValue]')].some(e => e.innerText === v)",
        arg=f"{shipped.scalar('select sum(trainees) from training'):,}", timeout=20_000,
    )
    page.wait_for_function("() => location.search === ''", timeout=10_000)


def test_a_programmes_own_breakdown_filters_the_page_and_the_link(page):
    """The second shipped programme declares age band on training (as data): its sidebar filter works like any."""
    from tests.conftest import ROOT, Independent

    gsp = Independent(ROOT / "data" / "programmes" / "gsp")
    page.goto(page.url.split("?")[0] + "?programme=gsp", wait_until="networkidle")
    wait_for_app(page)
    page.wait_for_selector("[data-testid='stMetric']")
    box = page.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect']", has_text="Age band")
    box.locator("input").click()
    box.locator("input").fill("Under 25")
    page.keyboard.press("Enter")
    expected = gsp.scalar("select sum(trainees) from training where age_band = 'Under 25'")
    page.wait_for_function(
        "(v) => [...document.querySelectorAll('[data-testid=stMetricValue]')].some(e => e.innerText === v)",
        arg=f"{expected:,}", timeout=20_000,
    )
    page.wait_for_function("() => location.search.includes('age_band=Under')", timeout=10_000)
    assert _tile(page, "Health workers trained") == f"{expected:,}"
