"""DHIS2 data value sets in their details (issue 26): periods other than months — weeks placed in the quarter of
their Thursday as DHIS2 places them, two weeks and two months inside one quarter — rolled up to quarters, a period
across quarters (six months, a financial year, two months across a quarter's end) refused with its row and column
unless the recipe places it, a week and a month of the same values refused as counted twice; the attribute option
combo must be DHIS2's default unless the recipe maps it to a project or to breakdown values. Each value set is
built by code as DHIS2 writes it and its import checked against totals computed with pandas from the file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from impact.ingest import mapping, reshape, sheets
from impact.model import calendar
from impact.storage import store
from tests import sheet_fixtures as sf
from tests.data_helpers import refused_sheet as refused


@pytest.fixture
def context(fixture_dir, definition) -> mapping.Context:
    return reshape.context_of(fixture_dir, definition)


def rows_of(root: Path, version: str, projects: list[str], period: dt.date) -> pd.DataFrame:
    """The training rows of `projects` in one quarter of a version (plain DuckDB over its Parquet file)."""
    table = store.open_store(root).version_path(version) / "training.parquet"
    return duckdb.execute("select project_id, iso3, cadre, gender, trainees from read_parquet($p) "
                          "where project_id = any($ids) and period = $d order by all",
                          {"p": str(table), "ids": projects, "d": period}).df()


def by_breakdown(frame: pd.DataFrame) -> dict:
    return frame.set_index(["project_id", "cadre", "gender"])["trainees"].sort_index().to_dict()


# ---- periods ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, quarter", [
    ("2018W27", "2018Q3"), ("2018W13", "2018Q1"),  # 26 March - 1 April 2018: its Thursday is 29 March
    ("2020W53", "2020Q4"), ("2019W1", "2019Q1"),  # 31 December 2018 - 6 January 2019: Thursday 3 January
    ("2016W39", "2016Q3"), ("2018BiW3", "2018Q1"), ("201801B", "2018Q1"), ("201803B", "2018Q2"),
    ("201804B", "2018Q3"), ("201806B", "2018Q4"), ("201807", "2018Q3")])
def test_dhis2_periods_inside_a_quarter_read_as_it(text, quarter):
    assert calendar.quarter_label(calendar.parse_period(text)) == quarter


@pytest.mark.parametrize("text, first, last, quarters", [
    ("2018S1", "2018-01-01", "2018-06-30", "2018Q1, 2018Q2"), ("2018AprilS2", "2018-10-01", "2019-03-31", "2018Q4"),
    ("2018NovS1", "2017-11-01", "2018-04-30", "2017Q4, 2018Q1, 2018Q2"),
    ("2018July", "2018-07-01", "2019-06-30", "2018Q3"), ("2018Oct", "2018-10-01", "2019-09-30", "2018Q4"),
    ("201802B", "2018-03-01", "2018-04-30", "2018Q1, 2018Q2"), ("2018BiW7", "2018-03-26", "2018-04-08", "2018Q1"),
    ("2018", "2018-01-01", "2018-12-31", "2018Q1, 2018Q2, 2018Q3, 2018Q4")])
def test_a_dhis2_period_across_quarters_cannot_be_placed_in_one(text, first, last, quarters):
    assert calendar.dhis2_span(text) == (dt.date.fromisoformat(first), dt.date.fromisoformat(last))
    with pytest.raises(calendar.NotAQuarter, match=quarters):
        calendar.parse_period(text)


def test_a_week_is_placed_by_its_thursday_as_pandas_reads_iso_weeks():
    weeks = [f"{year}W{week}" for year in (2015, 2016, 2020) for week in range(1, 54)
             if dt.date(year, 12, 28).isocalendar()[1] >= week]
    thursdays = pd.to_datetime([w.replace("W", "-") + "-4" for w in weeks], format="%G-%V-%u")
    expected = [f"{p.year}Q{p.quarter}" for p in thursdays.to_period("Q")]
    assert [calendar.quarter_label(calendar.parse_period(w)) for w in weeks] == expected
    assert calendar.parse_period("2015W54") is None and calendar.parse_period("2018BiW27") is None


def expected_weekly(values: list[dict], to_project: dict[str, str]) -> pd.DataFrame:
    """A weekly value set summed by quarter with pandas: each week in the quarter of its ISO Thursday."""
    frame = pd.DataFrame(values).astype({"value": int})
    thursday = pd.to_datetime(frame["period"].str.replace("W", "-") + "-4", format="%G-%V-%u")
    frame["quarter"] = thursday.dt.to_period("Q").dt.start_time.dt.date
    frame["project_id"] = frame["orgUnit"].map(to_project)
    frame["cadre"] = frame["categoryOptionCombo"].map(lambda c: sf.DHIS2_COMBOS[c][0])
    frame["gender"] = frame["categoryOptionCombo"].map(lambda c: sf.DHIS2_COMBOS[c][1])
    return frame.groupby(["quarter", "project_id", "cadre", "gender"], as_index=False)["value"].sum() \
        .rename(columns={"value": "trainees"})


def test_a_weekly_value_set_rolls_up_into_quarters_by_the_thursday_of_each_week(fixture_dir, data_store, context,
                                                                                tmp_path):
    quarter, projects = sf.pick(fixture_dir)
    values = sf.dhis2_weekly_values(quarter, projects)
    assert values[0]["period"] in {w for w in sf.iso_weeks(quarter)}
    path = sf.write_dhis2_json(values, tmp_path / "weekly.json")
    proposal = mapping.propose(sheets.read(path), context)
    result = reshape.import_sheet(path, proposal.recipe, location=data_store, confirm_removals=True)
    assert result.ok, result.report.to_text()
    want = expected_weekly(values, {p["title"]: p["project_id"] for p in projects})
    ids = [p["project_id"] for p in projects]
    quarters = sorted(set(want["quarter"]))
    assert quarter in quarters and len(quarters) <= 2  # the first week may belong to the quarter before
    for each in quarters:
        got = rows_of(data_store, result.version, ids, each)
        assert by_breakdown(got) == by_breakdown(want[want["quarter"] == each])
    assert got["iso3"].tolist() == [context.project_countries[p] for p in got["project_id"]]


def test_a_period_across_quarters_is_refused_with_its_row_unless_the_recipe_places_it(fixture_dir, data_store,
                                                                                     context, tmp_path):
    quarter, projects = sf.pick(fixture_dir)
    values = sf.dhis2_values(quarter, projects)
    chosen = mapping.propose(sheets.read(sf.write_dhis2_csv(values, tmp_path / "good.csv")), context).recipe
    half = f"{quarter.year}S{1 if quarter.month < 7 else 2}"
    # Two project and combo pairs reported once for a longer period instead of by month: six months, a financial year.
    keys = [(values[n]["orgUnit"], values[n]["categoryOptionCombo"]) for n in (1, 2)]
    values = [v for v in values if (v["orgUnit"], v["categoryOptionCombo"]) not in keys[1:]
              and ((v["orgUnit"], v["categoryOptionCombo"]) != keys[0] or v["period"].endswith(f"{quarter.month:02d}"))]
    long_ones = {half: next(n for n, v in enumerate(values) if (v["orgUnit"], v["categoryOptionCombo"]) == keys[0])}
    values.append({**values[long_ones[half]], "categoryOptionCombo": keys[1][1], "period": f"{quarter.year}July"})
    long_ones[f"{quarter.year}July"] = len(values) - 1
    values[long_ones[half]]["period"] = half
    path = sf.write_dhis2_csv(values, tmp_path / "half.csv")
    problems = refused(path, chosen, data_store)
    assert {(p.rule, p.row, p.column, p.value) for p in problems} == {
        ("not-a-quarter", n + 2, "period", text) for text, n in long_ones.items()}
    assert "cannot be split between quarters" in problems[0].message and "recipe" in problems[0].message

    placed = json.loads(chosen.to_json())
    label = calendar.quarter_label(quarter)
    placed["sheets"][0]["values"]["period"] = {half: {"to": label, "match": "manual", "confirmed": True},
                                               f"{quarter.year}July": {"to": label, "match": "manual",
                                                                       "confirmed": True}}
    result = reshape.import_sheet(path, reshape.recipes.parse(placed), location=data_store, confirm_removals=True)
    assert result.ok, result.report.to_text()
    frame = pd.DataFrame(values).astype({"value": int})
    got = rows_of(data_store, result.version, [p["project_id"] for p in projects], quarter)
    assert got["trainees"].sum() == frame["value"].sum()  # every value, the placed ones in the quarter named

    placed["sheets"][0]["values"]["period"][half]["to"] = "the first half"
    problems = refused(path, reshape.recipes.parse(placed), data_store)
    assert [(p.rule, p.row) for p in problems] == [("not-a-quarter", long_ones[half] + 2)]
    assert "not a quarter" in problems[0].message


def test_a_week_and_its_month_for_the_same_values_are_refused_as_counted_twice(fixture_dir, data_store, context,
                                                                               tmp_path):
    quarter, projects = sf.pick(fixture_dir)
    monthly = sf.dhis2_values(quarter, projects)
    chosen = mapping.propose(sheets.read(sf.write_dhis2_csv(monthly, tmp_path / "good.csv")), context).recipe
    week = dict(monthly[0])  # a week of the same project, combo and month as the first monthly value
    week["period"] = sf.iso_weeks(quarter)[2]
    problems = refused(sf.write_dhis2_csv(monthly + [week], tmp_path / "both.csv"), chosen, data_store)
    assert [(p.rule, p.column) for p in problems] == [("counted-twice", "value")]
    assert week["period"] in problems[0].message and monthly[0]["period"] in problems[0].message
    assert problems[0].row == len(monthly) + 2


# ---- attribute option combos --------------------------------------------------------------------------------

def test_an_attribute_option_combo_that_is_not_the_default_is_refused_with_its_row(fixture_dir, data_store, context,
                                                                                   tmp_path):
    quarter, projects = sf.pick(fixture_dir)
    values = sf.dhis2_values(quarter, projects)
    chosen = mapping.propose(sheets.read(sf.write_dhis2_csv(values, tmp_path / "good.csv")), context).recipe
    assert {c.header: c.role for c in chosen.sheets[0].columns}["attributeOptionCombo"] == "default"
    values[3]["attributeOptionCombo"] = "Partner B funding"
    problems = refused(sf.write_dhis2_csv(values, tmp_path / "aoc.csv"), chosen, data_store)
    assert [(p.rule, p.row, p.column, p.value) for p in problems] == [
        ("not-default", 5, "attributeOptionCombo", "Partner B funding")]


def test_an_attribute_option_combo_mapped_to_the_project_places_each_value(fixture_dir, data_store, context,
                                                                           tmp_path):
    """A partner's funding mechanism as the attribute option combo: the project; the org unit is the facility."""
    quarter, projects = sf.pick(fixture_dir)
    mechanisms = {p["project_id"]: p["title"] for p in projects}
    values = sf.dhis2_weekly_values(quarter, projects, attribute=mechanisms)
    for n, value in enumerate(values):
        value["orgUnit"] = f"Facility {n % 4 + 1}"  # several facilities report for each project
    path = sf.write_dhis2_csv(values, tmp_path / "mechanisms.csv")
    chosen = mapping.propose(sheets.read(path), context).recipe
    recipe = json.loads(chosen.to_json())
    for column in recipe["sheets"][0]["columns"]:
        if column["header"] == "orgUnit":
            column.update(role="ignore", column=None)
        if column["header"] == "attributeOptionCombo":
            column.update(role="key", column="project_id")
    recipe["sheets"][0]["values"].pop("project_id", None)  # the facilities' names were proposed as projects
    result = reshape.import_sheet(path, reshape.recipes.parse(recipe), location=data_store, confirm_removals=True)
    assert result.ok, result.report.to_text()
    frame = pd.DataFrame(values).astype({"value": int})
    frame["orgUnit"] = frame["attributeOptionCombo"]  # the project, as expected_weekly maps the org unit
    want = expected_weekly(frame.to_dict("records"), {t: p for p, t in mechanisms.items()})
    got = rows_of(data_store, result.version, list(mechanisms), quarter)
    assert by_breakdown(got) == by_breakdown(want[want["quarter"] == quarter])
    assert got["iso3"].tolist() == [context.project_countries[p] for p in got["project_id"]]


