"""Streamlit glue for an administrator's IATI import on the Data page: check a funder's file (nothing written),
read what becomes of every activity (table and CSV), then import the activities that map, or stop."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from impact.app import auth, drawing
from impact.app.text import plain
from impact.interchange import iati
from impact.model import i18n
from impact.model.i18n import gettext as _
from impact.storage import store

CHECKED = "iati_checked"  # the file checked and what the check found, until imported or stopped
DONE = "iati_done"  # what the last import did


def _run(name: str, data: bytes, programme: str, **options) -> iati.IatiImport:
    """The IATI import of an uploaded file (written to a temporary folder for the time of the import)."""
    with tempfile.TemporaryDirectory(prefix="impact-iati-upload-") as folder:
        path = Path(folder) / "upload.xml"
        path.write_bytes(data)
        return iati.import_iati(path, programme=programme, display=name, who=auth.admin_name(), **options)


def _home(text: str) -> list[str] | None:
    """The home countries typed for a new programme (ISO3 codes, commas between): None when blank (the file's)."""
    codes = [c.strip().upper() for c in (text or "").replace(";", ",").split(",") if c.strip()]
    return codes or None


def _check(upload, programme: str, home: list[str] | None = None) -> None:
    auth.require_admin()
    data = upload.getvalue()
    st.session_state.pop(DONE, None)
    try:
        done = _run(upload.name, data, programme, check_only=True, home=home)
    except ValueError as error:  # the definition has no iati section: the message says what to add
        st.session_state[CHECKED] = {"name": upload.name, "programme": programme, "error": str(error)}
        return
    counts = done.counts()
    st.session_state[CHECKED] = {
        "name": upload.name, "data": data, "programme": programme, "summary": done.summary(home=False), "home": home,
        "home_said": done.home,
        "read": bool(done.outcomes), "problems": done.report.to_frame(), "activities": done.activity_frame(),
        "csv": done.activity_csv(), "maps": counts[iati.MAPS], "refused": counts[iati.REFUSED],
        "proposed": [{"indicator": code, "IATI indicator": title, "result": result}
                     for code, (title, result) in done.proposed.items()],
    }


def _import(programme: str) -> None:
    auth.require_admin()
    checked = st.session_state.pop(CHECKED)
    add = bool(checked.get("proposed")) and bool(st.session_state.get("iati_add_indicators"))
    done = _run(checked["name"], checked["data"], programme, accept_valid=True, add_indicators=add,
                home=checked.get("home"))
    version = store.open_store(None, programme).active().version if done.ok else ""
    st.session_state[DONE] = {"ok": done.ok, "summary": done.summary(), "problems": done.report.to_frame(),
                              "activities": done.activity_frame(), "csv": done.activity_csv(), "version": version,
                              "name": checked["name"], "programme": programme}


def _activities(frame: pd.DataFrame, key: str) -> None:
    """The activity report, headed in the session's language (its outcomes already in its words; identifiers, element
    names and rule codes as they are)."""
    drawing.headed(frame, {c: iati.report_heading(c) for c in frame.columns}, key=key)


def _stop() -> None:
    st.session_state.pop(CHECKED, None)


def import_iati(programme: str) -> None:
    """Upload an IATI activity file, see every activity's outcome, and import the ones that map (or stop)."""
    st.markdown(_("Upload the IATI activity file your funder publishes (**.xml**, IATI 2.01, 2.02 or 2.03). It is "
                  "checked first and nothing changes: you see what becomes of every activity — the ones that map to "
                  "projects, and every one that cannot, with its reason — and then choose to import the activities "
                  "that map (one new version, which replaces the programme's projects) or to stop."))
    into = st.radio(_("Import the file into"), ["this", "new"], horizontal=True, key="iati_into",
                    format_func={"this": _("this programme"), "new": _("a new programme started from the file")}.get)
    target, home = programme, None
    if into == "new":
        target = st.text_input(_("New programme's id"), max_chars=32, key="iati_new_id",
                               placeholder=_("e.g. funder-grants: lower-case letters, digits and -"),
                               help=_("Its definition is read from the file (publisher, years, a theme per sector); "
                                      "training, volunteering, outcomes and scores start empty.")).strip()
        home = _home(st.text_input(
            _("Home country"), max_chars=200, key="iati_home",
            placeholder=_("blank: the country of the file's publisher (else its funder); or e.g. DEU, or ZAF,KEN"),
            help=_("The programme's home country or countries (ISO 3166-1 alpha-3 codes, commas between). Left "
                   "blank, it is read from the file: the country of the reporting organisation's identifier "
                   "(GB-GOV-1: the UK; DE-1 or XM-DAC-5-…: Germany), else of its funder's. The check shows the home "
                   "proposed; type another here and check again to change it.")))
    upload = st.file_uploader(_("IATI activity file"), type=["xml"], key="iati_upload")
    if st.button(_("Check the IATI file"), disabled=upload is None or not target, key="iati_check"):
        _check(upload, target, home)
        st.rerun()
    checked = st.session_state.get(CHECKED)
    if checked:
        if "error" in checked:
            st.error(plain(checked["error"]))
        else:
            _show_check(checked)
    done = st.session_state.get(DONE)
    if done:
        (st.success if done["ok"] else st.error)(plain(done["summary"]))
        if done["ok"]:
            st.caption(plain(_("Version {version} of {programme} is now in use on every page (choose the programme in "
                               "the sidebar). It can be undone under Versions.").format(version=done["version"],
                                                                                        programme=done["programme"])))
        else:
            drawing.problems(done["problems"], key="iati_done_problems")
        _activities(done["activities"], key="iati_done_activities")
        st.download_button(_("Download the activity report (CSV)"), done["csv"], key="iati_done_csv",
                           file_name=f"iati-report-{done['version']}.csv", mime="text/csv")


def _show_check(checked: dict) -> None:
    st.subheader(plain(_("What {file} holds, for {programme}").format(file=checked["name"],
                                                                       programme=checked["programme"])), anchor=False)
    st.markdown(plain(checked["summary"]))
    if checked.get("home_said"):  # a new programme: the home it will have, which the manager may change
        st.info(plain(checked["home_said"] + " " + _("To choose another home, type its country codes in Home country "
                                                      "above and check the file again.")))
    if not checked["read"]:  # the file itself cannot be read: its problems, nothing per activity
        drawing.problems(checked["problems"], key="iati_file_problems")
        st.button(_("Stop"), on_click=_stop, key="iati_stop")
        return
    st.caption(_("Every activity, with its outcome and reason (an activity refused for several reasons has a row for "
                 "each; the choices made reading the others are in their reason):"))
    _activities(checked["activities"], key="iati_activities")
    st.download_button(_("Download the activity report (CSV)"), checked["csv"], key="iati_csv",
                       file_name=f"iati-report-{Path(checked['name']).stem}.csv", mime="text/csv")
    others = checked["problems"][checked["problems"]["column"].isin(["", "project_id"])]
    if len(others):
        st.warning(_("Problems of the whole file, which stop the import whatever you choose:"))
        drawing.problems(others, key="iati_other_problems")
    if checked.get("proposed"):  # result indicators that match none of the programme's
        st.caption(_("Result indicators of the file that match none of the programme's indicators (map them in the "
                     "definition's iati.indicators, or create them here):"))
        drawing.headed(pd.DataFrame(checked["proposed"], columns=["indicator", "IATI indicator", "result"]),
                       {"indicator": _("indicator"), "IATI indicator": _("IATI indicator"), "result": _("result")},
                       key="iati_proposed")
        st.checkbox(_("Create these {count} indicators and import their results").format(
                        count=i18n.active().number(len(checked["proposed"]))),
                    key="iati_add_indicators")
    left, right = st.columns(2)
    maps = checked["maps"]
    label = (_("Import the {count} activity that maps") if maps == 1 else
             _("Import the {count} activities that map")).format(count=i18n.active().number(maps))
    if left.button(label, type="primary", disabled=not maps or bool(len(others)), key="iati_import"):
        _import(checked["programme"])
        st.rerun()
    right.button(_("Stop"), on_click=_stop, key="iati_stop")
