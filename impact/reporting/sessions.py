"""A partner's sign-in that lasts: a signed, expiring token the browser keeps in a cookie.

After a good password the app hands the browser a token holding the account's e-mail and an expiry, signed
with HMAC-SHA256 under a key only the store holds (`partners/session.key`, made once, on the first sign-in;
every server over the same store, local or on S3, reads the same key). The signature also covers the
account's current state — a hash of its e-mail, password hash and projects — which the token does not carry:
it is recomputed from the account when the token comes back, so removing the account, changing its password
or its projects revokes every token issued before. A token is refused when its expiry has passed, when any
part of it was changed, or when another store's key signed it.

The token: `v1.<e-mail, base64url>.<expiry, Unix seconds>.<signature, base64url>` (cookie-safe characters only).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass

from impact.reporting import partners
from impact.storage import files, store

KEY_FILE = "partners/session.key"
VERSION = "v1"
DEFAULT_DAYS = 7.0
MAX_DAYS = 366.0
_TOKEN = re.compile(r"^v1\.([A-Za-z0-9_-]{1,400})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class Token:
    """A signed token and when it expires (Unix seconds)."""

    value: str
    expires: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def signing_key(programme_store: store.Store, *, create: bool = True) -> bytes | None:
    """The store's signing key (32 random bytes, readable by the server alone: `files.secret`, made once even when
    two servers sign in their first partner at the same moment); without `create`, None while there is none."""
    try:
        return files.secret(programme_store, KEY_FILE, create=create)
    except ValueError as error:  # a damaged file: say which, and what removing it means
        raise ValueError(f"{KEY_FILE} in the store is not a signing key (64 hexadecimal digits); "
                         "remove it to make a new one (every partner signs in again).") from error


def account_state(account: partners.Account) -> str:
    """A hash of what the token is bound to: the account's e-mail, password hash and projects."""
    parts = [account.email, account.password_hash, *sorted(account.projects)]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def _signature(key: bytes, email: str, expires: int, state: str) -> bytes:
    message = f"{VERSION}\n{email}\n{expires}\n{state}".encode()
    return hmac.new(key, message, hashlib.sha256).digest()


def issue(programme_store: store.Store, account: partners.Account, days: float = DEFAULT_DAYS,
          now: float | None = None) -> Token:
    """A token for `account` (a password account) valid for `days` from `now`."""
    if not account.password_hash:
        raise ValueError(f"the account {account.email} has no password: it signs in through the identity provider")
    if not 0 < days <= MAX_DAYS:
        raise ValueError(f"a sign-in lasts between a moment and {MAX_DAYS:.0f} days, not {days}")
    expires = int((time.time() if now is None else now) + days * 86400)
    signature = _signature(signing_key(programme_store), account.email, expires, account_state(account))
    return Token(f"{VERSION}.{_b64(account.email.encode('utf-8'))}.{expires}.{_b64(signature)}", expires)


def verify(programme_store: store.Store, value: str | None, now: float | None = None) -> partners.Account | None:
    """The account a token signs in, or None when it is malformed, expired, altered, signed by another key, or
    the account was removed or its password or projects changed since it was issued."""
    matched = _TOKEN.match(value) if isinstance(value, str) else None
    if matched is None:
        return None
    try:
        email = _unb64(matched.group(1)).decode("utf-8")
        given = _unb64(matched.group(3))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    expires = int(matched.group(2))
    if expires <= (time.time() if now is None else now):
        return None
    found = partners.account(programme_store, email)
    if found is None or found.email != email or not found.password_hash:
        return None
    try:
        key = signing_key(programme_store, create=False)  # no key yet: no token was ever issued by this store
    except ValueError:
        return None
    if key is None:
        return None
    expected = _signature(key, found.email, expires, account_state(found))
    return found if hmac.compare_digest(expected, given) else None


