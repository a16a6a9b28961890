"""An administrator imports a bad extract on the Data page in French, in a real browser: the refusal, each problem's
message and the report's CSV are in French, naming the same file, rows, columns, values and rules as the English
report, and nothing is written."""

from __future__ import annotations

import csv
import re

import pytest

from impact.app import auth
from impact.ingest import extract_io
from impact.model import i18n
from impact.reporting import returns
from impact.storage import store
from tests.browser.conftest import admin_signs_in, press, start_server, upload, wait_for_app
from tests.data_helpers import make_store, read_rows, snapshot, write_rows

PASSWORD = "a long admin password for the French import"


def _data(files: dict[str, str]) -> dict[str, str]:
    """The store's data files: not the sign-in's session key nor the trail (which records the sign-in)."""
    return {name: digest for name, digest in files.items() if not name.startswith(("admin/", "audit/"))}


@pytest.fixture(scope="module")
def french_store(fixture_dir, tmp_path_factory):
    root = make_store(fixture_dir, tmp_path_factory.mktemp("french_import_store"))
    exported = tmp_path_factory.mktemp("french_import_csv")
    extract_io.export_extract("csv", exported, store.open_store(root))
    returns.return_key(store.open_store(root))  # made now, so the snapshot compares the store's data alone
    return root, exported


@pytest.fixture(scope="module")
def french_url(french_store):
    proc, url = start_server(french_store[0], {auth.HASH_ENV: auth.hash_password(PASSWORD)})
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def test_a_refused_import_is_reported_in_french(browser, french_url, french_store, tmp_path):
    root, exported = french_store
    words = i18n.translator("fr")
    rows = read_rows(exported / "training.csv")
    rows[2][rows[0].index("trainees")] = "douze"
    bad = write_rows(tmp_path / "training.csv", rows)
    english = extract_io.import_extract(tmp_path, root)  # the same file checked in English, by the core
    expected = [(p.file, p.row, p.column, p.value, p.rule) for p in english.report.ordered()]
    assert ("training.csv", 3, "trainees", "douze", "not-a-number") in expected
    before = snapshot(root)

    context = browser.new_context(viewport={"width": 1600, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(french_url, wait_until="networkidle")
        page.goto(f"{french_url}/data?lang=fr", wait_until="networkidle")
        wait_for_app(page)
        admin_signs_in(page, PASSWORD, words=words)
        uploader = page.locator("[data-testid='stFileUploader']").filter(has_text=words.gettext("Extract files"))
        uploader.wait_for(timeout=30_000)
        upload(page, uploader, bad)
        press(page.get_by_role("button", name=words.gettext("Check and import")))
        summary = words.gettext("{count} problem(s) found in {files} file(s); nothing was imported and the data in "
                                "use is unchanged. Fix them and import again.").format(
            count=words.number(english.report.total), files=words.number(1))
        page.get_by_text(summary).wait_for(timeout=60_000)
        message = words.gettext("'{value}' is not a number; write {column} as a whole number such as 12, without "
                                "units or text.").format(value="douze", column="trainees")
        page.locator("td[role='gridcell']", has_text=message).first.wait_for(state="attached", timeout=30_000)
        assert _data(snapshot(root)) == _data(before)  # nothing written on refusal (the sign-in's trail aside)
        button = page.get_by_role("button", name=words.gettext("Download the report (CSV)"))
        button.wait_for(timeout=30_000)
        with page.expect_download() as download:
            button.click()
        table = list(csv.reader(open(download.value.path(), encoding="utf-8-sig")))
        assert table[0] == [words.gettext(n) for n in ("file", "row", "column", "value", "rule", "message")]
        assert [(r[0], int(r[1]) if r[1] else None, r[2], r[3], r[4]) for r in table[1:]] == expected
        assert [r[5] for r in table[1:] if r[4] == "not-a-number"] == [message]
        assert not page.get_by_text(re.compile(r"problem\(s\) found in")).count()  # not the English sentence
    finally:
        context.close()
