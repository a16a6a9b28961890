"""Streamlit glue for quarterly returns: a project's reporting workbook on its page, the workbooks of every
project due in a quarter (a zip) and an administrator's upload of returns on the Data page."""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from impact.app import auth, drawing, follow_up_view, session, sidebar, threads_view
from impact.app.text import plain
from impact.charts import figures
from impact.ingest import extract_io, validate
from impact.model import calendar, i18n
from impact.model.i18n import N_
from impact.model.i18n import gettext as _
from impact.query import reporting
from impact.reporting import checks, follow_up, partners, returns
from impact.storage import store

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@st.cache_data(ttl=3600, max_entries=64, show_spinner=False)
def _workbook(version: str, programme: str | None, project_id: str, period: dt.date, language: str) -> bytes:
    return returns.workbook(project_id, period, store.open_store(None, programme), language)


@st.cache_data(ttl=3600, max_entries=16, show_spinner=False)
def _zip(version: str, programme: str | None, project_ids: tuple[str, ...], period: dt.date, language: str) -> bytes:
    return returns.zip_workbooks(list(project_ids), period, store.open_store(None, programme), language)


@st.cache_data(ttl=60, max_entries=256, show_spinner=False)
def _versions_changing(version: str, programme: str | None, project_id: str) -> pd.DataFrame:
    return returns.versions_changing(project_id, store.open_store(None, programme))


def _default_quarter(quarters: list[dt.date]) -> int:
    """The latest quarter that has ended (the one a partner reports now), else the project's last."""
    ended = [i for i, q in enumerate(quarters) if calendar.quarter_end(q) < dt.date.today()]
    return ended[-1] if ended else len(quarters) - 1


def _store() -> store.Store:
    """The store of the programme on screen (where its accounts and returns are kept)."""
    return session.programme_store()


def workbook_for(project_id: str, period: dt.date) -> bytes:
    """A project's reporting workbook in the session's language, for an administrator or a partner of the project
    only (PermissionError)."""
    auth.require_project(_store(), project_id)
    return _workbook(session.active_version().version, session.programme_id(), project_id, period,
                     i18n.active().language)


def project_workbook(project_id: str, start: dt.date, end: dt.date) -> None:
    """The project page's reporting section: when it last reported and the versions that changed its figures
    (for everyone); for its partners and the programme team, its workbook for a quarter, sending a return and
    every step of its returns."""
    st.header(_("Quarterly return"))
    st.markdown(plain(last_reported(project_id)))
    changed = _versions_changing(session.active_version().version, session.programme_id(), project_id)
    if len(changed):
        st.markdown("**" + plain(_("Versions that changed its figures")) + "**")
        programme = "".join(f"&{k}={v[0]}" for k, v in sidebar.programme_link().items())
        links = changed.assign(link=[f"data?version={v}{programme}" for v in changed["version"]])
        headings = {name: _(name) for name in (N_("when"), N_("by"), N_("label"), N_("tables"))}
        st.dataframe(links[["link", "when", "by", "label", "tables", "in_use"]].rename(columns=headings),
                     hide_index=True, width="stretch",
                     column_config={"link": st.column_config.LinkColumn(_("version"),
                                                                        display_text=r"data\?version=([^&]*)"),
                                    "in_use": st.column_config.CheckboxColumn(_("in use"))},
                     key="project_versions")
    programme_store = _store()
    account = auth.partner(programme_store)
    if not auth.is_admin() and (account is None or not account.may_report(project_id)):
        _partner_sign_in(programme_store, account, project_id)
        return
    quarters = calendar.quarter_range(pd.Timestamp(start).date(), pd.Timestamp(end).date())
    if not quarters:
        return
    left, right = st.columns([1, 2])
    with left:
        chosen = st.selectbox(_("Quarter"), quarters, index=_default_quarter(quarters), key="return_quarter",
                              format_func=calendar.quarter_label)
    with right:
        st.download_button(_("Download the reporting workbook"), workbook_for(project_id, chosen),
                           file_name=returns.file_name(project_id, chosen), mime=XLSX, key="return_workbook",
                           icon=":material/download:")
    st.caption(_("An Excel workbook to fill in: a sheet per kind of result with dropdowns from the programme's lists, "
                 "the project and quarter locked, and the figures reported before. Fill it in (Excel or LibreOffice) "
                 "and send it back below; the programme team approves it before its figures appear."))
    if account is not None and account.may_report(project_id):
        _send_return(programme_store, account, project_id)
    mine = partners.submissions(programme_store, project_id)
    waiting = [s for s in mine if s.state in (partners.SUBMITTED, partners.RETURNED)]
    for item in waiting:
        if item.state == partners.RETURNED:
            st.warning(plain(_("The return for {quarter} ({file}) came back from the programme team: {note} — "
                               "correct the workbook and send it again.").format(quarter=item.quarter, file=item.file,
                                                                               note=item.note)))
        else:
            st.info(plain(_("The return for {quarter} ({file}, sent {sent} UTC) is waiting for the programme team's "
                            "approval.").format(quarter=item.quarter, file=item.file, sent=item.submitted_at[:16])))
    st.markdown("**" + plain(_("Every step of its returns")) + "**")
    steps = partners.trail(mine)
    if steps.empty:
        st.caption(_("No return has been sent or imported for this project yet."))
    else:
        st.dataframe(steps.drop(columns="return").rename(columns=_), hide_index=True, width="stretch",
                     key="project_trail")
        st.caption(_("Who did what and when (UTC), the file and its SHA-256 checksum; approved returns name the "
                     "version they landed in."))


