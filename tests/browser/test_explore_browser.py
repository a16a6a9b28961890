"""The exploration pages in a real browser: a click on the map opens a country's profile, a row of the
projects table opens a project's page, a chart's Table, the metric explorer kept in the URL, offline.

Expected numbers come from plain SQL over the shipped extract (the `shipped` fixture), not from the app.
"""

from __future__ import annotations

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from impact.query import explore
from tests.browser.conftest import wait_for_app

WAIT = 60_000  # two cores shared with other test runs: be generous, never assert on time


def _open(page, app_url: str, path: str) -> None:
    """Go to a sub-page (the `page` fixture has already loaded `/`, so the server knows its pages)."""
    page.goto(f"{app_url}{path}", wait_until="networkidle")
    wait_for_app(page, timeout=WAIT)


def _tile(page, label: str) -> str:
    """The value of the KPI tile whose label is exactly `label` (waits until it is drawn)."""
    handle = page.wait_for_function(
        """(label) => {
            for (const tile of document.querySelectorAll('[data-testid=stMetric]')) {
                const name = tile.querySelector('[data-testid=stMetricLabel]');
                const value = tile.querySelector('[data-testid=stMetricValue]');
                if (name && value && name.innerText.trim() === label) return value.innerText.trim();
            }
            return null;
        }""",
        arg=label, timeout=WAIT,
    )
    return handle.json_value()


def _h1(page, text: str) -> None:
    """Wait until the page's title is `text`; fail showing what the title is."""
    try:
        page.wait_for_function(
            "(t) => [...document.querySelectorAll('h1')].some(h => h.innerText.trim() === t)", arg=text, timeout=WAIT
        )
    except PlaywrightTimeout:
        shown = page.locator("h1").all_inner_texts()
        raise AssertionError(f"expected the title {text!r}, the page shows {shown}") from None


def _url_has(page, *parts: str) -> None:
    page.wait_for_function(
        "(parts) => parts.every(p => location.search.includes(p))", arg=list(parts), timeout=WAIT
    )


def _grid_rows(grid) -> list[list[str]]:
    """Rows of a Glide data grid as text, read from its accessible table (the canvas itself is not readable).

    Glide keeps a `<table role="grid">` in the DOM beside the canvas for screen readers: the header row and
    the rows currently scrolled into view (about a dozen), with `aria-rowcount` = all rows + the header.
    """
    return grid.locator("table[role=grid]").evaluate(
        "t => [...t.rows].map(r => [...r.cells].map(c => c.innerText.trim()))"
    )


def _grid_rowcount(grid) -> int:
    return int(grid.locator("table[role=grid]").get_attribute("aria-rowcount"))


def _number(text: str) -> int:
    return int(text.replace(",", ""))


# ---- Countries: a click on the map ----------------------------------------------------------

# An interior point of an SVG path, in viewport coordinates: the point of a 19×19 grid over the path's
# bounding box that is inside its fill and nearest the box's centre (a country's box centre can fall
# outside a concave outline, or on a neighbour).
_INSIDE_POINT = """(path) => {
    const box = path.getBoundingClientRect();
    const toUser = path.getScreenCTM().inverse();
    let best = null;
    for (let i = 1; i < 20; i++) {
        for (let j = 1; j < 20; j++) {
            const x = box.left + box.width * i / 20, y = box.top + box.height * j / 20;
            const p = new DOMPoint(x, y).matrixTransform(toUser);
            if (!path.isPointInFill(p)) continue;
            const d = (i - 10) ** 2 + (j - 10) ** 2;
            if (best === null || d < best.d) best = {x, y, d};
        }
    }
    return best;
}"""


