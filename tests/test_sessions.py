"""A partner's sign-in that lasts: the signed, expiring token of the `impact_partner` cookie (its signature checked
independently with hmac, its expiry, tampering, revocation when the account is removed or its password or
projects change, another store's key refused, one key shared over an S3 store), and the project page signing a
partner in from a valid cookie and not from an invalid one."""

from __future__ import annotations

import base64
import hashlib
import hmac
import stat
import time

import pytest
import streamlit as st

from impact.app import auth
from impact.reporting import partners, returns, sessions
from impact.storage import store
from tests.conftest import make_app
from tests.data_helpers import make_store

PASSWORD = "forty nurses trained this quarter"
EMAIL = "ward.lead@example.org"
NOW = 1_800_000_000.0  # a fixed clock: 2027-01-15


def _account(root, projects, password=PASSWORD, email=EMAIL):
    held = store.open_store(root)
    known = returns.project_ids(held.active().path)
    return partners.save_account(held, email, "Ward lead", projects, known, "admin",
                                 auth.hash_password(password) if password else None)


def _parts(value: str) -> tuple[str, str, int, bytes]:
    version, email, expires, signature = value.split(".")
    pad = lambda t: t + "=" * (-len(t) % 4)  # noqa: E731
    return version, base64.urlsafe_b64decode(pad(email)).decode(), int(expires), base64.urlsafe_b64decode(pad(signature))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def test_the_token_holds_the_e_mail_and_expiry_signed_with_the_stores_key(data_store, picks):
    made = _account(data_store, [picks[0][0]])
    held = store.open_store(data_store)
    token = sessions.issue(held, made, days=7, now=NOW)
    version, email, expires, signature = _parts(token.value)
    assert (version, email, expires) == ("v1", EMAIL, int(NOW) + 7 * 86400) and token.expires == expires
    key_file = data_store / sessions.KEY_FILE
    key = bytes.fromhex(key_file.read_text())
    assert len(key) == 32 and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    # Independently: HMAC-SHA256 over the version, e-mail, expiry and a hash of the password hash and projects.
    state = hashlib.sha256("\x1f".join([EMAIL, made.password_hash, *sorted(made.projects)]).encode()).hexdigest()
    expected = hmac.new(key, f"v1\n{EMAIL}\n{expires}\n{state}".encode(), hashlib.sha256).digest()
    assert signature == expected
    assert PASSWORD not in token.value and made.password_hash not in token.value
    assert set(token.value) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
    assert sessions.verify(held, token.value, now=NOW + 3600) == made
    assert sessions.issue(held, made, now=NOW).expires == int(NOW) + 7 * 86400  # 7 days by default
    assert key_file.read_text() == key.hex()  # made once, then kept


def test_a_token_stops_at_its_expiry(data_store, picks):
    made = _account(data_store, [picks[0][0]])
    held = store.open_store(data_store)
    token = sessions.issue(held, made, days=2, now=NOW)
    assert sessions.verify(held, token.value, now=NOW + 2 * 86400 - 1) == made
    assert sessions.verify(held, token.value, now=NOW + 2 * 86400) is None
    assert sessions.verify(held, token.value, now=NOW + 30 * 86400) is None
    with pytest.raises(ValueError, match="between a moment and 366 days"):
        sessions.issue(held, made, days=0)


def test_a_changed_token_is_refused(data_store, picks):
    project = picks[0][0]
    made = _account(data_store, [project])
    other = _account(data_store, [project], email="other.lead@example.org")
    held = store.open_store(data_store)
    token = sessions.issue(held, made, now=NOW)
    version, email, expires, signature = token.value.split(".")
    longer = f"{version}.{email}.{int(expires) + 86400 * 300}.{signature}"  # the expiry pushed on
    someone_else = f"{version}.{_b64(other.email.encode())}.{expires}.{signature}"  # another account's e-mail
    flipped = bytearray(_parts(token.value)[3])
    flipped[0] ^= 1
    forged = f"{version}.{email}.{expires}.{_b64(bytes(flipped))}"  # one bit of the signature
    for bad in (longer, someone_else, forged, token.value[:-1], token.value + "A", "v2" + token.value[2:],
                token.value.replace(".", ":"), "", "not a token", f"v1.{email}.{expires}.{'A' * 43}",
                f"v1.@@@.{expires}.{signature}"):
        assert sessions.verify(held, bad, now=NOW) is None, bad
    assert sessions.verify(held, None, now=NOW) is None
    assert sessions.verify(held, token.value, now=NOW) == made


