"""An administrator checks a partly wrong funder's IATI file on the Data page in French, in a real browser: the
summary, each refused activity's reason and the activity report's CSV are in French, naming the same activities,
elements, lines and rules as the English check, with the schema validator's words quoted; nothing is written."""

from __future__ import annotations

import csv

import pytest
from lxml import etree

from impact.app import auth
from impact.interchange import iati
from impact.model import i18n
from impact.reporting import returns
from impact.storage import store
from tests import iati_fixtures as fx
from tests.browser.conftest import admin_signs_in, press, start_server, upload, wait_for_app
from tests.data_helpers import snapshot

PASSWORD = "a long admin password for the French IATI check"


def _partly_wrong() -> bytes:
    """The fixture funder's file with an element the IATI schema does not allow in activity 003."""
    root = etree.fromstring(fx.document())
    activity = next(a for a in root.iter("iati-activity") if a.findtext("iati-identifier") == f"{fx.PUBLISHER}-003")
    activity.insert(1, etree.Element("bogus"))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _data(files: dict[str, str]) -> dict[str, str]:
    """The store's data files: not the sign-in's session key nor the trail (which records the sign-in)."""
    return {name: digest for name, digest in files.items() if not name.startswith(("admin/", "audit/"))}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = fx.make_iati_store(tmp_path_factory.mktemp("iati_language_browser") / "store")
    returns.return_key(store.open_store(root))  # made now, so the snapshot compares the store's data alone
    proc, url = start_server(root, {auth.HASH_ENV: auth.hash_password(PASSWORD)})
    yield root, url
    proc.terminate()
    proc.wait(timeout=10)


def test_an_iati_file_is_checked_in_french(browser, served, tmp_path):
    root, url = served
    path = tmp_path / "funder.xml"
    path.write_bytes(_partly_wrong())
    english = iati.import_iati(path, location=root, check_only=True)  # the same file checked in English, by the core
    with i18n.using("fr"):
        french = iati.import_iati(path, location=root, check_only=True)
        summary = french.summary(home=False)
    reasons = {(o.identifier, r.rule): r.message for o in french.outcomes for r in o.reasons}
    currency = reasons[(f"{fx.PUBLISHER}-006", "iati-currency")]
    assert currency.startswith(f"L'activité {fx.PUBLISHER}-006 a un budget de 80\u202f000 EUR")
    words = i18n.translator("fr")
    before = _data(snapshot(root))

    context = browser.new_context(viewport={"width": 1600, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(url, wait_until="networkidle")
        page.goto(f"{url}/data?lang=fr", wait_until="networkidle")
        wait_for_app(page)
        admin_signs_in(page, PASSWORD, words=words)
        uploader = page.locator("[data-testid='stFileUploader']").filter(has_text=words.gettext("IATI activity file"))
        uploader.wait_for(timeout=30_000)
        wait_for_app(page)
        upload(page, uploader, path)
        press(page.get_by_role("button", name=words.gettext("Check the IATI file")))
        page.get_by_text(summary).wait_for(timeout=60_000)
        page.locator("td[role='gridcell']", has_text=currency[:120]).first.wait_for(state="attached", timeout=30_000)
        assert _data(snapshot(root)) == before  # checked: nothing written
        button = page.get_by_role("button", name=words.gettext("Download the activity report (CSV)"))
        button.wait_for(timeout=30_000)
        wait_for_app(page)
        with page.expect_download() as download:
            button.click()
        rows = list(csv.reader(download.value.path().read_text(encoding="utf-8-sig").splitlines()))
    finally:
        context.close()
    assert rows[0][:5] == ["activité", "ligne", "hiérarchie", "version", "résultat de la lecture"]
    found = [(r[0], r[1], r[5], r[6]) for r in rows[1:] if r[6]]
    assert found == [(o.identifier, str(r.line or o.line), r.element, r.rule) for o in english.outcomes
                     for r in o.reasons]  # the same activities, lines, elements and rules as in English
    schema = next(r for r in rows[1:] if r[6] == "iati-schema")
    assert schema[4] == "refusée" and schema[7].startswith(f"L'activité {fx.PUBLISHER}-003 : IATI 2.03 non valide")
    assert "« Element 'bogus': This element is not expected." in schema[7]
    assert store.open_store(root).active().version == "base"
