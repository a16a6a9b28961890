"""Sign-ins that last, in Chromium: an administrator through single sign-on (Streamlit's own `st.login` against a
real OpenID Connect provider the test starts on loopback, `oidc-provider-mock`), and a partner with a password
(the signed `impact_partner` cookie) — each still signed in after a reload, in a new tab (and, for the partner,
on the other server behind the proxy, nginx as deployed); signing out ends it."""

from __future__ import annotations

import importlib.util
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bench import servers
from impact.app import auth
from impact.reporting import partners, returns, sessions
from impact.storage import store
from tests.browser.conftest import free_port, open_tab, start_server, wait_for_app
from tests.data_helpers import make_store

ADMIN_EMAIL = "team.lead@example.org"
PARTNER_EMAIL = "ward.lead@example.org"
PARTNER_PASSWORD = "a partner's long password"
SSO_PARTNER_EMAIL = "clinic.lead@example.org"


def _stop(proc) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def identity_provider():
    """oidc-provider-mock on a free loopback port: its discovery document, keys, login form and tokens."""
    if importlib.util.find_spec("oidc_provider_mock") is None:
        pytest.fail("oidc-provider-mock is not installed: pip install -r requirements-dev.txt")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "NO_COLOR": "1"})
    issuer = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{issuer}/.well-known/openid-configuration", timeout=2) as answer:
                if answer.status == 200:
                    break
        except OSError:
            if time.time() > deadline:
                _stop(proc)
                raise RuntimeError("the OpenID provider did not start within 30 s") from None
            time.sleep(0.3)
    yield issuer
    _stop(proc)


@pytest.fixture(scope="module")
def sso_url(identity_provider, fixture_dir, tmp_path_factory):
    """The app with an `[auth]` section pointing at the local provider and one administrator's e-mail."""
    root = make_store(fixture_dir, tmp_path_factory.mktemp("sso_store"))
    held = store.open_store(root)
    project = returns.project_ids(held.active().path)[0]
    partners.save_account(held, SSO_PARTNER_EMAIL, "Clinic lead", [project], [project], "test")  # no password
    port = free_port()
    secrets_file = tmp_path_factory.mktemp("sso_secrets") / "secrets.toml"
    secrets_file.write_text(f"""
[auth]
redirect_uri = "http://127.0.0.1:{port}/oauth2callback"
cookie_secret = "{secrets.token_hex(32)}"
client_id = "impact-dashboard"
client_secret = "{secrets.token_hex(16)}"
server_metadata_url = "{identity_provider}/.well-known/openid-configuration"

[admin]
emails = ["{ADMIN_EMAIL}"]
""", encoding="utf-8")
    proc, url = start_server(root, {auth.HASH_ENV: ""}, ["--secrets.files", str(secrets_file)], port)
    yield url, project
    _stop(proc)


def _import_tab(page, url: str) -> None:
    page.goto(f"{url}/data", wait_until="networkidle")
    open_tab(page, "Import")


def _signed_in_as_admin(page) -> bool:
    return page.get_by_text(f"Signed in: {ADMIN_EMAIL}").count() == 1


def test_an_administrator_signs_in_through_the_identity_provider_and_stays_signed_in(browser, sso_url,
                                                                                      identity_provider):
    sso_url = sso_url[0]
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    try:
        page = context.new_page()
        page.goto(sso_url, wait_until="networkidle")
        _import_tab(page, sso_url)
        assert not _signed_in_as_admin(page)
        page.get_by_role("button", name="Log in with your organisation's account").click()
        page.wait_for_url(f"{identity_provider}/**", timeout=30_000)  # the provider's own login form
        page.locator("input[name='sub']").fill(ADMIN_EMAIL)
        page.get_by_role("button", name="Authorize").click()
        page.wait_for_url(f"{sso_url}/**", timeout=30_000)  # back through /oauth2callback
        wait_for_app(page)
        identity = [c for c in context.cookies(sso_url) if c["name"].startswith("_streamlit_user")]
        assert identity and all(c["httpOnly"] for c in identity)  # Streamlit's own cookie, set by its server

        _import_tab(page, sso_url)
        page.get_by_text(f"Signed in: {ADMIN_EMAIL}").wait_for(timeout=30_000)
        assert page.get_by_text("Upload one").count() >= 1  # the administrator's import controls

        page.reload(wait_until="networkidle")  # a new session: still the administrator
        _import_tab(page, sso_url)
        page.get_by_text(f"Signed in: {ADMIN_EMAIL}").wait_for(timeout=30_000)

        second = context.new_page()  # a second tab: still the administrator
        second.goto(sso_url, wait_until="networkidle")
        _import_tab(second, sso_url)
        second.get_by_text(f"Signed in: {ADMIN_EMAIL}").wait_for(timeout=30_000)
        second.close()

        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(f"{identity_provider}/**", timeout=30_000)  # the provider's end of session
        page.get_by_role("button", name="End session").click()
        page.wait_for_url(f"{sso_url}/**", timeout=30_000)
        assert not any(c["name"].startswith("_streamlit_user") for c in context.cookies(sso_url))
        _import_tab(page, sso_url)
        page.get_by_role("button", name="Log in with your organisation's account").wait_for(timeout=30_000)
        assert not _signed_in_as_admin(page)
        page.reload(wait_until="networkidle")
        _import_tab(page, sso_url)
        page.get_by_role("button", name="Log in with your organisation's account").wait_for(timeout=30_000)
        assert not _signed_in_as_admin(page)
    finally:
        context.close()


