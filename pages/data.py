"""Data: the data dictionary, the versions of the data, a look at the tables, import (of extracts, of spreadsheets
in their own shape through a recipe, of IATI files and of quarterly returns), publishing the public site and the
trail for administrators."""

import tempfile
from pathlib import Path

import streamlit as st

from impact.app import (
    audit_view,
    auth,
    drawing,
    iati_view,
    mapping_view,
    navigation,
    publish_view,
    returns_view,
    session,
)
from impact.app.text import plain
from impact.ingest import extract_io, validate
from impact.model import dictionary, i18n, schema
from impact.model import programme as programmes
from impact.model.i18n import gettext as _
from impact.storage import audit, store

navigation.ensure_navigation()
data = session.database()
programme_id = session.programme_id()
words = i18n.active()
st.title(_("Data"))
st.caption(plain(_("{programme} ({id}) · data in use: version {version} · {label}").format(
    programme=data.programme.name_in(words.language), id=programme_id, version=data.version, label=data.label)))

held = session.programme_store()
versions = held.versions()
linked = st.query_params.get("version")  # a project's page links the versions that changed its figures
linked = linked if linked in {v.version for v in versions} else None
TAB_NAMES = [_("Data dictionary"), _("Versions"), _("Browse the data"), _("Import"), _("Quarterly returns"),
             _("Reporting"), _("Public site"), _("Trail")]
dictionary_tab, versions_tab, browse_tab, import_tab, returns_tab, reporting_tab, site_tab, trail_tab = st.tabs(
    TAB_NAMES,
    key="data_tabs",
    default=TAB_NAMES[1] if linked else None, on_change="rerun",  # Reporting is built when opened (every project)
)


@st.cache_resource(max_entries=32, show_spinner=False)
def _dictionary(version: str, path: str, language: str) -> dict:
    """The dictionary's tables for one data version in one language (built once: they change only with the
    definition; `language` is the run's, active while they are built)."""
    programme = session.version_database(version, path).programme
    columns = dictionary.tables_frame(programme)
    return {"summary": dictionary.table_summary(programme), "metrics": dictionary.metrics_frame(programme),
            "columns": {name: part.drop(columns="table") for name, part in columns.groupby("table", sort=False)},
            "vocabularies": programme.vocabulary_frame(), "keys": dictionary.definition_keys_frame()}


with dictionary_tab:
    frames = _dictionary(data.version, str(session.active_version().path), words.language)
    headings = {column: _(heading) for column, heading in dictionary.HEADINGS.items()}
    st.markdown(_("An extract is one file per table, named after the table (CSV, Excel or Parquet), with these "
                  "columns. Imports are checked against every rule below."))
    drawing.headed(frames["summary"], headings)
    described = {spec.name: _(spec.description) for spec in schema.TABLES}
    shown_table = st.selectbox(_("The columns of"), list(frames["columns"]), key="dictionary_table",
                               format_func=lambda name: f"{name}: {described.get(name, '')}")
    drawing.headed(frames["columns"][shown_table], headings)
    st.header(_("Checks across rows and tables"))
    for check in dictionary.cross_checks(data.programme):
        st.markdown(f"- {plain(check)}")
    st.header(_("Metrics"))
    drawing.headed(frames["metrics"], headings)
    st.header(plain(_("The programme's definition: {programme}").format(
        programme=data.programme.name_in(words.language))))
    st.markdown(plain(dictionary.programme_summary(data.programme)))
    drawing.headed(frames["vocabularies"], headings)
    st.caption(_("Every categorical column takes its allowed values from these vocabularies (programme.json, "
                 "imported and versioned with the tables)."))
    with st.expander(_("Every key of programme.json: its declared schema")):
        st.markdown(_("A definition is checked against this JSON Schema (every key, its form and meaning), then for "
                      "what a schema cannot say (below). An editor such as VS Code checks a programme.json with it."))
        drawing.headed(frames["keys"], headings)
        for check in programmes.SEMANTIC_CHECKS:
            st.markdown(f"- {_(check.says)}")  # our own sentences, not data
        st.download_button(_("Download the schema (programme.schema.json)"), key="definition_schema",
                           data=programmes.SCHEMA_FILE.read_bytes(), file_name=programmes.SCHEMA_FILE.name,
                           mime="application/schema+json")
    st.header(_("The programme's recipes"))
    mapping_view.recipes_section(held.version_path(data.version), data.version)


