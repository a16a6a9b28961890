"""The Data page's import of spreadsheets in their own shape (for administrators): "Import a spreadsheet" — upload,
the proposed mapping per column with its first values (editable), near matches to confirm, the preview of the
change against the version in use, import (and save the recipe) — and "Import with recipe", in one step.

Everything is done by `impact.ingest.mapping` (proposing) and `impact.ingest.reshape` (applying, previewing,
importing through the one transaction); this module only draws it. Text from the sheet is shown in tables or
through `plain`, never as HTML.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from impact.app import auth, drawing, session
from impact.app.text import plain
from impact.ingest import mapping, reshape, validate
from impact.ingest import recipe as recipes
from impact.ingest import sheets as sheet_files
from impact.model import dictionary, i18n, schema
from impact.model.i18n import gettext as _
from impact.storage import store

_STATE = "sheet_mapping"  # session key: {sha, name, proposal, preview, outcome}
_SHEET_TYPES = ["csv", "xlsx", "json"]


def _store() -> store.Store:
    return session.programme_store()


def _dims_text(dimensions: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in dimensions.items())


def _dims_of(text: str) -> dict[str, str]:
    pairs = [part.split("=", 1) for part in str(text or "").split(",") if "=" in part]
    return {k.strip(): v.strip() for k, v in pairs if k.strip()}


def _propose(upload) -> dict:
    """Read the upload and propose its mapping (kept in the session until another file is uploaded)."""
    data = upload.getvalue()
    state = {"sha": hashlib.sha256(data).hexdigest(), "name": upload.name, "data": data}
    report = validate.Report()
    with tempfile.TemporaryDirectory(prefix="impact-sheet-") as folder:
        path = Path(folder) / Path(upload.name).name
        path.write_bytes(data)
        found = sheet_files.read(path, upload.name, report)
    state["report"] = report
    if report.ok:
        current = session.programme_store().active()
        definition = store.load_definition(current.path)
        state["proposal"] = mapping.propose(found, reshape.context_of(current.path, definition))
        state["context"] = reshape.context_of(current.path, definition)
    return state


def _editor(part: mapping.SheetProposal, n: int) -> None:
    """The sheet's columns with their first values and the mapping proposed, editable; edits go into the recipe."""
    frame = pd.DataFrame([{"column": c.header, "first values": " | ".join(c.first), "role": c.mapping.role,
                           "maps to": c.mapping.column or c.mapping.measure or "",
                           "breakdown values": _dims_text(c.mapping.dimensions),
                           "several chosen": c.mapping.multiple or "", "why": c.mapping.why}
                          for c in part.columns])
    targets = sorted({*recipes.KEYS, *recipes.ATTRIBUTES,
                      *schema.table(part.recipe.table, session.database().programme).column_names})
    edited = st.data_editor(
        frame, hide_index=True, width="stretch", key=f"mapping_editor_{n}", disabled=["column", "first values", "why"],
        column_config={  # the headings in the reader's language; the roles and columns are the recipe's own words
            **{c: st.column_config.TextColumn(heading) for c, heading in reshape.headings(frame).items()
               if c in ("column", "first values", "why")},
            "role": st.column_config.SelectboxColumn(_("role"), options=list(recipes.ROLES), required=True,
                                                     help=_("key, dimension, measure, value (a wide column, one row "
                                                            "per breakdown value), attribute (the project's), ignore")),
            "maps to": st.column_config.SelectboxColumn(_("maps to"), options=targets,
                                                        help=_("the table's column (for a value column: its "
                                                               "measure)")),
            "breakdown values": st.column_config.TextColumn(_("breakdown values"),
                                                            help=_("for a value column: cadre=Nurse, gender=Female")),
            "several chosen": st.column_config.SelectboxColumn(
                _("several chosen"), options=["", *recipes.MULTIPLE],
                help=_("a select-multiple question (its choices space-separated, or a 0/1 choice column): one — a "
                       "submission choosing several is refused —, or each — counted once per choice")),
        })
    for column, (_index, row) in zip(part.recipe.columns, edited.iterrows(), strict=True):
        column.role = row["role"] or "ignore"
        target = row["maps to"] or None
        column.column = target if column.role in ("key", "dimension", "measure", "attribute", "choice") else None
        column.multiple = (row["several chosen"] or None) if column.role in ("dimension", "choice") else None
        column.measure = target if column.role == "value" else None
        column.dimensions = _dims_of(row["breakdown values"]) if column.role == "value" else {}


