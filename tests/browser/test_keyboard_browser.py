"""Everything works from the keyboard alone: Tab / Shift+Tab / Enter / Space / arrow keys and typing.

The tests only press keys; they read the page (what has focus, what is shown) to know where they are.
"""

from __future__ import annotations

from tests.browser.axe import wait_until_drawn
from tests.browser.conftest import wait_for_app

MAX_TABS = 250

# What has the focus, in words: its role, its accessible label and text, and the widget it belongs to.
_FOCUSED = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return '';
    const widget = el.closest('[data-testid=stMultiSelect], [data-testid=stSelectbox]');
    const label = widget ? (widget.querySelector('[data-testid=stWidgetLabel]') || {}).innerText || '' : '';
    return [el.getAttribute('role') || el.tagName.toLowerCase(), el.getAttribute('aria-label') || '',
            (el.innerText || '').trim().slice(0, 80), label].join(' | ');
}"""


def focused(page) -> str:
    return page.evaluate(_FOCUSED)


def tab_to(page, wanted, *, backwards: bool = False) -> str:
    """Press Tab (or Shift+Tab) until the focused element's description satisfies `wanted`."""
    seen = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        now = focused(page)
        if wanted(now):
            return now
        seen.append(now)
    raise AssertionError(f"not reachable with the keyboard; focus went through: {seen[-40:]}")


def _start(page, url: str) -> None:
    page.goto(url, wait_until="networkidle")
    page.wait_for_selector(".stPlotlyChart .main-svg", timeout=60_000)
    wait_until_drawn(page)
    page.locator("body").focus()


def test_filter_tabs_download_and_add_to_deck_from_the_keyboard(page, app_url, shipped):
    _start(page, f"{app_url}/")
    # A sidebar filter: Tab to the Country box, type, Enter chooses, Escape closes the list.
    tab_to(page, lambda f: f.endswith("| Country"))
    page.keyboard.type("Uganda")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    page.wait_for_function("() => location.search.includes('country=UGA')", timeout=20_000)
    expected = shipped.scalar("select sum(trainees) from training where iso3 = 'UGA'")
    page.wait_for_function(
        "(v) => [...document.querySelectorAll('[data-testid=stMetricValue]')].some(e => e.innerText === v)",
        arg=f"{expected:,}", timeout=20_000,
    )
    wait_until_drawn(page)

    # A chart's table: Tab to the first chart's "Table" (an expander under it), Enter opens it; its grid is built when
    # it opens (a rerun): wait for it, with the focus kept on the expander.
    tab_to(page, lambda f: f.startswith("summary") and f.split(" | ")[2].endswith("Table"))
    page.keyboard.press("Enter")
    first_table = page.locator("[data-testid='stExpander']").first
    first_table.locator("[data-testid='stDataFrame']").first.wait_for(state="visible", timeout=20_000)
    wait_until_drawn(page)
    assert first_table.locator("details").get_attribute("open") is not None
    assert focused(page).startswith("summary") and "Table" in focused(page)

    # The Download menu: Tab to it (not the chart toolbar's "Download plot"), Enter opens it with the
    # focus on its first file, Tab reaches the next one, Escape closes it and returns to the button.
    tab_to(page, lambda f: f.startswith("button") and "Download" in f.split(" | ")[2])
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid='stPopoverBody']", timeout=10_000)
    page.wait_for_function(f"() => ({_FOCUSED})().includes('PNG (1920')", timeout=5_000)
    page.keyboard.press("Tab")
    assert "PNG 2×" in focused(page) and focused(page).startswith("button")
    page.keyboard.press("Escape")
    page.wait_for_selector("[data-testid='stPopoverBody']", state="hidden", timeout=10_000)
    page.wait_for_function(f"() => ({_FOCUSED})().includes('Download')", timeout=5_000)

    # Add to deck: the next stop after the Download button; Space presses it.
    # The menu's opening ran the script (its entries are drawn when it opens): press only once the app is idle, as a
    # press made while a run is still going can be lost on a busy machine (CI lost one).
    page.keyboard.press("Tab")
    assert "Add to deck" in focused(page)
    wait_for_app(page)
    assert "Add to deck" in focused(page)
    page.keyboard.press("Space")
    page.wait_for_selector("[data-testid='stToast']:has-text('Added to the deck')", timeout=30_000)


def test_country_profile_through_the_select_box_from_the_keyboard(page, app_url, shipped):
    _start(page, f"{app_url}/countries")
    tab_to(page, lambda f: f.endswith("| Or open a country's profile"))
    page.keyboard.type("Tanzania")
    page.keyboard.press("Enter")
    page.wait_for_function("() => location.search.includes('country=TZA')", timeout=20_000)
    page.wait_for_selector("h1:has-text('Tanzania')", timeout=20_000)
    # Back to all countries, from the keyboard too (Shift+Tab from the page's end reaches the button).
    page.locator("body").focus()
    tab_to(page, lambda f: "All countries" in f and f.startswith("button"))
    page.keyboard.press("Enter")
    page.wait_for_selector("h1:has-text('Countries')", timeout=20_000)
