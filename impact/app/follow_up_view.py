"""Streamlit glue for the follow-up of flagged values in the approval queue (Data page, Quarterly returns): mark a
flag of a waiting return for follow-up with a note, see every mark, clear one. Administrators only, checked on the
server by each action."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from impact.app import auth, drawing
from impact.app.text import plain
from impact.model import i18n
from impact.model.i18n import gettext as _
from impact.reporting import checks, follow_up, partners

SHOWN = ["project", "quarter", "names", "value", "explanation", "follow_up_note", "follow_up_by", "follow_up_when",
         "return"]


def _choice(row: dict) -> str:
    return f"{row['return']}|{row['key']}"


def _label(row: dict) -> str:
    """A flag as a choice reads it: project, quarter, what it checks, its value (a broken rule's comparison in the
    reader's words) and its kind."""
    kind = checks.FLAG_WORDS.get(row["kind"]) if i18n.active().language != i18n.SOURCE else None  # English: the code
    return f"{row['project']} {row['quarter']} · {row['names']}: {checks.said_numbers(row)[0]} " \
           f"({_(kind) if kind else row['kind']})"


def _mark(programme_store, choice: str, note: str) -> None:
    auth.require_admin()
    submission_id, flag_key = choice.split("|", 1)
    try:
        follow_up.mark(programme_store, submission_id, flag_key, note, auth.admin_name())
    except partners.PartnerError as error:
        st.session_state["follow_up_error"] = str(error)
        return
    st.session_state["follow_up_done"] = _("Marked for follow-up.")


def _clear(programme_store, choice: str) -> None:
    auth.require_admin()
    submission_id, flag_key = choice.split("|", 1)
    try:
        follow_up.clear(programme_store, submission_id, flag_key, auth.admin_name())
    except partners.PartnerError as error:
        st.session_state["follow_up_error"] = str(error)
        return
    st.session_state["follow_up_done"] = _("The follow-up mark is cleared.")


def follow_ups(programme_store, waiting: list[partners.Submission]) -> None:
    """Mark a flag of the waiting returns for follow-up (with a note), list every mark, clear one."""
    auth.require_admin()
    for key, show in (("follow_up_error", st.error), ("follow_up_done", st.success)):
        message = st.session_state.pop(key, None)
        if message:
            show(plain(message))
    flagged = follow_up.flag_rows(programme_store, waiting)
    marked = follow_up.marked_rows(programme_store)
    if not flagged and not marked:
        return
    st.markdown("**" + plain(_("Flags to follow up")) + "**")
    if flagged:
        # (labels that never change: a choice's label is what the browser keeps across runs)
        labels = {_choice(r): _label(r) for r in flagged}
        chosen = st.selectbox(_("Flag to follow up"), list(labels), format_func=labels.get, index=None,
                              key="follow_up_flag", placeholder=_("Choose a flagged value"))
        note = st.text_input(_("What to follow up (a note for the team)"), key="follow_up_note",
                             max_chars=follow_up.NOTE_MAX)
        if st.button(_("Mark for follow-up"), key="follow_up_mark", disabled=chosen is None or not note.strip(),
                     help=_("Choose a flag and write the note first.")):
            _mark(programme_store, chosen, note)
            st.rerun()
    if not marked:
        st.caption(_("No flagged value is marked for follow-up."))
        return
    st.caption(_("{count} flagged value(s) marked for follow-up (in every return, approved ones too):").format(
        count=i18n.active().number(len(marked))))
    shown = pd.DataFrame(marked)[SHOWN]
    shown["value"] = [checks.said_numbers(r)[0] for r in marked]  # a broken rule's comparison in the reader's words
    drawing.headed(shown, {c: checks.flag_heading(c) for c in SHOWN}, key="follow_up_marked")
    done = {_choice(r): _label(r) for r in marked}
    cleared = st.selectbox(_("Clear a mark (followed up)"), list(done), format_func=done.get, index=None,
                           key="follow_up_clear_choice", placeholder=_("Choose a marked value"))
    if st.button(_("Clear the mark"), key="follow_up_clear", disabled=cleared is None):
        _clear(programme_store, cleared)
        st.rerun()
