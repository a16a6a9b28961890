"""Partner accounts and the returns they send: submitted -> returned (with a note) -> approved.

A partner account belongs to one programme's store and is tied to one or more of its projects. It signs in
either through the identity provider (its e-mail, `st.login`) or with a password an administrator set (kept
only as a salted scrypt hash). Accounts live in `<store>/partners/accounts.json`, readable by the server alone.

A return a partner sends is checked at once, as an import would check it (a refused workbook is not kept:
the partner sees why), and, when it is for one of the account's projects, kept as *submitted* in
`<store>/returns/<id>/`: the workbook as sent and `record.json`, its trail. The programme team approves
submitted returns (one or several: one new version, `returns.import_returns`) or sends one back with a
note (*returned*); a partner who sends a new workbook for the same project and quarter replaces the one
waiting. Only approved returns land in a version. Returns the team imports itself (the command line, the
Data page's upload) get a trail too, approved as they are imported. Every step records who, when, the
file's name and its sha256.

On a store on S3 (`IMPACT_DATA_DIR=s3://…`) the same files are objects under the store's address, read and
written there directly (every server sees the same accounts and returns at once), under the store's writer
lock like every other change.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from impact.model import calendar, i18n
from impact.model.i18n import N_
from impact.model.i18n import gettext as _
from impact.reporting import notices, returns
from impact.storage import audit, files, store

ACCOUNTS = "partners/accounts.json"
SUBMISSIONS = "returns"
RECORD = "record.json"
SUBMITTED, RETURNED, APPROVED, REPLACED = N_("submitted"), N_("returned"), N_("approved"), N_("replaced")
STATES = (SUBMITTED, RETURNED, APPROVED, REPLACED)
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,63}$")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


class PartnerError(ValueError):
    """An account or a return step that cannot be done: the message says why, for people."""


def now() -> str:
    """The time of a step: UTC, ISO 8601 to the second (the format of the versions' manifests)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# ---- accounts ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Account:
    """A partner's account: who, the projects it reports for, and how it signs in."""

    email: str
    name: str
    projects: tuple[str, ...]
    password_hash: str = ""
    created_by: str = ""
    created_at: str = ""
    language: str = i18n.SOURCE  # the language its e-mails are written in
    language_chosen: bool = False  # chosen (by the partner, or the team for it); else it follows the sign-in's

    def may_report(self, project_id: str) -> bool:
        """True when this account reports for `project_id`."""
        return project_id in self.projects

    @property
    def sign_in(self) -> str:
        """How the account signs in, in words."""
        return "password or organisation login" if self.password_hash else "organisation login"


# ---- where the files live: the store's folder, or its objects on S3 (impact.storage.files) --------

_read, _put = files.read_text, files.write


def _records(programme_store: store.Store) -> list[str]:
    """Every return's record.json, relative to the store."""
    return [k for k in files.listing(programme_store, SUBMISSIONS)
            if k.endswith(f"/{RECORD}") and k.count("/") == 2]


def _invisible(character: str) -> bool:
    """True for a character a person cannot see in an address: format (zero-width, soft hyphen, BOM), control,
    unassigned and space characters other than the plain space."""
    return character != " " and unicodedata.category(character)[0] in "CZ"  # a plain space is simply not allowed


def normal_email(email: str | None) -> str:
    """An account e-mail as accounts are compared: Unicode NFKC, then lower case, without surrounding space
    (full-width ＰＡＲＴＮＥＲ@… is partner@…)."""
    return unicodedata.normalize("NFKC", email or "").strip().lower()


def accounts(programme_store: store.Store) -> list[Account]:
    """The store's partner accounts, by e-mail."""
    text = _read(programme_store, ACCOUNTS)
    if text is None:
        return []
    raw = json.loads(text)
    return sorted((Account(a["email"], a.get("name", ""), tuple(a.get("projects", ())), a.get("password_hash", ""),
                           a.get("created_by", ""), a.get("created_at", ""), _language(a.get("language")),
                           bool(a.get("language_chosen", _language(a.get("language")) != i18n.SOURCE)))
                   for a in raw.get("accounts", [])), key=lambda a: a.email)


def _language(code) -> str:
    """A stored language code, as a shipped language (one no longer shipped, or none: English)."""
    return code if isinstance(code, str) and code in i18n.LANGUAGES else i18n.SOURCE


def account(programme_store: store.Store, email: str | None) -> Account | None:
    """The account with `email` (any case), or None."""
    wanted = normal_email(email)
    return next((a for a in accounts(programme_store) if a.email == wanted), None) if wanted else None


def _write_accounts(programme_store: store.Store, found: list[Account]) -> None:
    text = json.dumps({"accounts": [a.__dict__ | {"projects": list(a.projects)} for a in found]}, indent=2)
    _put(programme_store, ACCOUNTS, text.encode("utf-8"))


def save_account(programme_store: store.Store, email: str, name: str, projects: Iterable[str],
                 known_projects: Iterable[str], who: str, password_hash: str | None = None,
                 language: str | None = None) -> Account:
    """Add an account, or change one (its name, projects and, when given, its password hash and the language of
    its e-mails — then chosen; by default a new account's is English until its partner signs in in another
    language (`sign_in_language`), and a changed one keeps its own)."""
    email = normal_email(email)
    if language is not None and language not in i18n.LANGUAGES:
        raise PartnerError(f"{str(language)[:20]!r} is not a language of the dashboard; they are "
                           f"{', '.join(i18n.LANGUAGES)}.")
    hidden = sorted({f"U+{ord(c):04X}" for c in email if _invisible(c)})
    if hidden:
        raise PartnerError(f"The e-mail address holds invisible characters ({', '.join(hidden[:5])}): an address "
                           "that looks like another one would be a second account. Type it again by hand.")
    if not _EMAIL.match(email):
        raise PartnerError(f"{email[:80]!r} is not an e-mail address (the account's name when it signs in).")
    chosen = tuple(dict.fromkeys(projects))
    unknown = sorted(set(chosen) - set(known_projects))
    if unknown:
        raise PartnerError(f"There is no project {', '.join(unknown)[:200]} in the data in use.")
    if not chosen:
        raise PartnerError("Choose at least one project the account reports for.")
    with programme_store.locked():
        found = accounts(programme_store)
        before = next((a for a in found if a.email == email), None)
        made = Account(email, (name or "").strip()[:120], chosen,
                       password_hash if password_hash is not None else (before.password_hash if before else ""),
                       before.created_by if before else who, before.created_at if before else now(),
                       language or (before.language if before else i18n.SOURCE),
                       language is not None or (before.language_chosen if before else False))
        _write_accounts(programme_store, [a for a in found if a.email != email] + [made])
    password = "set" if password_hash else "kept" if before is not None and before.password_hash else "none"
    audit.record(programme_store, audit.ACCOUNT_SAVED, who, email, change="changed" if before else "created",
                 projects=list(chosen), password=password, language=made.language)
    return made


def set_language(programme_store: store.Store, email: str, language: str, who: str) -> Account:
    """The partner's own choice of the language of its e-mails (PartnerError for an unknown account or language)."""
    found = account(programme_store, email)
    if found is None:
        raise PartnerError(f"There is no partner account {normal_email(email)[:80]!r}.")
    return save_account(programme_store, found.email, found.name, found.projects, found.projects, who,
                        language=language)


def sign_in_language(programme_store: store.Store, email: str, language: str) -> Account | None:
    """A partner who signs in in `language` and has not chosen the language of its e-mails (nor the team for it)
    gets its e-mails in that language from now on: a partner in Maputo who reads the app in Portuguese is written
    to in Portuguese. Recorded in the trail; a chosen language is kept. Returns the account (None: no account)."""
    with programme_store.locked():
        found = accounts(programme_store)
        before = next((a for a in found if a.email == normal_email(email)), None)
        if (before is None or before.language_chosen or language == before.language
                or language not in i18n.LANGUAGES):
            return before
        made = replace(before, language=language)
        _write_accounts(programme_store, [a for a in found if a.email != made.email] + [made])
    audit.record(programme_store, audit.ACCOUNT_SAVED, made.email, made.email, change="language of its e-mails",
                 language=language, reason="signed in in this language, none chosen")
    return made


def remove_account(programme_store: store.Store, email: str, who: str = "") -> None:
    """Remove an account (its returns and their trails stay)."""
    email = normal_email(email)
    with programme_store.locked():
        found = accounts(programme_store)
        if not any(a.email == email for a in found):
            raise PartnerError(f"There is no partner account {email[:80]!r}.")
        _write_accounts(programme_store, [a for a in found if a.email != email])
    audit.record(programme_store, audit.ACCOUNT_REMOVED, who, email)


# ---- returns and their trail -------------------------------------------------------------------

@dataclass
class Submission:
    """One return a partner sent (or the team imported) and every step it went through."""

    id: str
    project: str
    period: str  # the quarter's first day, ISO
    file: str
    sha256: str
    state: str
    events: list[dict] = field(default_factory=list)
    flags: list[dict] = field(default_factory=list)  # rules broken and unusual values, each with its explanation

    @property
    def quarter(self) -> str:
        """The quarter as 2018Q3."""
        return calendar.quarter_label(dt.date.fromisoformat(self.period))

    @property
    def submitted_at(self) -> str:
        """When it arrived: its first step."""
        return self.events[0]["when"] if self.events else ""

    @property
    def note(self) -> str:
        """The team's note when it was sent back (the latest)."""
        return next((e.get("note", "") for e in reversed(self.events) if e["step"] == RETURNED), "")

    @property
    def version(self) -> str:
        """The version it landed in, once approved."""
        return next((e.get("version", "") for e in reversed(self.events) if e.get("version")), "")

    def to_dict(self) -> dict:
        """The record as `record.json` holds it."""
        return {"id": self.id, "project": self.project, "period": self.period, "file": self.file,
                "sha256": self.sha256, "state": self.state, "events": self.events, "flags": self.flags}


def submission_folder(submission_id: str) -> str:
    """A return's folder, relative to the store."""
    if not _ID.match(submission_id or ""):
        raise PartnerError(f"{str(submission_id)[:40]!r} is not a return's id.")
    return f"{SUBMISSIONS}/{submission_id}"


def _save(programme_store: store.Store, found: Submission) -> None:
    text = json.dumps(found.to_dict(), indent=2)
    _put(programme_store, f"{submission_folder(found.id)}/{RECORD}", text.encode("utf-8"))


def submissions(programme_store: store.Store, project: str | None = None,
                states: Iterable[str] | None = None) -> list[Submission]:
    """The returns kept in the store (optionally one project's, in some states), newest first."""
    wanted = set(states) if states is not None else None
    found = []
    for relative in _records(programme_store):
        text = _read(programme_store, relative)
        item = Submission(**json.loads(text)) if text else None
        if item and (project is None or item.project == project) and (wanted is None or item.state in wanted):
            found.append(item)
    return sorted(found, key=lambda s: (s.submitted_at, s.id), reverse=True)


def get(programme_store: store.Store, submission_id: str) -> Submission:
    """The return `submission_id` (PartnerError when there is none)."""
    text = _read(programme_store, f"{submission_folder(submission_id)}/{RECORD}")
    if text is None:
        raise PartnerError(f"There is no return {submission_id!r}.")
    return Submission(**json.loads(text))


def fetch_workbook(programme_store: store.Store, found: Submission, folder: Path) -> Path:
    """The workbook as it was sent, copied into `folder`."""
    target = Path(folder) / found.id / found.file
    target.parent.mkdir(parents=True, exist_ok=True)
    files.fetch(programme_store, f"{submission_folder(found.id)}/{found.file}", target)
    return target


def _new_id(project: str, period: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", project.lower()).strip("-")[:30] or "return"
    return f"{slug}-{calendar.quarter_label(dt.date.fromisoformat(period)).lower()}-{secrets.token_hex(4)}"


def _keep(programme_store: store.Store, found: returns.Return, path: Path, file_name: str, state: str,
          event: dict, flags: list[dict] | None = None) -> Submission:
    item = Submission(_new_id(found.project, found.period.isoformat()), found.project, found.period.isoformat(),
                      file_name, found.sha256, state, [event], list(flags or []))
    _put(programme_store, f"{submission_folder(item.id)}/{file_name}", Path(path).read_bytes())
    _save(programme_store, item)  # the record last: a return is listed once its workbook is kept
    return item


def _safe_name(name: str) -> str:
    """A file name to keep a workbook under: safe characters, at most 120 of them, always ending in .xlsx (a long
    name is shortened before its extension, never through it)."""
    cleaned = re.sub(r"[^A-Za-z0-9._ -]+", "_", Path(name or "return.xlsx").name).strip(" .") or "return.xlsx"
    stem = cleaned[:-5] if cleaned.lower().endswith(".xlsx") else cleaned
    return f"{stem[:115].rstrip(' .') or 'return'}.xlsx"


@dataclass
class Submitted:
    """What sending one workbook did: the kept return (None when refused) and the problems found."""

    submission: Submission | None
    problems: object  # validate.Report
    replaced: list[str] = field(default_factory=list)  # ids of the returns it replaced
    flags: list = field(default_factory=list)  # checks.Flag: the warnings on its numbers
    unexplained: list[str] = field(default_factory=list)  # keys of the flags still to explain (nothing was kept)

    @property
    def ok(self) -> bool:
        """True when the return was kept as submitted."""
        return self.submission is not None


EXPLANATION_MAX = 1000
TRAIL_EXPLANATION_MAX = 500  # an explanation as the trail keeps it (the return's record keeps it whole)


def submit(programme_store: store.Store, who: Account, file_name: str, data: bytes, programme: str | None = None,
           explanations: dict[str, str] | None = None) -> Submitted:
    """A partner sends a filled-in workbook: checked now as an import would check it, refused unless it is the
    return of one of `who`'s projects; its numbers checked against the definition's validation rules and the
    project's history. A return with flags is kept only when `explanations` explains each one (flag key -> text);
    else nothing is kept and `unexplained` names them. A kept return is submitted (replacing the one waiting for
    the same quarter) with its flags and their explanations."""
    from impact.ingest import validate

    shown = _safe_name(file_name)
    with tempfile.TemporaryDirectory(prefix="impact-submit-") as work:
        path = Path(work) / shown
        path.write_bytes(data)
        report = validate.Report()
        if not (file_name or "").lower().endswith(".xlsx"):
            report.add(shown, None, "", "", "unknown-file", _("A return is an .xlsx workbook."))
            return Submitted(None, report)
        found, report, flagged = returns.check_and_flag(path, shown, programme_store)
        if found is not None and not who.may_report(found.project):
            report.add(shown, None, "project", found.project, "not-your-project",
                       _("This workbook is the return of {project}; your account reports for {projects}. Download "
                         "your own project's workbook from its page.").format(project=found.project,
                                                                              projects=", ".join(who.projects)))
        if found is None or not report.ok:
            return Submitted(None, report)
        given = {k: " ".join(str(v).split())[:EXPLANATION_MAX] for k, v in (explanations or {}).items()}
        unexplained = [f.key for f in flagged if not given.get(f.key)]
        if unexplained:
            return Submitted(None, report, flags=flagged, unexplained=unexplained)
        kept_flags = [f.to_dict() | {"explanation": given[f.key]} for f in flagged]
        with programme_store.locked():
            waiting = [s for s in submissions(programme_store, found.project, [SUBMITTED, RETURNED])
                       if s.period == found.period.isoformat()]
            event = {"step": SUBMITTED, "who": who.email, "when": now(), "file": shown, "sha256": found.sha256}
            kept = _keep(programme_store, found, path, shown, SUBMITTED, event, kept_flags)
            for earlier in waiting:
                earlier.state = REPLACED
                earlier.events.append({"step": REPLACED, "who": who.email, "when": event["when"],
                                       "file": shown, "sha256": found.sha256, "note": f"replaced by {kept.id}"})
                _save(programme_store, earlier)
    audit.record(programme_store, audit.SUBMITTED, who.email, f"{kept.project} {kept.quarter}", id=kept.id,
                 file=shown, sha256=found.sha256, replaced=[e.id for e in waiting] or None,
                 flags=[f.key for f in flagged] or None,
                 explanations={f.key: given[f.key][:TRAIL_EXPLANATION_MAX] for f in flagged} or None)
    notices.after_submit(programme_store, kept, [e.id for e in waiting])  # e-mail the team, when e-mail is set up
    return Submitted(kept, report, [e.id for e in waiting], flagged)


def send_back(programme_store: store.Store, submission_id: str, note: str, who: str) -> Submission:
    """The team returns a submitted return to its partner with a note saying why."""
    note = (note or "").strip()
    if not note:
        raise PartnerError("Say why the return goes back: the partner sees the note on the project's page.")
    with programme_store.locked():
        item = get(programme_store, submission_id)
        if item.state != SUBMITTED:
            raise PartnerError(f"Return {item.id} is {item.state}; only a submitted return can be sent back.")
        item.state = RETURNED
        item.events.append({"step": RETURNED, "who": who, "when": now(), "file": item.file, "sha256": item.sha256,
                            "note": note[:2000]})
        _save(programme_store, item)
    audit.record(programme_store, audit.SENT_BACK, who, f"{item.project} {item.quarter}", id=item.id,
                 note=note[:500])
    # e-mail the project's partners, when e-mail is set up
    notices.after_send_back(programme_store, item, accounts(programme_store))
    return item


def approve(programme_store: store.Store, submission_ids: list[str], who: str,
            confirm_removals: bool = False) -> returns.ReturnsResult:
    """The team approves submitted returns: all of them land as ONE new version, or none does (the result says
    why: a problem, or rows the returns would remove without `confirm_removals`)."""
    items = [get(programme_store, i) for i in dict.fromkeys(submission_ids)]
    if not items:
        raise PartnerError("Choose the returns to approve.")
    waiting = [i for i in items if i.state != SUBMITTED]
    if waiting:
        raise PartnerError(f"Only submitted returns can be approved; {', '.join(f'{i.id} is {i.state}' for i in waiting)}.")
    with tempfile.TemporaryDirectory(prefix="impact-approve-") as work:
        paths = [fetch_workbook(programme_store, i, Path(work)) for i in items]
        result = returns.import_returns(paths, programme_store, confirm_removals=confirm_removals, who=who,
                                        submitted={i.sha256: i.submitted_at for i in items})
    if result.ok or result.nothing_changed:
        when, same = now(), set(result.unchanged)
        for item in items:
            item.state = APPROVED
            event = {"step": APPROVED, "who": who, "when": when, "file": item.file, "sha256": item.sha256,
                     "version": result.version or result.previous}
            if item.file in same:
                event["note"] = "nothing changed: its figures were already in use"
            item.events.append(event)
            _save(programme_store, item)
            audit.record(programme_store, audit.APPROVED, who, f"{item.project} {item.quarter}", id=item.id,
                         version=event["version"], note=event.get("note"))
    return result


def record_import(programme_store: store.Store, found: returns.Return, path: Path, who: str,
                  version: str) -> Submission:
    """The trail of a return the team imported itself: approved as it was imported into `version`."""
    event = {"step": APPROVED, "who": who, "when": now(), "file": found.name, "sha256": found.sha256,
             "version": version, "note": "imported by the programme team"}
    return _keep(programme_store, found, path, _safe_name(found.name), APPROVED, event)


def flag_rows(items: list[Submission]) -> list[dict]:
    """Every flag of some returns with its return's project, quarter, id and state, and the explanation given."""
    return [{"project": s.project, "quarter": s.quarter, "return": s.id, "state": s.state, **f}
            for s in items for f in s.flags]


def trail(items: list[Submission]):
    """Every step of some returns as a table, newest first: quarter, step, who, when, file, sha256, note, version."""
    import pandas as pd

    rows = [{"quarter": s.quarter, "step": e["step"], "who": e.get("who", ""), "when": e.get("when", ""),
             "file": e.get("file", ""), "sha256": e.get("sha256", ""), "note": e.get("note", ""),
             "version": e.get("version", ""), "return": s.id} for s in items for e in s.events]
    columns = [N_("quarter"), N_("step"), N_("who"), N_("when"), N_("file"), "sha256", N_("note"), N_("version"),
               N_("return")]  # marked: a page shows them in its reader's language
    return pd.DataFrame(rows, columns=columns).sort_values("when", ascending=False, kind="stable").reset_index(drop=True)
