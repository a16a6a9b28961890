"""The admin gate: no import, switch or delete controls without credentials; the right password opens
them; wrong passwords are rate-limited; hashes are salted and compared in constant time."""

from __future__ import annotations

import pytest
import streamlit as st

from impact.app import auth
from impact.ingest import extract_io, validate
from impact.storage import store
from tests.conftest import make_app
from tests.data_helpers import read_rows, write_rows

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def password_hash() -> str:
    return auth.hash_password(PASSWORD)


@pytest.fixture(autouse=True)
def fresh_limits():
    auth.SESSION_LIMITER._failures.clear()
    auth.GLOBAL_LIMITER._failures.clear()
    yield
    auth.SESSION_LIMITER._failures.clear()
    auth.GLOBAL_LIMITER._failures.clear()


@pytest.fixture
def admin_store(data_store, csv_extract, tmp_path, monkeypatch, password_hash):
    """The app on a fresh store with one imported version, and an admin password in the environment."""
    rows = read_rows(csv_extract / "partnership_scores.csv")
    rows[1][2] = "1" if rows[1][2] != "1" else "2"
    write_rows(tmp_path / "in" / "partnership_scores.csv", rows)
    assert extract_io.import_extract(tmp_path / "in", data_store).ok
    monkeypatch.setenv("IMPACT_DATA_DIR", str(data_store))
    monkeypatch.setenv(auth.HASH_ENV, password_hash)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield data_store
    st.cache_data.clear()
    st.cache_resource.clear()


def _labels(at) -> set[str]:
    return {b.label for b in at.button}


ADMIN_CONTROLS = {"Make this version active", "Check and import"}


def test_hashes_are_salted_and_verified():
    first, second = auth.hash_password(PASSWORD), auth.hash_password(PASSWORD)
    assert first != second and first.startswith("scrypt$")
    assert auth.verify_password(PASSWORD, first) and auth.verify_password(PASSWORD, second)
    assert not auth.verify_password(PASSWORD + " ", first)
    assert not auth.verify_password("", first)
    for broken in ("", "plain", "scrypt$1$2$3", "md5$16384$8$1$abc$def", first.replace("scrypt", "bcrypt"),
                   "scrypt$99999999999$8$1$AAAA$AAAA", "scrypt$16384$8$1$!!!$???", first[:-8]):
        assert not auth.verify_password(PASSWORD, broken)
    with pytest.raises(ValueError):
        auth.hash_password("")


def test_rate_limiter_backs_off_exponentially_and_forgets():
    limiter = auth.RateLimiter(free=3, base_seconds=2, cap_seconds=10, forget_after=100)
    for n in range(3):
        assert limiter.wait("s", now=n) == 0
        limiter.failed("s", now=n)
    assert limiter.wait("s", now=2) == pytest.approx(2)
    limiter.failed("s", now=4)
    assert limiter.wait("s", now=4) == pytest.approx(4)
    for t in (8, 16, 32):
        limiter.failed("s", now=t)
    assert limiter.wait("s", now=32) == pytest.approx(10)  # capped
    assert limiter.wait("other", now=32) == 0
    assert limiter.wait("s", now=500) == 0  # forgotten after a quiet hour
    limiter.succeeded("s")
    assert limiter.wait("s", now=33) == 0


def test_without_credentials_there_are_no_admin_controls(admin_store, monkeypatch):
    monkeypatch.delenv(auth.HASH_ENV)
    at = make_app("pages/data.py")
    assert not _labels(at) & (ADMIN_CONTROLS | {"Delete version"})
    assert not at.get("file_uploader")
    assert any("switched off" in i.value for i in at.info)
    assert len(at.dataframe) >= 3  # dictionary, versions and browse are open to everyone


def test_password_sign_in_opens_the_controls_and_switching_works(admin_store):
    at = make_app("pages/data.py")
    assert not _labels(at) & ADMIN_CONTROLS
    at.text_input(key="admin_password").input(PASSWORD)
    next(b for b in at.button if b.label == "Sign in").click()
    at.run()
    assert not at.exception
    assert ADMIN_CONTROLS <= _labels(at), _labels(at)
    assert at.get("file_uploader")

    imported = store.open_store(admin_store).active().version
    assert imported != "base"
    at.selectbox(key="switch_version").set_value("base")
    next(b for b in at.button if b.label == "Make this version active").click()
    at.run()
    assert not at.exception
    assert store.open_store(admin_store).active().version == "base"

    assert "Delete version" in _labels(at)  # offered for versions not in use
    at.selectbox(key="delete_version").set_value(imported)
    at.checkbox(key="delete_sure").check()
    at.run()
    next(b for b in at.button if b.label == "Delete version").click()
    at.run()
    assert not at.exception
    assert [v.version for v in store.open_store(admin_store).versions()] == ["base"]

    next(b for b in at.button if b.label == "Sign out").click()
    at.run()
    assert not _labels(at) & (ADMIN_CONTROLS | {"Delete version"})