# ---- an administrator's password sign-in ----------------------------------------------------------------------
#
# The same kind of token, for the administrator's password (one password, kept as a hash in the server's secrets):
# `a1.<nonce>.<expiry>.<signature>`, signed with the top-level store's own key (`admin/session.key`, so every
# server over the store accepts it) over the nonce, the expiry and a hash of the password hash — changing the
# password revokes every token issued before. Signing out revokes the one token (its nonce is kept in
# `admin/revoked.json` until it would have expired), so a copy of the cookie is refused too.

ADMIN_KEY_FILE = "admin/session.key"
ADMIN_REVOKED = "admin/revoked.json"
ADMIN_VERSION = "a1"
_ADMIN_TOKEN = re.compile(r"^a1\.([A-Za-z0-9_-]{22})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})$")


def _admin_signature(key: bytes, nonce: str, expires: int, password_hash: str) -> bytes:
    bound = hashlib.sha256(password_hash.encode("utf-8")).hexdigest()
    return hmac.new(key, f"{ADMIN_VERSION}\n{nonce}\n{expires}\n{bound}".encode(), hashlib.sha256).digest()


def _admin_key(top_store: store.Store, *, create: bool) -> bytes | None:
    try:
        return files.secret(top_store, ADMIN_KEY_FILE, create=create)
    except ValueError as error:
        raise ValueError(f"{ADMIN_KEY_FILE} in the store is not a signing key (64 hexadecimal digits); "
                         "remove it to make a new one (the administrator signs in again).") from error


def issue_admin(top_store: store.Store, password_hash: str, days: float = DEFAULT_DAYS,
                now: float | None = None) -> Token:
    """A token for the administrator who has just given the password whose hash is `password_hash`."""
    if not password_hash:
        raise ValueError("no administrator password is configured")
    if not 0 < days <= MAX_DAYS:
        raise ValueError(f"a sign-in lasts between a moment and {MAX_DAYS:.0f} days, not {days}")
    nonce = _b64(secrets.token_bytes(16))
    expires = int((time.time() if now is None else now) + days * 86400)
    signature = _admin_signature(_admin_key(top_store, create=True), nonce, expires, password_hash)
    return Token(f"{ADMIN_VERSION}.{nonce}.{expires}.{_b64(signature)}", expires)


def _revoked(top_store: store.Store) -> dict[str, int]:
    text = files.read_text(top_store, ADMIN_REVOKED)
    try:
        held = json.loads(text) if text else {}
    except ValueError:
        held = {}
    return {str(k): int(v) for k, v in held.items() if isinstance(v, int)} if isinstance(held, dict) else {}


def verify_admin(top_store: store.Store, value: str | None, password_hash: str | None,
                 now: float | None = None) -> bool:
    """True when `value` is an administrator's token of this store, unexpired, unrevoked and issued under the
    password configured now (`password_hash`)."""
    matched = _ADMIN_TOKEN.match(value) if isinstance(value, str) else None
    if matched is None or not password_hash:
        return False
    nonce, expires = matched.group(1), int(matched.group(2))
    if expires <= (time.time() if now is None else now):
        return False
    try:
        key = _admin_key(top_store, create=False)
        given = _unb64(matched.group(3))
    except (ValueError, binascii.Error):
        return False
    if key is None or not hmac.compare_digest(_admin_signature(key, nonce, expires, password_hash), given):
        return False
    return nonce not in _revoked(top_store)


def revoke_admin(top_store: store.Store, value: str | None, now: float | None = None) -> None:
    """End an administrator's token for good (signing out): its nonce is kept until the token would have expired;
    the expired ones are forgotten."""
    matched = _ADMIN_TOKEN.match(value) if isinstance(value, str) else None
    if matched is None:
        return
    clock = time.time() if now is None else now
    with files.locked(top_store, "admin/.revoked.lock"):
        kept = {n: e for n, e in _revoked(top_store).items() if e > clock}
        kept[matched.group(1)] = int(matched.group(2))
        files.write(top_store, ADMIN_REVOKED, json.dumps(kept, sort_keys=True).encode("utf-8"))
