"""The Overview in a real browser: figures, offline map, a sidebar filter kept in the URL."""

from __future__ import annotations

from tests.browser.conftest import wait_for_app


def _tile(page, label: str) -> str:
    tile = page.locator("[data-testid='stMetric']", has_text=label).first
    return tile.locator("[data-testid='stMetricValue']").inner_text()


def _choose_in_sidebar(page, label: str, typed: str) -> None:
    """Type a value into the sidebar's multiselect `label` and press Enter."""
    box = page.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect']", has_text=label)
    box.locator("input").click()
    box.locator("input").fill(typed)
    page.keyboard.press("Enter")


def _wait_for_tile_value(page, value: str) -> None:
    page.wait_for_function(
        "(v) => [...document.querySelectorAll('[data-testid=stMetricValue]')].some(e => e.innerText === v)",
        arg=value, timeout=20_000,
    )


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
    _choose_in_sidebar(page, "Country", "Uganda")
    expected = shipped.scalar("select sum(trainees) from training where iso3 = 'UGA'")
    _wait_for_tile_value(page, f"{expected:,}")
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
    _wait_for_tile_value(page, f"{shipped.scalar('select sum(trainees) from training'):,}")
    page.wait_for_function("() => location.search === ''", timeout=10_000)


def test_a_programmes_own_breakdown_filters_the_page_and_the_link(page):
    """The second shipped programme declares age band on training (as data): its sidebar filter works like any."""
    from tests.conftest import ROOT, Independent

    gsp = Independent(ROOT / "data" / "programmes" / "gsp")
    page.goto(page.url.split("?")[0] + "?programme=gsp", wait_until="networkidle")
    wait_for_app(page)
    page.wait_for_selector("[data-testid='stMetric']")
    _choose_in_sidebar(page, "Age band", "Under 25")
    expected = gsp.scalar("select sum(trainees) from training where age_band = 'Under 25'")
    _wait_for_tile_value(page, f"{expected:,}")
    page.wait_for_function("() => location.search.includes('age_band=Under')", timeout=10_000)
    assert _tile(page, "Health workers trained") == f"{expected:,}"