def _partner_sign_in(programme_store: store.Store, account, project_id: str) -> None:
    """For people who are not (yet) this project's partners: how to get its workbook, and the sign-in."""
    if account is not None:
        st.info(plain(_("Signed in as {email}, who reports for {projects}; not for {project}.").format(
            email=account.email, projects=", ".join(account.projects), project=project_id)))
        partner_sign_out_button()
        return
    st.caption(_("The project's partners sign in to download its reporting workbook and send their return "
                 "(an administrator creates their account on the Data page)."))
    with st.expander(_("Partner sign-in")):
        partner_sign_in_form(programme_store)


def partner_sign_in_form(programme_store) -> None:
    """A partner's sign-in: the organisation's login (when configured) and the e-mail and password form."""
    if auth.oidc_configured() and st.button(_("Log in with your organisation's account"), key="partner_oidc"):
        provider = auth.oidc_provider()
        st.login(provider) if provider else st.login()
    with st.form("partner_sign_in"):
        email = st.text_input(_("E-mail"), key="partner_email", max_chars=254)
        password = st.text_input(_("Password"), type="password", key="partner_password")
        if st.form_submit_button(_("Sign in"), key="partner_sign_in_go"):
            accepted, message = auth.try_partner_password(programme_store, email, password)
            if accepted:
                st.rerun()
            st.error(message)


def partner_sign_out_button() -> None:
    """The partner's sign-out: its own (password), or the identity provider's log-out."""
    if auth.partner_signed_in():
        st.button(_("Sign out"), on_click=auth.partner_sign_out, key="partner_sign_out")
    elif auth.oidc_user():  # signed in through the identity provider: its log-out ends that sign-in
        st.button(_("Log out"), on_click=st.logout, key="partner_oidc_logout")


def _send(programme_store, account, project_id: str, upload, explanations: dict[str, str] | None = None, suffix: str = "") -> None:
    """Send the uploaded workbook for the partner (checked on the server); keep what happened for the rerun: the
    outcome, or the flags still to explain."""
    who = auth.require_project(programme_store, project_id)
    sent = partners.submit(programme_store, partners.account(programme_store, who) or account, upload.name,
                           upload.getvalue(), explanations=explanations)
    if sent.unexplained:
        st.session_state["partner_flags" + suffix] = {"sha256": hashlib.sha256(upload.getvalue()).hexdigest(),
                                                      "flags": [f.to_dict() for f in sent.flags]}
        st.session_state.pop("partner_outcome" + suffix, None)
        return
    st.session_state.pop("partner_flags" + suffix, None)
    st.session_state["partner_outcome" + suffix] = {
        "ok": sent.ok, "problems": sent.problems.to_frame(),
        "summary": _("{count} problem(s) found (below); correct the workbook and send it again.").format(
            count=i18n.active().number(sent.problems.total)),
        "notes": list(sent.problems.notes), "id": sent.submission.id if sent.ok else "",
        "quarter": sent.submission.quarter if sent.ok else "", "replaced": len(sent.replaced),
        "flags": len(sent.flags)}