@pytest.mark.parametrize("change", ["removed", "password", "projects", "password removed"])
def test_a_token_is_revoked_when_its_account_changes(data_store, picks, change):
    (project, _), (second, _) = picks[0], picks[1]
    made = _account(data_store, [project])
    held = store.open_store(data_store)
    token = sessions.issue(held, made, now=NOW)
    unrelated = _account(data_store, [second], email="other.lead@example.org")
    kept = sessions.issue(held, unrelated, now=NOW)
    if change == "removed":
        partners.remove_account(held, EMAIL)
    elif change == "password":
        _account(data_store, [project], password="a new password after a leak")
    elif change == "projects":
        _account(data_store, [project, second], password=None)  # the password kept, one more project
        assert partners.account(held, EMAIL).password_hash == made.password_hash
    else:
        known = returns.project_ids(held.active().path)
        partners.save_account(held, EMAIL, "Ward lead", [project], known, "admin", password_hash="")
    assert sessions.verify(held, token.value, now=NOW) is None
    assert sessions.verify(held, kept.value, now=NOW) == unrelated  # other accounts keep theirs
    if change != "removed":  # signing in again gives a token that works
        again = partners.account(held, EMAIL)
        if again.password_hash:
            assert sessions.verify(held, sessions.issue(held, again, now=NOW).value, now=NOW) == again


def test_a_token_signed_by_another_stores_key_is_refused(data_store, picks, fixture_dir, tmp_path):
    project = picks[0][0]
    made = _account(data_store, [project])
    elsewhere = make_store(fixture_dir, tmp_path / "elsewhere")
    copied = partners.save_account(store.open_store(elsewhere), EMAIL, "Ward lead", [project], returns.project_ids(
        store.open_store(elsewhere).active().path), "admin", made.password_hash)  # the very same account, byte for byte
    assert sessions.account_state(copied) == sessions.account_state(made)
    theirs = sessions.issue(store.open_store(elsewhere), copied, now=NOW)
    held = store.open_store(data_store)
    assert sessions.verify(held, theirs.value, now=NOW) is None  # this store has no key yet: nothing valid
    ours = sessions.issue(held, made, now=NOW)
    assert sessions.verify(held, theirs.value, now=NOW) is None
    assert sessions.verify(store.open_store(elsewhere), ours.value, now=NOW) is None
    assert sessions.verify(held, ours.value, now=NOW) == made
    assert (elsewhere / sessions.KEY_FILE).read_text() != (data_store / sessions.KEY_FILE).read_text()


def test_an_account_without_a_password_gets_no_token_and_a_damaged_key_is_named(data_store, picks):
    project = picks[0][0]
    sso = _account(data_store, [project], password=None)
    held = store.open_store(data_store)
    with pytest.raises(ValueError, match="has no password"):
        sessions.issue(held, sso)
    made = _account(data_store, [project], email="with.password@example.org")
    (data_store / sessions.KEY_FILE).parent.mkdir(parents=True, exist_ok=True)
    (data_store / sessions.KEY_FILE).write_text("not a key")
    with pytest.raises(ValueError, match="partners/session.key in the store is not a signing key"):
        sessions.issue(held, made)


