"""Administrator access: who may import, switch and delete data versions.

Viewing is open to everyone. Administrators prove themselves either with a password, kept
only as a salted scrypt hash in Streamlit secrets (`admin_password_hash`, or
`[admin] password_hash`) or in the environment variable IMPACT_ADMIN_PASSWORD_HASH,
compared in constant time and rate-limited per session and across all sessions with an
exponential back-off; or with Streamlit's OpenID Connect login (`st.login`) when an
`[auth]` section is configured in secrets, for the e-mail addresses listed in
`[admin] emails`. `python -m impact hash-password` prints a hash to paste into either.

Partners (`impact.reporting.partners`) sign in the same two ways: with the password an administrator set for
their account (its e-mail and password, rate-limited like the administrator's), or through the identity
provider with the account's e-mail. `require_project` is the check every partner action makes on the
server, whatever the page shows.

Both sign-ins last beyond one page load. The identity provider's through Streamlit's own cookie (`st.login`,
signed with `[auth] cookie_secret`). A partner's password sign-in through the `impact_partner` cookie: a token
signed with the store's key (`impact.reporting.sessions`), valid `[partners] session_days` (7 by default),
revoked when the account is removed or its password or projects change. An administrator's password sign-in
through the `impact_admin` cookie: a token signed with the top-level store's own key, valid `[admin]
session_days` (7 by default), revoked when the administrator's password changes and, one token, when its
administrator signs out (so a copy of the cookie is refused too). Streamlit lets page code read cookies
(`st.context.cookies`, as the browser sent them when the page loaded) but not set them, so the page sets and
deletes it with a one-line script (`st.html`, same origin, `SameSite=Strict; Path=/`, `Secure` over https);
that makes it readable by page scripts (no HttpOnly): the signature, the expiry and the revocation protect it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets as token
import threading
import time
import unicodedata
from dataclasses import dataclass, field

from impact.app import run_memo, streamlit_compat
from impact.model import i18n
from impact.model.i18n import gettext as _
from impact.storage import audit, store

HASH_ENV = "IMPACT_ADMIN_PASSWORD_HASH"
_SESSION_KEY = "_impact_admin"
_PARTNER_KEY = "_impact_partner"
_PARTNER_OUT = "_impact_partner_signed_out"  # this session signed out: the cookie its page loaded with is void
_PARTNER_COOKIE = "_impact_partner_cookie"  # the cookie the page is to set or delete on its next run
PARTNER_COOKIE = "impact_partner"
ADMIN_COOKIE = "impact_admin"
_ADMIN_OUT = "_impact_admin_signed_out"  # this session signed out: the cookie its page loaded with is void
_ADMIN_SCRIPT = "_impact_admin_cookie"  # the administrator's cookie the page is to set or delete on its next run
_ADMIN_CHECKED = "_impact_admin_checked"  # (the cookie checked, when): a cookie sign-in is checked again every
ADMIN_RECHECK_SECONDS = 10.0  # few seconds, so that signing out in one tab ends the others' too
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_MAX_N = 2**20


def hash_password(password: str) -> str:
    """A salted scrypt hash of `password`: 'scrypt$n$r$p$salt$hash' (base64 parts)."""
    if not password:
        raise ValueError("the password is empty")
    salt = token.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    b64 = lambda b: base64.b64encode(b).decode("ascii")  # noqa: E731
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${b64(salt)}${b64(digest)}"


def verify_password(password: str, encoded: str) -> bool:
    """True when `password` matches the hash `encoded` (constant-time compare); False for any malformed hash."""
    try:
        scheme, n, r, p, salt, expected = encoded.strip().split("$")
        n, r, p = int(n), int(r), int(p)
        if scheme != "scrypt" or not (2 <= n <= _MAX_N and 1 <= r <= 32 and 1 <= p <= 16):
            return False
        salt_bytes, expected_bytes = base64.b64decode(salt), base64.b64decode(expected)
        if len(expected_bytes) < 32 or len(salt_bytes) < 8:
            return False
        digest = hashlib.scrypt(password.encode("utf-8"), salt=salt_bytes, n=n, r=r, p=p,
                                dklen=len(expected_bytes), maxmem=256 * 1024 * 1024)
    except (ValueError, TypeError, AttributeError):
        return False
    return hmac.compare_digest(digest, expected_bytes)


@dataclass
class RateLimiter:
    """Failed attempts per key; after `free` failures each further attempt waits twice as long."""

    free: int = 3
    base_seconds: float = 2.0
    cap_seconds: float = 300.0
    forget_after: float = 3600.0
    _failures: dict = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self, key: str, now: float | None = None) -> float:
        """Seconds before `key` may try again (0 = now)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            count, last = self._failures.get(key, (0, 0.0))
            if now - last > self.forget_after:
                return 0.0
            if count < self.free:
                return 0.0
            delay = min(self.base_seconds * 2 ** (count - self.free), self.cap_seconds)
            return max(0.0, last + delay - now)

    def failed(self, key: str, now: float | None = None) -> None:
        """Count a failed attempt by `key`."""
        now = time.monotonic() if now is None else now
        with self._lock:
            count, last = self._failures.get(key, (0, 0.0))
            count = 0 if now - last > self.forget_after else count
            self._failures[key] = (count + 1, now)
            if len(self._failures) > 10_000:  # bound memory under a flood of sessions
                oldest = sorted(self._failures, key=lambda k: self._failures[k][1])[:5_000]
                for stale in oldest:
                    self._failures.pop(stale, None)

    def succeeded(self, key: str) -> None:
        """Forget `key`'s failures."""
        with self._lock:
            self._failures.pop(key, None)