def _explain(programme_store, account, project_id: str, upload, suffix: str = "") -> None:
    """The flags of the workbook just checked (rules broken, unusual values): each needs a word to send it."""
    pending = st.session_state.get("partner_flags" + suffix)
    if not pending or upload is None or hashlib.sha256(upload.getvalue()).hexdigest() != pending["sha256"]:
        return
    st.warning(plain(_("{count} number(s) in this return need a word before it is sent: check them and correct the "
                       "workbook, or say why each is right. The programme team reads your explanations when it "
                       "approves the return.").format(count=len(pending["flags"]))))
    for flag in pending["flags"]:
        said = checks.say(flag, session.programme())  # in the session's language (the record keeps English)
        importance = checks.FLAG_WORDS.get(flag["importance"])
        st.markdown(f"**{plain(checks.said_names(flag, session.programme()))}** ({plain(_(importance) if importance else flag['importance'])}): "
                    f"{plain(said)}")
        value, expected = checks.said_numbers(flag)  # the locale's numbers, from the flag's facts
        st.caption(plain(_("Found: {value} · expected: {expected}").format(value=value, expected=expected)))
        st.text_area(_("Why this number is right"), key=f"explain_{flag['key']}{suffix}",
                     max_chars=partners.EXPLANATION_MAX, height=68)
    given = {f["key"]: st.session_state.get(f"explain_{f['key']}{suffix}", "") for f in pending["flags"]}
    if st.button(_("Send with these explanations"), type="primary", key="partner_send_explained" + suffix,
                 disabled=not all(v.strip() for v in given.values()), help=_("Explain every number listed first.")):
        _send(programme_store, account, project_id, upload, given, suffix)
        st.rerun()


def _send_return(programme_store: store.Store, account, project_id: str) -> None:
    """A partner sends its filled-in workbook: checked at once, kept for the programme team's approval."""
    st.caption(plain(_("Signed in as {email}.").format(email=account.email)))
    partner_sign_out_button()
    st.page_link("pages/my_projects.py", label=_("My projects: all your projects, what is due and your comments "
                                                 "with the programme team"), icon=":material/home:")
    send_return_form(programme_store, account, project_id)


def send_return_form(programme_store, account, project_id: str, suffix: str = "") -> None:
    """The upload of a partner's filled-in workbook for `project_id`, its warnings to explain and the outcome
    (`suffix` tells apart the keys of several projects' forms on one page)."""
    upload = st.file_uploader(_("Your filled-in workbook (.xlsx)"), type=["xlsx"], key="partner_upload" + suffix)
    if st.button(_("Send the return"), type="primary", disabled=upload is None, key="partner_send" + suffix):
        _send(programme_store, account, project_id, upload, suffix=suffix)
        st.rerun()
    _explain(programme_store, account, project_id, upload, suffix)
    outcome = st.session_state.get("partner_outcome" + suffix)
    if not outcome:
        return
    if outcome["ok"]:
        replaced = " " + _("It replaces the one you sent before.") if outcome["replaced"] else ""
        explained = (" " + _("Your explanations of {count} flagged number(s) go with it.").format(
            count=outcome["flags"]) if outcome.get("flags") else "")
        received = _("Return for {quarter} received ({id}): the programme team will check and approve it.")
        st.success(plain(received.format(quarter=outcome["quarter"], id=outcome["id"]) + replaced + explained))
        for note in outcome.get("notes", []):
            st.caption(plain(note))
    else:
        st.error(plain(_("The return was not accepted: {summary}").format(summary=outcome["summary"])))
        drawing.problems(outcome["problems"])


def last_reported(project_id: str) -> str:
    """One sentence: the project's last quarter with figures, and its last return imported (when, which version)."""
    active = session.active_version()
    frame = _status(active.version, str(active.path), session.programme_id(), dt.date.today())
    mine = frame[frame["project_id"] == project_id]
    reported = mine[mine["rows_reported"] > 0]
    missing = int((mine["status"] == reporting.MISSING).sum())
    text = (_("Last quarter with figures: {quarter}.").format(quarter=reported["period"].iloc[-1]) if len(reported)
            else _("No figures reported yet."))
    text += " " + _("Quarters due without figures: {missing}.").format(missing=missing)
    imported = mine.dropna(subset=["arrived"]).sort_values("arrived")
    if len(imported):
        last = imported.iloc[-1]
        text += " " + _("Last return imported: {quarter}, on {day} (version {version}; see Data → Versions).").format(
            quarter=last["period"], day=last["arrived"][:10], version=last["version"])
    return text


