"""The Data page and hostile input in a real browser: a script-laden project title is shown as text and
runs nothing, hostile ?country= values change nothing, and an administrator imports by upload."""

from __future__ import annotations

import re

import pytest

from impact.app import auth
from impact.ingest import extract_io
from impact.reporting import returns
from impact.storage import store
from tests.browser.conftest import open_tab, press, start_server, upload, wait_for_app
from tests.data_helpers import make_store, read_rows, snapshot, write_rows

PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(2)>"
PASSWORD = "a long admin password for tests"


@pytest.fixture(scope="module")
def hostile_store(fixture_dir, tmp_path_factory):
    """A store whose active version has a project titled with a script/HTML payload."""
    root = make_store(fixture_dir, tmp_path_factory.mktemp("hostile_store"))
    exported = tmp_path_factory.mktemp("hostile_csv")
    extract_io.export_extract("csv", exported, store.open_store(root))
    rows = read_rows(exported / "projects.csv")
    rows[1][1] = PAYLOAD
    folder = tmp_path_factory.mktemp("hostile_in")
    write_rows(folder / "projects.csv", rows)
    assert extract_io.import_extract(folder, root).ok
    return root, exported


@pytest.fixture(scope="module")
def hostile_url(hostile_store):
    root, _ = hostile_store
    proc, url = start_server(root, {auth.HASH_ENV: auth.hash_password(PASSWORD)})
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def watched(browser, hostile_url):
    """A page on the hostile store that records every dialog (alert, confirm, prompt) it opens."""
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.goto(hostile_url, wait_until="networkidle")
    wait_for_app(page)
    yield page
    context.close()


def _choose(page, label: str, option: str) -> None:
    page.locator("[data-testid='stSelectbox']", has_text=label).first.click()
    page.get_by_role("option", name=option, exact=True).click()


def test_script_title_is_literal_text_and_runs_nothing(watched, hostile_url):
    page = watched
    page.goto(f"{hostile_url}/data", wait_until="networkidle")
    wait_for_app(page)
    open_tab(page, "Browse the data")
    _choose(page, "Table", "projects")
    # the grid draws on a canvas and mirrors each cell, as text, in an accessible table
    cell = page.locator("td[role='gridcell']", has_text="<script>alert(1)</script>")
    cell.first.wait_for(state="attached", timeout=20_000)
    assert cell.first.text_content().strip() == PAYLOAD
    page.wait_for_timeout(1000)
    assert page.locator("img[src='x']").count() == 0
    assert not page.locator("[data-testid='stException']").count()
    page.goto(hostile_url, wait_until="networkidle")  # the Overview on the same data
    wait_for_app(page)
    page.wait_for_selector("[data-testid='stMetric']")
    page.wait_for_timeout(1000)
    assert page.dialogs == []


def test_hostile_country_values_change_nothing(watched, hostile_url, hostile_store):
    from tests.conftest import Independent

    root, _ = hostile_store
    total = Independent(store.open_store(root).active().path).scalar("select sum(trainees) from training")
    page = watched
    query = ("country=%3Cscript%3Ealert(1)%3C%2Fscript%3E&country=%27%20OR%201%3D1%20--"
             "&country=UGA%27%3B%20DROP%20TABLE%20training%3B--&country=" + "A" * 3000 + "&country=%F0%9F%99%82")
    page.goto(f"{hostile_url}/?{query}", wait_until="networkidle")
    wait_for_app(page)
    page.wait_for_selector("[data-testid='stMetric']")
    tile = page.locator("[data-testid='stMetric']", has_text="Health workers trained").first
    assert tile.locator("[data-testid='stMetricValue']").inner_text() == f"{total:,}"
    assert not page.locator("[data-testid='stException']").count()
    assert not page.locator("[data-testid='stAlertContentError']").count()
    assert page.get_by_text(re.compile("Ignored unknown country")).count() >= 1
    assert "country=" not in page.url  # dropped values are not written back to the link
    assert page.dialogs == []


def _extract_uploader(page):
    """The Import tab's uploader (the Quarterly returns tab has one of its own)."""
    return page.locator("[data-testid='stFileUploader']").filter(has_text="Extract files")


def _sign_in(page, url: str) -> None:
    page.goto(f"{url}/data", wait_until="networkidle")
    wait_for_app(page)
    open_tab(page, "Import")
    assert page.locator("[data-testid='stFileUploader']").count() == 0
    page.get_by_label("Administrator password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    _extract_uploader(page).wait_for(timeout=20_000)


def test_admin_uploads_a_bad_then_a_good_file(watched, hostile_url, hostile_store, tmp_path):
    root, exported = hostile_store
    page = watched
    _sign_in(page, hostile_url)

    rows = read_rows(exported / "countries.csv")
    rows[3][0] = "XYZ"
    bad = write_rows(tmp_path / "countries.csv", rows)
    # The store's key for signing return workbooks is made the first time a page builds one (the signed-in Data page
    # may still be drawing its returns tab): make it now, so the snapshot compares the store's data alone.
    returns.return_key(store.open_store(root))
    before = snapshot(root)
    upload(page, _extract_uploader(page), bad)
    press(page.get_by_role("button", name="Check and import"))
    page.get_by_text(re.compile(r"problem\(s\) found in")).wait_for(timeout=30_000)
    assert snapshot(root) == before
    report = page.get_by_role("button", name="Download the report (CSV)")
    report.wait_for(timeout=30_000)  # drawn after the problem tables: wait for it, not for a fixed time
    assert report.count() == 1

    previous = store.open_store(root).active().version
    rows = read_rows(exported / "training.csv")
    rows[1][6] = str(int(rows[1][6]) + 1)
    good = write_rows(tmp_path / "good" / "training.csv", rows)
    _sign_in(page, hostile_url)  # a fresh session: an empty uploader
    upload(page, _extract_uploader(page), good)
    press(page.get_by_role("button", name="Check and import"))
    page.get_by_text(re.compile("No problems found")).wait_for(timeout=30_000)
    current = store.open_store(root).active().version
    assert current != previous
    assert store.read_manifest(store.open_store(root).version_path(current))["created_by"] == "administrator (password)"
    assert page.dialogs == []