def _map_by_hand(part: mapping.SheetProposal, context: mapping.Context, n: int) -> None:
    """A choice per value matching nothing (the first 20): the value of the programme it means."""
    for item in part.unmatched[:20]:
        target, label = item["target"], plain(_("{column}: '{text}' means").format(column=item["column"],
                                                                                     text=item["text"]))
        key = f"mapping_by_hand_{n}_" + hashlib.sha256(f"{target}|{item['text']}".encode()).hexdigest()[:16]
        if target in (recipes.ELEMENT, recipes.COMBO):
            chosen = st.text_input(label, key=key,
                                   placeholder="trainees, or value: indicator=CODE" if target == recipes.ELEMENT
                                   else "gender=Female, cadre=Nurse").strip()
        else:
            chosen = st.selectbox(label, context.choices(target), index=None, key=key,
                                  placeholder=_("choose the programme's value"))
        if chosen:
            part.recipe.values.setdefault(target, {})[item["text"]] = {"to": chosen, "match": "manual",
                                                                       "confirmed": True}


def _place_periods(part: mapping.SheetProposal, n: int) -> None:
    """A choice per period across quarters (DHIS2's '2018S1'): the one quarter its numbers go to, else refused."""
    if not part.spanning:
        return
    st.markdown(_("**Periods across quarters**: their numbers cannot be split between quarters. Place each in the "
                  "quarter it belongs to, or leave it to be refused (and export the data by month or quarter)."))
    for item in part.spanning:
        key = f"mapping_period_{n}_" + hashlib.sha256(item["text"].encode()).hexdigest()[:16]
        rows = ", ".join(map(str, item["rows"][:10])) + ("…" if item["count"] > 10 else "")
        chosen = st.selectbox(plain(_("{column}: '{text}' ({count} row(s): {rows}) goes to").format(
                                  column=item["column"], text=item["text"], count=item["count"], rows=rows)),
                              item["quarters"], index=None, key=key, placeholder=_("leave it refused"))
        if chosen:
            mapping.place_period(part.recipe, item["text"], chosen)


def _confirmations(proposal: mapping.Proposal) -> None:
    """A tick per near match proposed; the ticked ones are confirmed in the recipe."""
    near = proposal.recipe.proposed()
    if not near:
        return
    st.markdown(_("**Near matches to confirm**: the sheet's spelling is close to one of the programme's values."))
    for n, (sheet, column, text, to) in enumerate(near):
        ticked = st.checkbox(plain(_("{column}: '{text}' means '{to}'").format(column=column, text=text, to=to)),
                             key=f"mapping_near_{n}")
        if ticked:
            for part in proposal.recipe.sheets:
                if part.sheet == sheet and text in part.values.get(column, {}):
                    part.values[column][text]["confirmed"] = True


def _table(frame: pd.DataFrame) -> None:
    """A table of the import (rows, change, totals, values matching nothing) headed in the reader's language."""
    drawing.headed(frame, reshape.headings(frame))


