"""Streamlit glue for quarterly returns: a project's reporting workbook on its page, the workbooks of every
project due in a quarter (a zip) and an administrator's upload of returns on the Data page."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from impact.app import auth, ui
from impact.charts import figures
from impact.data import extract_io, returns, validate
from impact.query import db, reporting

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@st.cache_data(ttl=3600, max_entries=64, show_spinner=False)
def _workbook(version: str, programme: str | None, project_id: str, period: dt.date) -> bytes:
    return returns.workbook(project_id, period, programme=programme)


@st.cache_data(ttl=3600, max_entries=16, show_spinner=False)
def _zip(version: str, programme: str | None, project_ids: tuple[str, ...], period: dt.date) -> bytes:
    return returns.zip_workbooks(list(project_ids), period, programme=programme)


def _default_quarter(quarters: list[dt.date]) -> int:
    """The latest quarter that has ended (the one a partner reports now), else the project's last."""
    ended = [i for i, q in enumerate(quarters) if returns.quarter_end(q) < dt.date.today()]
    return ended[-1] if ended else len(quarters) - 1


def project_workbook(project_id: str, start: dt.date, end: dt.date) -> None:
    """The project page's section: choose a quarter, download its reporting workbook."""
    st.header("Quarterly return")
    quarters = returns.project_quarters(pd.Timestamp(start).date(), pd.Timestamp(end).date())
    if not quarters:
        return
    left, right = st.columns([1, 2])
    with left:
        chosen = st.selectbox("Quarter", quarters, index=_default_quarter(quarters), key="return_quarter",
                              format_func=returns.period_name)
    active = ui._active()
    with right:
        st.download_button("Download the reporting workbook", _workbook(active.version, ui.programme_id(),
                                                                        project_id, chosen),
                           file_name=returns.file_name(project_id, chosen), mime=XLSX, key="return_workbook",
                           icon=":material/download:")
    st.caption("An Excel workbook for the partners to fill in: a sheet per kind of result with dropdowns from the "
               "programme's lists, the project and quarter locked, and the figures reported before. The programme "
               "team imports it back on the Data page.")
    st.markdown(ui.plain(last_reported(project_id)))


def last_reported(project_id: str) -> str:
    """One sentence: the project's last quarter with figures, and its last return imported (when, which version)."""
    active = ui._active()
    frame = _status(active.version, str(active.path), ui.programme_id(), dt.date.today())
    mine = frame[frame["project_id"] == project_id]
    reported = mine[mine["rows_reported"] > 0]
    missing = int((mine["status"] == reporting.MISSING).sum())
    text = (f"Last quarter with figures: {reported['period'].iloc[-1]}." if len(reported)
            else "No figures reported yet.")
    text += f" Quarters due without figures: {missing}."
    imported = mine.dropna(subset=["arrived"]).sort_values("arrived")
    if len(imported):
        last = imported.iloc[-1]
        text += (f" Last return imported: {last['period']}, on {last['arrived'][:10]} (version {last['version']}; "
                 "see Data → Versions).")
    return text


def workbooks_for_quarter() -> None:
    """All projects due in a quarter: their workbooks in one zip."""
    programme = ui.programme()
    quarters = returns.project_quarters(programme.start, programme.end)
    chosen = st.selectbox("Quarter", quarters, index=_default_quarter(quarters), key="returns_zip_quarter",
                          format_func=returns.period_name)
    due = returns.due_projects(chosen, programme=ui.programme_id())
    if not due:
        st.info(f"No project reports for {returns.period_name(chosen)}.")
        return
    active = ui._active()
    st.download_button(f"Download the workbooks of the {len(due)} projects due (zip)",
                       _zip(active.version, ui.programme_id(), tuple(due), chosen),
                       file_name=f"returns-{returns.period_name(chosen)}.zip", mime="application/zip",
                       key="returns_zip", icon=":material/folder_zip:")


def _take(uploads, accept_valid: bool, confirm: bool) -> None:
    auth.require_admin()
    report = validate.Report()
    with tempfile.TemporaryDirectory(prefix="impact-returns-upload-") as folder:
        target = extract_io.save_uploads([(u.name, u.getvalue()) for u in uploads], Path(folder), report)
        result = returns.ReturnsResult(report)
        if target is not None:
            result = returns.import_returns([target], programme=ui.programme_id(), accept_valid=accept_valid,
                                            confirm_removals=confirm, who=auth.admin_name(), prepare=db.prepare)
    st.session_state["returns_outcome"] = {
        "ok": result.ok, "summary": result.summary(), "problems": result.report.to_frame(),
        "csv": result.report.to_csv(), "changes": result.changes, "totals": result.totals,
        "removals": result.removals, "confirm": result.needs_confirmation, "version": result.version,
    }


