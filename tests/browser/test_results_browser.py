"""Results against targets in a real browser, as a person uses it: the programme's cards, another date chosen
in "Progress as of", the projects table filtered to the projects behind (B and C), a row opening the project's
page with its own targets.

Expected numbers come from plain DuckDB over the shipped extract (the `shipped` fixture) and the definition's
score bands read from data/programme.json, never from the app's code.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from tests.browser.conftest import wait_for_app

WAIT = 60_000  # two cores shared with other test runs: be generous, never assert on time
ROOT = Path(__file__).resolve().parents[2]
LATEST = "2019-03-31"  # the end of the last quarter with data (checked below)

# Every result row as (project, metric, quarter, value): training, volunteering and reported indicators.
RESULT_ROWS = """
    select project_id, 'trainees' as metric, period, trainees::double as value from training
    union all select project_id, 'volunteer_days', period, volunteer_days::double from volunteering
    union all select project_id, indicator, period, value::double from outcomes
"""


class Steps:
    """Prints how long each step took (a report, never an assertion)."""

    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()

    def done(self, step: str) -> None:
        now = time.perf_counter()
        print(f"[results browser] {step}: {now - self.last:.1f} s (total {now - self.start:.1f} s)", flush=True)
        self.last = now


def _definition() -> dict:
    return json.loads((ROOT / "data" / "programme.json").read_text(encoding="utf-8"))


def _score(percent: float, bands: list[dict]) -> str:
    """The band holding `percent` (a band holds its lower edge; the last has no upper edge)."""
    for band in bands:
        if percent >= band["from"] and (band.get("to") is None or percent < band["to"]):
            return band["score"]
    raise AssertionError(f"no band holds {percent}%")


def _labels(definition: dict) -> dict[str, str]:
    """Metric -> the label people read (the structural metrics' and the definition's indicators')."""
    labels = {"trainees": "Health workers trained", "volunteer_days": "Volunteer days"}
    labels.update({i["code"]: i["label"] for i in definition["indicators"]})
    return labels


def _project_end_results(shipped, bands: list[dict]) -> list[dict]:
    """Every project target at the latest data: the project has ended, so it is judged against its end target
    (its latest due date's value) at that due date, on the results up to it; % = actual / end target x 100 (no
    baselines in the shipped targets)."""
    rows = shipped.rows(f"""
        with e as (
            select project_id, metric, arg_max(target, due_date) as end_target, max(due_date) as end_due
            from targets where scope = 'project' group by all),
        a as (select e.project_id, e.metric, sum(r.value) as actual
              from e join ({RESULT_ROWS}) r using (project_id, metric) where r.period <= e.end_due group by all)
        select e.project_id, e.metric, coalesce(a.actual, 0) as actual, e.end_target, e.end_due
        from e left join a using (project_id, metric)
        order by e.project_id, e.metric""")
    out = []
    for project_id, metric, actual, end_target, end_due in rows:
        percent = actual * 100 / end_target
        out.append({"project_id": project_id, "metric": metric, "actual": actual, "end_target": end_target,
                    "end_due": end_due,
                    "percent": percent, "score": _score(percent, bands)})
    return out


def _programme_sentence_on_the_way(shipped, label: str, by: str, when: str, bands: list[dict], start: str) -> str:
    """'Health workers trained: 31,000 by December 2014, 310% of the 10,000 expected by then (on the way to 13,000
    by December 2015): A++.' at `by`, before the target's due date: what is expected runs in a straight line from
    zero at the programme's `start` to the target at its due date (the definition reads milestones so)."""
    (due, target), = shipped.rows("select due_date, target from targets where scope = 'programme' and "
                                  "metric = 'trainees'")
    day, first = dt.date.fromisoformat(by), dt.date.fromisoformat(start)
    assert first < day < due, "the date is not between the programme's start and the target's due date"
    expected = target * (day - first).days / (due - first).days
    actual = shipped.scalar("select sum(trainees) from training where period <= ?::date", [by])
    percent = actual * 100 / expected
    return (f"{label}: {actual:,.0f} by {when}, {percent:,.0f}% of the {expected:,.0f} expected by then (on the way "
            f"to {target:,.0f} by {due:%B %Y}): {_score(percent, bands)}.")


def _programme_sentence(shipped, label: str, by: str, when: str, bands: list[dict]) -> str:
    """'Health workers trained: 38,701 by December 2015, 298% of the 13,000 target: A++.' for the programme's
    one trainees target (due by `by`), counting every row of a quarter starting on or before `by`."""
    target = shipped.scalar("select target from targets where scope = 'programme' and metric = 'trainees'")
    due = shipped.scalar("select due_date from targets where scope = 'programme' and metric = 'trainees'")
    assert str(due) <= by, "the programme's trainees target is due after the date: the sentence would differ"
    actual = shipped.scalar("select sum(trainees) from training where period <= ?::date", [by])
    percent = actual * 100 / target
    return f"{label}: {actual:,.0f} by {when}, {percent:,.0f}% of the {target:,.0f} target: {_score(percent, bands)}."


# ---- page helpers ---------------------------------------------------------------------------------

def _open(page, app_url: str, path: str) -> None:
    """Go to a sub-page (the `page` fixture has already loaded `/`, so the server knows its pages)."""
    page.goto(f"{app_url}{path}", wait_until="networkidle")
    wait_for_app(page, timeout=WAIT)


def _url_has(page, *parts: str) -> None:
    page.wait_for_function("(parts) => parts.every(p => location.search.includes(p))", arg=list(parts),
                           timeout=WAIT)


# The bordered card holding the st.metric labelled `label`: its score and its whole text.
_CARD = """(label) => {
    for (const tile of document.querySelectorAll('[data-testid=stMetric]')) {
        const name = tile.querySelector('[data-testid=stMetricLabel]');
        const value = tile.querySelector('[data-testid=stMetricValue]');
        if (!name || !value || name.innerText.trim() !== label) continue;
        const card = tile.closest('[data-testid=stVerticalBlock]');
        return {score: value.innerText.trim(), text: card.innerText};
    }
    return null;
}"""


def _card_shows(page, label: str, sentence: str) -> dict:
    """Wait until the programme card `label` shows `sentence`; return its score and text."""
    page.wait_for_function(f"([label, s]) => {{ const c = ({_CARD})(label); return c && c.text.includes(s); }}",
                           arg=[label, sentence], timeout=WAIT)
    return page.evaluate(_CARD, label)


def _grid_cells(grid) -> dict[int, dict[str, str]]:
    """The data rows in view, by row index: {column heading: cell text} for the columns in view."""
    return {int(k): v for k, v in grid.locator("table[role=grid]").evaluate(
        """t => { const names = {}; for (const c of t.rows[0].cells) names[c.getAttribute('aria-colindex')] = c.innerText.trim();
            const out = {};
            for (const r of [...t.rows].slice(1)) {
                const cells = {};
                for (const c of r.cells) cells[names[c.getAttribute('aria-colindex')]] = c.innerText.trim();
                if (cells['Project id'] || cells['Score']) out[r.getAttribute('aria-rowindex')] = cells;
            }
            return out; }""").items()}


def _grid_rowcount(grid) -> int:
    return int(grid.locator("table[role=grid]").get_attribute("aria-rowcount"))  # every row + the header


def _scroll_grid(grid, left: str) -> None:
    """Scroll the grid sideways (`left`: 'start' or 'end'), as a person drags its scroll bar."""
    grid.evaluate("(g, left) => { const s = g.querySelector('.dvn-scroller');"
                  " s.scrollLeft = left === 'end' ? s.scrollWidth : 0; }", left)


def _wait_rowcount(page, selector: str, rows: int) -> None:
    page.wait_for_function(
        "([sel, n]) => { const t = document.querySelector(sel + ' table[role=grid]');"
        " return t && Number(t.getAttribute('aria-rowcount')) === n && t.rows.length > 1; }",
        arg=[selector, rows], timeout=WAIT)


def _choose_date(page, label: str, shown: str) -> None:
    """Pick `label` in "Progress as of": open the select box, type part of it to find it, click it."""
    box = page.get_by_role("combobox", name="Progress as of")
    box.click()
    box.fill(shown)
    page.get_by_role("option", name=label, exact=True).click()


# ---- the test -------------------------------------------------------------------------------------

def test_results_page_date_score_filter_and_a_project_behind(page, app_url, shipped):
    steps = Steps()
    definition = _definition()
    bands = definition["results"]["bands"]
    labels = _labels(definition)
    # At the latest data every project has ended: each is judged against its end target.
    assert str(shipped.scalar("select max(period) from training")) >= "2019-01-01"  # data up to 2019Q1
    assert str(shipped.scalar("select max(end_date) from projects")) <= LATEST
    judged = _project_end_results(shipped, bands)
    behind = [r for r in judged if r["score"] in ("B", "C")]
    assert behind and len(behind) < len(judged)
    # The programme's trainees target fell due at the end of 2015: at the latest data it is judged at its due date,
    # on the results up to then (THET's 38,701 by 2015, 298%), not the 93,112 of 2019 against it.
    latest_sentence = _programme_sentence(shipped, "Health workers trained", "2015-12-31", "December 2015", bands)
    dec_2014 = _programme_sentence_on_the_way(shipped, "Health workers trained", "2014-12-31", "December 2014",
                                              bands, definition["start"])
    assert latest_sentence == "Health workers trained: 38,701 by December 2015, 298% of the 13,000 target: A++."
    assert dec_2014.startswith("Health workers trained: ") and "expected by then" in dec_2014
    steps.done("independent expectations (DuckDB over data/*.parquet)")

    # 1. The Results page on the shipped data: four programme cards, each with its milestone chart drawn.
    programme_metrics = shipped.scalar("select count(distinct metric) from targets where scope = 'programme'")
    _open(page, app_url, "/results")
    page.wait_for_function("(n) => document.querySelectorAll('.stPlotlyChart .main-svg').length >= n",
                           arg=programme_metrics, timeout=WAIT)
    wait_for_app(page, timeout=WAIT)
    steps.done(f"open /results and draw its {programme_metrics} milestone charts")
    assert page.get_by_role("combobox", name="Progress as of").input_value() == "31 March 2019"
    card = _card_shows(page, "Health workers trained", latest_sentence)
    assert card["score"] == "A++"

    # 2. Another date, chosen in the select box: the card's sentence follows it, the link keeps it.
    _choose_date(page, "31 December 2014", "December 2014")
    _url_has(page, "asof=2014Q4")
    card = _card_shows(page, "Health workers trained", dec_2014)
    wait_for_app(page, timeout=WAIT)
    assert card["score"] == dec_2014.rsplit(": ", 1)[1].rstrip(".")
    assert page.get_by_role("combobox", name="Progress as of").input_value() == "31 December 2014"
    steps.done("choose 31 December 2014 in 'Progress as of'")

    # Back to the latest data (the default, so the link drops asof): the projects are judged at their end.
    _choose_date(page, "31 March 2019", "March 2019")
    page.wait_for_function("() => !location.search.includes('asof=')", timeout=WAIT)
    _card_shows(page, "Health workers trained", latest_sentence)
    wait_for_app(page, timeout=WAIT)
    steps.done("back to 31 March 2019")

    # 3. Only the projects behind: B then C in "Show scores".
    table = ".st-key-results_table [data-testid='stDataFrame']"
    grid = page.locator(table)
    grid.scroll_into_view_if_needed()
    _wait_rowcount(page, ".st-key-results_table", len(judged) + 1)  # every project indicator, plus the header
    scores = page.locator("[data-testid='stMultiSelect']", has_text="Show scores")
    scores.locator("input").click()
    page.get_by_role("option", name="B", exact=True).click()
    _url_has(page, "score=B")
    page.get_by_role("option", name="C", exact=True).click()  # the list stays open after a choice
    page.keyboard.press("Escape")
    _url_has(page, "score=B&score=C")
    _wait_rowcount(page, ".st-key-results_table", len(behind) + 1)
    wait_for_app(page, timeout=WAIT)
    steps.done(f"choose B and C in 'Show scores' ({len(behind)} of {len(judged)} project indicators)")

    by_label = {label: metric for metric, label in labels.items()}
    by_key = {(r["project_id"], r["metric"]): r for r in judged}

    def check_table() -> str:
        """Every row in view is a project indicator behind by the independent computation (score, % achieved,
        end target's due date); return the first row's project id. The grid is read in two halves: scrolled
        to its left edge, then to its right (its accessible table holds only the columns in view)."""
        grid.scroll_into_view_if_needed()
        left = _grid_cells(grid)
        _scroll_grid(grid, "end")
        page.wait_for_function(
            "(sel) => { const t = document.querySelector(sel + ' table[role=grid]');"
            " return t && [...t.rows[0].cells].some(c => c.innerText.trim() === 'Score'); }",
            arg=".st-key-results_table", timeout=WAIT)
        right = _grid_cells(grid)
        _scroll_grid(grid, "start")
        page.wait_for_function(
            "(sel) => { const t = document.querySelector(sel + ' table[role=grid]');"
            " return t && t.rows[0].cells[0].innerText.trim() === 'Project id'; }",
            arg=".st-key-results_table", timeout=WAIT)
        assert left and set(left) == set(right), (sorted(left), sorted(right))
        for index in sorted(left):
            row = {**left[index], **right[index]}
            record = by_key[(row["Project id"], by_label[row["Indicator"]])]
            assert row["Score"] == record["score"] and record["score"] in ("B", "C"), (row, record)
            assert abs(float(row["% achieved"]) - record["percent"] / 100) < 1e-9, (row, record)
            assert row["End target due"] == str(record["end_due"]), (row, record)  # a date, not epoch ms
        print(f"[results browser] checked the {len(left)} rows in view against the computation", flush=True)
        return left[min(left)]["Project id"]

    first = check_table()
    steps.done(f"read the table: only B and C, first row {first}")

    # The filter lives in the link: a reload keeps it (the multiselect shows B and C, the same rows).
    page.goto(page.url, wait_until="networkidle")
    wait_for_app(page, timeout=WAIT)
    _wait_rowcount(page, ".st-key-results_table", len(behind) + 1)
    assert parse_qs(urlparse(page.url).query).get("score") == ["B", "C"]
    chips = scores.inner_text()
    assert "Every score" not in chips and {"B", "C"} <= set(chips.split()), chips
    assert check_table() == first
    steps.done("reload: score=B&score=C kept")

    # 4. Selecting the first row (its checkbox, in the row-marker column at the grid's left edge, below the
    # ~35 px header; rows are ~35 px high) opens that project's page.
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 15, box["y"] + 35 + 17)
    page.wait_for_function("() => location.pathname.endsWith('/partnerships') && location.search.includes('project=')",
                           timeout=WAIT)
    project_id = parse_qs(urlparse(page.url).query)["project"][0]
    assert project_id == first
    mine = [r for r in judged if r["project_id"] == project_id]
    assert any(r["percent"] < 95 for r in mine), (project_id, mine)  # behind on at least one indicator
    page.get_by_role("heading", name="Against its targets").wait_for(timeout=WAIT)
    page.wait_for_selector("[class*='st-key-chart_results_'] .stPlotlyChart .main-svg", timeout=WAIT)
    wait_for_app(page, timeout=WAIT)
    steps.done(f"select the first row: {project_id}'s page with its targets and milestone chart")

    # Its page: a table of its indicators, one sentence per indicator (checked against the computation).
    heading = page.get_by_role("heading", name="Against its targets")
    tables = heading.locator("xpath=following::*[@data-testid='stDataFrame']")
    assert tables.count() >= 1
    page.wait_for_function(
        "(h) => { const t = [...document.querySelectorAll('[data-testid=stDataFrame]')]"
        ".find(d => h.compareDocumentPosition(d) & Node.DOCUMENT_POSITION_FOLLOWING);"
        " const g = t && t.querySelector('table[role=grid]'); return g && g.rows.length > 1; }",
        arg=heading.element_handle(), timeout=WAIT)
    assert _grid_rowcount(tables.first) == len(mine) + 1
    texts = [t.strip() for t in page.locator("[data-testid='stMain'] [data-testid='stMarkdownContainer']")
             .all_inner_texts()]
    expected = [f"{labels[r['metric']]}: {r['actual']:,.0f} by {r['end_due']:%B %Y}, {r['percent']:,.0f}% of the "
                f"{r['end_target']:,.0f} target: {r['score']}." for r in mine]
    for sentence in expected:
        assert sentence in texts, (sentence, [t for t in texts if t.endswith(".") and ": " in t])
    assert any(t.endswith((": B.", ": C.")) for t in texts)
    legend = page.locator("[class*='st-key-chart_results_'] .stPlotlyChart .legendtext").all_text_contents()
    assert "Milestones and target" in legend, legend
    steps.done("check the project's page")
