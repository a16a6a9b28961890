"""Importing a sheet in its own shape (issue 26): the periods sheets write, the proposed mapping of a wide master
sheet (title, blank and total rows left out, French country names, near-miss themes, "Nurses (F)" unpivoted),
the import through a recipe checked against totals computed independently from the sheet with pandas, the recipe
round trip (saved, reloaded, next quarter's sheet in one step), each refusal with its file, sheet, row and column
and the store unchanged, and the command line in its exact forms."""

from __future__ import annotations

import csv
import datetime as dt
import json
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest

from impact import cli
from impact.ingest import mapping, reshape, sheets
from impact.ingest import recipe as recipes
from impact.model import calendar
from impact.model import programme as programmes
from impact.storage import store
from tests import sheet_fixtures as sf
from tests.conftest import ROOT
from tests.data_helpers import snapshot

# ---- periods ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["2018-07-01", "13/07/2018", "07/13/2018", "2018Q3", "Q3 2018", "Jul-Sep 2018",
                                  "Jul–Sep 2018", "juil.-sept. 2018", "jul-set 2018", "FY2018/19 Q2",
                                  "FY2018-2019 Q2", "2018-09-30"])
def test_every_common_form_of_a_period_reads_as_its_quarter(text):
    assert calendar.parse_period(text, fiscal_year_start=4) == dt.date(2018, 7, 1)


def test_a_financial_year_quarter_follows_the_programmes_fiscal_year_start():
    assert calendar.parse_period("FY2018/19 Q1", 4) == dt.date(2018, 4, 1)
    assert calendar.parse_period("FY2018/19 Q4", 4) == dt.date(2019, 1, 1)
    assert calendar.parse_period("FY2018 Q1", 1) == dt.date(2018, 1, 1)
    assert calendar.parse_period("FY2018/19 Q1", 7) == dt.date(2018, 7, 1)
    assert calendar.parse_period("FY2018/20 Q1", 4) is None  # the second year must follow the first
    assert calendar.parse_period("Feb-Apr 2018") is None  # not one quarter's months


def test_an_ambiguous_date_is_asked_about_not_guessed():
    with pytest.raises(calendar.AmbiguousDate, match="03 April 2018.*04 March 2018"):
        calendar.parse_period("03/04/2018")
    assert calendar.parse_period("03/04/2018", day_first=True) == dt.date(2018, 4, 1)
    assert calendar.parse_period("03/04/2018", day_first=False) == dt.date(2018, 1, 1)
    assert mapping.day_first_of(["03/04/2018", "25/04/2018"]) == (True, [])
    assert mapping.day_first_of(["03/04/2018", "04/25/2018"]) == (False, [])
    assert mapping.day_first_of(["03/04/2018", "05/06/2018"]) == (None, ["03/04/2018", "05/06/2018"])


def test_the_definition_takes_a_fiscal_year_start_and_writes_it_only_when_not_january(definition):
    raw = json.loads(definition.to_json())
    assert "fiscal_year_start" not in raw  # the default: existing definitions read back as they were
    raw["fiscal_year_start"] = 4
    parsed = programmes.parse(raw)
    assert parsed.fiscal_year_start == 4 and json.loads(parsed.to_json())["fiscal_year_start"] == 4
    raw["fiscal_year_start"] = 13
    with pytest.raises(programmes.DefinitionError, match="fiscal_year_start"):
        programmes.parse(raw)


# ---- values to the vocabulary -------------------------------------------------------------------------------

@pytest.fixture
def context(fixture_dir, definition) -> mapping.Context:
    return reshape.context_of(fixture_dir, definition)


def test_values_match_exactly_then_ignoring_case_accents_and_ampersand_then_near(context):
    theme = "Maternal and newborn health"
    assert mapping.match(theme, "theme", context) == {"to": theme, "match": "exact", "confirmed": True}
    assert mapping.match("Maternal & Newborn Health", "theme", context)["match"] == "same"
    assert mapping.match("  MATERNAL and newborn  héalth", "theme", context)["to"] == theme
    near = mapping.match("Maternal & Newborn Helth", "theme", context)
    assert near == {"to": theme, "match": "near", "confirmed": False}
    assert mapping.match("Astronomy", "theme", context)["match"] == "none"


@pytest.mark.parametrize("text, code", [("UGA", "UGA"), ("UG", "UGA"), ("Ouganda", "UGA"), ("Tanzanie", "TZA"),
                                        ("Moçambique", "MOZ"), ("Mocambique", "MOZ"), ("Sudáfrica", "ZAF"),
                                        ("Afrique du Sud", "ZAF"), ("Camarões", "CMR"), ("Etiopía", "ETH"),
                                        ("United Republic of Tanzania", "TZA"), ("uganda", "UGA")])
def test_countries_are_read_from_codes_and_names_in_four_languages(context, text, code):
    assert mapping.match(text, "iso3", context)["to"] == code


def test_a_header_names_the_breakdown_values_it_holds(definition):
    assert mapping.dimension_values("Nurses (F)", "training", definition) == {"cadre": "Nurse", "gender": "Female"}
    assert mapping.dimension_values("Midwives (M)", "training", definition) == {"cadre": "Midwife", "gender": "Male"}
    assert mapping.dimension_values("Femmes", "training", definition) == {"gender": "Female"}
    assert mapping.dimension_values("Community health workers, women", "training", definition) == \
        {"cadre": "Community health worker", "gender": "Female"}
    assert mapping.dimension_values("Notes", "training", definition) == {}
    gsp = programmes.load(ROOT / "data" / "programmes" / "gsp")
    band = next(v for v in gsp.values("age_band") if "-" in v)
    low, high = band.split("-")
    assert mapping.dimension_values(f"Age {low}–{high}", "training", gsp)["age_band"] == band
    women = gsp.role("gender", "women")  # a DHIS2 category option combo, in DHIS2's words
    assert mapping.dimension_values(f"Female, {low}–{high}", "training", gsp) == {"gender": women, "age_band": band}