def workbooks_for_quarter() -> None:
    """All projects due in a quarter: their workbooks in one zip."""
    programme = session.programme()
    quarters = calendar.quarter_range(programme.start, programme.end)
    chosen = st.selectbox(_("Quarter"), quarters, index=_default_quarter(quarters), key="returns_zip_quarter",
                          format_func=calendar.quarter_label)
    due = returns.due_projects(chosen, session.programme_store())
    if not due:
        st.info(_("No project reports for {quarter}.").format(quarter=calendar.quarter_label(chosen)))
        return
    active = session.active_version()
    st.download_button(_("Download the workbooks of the {count} projects due (zip)").format(
                           count=i18n.active().number(len(due))),
                       _zip(active.version, session.programme_id(), tuple(due), chosen, i18n.active().language),
                       file_name=f"returns-{calendar.quarter_label(chosen)}.zip", mime="application/zip",
                       key="returns_zip", icon=":material/folder_zip:")


def _outcome(result: returns.ReturnsResult) -> dict:
    """What a batch of returns did, kept in the session to show after the rerun."""
    return {"ok": result.ok, "summary": result.summary(), "problems": result.report.to_frame(),
            "csv": result.report.to_csv(), "changes": result.changes, "totals": result.totals,
            "removals": result.removals, "confirm": result.needs_confirmation, "version": result.version,
            "same": result.nothing_changed, "notes": list(result.report.notes), "flags": result.flags}


def _show_outcome(key: str) -> None:
    outcome = st.session_state.get(key)
    if not outcome:
        return
    (st.success if outcome["ok"] else st.info if outcome.get("same") else st.error)(plain(outcome["summary"]))
    for note in outcome.get("notes", []):
        st.caption(plain(note))
    if outcome.get("flags"):
        st.warning(plain(_("{count} flagged number(s): rules broken or values unusual for their project (taken in "
                           "all the same: the team decides when it imports or approves).").format(
            count=i18n.active().number(len(outcome["flags"])))))
        flagged = pd.DataFrame(outcome["flags"])[["file", "project", "quarter", "names", "value", "expected",
                                                  "importance", "message"]]
        flagged["message"] = [checks.say(f, session.programme()) for f in outcome["flags"]]  # in the reader's words
        flagged["value"], flagged["expected"] = zip(*(checks.said_numbers(f) for f in outcome["flags"]), strict=True)
        drawing.headed(flagged, {c: _(validate.HEADINGS["file"]) if c == "file" else checks.flag_heading(c)
                                 for c in flagged.columns})
    if outcome["removals"] is not None and len(outcome["removals"]):
        st.caption(_("Rows reported before that these returns remove:"))
        st.dataframe(outcome["removals"], hide_index=True, width="stretch")
    if len(outcome["problems"]):
        drawing.problems(outcome["problems"])
        st.download_button(_("Download the problems (CSV)"), outcome["csv"], key=f"{key}_csv",
                           file_name="returns-problems.csv", mime="text/csv")
    if outcome["ok"]:
        st.caption(plain(_("Version {version} is now in use on every page.").format(version=outcome["version"])))
        st.dataframe(pd.DataFrame(outcome["changes"]), hide_index=True, width="stretch")
        st.dataframe(pd.DataFrame(outcome["totals"]), hide_index=True, width="stretch")


def _take(uploads, accept_valid: bool, confirm: bool) -> None:
    auth.require_admin()
    report = validate.Report()
    with tempfile.TemporaryDirectory(prefix="impact-returns-upload-") as folder:
        target = extract_io.save_uploads([(u.name, u.getvalue()) for u in uploads], Path(folder), report)
        result = returns.ReturnsResult(report)
        if target is not None:
            result = returns.import_returns([target], session.programme_store(), accept_valid=accept_valid,
                                            confirm_removals=confirm, who=auth.admin_name(),
                                            record=partners.record_import)
    st.session_state["returns_outcome"] = _outcome(result)


