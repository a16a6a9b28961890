"""The trail: who did what, when and from where, in a programme's store — append-only and hash-chained.

Every sign-in (and failed sign-in), account change, submission, approval, sending back, import, rollback, version
deletion, programme creation and publishing of the public site is one entry, recorded by `record` from the place that does the thing (the app and
the command line call the same functions, so both are recorded the same way). An entry is one JSON line of
`<store>/audit/trail.jsonl`: its number (`seq`), time (UTC), who, the action, what it concerned, details, the
address it came from, the previous entry's hash (`prev`) and its own `hash` — the SHA-256 of the entry's other
fields as canonical JSON. Changing a line breaks its hash; deleting one breaks the next line's `prev` and the
numbering; cutting the end off disagrees with `audit/head.json` (the last entry's number and hash, rewritten
with each entry). `verify` says which line is wrong.

Locally an entry is appended to the file (fsync'd) under the trail's own lock; on an S3 store
(`IMPACT_DATA_DIR=s3://…`) the trail is an object, rewritten with the new line under the trail's lock object, so
every server appends to one chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass

from impact.model import cells
from impact.storage import files, store

TRAIL = "audit/trail.jsonl"
HEAD = "audit/head.json"
LOCK = "audit/.lock"
GENESIS = "0" * 64  # the `prev` of the first entry

# The actions, as the trail names them.
SIGN_IN, SIGN_IN_FAILED, SIGN_OUT = "sign-in", "sign-in-failed", "sign-out"
ACCOUNT_SAVED, ACCOUNT_REMOVED, PASSWORD_RESET = "account-saved", "account-removed", "password-reset"
SUBMITTED, APPROVED, SENT_BACK = "return-submitted", "return-approved", "return-sent-back"
IMPORTED, PROGRAMME_CREATED = "import", "programme-created"
ROLLBACK, VERSION_DELETED = "rollback", "version-deleted"
PUBLISHED = "site-published"
COMMENTED, FOLLOW_UP, FOLLOW_UP_CLEARED = "return-comment", "flag-follow-up", "flag-follow-up-cleared"
ACTIONS = (SIGN_IN, SIGN_IN_FAILED, SIGN_OUT, ACCOUNT_SAVED, ACCOUNT_REMOVED, PASSWORD_RESET, SUBMITTED, APPROVED,
           SENT_BACK, IMPORTED, PROGRAMME_CREATED, ROLLBACK, VERSION_DELETED, PUBLISHED, COMMENTED, FOLLOW_UP,
           FOLLOW_UP_CLEARED)
COLUMNS = ["seq", "when", "who", "action", "what", "details", "address", "prev", "hash"]
_FIELDS = ("seq", "when", "who", "action", "what", "details", "address", "prev")

_sources: list[Callable[[], str | None]] = []  # set once by the app: the address of the browser of the run


def command_line_address() -> str:
    """Where a command-line action comes from: this machine, and the user's terminal session when it is remote."""
    remote = (os.environ.get("SSH_CLIENT") or "").split(" ")[0]
    return f"command line on {socket.gethostname()}" + (f" (ssh from {remote})" if remote else "")


def address_from(source: Callable[[], str | None]) -> None:
    """Say how to learn where an action comes from (the app: the address of the browser whose script run records
    it; None outside a run). Set once per process; setting the same source again changes nothing."""
    if source not in _sources:
        _sources[:] = [source]


def current_address() -> str:
    """Where the action being recorded comes from: the browser of this script run, else the command line."""
    for source in _sources:
        try:
            found = source()
        except Exception:  # no script run in this thread (the command line, a test): not a browser's action
            found = None
        if found:
            return found
    return command_line_address()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def entry_hash(entry: dict) -> str:
    """The hash of an entry: SHA-256 of its fields (all but `hash`) as canonical JSON."""
    fields = {k: entry.get(k) for k in _FIELDS}
    return hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Head:
    """The trail's last entry: its number and hash (0 and GENESIS for an empty trail)."""

    seq: int
    hash: str


def _head(programme_store: store.Store) -> Head:
    text = files.read_text(programme_store, HEAD)
    if text:
        try:
            raw = json.loads(text)
            return Head(int(raw["seq"]), str(raw["hash"]))
        except (ValueError, KeyError, TypeError):
            pass
    lines = [line for line in (files.read_text(programme_store, TRAIL) or "").splitlines() if line.strip()]
    if not lines:
        return Head(0, GENESIS)
    last = json.loads(lines[-1])
    return Head(int(last["seq"]), str(last["hash"]))