# ---- the master sheet ---------------------------------------------------------------------------------------

@pytest.fixture
def master(fixture_dir, tmp_path) -> tuple[sf.MasterSheet, Path]:
    sheet = sf.master_sheet(fixture_dir)
    return sheet, sf.write_xlsx(sheet, tmp_path / "master.xlsx")


def test_the_proposal_reads_the_master_sheet_as_a_person_would(master, context):
    sheet, path = master
    proposal = mapping.propose(sheets.read(path), context)
    part = proposal.sheets[0]
    assert part.layout.header_rows == [3]
    assert [c.mapping.role for c in part.columns] == ["key", "key", "key", "attribute", "value", "value", "value",
                                                      "ignore"]
    assert [c.mapping.column for c in part.columns[:4]] == ["project_id", "iso3", "period", "theme"]
    assert {c.header: (c.mapping.dimensions["cadre"], c.mapping.dimensions["gender"]) for c in part.columns[4:7]} \
        == sf.WIDE_VALUES
    assert part.recipe.table == "training" and part.recipe.constants == {"training_type": "In-service"}
    notices = " ".join(part.layout.notices)
    assert "Row(s) 1 above the header are titles" in notices and "row 7" in notices and "Total row(s) 9" not in notices
    assert [part.sheet.numbers[i] for i in part.layout.totals] == [4 + len(sheet.rows) + 1]
    countries = part.recipe.values["iso3"]
    assert {countries[r[1]]["to"] for r in sheet.rows} == {p["iso3"] for p in sheet.projects}
    near = {text: to for _, column, text, to in proposal.recipe.proposed() if column == "theme"}
    assert near == {sf.misspell(p["theme"], True): p["theme"] for n, p in enumerate(sheet.projects) if n in (1, 2)}
    assert part.unmatched == []


def expected_rows(path: Path, header_row: int = 3) -> pd.DataFrame:
    """The sheet read independently with pandas: Total rows dropped, the wide columns melted, empty cells none."""
    frame = pd.read_excel(path, header=header_row - 1, dtype=str)
    frame = frame[frame["Projet"].notna() & (frame["Projet"] != "Total")]
    long = frame.melt(id_vars=["Projet", "Trimestre"], value_vars=list(sf.WIDE), var_name="column",
                      value_name="trainees").dropna(subset=["trainees"])
    long["trainees"] = long["trainees"].astype(int)
    long["cadre"] = long["column"].map(lambda c: sf.WIDE_VALUES[c][0])
    long["gender"] = long["column"].map(lambda c: sf.WIDE_VALUES[c][1])
    return long


def version_rows(root: Path, version: str, projects: list[str], period: dt.date) -> pd.DataFrame:
    table = store.open_store(root).version_path(version) / "training.parquet"
    return duckdb.execute("select project_id, cadre, gender, training_type, trainees from read_parquet($p) "
                          "where project_id = any($ids) and period = $d order by all",
                          {"p": str(table), "ids": projects, "d": period}).df()


def test_the_master_sheet_imports_through_its_recipe_with_the_totals_of_the_sheet(master, data_store, context):
    sheet, path = master
    proposal = mapping.propose(sheets.read(path), context)
    before = snapshot(data_store)
    preview = reshape.import_sheet(path, proposal.recipe, location=data_store, accept_proposed=True, dry_run=True)
    assert preview.report.ok and preview.version is None and snapshot(data_store) == before
    expected = expected_rows(path)
    assert len(preview.rows) == len(expected) and preview.rows["trainees"].astype(int).sum() == expected.trainees.sum()
    base = store.open_store(data_store).version_path("base") / "training.parquet"
    ids = [p["project_id"] for p in sheet.projects]
    old_total, old_scope = duckdb.execute(
        "select sum(trainees), sum(trainees) filter (where project_id = any($ids) and period = $d) "
        "from read_parquet($p)", {"p": str(base), "ids": ids, "d": sheet.quarter}).fetchone()
    totals = preview.totals.set_index("measure")
    assert totals.loc["trainees", "before"] == old_total
    assert totals.loc["trainees", "after"] == old_total - old_scope + expected.trainees.sum()
    assert preview.removals is not None and len(preview.removals) > 0  # the fixture's other rows of those quarters
    refused = reshape.import_sheet(path, proposal.recipe, location=data_store, accept_proposed=True)
    assert refused.needs_confirmation and refused.version is None and snapshot(data_store) == before
    done = reshape.import_sheet(path, proposal.recipe, location=data_store, accept_proposed=True,
                                confirm_removals=True, save_as="master")
    assert done.ok, done.report.to_text()
    assert store.open_store(data_store).active().version == done.version
    got = version_rows(data_store, done.version, ids, sheet.quarter)
    want = expected.assign(project_id=expected.Projet, training_type="In-service")
    want = want[["project_id", "cadre", "gender", "training_type", "trainees"]].sort_values(
        ["project_id", "cadre", "gender", "training_type", "trainees"]).reset_index(drop=True)
    assert got.astype(str).values.tolist() == want.astype(str).values.tolist()
    manifest = store.read_manifest(store.open_store(data_store).version_path(done.version))
    assert manifest["sources"][0]["recipe"] == "master" and manifest["replaced_tables"] == ["training"]
    saved = recipes.load(store.open_store(data_store), "master")
    assert recipes.parse(manifest["sources"][0]["recipe_json"]).to_dict() == saved.to_dict()


