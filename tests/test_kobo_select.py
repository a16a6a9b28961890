"""KoboToolbox/ODK select-multiple questions (issue 26): a question exported joined (`in_service pre_service`) and
split (a 0/1 column per choice) mapped to a breakdown — one value per submission unless the recipe says each
choice counts the submission once —, never counted twice when both forms are present (the choice columns left
out with a notice, or refused when both are mapped), the split columns alone read as the question; and `_uuid`
kept so importing the same submissions again does not count them twice. Each export is built by code as
KoboToolbox writes its XLSX, and every import is checked against totals computed with pandas from the file."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from impact.ingest import mapping, reshape, sheets
from impact.ingest import recipe as recipes
from impact.storage import store
from tests import sheet_fixtures as sf
from tests.data_helpers import refused_sheet as refused


@pytest.fixture
def context(fixture_dir, definition) -> mapping.Context:
    return reshape.context_of(fixture_dir, definition)


def rows_of(root: Path, version: str, projects: list[str], quarter) -> pd.DataFrame:
    """The training rows of `projects` in a quarter of a version (plain DuckDB over the Parquet file)."""
    table = store.open_store(root).version_path(version) / "training.parquet"
    return duckdb.execute("select project_id, training_type, cadre, gender, trainees from read_parquet($p) "
                          "where project_id = any($ids) and period = $d order by all",
                          {"p": str(table), "ids": projects, "d": quarter}).df()


def expected(path: Path, each: bool, from_split: bool = False) -> dict:
    """The export read with pandas: each session's counts by project, training type, cadre and gender (a session
    of two types counted under both when `each`)."""
    frame = pd.read_excel(path, dtype={sf.KOBO_SELECT: str})
    if from_split:
        frame[sf.KOBO_SELECT] = frame[[f"{sf.KOBO_SELECT}/{c}" for c in sf.KOBO_TYPES]].apply(
            lambda row: " ".join(c for c in sf.KOBO_TYPES if row[f"{sf.KOBO_SELECT}/{c}"] == 1), axis=1)
    frame["type"] = frame[sf.KOBO_SELECT].str.split()
    if not each:
        assert (frame["type"].str.len() == 1).all()
    long = frame.explode("type").melt(id_vars=["group_session/project", "type"], value_vars=list(sf.KOBO_WIDE),
                                      var_name="column", value_name="trainees")
    long["training_type"] = long["type"].map(sf.KOBO_TYPES)
    long["cadre"] = long["column"].map(lambda c: sf.KOBO_WIDE[c][0])
    long["gender"] = long["column"].map(lambda c: sf.KOBO_WIDE[c][1])
    return long.groupby(["group_session/project", "training_type", "cadre", "gender"])["trainees"].sum().to_dict()


def got(root: Path, version: str, projects: list[dict], quarter) -> dict:
    """The version's rows of the export's projects in its quarter, by breakdown (one row each: the key is unique)."""
    frame = rows_of(root, version, [p["project_id"] for p in projects], quarter)
    assert not frame.duplicated(["project_id", "training_type", "cadre", "gender"]).any()
    return frame.set_index(["project_id", "training_type", "cadre", "gender"])["trainees"].to_dict()


def with_multiple(chosen: recipes.Recipe, multiple: str) -> recipes.Recipe:
    """The recipe with its select-multiple columns saying `multiple`."""
    raw = json.loads(chosen.to_json())
    for column in raw["sheets"][0]["columns"]:
        if "multiple" in column:
            column["multiple"] = multiple
    return recipes.parse(raw)


def test_the_joined_column_is_the_breakdown_and_its_choice_columns_are_left_out_with_a_notice(
        fixture_dir, data_store, context, tmp_path):
    quarter, projects = sf.pick(fixture_dir)
    header, rows = sf.kobo_select_rows(quarter, projects, several=False)
    path = sf.write_kobo_xlsx(header, rows, tmp_path / "sessions.xlsx")
    proposal = mapping.propose(sheets.read(path), context)
    columns = {c.header: c for c in proposal.recipe.sheets[0].columns}
    assert (columns[sf.KOBO_SELECT].role, columns[sf.KOBO_SELECT].column, columns[sf.KOBO_SELECT].multiple) == \
        ("dimension", "training_type", "one")
    assert all(columns[f"{sf.KOBO_SELECT}/{c}"].role == "ignore" for c in sf.KOBO_TYPES)
    assert proposal.recipe.sheets[0].values["training_type"]["in_service"]["to"] == "In-service"
    assert "training_type" not in proposal.recipe.sheets[0].constants
    result = reshape.import_sheet(path, proposal.recipe, location=data_store, confirm_removals=True)
    assert result.ok, result.report.to_text()
    assert any("repeat 'group_session/training_types'" in n for n in result.notices)
    assert got(data_store, result.version, projects, quarter) == expected(path, each=False)


def test_a_submission_choosing_two_values_is_refused_unless_the_recipe_counts_it_once_per_value(
        fixture_dir, data_store, context, tmp_path):
    quarter, projects = sf.pick(fixture_dir)
    header, rows = sf.kobo_select_rows(quarter, projects)
    path = sf.write_kobo_xlsx(header, rows, tmp_path / "sessions.xlsx")
    proposal = mapping.propose(sheets.read(path), context)
    twice = [n + 2 for n, row in enumerate(rows) if " " in row[header.index(sf.KOBO_SELECT)]]
    assert twice
    problems = refused(path, proposal.recipe, data_store)
    assert {(p.rule, p.column) for p in problems} == {("several-values", sf.KOBO_SELECT)}
    assert sorted(p.row for p in problems) == twice
    each = with_multiple(proposal.recipe, "each")
    result = reshape.import_sheet(path, each, location=data_store, confirm_removals=True)
    assert result.ok, result.report.to_text()
    assert any(f"{len(twice)} row(s) choose several values of training_type" in n for n in result.notices)
    assert got(data_store, result.version, projects, quarter) == expected(path, each=True)


def test_the_joined_and_the_choice_columns_both_mapped_are_refused_as_counted_twice(fixture_dir, data_store, context,
                                                                                    tmp_path):
    quarter, projects = sf.pick(fixture_dir)
    header, rows = sf.kobo_select_rows(quarter, projects, several=False)
    path = sf.write_kobo_xlsx(header, rows, tmp_path / "sessions.xlsx")
    raw = json.loads(mapping.propose(sheets.read(path), context).recipe.to_json())
    for column in raw["sheets"][0]["columns"]:
        if column["header"].startswith(sf.KOBO_SELECT + "/"):
            column.update(role="choice", column="training_type")
    problems = refused(path, recipes.parse(raw), data_store)
    assert {(p.rule, p.column) for p in problems} == {("counted-twice", f"{sf.KOBO_SELECT}/{c}") for c in sf.KOBO_TYPES}
    assert "counted twice" in problems[0].message


def test_the_choice_columns_alone_are_read_as_the_question(fixture_dir, data_store, context, tmp_path):
    quarter, projects = sf.pick(fixture_dir)
    header, rows = sf.kobo_select_rows(quarter, projects)
    path = sf.write_kobo_xlsx(header, rows, tmp_path / "split.xlsx", drop=(sf.KOBO_SELECT,))
    proposal = mapping.propose(sheets.read(path), context)
    columns = {c.header: c for c in proposal.recipe.sheets[0].columns}
    assert {(columns[f"{sf.KOBO_SELECT}/{c}"].role, columns[f"{sf.KOBO_SELECT}/{c}"].column) for c in sf.KOBO_TYPES} \
        == {("choice", "training_type")}
    problems = refused(path, proposal.recipe, data_store)
    assert {p.rule for p in problems} == {"several-values"}
    result = reshape.import_sheet(path, with_multiple(proposal.recipe, "each"), location=data_store,
                                  confirm_removals=True)
    assert result.ok, result.report.to_text()
    assert got(data_store, result.version, projects, quarter) == expected(path, True, from_split=True)
    bad = [list(r) for r in rows]
    bad[1][header.index(f"{sf.KOBO_SELECT}/pre_service")] = "oui"
    problems = refused(sf.write_kobo_xlsx(header, bad, tmp_path / "bad.xlsx", drop=(sf.KOBO_SELECT,)),
                       with_multiple(proposal.recipe, "each"), data_store)
    assert [(p.rule, p.row, p.column) for p in problems] == [("not-a-choice", 3, f"{sf.KOBO_SELECT}/pre_service")]


def test_importing_the_same_submissions_again_does_not_count_them_twice(fixture_dir, data_store, context, tmp_path):
    quarter, projects = sf.pick(fixture_dir)
    header, rows = sf.kobo_select_rows(quarter, projects, several=False)
    path = sf.write_kobo_xlsx(header, rows, tmp_path / "sessions.xlsx")
    chosen = mapping.propose(sheets.read(path), context).recipe
    first = reshape.import_sheet(path, chosen, location=data_store, confirm_removals=True)
    assert first.ok, first.report.to_text()
    again = reshape.import_sheet(path, chosen, location=data_store, confirm_removals=True)
    assert again.ok and got(data_store, again.version, projects, quarter) == expected(path, each=False)
    assert again.changes.set_index("table").loc["training", ["added", "changed", "removed"]].tolist() == [0, 0, 0]
    # A later export: the same submissions and new ones. The totals are the later export's, not the two added up.
    _, more = sf.kobo_select_rows(quarter, projects, seed=3, several=False, first=len(rows))
    later = sf.write_kobo_xlsx(header, rows + more, tmp_path / "later.xlsx")
    done = reshape.import_sheet(later, chosen, location=data_store, confirm_removals=True)
    assert done.ok, done.report.to_text()
    assert got(data_store, done.version, projects, quarter) == expected(later, each=False)
    # One submission twice in an export (its _uuid repeated) is refused with the row it repeats on.
    problems = refused(sf.write_kobo_xlsx(header, rows + [rows[2]], tmp_path / "twice.xlsx"), chosen, data_store)
    assert {(p.rule, p.column, p.row) for p in problems} == {("counted-twice", "_uuid", len(rows) + 2)}