def test_an_attribute_option_combo_mapped_to_a_breakdown_gives_its_values(fixture_dir, data_store, context,
                                                                          tmp_path):
    """The category option combo gives the cadre and the attribute option combo the gender."""
    quarter, projects = sf.pick(fixture_dir)
    values = sf.dhis2_values(quarter, projects)
    for value in values:
        cadre, gender = sf.DHIS2_COMBOS[value["categoryOptionCombo"]]
        value["categoryOptionCombo"], value["attributeOptionCombo"] = cadre, gender
    path = sf.write_dhis2_csv(values, tmp_path / "split.csv")
    recipe = json.loads(mapping.propose(sheets.read(path), context).recipe.to_json())
    for column in recipe["sheets"][0]["columns"]:
        if column["header"] == "attributeOptionCombo":
            column["role"] = "combo"
    result = reshape.import_sheet(path, reshape.recipes.parse(recipe), location=data_store, confirm_removals=True)
    assert result.ok, result.report.to_text()
    frame = pd.DataFrame(values).astype({"value": int})
    frame["project_id"] = frame["orgUnit"].map({p["title"]: p["project_id"] for p in projects})
    want = frame.rename(columns={"categoryOptionCombo": "cadre", "attributeOptionCombo": "gender"}) \
        .groupby(["project_id", "cadre", "gender"], as_index=False)["value"].sum().rename(columns={"value": "trainees"})
    got = rows_of(data_store, result.version, [p["project_id"] for p in projects], quarter)
    assert by_breakdown(got) == by_breakdown(want)

    values[0]["attributeOptionCombo"] = "Nurse"  # the cadre again, from the other combo: one value, two cadres?
    values[0]["categoryOptionCombo"] = "Midwife"
    problems = refused(sf.write_dhis2_csv(values, tmp_path / "clash.csv"), reshape.recipes.parse(recipe), data_store)
    assert {(p.rule, p.row, p.column) for p in problems} >= {("two-values", 2, "attributeOptionCombo")}