def test_the_recipe_round_trip_imports_next_quarters_sheet_in_one_step(master, data_store, context, fixture_dir,
                                                                      tmp_path):
    sheet, path = master
    proposal = mapping.propose(sheets.read(path), context)
    first = reshape.import_sheet(path, proposal.recipe, location=data_store, accept_proposed=True,
                                 confirm_removals=True, save_as="master")
    assert first.ok
    held = store.open_store(data_store)
    saved = recipes.load(held, "master")
    kept = json.loads((held.version_path(first.version) / "recipes.json").read_text())
    assert kept["format"] == "impact-recipes/1" and saved.to_dict() == kept["recipes"]["master"]
    assert saved.proposed() == []  # the near matches it was imported with are confirmed in it
    assert recipes.names(held) == ["master"]
    following = calendar.next_quarter(sheet.quarter)
    second = sf.master_sheet(fixture_dir, following, sheet.projects, seed=7)
    path2 = sf.write_xlsx(second, tmp_path / "master-next.xlsx")
    done = reshape.import_sheet(path2, "master", location=data_store, confirm_removals=True)
    assert done.ok, done.report.to_text()
    expected = expected_rows(path2)
    ids = [p["project_id"] for p in sheet.projects]
    assert version_rows(data_store, done.version, ids, following).trainees.sum() == expected.trainees.sum()
    assert version_rows(data_store, done.version, ids, sheet.quarter).trainees.sum() == \
        expected_rows(path).trainees.sum()  # the first quarter's rows are kept


def test_a_recipe_saved_on_an_s3_store_travels_in_its_version_to_every_server(s3_env, master, context,  # noqa: F811
                                                                              fixture_dir, tmp_path, monkeypatch):
    from impact.storage import remote
    from tests.s3_helpers import as_server, programme_on_s3

    url, pid = programme_on_s3(s3_env, fixture_dir)
    recipe = mapping.propose(sheets.read(master[1]), context).recipe
    done = reshape.import_sheet(master[1], recipe, location=url, programme=pid, accept_proposed=True,
                                confirm_removals=True, save_as="master")
    assert done.ok, done.report.to_text()
    kept = json.loads(remote.read_text(store.open_store(url, pid).remote, f"versions/{done.version}/recipes.json"))
    assert list(kept["recipes"]) == ["master"]  # an object of the store, in the version the import made
    as_server(monkeypatch, tmp_path / "cache-b")  # another server lists it and loads it
    other = store.open_store(url, pid)
    assert recipes.names(other) == ["master"]
    assert recipes.load(other, "master").to_dict() == kept["recipes"]["master"]
    with pytest.raises(ValueError, match="no recipe called 'other'.*its recipes: master"):
        recipes.load(other, "other")


def test_a_workbook_of_two_sheets_with_a_merged_heading_imports_as_one_version(fixture_dir, data_store, context,
                                                                                tmp_path):
    """A heading merged over sub-headings ("Nurses" over F and M) and a second sheet for another table, without
    countries (each project's own): both tables change in one version, by the sheets' totals."""
    sheet = sf.master_sheet(fixture_dir)
    book = openpyxl.Workbook()
    training = book.active
    training.title = "Training"
    training.append(["Project", "Country", "Quarter", "Nurses", "", "Midwives"])
    training.merge_cells("D1:E1")
    training.append(["", "", "", "F", "M", "F"])
    for row in sheet.rows:
        training.append([row[0], row[1], row[2], row[4], row[5], row[6]])
    volunteers = book.create_sheet("Volunteers")
    volunteers.append(["Projet", "Trimestre", "Lieu", "Profession", "Bénévoles", "Jours de bénévolat"])
    for n, row in enumerate(sheet.rows):
        volunteers.append([row[0], row[2], "Overseas", "Nurse", n + 1, 10 * (n + 1)])
    path = tmp_path / "two.xlsx"
    book.save(path)
    proposal = mapping.propose(sheets.read(path), context)
    first, second = proposal.sheets
    assert first.layout.header_rows == [1, 2] and first.layout.headers[3:] == ["Nurses F", "Nurses M", "Midwives F"]
    assert (first.recipe.table, second.recipe.table) == ("training", "volunteering")
    assert [c.mapping.column for c in second.columns] == ["project_id", "period", "location", "profession",
                                                         "volunteers", "volunteer_days"]
    result = reshape.import_sheet(path, proposal.recipe, location=data_store, confirm_removals=True)
    assert result.ok, result.report.to_text()
    manifest = store.read_manifest(store.open_store(data_store).version_path(result.version))
    assert sorted(manifest["replaced_tables"]) == ["training", "volunteering"]
    frames = pd.read_excel(path, sheet_name=None, dtype=str)
    days = frames["Volunteers"]["Jours de bénévolat"].astype(int).sum()
    ids = [p["project_id"] for p in sheet.projects]
    folder = store.open_store(data_store).version_path(result.version)
    got_days, countries = duckdb.execute(
        "select sum(volunteer_days), list(distinct iso3 order by iso3) from read_parquet($p) "
        "where project_id = any($ids) and period = $d",
        {"p": str(folder / "volunteering.parquet"), "ids": ids, "d": sheet.quarter}).fetchone()
    assert got_days == days and countries == sorted({p["iso3"] for p in sheet.projects})
    wide = frames["Training"].iloc[1:, 3:].apply(pd.to_numeric).sum().sum()  # below the sub-heading row
    assert version_rows(data_store, result.version, ids, sheet.quarter).trainees.sum() == wide


