"""E-mail in a real browser: a partner sends a return on their project's page and the programme team's inbox (a
local SMTP server the test starts) gets "return received"; the team sends it back with a note on the Data page and
the partner's inbox gets the note, as text. The server reads its [smtp] settings from Streamlit's secrets in its
home folder (`~/.streamlit/secrets.toml`)."""

from __future__ import annotations

import re
import time

import pytest

from impact.app import auth
from impact.model import calendar
from impact.reporting import partners, returns
from impact.storage import store
from tests.browser.conftest import admin_signs_in, enter, open_tab, press, start_server, upload, wait_for_app
from tests.data_helpers import make_store
from tests.test_mail import TEAM, _html, _text, inbox, write_secrets  # noqa: F401 (the inbox fixture)
from tests.test_returns import fill, rows_of, write

ADMIN = "the programme team's long password"
PARTNER = "a partner's long password"
EMAIL = "ward.lead@example.org"
NOTE = "Row 7: <b>400</b> midwives & 2 nurses? Please check."


@pytest.fixture
def mail_store(fixture_dir, picks, tmp_path):
    root = make_store(fixture_dir, tmp_path / "store")
    project, period = picks[0]
    partners.save_account(store.open_store(root), EMAIL, "Ward lead", [project], returns.project_ids(root), "test",
                          auth.hash_password(PARTNER))
    return root, project, period


def _wait_for(box, address: str, timeout: float = 30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if box.to(address):
            return box.to(address)
        time.sleep(0.2)
    raise AssertionError(f"no message to {address} within {timeout} s; received: {box.received}")


def test_a_return_sent_and_sent_back_in_the_browser_is_told_by_e_mail(browser, inbox, mail_store,  # noqa: F811
                                                                      tmp_path):
    root, project, period = mail_store
    quarter = calendar.quarter_label(period)
    home = tmp_path / "home"
    write_secrets(home, inbox.port)
    proc, url = start_server(root, {auth.HASH_ENV: auth.hash_password(ADMIN), "HOME": str(home)})
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    try:
        page = context.new_page()
        page.goto(url, wait_until="networkidle")
        page.goto(f"{url}/partnerships?project={project}", wait_until="networkidle")
        wait_for_app(page)
        page.get_by_text("Partner sign-in").click()
        page.get_by_label("E-mail").fill(EMAIL)
        page.get_by_role("textbox", name="Password").fill(PARTNER)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("button", name="Download the reporting workbook").wait_for(timeout=30_000)
        wait_for_app(page)
        quarter_box = page.locator("[data-testid='stSelectbox']", has_text="Quarter").first
        quarter_box.click()
        page.get_by_role("option", name=quarter, exact=True).click()
        wait_for_app(page)
        filled = write(tmp_path / "filled", "our-return.xlsx",
                       fill(returns.workbook(project, period, store.open_store(root)), rows_of(root, project, period)))
        uploader = page.locator("[data-testid='stFileUploader']").filter(has_text="Your filled-in workbook")
        upload(page, uploader, filled)
        press(page.get_by_role("button", name="Send the return"))
        page.get_by_text(re.compile(f"Return for {quarter} received")).wait_for(timeout=60_000)
        (arrival,) = _wait_for(inbox, TEAM)
        assert arrival["Subject"].endswith(f"return received from {project} for {quarter}")
        assert EMAIL in _text(arrival)

        admin = context.new_page()
        admin.goto(f"{url}/data", wait_until="networkidle")
        wait_for_app(admin)
        admin_signs_in(admin, ADMIN)
        open_tab(admin, "Quarterly returns")
        admin.locator("[data-testid='stSelectbox']", has_text="Send a return back").first.click()
        admin.get_by_role("option", name=re.compile(f"^{project} {quarter}")).click()
        wait_for_app(admin)
        enter(admin, admin.get_by_label("Note for the partner (why it goes back)"), NOTE)
        press(admin.get_by_role("button", name="Send it back"))
        (back,) = _wait_for(inbox, EMAIL)
        assert back["Subject"].endswith(f"your return for {project}, {quarter}, was sent back")
        assert NOTE in _text(back) and "&lt;b&gt;400&lt;/b&gt;" in _html(back) and "<b>400</b>" not in _html(back)
        assert len(inbox.received) == 2
    finally:
        context.close()
        proc.terminate()
        proc.wait(timeout=10)