# ---- placing a period across quarters: the proposal, the command line and the Data page ---------------------

def _six_months(fixture_dir, tmp_path) -> tuple[dt.date, list[dict], list[dict], str, Path]:
    """A monthly value set where one project and combo reported its six months once (the rest by month)."""
    quarter, projects = sf.pick(fixture_dir)
    values = sf.dhis2_values(quarter, projects)
    key = (values[1]["orgUnit"], values[1]["categoryOptionCombo"])
    values = [v for v in values if (v["orgUnit"], v["categoryOptionCombo"]) != key or v is values[1]]
    half = f"{quarter.year}S{1 if quarter.month < 7 else 2}"
    values[1]["period"] = half
    return quarter, projects, values, half, sf.write_dhis2_csv(values, tmp_path / "six-months.csv")


def test_the_proposal_lists_each_period_across_quarters_with_its_rows(fixture_dir, context, tmp_path, capsys):
    quarter, _projects, values, half, path = _six_months(fixture_dir, tmp_path)
    part = mapping.propose(sheets.read(path), context).sheets[0]
    first = calendar.quarter_start(dt.date(quarter.year, 1 if quarter.month < 7 else 7, 1))
    quarters = [calendar.quarter_label(first), calendar.quarter_label(calendar.next_quarter(first))]
    assert part.spanning == [{"column": "period", "text": half, "quarters": quarters, "count": 1, "rows": [3]}]
    mapping.place_period(part.recipe, half, quarters[1])
    assert mapping.spanning_periods(part) == []  # placed: nothing left to ask
    from impact import cli

    out = tmp_path / "recipe.json"
    assert cli.main(["mapping", "propose", str(path), "--data-dir", str(fixture_dir), "--out", str(out)]) == 0
    assert f"across quarters: period '{half}' (1 row(s): 3) runs across {', '.join(quarters)}" in capsys.readouterr().out