def upload_returns() -> None:
    """The administrator's upload of returned workbooks, and what the last upload did."""
    st.markdown("Upload returned workbooks (**.xlsx**, or one **.zip** of them). Each return replaces its "
                "project's rows for its quarter in training, volunteering and outcomes, and nothing else; the "
                "whole upload becomes one new version (undo it under Versions).")
    uploads = st.file_uploader("Returned workbooks", type=["xlsx", "zip"], accept_multiple_files=True,
                               key="return_uploads")
    accept_valid = st.checkbox("Import the valid returns even if some are refused (the refused are listed)",
                               key="returns_accept_valid")
    confirm = st.checkbox("Allow returns to remove rows reported before for their quarter", key="returns_confirm")
    if st.button("Check and import returns", type="primary", disabled=not uploads, key="run_returns"):
        _take(uploads, accept_valid, confirm)
        st.rerun()
    outcome = st.session_state.get("returns_outcome")
    if not outcome:
        return
    (st.success if outcome["ok"] else st.error)(ui.plain(outcome["summary"]))
    if outcome["removals"] is not None and len(outcome["removals"]):
        st.caption("Rows reported before that these returns remove:")
        st.dataframe(outcome["removals"], hide_index=True, width="stretch")
    if len(outcome["problems"]):
        st.dataframe(outcome["problems"], hide_index=True, width="stretch")
        st.download_button("Download the problems (CSV)", outcome["csv"], key="returns_report_csv",
                           file_name="returns-problems.csv", mime="text/csv")
    if outcome["ok"]:
        st.caption(ui.plain(f"Version {outcome['version']} is now in use on every page."))
        st.dataframe(pd.DataFrame(outcome["changes"]), hide_index=True, width="stretch")
        st.dataframe(pd.DataFrame(outcome["totals"]), hide_index=True, width="stretch")


@st.cache_data(ttl=3600, max_entries=32, show_spinner=False)
def _status(version: str, path: str, programme: str | None, as_of: dt.date) -> pd.DataFrame:
    frame = reporting.status(ui._database(version, path), as_of)
    return reporting.with_arrivals(frame, returns.arrivals(programme=programme))


def reporting_view() -> None:
    """Who has reported: as of a date, every active project x quarter, the rates, and the missing returns."""
    ui.database()
    active = ui._active()
    as_of = st.date_input("As of", value=dt.date.today(), key="reporting_as_of",
                          help="A quarter's return is due once the quarter has ended.")
    frame = _status(active.version, str(active.path), ui.programme_id(), as_of)
    totals = reporting.summary(frame)
    due, received, gone, rate = st.columns(4)
    due.metric("Returns due", f"{totals['due']:,}")
    received.metric("Received", f"{totals['received']:,}")
    gone.metric("Missing", f"{totals['missing']:,}")
    rate.metric("Reporting rate", "–" if totals["due"] == 0 else f"{totals['rate']:.0%}")
    st.caption("Expected: every quarter of every project, from its start to its end. Reported: the project has "
               "figures for the quarter in the data in use.")
    countries = sorted(frame["country"].dropna().unique())
    place = st.selectbox("Projects in", ["every country", *countries], key="reporting_country")
    shown = frame if place == "every country" else frame[frame["country"] == place]
    heatmap = figures.reporting_heatmap(shown, title="Returns by project and quarter",
                                        subtitle=f"{place}, as of {as_of:%d %B %Y}")
    st.plotly_chart(heatmap, theme=None, config=ui.PLOTLY_CONFIG, key="reporting_heatmap")
    by_quarter, by_country = st.columns(2)
    rate_format = {"rate": st.column_config.NumberColumn("reporting rate", format="percent")}
    with by_quarter:
        st.markdown("**Per quarter**")
        st.dataframe(reporting.rates(frame, "period"), hide_index=True, width="stretch", column_config=rate_format)
    with by_country:
        st.markdown("**Per country**")
        st.dataframe(reporting.rates(frame, "country"), hide_index=True, width="stretch", column_config=rate_format)
    chase = reporting.missing(frame)
    st.markdown(f"**Missing returns ({len(chase):,})**")
    st.dataframe(chase, hide_index=True, width="stretch")
    st.download_button("Download the missing returns (Excel)", reporting.workbook(chase),
                       file_name=f"missing-returns-{as_of:%Y-%m-%d}.xlsx", mime=XLSX, key="missing_returns",
                       disabled=chase.empty)
    with st.expander("Every project and quarter"):
        st.dataframe(frame[["project_id", "country", "period", "status", "rows_reported", "arrived", "version"]],
                     hide_index=True, width="stretch")
        st.caption("Arrived: when the project's return for the quarter was imported (blank: the figures came in "
                   "a whole extract).")
