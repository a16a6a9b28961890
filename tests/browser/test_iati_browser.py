"""Issue 25 in a real browser: an administrator starts a programme from a funder's IATI file on the Data page,
reads the report (every activity, nothing written yet) and the home proposed from the file's publisher, names
another home, imports the activities that map and sees the new programme's projects on every page, which say what
is not reported yet and count its volunteers "from Germany"."""

from __future__ import annotations

import re

import pytest

from impact.app import auth
from impact.storage import store
from tests import iati_fixtures as fx
from tests.browser.conftest import admin_signs_in, enter, press, start_server, upload, wait_for_app
from tests.conftest import ROOT
from tests.data_helpers import make_store

PASSWORD = "an iati administrator password"
PROGRAMME = "funder-grants"
PAGES = ("overview", "countries", "partnerships", "workforce", "volunteering", "results", "explore", "present",
         "data")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = make_store(ROOT / "data", tmp_path_factory.mktemp("iati_browser") / "store")
    proc, url = start_server(root, {auth.HASH_ENV: auth.hash_password(PASSWORD)})
    yield root, url
    proc.terminate()
    proc.wait(timeout=10)


def test_an_administrator_starts_a_programme_from_an_iati_file(browser, served, tmp_path):
    root, url = served
    upload_path = tmp_path / "funder.xml"
    upload_path.write_bytes(fx.document())
    context = browser.new_context(viewport={"width": 1500, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.goto(url, wait_until="networkidle")
    wait_for_app(page)
    page.goto(f"{url}/data", wait_until="networkidle")
    wait_for_app(page)
    admin_signs_in(page, PASSWORD)

    page.get_by_text("a new programme started from the file").click()
    page.wait_for_timeout(500)  # the run the choice starts (it adds the boxes below), then idle
    wait_for_app(page)
    enter(page, page.get_by_role("textbox", name="New programme's id", exact=True), PROGRAMME)
    upload(page, page.locator("[data-testid='stFileUploader']").filter(has_text="IATI activity file"), upload_path)
    press(page.get_by_role("button", name="Check the IATI file"))  # enabled by the run the upload starts
    page.get_by_text(re.compile(r"7 activities read: \d+ map to projects")).wait_for(timeout=60_000)
    assert list(store.programmes(root)) == ["hps"]  # the report is read first: nothing written
    page.get_by_role("button", name="Download the activity report (CSV)").wait_for(timeout=30_000)  # after the table
    wait_for_app(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the activity report (CSV)").click()
    report = download.value.path().read_text(encoding="utf-8-sig")
    assert all(spec.identifier in report for spec in fx.ACTIVITIES)  # every activity, none left off
    # the home proposed: the publisher's (NL-KVK-…: the Netherlands); the manager names Germany and checks again
    page.get_by_text(re.compile(r"Home: Netherlands \(NLD\), read from the reporting organisation")).wait_for(
        timeout=30_000)
    enter(page, page.get_by_role("textbox", name="Home country", exact=True), "DEU")
    press(page.get_by_role("button", name="Check the IATI file"))
    page.get_by_text(re.compile(r"Home: Germany \(DEU\), as given")).wait_for(timeout=60_000)
    wait_for_app(page)
    press(page.get_by_role("button", name=re.compile(r"Import the \d+ activit")))
    page.get_by_text(re.compile("imported as version")).wait_for(timeout=60_000)
    assert sorted(store.programmes(root)) == [PROGRAMME, "hps"]
    projects = store.read_table(store.open_store(root, PROGRAMME).active().path, "projects").num_rows
    assert projects > 0
    home = store.load_definition(store.open_store(root, PROGRAMME).active().path).home
    assert (home.countries, home.home, home.overseas) == (("DEU",), "Germany", "Partner country")

    for name in PAGES:
        page.goto(f"{url}/{name}?programme={PROGRAMME}", wait_until="networkidle")
        wait_for_app(page, 60_000)
        assert not page.locator("[data-testid='stException']").count(), name
    page.goto(f"{url}/overview?programme={PROGRAMME}", wait_until="networkidle")
    wait_for_app(page, 60_000)
    tile = page.locator("[data-testid='stMetric']", has_text="Projects").first
    assert tile.locator("[data-testid='stMetricValue']").inner_text() == f"{projects:,}"
    assert page.get_by_text(re.compile("not reported yet")).count() >= 1
    assert page.locator("[data-testid='stMetric']", has_text="Volunteer days from Germany").count() == 1
    context.close()