def _click_inside(page, path, until: str | None = None) -> None:
    """A real mouse click inside a map shape (see the comment in the test below for why not .click()).

    With `until` (a JavaScript condition), click again (at most three times) while it stays false: a map
    still settling (the page drawing above it shifts it) can take the first click at a stale point.
    """
    for attempt in range(3):
        wait_for_app(page, timeout=WAIT)
        path.scroll_into_view_if_needed()
        point = path.evaluate(_INSIDE_POINT)
        assert point is not None, "no point inside the country's outline"
        page.mouse.move(point["x"] - 4, point["y"] - 4)
        page.mouse.move(point["x"], point["y"], steps=4)
        page.mouse.click(point["x"], point["y"])
        if until is None:
            return
        try:
            page.wait_for_function(until, timeout=WAIT // 3 if attempt < 2 else WAIT)
            return
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            if path.count() == 0:  # the click was taken and the page is moving on: wait for it
                page.wait_for_function(until, timeout=WAIT)
                return


def test_a_click_on_the_overview_map_opens_the_country_page(page, app_url, shipped):
    iso3, name = shipped.rows(
        "select c.iso3, c.name from training t join countries c using (iso3) group by all "
        "order by sum(t.trainees) desc, c.name limit 1")[0]
    wait_for_app(page, timeout=WAIT)
    page.wait_for_selector(".choroplethlayer path", timeout=WAIT)
    _click_inside(page, page.locator(".choroplethlayer path").first,
                  until="() => location.pathname.endsWith('/countries')")
    _url_has(page, f"country={iso3}")
    _h1(page, name)


def test_a_click_on_the_map_opens_the_countrys_profile(page, app_url, shipped):
    iso3, name, trainees = shipped.rows(
        "select c.iso3, c.name, sum(t.trainees) as trainees from training t join countries c using (iso3) "
        "group by c.iso3, c.name having sum(t.trainees) > 0 order by trainees desc, c.name limit 1"
    )[0]
    _open(page, app_url, "/countries")
    page.wait_for_selector(".choroplethlayer path", timeout=WAIT)
    first = page.locator(".choroplethlayer path").first
    # The paths follow the trace's locations, i.e. the query order: most trainees first.
    assert first.evaluate("p => p.__data__.loc") == iso3
    assert page.locator(".choroplethlayer").first.evaluate(
        "layer => layer.closest('.js-plotly-plot').data[0].locations[0]") == iso3

    # `first.click()` never happens: Playwright's actionability check sees the geo subplot's background
    # rect (`g.layer.bg rect`, Plotly's drag/hover surface) on top of the path and retries until it times
    # out. Plotly does its own hit test on mouse events over that rect: a real mouse move then click at a
    # point inside the country's outline hovers it and emits plotly_click, which Streamlit turns into the
    # selection (on_select="rerun") -> navigation.choose_country_on_map -> ?country=<ISO3>.
    _click_inside(page, first, until=f"() => location.search.includes('country={iso3}')")

    _url_has(page, f"country={iso3}")
    _h1(page, name)
    assert _tile(page, "Health workers trained") == f"{trainees:,}"
    assert f"country={iso3}" in page.url


# ---- Partnerships: a row of the projects table, a deep link --------------------------------------

def test_selecting_a_row_of_the_projects_table_opens_the_project_page(page, app_url, shipped):
    project_id = shipped.scalar("select project_id from projects order by project_id limit 1")
    assert project_id == "HPS-001"
    title = shipped.scalar("select title from projects where project_id = ?", [project_id])
    trained = shipped.scalar("select coalesce(sum(trainees), 0) from training where project_id = ?", [project_id])
    projects = shipped.scalar("select count(*) from projects")

    _open(page, app_url, "/partnerships")
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.wait_for(timeout=WAIT)
    page.wait_for_function(
        "() => { const t = document.querySelector('[data-testid=stDataFrame] table[role=grid]');"
        " return t && t.rows.length > 1; }", timeout=WAIT,
    )
    rows = _grid_rows(grid)
    assert rows[0][0] == "Project id" and rows[1][0] == project_id  # ordered by project_id
    assert _grid_rowcount(grid) == projects + 1  # every project (no filter), plus the header row

    # The grid is a canvas: click the row-selection checkbox cell of the first data row (left edge,
    # below the ~35 px header row; rows are ~35 px high).
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 15, box["y"] + 35 + 17)

    _url_has(page, f"project={project_id}")
    _h1(page, title)
    assert _tile(page, "Health workers trained") == f"{trained:,}"


