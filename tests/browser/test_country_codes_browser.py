"""A country is its code, its name a label, in a real browser: the metric explorer grouped by country draws names,
and choosing one of its countries opens that country's profile by its ISO-3 code (`?country=<ISO3>`).

Expected names and numbers come from plain SQL over the shipped extract (the `shipped` fixture), not from the app.
"""

from __future__ import annotations

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.conftest import wait_for_app
from tests.browser.test_explore_browser import WAIT, _h1, _open, _tile, _url_has


def test_the_explorer_by_country_draws_names_and_opens_a_country_by_its_code(page, app_url, shipped):
    expected = {name: trained for name, trained in shipped.rows(
        "select c.name, sum(t.trainees) from training t join countries c using (iso3) "
        "where c.region = 'East Africa' group by 1")}
    iso3, name, trained = shipped.rows(
        "select c.iso3, c.name, sum(t.trainees) from training t join countries c using (iso3) "
        "where c.region = 'East Africa' group by all order by c.name limit 1")[0]

    _open(page, app_url, "/explore?by=country&region=East+Africa")
    drawn = page.wait_for_function(
        """() => {
            const plot = [...document.querySelectorAll('.js-plotly-plot')].find(
                p => p.layout && p.layout.title && String(p.layout.title.text).startsWith('Health workers trained by country'));
            return plot && plot.data.length ? {y: [...plot.data[0].y], x: [...plot.data[0].x]} : null;
        }""", timeout=WAIT).json_value()
    assert dict(zip(drawn["y"], drawn["x"])) == expected  # the axis reads names, never codes

    box = page.locator("[data-testid='stSelectbox']", has_text="Open a country's profile").first
    for _ in range(10):  # a run still drawing the page remounts the box and closes a list opened meanwhile
        wait_for_app(page, WAIT)
        box.locator("button[aria-label='Open']").click()  # its own button: the box's middle may miss the input
        try:
            page.get_by_role("option").first.wait_for(timeout=3_000)
            break
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    page.get_by_role("option").first.wait_for(timeout=WAIT)
    options = page.get_by_role("option").all_inner_texts()
    assert sorted(o.strip() for o in options) == sorted(expected)
    page.get_by_role("option", name=name, exact=True).click()

    # The explorer keeps its own choices in its URL (country=<ISO3> too) before it switches page: wait for the
    # switch to the Countries page itself, not only for the code in the link (a busy machine showed the code while
    # still on /explore).
    try:
        page.wait_for_function("() => location.pathname.endsWith('/countries')", timeout=WAIT)
    except PlaywrightTimeout:
        raise AssertionError(f"the country's profile did not open: the page is at {page.url}") from None
    _url_has(page, f"country={iso3}")
    _h1(page, name)
    assert _tile(page, "Health workers trained") == f"{trained:,}"