def _act(action, *args) -> None:
    """Run an administrator action; show why it was refused, or rerun so every page sees the change."""
    try:
        auth.require_admin()
        action(*args)
    except (PermissionError, store.StoreError) as error:
        st.error(plain(str(error)))
        return
    st.rerun()


with versions_tab:
    if linked:
        shown = next(v for v in versions if v.version == linked)
        st.subheader(plain((_("Version {version} (in use)") if shown.active else _("Version {version}")).format(
            version=linked)), anchor=False)
        made = (_("made {when} by {who}") if shown.created_at else _("made with the store by {who}")).format(
            when=shown.created_at, who=shown.manifest.get("created_by") or _("the shipped extract"))
        st.markdown(plain(f"{shown.manifest.get('label', '')} · {made}"))
        if shown.manifest.get("parent"):
            st.dataframe(extract_io.changes(linked, held), hide_index=True, width="stretch")
        brought = shown.manifest.get("returns", [])
        if brought:
            st.caption(_("The returns it brought:"))
            st.dataframe([{_("project"): r.get("project"), _("quarter"): r.get("period"), _("file"): r.get("file"),
                           "sha256": r.get("sha256"), _("sent (UTC)"): r.get("submitted_at", "")} for r in brought],
                         hide_index=True, width="stretch")
        st.subheader(_("Every version"), anchor=False)
    st.dataframe(extract_io.versions_frame(versions), hide_index=True, width="stretch")
    if auth.is_admin():
        names = [v.version for v in versions]
        labels = {v.version: f"{v.version} · {v.manifest.get('label', '')}" for v in versions}
        chosen = st.selectbox(_("Version"), names, format_func=labels.get, key="switch_version")
        if st.button(_("Make this version active"), key="switch"):
            _act(audit.rollback, held, chosen, auth.admin_name())
        deletable = [v.version for v in versions if not v.active and v.version != store.BASE_VERSION]
        if deletable:
            doomed = st.selectbox(_("Delete a version that is not in use"), deletable, format_func=labels.get,
                                  key="delete_version")
            sure = st.checkbox(_("I understand the deleted version cannot be brought back"), key="delete_sure")
            if st.button(_("Delete version"), key="delete", disabled=not sure):
                _act(audit.delete_version, held, doomed, auth.admin_name())
    else:
        st.caption(_("Administrators can make an earlier version active again or delete one (sign in under Import)."))

with browse_tab:
    table = st.selectbox(_("Table"), schema.TABLE_NAMES, key="browse_table")
    st.dataframe(extract_io.preview(table, held, 200), hide_index=True, width="stretch")
    st.caption(plain(_("First {count} rows of {table} in version {version}.").format(
        count=words.number(200), table=table, version=data.version)))


def _sign_in() -> None:
    if auth.oidc_configured():
        if auth.oidc_user():
            st.warning(plain(_("Signed in as {who}, who is not an administrator.").format(who=auth.oidc_user())))
            st.button(_("Log out"), on_click=st.logout, key="oidc_logout")
        elif st.button(_("Log in with your organisation's account"), key="oidc_login"):
            provider = auth.oidc_provider()
            st.login(provider) if provider else st.login()
    if auth.password_hash():
        with st.form("admin_sign_in"):
            password = st.text_input(_("Administrator password"), type="password", key="admin_password")
            if st.form_submit_button(_("Sign in")):
                accepted, message = auth.try_password(password, held)
                if accepted:
                    st.rerun()
                st.error(message)
    elif not auth.oidc_configured():
        st.info(_("Importing is switched off: no administrator is configured on this server (see the README)."))


def _import(uploads, into: str | None, new_programme: bool) -> None:
    auth.require_admin()
    report = validate.Report()
    landed = programme_id
    with tempfile.TemporaryDirectory(prefix="impact-upload-") as folder:
        target = extract_io.save_uploads([(u.name, u.getvalue()) for u in uploads], Path(folder), report)
        if target is not None:
            display = target.name if target.suffix == ".zip" else _("the upload")
            result = extract_io.import_extract(target, who=auth.admin_name(), display=display, programme=into,
                                               new_programme=new_programme)
            report, landed = result.report, (result.programme if result.ok else programme_id)
    into_store = store.open_store(None, landed)
    version = into_store.active().version
    st.session_state["import_outcome"] = {
        "ok": report.ok, "summary": report.summary(), "problems": report.to_frame(),
        "kinds": report.by_kind(), "csv": report.to_csv(), "version": version, "programme": landed,
        "changes": extract_io.changes(version, into_store) if report.ok else None, "notes": list(report.notes),
    }


