"""Importing a spreadsheet in its own shape, in a real browser: an administrator uploads the wide master sheet,
accepts the proposed mapping, confirms two near matches, reads the preview, imports (saving the recipe), and then
imports next quarter's sheet with the saved recipe in one step."""

from __future__ import annotations

import re

import pytest

from impact.app import auth
from impact.ingest import recipe as recipes
from impact.model import calendar
from impact.storage import store
from tests import sheet_fixtures as sf
from tests.browser.conftest import admin_signs_in, enter, press, start_server, upload, wait_for_app
from tests.data_helpers import make_store
from tests.test_mapping import expected_rows, version_rows

ADMIN = "a master sheet kept for years"


@pytest.fixture(scope="module")
def mapping_store(fixture_dir, tmp_path_factory):
    return make_store(fixture_dir, tmp_path_factory.mktemp("mapping_store"))


@pytest.fixture(scope="module")
def mapping_url(mapping_store):
    proc, url = start_server(mapping_store, {auth.HASH_ENV: auth.hash_password(ADMIN)})
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def _upload(page, nth: int, path) -> None:
    upload(page, page.locator("[data-testid='stFileUploader']").filter(has_text="Spreadsheet").nth(nth), path, 60_000)


def test_a_manager_imports_the_master_sheet_then_next_quarter_with_its_recipe(browser, mapping_url, mapping_store,
                                                                            fixture_dir, tmp_path):
    sheet = sf.master_sheet(fixture_dir)
    path = sf.write_xlsx(sheet, tmp_path / "master.xlsx")
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    page = context.new_page()
    try:
        page.goto(mapping_url, wait_until="networkidle")
        page.goto(f"{mapping_url}/data", wait_until="networkidle")
        wait_for_app(page, 60_000)
        admin_signs_in(page, ADMIN, 60_000)
        _upload(page, 0, path)
        page.get_by_text("Near matches to confirm").wait_for(timeout=60_000)
        wait_for_app(page)
        assert page.get_by_text(re.compile(r"Total row\(s\) 8 left out")).count() == 1
        boxes = page.locator("[data-testid='stCheckbox']", has_text="means")
        boxes.nth(1).wait_for(timeout=60_000)  # drawn after the heading: wait for both, not for a fixed time
        assert boxes.count() == 2
        for n in range(2):
            boxes.nth(n).locator("label").click()
            wait_for_app(page)
        enter(page, page.get_by_role("textbox", name="Save the recipe as"), "master")
        press(page.get_by_role("button", name="Preview"))
        page.get_by_text(re.compile("would be removed")).wait_for(timeout=60_000)
        wait_for_app(page)
        assert store.open_store(mapping_store).active().version == "base"  # the preview wrote nothing
        page.locator("[data-testid='stCheckbox']", has_text="Allow the import to remove these rows") \
            .locator("label").click()
        wait_for_app(page)
        press(page.get_by_role("button", name="Import", exact=True))
        page.get_by_text(re.compile("Imported as version")).first.wait_for(timeout=90_000)
        wait_for_app(page)
        first = store.open_store(mapping_store).active().version
        assert first != "base" and recipes.names(store.open_store(mapping_store)) == ["master"]
        ids = [p["project_id"] for p in sheet.projects]
        assert version_rows(mapping_store, first, ids, sheet.quarter).trainees.sum() == \
            expected_rows(path).trainees.sum()

        following = sf.master_sheet(fixture_dir, calendar.next_quarter(sheet.quarter), sheet.projects, seed=5)
        path2 = sf.write_xlsx(following, tmp_path / "next-quarter.xlsx")
        _upload(page, 1, path2)
        wait_for_app(page)
        page.locator("[data-testid='stCheckbox']", has_text="for the sheet's project quarters").locator("label").click()
        wait_for_app(page)
        press(page.get_by_role("button", name="Check and import").last, 60_000)
        page.wait_for_function("() => document.body.innerText.split('Imported as version').length > 2",
                               timeout=90_000)
        second = store.open_store(mapping_store).active().version
        assert second != first
        assert version_rows(mapping_store, second, ids, following.quarter).trainees.sum() == \
            expected_rows(path2).trainees.sum()
    finally:
        context.close()
