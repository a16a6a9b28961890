"""A thread of comments per return, between its partners and the programme team.

A comment is kept with its return (`<store>/returns/<id>/comments.json`, beside `record.json`): who wrote it, as
partner or team, when (UTC) and its text. Comments are only ever added, under the store's writer lock, each one
recorded in the trail (`audit.COMMENTED`); none is edited or removed. The text is kept as typed (control characters
other than line breaks and tabs dropped, at most `COMMENT_MAX` characters) and shown as text, never as HTML or
Markdown.

A partner reads and writes only on the returns of the projects its account reports for: `partner_thread` and
`post_by_partner` look the return up in the store and refuse any other, whatever id they are given, with the same
words whether or not that return exists.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import asdict, dataclass

from impact.reporting import partners
from impact.storage import audit, files, store

COMMENTS = "comments.json"
COMMENT_MAX = 2000
PARTNER, TEAM = "partner", "team"


@dataclass(frozen=True)
class Comment:
    """One comment on a return: who, as partner or team, when (UTC, ISO 8601) and what they wrote."""

    who: str
    role: str
    when: str
    text: str


def _path(submission_id: str) -> str:
    return f"{partners.submission_folder(submission_id)}/{COMMENTS}"


def _read(programme_store: store.Store, submission_id: str) -> list[Comment]:
    text = files.read_text(programme_store, _path(submission_id))
    if text is None:
        return []
    return [Comment(c["who"], c["role"], c["when"], c["text"]) for c in json.loads(text).get("comments", [])]


def clean_text(text: str | None) -> str:
    """A comment's text as kept: line breaks made \\n, control characters other than \\n and \\t dropped, space
    around it trimmed, at most `COMMENT_MAX` characters."""
    joined = str(text or "").replace("\r\n", "\n").replace("\r", "\n")
    kept = "".join(c for c in joined if c in "\n\t" or unicodedata.category(c) != "Cc")
    return kept.strip()[:COMMENT_MAX]


def thread(programme_store: store.Store, submission_id: str) -> list[Comment]:
    """Every comment on a return, oldest first (for the programme team; PartnerError when there is no such return)."""
    partners.get(programme_store, submission_id)
    return _read(programme_store, submission_id)


def mine(programme_store: store.Store, account: partners.Account, submission_id: str) -> partners.Submission:
    """The return `submission_id` when it belongs to one of `account`'s projects; else PartnerError, worded the same
    whether the return exists or not."""
    try:
        found = partners.get(programme_store, submission_id)
    except partners.PartnerError:
        found = None
    if found is None or account is None or not account.may_report(found.project):
        raise partners.PartnerError(f"There is no return {str(submission_id)[:40]!r} among your projects' returns.")
    return found


def partner_thread(programme_store: store.Store, account: partners.Account, submission_id: str) -> list[Comment]:
    """The comments on one of `account`'s returns (PartnerError for any other return)."""
    mine(programme_store, account, submission_id)
    return _read(programme_store, submission_id)


def _post(programme_store: store.Store, found: partners.Submission, who: str, role: str, text: str) -> Comment:
    cleaned = clean_text(text)
    if not cleaned:
        raise partners.PartnerError("Write the comment first: it is empty.")
    with programme_store.locked():
        comment = Comment(who, role, partners.now(), cleaned)
        kept = _read(programme_store, found.id) + [comment]
        body = json.dumps({"comments": [asdict(c) for c in kept]}, indent=2, ensure_ascii=False)
        files.write(programme_store, _path(found.id), body.encode("utf-8"))
    audit.record(programme_store, audit.COMMENTED, who, f"{found.project} {found.quarter}", id=found.id, role=role,
                 characters=len(cleaned))
    return comment


def post_by_partner(programme_store: store.Store, account: partners.Account, submission_id: str, text: str) -> Comment:
    """A partner adds a comment to one of its projects' returns (PartnerError for any other return, or no text)."""
    found = mine(programme_store, account, submission_id)
    return _post(programme_store, found, account.email, PARTNER, text)


def post_by_team(programme_store: store.Store, submission_id: str, text: str, who: str) -> Comment:
    """The programme team adds a comment to a return (`who`: the administrator's name for the trail)."""
    return _post(programme_store, partners.get(programme_store, submission_id), who, TEAM, text)


def account_submissions(programme_store: store.Store, account: partners.Account) -> list[partners.Submission]:
    """The returns of `account`'s projects, newest first (nothing of any other project)."""
    return [s for s in partners.submissions(programme_store) if account.may_report(s.project)]


def counts(programme_store: store.Store, submission_ids: list[str]) -> dict[str, int]:
    """How many comments each return has."""
    return {i: len(_read(programme_store, i)) for i in submission_ids}
