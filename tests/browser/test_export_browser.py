"""Exports and the Present page in a real browser: a PNG download, and slides moved by the keyboard."""

from __future__ import annotations

import struct

from impact.charts import deck
from tests.browser.conftest import wait_for_app


def test_png_download_from_a_chart_menu(page, tmp_path):
    wait_for_app(page)
    page.wait_for_selector(".stPlotlyChart")
    page.locator("[data-testid='stPopover'] button", has_text="Download").first.click()
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="PNG (1920×1080)").first.click()
    download = info.value
    assert download.suggested_filename == "trainees_trend.png"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (1920, 1080)


def _slide_number(page, number: int, total: int) -> None:
    page.get_by_text(f"Slide {number} of {total}").wait_for(timeout=20_000)


def test_present_steps_through_slides_with_the_arrow_keys_offline(offline_page):
    page = offline_page
    wait_for_app(page)
    page.locator("[data-testid='stSidebarNav'] a", has_text="Present").click()
    wait_for_app(page)
    shipped = deck.default_deck()
    total = len(shipped.slides)
    _slide_number(page, 1, total)
    page.get_by_role("heading", name=shipped.slides[0].heading).wait_for()
    page.keyboard.press("ArrowRight")
    _slide_number(page, 2, total)
    page.get_by_role("heading", name=shipped.slides[1].heading).wait_for()
    page.wait_for_selector(".choroplethlayer path", timeout=30_000)  # the map slide draws offline
    page.keyboard.press("ArrowRight")
    _slide_number(page, 3, total)
    page.keyboard.press("ArrowLeft")
    _slide_number(page, 2, total)
    assert "slide=2" in page.url
    assert not [u for u in page.blocked if "plot.ly" in u or "cdn" in u]


def test_a_shared_present_link_opens_on_a_fresh_server(browser, shipped):
    from pathlib import Path

    from tests.browser.conftest import start_server

    custom = deck.Deck("Donors", (deck.Slide("trainees_by_theme", title="Training by theme"),
                                  deck.Slide("trainees_map")))
    proc, url = start_server(Path(__file__).resolve().parents[2] / "data")
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    try:
        page = context.new_page()
        page.goto(f"{url}/present?country=UGA&deck={custom.to_token()}", wait_until="networkidle")
        wait_for_app(page)
        _slide_number(page, 1, 2)
        page.get_by_role("heading", name="Training by theme").wait_for()
        # the app's own navigation and sidebar filters ran, with the filter from the link
        page.locator("[data-testid='stSidebarNav'] a", has_text="Overview").wait_for()
        uganda = shipped.scalar("select sum(trainees) from training where iso3 = 'UGA'")
        page.locator("[data-testid='stMetricValue']", has_text=f"{uganda:,}").wait_for(timeout=20_000)
    finally:
        context.close()
        proc.terminate()
        proc.wait(timeout=10)


def test_a_tables_own_csv_button_is_not_offered(page, app_url):
    """Streamlit's table toolbar would write cells from the data as they are (=Undisclosed a live formula): it
    offers no CSV download (client.disableDataExport); the page's own Download (neutralised) is the way out."""
    page.goto(f"{app_url}/partnerships", wait_until="networkidle")
    page.wait_for_selector("[data-testid='stDataFrame']", timeout=60_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    page.locator("[data-testid='stDataFrame']").first.hover()
    toolbar = page.locator("[data-testid='stElementToolbar'] button")
    toolbar.first.wait_for(state="visible", timeout=10_000)
    labels = [toolbar.nth(i).get_attribute("aria-label") for i in range(toolbar.count())]
    assert "Search" in labels and "Download as CSV" not in labels