def test_a_link_to_a_project_opens_its_page_with_the_radar_chart(page, app_url, shipped):
    title = shipped.scalar("select title from projects where project_id = 'HPS-002'")
    scores = dict(shipped.rows("select principle, score from partnership_scores where project_id = 'HPS-002'"))
    assert scores, "HPS-002 has no scores in the shipped extract"

    _open(page, app_url, "/partnerships?project=HPS-002")
    _h1(page, title)
    # Plotly draws a Scatterpolar trace under .polarlayer (subplot "polar"), in its own .scatterlayer.
    page.wait_for_selector(".stPlotlyChart .polarlayer .scatterlayer .trace", timeout=WAIT)
    trace = page.locator(".polarlayer .scatterlayer .trace").first
    drawn = trace.evaluate(
        "t => { const d = t.closest('.js-plotly-plot').data.find(d => d.type === 'scatterpolar');"
        " return {r: Array.from(d.r), theta: Array.from(d.theta)}; }"
    )
    # one point per principle, and the first repeated to close the shape
    assert len(drawn["theta"]) == len(scores) + 1 and drawn["theta"][0] == drawn["theta"][-1]
    # long principle names may be wrapped onto several lines with <br> (Plotly's line break)
    assert {t.replace("<br>", " "): r for t, r in zip(drawn["theta"], drawn["r"])} == scores
    assert trace.locator(".point").count() == len(scores) + 1
    trained = shipped.scalar("select coalesce(sum(trainees), 0) from training where project_id = 'HPS-002'")
    assert _tile(page, "Health workers trained") == f"{trained:,}"


# ---- a chart's Table ----------------------------------------------------------------------------

def test_the_table_under_the_map_shows_its_numbers(page, app_url, shipped):
    expected = shipped.rows(
        "select c.iso3, c.name, c.region, sum(t.trainees) as trainees from training t join countries c using (iso3) "
        "group by all having sum(t.trainees) > 0 order by trainees desc, c.name"
    )
    _open(page, app_url, "/countries")
    page.wait_for_selector(".choroplethlayer path", timeout=WAIT)
    # drawing.chart keys the chart's Table expander f"{key}_table"; Streamlit gives its container the class
    # st-key-<key>.
    chart = page.locator(".stPlotlyChart").filter(has=page.locator(".choroplethlayer")).first
    numbers = page.locator(".st-key-country_map_table")
    assert chart.is_visible()
    assert numbers.locator("details").get_attribute("open") is None
    assert numbers.locator("[data-testid='stDataFrame']").count() == 0  # built when opened

    numbers.locator("summary").click()
    grid = numbers.locator("[data-testid='stDataFrame']")
    grid.wait_for(state="visible", timeout=WAIT)
    assert chart.is_visible()  # the numbers under the chart, the chart still there
    page.wait_for_function(
        "(g) => { const t = g.querySelector('table[role=grid]'); return t && t.rows.length > 3; }",
        arg=grid.element_handle(), timeout=WAIT,
    )
    assert _grid_rowcount(grid) == len(expected) + 1  # one row per country on the map, plus the header
    rows = _grid_rows(grid)
    assert rows[0] == ["ISO-3 code", "Country", "Region", "Health workers trained"]
    shown = [(r[0], r[1], r[2], _number(r[3])) for r in rows[1:4]]
    assert shown == [tuple(e) for e in expected[:3]]


# ---- the metric explorer ------------------------------------------------------------------------

def _plot_title(page) -> str:
    page.wait_for_selector(".stPlotlyChart .gtitle", timeout=WAIT)
    return page.locator(".stPlotlyChart .gtitle").first.text_content()