def _show_result(result: reshape.SheetImport) -> None:
    """A preview or an import's outcome: notices, problems, rows, the change and the totals."""
    if not result.report.ok:
        st.error(plain(result.report.summary()))
        drawing.problems(result.report.to_frame())
        return
    for notice in result.notices:
        st.caption(plain(_("Left out: {notice}").format(notice=notice)))
    if result.ok:
        st.success(plain(result.summary() + " " + _("It can be undone under Versions.")))
    elif result.needs_confirmation:
        st.warning(plain(result.summary()))
    if result.rows is not None:
        st.markdown(_("**{count} row(s)** from the sheet (the first 200):").format(  # our own text and a number
            count=i18n.active().number(len(result.rows))))
        _table(result.rows.head(200))
    if result.changes is not None:
        st.markdown("**" + plain(_("The change against the version in use")) + "**")
        _table(result.changes)
        _table(result.totals)
    if result.removals is not None and len(result.removals):
        st.markdown(_("**{count} row(s) of the version in use would be removed** (the sheet's project quarters no "
                      "longer hold them):").format(count=i18n.active().number(len(result.removals))))
        _table(result.removals.head(500))


def _run(state: dict, chosen: recipes.Recipe | str, *, dry_run: bool, confirm: bool = False,
         save_as: str | None = None, accept: bool = False) -> reshape.SheetImport:
    auth.require_admin()
    with tempfile.TemporaryDirectory(prefix="impact-sheet-") as folder:
        path = Path(folder) / Path(state["name"]).name
        path.write_bytes(state["data"])
        return reshape.import_sheet(path, chosen, programme=session.programme_id(), dry_run=dry_run,
                                    confirm_removals=confirm, save_as=save_as, who=auth.admin_name(),
                                    accept_proposed=accept,
                                    display=state["name"])


def import_spreadsheet() -> None:
    """Upload any sheet, confirm the proposed mapping, preview, import (and keep the recipe)."""
    st.markdown(_("Upload a sheet kept in its own shape (CSV or Excel: one row per project and quarter, a column "
                  "per cadre and gender, countries by name…). The app proposes what each column is; correct it if "
                  "need be, confirm the near matches, look at the preview, then import. The mapping is saved as a "
                  "recipe, so next quarter's sheet imports in one step."))
    upload = st.file_uploader(_("Spreadsheet"), type=_SHEET_TYPES, key="sheet_upload")
    if upload is None:
        st.session_state.pop(_STATE, None)
        return
    state = st.session_state.get(_STATE)
    if state is None or state["sha"] != hashlib.sha256(upload.getvalue()).hexdigest():
        state = st.session_state[_STATE] = _propose(upload)
    if not state["report"].ok:
        st.error(plain(state["report"].summary()))
        drawing.problems(state["report"].to_frame())
        return
    proposal: mapping.Proposal = state["proposal"]
    for n, part in enumerate(proposal.sheets):
        st.subheader(plain(_("{sheet}: rows go to {table}").format(sheet=part.sheet.shown, table=part.recipe.table)),
                     anchor=False)
        for notice in part.layout.notices:
            st.caption(plain(_("Left out: {notice}").format(notice=notice)))
        _editor(part, n)
        if part.recipe.constants:
            st.caption(plain(_("The same for every row: {values}").format(
                values=", ".join(f"{k} = {v}" for k, v in part.recipe.constants.items()))))
        for question in part.questions:
            answer = st.radio(plain(question), ["day", "month"], index=None, key=f"mapping_day_first_{n}",
                              format_func={"day": _("day first (03/04/2018 is 3 April)"),
                                           "month": _("month first (03/04/2018 is 4 March)")}.get)
            part.recipe.day_first = None if answer is None else answer == "day"
        mapping.fill_values(part, state["context"])
        if part.unmatched:
            st.markdown(_("**Values matching nothing in the programme**: map them here, or correct the sheet."))
            unmatched = pd.DataFrame(part.unmatched).drop(columns="target")
            _table(unmatched.assign(rows=unmatched["rows"].map(lambda rows: ", ".join(map(str, rows)))))
            _map_by_hand(part, state["context"], n)
        _place_periods(part, n)
    _confirmations(proposal)
    name = st.text_input(_("Save the recipe as"), value="", max_chars=64, key="mapping_recipe_name",
                         placeholder=_("e.g. master-sheet"), help=_("lower-case letters, digits, - and _")).strip()
    st.download_button(_("Download the recipe (JSON)"), proposal.recipe.to_json().encode("utf-8"),
                       file_name=f"{name or 'recipe'}.json", mime="application/json", key="mapping_recipe_json")
    if st.button(_("Preview"), key="mapping_preview"):
        state["preview"] = _run(state, proposal.recipe, dry_run=True)
        state.pop("outcome", None)
    preview = state.get("preview")
    if preview is not None:
        _show_result(preview)
        if preview.previewed:
            removing = preview.removals is not None and len(preview.removals) > 0
            confirm = (st.checkbox(_("Allow the import to remove these rows"), key="mapping_confirm") if removing
                       else False)
            if name and not recipes.NAME.fullmatch(name):
                st.error(plain(_("'{name}' is not a recipe name: lower-case letters, digits, - and _.").format(
                    name=name)))
            elif st.button(_("Import"), type="primary", key="mapping_import", disabled=removing and not confirm):
                state["outcome"] = _run(state, proposal.recipe, dry_run=False, confirm=confirm, save_as=name or None)
                state.pop("preview", None)
                st.rerun()
    outcome = state.get("outcome")
    if outcome is not None:
        _show_result(outcome)
        if outcome.saved is not None:
            st.caption(plain(_("Recipe saved as {name}: use it under Import with recipe.").format(
                name=outcome.recipe.name)))