def upload_returns() -> None:
    """The administrator's upload of returned workbooks, and what the last upload did."""
    st.markdown(_("Upload returned workbooks (**.xlsx**, or one **.zip** of them). Each return replaces its "
                  "project's rows for its quarter in training, volunteering and outcomes, and nothing else; the "
                  "whole upload becomes one new version (undo it under Versions)."))
    uploads = st.file_uploader(_("Returned workbooks"), type=["xlsx", "zip"], accept_multiple_files=True,
                               key="return_uploads")
    accept_valid = st.checkbox(_("Import the valid returns even if some are refused (the refused are listed)"),
                               key="returns_accept_valid")
    confirm = st.checkbox(_("Allow returns to remove rows reported before for their quarter"), key="returns_confirm")
    if st.button(_("Check and import returns"), type="primary", disabled=not uploads, key="run_returns"):
        _take(uploads, accept_valid, confirm)
        st.rerun()
    _show_outcome("returns_outcome")


def _approve(ids: list[str], confirm: bool) -> None:
    auth.require_admin()
    try:
        result = partners.approve(_store(), ids, auth.admin_name(), confirm_removals=confirm)
    except (partners.PartnerError, store.StoreError) as error:
        st.session_state["approve_outcome"] = None
        st.session_state["partner_returns_error"] = str(error)
        return
    st.session_state["approve_outcome"] = _outcome(result)


def _send_back(submission_id: str, note: str) -> None:
    auth.require_admin()
    try:
        partners.send_back(_store(), submission_id, note, auth.admin_name())
    except partners.PartnerError as error:
        st.session_state["partner_returns_error"] = str(error)


def partner_returns() -> None:
    """The programme team's queue: returns partners sent, to approve (one or several: one version) or send back."""
    programme_store = _store()
    waiting = partners.submissions(programme_store, states=[partners.SUBMITTED])
    error = st.session_state.pop("partner_returns_error", None)
    if error:
        st.error(plain(error))
    if not waiting:
        st.caption(_("No return from a partner is waiting for approval."))
    else:
        queue = pd.DataFrame([{_("project"): s.project, _("quarter"): s.quarter,
                               _("sent by"): s.events[0].get("who", ""), _("sent (UTC)"): s.submitted_at,
                               _("file"): s.file, "sha256": s.sha256[:12], "id": s.id} for s in waiting])
        st.caption(_("{count} return(s) waiting. Choose returns, then approve them (one new version) or send one back "
                     "with a note for its partner. Only approved returns change any figure.").format(
            count=i18n.active().number(len(queue))))
        st.dataframe(queue, hide_index=True, width="stretch", key="partner_queue")
        flagged = checks.flags_frame(follow_up.flag_rows(programme_store, waiting), session.programme())
        if len(flagged):
            st.warning(plain(_("{count} flagged number(s) in these returns: rules broken or values unusual for their "
                               "project. Read the partner's explanation before approving.").format(
                count=i18n.active().number(len(flagged)))))
            shown = ["project", "quarter", "names", "value", "explanation", "follow_up", "expected", "importance",
                     "message", "return"]
            drawing.headed(flagged[shown], {c: checks.flag_heading(c) for c in shown}, key="queue_flags")
        labels = {s.id: f"{s.project} {s.quarter} · {s.file} · " + _("sent {when}").format(when=s.submitted_at[:16])
                  for s in waiting}
        chosen = st.multiselect(_("Returns to approve"), list(labels), format_func=labels.get, key="approve_ids",
                                placeholder=_("Choose one or more returns"))
        confirm = st.checkbox(_("Allow these returns to remove rows reported before for their quarter"),
                              key="approve_confirm")
        if st.button(_("Approve {count} return(s)").format(count=len(chosen)) if chosen else
                     _("Approve the chosen returns"), type="primary",
                     disabled=not chosen, key="approve_returns"):
            _approve(chosen, confirm)
            st.rerun()
        back = st.selectbox(_("Send a return back"), list(labels), format_func=labels.get, index=None,
                            key="send_back_id", placeholder=_("Choose a return"))
        note = st.text_input(_("Note for the partner (why it goes back)"), key="return_note", max_chars=2000)
        if st.button(_("Send it back"), disabled=back is None or not note.strip(), key="send_back",
                     help=_("Choose a return and write the note first.")):
            _send_back(back, note)
            st.rerun()
    follow_up_view.follow_ups(programme_store, waiting)
    every = follow_up.flag_rows(programme_store)
    st.download_button(_("Download every flag ({count}, CSV)").format(count=i18n.active().number(len(every))),
                       checks.flags_csv(every, session.programme()), file_name="return-flags.csv", mime="text/csv", key="flags_csv",
                       disabled=not every, icon=":material/flag:",
                       help=_("Every flag of every return, with the partner's explanation and the team's follow-up "
                              "mark (also: python -m impact flags --out FILE.csv)."))
    threads_view.team_comments(programme_store)
    _show_outcome("approve_outcome")