def test_hxl_hashtags_under_the_headers_propose_the_mapping_and_are_not_data(fixture_dir, data_store, context,
                                                                             tmp_path):
    sheet = sf.master_sheet(fixture_dir)
    path = tmp_path / "hxl.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Code", "Lieu", "Quand", "Domaine", "Reached (a)", "Reached (b)"])
        writer.writerow(["#activity+code", "#country+name", "#date+reported", "#sector", "#reached +f", "#reached +m"])
        writer.writerows([r[0], r[1], r[2], r[3], r[4], r[5]] for r in sheet.rows)
    proposal = mapping.propose(sheets.read(path), context)
    part = proposal.sheets[0]
    assert part.layout.hashtags[4] == "#reached+f" and "Row 2 holds HXL hashtags" in part.layout.notices[0]
    assert [c.mapping.column for c in part.columns[:4]] == ["project_id", "iso3", "period", "theme"]
    women = context.programme.role("gender", "women")
    assert part.columns[4].mapping.role == "value" and part.columns[4].mapping.dimensions == {"gender": women}
    assert part.columns[5].mapping.dimensions["gender"] != women
    result = reshape.import_sheet(path, proposal.recipe, location=data_store, accept_proposed=True, dry_run=True)
    assert result.report.ok, result.report.to_text()
    frame = pd.read_csv(path, skiprows=[1])
    assert result.rows["trainees"].astype(int).sum() == frame["Reached (a)"].sum() + frame["Reached (b)"].sum()
    assert set(result.rows["sheet row"]) == {3, 4, 5}  # the hashtag row is not data


# ---- DHIS2 data value sets ----------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_a_dhis2_value_set_with_monthly_periods_imports_by_quarter(fmt, fixture_dir, data_store, context, tmp_path):
    quarter, projects = sf.pick(fixture_dir)
    values = sf.dhis2_values(quarter, projects)
    writer = sf.write_dhis2_json if fmt == "json" else sf.write_dhis2_csv
    path = writer(values, tmp_path / f"values.{fmt}")
    proposal = mapping.propose(sheets.read(path), context)
    part = proposal.sheets[0].recipe
    assert part.table == "training" and [c.role for c in part.columns[:6]] == \
        ["element", "key", "key", "combo", "default", "amount"]  # attributeOptionCombo: DHIS2's default only
    assert part.values["(element)"][sf.DHIS2_ELEMENT]["to"] == "trainees"
    assert part.values["(combo)"]["Nurse, Female"]["to"] == "cadre=Nurse, gender=Female"
    assert {e["to"] for e in part.values["project_id"].values()} == {p["project_id"] for p in projects}
    result = reshape.import_sheet(path, proposal.recipe, location=data_store, confirm_removals=True)
    assert result.ok, result.report.to_text()
    assert any("9 value(s) of months" in n or "value(s) of months added up" in n for n in result.notices)
    frame = pd.DataFrame(values).astype({"value": int})
    frame["project_id"] = frame["orgUnit"].map({p["title"]: p["project_id"] for p in projects})
    frame["cadre"] = frame["categoryOptionCombo"].map(lambda c: sf.DHIS2_COMBOS[c][0])
    frame["gender"] = frame["categoryOptionCombo"].map(lambda c: sf.DHIS2_COMBOS[c][1])
    want = frame.groupby(["project_id", "cadre", "gender"])["value"].sum().sort_index()
    got = version_rows(data_store, result.version, [p["project_id"] for p in projects], quarter) \
        .set_index(["project_id", "cadre", "gender"])["trainees"].sort_index()
    assert got.to_dict() == want.to_dict()


def test_a_dhis2_element_matching_nothing_is_listed_with_its_rows(fixture_dir, context, tmp_path):
    quarter, projects = sf.pick(fixture_dir)
    values = sf.dhis2_values(quarter, projects)
    for value in values[:4]:
        value["dataElement"] = "Bednets distributed"
    part = mapping.propose(sheets.read(sf.write_dhis2_json(values, tmp_path / "v.json")), context).sheets[0]
    assert part.unmatched == [{"column": "dataElement", "target": "(element)", "text": "Bednets distributed",
                               "count": 4, "rows": [2, 3, 4, 5]}]


def test_dhis2_refusals_name_the_row_and_column(fixture_dir, data_store, context, tmp_path):
    quarter, projects = sf.pick(fixture_dir)
    values = sf.dhis2_values(quarter, projects)
    chosen = mapping.propose(sheets.read(sf.write_dhis2_csv(values, tmp_path / "good.csv")), context).recipe
    values[0]["period"] = str(quarter.year)  # a whole year
    values[1]["orgUnit"] = "Hôpital inconnu"
    values.append(dict(values[5]))  # the same month, combo and org unit again
    problems = refused(sf.write_dhis2_csv(values, tmp_path / "bad.csv"), chosen, data_store)
    found = {(p.rule, p.row, p.column) for p in problems}
    assert ("not-a-quarter", 2, "period") in found
    assert ("no-match", 3, "orgUnit") in found
    assert ("counted-twice", len(values) + 1, "value") in found


# ---- KoboToolbox / ODK ----------------------------------------------------------------------------------------