def test_every_server_over_an_s3_store_shares_its_key(s3_env, fixture_dir, picks, tmp_path, monkeypatch,  # noqa: F811
                                                     compiled_imports):
    from impact.storage import remote
    from tests.s3_helpers import as_server, programme_on_s3

    url, pid = programme_on_s3(s3_env, fixture_dir)
    held = store.open_store(url, pid)
    made = _account(held.root, [picks[0][0]])
    token = sessions.issue(held, made, now=time.time())
    key = remote.read_text(held.remote, sessions.KEY_FILE)
    assert key is not None and len(bytes.fromhex(key)) == 32
    assert not (held.root / sessions.KEY_FILE).exists()  # an object in the bucket, not a file of one server
    as_server(monkeypatch, tmp_path / "cache-b")
    other = store.open_store(url, pid)
    assert other.root != held.root and sessions.verify(other, token.value) == made  # the second server signs them in
    sessions.issue(other, made)
    assert remote.read_text(other.remote, sessions.KEY_FILE) == key  # and made no key of its own


# ---- the page: a cookie signs a partner in ---------------------------------------------------------

def _serve(root, monkeypatch):
    monkeypatch.setenv("IMPACT_DATA_DIR", str(root))
    st.cache_data.clear()
    st.cache_resource.clear()


def _downloads(at) -> list[str]:
    return [b.label for b in at.get("download_button")]


def _captions(at) -> list[str]:
    return [c.value.replace("\\", "") for c in at.caption]  # as shown: plain() escapes Markdown


def test_a_valid_cookie_signs_the_partner_in_and_an_invalid_one_does_not(data_store, picks, monkeypatch):
    """AppTest cannot seed st.context.cookies (Streamlit's AppTest takes them from a browser's request), so the
    one function that reads them returns what a browser would have sent; the rest runs as in the app."""
    project = picks[0][0]
    made = _account(data_store, [project])
    held = store.open_store(data_store)
    valid = sessions.issue(held, made).value
    _serve(data_store, monkeypatch)
    sent = {"cookie": valid}
    monkeypatch.setattr(auth, "partner_cookie", lambda: sent["cookie"])
    at = make_app("pages/partnerships.py", {"project": project})
    assert "Download the reporting workbook" in _downloads(at)
    assert f"Signed in as {EMAIL}." in _captions(at)
    assert any(b.label == "Sign out" for b in at.button)

    expired = sessions.issue(held, made, days=1, now=time.time() - 2 * 86400).value
    version, email, expires, signature = valid.split(".")
    for bad in (expired, f"{version}.{email}.{int(expires) + 86400}.{signature}", "garbage", None):
        sent["cookie"] = bad
        at = make_app("pages/partnerships.py", {"project": project})
        assert "Download the reporting workbook" not in _downloads(at), bad
        assert f"Signed in as {EMAIL}." not in _captions(at)

    sent["cookie"] = valid  # a password change revokes the cookie a browser still holds
    _account(data_store, [project], password="changed after the cookie was issued")
    at = make_app("pages/partnerships.py", {"project": project})
    assert "Download the reporting workbook" not in _downloads(at)


def test_a_password_sign_in_asks_the_page_for_the_cookie_and_sign_out_deletes_it(data_store, picks, monkeypatch):
    project = picks[0][0]
    _account(data_store, [project])
    _serve(data_store, monkeypatch)
    monkeypatch.setattr(auth, "partner_cookie", lambda: None)
    at = make_app("pages/partnerships.py", {"project": project})
    at.text_input(key="partner_email").input(EMAIL)
    at.text_input(key="partner_password").input(PASSWORD)
    next(b for b in at.button if b.label == "Sign in").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    scripts = [h.proto.body for h in at.get("html") if "document.cookie" in h.proto.body]
    assert len(scripts) == 1 and scripts[0].count("impact_partner=v1.") == 1 and "SameSite=Strict" in scripts[0]
    assert "Path=/" in scripts[0] and "Expires=" in scripts[0] and "'; Secure'" in scripts[0]
    value = scripts[0].split("impact_partner=")[1].split(";")[0]
    held = store.open_store(data_store)
    assert sessions.verify(held, value) == partners.account(held, EMAIL)
    assert "Download the reporting workbook" in _downloads(at)
    at.run()  # asked once: the next run writes no cookie
    assert not [h for h in at.get("html") if "document.cookie" in h.proto.body]

    monkeypatch.setattr(auth, "partner_cookie", lambda: value)  # the cookie the page loaded with stays sent
    next(b for b in at.button if b.label == "Sign out").click()
    at.run()
    scripts = [h.proto.body for h in at.get("html") if "document.cookie" in h.proto.body]
    assert len(scripts) == 1 and "impact_partner=;" in scripts[0] and "Max-Age=0" in scripts[0]
    assert "Download the reporting workbook" not in _downloads(at)  # that cookie no longer signs this session in
    at.run()
    assert "Download the reporting workbook" not in _downloads(at)