# Process-wide on purpose: the global limit must hold across sessions (a new browser tab is a new
# session), so these live for the life of the server, guarded by their own locks.
SESSION_LIMITER = RateLimiter(free=3, base_seconds=2.0, cap_seconds=300.0)
GLOBAL_LIMITER = RateLimiter(free=20, base_seconds=1.0, cap_seconds=60.0)
_GLOBAL = "*"


def _secrets() -> dict:
    """The server's secrets (read once a run: every sign-in check asks)."""
    if streamlit_compat.session_id() is None:  # outside a script run (the command line)
        return _read_secrets()
    return run_memo.remembered("secrets", _read_secrets)


def _read_secrets() -> dict:
    import streamlit as st

    try:
        return st.secrets.to_dict()
    except Exception:  # no secrets.toml: Streamlit raises its own not-found error
        return {}


def password_hash() -> str | None:
    """The configured admin password hash: secrets first, then IMPACT_ADMIN_PASSWORD_HASH."""
    found = _secrets()
    value = found.get("admin_password_hash") or (found.get("admin") or {}).get("password_hash")
    return value or os.environ.get(HASH_ENV) or None


def oidc_configured() -> bool:
    """True when an identity provider is configured (`[auth]` in secrets) for `st.login`."""
    auth = _secrets().get("auth")
    return isinstance(auth, dict) and bool(auth.get("redirect_uri") or any(isinstance(v, dict) for v in auth.values()))


def oidc_provider() -> str | None:
    """The named provider to pass to `st.login` (`[admin] provider`), or None for the default `[auth]`."""
    return (_secrets().get("admin") or {}).get("provider") or None


def admin_emails() -> set[str]:
    """E-mail addresses that are administrators when logged in through the identity provider."""
    emails = (_secrets().get("admin") or {}).get("emails") or []
    return {str(e).strip().lower() for e in emails if str(e).strip()}


def oidc_user() -> str | None:
    """The e-mail of the user logged in through the identity provider, or None."""
    import streamlit as st

    if not oidc_configured():
        return None
    try:
        if not st.user.get("is_logged_in", False):
            return None
        return unicodedata.normalize("NFKC", str(st.user.get("email") or "")).strip().lower() or None
    except Exception:  # st.user is unavailable outside a browser session
        return None


_OIDC_SEEN = "_impact_oidc_recorded"


def record_oidc_sign_in(programme_store: store.Store) -> None:
    """Record in the trail of the store on screen that this session came in through the identity provider (once
    per session and e-mail: Streamlit's login returns to the app signed in, with no step of ours in between)."""
    import streamlit as st

    email = oidc_user()
    if not email or st.session_state.get(_OIDC_SEEN) == (email, str(programme_store.root)):
        return
    st.session_state[_OIDC_SEEN] = (email, str(programme_store.root))
    from impact.reporting import partners

    found = partners.account(programme_store, email)
    role = "administrator" if email in admin_emails() else "partner" if found is not None else "no role"
    _trail(programme_store, audit.SIGN_IN, email, role, method="organisation login",
           **({"projects": list(found.projects)} if found is not None else {}))
    if found is not None:  # its e-mails in the language it signs in in, unless one was chosen
        partners.sign_in_language(programme_store, email, i18n.active().language)