def test_a_kobo_export_adds_up_its_submissions_and_refuses_one_twice(fixture_dir, data_store, context, tmp_path):
    quarter, projects = sf.pick(fixture_dir)
    rows = sf.kobo_rows(quarter, projects)
    path = sf.write_kobo_csv(rows, tmp_path / "kobo.csv")
    proposal = mapping.propose(sheets.read(path), context)
    roles = {c.header: (c.mapping.role, c.mapping.column, c.mapping.dimensions) for c in proposal.sheets[0].columns}
    assert roles["group_session/project"][:2] == ("key", "project_id")
    assert roles["group_session/country"][:2] == ("key", "iso3")  # Spanish country names
    assert roles["group_session/session_date"][:2] == ("key", "period")
    assert roles["_uuid"][0] == "submission" and roles["topics/ipc"][0] == "ignore"
    assert {h: (r[2]["cadre"], r[2]["gender"]) for h, r in roles.items() if r[0] == "value"} == sf.KOBO_WIDE
    result = reshape.import_sheet(path, proposal.recipe, location=data_store, confirm_removals=True)
    assert result.ok, result.report.to_text()
    frame = pd.read_csv(path, sep=";")
    long = frame.melt(id_vars=["group_session/project"], value_vars=list(sf.KOBO_WIDE), value_name="n")
    long["cadre"] = long["variable"].map(lambda v: sf.KOBO_WIDE[v][0])
    long["gender"] = long["variable"].map(lambda v: sf.KOBO_WIDE[v][1])
    want = long.groupby(["group_session/project", "cadre", "gender"])["n"].sum().sort_index()
    got = version_rows(data_store, result.version, [p["project_id"] for p in projects], quarter) \
        .set_index(["project_id", "cadre", "gender"])["trainees"].sort_index()
    assert got.to_dict() == want.to_dict()
    again = sf.write_kobo_csv(rows + [rows[0]], tmp_path / "kobo-twice.csv")  # one submission exported twice
    problems = refused(again, proposal.recipe, data_store)
    assert {(p.rule, p.column) for p in problems} == {("counted-twice", "_uuid")}
    assert problems[0].row == len(rows) + 2


# ---- refusals -----------------------------------------------------------------------------------------------

def refused(path: Path, chosen, store_dir: Path, **options) -> list:
    before = snapshot(store_dir)
    result = reshape.import_sheet(path, chosen, location=store_dir, confirm_removals=True, **options)
    assert not result.ok and not result.report.ok
    assert snapshot(store_dir) == before
    return result.report.problems


def test_a_near_match_not_confirmed_is_refused_with_its_rows(master, data_store, context):
    sheet, path = master
    problems = refused(path, mapping.propose(sheets.read(path), context).recipe, data_store)
    assert {p.rule for p in problems} == {"proposed-match"}
    first = problems[0]
    assert (first.file, first.column, first.row) == ("master.xlsx, sheet Master", "Thème", 5)


def test_a_sheet_whose_columns_changed_is_refused_with_what_changed(master, data_store, context, fixture_dir,
                                                                   tmp_path):
    sheet, path = master
    chosen = mapping.propose(sheets.read(path), context).recipe
    header = tuple("Infirmières (F)" if h == "Nurses (F)" else h for h in sf.HEADER)
    other = sf.write_xlsx(sheet, tmp_path / "renamed.xlsx", header=header)
    [problem] = refused(other, chosen, data_store, accept_proposed=True)
    assert problem.rule == "columns-changed" and problem.row == 3 and problem.file == "renamed.xlsx, sheet Master"
    assert "added: 'Infirmières (F)'" in problem.message and "missing: 'Nurses (F)'" in problem.message


def test_two_columns_for_the_same_breakdown_values_are_refused(master, data_store, context):
    sheet, path = master
    chosen = mapping.propose(sheets.read(path), context).recipe
    wide = [c for c in chosen.sheets[0].columns if c.role == "value"]
    wide[1].dimensions = dict(wide[0].dimensions)  # Nurses (M) mapped to nurses, female too
    problems = refused(path, chosen, data_store, accept_proposed=True)
    assert [(p.rule, p.column, p.row) for p in problems] == [("counted-twice", "Nurses (M)", 3)]
    assert "'Nurses (M)' and 'Nurses (F)'" in problems[0].message


def test_a_row_with_numbers_but_no_project_is_refused_not_dropped(fixture_dir, data_store, context, tmp_path):
    sheet = sf.master_sheet(fixture_dir)
    sheet.rows.append(["", "", "", "", 5, 6, 7, ""])  # not the sums of the rows above: not a total row
    path = sf.write_csv(sheet, tmp_path / "master.csv")
    chosen = mapping.propose(sheets.read(path), context).recipe
    problems = refused(path, chosen, data_store, accept_proposed=True)
    assert [(p.rule, p.file, p.row, p.column) for p in problems] == [("missing-key", "master.csv", 5, "Projet")]


def test_a_total_row_by_its_sums_is_left_out_with_a_notice(fixture_dir, data_store, context, tmp_path):
    sheet = sf.master_sheet(fixture_dir)
    sums = [sum(int(r[4 + k] or 0) for r in sheet.rows) for k in range(3)]
    sheet.rows.append(["", "", "", "", *sums, ""])
    path = sf.write_csv(sheet, tmp_path / "master.csv")
    result = reshape.import_sheet(path, mapping.propose(sheets.read(path), context).recipe, location=data_store,
                                  accept_proposed=True, dry_run=True)
    assert result.report.ok
    assert any("Row 5 holds the sums of rows 2–4" in n for n in result.notices)
    assert result.rows["trainees"].astype(int).sum() == sum(sums)


