"""Quarterly returns in a real browser: a partner signs in on their project's page, downloads its workbook, sends
it back filled in, then opens the app on My projects and writes to the team about the return; an administrator
reads the comment and replies in the approval queue on the Data page, and approves it; the reporting heatmap and the
project's figures change (and not before the approval); the partner reads the reply on My projects."""

from __future__ import annotations

import re

import pytest

from impact.app import auth
from impact.ingest import validate
from impact.model import calendar
from impact.reporting import comments, partners, returns
from impact.storage import store
from tests.browser.conftest import admin_signs_in, open_tab, press, start_server, upload, wait_for_app
from tests.data_helpers import make_store, results_sql
from tests.test_returns import _changed_rows, fill, rows_of, write

ADMIN = "the programme team's long password"
PARTNER = "a partner's long password"
EMAIL = "ward.lead@example.org"
COMMENT = "We counted <b>two</b> wards *twice*: the figures are right."
REPLY = "Thank you, <i>noted</i>: we approve it."


@pytest.fixture(scope="module")
def returns_store(fixture_dir, tmp_path_factory):
    """A store in which one project's latest quarter is missing (its return was blank), and a partner account."""
    root = make_store(fixture_dir, tmp_path_factory.mktemp("returns_store"))
    conn = results_sql({name: fixture_dir / f"{name}.parquet" for name in returns.TABLES})
    project, period = conn.execute(
        "select project_id, max(period) from training group by project_id order by project_id limit 1").fetchone()
    ends = store.read_table(root, "projects").to_pandas().set_index("project_id").loc[project, "end_date"]
    assert calendar.quarter_range(period, ends)[-1] == period  # its last quarter: the page's default
    original = rows_of(root, project, period)
    blank = write(tmp_path_factory.mktemp("blank"), "blank.xlsx", returns.workbook(project, period, store.open_store(root)))
    assert returns.import_returns([blank], store.open_store(root), confirm_removals=True).ok
    partners.save_account(store.open_store(root), EMAIL, "Ward lead", [project], returns.project_ids(root), "test",
                          auth.hash_password(PARTNER))
    return root, project, period, original


