"""Languages in a real browser: a French browser gets the French dashboard, a language chosen in the sidebar is
kept in the link and survives a reload, and another browser at the same time keeps its own language."""

from __future__ import annotations

from tests.browser.conftest import wait_for_app


def _tile(page, label: str) -> str:
    tile = page.locator("[data-testid='stMetric']", has_text=label).first
    return tile.locator("[data-testid='stMetricValue']").inner_text(timeout=30_000)


def _wait_for_tile(page, label: str) -> None:
    page.locator("[data-testid='stMetric']", has_text=label).first.wait_for(timeout=30_000)
    wait_for_app(page)


def test_a_french_browser_gets_french_and_a_chosen_language_stays_in_the_link(browser, app_url, shipped):
    trained = shipped.scalar("select sum(trainees) from training")
    french = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="fr-FR")
    english = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="en-GB")
    try:
        page = french.new_page()
        page.goto(app_url, wait_until="networkidle")
        _wait_for_tile(page, "Agents de santé formés")
        assert _tile(page, "Agents de santé formés") == f"{trained:,}".replace(",", "\u202f")
        assert page.get_by_role("heading", name="Programme de partenariats en santé").count() >= 1

        other = english.new_page()  # another session, at the same time, in its own language
        other.goto(app_url, wait_until="networkidle")
        _wait_for_tile(other, "Health workers trained")
        assert _tile(other, "Health workers trained") == f"{trained:,}"

        box = page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']", has_text="Langue")
        box.click()
        page.get_by_role("option", name="Español").click()
        page.wait_for_function("() => location.search.includes('lang=es')", timeout=20_000)
        _wait_for_tile(page, "Trabajadores de salud capacitados")
        assert _tile(page, "Trabajadores de salud capacitados") == f"{trained:,}".replace(",", ".")

        page.goto(page.url, wait_until="networkidle")  # the link keeps the choice over the browser's French
        _wait_for_tile(page, "Trabajadores de salud capacitados")
        assert "lang=es" in page.url

        other.reload(wait_until="networkidle")
        _wait_for_tile(other, "Health workers trained")
        assert _tile(other, "Health workers trained") == f"{trained:,}"
    finally:
        french.close()
        english.close()
