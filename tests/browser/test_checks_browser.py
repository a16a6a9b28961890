"""Checks before a number is sent, in a real browser: a partner uploads a return with an unusual value, sees the
warning, explains it and sends it; the programme team sees the flag and the explanation in its queue, and the
trail shows the submission."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from impact.app import auth
from impact.model import calendar
from impact.reporting import partners, returns
from impact.storage import store
from tests.browser.conftest import admin_signs_in, open_tab, press, start_server, upload, wait_for_app
from tests.data_helpers import make_store
from tests.test_returns import fill, rows_of, write

ADMIN = "the programme team's long password"
PARTNER = "a partner's long password"
EMAIL = "ward.lead@example.org"
WHY = "A national campaign trained ten districts at once."


@pytest.fixture(scope="module")
def checks_store(fixture_dir, tmp_path_factory):
    """A store with a partner of a project whose last quarter has at least four earlier quarters of training."""
    root = make_store(fixture_dir, tmp_path_factory.mktemp("checks_store"))
    training = pd.read_parquet(fixture_dir / "training.parquet")
    quarters = training.groupby("project_id")["period"].nunique()
    project = sorted(quarters[quarters >= 6].index)[0]
    period = max(training[training.project_id == project]["period"])
    period = period if not hasattr(period, "date") else period.date()
    partners.save_account(store.open_store(root), EMAIL, "Ward lead", [project], returns.project_ids(root), "test",
                          auth.hash_password(PARTNER))
    return root, project, period


@pytest.fixture(scope="module")
def checks_url(checks_store):
    proc, url = start_server(checks_store[0], {auth.HASH_ENV: auth.hash_password(ADMIN)})
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def _page(browser, url: str, path: str):
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    page = context.new_page()
    page.goto(url, wait_until="networkidle")
    page.goto(f"{url}/{path}", wait_until="networkidle")
    wait_for_app(page)
    return context, page


def test_a_partner_explains_an_unusual_value_and_the_team_sees_the_flag(browser, checks_url, checks_store, tmp_path):
    root, project, period = checks_store
    rows = rows_of(store.open_store(root).active().path, project, period)
    rows["training"] = [r | {"trainees": int(r["trainees"]) * 40 + 1} for r in rows["training"]]
    unusual = write(tmp_path, "our-return.xlsx", fill(returns.workbook(project, period, store.open_store(root)), rows))
    context, page = _page(browser, checks_url, f"partnerships?project={project}")
    try:
        page.get_by_text("Partner sign-in").click()
        page.get_by_label("E-mail").fill(EMAIL)
        page.get_by_role("textbox", name="Password").fill(PARTNER)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("button", name="Download the reporting workbook").wait_for(timeout=30_000)
        quarter = calendar.quarter_label(period)
        box = page.locator("[data-testid='stSelectbox']", has_text="Quarter").first
        if quarter not in box.inner_text():
            box.click()
            page.get_by_role("option", name=quarter).click()
            wait_for_app(page)
        uploader = page.locator("[data-testid='stFileUploader']").filter(has_text="Your filled-in workbook")
        upload(page, uploader, unusual)
        press(page.get_by_role("button", name="Send the return"))
        page.get_by_text(re.compile("need a word before it is sent")).wait_for(timeout=60_000)
        page.get_by_text(re.compile("far above what this project usually reports")).first.wait_for(timeout=10_000)
        assert partners.submissions(store.open_store(root)) == []
        send = page.get_by_role("button", name="Send with these explanations")
        assert send.is_disabled()
        areas = page.get_by_label("Why this number is right")
        for n in range(areas.count()):
            areas.nth(n).fill(WHY)
            areas.nth(n).press("Control+Enter")
        wait_for_app(page)
        send.click()
        page.get_by_text(re.compile(f"Return for {quarter} received")).wait_for(timeout=60_000)
        [kept] = partners.submissions(store.open_store(root))
        assert {f["explanation"] for f in kept.flags} == {WHY}
    finally:
        context.close()

    context, admin = _page(browser, checks_url, "data")
    try:
        admin_signs_in(admin, ADMIN)
        open_tab(admin, "Quarterly returns")
        admin.get_by_text(re.compile(r"flagged number\(s\) in these returns")).wait_for(timeout=30_000)
        cell = admin.locator("td[role='gridcell']", has_text=WHY)
        cell.first.wait_for(state="attached", timeout=20_000)  # the grid mirrors its cells as text
        open_tab(admin, "Trail")
        admin.get_by_text(re.compile("The trail is intact")).wait_for(timeout=30_000)
        admin.locator("td[role='gridcell']", has_text="return-submitted").first.wait_for(state="attached",
                                                                                        timeout=20_000)
    finally:
        context.close()
