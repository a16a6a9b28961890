"""An administrator's password sign-in that lasts, in Chromium: signed in on the Data page, the administrator is
still signed in after a reload and in a new tab (the signed `impact_admin` cookie); signing out deletes the cookie,
revokes it on the server (a copy of it no longer signs anyone in) and ends the sign-in in the other tab too."""

from __future__ import annotations

import time

import pytest

from impact.app import auth
from impact.reporting import sessions
from impact.storage import store
from tests.browser.conftest import admin_signs_in, open_tab, start_server, wait_for_app
from tests.data_helpers import make_store

PASSWORD = "an administrator's long password"


@pytest.fixture(scope="module")
def admin_server(fixture_dir, tmp_path_factory):
    """The app on a store of its own, with an administrator's password."""
    root = make_store(fixture_dir, tmp_path_factory.mktemp("admin_store"))
    hashed = auth.hash_password(PASSWORD)
    proc, url = start_server(root, {auth.HASH_ENV: hashed})
    yield root, url, hashed
    proc.terminate()
    proc.wait(timeout=10)


def _data_page(page, url: str) -> None:
    page.goto(url, wait_until="networkidle")
    page.goto(f"{url}/data", wait_until="networkidle")
    wait_for_app(page)
    open_tab(page, "Import")


def _admin_shown(page) -> bool:
    """True when the Import tab shows the administrator signed in (and Sign out), False when the password form."""
    signed = page.get_by_text("Signed in:")
    form = page.get_by_label("Administrator password")
    signed.or_(form).first.wait_for(timeout=30_000)
    return signed.count() >= 1 and page.get_by_role("button", name="Sign out").count() == 1


def _cookie(context, url: str) -> str | None:
    return next((c["value"] for c in context.cookies(url) if c["name"] == auth.ADMIN_COOKIE), None)


def _wait_cookie(page, context, url: str, present: bool) -> str | None:
    deadline = time.time() + 20
    while (_cookie(context, url) is not None) != present and time.time() < deadline:
        page.wait_for_timeout(200)
    return _cookie(context, url)


def test_an_administrator_stays_signed_in_across_a_reload_and_a_new_tab_until_signing_out(browser, admin_server):
    root, url, hashed = admin_server
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    try:
        page = context.new_page()
        _data_page(page, url)
        assert not _admin_shown(page)
        admin_signs_in(page, PASSWORD)
        value = _wait_cookie(page, context, url, present=True)
        assert value is not None, "the page wrote no administrator cookie"
        cookie = next(c for c in context.cookies(url) if c["name"] == auth.ADMIN_COOKIE)
        assert cookie["sameSite"] == "Strict" and cookie["path"] == "/" and not cookie["secure"]  # http here
        assert 6.9 * 86400 < cookie["expires"] - time.time() <= 7 * 86400  # 7 days by default
        held = store.open_store(root)
        assert sessions.verify_admin(held, value, hashed)  # signed with the store's key, bound to this password
        assert not sessions.verify_admin(held, value, auth.hash_password("another password"))
        assert value.startswith("a1.") and PASSWORD not in value

        page.reload(wait_until="networkidle")  # a new session: signed in by the cookie
        wait_for_app(page)
        open_tab(page, "Import")
        assert _admin_shown(page)
        tab = context.new_page()  # a new tab
        _data_page(tab, url)
        assert _admin_shown(tab)

        page.get_by_role("button", name="Sign out").click()
        page.get_by_label("Administrator password").wait_for(timeout=30_000)
        assert _wait_cookie(page, context, url, present=False) is None  # deleted in the browser
        page.reload(wait_until="networkidle")
        wait_for_app(page)
        open_tab(page, "Import")
        assert not _admin_shown(page)

        context.add_cookies([{"name": auth.ADMIN_COOKIE, "value": value, "url": url}])  # a copy kept of the cookie
        copy = context.new_page()
        _data_page(copy, url)
        assert not _admin_shown(copy)  # revoked on the server
        assert not sessions.verify_admin(held, value, hashed)
        copy.close()
        tab.wait_for_timeout(int(auth.ADMIN_RECHECK_SECONDS * 1000) + 500)
        open_tab(tab, "Versions")  # the tab that was open: its next run checks the cookie again
        open_tab(tab, "Import")
        assert not _admin_shown(tab)
    finally:
        context.close()