def _oidc_admin() -> str | None:
    email = oidc_user()
    return email if email and email in admin_emails() else None


def is_admin() -> bool:
    """True when this session belongs to an administrator (signed in here, by a valid cookie, or through the
    identity provider)."""
    import streamlit as st

    return bool(st.session_state.get(_SESSION_KEY)) or _admin_from_cookie() or _oidc_admin() is not None


def admin_by_password() -> bool:
    """True when this session's administrator signed in with the password (here, or by its cookie): it can sign out."""
    import streamlit as st

    return bool(st.session_state.get(_SESSION_KEY)) or _admin_from_cookie()


def admin_name() -> str:
    """Who the administrator is, for the version's manifest."""
    return _oidc_admin() or (ADMIN_BY_PASSWORD if is_admin() else "")


def require_admin() -> None:
    """Refuse (PermissionError) unless this session belongs to an administrator."""
    if not is_admin():
        raise PermissionError("only an administrator can do this")


def _session_key() -> str:
    return streamlit_compat.session_id() or "no-session"


ADMIN_BY_PASSWORD = "administrator (password)"


def try_password(password: str, programme_store: store.Store | None = None) -> tuple[bool, str]:
    """Check an admin password for this session, with rate limits; return (accepted, message for people). With
    `programme_store` (the programme's store on screen) the attempt is recorded in its trail."""

    encoded = password_hash()
    if not encoded:
        return False, _("No administrator password is configured on this server (see the README).")
    key = _session_key()
    wait = max(SESSION_LIMITER.wait(key), GLOBAL_LIMITER.wait(_GLOBAL))
    if wait > 0:
        _trail(programme_store, audit.SIGN_IN_FAILED, ADMIN_BY_PASSWORD, "administrator",
               reason="too many attempts")
        return False, _("Too many wrong passwords. Try again in {seconds} seconds.").format(seconds=f"{wait:.0f}")
    if verify_password(password or "", encoded):
        SESSION_LIMITER.succeeded(key)
        try:
            start_admin_session(encoded)
        except ValueError as problem:  # the server's settings are wrong: say so rather than half sign in
            return False, _("Signing in is not possible on this server: {problem}").format(problem=problem)
        _trail(programme_store, audit.SIGN_IN, ADMIN_BY_PASSWORD, "administrator")
        return True, _("Signed in as administrator.")
    SESSION_LIMITER.failed(key)
    GLOBAL_LIMITER.failed(_GLOBAL)
    _trail(programme_store, audit.SIGN_IN_FAILED, ADMIN_BY_PASSWORD, "administrator", reason="wrong password")
    return False, _("Wrong password.")


def _trail(programme_store: store.Store | None, action: str, who: str, what: str, **details) -> None:
    """Record a sign-in step in the trail of the store on screen (when there is one)."""
    if programme_store is not None:
        audit.record(programme_store, action, who, what, **details)


def sign_out(programme_store: store.Store | None = None) -> None:
    """End this session's administrator rights (password sign-in): the cookie is revoked on the server and deleted
    in the browser."""
    import streamlit as st

    from impact.reporting import sessions

    if st.session_state.pop(_SESSION_KEY, None):
        _trail(programme_store, audit.SIGN_OUT, ADMIN_BY_PASSWORD, "administrator")
    for value in {admin_cookie(), st.session_state.pop(_ADMIN_ISSUED, None)} - {None}:
        sessions.revoke_admin(store.open_store(), value)
    st.session_state.pop(_ADMIN_CHECKED, None)
    st.session_state[_ADMIN_OUT] = True
    st.session_state[_ADMIN_SCRIPT] = _cookie_script(None, 0, ADMIN_COOKIE)


# ---- the administrator's cookie: a sign-in that lasts -------------------------------------------

_ADMIN_ISSUED = "_impact_admin_issued"  # the token this session was handed (to revoke it at sign-out)


def admin_session_days() -> float:
    """How long an administrator's password sign-in lasts, in days: `[admin] session_days` in secrets, else 7."""
    return _session_days("admin")


def _session_days(section: str) -> float:
    """`[section] session_days` in the secrets, else the default; ValueError naming it if it is not a fit number."""
    from impact.reporting import sessions

    value = (_secrets().get(section) or {}).get("session_days", sessions.DEFAULT_DAYS)
    try:
        days = float(value)
    except (TypeError, ValueError):
        days = -1.0
    if not 0 < days <= sessions.MAX_DAYS:
        raise ValueError(f"[{section}] session_days in the secrets is {str(value)[:20]!r}: "
                         f"give a number of days above 0 and at most {sessions.MAX_DAYS:.0f}.")
    return days


