"""Streamlit glue for the trail (impact.storage.audit) on the Data page: for administrators, whether the chain is
intact, the entries with filters, and the chosen entries as CSV."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from impact.app import auth, session
from impact.app.text import plain
from impact.model import i18n
from impact.model.i18n import N_
from impact.model.i18n import gettext as _
from impact.storage import audit


def trail_view() -> None:
    """The programme's trail: its chain checked, filters (action, who, words, dates), the entries and a CSV."""
    auth.require_admin()
    programme_store = session.programme_store()
    problems = audit.verify(programme_store)
    table = audit.frame(programme_store)
    words = i18n.active()
    if problems:
        st.error(plain(_("The trail was changed after it was written: {count} problem(s). The entries are shown as "
                         "they are now.").format(count=words.number(len(problems)))))
        for problem in problems[:20]:
            st.markdown(f"- {plain(problem)}")
    else:
        st.success(plain(_("The trail is intact: {count} entries, each chained to the one before by its SHA-256 "
                           "hash.").format(count=words.number(len(table)))))
    if table.empty:
        st.caption(_("Nothing has been recorded yet."))
        return
    first = dt.date.fromisoformat(table["when"].min()[:10])
    last = dt.date.fromisoformat(table["when"].max()[:10])
    actions_col, who_col, text_col = st.columns(3)
    with actions_col:
        actions = st.multiselect(_("Actions"), list(audit.ACTIONS), key="trail_actions",
                                 placeholder=_("Every action"))
    with who_col:
        who = st.text_input(_("Who (part of the name or e-mail)"), key="trail_who", max_chars=254)
    with text_col:
        text = st.text_input(_("What (part of the project, version, file…)"), key="trail_text", max_chars=200)
    days = st.date_input(_("Between"), value=(first, last), key="trail_days")
    since, until = (days if isinstance(days, tuple) and len(days) == 2 else (first, last))
    chosen = audit.select(table, actions, who.strip(), since, until, text.strip())
    st.caption(plain(_("{shown} of {count} entries, newest first (times in UTC). Address: where the browser "
                       "connected from, or the machine a command ran on.").format(
        shown=words.number(len(chosen)), count=words.number(len(table)))))
    headings = {name: _(name) for name in (N_("when"), N_("who"), N_("action"), N_("what"), N_("address"),
                                            N_("details"))}
    shown = chosen[["seq", "when", "who", "action", "what", "address", "details", "hash"]].rename(columns=headings)
    st.dataframe(shown, hide_index=True, width="stretch", key="trail_table",
                 column_config={"hash": st.column_config.TextColumn("hash", width="small")})
    st.download_button(_("Download these entries (CSV)"), audit.to_csv(chosen), file_name="trail.csv",
                       mime="text/csv", key="trail_csv", icon=":material/download:")
