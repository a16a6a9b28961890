"""Every page passes an axe-core audit: no critical or serious violation (the counts are printed)."""

from __future__ import annotations

import pytest

from impact.charts import catalog
from tests.browser.axe import BLOCKING, audit, report, wait_until_drawn

PAGES = [
    ("overview", "/"),
    ("countries", "/countries"),
    ("partnerships", "/partnerships"),
    ("project", "/partnerships?project=HPS-002"),
    ("workforce", "/workforce"),
    ("volunteering", "/volunteering"),
    ("results", "/results"),
    ("explore", "/explore"),
    ("portfolio", "/portfolio"),
    ("present", "/present"),
    ("data", "/data"),
]


@pytest.mark.parametrize("name,path", PAGES, ids=[p[0] for p in PAGES])
def test_page_has_no_serious_accessibility_violation(page, app_url, name, path):
    page.goto(f"{app_url}{path}", wait_until="networkidle")
    violations = audit(page)
    print("\n" + report(name, violations))
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, report(name, blocking)


def test_a_chart_has_a_text_alternative_a_screen_reader_reaches(page, app_url):
    """Just before the chart a screen reader reads the chart's title, filters and caption, and where the numbers are."""
    page.goto(f"{app_url}/", wait_until="networkidle")
    page.wait_for_selector(".stPlotlyChart .main-svg", timeout=60_000)
    wait_until_drawn(page)
    chart = page.locator(".stPlotlyChart").first
    title = chart.locator(".gtitle").first.text_content()  # the drawn title (its first line, then the filters)
    caption = page.evaluate(
        """(chart) => { let el = chart.closest('[data-testid=stElementContainer]');
                        while (el && !el.querySelector('[data-testid=stCaptionContainer]')) el = el.nextElementSibling;
                        return el.querySelector('[data-testid=stCaptionContainer]').innerText; }""",
        chart.element_handle(),
    )
    spoken = page.evaluate(
        """(chart) => chart.closest('[data-testid=stElementContainer]').previousElementSibling
                          .querySelector('[data-testid=impact-chart-description]').innerText""",
        chart.element_handle(),
    )
    assert page.locator("[data-testid='impact-chart-description']").first.aria_snapshot() == f'- paragraph: "{spoken}"'
    expected = catalog.CHARTS["trainees_trend"].title  # the Overview's first chart
    assert title.startswith(expected)
    assert f"Chart: {expected}." in spoken
    assert "All projects, countries and periods" in spoken  # the filters, as in the drawn subtitle
    assert caption and caption in spoken
    assert "The numbers are in the Table under it." in spoken
    # Hidden on screen, not from assistive technology.
    box = page.locator("[data-testid='impact-chart-description']").first.bounding_box()
    assert box["width"] <= 1 and box["height"] <= 1
