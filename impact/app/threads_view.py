"""Streamlit glue for the comments on returns: a thread shown as text, a partner's comment on My projects and the
programme team's reply in the approval queue on the Data page.

Every comment goes through `impact.reporting.comments`, which refuses a partner any return outside the account's
projects whatever the page sends; the comments' text, and who wrote them, are shown with `st.text` (never Markdown
or HTML).
"""

from __future__ import annotations

import streamlit as st

from impact.app import auth
from impact.app.text import plain
from impact.model.i18n import N_
from impact.model.i18n import gettext as _
from impact.reporting import comments, partners

ROLE_NAMES = {comments.PARTNER: N_("partner"), comments.TEAM: N_("programme team")}


def show_thread(thread: list[comments.Comment]) -> None:
    """The comments of one return, oldest first, each with who wrote it and when (as text)."""
    if not thread:
        st.caption(_("No comment yet."))
        return
    for comment in thread:
        with st.container(border=True):
            st.text(f"{comment.who} ({_(ROLE_NAMES.get(comment.role, comment.role))}) · {comment.when[:16].replace('T', ' ')}"
                    " UTC")
            st.text(comment.text)


def _post_as_partner(programme_store, submission_id: str, key: str) -> None:
    """Post the partner's comment typed in `key` (a callback): the account is the session's, checked on the server."""
    text = st.session_state.get(key, "")
    try:
        comments.post_by_partner(programme_store, auth.partner(programme_store), submission_id, text)
    except partners.PartnerError as error:
        st.session_state[f"{key}_error"] = str(error)
        return
    st.session_state[key] = ""
    st.session_state[f"{key}_done"] = True


def partner_comments(programme_store, item: partners.Submission) -> None:
    """A return's thread on My projects and the box to add to it (for a partner of its project)."""
    thread = comments.partner_thread(programme_store, auth.partner(programme_store), item.id)
    show_thread(thread)
    key = f"comment_{item.id}"
    error = st.session_state.pop(f"{key}_error", None)
    if error:
        st.error(plain(error), icon=":material/error:")
    if st.session_state.pop(f"{key}_done", False):
        st.success(_("Comment sent: the programme team sees it with the return."))
    st.text_area(_("Your comment to the programme team"), key=key, max_chars=comments.COMMENT_MAX, height=80)
    st.button(_("Post the comment"), key=f"{key}_post", on_click=_post_as_partner, args=(programme_store, item.id, key))


def _post_as_team(programme_store, key: str) -> None:
    auth.require_admin()
    chosen = st.session_state.get("team_comment_id")
    try:
        comments.post_by_team(programme_store, chosen, st.session_state.get(key, ""), auth.admin_name())
    except partners.PartnerError as error:
        st.session_state["team_comment_error"] = str(error)
        return
    st.session_state[key] = ""


def team_comments(programme_store) -> None:
    """The programme team's view of the threads: choose a return, read its comments, reply."""
    auth.require_admin()
    items = [s for s in partners.submissions(programme_store) if s.state != partners.REPLACED]
    if not items:
        return
    counted = comments.counts(programme_store, [s.id for s in items])
    order = sorted(items, key=lambda s: (s.state != partners.SUBMITTED, -counted[s.id]))
    # The labels never change with a return's state: a choice's label is what the browser keeps across runs.
    labels = {s.id: f"{s.project} {s.quarter} · {s.file} · {s.id}" for s in order}
    st.markdown("**" + plain(_("Comments on returns")) + "**")
    st.caption(_("A thread per return between its partners and the programme team: the partner writes on My "
                 "projects, the team replies here. Every comment is kept and recorded in the trail."))
    chosen = st.selectbox(_("Return"), list(labels), format_func=labels.get, key="team_comment_id")
    error = st.session_state.pop("team_comment_error", None)
    if error:
        st.error(plain(error), icon=":material/error:")
    item = next((s for s in order if s.id == chosen), order[0])  # (a choice the browser kept from other options)
    st.caption(plain(_("{state} · sent {when} UTC by {who}").format(
        state=_(item.state), when=item.submitted_at[:16].replace("T", " "),
        who=item.events[0].get("who", "") if item.events else "")))
    show_thread(comments.thread(programme_store, item.id))
    st.text_area(_("Reply to the partner"), key="team_comment_text", max_chars=comments.COMMENT_MAX, height=80)
    st.button(_("Post the reply"), key="team_comment_post", on_click=_post_as_team, args=(programme_store, "team_comment_text"))