def _save_account(email: str, name: str, projects: list[str], password: str, known: list[str]) -> None:
    auth.require_admin()
    try:
        hashed = auth.hash_password(password) if password else None
        partners.save_account(_store(), email, name, projects, known, auth.admin_name(), hashed)
    except partners.PartnerError as error:
        st.session_state["accounts_error"] = str(error)
        return
    st.session_state["accounts_done"] = _("Account {email} saved.").format(email=email.strip().lower())


def _remove_account(email: str) -> None:
    auth.require_admin()
    try:
        partners.remove_account(_store(), email, auth.admin_name())
    except partners.PartnerError as error:
        st.session_state["accounts_error"] = str(error)
        return
    st.session_state["accounts_done"] = _("Account {email} removed.").format(email=email)


def partner_accounts() -> None:
    """The administrator's list of partner accounts: add or change one (its projects, its password), remove one."""
    programme_store = _store()
    found = partners.accounts(programme_store)
    for key, show in (("accounts_error", st.error), ("accounts_done", st.success)):
        message = st.session_state.pop(key, None)
        if message:
            show(plain(message))
    if found:
        st.dataframe(pd.DataFrame([{_("e-mail"): a.email, _("name"): a.name, _("projects"): ", ".join(a.projects),
                                    _("signs in with"): a.sign_in, _("created by"): a.created_by,
                                    _("created (UTC)"): a.created_at} for a in found]),
                     hide_index=True, width="stretch", key="accounts_table")
    else:
        st.caption(_("No partner account yet."))
    known = returns.project_ids(session.active_version().path)
    with st.form("partner_account"):
        st.markdown("**" + plain(_("Add a partner account, or change one")) + "** " + plain(_("(same e-mail)")))
        email = st.text_input(_("E-mail"), max_chars=254, key="account_email")
        name = st.text_input(_("Name"), max_chars=120, key="account_name")
        projects = st.multiselect(_("Projects it reports for"), known, key="account_projects")
        password = st.text_input(_("Password (leave blank to keep it, or for an organisation login only)"),
                                 type="password", key="account_password")
        if st.form_submit_button(_("Save the account")):
            _save_account(email, name, projects, password, known)
            st.rerun()
    if found:
        doomed = st.selectbox(_("Remove an account"), [a.email for a in found], index=None, key="account_remove",
                              placeholder=_("Choose an account"))
        sure = st.checkbox(_("Remove it: the partner can no longer sign in (their returns and trail stay)"),
                           key="account_remove_sure", disabled=doomed is None)
        if st.button(_("Remove the account"), disabled=doomed is None or not sure, key="account_remove_go"):
            _remove_account(doomed)
            st.rerun()


@st.cache_data(ttl=3600, max_entries=32, show_spinner=False)
def _status(version: str, path: str, programme: str | None, as_of: dt.date) -> pd.DataFrame:
    return reporting.status(session.version_database(version, path), as_of, returns.arrivals(store.open_store(None, programme)))


HEATMAP_PROJECTS = 300  # rows of the reporting heatmap: beyond a few hundred a cell is too small to read or click