def test_a_partner_logs_in_through_the_identity_provider_and_stays_signed_in(browser, sso_url, identity_provider):
    url, project = sso_url
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    try:
        page = context.new_page()
        _project_page(page, url, project)
        page.get_by_text("Partner sign-in").click()
        page.get_by_role("button", name="Log in with your organisation's account").click()
        page.wait_for_url(f"{identity_provider}/**", timeout=30_000)
        page.locator("input[name='sub']").fill(SSO_PARTNER_EMAIL)
        page.get_by_role("button", name="Authorize").click()
        page.wait_for_url(f"{url}/**", timeout=30_000)
        wait_for_app(page)
        _project_page(page, url, project)
        page.get_by_role("button", name="Download the reporting workbook").wait_for(timeout=30_000)
        assert page.get_by_role("button", name="Log out").count() == 1
        assert _partner_cookie(context, url) is None  # Streamlit's own cookie carries this sign-in
        page.reload(wait_until="networkidle")
        wait_for_app(page)
        page.get_by_role("button", name="Download the reporting workbook").wait_for(timeout=30_000)
        tab = context.new_page()
        _project_page(tab, url, project)
        tab.get_by_role("button", name="Download the reporting workbook").wait_for(timeout=30_000)
        tab.close()
        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(f"{identity_provider}/**", timeout=30_000)
        page.get_by_role("button", name="End session").click()
        page.wait_for_url(f"{url}/**", timeout=30_000)
        _project_page(page, url, project)
        page.get_by_text("Partner sign-in").wait_for(timeout=30_000)
        assert page.get_by_role("button", name="Download the reporting workbook").count() == 0
    finally:
        context.close()


# ---- a partner with a password: the signed cookie ------------------------------------------------------------

@pytest.fixture(scope="module")
def partner_store(fixture_dir, tmp_path_factory):
    """A store with a partner account of its first project."""
    root = make_store(fixture_dir, tmp_path_factory.mktemp("partner_store"))
    held = store.open_store(root)
    project = returns.project_ids(held.active().path)[0]
    partners.save_account(held, PARTNER_EMAIL, "Ward lead", [project], [project], "test",
                          auth.hash_password(PARTNER_PASSWORD))
    return root, project


@pytest.fixture(scope="module")
def proxy(partner_store):
    """Two servers over the same store behind nginx (sticky sessions by the `impact_route` cookie), as deployed."""
    if not Path(servers.NGINX).exists():
        pytest.skip(f"nginx is not installed at {servers.NGINX} (apt-get install -y nginx)")
    with servers.start_cluster(2, partner_store[0]) as cluster:
        yield cluster


def _served_by(url: str, route: str) -> str:
    """The server nginx sends a browser holding the `impact_route` cookie `route` to."""
    request = urllib.request.Request(f"{url}/_stcore/health", headers={"Cookie": f"impact_route={route}"})
    with urllib.request.urlopen(request, timeout=5) as answer:
        return answer.headers["X-Impact-Upstream"]


def _route_to_another_server(context, url: str) -> str:
    """Give the browser a route to the server that does not hold its sessions; return that server's address."""
    route = next(c["value"] for c in context.cookies(url) if c["name"] == "impact_route")
    held = _served_by(url, route)
    other = next(r for r in (secrets.token_hex(8) for _ in range(200)) if _served_by(url, r) != held)
    context.add_cookies([{"name": "impact_route", "value": other, "url": url}])
    return _served_by(url, other)