def test_a_row_is_a_total_by_its_first_cell_not_by_a_note(fixture_dir, data_store, context, tmp_path):
    sheet = sf.master_sheet(fixture_dir)
    sheet.rows[0][-1] = "total des deux sessions"  # a note in the Notes column: the row is data
    path = sf.write_xlsx(sheet, tmp_path / "master.xlsx")
    proposal = mapping.propose(sheets.read(path), context)
    part = proposal.sheets[0]
    assert [part.sheet.numbers[i] for i in part.layout.data] == [4, 5, 6]
    assert [part.sheet.numbers[i] for i in part.layout.totals] == [8]


def test_a_value_matching_nothing_and_a_bad_number_are_refused_with_their_rows(fixture_dir, data_store, context,
                                                                              tmp_path):
    sheet = sf.master_sheet(fixture_dir)
    good = sf.write_csv(sheet, tmp_path / "good.csv")
    chosen = mapping.propose(sheets.read(good), context).recipe
    sheet.rows[1][1] = "Atlantide"
    sheet.rows[2][5] = "douze"
    bad = sf.write_csv(sheet, tmp_path / "bad.csv")
    problems = refused(bad, chosen, data_store, accept_proposed=True)
    found = {(p.rule, p.row, p.column, p.value) for p in problems}
    assert ("no-match", 3, "Pays", "Atlantide") in found
    assert ("not-a-number", 4, "Nurses (M)", "douze") in found


def test_ambiguous_dates_are_asked_about_then_read_as_answered(fixture_dir, data_store, context, tmp_path):
    quarter, projects = sf.pick(fixture_dir)
    sheet = sf.master_sheet(fixture_dir, quarter, projects)
    for row in sheet.rows:
        row[2] = f"{2:02d}/{quarter.month:02d}/{quarter.year}"
    path = sf.write_csv(sheet, tmp_path / "dated.csv")
    proposal = mapping.propose(sheets.read(path), context)
    assert proposal.sheets[0].questions and "day first or month first" in proposal.sheets[0].questions[0]
    problems = refused(path, proposal.recipe, data_store, accept_proposed=True)
    assert {p.rule for p in problems} == {"ambiguous-date"} and problems[0].column == "Trimestre"
    proposal.recipe.sheets[0].day_first = True
    result = reshape.import_sheet(path, proposal.recipe, location=data_store, accept_proposed=True, dry_run=True)
    assert result.report.ok and set(result.rows["period"]) == {quarter.isoformat()}