def import_with_recipe() -> None:
    """Next quarter's sheet through a saved recipe, in one step."""
    try:
        saved = recipes.names(session.programme_store())
    except recipes.RecipeError as error:
        st.error(plain(_("The programme's recipes cannot be read: {error}").format(error=error)))
        return
    if not saved:
        st.caption(_("No recipe is saved in this programme yet: import a spreadsheet above and give its recipe a "
                     "name."))
        return
    chosen = st.selectbox(_("Recipe"), saved, key="recipe_choice")
    upload = st.file_uploader(_("Spreadsheet"), type=_SHEET_TYPES, key="recipe_upload")
    accept = st.checkbox(_("Take the near matches of values the recipe has not seen as confirmed (they are listed "
                           "first otherwise)"), key="recipe_accept")
    confirm = st.checkbox(_("Allow the import to remove rows of the version in use for the sheet's project quarters"),
                          key="recipe_confirm")
    if st.button(_("Check and import"), type="primary", disabled=upload is None, key="recipe_import"):
        state = {"name": upload.name, "data": upload.getvalue()}
        st.session_state["recipe_outcome"] = _run(state, chosen, dry_run=False, confirm=confirm, accept=accept)
        st.rerun()  # every part of the page (its caption, versions) on the new version
    outcome = st.session_state.get("recipe_outcome")
    if outcome is not None:
        _show_result(outcome)


def recipes_section(folder: Path, version: str) -> None:
    """The data dictionary's part on recipes: the programme's saved recipes in the version shown (each as its JSON)
    and the recipe format."""
    try:
        saved = recipes.of_version(folder)
    except recipes.RecipeError as error:
        st.error(plain(_("The programme's recipes in version {version} cannot be read: {error}").format(
            version=version, error=error)))
        saved = {}
    if saved:
        drawing.headed(pd.DataFrame(recipes.listing(saved)), {c: _(c) for c in recipes.LISTING})
        st.caption(plain(_("Saved in version {version}, beside its definition (recipes.json): making an earlier "
                           "version active brings back its recipes, and export-extract carries them.").format(
            version=version)))
        for name, recipe in saved.items():
            with st.expander(plain(_("Recipe {name} (JSON)").format(name=name))):
                st.code(recipe.to_json(), language="json")
    else:
        st.caption(plain(_("No recipe is saved in version {version}: importing a spreadsheet through a mapping "
                           "(Import tab) saves one under the name given.").format(version=version)))
    with st.expander(_("The recipe format")):
        st.markdown("\n".join(dictionary.recipe_markdown()[2:]))  # our own text (its heading is the page's)