def test_the_length_of_a_sign_in_comes_from_the_secrets(monkeypatch):
    monkeypatch.setattr(auth, "_secrets", lambda: {})
    assert auth.session_days() == 7
    monkeypatch.setattr(auth, "_secrets", lambda: {"partners": {"session_days": 30}})
    assert auth.session_days() == 30
    for bad in (0, -1, "a week", 400):
        monkeypatch.setattr(auth, "_secrets", lambda bad=bad: {"partners": {"session_days": bad}})
        with pytest.raises(ValueError, match=r"\[partners\] session_days in the secrets is"):
            auth.session_days()


def test_a_partner_logged_in_through_the_identity_provider_gets_log_out_not_a_cookie(data_store, picks, monkeypatch):
    project = picks[0][0]
    _account(data_store, [project], password=None)
    _serve(data_store, monkeypatch)
    monkeypatch.setattr(auth, "partner_cookie", lambda: None)
    monkeypatch.setattr(auth, "oidc_user", lambda: EMAIL)
    at = make_app("pages/partnerships.py", {"project": project})
    assert "Download the reporting workbook" in _downloads(at)
    labels = [b.label for b in at.button]
    assert "Log out" in labels and "Sign out" not in labels  # Streamlit's own cookie and log-out, not ours
    assert not [h for h in at.get("html") if "document.cookie" in h.proto.body]


# ---- the administrator's password sign-in -----------------------------------------------------------------------

ADMIN_PASSWORD = "import the quarter's extract"


def test_an_administrators_token_is_signed_expires_and_is_bound_to_the_password(data_store, picks):
    held = store.open_store(data_store)
    encoded = auth.hash_password(ADMIN_PASSWORD)
    token = sessions.issue_admin(held, encoded, days=7, now=NOW)
    version, nonce, expires, signature = token.value.split(".")
    assert (version, int(expires)) == ("a1", int(NOW) + 7 * 86400) and token.expires == int(expires)
    key_file = data_store / sessions.ADMIN_KEY_FILE
    key = bytes.fromhex(key_file.read_text())
    assert len(key) == 32 and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    # Independently: HMAC-SHA256 over the version, nonce, expiry and a hash of the password hash.
    bound = hashlib.sha256(encoded.encode()).hexdigest()
    expected = hmac.new(key, f"a1\n{nonce}\n{expires}\n{bound}".encode(), hashlib.sha256).digest()
    assert signature == _b64(expected) and ADMIN_PASSWORD not in token.value and encoded not in token.value
    assert sessions.verify_admin(held, token.value, encoded, now=NOW + 86400)
    assert not sessions.verify_admin(held, token.value, encoded, now=NOW + 7 * 86400)  # expired
    assert not sessions.verify_admin(held, token.value, auth.hash_password("a new password"), now=NOW)
    assert not sessions.verify_admin(held, token.value, None, now=NOW)  # no administrator configured any more
    forged = f"a1.{nonce}.{int(expires) + 86400}.{signature}"
    other = f"a1.{_b64(b'another nonce!!!')}.{expires}.{signature}"
    for bad in (forged, other, token.value[:-2] + "AA", "garbage", None, sessions.issue(
            held, _account(data_store, [picks[0][0]], password=ADMIN_PASSWORD), now=NOW).value):  # a partner's
        assert not sessions.verify_admin(held, bad, encoded, now=NOW), bad


