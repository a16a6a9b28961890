"""Streamlit glue for a partner's home, *My projects*: each project of the signed-in partner with its figures
against its targets, the return due this quarter and when, the workbook to fill and the upload of a filled one,
returns sent back with the team's note, the history of what was sent and a thread of comments per return.

Everything is read for the account the session signed in with (`auth.partner`), looked up again on the server at
each run: the projects are the account's own, whatever the link or the session state says, and every action
(workbook, upload, comment) checks again in the function that does it.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from impact.app import auth, drawing, results_view, returns_view, session, threads_view
from impact.app.text import plain
from impact.charts import catalog
from impact.model import calendar, i18n
from impact.model.i18n import gettext as _
from impact.query import filters, results
from impact.reporting import comments, due, partners, returns

TILES = ["trainees", "women_trained", "volunteer_days", "volunteers"]  # the project page's headline tiles
PAGE = "pages/my_projects.py"


def today() -> dt.date:
    """The day the page is drawn (a function, so that a test can set it)."""
    return dt.date.today()


def signed_in_partner(programme_store) -> partners.Account | None:
    """The partner account this session signed in with on the store on screen (None: not a partner)."""
    return auth.partner(programme_store)


def sign_in(programme_store) -> None:
    """The partner's sign-in on My projects (not signed in yet, or signed in as someone who is no partner here)."""
    if auth.is_admin() or auth.oidc_user():
        who = auth.admin_name() or auth.oidc_user()
        st.info(plain(_("Signed in as {who}, who has no partner account in this programme.").format(who=who)))
    returns_view.partner_sign_in_form(programme_store)


def overview(programme_store, account: partners.Account, owed: list[due.ReturnDue], as_of: dt.date) -> None:
    """Who is signed in, the sign-out, and one line per project: what is due this quarter and when."""
    words = i18n.active()
    who = f"{account.email} ({account.name})" if account.name else account.email
    st.caption(plain(_("Signed in as {who}: {count} project(s).").format(who=who,
                                                                         count=words.number(len(account.projects)))))
    returns_view.partner_sign_out_button()
    back = [s.project for s in comments.account_submissions(programme_store, account) if s.state == partners.RETURNED]
    table = pd.DataFrame([{_("project"): d.project,
                           _("quarter due"): calendar.quarter_label(d.quarter) if d.quarter else "",
                           _("due by"): words.date(d.due) if d.due else "", _("status"): _(d.status),
                           _("earlier quarters without a return"): len(d.missing),
                           _("returns sent back"): back.count(d.project)} for d in owed])
    st.dataframe(table, hide_index=True, width="stretch", key="my_projects_due")
    days = session.programme().reporting.deadline_days
    st.caption(plain((_("As of {day}: a quarter's return is due {days} days after the quarter ends.") if days else
                      _("As of {day}: a quarter's return is due when the quarter ends.")).format(
        day=words.date(as_of, "long"), days=words.number(days or 0))))


def project_section(programme_store, account: partners.Account, project_id: str, owed: due.ReturnDue | None,
                    as_of: dt.date) -> None:
    """One project of the partner: figures and targets, the return due, the workbook and upload, sent-back returns,
    the history and the comments."""
    if not account.may_report(project_id):  # never drawn for another project, whatever asked for it
        return
    found = session.query("project_detail", {"project_id": project_id[:40]})
    if found.empty:
        st.warning(plain(_("There is no project {project} in the data in use.").format(project=project_id)))
        return
    project = found.iloc[0]
    st.header(plain(f"{project['title']}"), anchor=False)
    words = i18n.active()
    st.caption(plain(" · ".join([project["project_id"], words.country(project["iso3"], project["country"]),
                                 _("{start} to {end}").format(start=words.date(project["start_date"], "MMMM y"),
                                                              end=words.date(project["end_date"], "MMMM y"))])))
    drawing.kpi_tiles(project, TILES)
    targets(project_id)
    st.subheader(_("This quarter's return"), anchor=False)
    if owed is not None:
        (st.warning if owed.status in (due.LATE, due.SENT_BACK) else st.info)(plain(owed.sentence(as_of)))
    workbook(project_id, project["start_date"], project["end_date"], owed)
    returns_view.send_return_form(programme_store, account, project_id, suffix=f"_{project_id}")
    mine = partners.submissions(programme_store, project_id)
    sent_back(mine)
    history(mine, project_id)
    threads(programme_store, mine)