def test_a_manager_places_a_period_across_quarters_on_the_data_page(fixture_dir, data_store, tmp_path, monkeypatch):
    import streamlit as st

    from tests.conftest import data_page_as_admin

    quarter, projects, values, half, path = _six_months(fixture_dir, tmp_path)
    at = data_page_as_admin(data_store, monkeypatch, "a period across quarters")
    at.file_uploader(key="sheet_upload").set_value(("six-months.csv", path.read_bytes(), "text/csv"))
    at.run()
    assert not at.exception
    [choice] = [s for s in at.selectbox if (s.key or "").startswith("mapping_period_")]
    assert half in choice.label and choice.options == [calendar.quarter_label(q) for q in calendar.quarters_of(
        *calendar.dhis2_span(half))]
    at.button(key="mapping_preview").click()
    at.run()
    assert any("not-a-quarter" in str(d.value.to_dict()) for d in at.dataframe if "rule" in d.value.columns)
    label = calendar.quarter_label(quarter)
    at.selectbox(key=choice.key).select(label)
    at.run()
    at.button(key="mapping_preview").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error] + [
        d.value[["row", "column", "rule", "message"]].to_dict("records") for d in at.dataframe
        if {"rule", "message"} <= set(d.value.columns)]
    if at.button(key="mapping_import").disabled:
        at.checkbox(key="mapping_confirm").check()
        at.run()
    at.button(key="mapping_import").click()
    at.run()
    assert not at.exception
    version = store.open_store(data_store).active().version
    assert version != "base"
    got = rows_of(data_store, version, [p["project_id"] for p in projects], quarter)
    assert got["trainees"].sum() == pd.DataFrame(values).astype({"value": int})["value"].sum()
    st.cache_data.clear()
    st.cache_resource.clear()