def start_admin_session(password_hash: str) -> None:
    """Sign this session in as the administrator and have the page hand the browser its signed cookie."""
    import streamlit as st

    from impact.reporting import sessions

    signed = sessions.issue_admin(store.open_store(), password_hash, admin_session_days())
    st.session_state[_SESSION_KEY] = True
    st.session_state[_ADMIN_ISSUED] = signed.value
    st.session_state.pop(_ADMIN_OUT, None)
    st.session_state[_ADMIN_SCRIPT] = _cookie_script(signed.value, signed.expires, ADMIN_COOKIE)


def admin_cookie() -> str | None:
    """The administrator's cookie the browser sent when this page loaded (None without one)."""
    return _cookie(ADMIN_COOKIE)


def _admin_from_cookie() -> bool:
    """True when the browser's administrator cookie is valid now (checked again every few seconds: a sign-out in
    another tab, or a new password, ends it here too); never after this session signed out."""
    import streamlit as st

    from impact.reporting import sessions

    value = admin_cookie()
    if value is None or st.session_state.get(_ADMIN_OUT):
        return False
    checked = st.session_state.get(_ADMIN_CHECKED)
    now = time.monotonic()
    if checked and checked[0] == value and now - checked[1] < ADMIN_RECHECK_SECONDS:
        return checked[2]
    valid = sessions.verify_admin(store.open_store(), value, password_hash())
    st.session_state[_ADMIN_CHECKED] = (value, now, valid)
    return valid


# ---- partners -------------------------------------------------------------------------------

def partner(programme_store: store.Store) -> object | None:
    """The partner account (impact.reporting.partners.Account) this session signed in with on the programme's store,
    or None."""
    import streamlit as st

    from impact.reporting import partners

    signed = st.session_state.get(_PARTNER_KEY)
    if signed and signed.get("store") == programme_store:
        found = partners.account(programme_store, signed.get("email"))
        if found is not None and _state(found) == signed.get("state"):
            return found
        partner_sign_out()  # removed, or its password or projects changed since it signed in: signed out
    elif not signed:
        found = _partner_from_cookie(programme_store)
        if found is not None:
            return found
    return partners.account(programme_store, oidc_user()) if oidc_user() else None


def may_be_partner() -> bool:
    """True when this session may belong to a partner — signed in with a partner's password, holding the partner
    cookie, or logged in through the identity provider — so that the store's accounts are read only then."""
    import streamlit as st

    if st.session_state.get(_PARTNER_KEY):
        return True
    return (partner_cookie() is not None and not st.session_state.get(_PARTNER_OUT)) or oidc_user() is not None


def try_partner_password(programme_store: store.Store, email: str, password: str) -> tuple[bool, str]:
    """Check a partner's e-mail and password for this session, with the administrator's rate limits."""
    from impact.reporting import partners

    typed = partners.normal_email(email)[:254]
    key, who = _session_key(), f"partner:{typed}"
    wait = max(SESSION_LIMITER.wait(key), SESSION_LIMITER.wait(who), GLOBAL_LIMITER.wait(_GLOBAL))
    if wait > 0:
        _trail(programme_store, audit.SIGN_IN_FAILED, typed, "partner", reason="too many attempts")
        return False, _("Too many wrong passwords. Try again in {seconds} seconds.").format(seconds=f"{wait:.0f}")
    found = partners.account(programme_store, email)
    # The same work and the same answer whether or not the account exists or has a password.
    encoded = found.password_hash if found and found.password_hash else _DUMMY_HASH
    if verify_password(password or "", encoded) and found is not None and found.password_hash:
        SESSION_LIMITER.succeeded(key)
        SESSION_LIMITER.succeeded(who)
        try:
            start_partner_session(programme_store, found)
        except ValueError as problem:  # the server's settings are wrong: say so rather than half sign in
            return False, _("Signing in is not possible on this server: {problem}").format(problem=problem)
        _trail(programme_store, audit.SIGN_IN, found.email, "partner", projects=list(found.projects))
        partners.sign_in_language(programme_store, found.email, i18n.active().language)  # unless one was chosen
        return True, _("Signed in as {email}.").format(email=found.email)
    for failed in (key, who):
        SESSION_LIMITER.failed(failed)
    GLOBAL_LIMITER.failed(_GLOBAL)
    _trail(programme_store, audit.SIGN_IN_FAILED, typed, "partner", reason="wrong e-mail or password")
    return False, _("Wrong e-mail or password.")