def targets(project_id: str) -> None:
    """The project's indicators against their targets at the latest data (as its own page judges them)."""
    pic = results_view.programme_picture()
    everything = filters.everything(session.programme())
    rows = results.exact(results_view.project_judged(pic.latest, params=everything, project_id=project_id),
                         session.programme().results)
    if rows.empty:
        st.caption(_("No target set for this project."))
        return
    st.caption(plain(_("Against its targets, as of the latest data ({day}).").format(
        day=i18n.active().date(pic.latest, "long"))))
    drawing.table(results_view.export_frame(rows).drop(columns=["project_id", "title", "country"]),
                  formats=dict(catalog.RESULTS_TABLE.formats), key=f"my_targets_{project_id}")
    for row in rows.to_dict("records"):
        st.markdown(plain(results.sentence(row, pic.latest)))


def workbook(project_id: str, start, end, owed: due.ReturnDue | None) -> None:
    """The reporting workbook of a quarter to download (the quarter due by default)."""
    quarters = calendar.quarter_range(pd.Timestamp(start).date(), pd.Timestamp(end).date())
    if not quarters:
        return
    ended = [q for q in quarters if calendar.quarter_end(q) < today()]
    default = owed.quarter if owed is not None and owed.quarter in quarters else (ended or quarters)[-1]
    left, right = st.columns([1, 2])
    with left:
        chosen = st.selectbox(_("Quarter"), quarters, index=quarters.index(default), key=f"my_quarter_{project_id}",
                              format_func=calendar.quarter_label)
    with right:
        st.download_button(_("Download the reporting workbook"), returns_view.workbook_for(project_id, chosen),
                           file_name=returns.file_name(project_id, chosen), mime=returns_view.XLSX,
                           key=f"my_workbook_{project_id}", icon=":material/download:")
    st.caption(_("Fill it in (Excel or LibreOffice) and send it back below: it is checked at once, and the programme "
                 "team approves it before its figures appear."))


def sent_back(mine: list[partners.Submission]) -> None:
    """The project's returns the team sent back, each with the team's note (as text)."""
    for item in mine:
        if item.state == partners.RETURNED:
            when = next((e["when"] for e in reversed(item.events) if e["step"] == partners.RETURNED), "")
            st.warning(plain(_("Sent back on {day}: the return for {quarter} ({file}). Correct the workbook and send "
                               "it again. The programme team's note:").format(day=when[:10], quarter=item.quarter,
                                                                               file=item.file)))
            st.text(item.note)


def history(mine: list[partners.Submission], project_id: str) -> None:
    """What was sent for the project: each return with its state and dates, then every step."""
    st.subheader(_("What you sent"), anchor=False)
    if not mine:
        st.caption(_("No return has been sent or imported for this project yet."))
        return
    sent = pd.DataFrame([{_("quarter"): s.quarter, _("state"): _(s.state), _("sent (UTC)"): s.submitted_at,
                          _("file"): s.file, _("last step (UTC)"): s.events[-1].get("when", "") if s.events else "",
                          _("version"): s.version, _("return"): s.id} for s in mine])
    st.dataframe(sent, hide_index=True, width="stretch", key=f"my_history_{project_id}")
    with st.expander(_("Every step of these returns")):
        st.dataframe(partners.trail(mine).drop(columns="return").rename(columns=_), hide_index=True, width="stretch",
                     key=f"my_trail_{project_id}")


def threads(programme_store, mine: list[partners.Submission]) -> None:
    """A thread of comments per return (not the ones replaced by a newer return) with the programme team."""
    shown = [s for s in mine if s.state != partners.REPLACED]
    if not shown:
        return
    st.subheader(_("Comments with the programme team"), anchor=False)
    counted = comments.counts(programme_store, [s.id for s in shown])
    for item in shown:
        title = _("The return for {quarter} ({state}) · {count} comment(s)").format(
            quarter=item.quarter, state=_(item.state), count=i18n.active().number(counted[item.id]))
        with st.expander(plain(title),
                         expanded=counted[item.id] > 0 or item.state in (partners.SUBMITTED, partners.RETURNED)):
            st.caption(plain(f"{item.file} · {item.id}"))
            threads_view.partner_comments(programme_store, item)


def email_language(programme_store, account: partners.Account) -> None:
    """The language of the partner's e-mails (reminders, returns sent back): the partner's own choice, kept with the
    account (the account is the one this session signed in with, looked up again on the server)."""
    key = "my_email_language"

    def chosen() -> None:
        partners.set_language(programme_store, account.email, st.session_state[key], account.email)

    st.session_state.setdefault(key, account.language)
    st.selectbox(_("Language of your e-mails"), list(i18n.LANGUAGES), key=key, format_func=i18n.LANGUAGES.get,
                 on_change=chosen, help=_("Reminders of the returns due and late, and the returns sent back to you, "
                                         "are written in this language."))