def test_signing_out_revokes_the_one_token(data_store):
    held = store.open_store(data_store)
    encoded = auth.hash_password(ADMIN_PASSWORD)
    first, second = (sessions.issue_admin(held, encoded, now=NOW) for _ in range(2))
    old = sessions.issue_admin(held, encoded, days=1, now=NOW - 3 * 86400)  # expired: forgotten when one is revoked
    sessions.revoke_admin(held, old.value, now=NOW - 3 * 86400)
    sessions.revoke_admin(held, first.value, now=NOW)
    assert not sessions.verify_admin(held, first.value, encoded, now=NOW)
    assert sessions.verify_admin(held, second.value, encoded, now=NOW)  # another browser's sign-in stays
    import json

    kept = json.loads((data_store / sessions.ADMIN_REVOKED).read_text())
    assert set(kept) == {first.value.split(".")[1]}  # the expired one was dropped


def _admin_serve(root, monkeypatch):
    monkeypatch.setenv("IMPACT_DATA_DIR", str(root))
    monkeypatch.setenv(auth.HASH_ENV, auth.hash_password(ADMIN_PASSWORD))
    st.cache_data.clear()
    st.cache_resource.clear()


def _is_admin_page(at) -> bool:
    return any(h.value == "Partner accounts" for h in at.header)


def test_an_administrators_sign_in_lasts_in_a_new_session_and_signing_out_ends_it(data_store, monkeypatch):
    """Signing in on the Data page hands the browser the `impact_admin` cookie; a new session (a reload, a new tab)
    that sends it is the administrator's; signing out deletes it in the browser and revokes it on the server, so
    a session still sending it (another tab, a copy) is not."""
    _admin_serve(data_store, monkeypatch)
    sent = {"cookie": None}
    monkeypatch.setattr(auth, "admin_cookie", lambda: sent["cookie"])
    at = make_app("pages/data.py")
    assert not _is_admin_page(at)
    at.text_input(key="admin_password").input(ADMIN_PASSWORD)
    next(b for b in at.button if b.label == "Sign in").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert _is_admin_page(at)
    scripts = [h.proto.body for h in at.get("html") if "document.cookie" in h.proto.body]
    assert len(scripts) == 1 and scripts[0].count("impact_admin=a1.") == 1 and "SameSite=Strict" in scripts[0]
    assert "Path=/" in scripts[0] and "Expires=" in scripts[0] and "'; Secure'" in scripts[0]
    value = scripts[0].split("impact_admin=")[1].split(";")[0]
    assert sessions.verify_admin(store.open_store(data_store), value, auth.password_hash())

    sent["cookie"] = value  # a reload or a new tab: a new session, the browser sending the cookie
    again = make_app("pages/data.py")
    assert _is_admin_page(again)
    other_tab = make_app("pages/data.py")
    assert _is_admin_page(other_tab)

    next(b for b in again.button if b.label == "Sign out").click()
    again.run()
    scripts = [h.proto.body for h in again.get("html") if "document.cookie" in h.proto.body]
    assert len(scripts) == 1 and "impact_admin=;" in scripts[0] and "Max-Age=0" in scripts[0]
    assert not _is_admin_page(again)
    assert not sessions.verify_admin(store.open_store(data_store), value, auth.password_hash())
    assert not _is_admin_page(make_app("pages/data.py"))  # a new session still sending the revoked cookie
    monkeypatch.setattr(auth, "ADMIN_RECHECK_SECONDS", 0.0)
    other_tab.run()  # the tab that was open: checked again, signed out too
    assert not _is_admin_page(other_tab)


def test_the_length_of_an_administrators_sign_in_comes_from_the_secrets(monkeypatch):
    monkeypatch.setattr(auth, "_secrets", lambda: {})
    assert auth.admin_session_days() == 7
    monkeypatch.setattr(auth, "_secrets", lambda: {"admin": {"session_days": 1}})
    assert auth.admin_session_days() == 1
    for bad in (0, "a day", 400):
        monkeypatch.setattr(auth, "_secrets", lambda bad=bad: {"admin": {"session_days": bad}})
        with pytest.raises(ValueError, match=r"\[admin\] session_days in the secrets is"):
            auth.admin_session_days()