_DUMMY_HASH = hash_password("not a password: no account has it " + token.token_hex(8))


def partner_signed_in() -> bool:
    """True when this session signed in with a partner's password (and so can sign out)."""
    import streamlit as st

    return bool(st.session_state.get(_PARTNER_KEY))


def partner_sign_out() -> None:
    """End this session's partner sign-in (password)."""
    import streamlit as st

    signed = st.session_state.pop(_PARTNER_KEY, None)
    if signed:
        _trail(signed.get("store"), audit.SIGN_OUT, signed.get("email", ""), "partner")
    st.session_state[_PARTNER_OUT] = True
    st.session_state[_PARTNER_COOKIE] = _cookie_script(None, 0)


# ---- the partner's cookie: a sign-in that lasts -----------------------------------------------

def _state(found) -> str:
    from impact.reporting import sessions

    return sessions.account_state(found)


def session_days() -> float:
    """How long a partner's password sign-in lasts, in days: `[partners] session_days` in secrets, else 7."""
    return _session_days("partners")


def start_partner_session(programme_store: store.Store, found) -> None:
    """Sign this session in as `found` and have the page hand the browser its signed cookie."""
    import streamlit as st

    from impact.reporting import sessions

    signed = sessions.issue(programme_store, found, session_days())
    st.session_state[_PARTNER_KEY] = {"store": programme_store, "email": found.email, "state": _state(found)}
    st.session_state.pop(_PARTNER_OUT, None)
    st.session_state[_PARTNER_COOKIE] = _cookie_script(signed.value, signed.expires)


def partner_cookie() -> str | None:
    """The partner cookie the browser sent when this page loaded (None without one)."""
    return _cookie(PARTNER_COOKIE)


def _cookie(name: str) -> str | None:
    """The cookie `name` as the browser sent it when this page loaded (None without one)."""
    import streamlit as st

    def sent() -> str | None:
        try:
            value = st.context.cookies.get(name)
        except Exception:  # st.context is unavailable outside a session
            return None
        return value if isinstance(value, str) else None  # AppTest's stand-in runtime gives no real cookies

    # the cookies of the request that opened the session: the same for its whole life (read once)
    return run_memo.for_session(f"cookie:{name}", sent) if streamlit_compat.session_id() else sent()


def _partner_from_cookie(programme_store: store.Store):
    """The account a valid cookie signs in on the programme's store (this session is then signed in), or None."""
    import streamlit as st

    from impact.reporting import sessions

    if st.session_state.get(_PARTNER_OUT):
        return None
    value = partner_cookie()
    found = sessions.verify(programme_store, value) if value else None
    if found is not None:
        st.session_state[_PARTNER_KEY] = {"store": programme_store, "email": found.email, "state": _state(found)}
    return found


def _cookie_script(value: str | None, expires: int, name: str = PARTNER_COOKIE) -> str:
    """A script setting the cookie `name` (the partner's by default) to `value` until `expires` (Unix seconds), or
    deleting it (None)."""
    import json

    if value is None:
        attributes = "; Max-Age=0"
        value = ""
    else:
        when = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(expires))
        attributes = f"; Expires={when}"
    cookie = json.dumps(f"{name}={value}; Path=/; SameSite=Strict{attributes}")  # token: [A-Za-z0-9._-]
    return (f"<script>document.cookie = {cookie} + (location.protocol === 'https:' ? '; Secure' : '');"
            "</script>")


def write_cookies() -> None:
    """Set or delete the partner's and the administrator's cookies in the browser when a sign-in or sign-out asked
    for it (once)."""
    import streamlit as st

    for key in (_PARTNER_COOKIE, _ADMIN_SCRIPT):
        script = st.session_state.pop(key, None)
        if script:
            st.html(script, unsafe_allow_javascript=True, width="content")


def require_project(programme_store: store.Store, project_id: str) -> str:
    """Who may act for `project_id`'s returns (an administrator, or a partner account tied to it); else refuse
    with PermissionError. Returns their name for the trail."""
    if is_admin():
        return admin_name()
    found = partner(programme_store)
    if found is None:
        raise PermissionError("sign in as a partner of this project (or as an administrator) to do this")
    if not found.may_report(project_id):
        raise PermissionError(f"the account {found.email} does not report for {project_id}")
    return found.email