def test_a_macro_workbook_an_external_link_and_a_zip_bomb_are_refused(tmp_path, master):
    sheet, path = master
    xlsm = tmp_path / "master.xlsm"
    xlsm.write_bytes(path.read_bytes())
    linked = tmp_path / "linked.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(linked, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        dst.writestr("xl/externalLinks/externalLink1.xml", "<externalLink/>")
    macro = tmp_path / "macro.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(macro, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        dst.writestr("xl/vbaProject.bin", b"\x00" * 10)
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as dst:
        dst.writestr("xl/worksheets/sheet1.xml", b"\x00" * (300 * 1024 * 1024 // 100))
    for bad, rule in ((xlsm, "unknown-file"), (linked, "unsafe-file"), (macro, "unsafe-file"), (bomb, "too-large")):
        report = sheets.Report()
        assert sheets.read(bad, bad.name, report) == []
        assert [p.rule for p in report.problems] == [rule] and report.problems[0].file == bad.name


def test_merged_ranges_are_read_from_the_xml_whatever_the_chunks(tmp_path, monkeypatch):
    path = tmp_path / "merged.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    for n in range(1, 60):
        sheet.merge_cells(start_row=n, start_column=1, end_row=n, end_column=1 + n % 4 + 1)
    book.save(path)
    want = sorted((r.min_row, r.min_col, r.max_row, r.max_col)
                  for r in openpyxl.load_workbook(path).active.merged_cells.ranges)
    for size in (1 << 20, 64, 7):
        monkeypatch.setattr(sheets, "SCAN_BYTES", size)
        assert sorted(sheets.merged_ranges(path)["Sheet"]) == want


def test_formulas_are_read_as_their_saved_values_never_evaluated(tmp_path):
    written = tmp_path / "written.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["Projet", "Nurses (F)", "Nurses (M)"])
    book.active.append(["HPS-001", "=1+1", "=SUM(B2:B2)"])
    book.save(written)
    saved = tmp_path / "saved.xlsx"  # as Excel saves it: each formula with the value it computed (here 7, not 2)
    with zipfile.ZipFile(written) as src, zipfile.ZipFile(saved, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.startswith("xl/worksheets/"):
                data = data.replace(b"<f>1+1</f><v></v>", b"<f>1+1</f><v>7</v>").replace(b"<f>1+1</f><v />",
                                                                                         b"<f>1+1</f><v>7</v>")
                data = data.replace(b"<f>1+1</f></c>", b"<f>1+1</f><v>7</v></c>")
            dst.writestr(item, data)
    [found] = sheets.read(saved)
    assert found.cells[1] == ["HPS-001", "7", ""]  # the saved value; a formula saved without one reads empty



def _openpyxl_cells(path: Path) -> dict[str, list[list[str]]]:
    """Each visible worksheet's cells as openpyxl reads them (the values Excel saved), as text: the reference."""
    from impact.ingest import readers

    book = openpyxl.load_workbook(path, data_only=True)
    return {ws.title: [[readers.cell_text(v).strip() for v in row] for row in ws.iter_rows(values_only=True)]
            for ws in book.worksheets if ws.sheet_state == "visible"}


def test_a_workbook_reads_cell_for_cell_as_openpyxl_reads_it_errors_and_all(tmp_path, monkeypatch):
    """Values of every kind (dates, times, decimals, booleans, text with spaces, a formula saved with an error or
    with no value), rows below a gap, a hidden sheet: the fast reader gives what openpyxl gives, row numbers too,
    and an error cell (#DIV/0!, which the fast reader alone reads as empty) is reported, not dropped."""
    written = tmp_path / "written.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Données"
    sheet["B2"] = "Rapport trimestriel"
    sheet.append(["Projet", "Trimestre", "Nurses (F)", "Nurses (M)", "Ratio", "Checked", "Updated"])
    sheet.append(["HPS-001", dt.date(2018, 7, 1), 12, "=1/0", 0.25, True, dt.datetime(2018, 7, 2, 9, 30)])
    sheet.append(["  HPS-002 ", "Q3 2018", 3.0, "#N/A", 1234567.5, False, dt.time(10, 30)])
    sheet["A9"] = "HPS-003"
    sheet["D9"] = "=SUM(" + "+".join(["1"] * 3000) + ")"  # a long formula: its error is found across chunks
    hidden = book.create_sheet("Hidden")
    hidden["A1"] = "not read"
    hidden.sheet_state = "hidden"
    book.save(written)
    path = tmp_path / "saved.xlsx"  # as Excel saves them: the formulas with their errors (t="e")
    with zipfile.ZipFile(written) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<c r="D4"><f>1/0</f><v></v></c>', b'<c r="D4" t="e"><f>1/0</f><v>#DIV/0!</v></c>')
                data = data.replace(b'<c r="D4"><f>1/0</f><v/></c>', b'<c r="D4" t="e"><f>1/0</f><v>#DIV/0!</v></c>')
                head, _, rest = data.partition(b'<c r="D9"><f>')
                formula, _, tail = rest.partition(b"</f>")
                data = head + b'<c r="D9" t="e"><f>' + formula + b"</f><v>#VALUE!</v></c>" + tail.partition(b"</c>")[2]
            dst.writestr(item, data)
    want = _openpyxl_cells(path)
    assert want["Données"][3][3] == "#DIV/0!" and want["Données"][8][3] == "#VALUE!"  # the file is as meant
    for size, dense in ((1 << 20, sheets.DENSE_CELLS), (4096, sheets.DENSE_CELLS), (64, sheets.DENSE_CELLS),
                        (4096, 10)):  # the last: the sheet streamed by openpyxl, as a too large one is
        monkeypatch.setattr(sheets, "SCAN_BYTES", size)
        monkeypatch.setattr(sheets, "DENSE_CELLS", dense)
        found = sheets.read(path)
        assert [s.name for s in found] == ["Données"]
        assert found[0].cells == want["Données"] and found[0].numbers == list(range(1, 10))
    report = sheets.Report()
    assert sheets.read(path, "saved.xlsx", report) and report.ok
    monkeypatch.setattr(sheets, "sheet_marks", lambda path: {})  # a sheet the scan does not find: streamed
    [found] = sheets.read(path)
    width = sheets.SHEET_COLUMNS
    assert found.cells == [row + [""] * (width - len(row)) for row in want["Données"]]


def test_a_stray_cell_far_to_the_right_is_streamed_not_read_as_a_huge_block(tmp_path, monkeypatch):
    """A note in column ZZ widens the used range past what is read at once: the sheet is streamed by openpyxl
    (its first SHEET_COLUMNS columns), never handed to calamine as rows x 702 cells."""
    path = tmp_path / "stray.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["Projet", "Nurses (F)"])
    book.active.append(["HPS-001", 4])
    book.active["ZZ5"] = "note"
    book.active["AB7"] = "kept"
    book.save(path)
    assert sheets.sheet_marks(path)["Sheet"][2] == (7, 702)  # the last row and column a cell names
    import python_calamine

    monkeypatch.setattr(python_calamine.CalamineSheet, "to_python", None, raising=False)  # never called
    [found] = sheets.read(path)
    want = [row[:sheets.SHEET_COLUMNS] for row in _openpyxl_cells(path)["Sheet"]]
    assert found.cells == want and found.cells[6][27] == "kept" and found.numbers == list(range(1, 8))


def test_a_workbook_whose_xml_declares_entities_is_refused(tmp_path, master):
    sheet, path = master
    bad = tmp_path / "laughs.xlsx"
    lol = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;">]>'
           '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
           '<si><t>&lol1;</t></si></sst>')
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, lol.encode() if item.filename == "xl/sharedStrings.xml" else src.read(item))
        if "xl/sharedStrings.xml" not in src.namelist():
            dst.writestr("xl/sharedStrings.xml", lol)
    report = sheets.Report()
    assert sheets.read(bad, bad.name, report) == []
    assert [(p.rule, p.file, p.value) for p in report.problems] == [("unsafe-file", bad.name, "xl/sharedStrings.xml")]


# ---- the command line ---------------------------------------------------------------------------------------

def test_the_command_line_proposes_previews_and_imports_in_its_exact_forms(master, data_store, tmp_path, capsys,
                                                                          fixture_dir):
    sheet, path = master
    out = tmp_path / "recipe.json"
    assert cli.main(["mapping", "propose", str(path), "--data-dir", str(data_store), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "to confirm: theme" in text and "Total row(s)" in text
    assert recipes.read_file(out).proposed()
    before = snapshot(data_store)
    assert cli.main(["import", str(path), "--recipe", str(out), "--data-dir", str(data_store), "--dry-run"]) == 1
    assert "proposed-match" in capsys.readouterr().out
    assert cli.main(["import", str(path), "--recipe", str(out), "--data-dir", str(data_store), "--programme",
                     "hps", "--accept-proposed", "--dry-run", "--save-recipe", "master"]) == 0
    assert "Preview only: nothing was written." in capsys.readouterr().out and snapshot(data_store) == before
    assert cli.main(["import", str(path), "--recipe", str(out), "--data-dir", str(data_store), "--accept-proposed",
                     "--save-recipe", "master", "--confirm-removals"]) == 0
    assert "recipe saved as master" in capsys.readouterr().out
    following = sf.master_sheet(fixture_dir, calendar.next_quarter(sheet.quarter), sheet.projects, seed=3)
    path2 = sf.write_xlsx(following, tmp_path / "next.xlsx")
    assert cli.main(["import", str(path2), "--recipe", "master", "--data-dir", str(data_store),
                     "--confirm-removals"]) == 0
    assert "Imported as version" in capsys.readouterr().out
    assert cli.main(["import", str(path2), "--recipe", "nosuch", "--data-dir", str(data_store)]) == cli.INPUT_ERROR
    assert "no recipe called 'nosuch'" in capsys.readouterr().err
    assert cli.main(["import", str(path2), "--dry-run", "--data-dir", str(data_store)]) == cli.INPUT_ERROR
    assert "--dry-run go with --recipe" in capsys.readouterr().err
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"format": "impact-recipe/1", "sheets": [{"columns": [{"header": "A",
                                                                                      "role": "guess"}]}]}))
    assert cli.main(["import", str(path2), "--recipe", str(broken), "--data-dir", str(data_store)]) == cli.INPUT_ERROR
    assert "sheets[0].columns[0].role: 'guess' is not one of" in capsys.readouterr().err