def test_explorer_choices_come_from_the_url_and_go_back_into_it(page, app_url, shipped):
    # The chart title is the explorer model's (impact.query.explore.View.title), e.g. "Volunteer days by
    # profession and location"; below it a subtitle with the filters.
    title = explore.View("volunteer_days", "profession", "location", chart="line").title
    assert title.startswith("Volunteer days by") and "profession" in title and "location" in title
    locations = [r[0] for r in shipped.rows("select distinct location from volunteering order by 1")]
    assert locations == ["Overseas", "UK"]
    by_profession = {
        (profession, location): days for profession, location, days in shipped.rows(
            "select profession, location, sum(volunteer_days) from volunteering group by all")
    }

    _open(page, app_url, "/explore?metric=volunteer_days&by=profession&split=location&chart=line")
    page.wait_for_function(
        "(t) => [...document.querySelectorAll('.stPlotlyChart .gtitle')].some(e => e.textContent.startsWith(t))",
        arg=title, timeout=WAIT,
    )
    assert _plot_title(page).startswith(title)
    assert page.locator(".stPlotlyChart .legendtext").all_text_contents() == locations
    drawn = page.locator(".stPlotlyChart").first.evaluate(
        "c => c.querySelector('.js-plotly-plot').data.map(t => ({type: t.type, name: t.name, fill: t.fill || null,"
        " stackgroup: t.stackgroup || null,"
        " x: Array.from(t.x), y: Array.from(t.y)}))"
    )
    assert [t["name"] for t in drawn] == locations
    # lines, not (stacked) areas
    assert all(t["type"] == "scatter" and t["fill"] in (None, "none") and not t["stackgroup"] for t in drawn)
    for trace in drawn:
        assert dict(zip(trace["x"], trace["y"])) == {
            p: d for (p, loc), d in by_profession.items() if loc == trace["name"]}

    # the widgets show the choices from the link
    assert page.get_by_role("combobox", name="Metric").input_value() == "Volunteer days"
    assert page.get_by_role("combobox", name="Group by").input_value() == "Volunteer profession"
    assert page.get_by_role("combobox", name="Split by").input_value() == "Volunteer location"
    control = page.get_by_role("radiogroup", name="Chart")  # st.segmented_control: a radio group
    assert control.get_by_role("radio", name="Line").get_attribute("aria-checked") == "true"

    control.get_by_role("radio", name="Area").click()
    _url_has(page, "chart=area", "metric=volunteer_days", "by=profession", "split=location")
    page.wait_for_function(
        "() => { const gd = document.querySelector('.stPlotlyChart .js-plotly-plot');"
        " return gd && gd.data.length && gd.data.every(t => t.stackgroup || (t.fill && t.fill !== 'none')); }",
        timeout=WAIT,
    )

    url = page.url
    page.goto(url, wait_until="networkidle")
    wait_for_app(page, timeout=WAIT)
    page.wait_for_function(
        "(t) => [...document.querySelectorAll('.stPlotlyChart .gtitle')].some(e => e.textContent.startsWith(t))",
        arg=title, timeout=WAIT,
    )
    assert _plot_title(page).startswith(title)
    control = page.get_by_role("radiogroup", name="Chart")
    assert control.get_by_role("radio", name="Area").get_attribute("aria-checked") == "true"
    assert "chart=area" in page.url and "metric=volunteer_days" in page.url


def test_the_explorer_draws_offline(offline_page, app_url, shipped):
    page = offline_page
    themes = dict(shipped.rows(
        "select p.theme, sum(t.trainees) from training t join projects p using (project_id) group by all"))
    _open(page, app_url, "/explore")
    title = explore.View().title  # the default view: health workers trained by theme, as bars
    page.wait_for_function(
        "(t) => [...document.querySelectorAll('.stPlotlyChart .gtitle')].some(e => e.textContent.startsWith(t))",
        arg=title, timeout=WAIT,
    )
    page.wait_for_selector(".stPlotlyChart .bars path", timeout=WAIT)
    drawn = page.locator(".stPlotlyChart").first.evaluate(
        "c => { const t = c.querySelector('.js-plotly-plot').data[0]; return {x: Array.from(t.x), y: Array.from(t.y)}; }"
    )
    assert dict(zip(drawn["y"], drawn["x"])) == themes  # horizontal bars: themes on y, trainees on x
    assert page.blocked == [], f"the page tried to reach the internet: {page.blocked}"
