"""A partner in French in a real browser: a French browser opens the project's page in French, the partner signs in,
downloads the reporting workbook — in French: its sheets, headings and the labels of the lists — fills it in with
the French labels as a partner would see them, sends it back, and it reads to the same rows as the English workbook
would; on My projects their e-mails are already in French (the language they signed in in, none chosen yet), and
the partner chooses Portuguese for them instead, which the account keeps as its choice."""

from __future__ import annotations

import io

import openpyxl
import pytest

from impact.app import auth
from impact.ingest import validate
from impact.model import i18n
from impact.reporting import partners, returns
from impact.storage import store
from tests.browser.conftest import press, start_server, upload, wait_for_app
from tests.data_helpers import make_store, results_sql
from tests.test_returns import rows_of, write
from tests.test_returns_languages import SHEETS, _fill_in, _raw_definition

PARTNER = "a partner's long password"
EMAIL = "chef.de.projet@example.org"
FR = i18n.translator("fr")


@pytest.fixture(scope="module")
def french_store(fixture_dir, tmp_path_factory):
    """A store with a partner account for one project whose latest quarter has figures."""
    root = make_store(fixture_dir, tmp_path_factory.mktemp("french_store"))
    conn = results_sql({name: fixture_dir / f"{name}.parquet" for name in returns.TABLES})
    project, period = conn.execute(
        "select project_id, max(period) from training group by project_id order by project_id limit 1").fetchone()
    partners.save_account(store.open_store(root), EMAIL, "Chef de projet", [project], returns.project_ids(root), "test",
                          auth.hash_password(PARTNER))
    return root, project, period


@pytest.fixture(scope="module")
def french_url(french_store):
    proc, url = start_server(french_store[0], {auth.HASH_ENV: auth.hash_password("the team's long password")})
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def test_a_french_partner_gets_a_french_workbook_sends_it_and_chooses_the_language_of_e_mails(
        browser, french_url, french_store, tmp_path):
    root, project, period = french_store
    context = browser.new_context(viewport={"width": 1500, "height": 1000}, locale="fr-FR", accept_downloads=True)
    try:
        page = context.new_page()
        page.goto(f"{french_url}/partnerships?project={project}", wait_until="networkidle")
        wait_for_app(page)
        page.get_by_text(FR.gettext("Partner sign-in")).first.click()
        page.get_by_label(FR.gettext("E-mail")).fill(EMAIL)
        page.get_by_role("textbox", name=FR.gettext("Password")).fill(PARTNER)
        page.get_by_role("button", name=FR.gettext("Sign in")).click()
        button = page.get_by_role("button", name=FR.gettext("Download the reporting workbook"))
        button.wait_for(timeout=30_000)
        with page.expect_download(timeout=60_000) as info:
            button.click()
        downloaded = tmp_path / info.value.suggested_filename
        info.value.save_as(downloaded)

        book = openpyxl.load_workbook(io.BytesIO(downloaded.read_bytes()))
        assert [book.sheetnames[i] for i in (2, 3, 4)] == list(SHEETS["fr"].values())
        assert book["Formation"]["A2"].value == "Trimestre"
        assert book["Formation"].cell(row=returns.HEADER_ROW, column=2).value == "Genre"

        rows = rows_of(root, project, period)
        rows["training"] = [r | {"trainees": int(r["trainees"]) + 2} for r in rows["training"]]
        raw = _raw_definition(store.open_store(root).active().path)
        filled = write(tmp_path / "filled", "rapport.xlsx", _fill_in(downloaded.read_bytes(), rows, "fr", raw))
        found = returns.read_return(filled, filled.name, report := validate.Report(),
                                    key=returns.return_key(store.open_store(root), create=False))
        assert report.ok and found is not None, report.to_text()
        training = next(r for r in found.raws if r.table == "training")
        assert sorted(zip(training.columns["cadre"].to_pylist(), training.columns["gender"].to_pylist(),
                          strict=True)) == sorted((r["cadre"], r["gender"]) for r in rows["training"])  # the codes

        uploader = page.locator("[data-testid='stFileUploader']").first
        upload(page, uploader, filled)
        press(page.get_by_role("button", name=FR.gettext("Send the return")))
        for _ in range(60):  # the return is kept once the server has checked it
            if partners.submissions(store.open_store(root), project):
                break
            page.wait_for_timeout(1000)
        [sent] = partners.submissions(store.open_store(root), project)
        assert sent.state == partners.SUBMITTED

        page.goto(french_url, wait_until="networkidle")  # signed in by the cookie, the app opens on My projects
        wait_for_app(page)
        box = page.locator("[data-testid='stSelectbox']", has_text=FR.gettext("Language of your e-mails")).first
        box.wait_for(timeout=30_000)
        wait_for_app(page)
        followed = partners.account(store.open_store(root), EMAIL)  # the sign-in's language, none chosen yet
        assert (followed.language, followed.language_chosen) == ("fr", False)
        box.click()
        page.get_by_role("option", name="Português").click()
        for _ in range(30):
            if partners.account(store.open_store(root), EMAIL).language == "pt":
                break
            page.wait_for_timeout(1000)
        chosen = partners.account(store.open_store(root), EMAIL)
        assert (chosen.language, chosen.language_chosen) == ("pt", True)
    finally:
        context.close()