with import_tab:
    if not auth.is_admin():
        st.markdown(_("Importing a new extract, switching and deleting versions need an administrator."))
        _sign_in()
    else:
        st.caption(plain(_("Signed in: {who}").format(who=auth.admin_name())))
        if auth.admin_by_password():
            st.button(_("Sign out"), on_click=auth.sign_out, args=(held,), key="admin_sign_out")
        elif auth.oidc_user():  # signed in through the identity provider: its log-out ends that sign-in
            st.button(_("Log out"), on_click=st.logout, key="oidc_logout")
        st.markdown(_("Upload one **.zip** or several files named after their tables (e.g. `training.csv`, "
                      "`projects.xlsx`), with the programme's `programme.json` when its definition changes. Tables "
                      "you leave out are kept from the version in use. Everything is checked first; nothing changes "
                      "unless there is no problem at all."))
        mode = st.radio(_("Import into"), ["this", "new"], horizontal=True, key="import_mode",
                        format_func={"this": _("{programme} (this programme)").format(
                            programme=data.programme.short_name), "new": _("A new programme")}.get)
        new_id = ""
        if mode == "new":
            new_id = st.text_input(_("New programme's id"), max_chars=32, key="new_programme_id",
                                   placeholder=_("e.g. amr-2025: lower-case letters, digits and -"),
                                   help=_("It must match the id in the upload's programme.json. A new programme "
                                          "needs every table and its programme.json (python -m impact programme "
                                          "template writes a blank one).")).strip()
        uploads = st.file_uploader(_("Extract files"), type=["csv", "xlsx", "parquet", "zip", "json"],
                                   accept_multiple_files=True, key="uploads")
        if st.button(_("Check and import"), type="primary", disabled=not uploads or (mode == "new" and not new_id),
                     key="run_import"):
            _import(uploads, new_id if mode == "new" else programme_id, mode == "new")
            st.rerun()
    outcome = st.session_state.get("import_outcome")
    if outcome:
        (st.success if outcome["ok"] else st.error)(plain(outcome["summary"]))
        notes = outcome.get("notes", [])  # how a file was read (an older column name, a formula's value)
        for note in notes[:20]:
            st.caption(plain(_("Note: {note}").format(note=note)))
        if len(notes) > 20:
            st.caption(_("… and {count} more notes.").format(count=words.number(len(notes) - 20)))
        if outcome["ok"]:
            st.caption(plain(_("Version {version} of {programme} is now in use on every page. It can be undone under "
                               "Versions.").format(version=outcome["version"], programme=outcome["programme"])))
            st.dataframe(outcome["changes"], hide_index=True, width="stretch")
        else:
            drawing.problems(outcome["problems"])
            st.caption(_("Problems by file, column and rule (all counted):"))
            drawing.problems(outcome["kinds"])
            st.download_button(_("Download the report (CSV)"), outcome["csv"], key="report_csv",
                               file_name=f"import-report-{outcome['version']}.csv", mime="text/csv")
    if auth.is_admin():
        st.header(_("Import a spreadsheet"))
        mapping_view.import_spreadsheet()
        st.header(_("Import with recipe"))
        mapping_view.import_with_recipe()
        st.header(_("Import a funder's IATI file"))
        iati_view.import_iati(programme_id)

with returns_tab:
    if not auth.is_admin():
        st.markdown(_("Partners download their project's reporting workbook and send their return on the project's "
                      "page. Approving returns, sending the workbooks of every project due, importing returns and "
                      "managing partner accounts need an administrator (sign in under Import)."))
    else:
        st.header(_("Returns from partners"))
        returns_view.partner_returns()
        st.header(_("Workbooks for a quarter"))
        returns_view.workbooks_for_quarter()
        st.header(_("Import returns"))
        returns_view.upload_returns()
        st.header(_("Partner accounts"))
        returns_view.partner_accounts()

if reporting_tab.open:
    with reporting_tab:
        returns_view.reporting_view()

with site_tab:
    if auth.is_admin():
        publish_view.public_site()
    else:
        st.markdown(_("The public site — the approved figures as static pages anyone can read, link and embed — is "
                      "published by an administrator (sign in under Import), or with `python -m impact publish`."))

with trail_tab:
    if auth.is_admin():
        audit_view.trail_view()
    else:
        st.markdown(_("The trail — who signed in, changed an account, sent, approved or imported what, and when — "
                      "is for administrators (sign in under Import)."))
