"""A country is its ISO-3 code in every grouping and rollup, and its name only a label: the explorer's groups are
codes, what a person reads is the name (from one table, country_labels), two codes that share a name stay two
groups, and a renamed country stays one. Every figure is checked against plain DuckDB over the Parquet files."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from impact.charts import catalog
from impact.model import iso3166
from impact.query import db, dimensions, explore, rollups
from impact.query.filters import Filters
from tests.conftest import ROOT, Independent

QUERIES = ("training_by_dimension", "volunteering_by_dimension", "projects_by_dimension",
           "institutions_by_dimension", "outcomes_by_dimension")


@pytest.fixture(scope="module")
def database(fixture_dir):
    return db.open_database(fixture_dir)


def _renamed(fixture_dir: Path, folder: Path, names: dict[str, str]) -> Path:
    """A copy of the fixture extract whose countries table gives `names` ({iso3: name}) instead."""
    shutil.copytree(fixture_dir, folder)
    path = folder / "countries.parquet"
    table = pq.read_table(path)
    column = [names.get(code, name) for code, name in zip(table["iso3"].to_pylist(), table["name"].to_pylist())]
    pq.write_table(table.set_column(table.schema.get_field_index("name"), "name", pa.array(column, pa.string())), path)
    return folder


def _by_country(database, query: str = "training_by_dimension", dimension2: str = "", filters: Filters | None = None):
    return db.run_query(database, query, {**(filters or Filters()).params(),
                                          **explore.totals_params("country", dimension2)})


def _facts(database):
    """The same database reading the facts (no rollup)."""
    return dataclasses.replace(database, rollups={})


def test_every_grouping_by_country_groups_by_the_code_and_labels_it_with_the_name(database, independent):
    names = dict(independent.rows("select iso3, name from countries"))
    for query in QUERIES:
        frame = _by_country(database, query)
        assert set(frame["category"]) <= set(names), query  # codes, never names
        assert list(frame["label"]) == [names[c] for c in frame["category"]], query
    trained = dict(independent.rows("select iso3, sum(trainees) from training group by 1"))
    frame = _by_country(database)
    assert dict(zip(frame["category"], frame["trainees"])) == trained
    days = dict(independent.rows("select iso3, sum(volunteer_days) from volunteering group by 1"))
    frame = _by_country(database, "volunteering_by_dimension")
    assert dict(zip(frame["category"], frame["volunteer_days"])) == days
    projects = dict(independent.rows("select iso3, count(*) from projects group by 1"))
    frame = _by_country(database, "projects_by_dimension")
    assert dict(zip(frame["category"], frame["projects"])) == projects


def test_a_split_by_country_is_a_code_too(database, independent):
    names = dict(independent.rows("select iso3, name from countries"))
    frame = db.run_query(database, "training_by_dimension",
                         {**Filters().params(), **explore.totals_params("theme", "country")})
    expected = {(theme, code): n for theme, code, n in independent.rows(
        "select p.theme, t.iso3, sum(t.trainees) from training t join projects p using (project_id) group by all")}
    assert dict(zip(zip(frame["category"], frame["category2"]), frame["trainees"])) == expected
    assert list(frame["label2"]) == [names[c] for c in frame["category2"]]
    assert list(frame["label"]) == list(frame["category"])  # a theme is its own label


def test_the_rollups_group_by_the_code_and_answer_as_the_facts(database):
    filters = Filters(country=("UGA", "TZA", "KEN"))
    for query in ("training_by_dimension", "volunteering_by_dimension", "outcomes_by_dimension"):
        read = db.sources(database, query, {**filters.params(), **explore.totals_params("country")})
        assert read, f"{query} by country reads a rollup"
        keeps = {r.name: r.keeps for r in rollups.of(database.programme)}
        assert all("iso3" in keeps[name] for name in read.values())
        got = _by_country(database, query, filters=filters)
        facts = _by_country(_facts(database), query, filters=filters)
        assert got.equals(facts), query
    assert all("country" not in r.keeps for r in rollups.of(database.programme))  # no rollup keeps a name


def test_the_explorer_shows_names_and_its_figures_are_the_codes(database, independent):
    spec = catalog.chart("explore", {"by": "country"})
    rows = spec.rows(db.run_query(database, spec.query, spec.query_params(Filters().params())))
    expected = dict(independent.rows(
        "select c.name, sum(t.trainees) from training t join countries c using (iso3) group by 1"))
    assert dict(zip(rows["country"], rows["trainees"])) == expected
    split = catalog.chart("explore", {"by": "cadre", "split": "country"})
    wide = split.rows(db.run_query(database, split.query, split.query_params(Filters().params())))
    names = {n for (n,) in independent.rows("select name from countries")}
    assert set(split.series(wide)) - {"Other"} <= names


def test_two_codes_that_share_a_name_stay_two_groups(fixture_dir, tmp_path):
    folder = _renamed(fixture_dir, tmp_path / "shared", {"SSD": "Sudan"})  # SDN is Sudan too
    independent = Independent(folder)
    database = db.open_database(folder)
    frame = _by_country(database)
    sudans = frame[frame["category"].isin(["SDN", "SSD"])]
    assert dict(zip(sudans["category"], sudans["label"])) == {"SDN": "Sudan (SDN)", "SSD": "Sudan (SSD)"}
    trained = dict(independent.rows("select iso3, sum(trainees) from training group by 1"))
    assert dict(zip(frame["category"], frame["trainees"])) == trained
    # What a person reads tells them apart, and each keeps its own figure.
    spec = catalog.chart("explore", {"by": "country"})
    rows = spec.rows(db.run_query(database, spec.query, spec.query_params(Filters().params())))
    shown = dict(zip(rows["country"], rows["trainees"]))
    assert shown["Sudan (SDN)"] == trained["SDN"] and shown["Sudan (SSD)"] == trained["SSD"]
    assert "Sudan" not in shown and len(rows) == len(trained)
    split = catalog.chart("explore", {"by": "theme", "split": "country", "metric": "volunteer_days"})
    wide = split.rows(db.run_query(database, split.query, split.query_params(Filters().params())))
    assert len(set(split.series(wide))) == len(split.series(wide))  # no two series of one name
    # The rollups and the facts agree on it.
    assert frame.equals(_by_country(_facts(database)))
    # The sidebar's choices, the map's and the top countries' tables hold both, each read apart.
    choices = db.run_query(database, "filter_choices")
    assert {"Sudan (SDN)", "Sudan (SSD)"} <= set(choices["country"]) and {"SDN", "SSD"} <= set(choices["iso3"])
    ranked = db.run_query(database, "trainees_by_country", Filters().params())
    assert dict(zip(ranked["iso3"], ranked["country"]))["SSD"] == "Sudan (SSD)"
    assert dict(zip(ranked["iso3"], ranked["trainees"])) == {k: v for k, v in trained.items() if v > 0}


def test_a_renamed_country_keeps_its_one_group(fixture_dir, database, tmp_path):
    folder = _renamed(fixture_dir, tmp_path / "renamed", {"SWZ": "Swaziland"})
    renamed = db.open_database(folder)
    for query in QUERIES:
        before, after = _by_country(database, query), _by_country(renamed, query)
        numbers = [c for c in before.columns if c not in ("label", "label2")]
        assert before[numbers].equals(after[numbers]), query  # the same groups and figures
        assert set(after.loc[after["category"] == "SWZ", "label"]) <= {"Swaziland"}
    filtered = _by_country(renamed, filters=Filters(country=("SWZ",)))
    assert list(filtered["category"]) == ["SWZ"] and list(filtered["label"]) == ["Swaziland"]
    ranked = db.run_query(renamed, "trainees_by_country", Filters().params())
    assert ranked.loc[ranked["iso3"] == "SWZ", "country"].tolist() == ["Swaziland"]


def test_a_code_the_extract_does_not_list_reads_as_its_iso_3166_name(database, independent):
    frame = db.run_query(database, "institutions_list", {**Filters().params(), "search": "", "row_limit": None})
    codes = dict(independent.rows("select institution_id, iso3 from institutions"))
    listed = {iso3 for (iso3,) in independent.rows("select iso3 from countries")}
    names = dict(independent.rows("select iso3, name from countries"))
    for institution, country in zip(frame["institution_id"], frame["country"]):
        code = codes[institution]
        assert country == (names[code] if code in listed else iso3166.ALPHA3[code])
    assert "United Kingdom" in set(frame["country"])  # the UK side, from the ISO 3166 table
    searched = db.run_query(database, "institutions_list",
                            {**Filters().params(), "search": "united kingdom", "row_limit": None})
    assert len(searched) == independent.scalar(
        "select count(distinct institution_id) from project_partners join institutions using (institution_id) "
        "where iso3 = 'GBR'") > 0


def test_no_query_writes_a_country_name():
    for path in sorted((ROOT / "queries").rglob("*.sql")):
        text = path.read_text(encoding="utf-8")
        assert not any(f"'{name}'" in text for name in iso3166.ALPHA3.values()), path.name


def test_distinct_labels():
    assert dimensions.distinct_labels({"SDN": "Sudan", "SSD": "Sudan", "UGA": "Uganda", "XKX": None}) == {
        "SDN": "Sudan (SDN)", "SSD": "Sudan (SSD)", "UGA": "Uganda", "XKX": "XKX"}
    assert explore.labels(pd.DataFrame({"category": ["UGA", None], "label": ["Uganda", None]})) == {"UGA": "Uganda"}
    assert explore.labels(pd.DataFrame({"category": ["2014", "2015"]})) == {"2014": "2014", "2015": "2015"}


def test_an_explorer_export_by_country_carries_the_names(database, independent):
    import csv
    import datetime as dt
    import io

    import openpyxl

    from impact.charts import export

    spec = catalog.chart("explore", {"by": "country"})
    frame = db.run_query(database, spec.query, spec.query_params(Filters().params()))
    expected = {name: n for name, n in independent.rows(
        "select c.name, sum(t.trainees) from training t join countries c using (iso3) group by 1")}
    rows = list(csv.reader(io.StringIO(export.csv_bytes(spec, frame).decode("utf-8-sig"))))
    assert rows[0][0] == "Country" and {r[0]: int(r[1]) for r in rows[1:]} == expected
    book = openpyxl.load_workbook(io.BytesIO(export.xlsx_bytes(
        spec, frame, export.Provenance("Fixture", "v1", dt.date(2026, 1, 1), "All"))))
    data = list(book["Data"].iter_rows(min_row=2, values_only=True))
    assert {r[0]: r[1] for r in data} == expected


def test_a_deck_by_country_shows_the_names(fixture_dir, independent):
    import io

    from pptx import Presentation

    from impact.charts import deck
    from tests.test_deck import _build

    the_deck = deck.Deck("x", (deck.Slide("explore", {"by": "country"}),
                               deck.Slide("explore", {"by": "cadre", "split": "country"})))
    data, _, _ = _build(fixture_dir, the_deck, "pptx", Filters(country=("UGA", "TZA")))
    first, second = (next(s for s in page.shapes if s.has_chart).chart
                     for page in list(Presentation(io.BytesIO(data)).slides)[1:])
    expected = dict(independent.rows(
        "select c.name, sum(t.trainees) from training t join countries c using (iso3) "
        "where t.iso3 in ('UGA', 'TZA') group by 1"))
    assert dict(zip(first.plots[0].categories, first.plots[0].series[0].values)) == expected
    assert {s.name for s in second.plots[0].series} == set(expected)  # a split's legend: names


def test_two_periods_compared_by_country_are_grouped_by_code_and_shown_by_name(database, independent):
    spec = catalog.chart("explore", {"by": "country", "cmp": "period", "a": "2012Q1:2013Q4", "b": "2016Q1:2017Q4"})
    rows = spec.rows(db.run_query(database, spec.query, spec.query_params(Filters().params())))
    sums = dict(independent.rows(
        "select c.name || '|' || case when period < date '2014-01-01' then 'A' else 'B' end, sum(trainees) "
        "from training t join countries c using (iso3) where period between date '2012-01-01' and date '2013-10-01' "
        "or period between date '2016-01-01' and date '2017-10-01' group by 1"))
    assert {n.split("|")[0] for n in sums} <= set(rows["country"])
    for _, row in rows.iterrows():
        assert row["2012Q1–2013Q4"] == sums.get(f"{row['country']}|A", 0)
        assert row["2016Q1–2017Q4"] == sums.get(f"{row['country']}|B", 0)