def _project_page(page, url: str, project: str) -> None:
    page.goto(url, wait_until="networkidle")
    page.goto(f"{url}/partnerships?project={project}", wait_until="networkidle")
    wait_for_app(page)
    page.get_by_text("Quarterly return").first.wait_for(timeout=30_000)
    wait_for_app(page)


def _partner_shown(page) -> bool:
    """True when the page shows the partner signed in (the workbook and Sign out), False when the sign-in form."""
    signed = page.get_by_role("button", name="Download the reporting workbook")
    form = page.get_by_text("Partner sign-in")
    signed.or_(form).first.wait_for(timeout=30_000)
    return signed.count() == 1 and page.get_by_role("button", name="Sign out").count() == 1


def _partner_cookie(context, url: str) -> str | None:
    return next((c["value"] for c in context.cookies(url) if c["name"] == auth.PARTNER_COOKIE), None)


def _partner_signs_in(page, context, url: str) -> str:
    """Sign in on the project page shown with the partner's e-mail and password; the signed cookie the browser then
    holds (once the page has written it)."""
    page.get_by_text("Partner sign-in").click()
    page.get_by_label("E-mail").fill(PARTNER_EMAIL)
    page.get_by_role("textbox", name="Password").fill(PARTNER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Download the reporting workbook").wait_for(timeout=30_000)
    deadline = time.time() + 20
    while _partner_cookie(context, url) is None and time.time() < deadline:
        page.wait_for_timeout(200)
    cookie = _partner_cookie(context, url)
    assert cookie is not None, "the page wrote no partner cookie"
    return cookie


def test_a_partner_stays_signed_in_across_reloads_tabs_and_servers_until_signing_out(browser, proxy,
                                                                                      partner_store):
    root, project = partner_store
    url = proxy.url
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    try:
        page = context.new_page()
        _project_page(page, url, project)
        assert not _partner_shown(page)
        value = _partner_signs_in(page, context, url)
        cookie = next(c for c in context.cookies(url) if c["name"] == auth.PARTNER_COOKIE)
        held = store.open_store(root)
        assert cookie["value"] == value
        assert sessions.verify(held, value) == partners.account(held, PARTNER_EMAIL)
        assert cookie["sameSite"] == "Strict" and cookie["path"] == "/" and not cookie["secure"]  # http here
        assert 6.9 * 86400 < cookie["expires"] - time.time() <= 7 * 86400  # 7 days by default

        page.reload(wait_until="networkidle")  # a new session on the same server
        wait_for_app(page)
        assert _partner_shown(page)
        tab = context.new_page()  # a new tab
        _project_page(tab, url, project)
        assert _partner_shown(tab)
        tab.close()
        first = _served_by(url, next(c["value"] for c in context.cookies(url) if c["name"] == "impact_route"))
        second = _route_to_another_server(context, url)
        assert {first, second} == {proxy.upstream(u) for u in proxy.server_urls}
        other = context.new_page()  # the other server behind the proxy, which never saw this partner sign in
        _project_page(other, url, project)
        assert _partner_shown(other)

        other.get_by_role("button", name="Sign out").click()
        other.get_by_text("Partner sign-in").wait_for(timeout=30_000)
        deadline = time.time() + 20
        while _partner_cookie(context, url) is not None and time.time() < deadline:
            other.wait_for_timeout(200)
        assert _partner_cookie(context, url) is None
        assert not _partner_shown(other)
        other.reload(wait_until="networkidle")
        wait_for_app(other)
        assert not _partner_shown(other)
        page.reload(wait_until="networkidle")  # the first tab too, once reloaded: signed out
        wait_for_app(page)
        assert not _partner_shown(page)
    finally:
        context.close()


def test_a_partner_whose_password_changed_is_signed_out_at_the_next_page_load(browser, proxy, partner_store):
    root, project = partner_store
    held = store.open_store(root)
    url = proxy.url
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    try:
        page = context.new_page()
        _project_page(page, url, project)
        kept = _partner_signs_in(page, context, url)
        found = partners.account(held, PARTNER_EMAIL)
        partners.save_account(held, PARTNER_EMAIL, found.name, found.projects, [project], "test",
                              auth.hash_password("a new password after a leak"))
        page.reload(wait_until="networkidle")
        wait_for_app(page)
        assert not _partner_shown(page)  # the cookie is still in the browser, and no longer signs anyone in
        assert _partner_cookie(context, url) == kept
    finally:
        partners.save_account(held, PARTNER_EMAIL, "Ward lead", [project], [project], "test",
                              auth.hash_password(PARTNER_PASSWORD))
        context.close()
