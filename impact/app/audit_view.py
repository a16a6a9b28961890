"""Streamlit glue for the trail (impact.storage.audit) on the Data page: for administrators, whether the chain is
intact, the entries with filters, and the chosen entries as CSV."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from impact.app import auth, session
from impact.app.text import plain
from impact.storage import audit


def trail_view() -> None:
    """The programme's trail: its chain checked, filters (action, who, words, dates), the entries and a CSV."""
    auth.require_admin()
    programme_store = session.programme_store()
    problems = audit.verify(programme_store)
    table = audit.frame(programme_store)
    if problems:
        st.error(plain(f"The trail was changed after it was written: {len(problems)} problem(s). The entries are "
                       "shown as they are now."))
        for problem in problems[:20]:
            st.markdown(f"- {plain(problem)}")
    else:
        st.success(plain(f"The trail is intact: {len(table):,} entries, each chained to the one before by its "
                         "SHA-256 hash."))
    if table.empty:
        st.caption("Nothing has been recorded yet.")
        return
    first = dt.date.fromisoformat(table["when"].min()[:10])
    last = dt.date.fromisoformat(table["when"].max()[:10])
    actions_col, who_col, text_col = st.columns(3)
    with actions_col:
        actions = st.multiselect("Actions", list(audit.ACTIONS), key="trail_actions", placeholder="Every action")
    with who_col:
        who = st.text_input("Who (part of the name or e-mail)", key="trail_who", max_chars=254)
    with text_col:
        text = st.text_input("What (part of the project, version, file…)", key="trail_text", max_chars=200)
    days = st.date_input("Between", value=(first, last), key="trail_days")
    since, until = (days if isinstance(days, tuple) and len(days) == 2 else (first, last))
    chosen = audit.select(table, actions, who.strip(), since, until, text.strip())
    st.caption(plain(f"{len(chosen):,} of {len(table):,} entries, newest first (times in UTC). Address: where the "
                     "browser connected from, or the machine a command ran on."))
    shown = chosen[["seq", "when", "who", "action", "what", "address", "details", "hash"]]
    st.dataframe(shown, hide_index=True, width="stretch", key="trail_table",
                 column_config={"hash": st.column_config.TextColumn("hash", width="small")})
    st.download_button("Download these entries (CSV)", audit.to_csv(chosen), file_name="trail.csv",
                       mime="text/csv", key="trail_csv", icon=":material/download:")