def record(programme_store: store.Store, action: str, who: str, what: str = "", address: str | None = None,
           **details) -> dict:
    """Append one entry to the trail of the programme's store and return it. `details` are small JSON values."""
    if action not in ACTIONS:
        raise ValueError(f"{action!r} is not an action of the trail")
    with files.locked(programme_store, LOCK):
        head = _head(programme_store)
        entry = {"seq": head.seq + 1, "when": _now(), "who": str(who or "")[:254], "action": action,
                 "what": str(what or "")[:500], "details": {k: v for k, v in details.items() if v is not None},
                 "address": str(address if address is not None else current_address())[:200], "prev": head.hash}
        entry["hash"] = entry_hash(entry)
        line = json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n"
        _append(programme_store, line)
        files.write(programme_store, HEAD, json.dumps({"seq": entry["seq"], "hash": entry["hash"]}).encode("utf-8"))
    return entry


def _append(programme_store: store.Store, line: str) -> None:
    if programme_store.remote is not None:
        before = files.read_text(programme_store, TRAIL) or ""
        files.write(programme_store, TRAIL, (before + line).encode("utf-8"))
        return
    path = programme_store.root / TRAIL
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(handle, line.encode("utf-8"))
        os.fsync(handle)
    finally:
        os.close(handle)


def entries(programme_store: store.Store) -> list[dict]:
    """Every entry of the trail, oldest first (a line that is not JSON is kept as its text, for `verify`)."""
    found = []
    for number, line in enumerate((files.read_text(programme_store, TRAIL) or "").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            entry = {"seq": None, "line": number, "text": line[:200]}
        if not isinstance(entry, dict):
            entry = {"seq": None, "line": number, "text": line[:200]}
        found.append(entry | {"line": number})
    return found


def verify(programme_store: store.Store) -> list[str]:
    """What is wrong with the trail's chain, line by line (empty when every line is as it was written)."""
    problems, previous, expected = [], GENESIS, 1
    found = entries(programme_store)
    for entry in found:
        line = entry["line"]
        if "text" in entry:
            problems.append(f"line {line}: not an entry of the trail (it was changed by hand)")
            continue
        if entry.get("seq") != expected:
            problems.append(f"line {line}: entry number {entry.get('seq')} where {expected} was due "
                            "(an entry before it was deleted or the lines reordered)")
        if entry.get("prev") != previous:
            problems.append(f"line {line}: it does not follow the entry before it (its 'prev' hash differs): "
                            "an entry before it was deleted or changed")
        if entry_hash(entry) != entry.get("hash"):
            problems.append(f"line {line}: its hash does not match its contents: the entry was edited")
        previous = entry.get("hash") or ""
        expected = (entry.get("seq") if isinstance(entry.get("seq"), int) else expected) + 1
    head_text = files.read_text(programme_store, HEAD)
    if head_text:
        try:
            head = json.loads(head_text)
            last = found[-1] if found else {"seq": 0, "hash": GENESIS}
            if (head.get("seq"), head.get("hash")) != (last.get("seq"), last.get("hash")):
                problems.append(f"the trail ends at entry {last.get('seq')} but its head names entry "
                                f"{head.get('seq')}: entries at its end were deleted or changed")
        except ValueError:
            problems.append(f"{HEAD} is damaged")
    return problems


def rollback(programme_store: store.Store, version: str, who: str) -> None:
    """Make an earlier version active again (`Store.rollback`) and record it in the trail."""
    before = programme_store.active().version
    programme_store.rollback(version)
    record(programme_store, ROLLBACK, who, f"version {version} made active", version=version, was=before)


def delete_version(programme_store: store.Store, version: str, who: str) -> None:
    """Delete a version that is not in use (`Store.delete_version`) and record it in the trail."""
    programme_store.delete_version(version)
    record(programme_store, VERSION_DELETED, who, f"version {version} deleted", version=version)


def frame(programme_store: store.Store):
    """The trail as a table, newest first: seq, when, who, action, what, details (JSON), address, prev, hash."""
    import pandas as pd

    rows = [{**{k: e.get(k) for k in COLUMNS},
             "details": json.dumps(e.get("details") or {}, ensure_ascii=False, sort_keys=True)}
            for e in entries(programme_store) if "text" not in e]
    out = pd.DataFrame(rows, columns=COLUMNS)
    return out.iloc[::-1].reset_index(drop=True)


def select(table, actions: list[str] | None = None, who: str = "", since: dt.date | None = None,
           until: dt.date | None = None, text: str = ""):
    """The entries of a trail table that match: any of `actions`, `who` and `text` as parts (any case) of who and of
    what/details, and a date range (UTC days, both ends included)."""
    keep = table.index == table.index
    if actions:
        keep &= table["action"].isin(actions)
    if who:
        keep &= table["who"].str.contains(who, case=False, regex=False)
    if text:
        keep &= (table["what"].str.contains(text, case=False, regex=False)
                 | table["details"].str.contains(text, case=False, regex=False))
    days = table["when"].str[:10]
    if since is not None:
        keep &= days >= since.isoformat()
    if until is not None:
        keep &= days <= until.isoformat()
    return table[keep].reset_index(drop=True)


def to_csv(table) -> bytes:
    """A trail table as CSV (UTF-8 with BOM; text that a spreadsheet would run as a formula neutralised)."""
    return cells.csv_bytes(table)