def reporting_view() -> None:
    """Who has reported: as of a date, every active project x quarter, the rates, and the missing returns."""
    active = session.active_version()
    deadline = session.programme().reporting.deadline_days
    words = i18n.active()
    when_due = (_("{days} days after the quarter ends").format(days=words.number(deadline)) if deadline
                else _("when the quarter ends"))
    as_of = st.date_input(_("As of"), value=dt.date.today(), key="reporting_as_of",
                          help=_("A quarter's return is due {when} (the programme's definition).").format(when=when_due))
    frame = _status(active.version, str(active.path), session.programme_id(), as_of)
    totals = reporting.summary(frame)
    due, received, late, gone, rate, on_time = st.columns(6)
    due.metric(_("Returns due"), words.number(totals["due"]))
    received.metric(_("Received"), words.number(totals["received"]))
    late.metric(_("Of which late"), words.number(totals["late"]))
    gone.metric(_("Missing"), words.number(totals["missing"]))
    rate.metric(_("Reporting rate"), "–" if totals["due"] == 0 else words.percent(totals["rate"]))
    on_time.metric(_("On time"), "–" if totals["due"] == 0 else words.percent(totals["on_time_rate"]))
    st.caption(plain(_("Expected: every quarter of every project, from its start to its end; due {when}. Received: "
                       "the project has figures for the quarter in the data in use, sent by the date. Late: its "
                       "return first arrived (sent by a partner, or imported by the team) after the due date.").format(
        when=when_due)))
    names = reporting.country_labels(frame)  # a country is chosen by its code, shown by its name
    codes = sorted(names, key=lambda code: (names[code], code))
    names = {code: words.country(code, name) for code, name in names.items()}
    chosen = st.selectbox(_("Projects in"), ["", *codes], key="reporting_country",
                          format_func=lambda code: names.get(code, code) if code else _("every country"))
    place = names.get(chosen, chosen) if chosen else _("every country")
    here = frame[frame["iso3"] == chosen] if chosen else frame
    shown = reporting.most_missing(here, HEATMAP_PROJECTS)
    heatmap = figures.reporting_heatmap(shown, title=_("Returns by project and quarter"),
                                        subtitle=_("{place}, as of {day}").format(place=place,
                                                                                  day=words.date(as_of, "long")))
    st.plotly_chart(heatmap, theme=None, config=drawing.PLOTLY_CONFIG, key="reporting_heatmap")
    projects = here["project_id"].nunique()
    if projects > HEATMAP_PROJECTS:
        st.caption(_("The {shown} of {count} projects with the most missing returns (then late ones): choose a "
                     "country for its own projects.").format(shown=words.number(HEATMAP_PROJECTS),
                                                             count=words.number(projects)))
    by_quarter, by_country = st.columns(2)
    # Headings in the reader's language ("rate" stays the key its column is configured by).
    headings = {name: _(name) for name in (N_("period"), N_("country"), N_("due"), N_("received"), N_("on time"),
                                           N_("on-time rate"))}
    rate_format = {"rate": st.column_config.NumberColumn(_("reporting rate"), format="percent"),
                   headings["on-time rate"]: st.column_config.NumberColumn(_("on-time rate"), format="percent")}
    with by_quarter:
        st.markdown("**" + plain(_("Per quarter")) + "**")
        st.dataframe(reporting.rates(frame, "period").rename(columns=headings), hide_index=True, width="stretch",
                     column_config=rate_format)
    with by_country:
        st.markdown("**" + plain(_("Per country")) + "**")
        st.dataframe(reporting.rates(frame, "country").rename(columns=headings), hide_index=True, width="stretch",
                     column_config=rate_format)
    chase = reporting.missing(frame)
    st.markdown("**" + plain(_("Missing returns ({count})").format(count=words.number(len(chase)))) + "**")
    st.dataframe(chase.head(drawing.ROW_LIMIT).rename(columns=headings), hide_index=True, width="stretch")
    if len(chase) > drawing.ROW_LIMIT:
        st.caption(_("The first {shown} of {count} missing returns (by project): the Excel file holds every one."
                     ).format(shown=words.number(drawing.ROW_LIMIT), count=words.number(len(chase))))
    st.download_button(_("Download the missing returns (Excel)"), lambda: reporting.workbook(chase),
                       file_name=f"missing-returns-{as_of:%Y-%m-%d}.xlsx", mime=XLSX, key="missing_returns",
                       disabled=chase.empty, on_click="ignore")
    with st.expander(_("Every project and quarter")):
        every = frame[["project_id", "country", "period", "status", "due", "rows_reported", "arrived", "version"]]
        st.dataframe(every.head(drawing.ROW_LIMIT).rename(columns=headings | {"status": _("status"),
                                                                             "version": _("version")}),
                     hide_index=True, width="stretch")
        if len(frame) > drawing.ROW_LIMIT:
            st.caption(_("The first {shown} of {count} project quarters (by project and quarter).").format(
                shown=words.number(drawing.ROW_LIMIT), count=words.number(len(frame))))
        st.caption(_("Arrived: when the project's first return for the quarter was sent by its partner or imported "
                     "(blank: the figures came in a whole extract); version: the one that brought its latest."))