# ---- the Data page ------------------------------------------------------------------------------------------

PASSWORD = "sheets in their own shape"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_an_administrator_imports_a_spreadsheet_then_next_quarter_with_its_recipe(data_store, fixture_dir,
                                                                                 tmp_path, monkeypatch):
    import streamlit as st

    from tests.conftest import data_page_as_admin

    sheet = sf.master_sheet(fixture_dir)
    path = sf.write_xlsx(sheet, tmp_path / "master.xlsx")
    at = data_page_as_admin(data_store, monkeypatch, PASSWORD)
    at.file_uploader(key="sheet_upload").set_value(("master.xlsx", path.read_bytes(), XLSX))
    at.run()
    assert not at.exception
    captions = " ".join(c.value.replace("\\", "") for c in at.caption)
    assert "Total row(s) 8 left out" in captions and "training_type = In-service" in captions
    at.button(key="mapping_preview").click()
    at.run()
    assert any("problem(s)" in e.value.replace("\\", "") for e in at.error)  # the near matches: not confirmed yet
    assert store.open_store(data_store).active().version == "base"
    at.checkbox(key="mapping_near_0").check()
    at.checkbox(key="mapping_near_1").check()
    at.text_input(key="mapping_recipe_name").input("master")
    at.run()
    at.button(key="mapping_preview").click()
    at.run()
    assert not at.exception and not at.error
    assert any("would be removed" in m.value.replace("\\", "") for m in at.markdown)
    assert at.button(key="mapping_import").disabled  # removing rows needs the tick
    at.checkbox(key="mapping_confirm").check()
    at.run()
    at.button(key="mapping_import").click()
    at.run()
    assert not at.exception
    first = store.open_store(data_store).active().version
    assert first != "base" and recipes.names(store.open_store(data_store)) == ["master"]
    assert any("Imported as version" in s.value.replace("\\", "") for s in at.success)
    expected = expected_rows(path)
    ids = [p["project_id"] for p in sheet.projects]
    assert version_rows(data_store, first, ids, sheet.quarter).trainees.sum() == expected.trainees.sum()
    following = sf.master_sheet(fixture_dir, calendar.next_quarter(sheet.quarter), sheet.projects, seed=11)
    path2 = sf.write_xlsx(following, tmp_path / "next.xlsx")
    at.file_uploader(key="recipe_upload").set_value(("next.xlsx", path2.read_bytes(), XLSX))
    at.checkbox(key="recipe_confirm").check()
    at.run()
    at.button(key="recipe_import").click()
    at.run()
    assert not at.exception
    second = store.open_store(data_store).active().version
    assert second != first
    assert version_rows(data_store, second, ids, following.quarter).trainees.sum() == expected_rows(path2).trainees.sum()
    st.cache_data.clear()
    st.cache_resource.clear()


def test_a_value_matching_nothing_is_mapped_by_hand_on_the_data_page(data_store, fixture_dir, tmp_path, monkeypatch):
    import streamlit as st

    from tests.conftest import data_page_as_admin

    sheet = sf.master_sheet(fixture_dir, near=())
    sheet.rows[0][3] = "Astronomie"  # a theme the programme does not have
    path = sf.write_csv(sheet, tmp_path / "master.csv")
    at = data_page_as_admin(data_store, monkeypatch, PASSWORD)
    at.file_uploader(key="sheet_upload").set_value(("master.csv", path.read_bytes(), "text/csv"))
    at.run()
    assert not at.exception
    [choice] = [s for s in at.selectbox if (s.key or "").startswith("mapping_by_hand_")]
    assert "Astronomie" in choice.label
    theme = sheet.projects[0]["theme"]
    choice.select(theme)
    at.run()
    at.button(key="mapping_preview").click()
    at.run()
    assert not at.exception and not at.error
    assert any("row(s)** from the sheet" in m.value.replace("\\", "") for m in at.markdown)
    st.cache_data.clear()
    st.cache_resource.clear()