@pytest.fixture(scope="module")
def returns_url(returns_store):
    proc, url = start_server(returns_store[0], {auth.HASH_ENV: auth.hash_password(ADMIN)})
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def _page(browser, url: str, path: str):
    context = browser.new_context(viewport={"width": 1500, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.goto(url, wait_until="networkidle")
    page.goto(f"{url}/{path}", wait_until="networkidle")
    wait_for_app(page)
    return context, page


def _partner_signs_in(page) -> None:
    page.get_by_text("Partner sign-in").click()
    page.get_by_label("E-mail").fill(EMAIL)
    page.get_by_role("textbox", name="Password").fill(PARTNER)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Download the reporting workbook").wait_for(timeout=30_000)


def _tile(page, label: str) -> str:
    tile = page.locator("[data-testid='stMetric']", has_text=label).first
    tile.wait_for(timeout=30_000)
    return tile.locator("[data-testid='stMetricValue']").inner_text()


def _heatmap_status(page, project: str, quarter: str) -> str:
    """The status the reporting heatmap shows for one project and quarter (read from the drawn figure)."""
    chart = page.locator("[data-testid='stPlotlyChart']", has_text="Returns by project and quarter").first
    chart.locator(".main-svg").first.wait_for(timeout=60_000)
    return chart.evaluate("""(el, [project, quarter]) => {
        const trace = el.querySelector('.js-plotly-plot').data[0];
        const row = Array.from(trace.y).indexOf(project), column = Array.from(trace.x).indexOf(quarter);
        return row < 0 || column < 0 ? 'absent' : trace.customdata[row][column];
    }""", [project, quarter])


def _reporting(page, url: str) -> None:
    page.goto(f"{url}/data", wait_until="networkidle")
    open_tab(page, "Reporting")


def test_a_partner_sends_a_return_and_an_administrator_approves_it(browser, returns_url, returns_store, tmp_path):
    root, project, period, original = returns_store
    quarter = calendar.quarter_label(period)
    context, page = _page(browser, returns_url, f"partnerships?project={project}")
    try:
        trained_before = _tile(page, "Health workers trained")
        assert page.get_by_role("button", name="Download the reporting workbook").count() == 0  # not signed in
        _partner_signs_in(page)
        button = page.get_by_role("button", name="Download the reporting workbook")
        with page.expect_download(timeout=60_000) as info:
            button.click()
        downloaded = tmp_path / info.value.suggested_filename
        info.value.save_as(downloaded)
        key = returns.return_key(store.open_store(root))
        found = returns.read_return(downloaded, downloaded.name, validate.Report(), key=key)
        assert (found.project, found.period) == (project, period)

        rows = _changed_rows(original, 0)
        rows["volunteering"] = original["volunteering"]
        filled = write(tmp_path / "filled", "our-return.xlsx", fill(downloaded.read_bytes(), rows))
        uploader = page.locator("[data-testid='stFileUploader']").filter(has_text="Your filled-in workbook")
        upload(page, uploader, filled)
        press(page.get_by_role("button", name="Send the return"))
        page.get_by_text(re.compile(f"Return for {quarter} received")).wait_for(timeout=60_000)
        version_sent = store.open_store(root).active().version
        wait_for_app(page)
        assert _tile(page, "Health workers trained") == trained_before  # not approved: no figure changed
        page.get_by_text(re.compile("waiting for the programme team's approval")).wait_for(timeout=30_000)

        # the app's address, signed in by the cookie, opens on My projects: the partner writes to the team
        page.goto(returns_url, wait_until="networkidle")
        wait_for_app(page)
        page.get_by_role("heading", name="My projects").wait_for(timeout=30_000)
        assert "my_projects" in page.url or page.url.rstrip("/") == returns_url.rstrip("/")
        page.get_by_text(f"The return for {quarter} (submitted)").first.wait_for(timeout=30_000)
        [sent] = partners.submissions(store.open_store(root), project)
        page.get_by_label("Your comment to the programme team").fill(COMMENT)
        page.get_by_role("button", name="Post the comment").click()
        page.get_by_text("Comment sent").wait_for(timeout=30_000)
        page.locator("[data-testid='stText']", has_text=COMMENT).first.wait_for(timeout=30_000)  # as text
        assert [(c.who, c.text) for c in comments.thread(store.open_store(root), sent.id)] == [(EMAIL, COMMENT)]
        page.goto(f"{returns_url}/partnerships?project={project}", wait_until="networkidle")
        wait_for_app(page)

        admin_context, admin = _page(browser, returns_url, "data")
        try:
            _reporting(admin, returns_url)
            assert _heatmap_status(admin, project, quarter) == "missing"
            admin_signs_in(admin, ADMIN)
            open_tab(admin, "Quarterly returns")
            admin.locator("[data-testid='stMultiSelect']", has_text="Returns to approve").first.click()
            admin.get_by_role("option", name=re.compile(f"^{project} {quarter}")).click()
            admin.keyboard.press("Escape")
            admin.get_by_role("button", name="Approve 1 return(s)").click()
            admin.get_by_text(re.compile(r"1 return\(s\) imported")).wait_for(timeout=90_000)
            wait_for_app(admin)  # the partner's comment on the return, in the queue's threads: the team replies
            admin.locator("[data-testid='stText']", has_text=COMMENT).first.wait_for(timeout=30_000)
            admin.get_by_label("Reply to the partner").fill(REPLY)
            admin.get_by_role("button", name="Post the reply").click()
            admin.locator("[data-testid='stText']", has_text=REPLY).first.wait_for(timeout=60_000)
            assert [c.role for c in comments.thread(store.open_store(root), sent.id)] == ["partner", "team"]
            assert store.open_store(root).active().version != version_sent
            _reporting(admin, returns_url)
            assert _heatmap_status(admin, project, quarter) == "reported late"  # sent years after its due date
        finally:
            admin_context.close()

        folder = store.open_store(root).active().path
        total = sum(r["trainees"] for r in store.read_table(folder, "training").to_pylist()
                    if r["project_id"] == project)
        viewer_context, viewer = _page(browser, returns_url, f"partnerships?project={project}")
        try:  # a public viewer's page, on the new version
            assert _tile(viewer, "Health workers trained") == f"{total:,}" != trained_before
            assert viewer.get_by_text("Every step of its returns").count() == 0  # for the partner and team
        finally:
            viewer_context.close()
        page.reload(wait_until="networkidle")  # a new session: the partner is still signed in (the cookie)
        wait_for_app(page)
        assert _tile(page, "Health workers trained") == f"{total:,}"
        page.get_by_text("Every step of its returns").wait_for(timeout=30_000)
        approved = page.locator("td[role='gridcell']", has_text=re.compile("^approved$"))
        approved.first.wait_for(state="attached", timeout=20_000)  # the grid mirrors its cells as text
        assert page.locator("td[role='gridcell']", has_text=EMAIL).count() >= 1
        page.goto(returns_url, wait_until="networkidle")  # My projects: the team's reply under the return
        wait_for_app(page)
        page.locator("[data-testid='stText']", has_text=REPLY).first.wait_for(timeout=30_000)
    finally:
        context.close()