def test_password_hash_from_streamlit_secrets(admin_store, monkeypatch, password_hash):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    monkeypatch.delenv(auth.HASH_ENV)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.secrets["admin_password_hash"] = password_hash
    at.run()
    at.switch_page("pages/data.py")
    at.run()
    at.text_input(key="admin_password").input(PASSWORD)
    next(b for b in at.button if b.label == "Sign in").click()
    at.run()
    assert "Check and import" in _labels(at)


def test_wrong_passwords_are_rate_limited(admin_store):
    at = make_app("pages/data.py")
    for _ in range(3):
        at.text_input(key="admin_password").input("guess")
        next(b for b in at.button if b.label == "Sign in").click()
        at.run()
        assert any(e.value == "Wrong password." for e in at.error)
    at.text_input(key="admin_password").input(PASSWORD)  # even the right one must wait now
    next(b for b in at.button if b.label == "Sign in").click()
    at.run()
    assert any("Too many wrong passwords" in e.value for e in at.error)
    assert not _labels(at) & ADMIN_CONTROLS


def test_global_limit_holds_across_sessions(monkeypatch, password_hash):
    monkeypatch.setenv(auth.HASH_ENV, password_hash)
    for _ in range(auth.GLOBAL_LIMITER.free):
        auth.GLOBAL_LIMITER.failed("*")
    assert auth.GLOBAL_LIMITER.wait("*") > 0
    accepted, message = auth.try_password(PASSWORD)
    assert not accepted and "Too many" in message


def test_actions_refuse_outside_an_admin_session(admin_store):
    with pytest.raises(PermissionError):
        auth.require_admin()
    assert auth.admin_name() == ""


def test_oidc_login_is_offered_when_an_identity_provider_is_configured(admin_store, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    monkeypatch.delenv(auth.HASH_ENV)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8631/oauth2callback", "cookie_secret": "x" * 32,
                          "client_id": "id", "client_secret": "secret",
                          "server_metadata_url": "https://idp.invalid/.well-known/openid-configuration"}
    at.secrets["admin"] = {"emails": ["me@example.org"]}
    at.run()
    at.switch_page("pages/data.py")
    at.run()
    assert not at.exception
    assert "Log in with your organisation's account" in _labels(at)
    assert not _labels(at) & ADMIN_CONTROLS


def test_uploads_with_odd_names_or_mixed_zips_are_refused(tmp_path):
    report = validate.Report()
    assert extract_io.save_uploads([("../training.csv", b"x")], tmp_path, report) is None
    assert not list(tmp_path.iterdir())
    report = validate.Report()
    assert extract_io.save_uploads([("a.zip", b"x"), ("training.csv", b"x")], tmp_path, report) is None
    report = validate.Report()
    target = extract_io.save_uploads([("training.csv", b"x"), ("projects.xlsx", b"y")], tmp_path, report)
    assert target == tmp_path and sorted(p.name for p in tmp_path.iterdir()) == ["projects.xlsx", "training.csv"]


def test_oidc_users_are_admins_only_when_listed(monkeypatch):
    secrets = {"auth": {"redirect_uri": "http://localhost:8631/oauth2callback"},
               "admin": {"emails": ["Boss@Example.org "]}}
    monkeypatch.setattr(auth, "_secrets", lambda: secrets)
    assert auth.oidc_configured() and auth.admin_emails() == {"boss@example.org"}
    monkeypatch.setattr(auth, "oidc_user", lambda: "boss@example.org")
    assert auth.is_admin() and auth.admin_name() == "boss@example.org"
    monkeypatch.setattr(auth, "oidc_user", lambda: "visitor@example.org")
    assert not auth.is_admin()
    with pytest.raises(PermissionError):
        auth.require_admin()
    monkeypatch.setattr(auth, "_secrets", lambda: {"admin": {"emails": ["boss@example.org"]}})
    assert not auth.oidc_configured()


def test_hash_password_command(monkeypatch, capsys):
    import io

    from impact import cli

    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert cli.main(["hash-password", "--stdin"]) == 0
    printed = capsys.readouterr().out.strip()
    assert auth.verify_password(PASSWORD, printed)
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert cli.main(["hash-password", "--stdin"]) == 2
