"""Flagged values the programme team marks for follow-up, and every flag with its explanation and mark.

A return's flags (`checks`: rules broken, unusual values, values out of bounds) travel with it, each with the
partner's explanation. In the approval queue the team can mark one of them for follow-up with a note (something to
check with the partner, in the next visit or the next quarter) and clear the mark when it is done. Marks are kept
with the return (`<store>/returns/<id>/follow-up.json`: flag key -> note, who, when), changed under the store's
writer lock, and each mark and clearing is recorded in the trail. `flag_rows` gives every flag of the store with its
mark, the table the Data page and `python -m impact flags` export as CSV.
"""

from __future__ import annotations

import json

from impact.reporting import checks, partners
from impact.storage import audit, files, store

FOLLOW_UP = "follow-up.json"
NOTE_MAX = 1000
COLUMNS = ["follow_up", "follow_up_note", "follow_up_by", "follow_up_when"]


def _path(submission_id: str) -> str:
    return f"{partners.submission_folder(submission_id)}/{FOLLOW_UP}"


def marks(programme_store: store.Store, submission_id: str) -> dict[str, dict]:
    """The flags of a return marked for follow-up: flag key -> {note, who, when}."""
    text = files.read_text(programme_store, _path(submission_id))
    return dict(json.loads(text).get("marks", {})) if text else {}


def _write(programme_store: store.Store, submission_id: str, found: dict[str, dict]) -> None:
    body = json.dumps({"marks": found}, indent=2, ensure_ascii=False).encode("utf-8")
    files.write(programme_store, _path(submission_id), body)


def _flag(item: partners.Submission, flag_key: str) -> dict:
    flag = next((f for f in item.flags if f.get("key") == flag_key), None)
    if flag is None:
        raise partners.PartnerError(f"Return {item.id} has no flag {str(flag_key)[:60]!r}.")
    return flag


def mark(programme_store: store.Store, submission_id: str, flag_key: str, note: str, who: str) -> dict:
    """Mark one flag of a return for follow-up with a note saying what to follow up (a second mark replaces the
    note)."""
    cleaned = " ".join(str(note or "").split())[:NOTE_MAX]
    if not cleaned:
        raise partners.PartnerError("Say what to follow up: the note is empty.")
    with programme_store.locked():
        item = partners.get(programme_store, submission_id)
        _flag(item, flag_key)
        found = marks(programme_store, submission_id)
        found[flag_key] = {"note": cleaned, "who": who, "when": partners.now()}
        _write(programme_store, submission_id, found)
    audit.record(programme_store, audit.FOLLOW_UP, who, f"{item.project} {item.quarter}", id=item.id, flag=flag_key,
                 note=cleaned[:500])
    return found[flag_key]


def clear(programme_store: store.Store, submission_id: str, flag_key: str, who: str) -> None:
    """Clear the follow-up mark of one flag of a return (PartnerError when it is not marked)."""
    with programme_store.locked():
        item = partners.get(programme_store, submission_id)
        found = marks(programme_store, submission_id)
        if flag_key not in found:
            raise partners.PartnerError(f"The flag {str(flag_key)[:60]!r} of return {item.id} is not marked for "
                                        "follow-up.")
        del found[flag_key]
        _write(programme_store, submission_id, found)
    audit.record(programme_store, audit.FOLLOW_UP_CLEARED, who, f"{item.project} {item.quarter}", id=item.id, flag=flag_key)


def flag_rows(programme_store: store.Store, items: list[partners.Submission] | None = None) -> list[dict]:
    """Every flag of some returns (default: every return in the store) with its explanation and its follow-up mark:
    follow_up (yes or blank), follow_up_note, follow_up_by, follow_up_when."""
    items = partners.submissions(programme_store) if items is None else items
    out = []
    for item in items:
        found = marks(programme_store, item.id) if item.flags else {}
        for row in partners.flag_rows([item]):
            marked = found.get(row.get("key"))
            out.append(row | {"follow_up": "yes" if marked else "",
                              "follow_up_note": marked["note"] if marked else "",
                              "follow_up_by": marked["who"] if marked else "",
                              "follow_up_when": marked["when"] if marked else ""})
    return out


def marked_rows(programme_store: store.Store) -> list[dict]:
    """The flags marked for follow-up, in every return of the store."""
    return [row for row in flag_rows(programme_store) if row["follow_up"]]


def flags_csv(programme_store: store.Store, items: list[partners.Submission] | None = None) -> bytes:
    """Every flag (with explanation and follow-up mark) as CSV for a spreadsheet, formulas neutralised, in the active
    language (headings, messages and the codes' words; English keeps the column names and codes)."""
    return checks.flags_csv(flag_rows(programme_store, items), programme_store.definition())
