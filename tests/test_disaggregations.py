"""Disaggregations as data: a breakdown a programme's definition declares, with no code written for it, is read,
checked, filtered on, grouped and split by, exported, put in a deck, rolled up and published to IATI.

The "new engineer" case of issue 24: the fixture programme gains `cadre_level` on training (no code anywhere
names it); its extract carries the column; every figure is checked against plain DuckDB over the Parquet files.
"""

from __future__ import annotations

import csv
import io
import json
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from lxml import etree

from impact.charts import catalog, deck, deck_writers, export
from impact.ingest import extract_io
from impact.model import metrics, schema
from impact.model import programme as programmes
from impact.query import db, dimensions, explore, iati, macros
from impact.query.filters import Filters, from_query_params
from impact.storage import store
from tests.conftest import ROOT, Independent, make_app, metrics_shown, serving
from tests.data_helpers import make_store, snapshot

LEVELS = ("Junior", "Senior", "Not recorded")
DECLARATION = {"key": "cadre_level", "label": "Cadre level", "tables": ["training"], "iati_name": "seniority",
               "values": list(LEVELS)}


def _with_cadre_level(source, target):
    """A copy of the extract in `source` whose definition declares `cadre_level` and whose training rows carry it
    (each row's level chosen by its position, so the totals are unchanged)."""
    shutil.copytree(source, target)
    data = json.loads((target / programmes.FILE).read_text())
    data["disaggregations"] = [DECLARATION]
    (target / programmes.FILE).write_text(json.dumps(data))
    training = pq.read_table(target / "training.parquet")
    levels = pa.array([LEVELS[i % 3] for i in range(training.num_rows)], pa.string())
    names = training.column_names
    at = names.index("trainees")
    training = training.add_column(at, "cadre_level", levels)
    pq.write_table(training, target / "training.parquet")
    return target


@pytest.fixture(scope="module")
def declared_dir(fixture_dir, tmp_path_factory):
    return _with_cadre_level(fixture_dir, tmp_path_factory.mktemp("declared") / "extract")


@pytest.fixture(scope="module")
def declared(declared_dir):
    database = db.open_database(declared_dir)
    yield database
    database.connection.close()


# ---- the definition -----------------------------------------------------------------------------

def test_the_definition_declares_it_and_round_trips(declared):
    programme = declared.programme
    (level,) = programme.disaggregations
    assert (level.key, level.label, level.tables, level.iati_name) == ("cadre_level", "Cadre level", ("training",),
                                                                      "seniority")
    assert programme.values("cadre_level") == LEVELS
    again = programmes.parse(json.loads(programme.to_json()))
    assert again == programme
    assert "cadre_level" not in json.loads(programme.to_json())["vocabularies"]


@pytest.mark.parametrize("change, where, message", [
    ({"key": "country"}, "disaggregations[0].key", "already has a meaning"),
    ({"key": "grant"}, "disaggregations[0].key", "already has a meaning"),
    ({"key": "Age Band"}, "disaggregations[0].key", "lower-case"),
    ({"key": "gender_role"}, "disaggregations[0].key", "lower-case"),
    ({"tables": ["projects"]}, "disaggregations[0].tables[0]", "training, volunteering, outcomes"),
    ({"tables": []}, "disaggregations[0].tables", "must list"),
    ({"values": []}, "disaggregations[0].values", "non-empty"),
    ({"values": ["Junior", "Junior"]}, "disaggregations[0].values[1].value", "listed twice"),
    ({"colour": "red"}, "disaggregations[0].colour", "not a field"),
])
def test_a_bad_declaration_is_refused_where_it_is(definition, change, where, message):
    data = definition.to_dict()
    data["disaggregations"] = [{**DECLARATION, **change}]
    with pytest.raises(programmes.DefinitionError) as refused:
        programmes.parse(data)
    assert any(w == where and message in m for w, m in refused.value.problems), refused.value.problems


def test_a_key_declared_twice_is_refused(definition):
    data = definition.to_dict()
    data["disaggregations"] = [DECLARATION, DECLARATION]
    with pytest.raises(programmes.DefinitionError, match="declared twice"):
        programmes.parse(data)


def test_the_schema_carries_it_in_its_tables_only(declared):
    training = schema.table("training", declared.programme)
    assert "cadre_level" in training.column_names and "cadre_level" in training.key
    assert training.column("cadre_level").vocabulary == "cadre_level"
    assert "cadre_level" not in schema.table("volunteering", declared.programme).column_names
    assert schema.table("training") == schema.TABLES[schema.TABLE_NAMES.index("training")]  # no programme: as ever


def test_a_programme_without_one_never_shows_one(definition):
    assert definition.disaggregations == ()
    assert dimensions.of(definition) == dimensions.DIMENSIONS


# ---- queries: filtered, grouped, rolled up ------------------------------------------------------

def test_a_filter_on_it_equals_plain_sql(declared, declared_dir):
    sql = Independent(declared_dir)
    for level in LEVELS:
        params = Filters(cadre_level=(level,)).params()
        row = db.run_query(declared, "headline_totals", params).iloc[0]
        assert row["trainees"] == sql.scalar("select sum(trainees) from training where cadre_level = $l", {"l": level})
        # a rollup answers it: the finest training rollup keeps the declared column
        assert db.sources(declared, "headline_totals", params)["training"] == "training_cells"
    # volunteering does not carry it: its figures ignore the filter
    everything = db.run_query(declared, "headline_totals", Filters().params()).iloc[0]
    junior = db.run_query(declared, "headline_totals", Filters(cadre_level=("Junior",)).params()).iloc[0]
    assert junior["volunteer_days"] == everything["volunteer_days"]


def test_grouping_and_splitting_by_it_equal_plain_sql(declared, declared_dir):
    sql = Independent(declared_dir)
    with metrics.using(declared.programme):
        assert "cadre_level" in explore.breakdowns_for("trainees")
        assert "cadre_level" not in explore.breakdowns_for("volunteer_days")
        spec = catalog.chart("explore", {"metric": "trainees", "by": "cadre_level", "split": "gender"})
        rows = spec.rows(export.chart_data(declared, spec, Filters(), export.filter_choices(declared)))
    expected = dict(((level, gender), n) for level, gender, n in sql.rows(
        "select cadre_level, gender, sum(trainees) from training group by all"))
    shown = {(row["cadre_level"], gender): row[gender] for _, row in rows.iterrows()
             for gender in rows.columns if gender != "cadre_level"}
    assert {k: v for k, v in shown.items() if v} == expected


def test_rollups_and_facts_agree_on_it(declared, declared_dir, monkeypatch):
    monkeypatch.setenv("IMPACT_ROLLUPS", "0")
    facts = db.open_database(declared_dir)
    try:
        for filters in (Filters(), Filters(cadre_level=("Senior",), country=("UGA",))):
            params = {**filters.params(), **explore.totals_params("cadre_level", "time")}
            assert db.run_query(declared, "training_by_dimension", params).equals(
                db.run_query(facts, "training_by_dimension", params))
    finally:
        facts.connection.close()


def test_the_macros_are_generated_from_the_declarations(declared):
    text = "\n".join(macros.statements(declared.programme))
    assert "filters['chosen']['cadre_level']" in text and "when 'cadre_level' then cadre_level" in text
    plain = "\n".join(macros.statements(None))
    assert "cadre_level" not in plain


# ---- links, exports, decks, IATI ----------------------------------------------------------------

def test_a_link_filters_on_it_and_refuses_an_unknown_value(declared):
    choices = export.filter_choices(declared)
    filters, notices = from_query_params({"cadre_level": ["Senior", "Chief"]}, choices)
    assert filters == Filters(cadre_level=("Senior",)) and notices and "cadre level" in notices[0]
    assert filters.to_query_params(choices) == {"cadre_level": ["Senior"]}
    assert "Cadre level: Senior" in filters.describe(choices)


def test_exports_and_a_deck_carry_it(declared):
    choices = export.filter_choices(declared)
    with metrics.using(declared.programme):
        spec = catalog.chart("explore", {"metric": "trainees", "by": "cadre_level"})
        frame = export.chart_data(declared, spec, Filters(), choices)
        table = list(csv.reader(io.StringIO(export.csv_bytes(spec, frame).decode("utf-8-sig"))))
        assert table[0][0] == "Cadre level" and {row[0] for row in table[1:]} == set(LEVELS)
        talk = deck.Deck("Levels", (deck.Slide("explore", {"metric": "trainees", "by": "cadre_level"}),))
        slides = deck.prepare(talk, lambda s, o: export.chart_data(declared, s, Filters(), choices, o))
        provenance = export.Provenance.of(declared, "All data")
        pptx = deck_writers.build(talk, slides, provenance, "pptx")
    from pptx import Presentation

    charts = [shape.chart for slide in Presentation(io.BytesIO(pptx)).slides for shape in slide.shapes
              if shape.has_chart]
    assert set(charts[0].plots[0].categories) == set(LEVELS)


def test_iati_results_carry_it_as_a_dimension(declared, declared_dir):
    published = iati.publish(declared)
    assert published.valid, published.errors[:3]
    root = etree.fromstring(published.xml if isinstance(published.xml, bytes) else published.xml.encode())
    named = root.findall(".//result/indicator/period/actual/dimension[@name='seniority']")
    assert {d.get("value") for d in named} <= set(LEVELS) and named
    assert root.findall(".//result/indicator/period/actual/dimension[@name='sex']")
    # each period's actuals by seniority add up to its total actual
    for period in root.iterfind(".//result/indicator/period"):
        actuals = period.findall("actual")
        total = [a for a in actuals if a.find("dimension") is None]
        parts = [a for a in actuals if a.find("dimension[@name='seniority']") is not None]
        if total and parts:
            assert sum(float(a.get("value")) for a in parts) == float(total[0].get("value"))


# ---- import ------------------------------------------------------------------------------------

def test_import_checks_its_values_and_its_column(declared_dir, tmp_path):
    root = make_store(declared_dir, tmp_path / "store")
    before = snapshot(root)
    training = pq.read_table(declared_dir / "training.parquet").to_pandas()
    bad = tmp_path / "bad"
    bad.mkdir()
    training.loc[3, "cadre_level"] = "Chief"
    training.to_csv(bad / "training.csv", index=False)
    refused = extract_io.import_extract(bad, root)
    assert not refused.ok
    problem = next(p for p in refused.report.ordered() if p.column == "cadre_level")
    assert problem.file == "training.csv" and problem.row == 5 and "Chief" in problem.message
    missing = tmp_path / "missing"
    missing.mkdir()
    training.drop(columns="cadre_level").to_csv(missing / "training.csv", index=False)
    refused = extract_io.import_extract(missing, root)
    assert any(p.column == "cadre_level" and p.rule == "missing-column" for p in refused.report.ordered())
    assert snapshot(root) == before


def test_a_definition_gaining_one_needs_the_column_in_the_data_in_use(fixture_dir, tmp_path):
    root = make_store(fixture_dir, tmp_path / "store")
    new = tmp_path / "definition"
    new.mkdir()
    data = json.loads((fixture_dir / programmes.FILE).read_text())
    data["disaggregations"] = [DECLARATION]
    (new / programmes.FILE).write_text(json.dumps(data))
    refused = extract_io.import_extract(new, root)
    assert any(p.column == "cadre_level" and "import training with it" in p.message for p in refused.report.ordered())
    # with the training table carrying it, the same definition imports, and the store serves it
    _with_cadre_level(fixture_dir, tmp_path / "with")
    shutil.copyfile(tmp_path / "with" / "training.parquet", new / "training.parquet")
    done = extract_io.import_extract(new, root)
    assert done.ok, done.report.to_text()
    database = db.open_active(store.open_store(root))
    assert database.programme.disaggregations[0].key == "cadre_level"
    assert "cadre_level" in store.read_table(store.open_store(root).active().path, "training").column_names
    database.connection.close()


# ---- the app -----------------------------------------------------------------------------------

def test_the_sidebar_filters_on_it_from_a_link(declared_dir, monkeypatch):
    sql = Independent(declared_dir)
    with serving(declared_dir, monkeypatch):
        at = make_app("pages/overview.py", {"cadre_level": ["Senior"]})
        box = next(m for m in at.multiselect if m.label.startswith("Cadre level"))
        assert box.value == ["Senior"] and "(training figures)" in box.label
        senior = sql.scalar("select sum(trainees) from training where cadre_level = 'Senior'")
        assert metrics_shown(at)["Health workers trained"] == f"{senior:,}"
        explorer = make_app("pages/explore.py", {"by": ["cadre_level"]})
        by = next(s for s in explorer.selectbox if s.value == "cadre_level")
        assert "cadre_level" in by.options or "Cadre level" in by.options


def test_the_shipped_second_programme_declares_age_band_and_disability():
    gsp = programmes.load(ROOT / "data" / "programmes" / "gsp")
    assert [d.key for d in gsp.disaggregations] == ["age_band", "disability"]
    hps = programmes.load(ROOT / "data")
    assert hps.disaggregations == ()
    sql = Independent(ROOT / "data" / "programmes" / "gsp")
    assert sql.scalar("select sum(trainees) from training") == sql.scalar(
        "select sum(n) from (select age_band, disability, sum(trainees) as n from training group by all)")
    assert {v for (v,) in sql.rows("select distinct age_band from training")} <= set(gsp.values("age_band"))


def test_a_return_workbook_has_its_column_and_comes_back_to_the_same_rows(declared_dir, tmp_path):
    """A partner's return workbook has a row per combination, the declared breakdown included; filled with a
    project quarter's rows and imported, the version holds the same rows."""
    import duckdb
    import openpyxl

    from impact.reporting import returns

    root = make_store(declared_dir, tmp_path / "store")
    project, period = duckdb.execute(
        f"select project_id, max(period) from read_parquet('{declared_dir / 'training.parquet'}') "
        "group by 1 order by 1 limit 1").fetchone()
    book = openpyxl.load_workbook(io.BytesIO(returns.workbook(project, period, store.open_store(root))))
    sheet = book["training"]
    headings = [c.value for c in sheet[returns.HEADER_ROW]]
    assert headings == ["cadre", "gender", "training_type", "cadre_level", "trainees"]
    rows = duckdb.execute(f"select cadre, gender, training_type, cadre_level, trainees from read_parquet("
                          f"'{declared_dir / 'training.parquet'}') where project_id = $p and period = $d",
                          {"p": project, "d": period}).fetchall()
    where = {tuple(sheet.cell(row=n, column=i).value for i in range(1, 5)): n
             for n in range(returns.HEADER_ROW + 1, sheet.max_row + 1)}
    for *combo, trainees in rows:
        sheet.cell(row=where[tuple(combo)], column=5, value=int(trainees))
    for name in ("volunteering", "outcomes"):  # nothing else this quarter: leave those sheets blank
        assert name in book.sheetnames
    path = tmp_path / "return.xlsx"
    book.save(path)
    result = returns.import_returns([path], store.open_store(root), accept_valid=False, confirm_removals=True)
    assert result.ok, result.report.to_text()
    after = store.read_table(store.open_store(root).active().path, "training").to_pandas()
    mine = after[(after["project_id"] == project) & (after["period"] == period)]
    assert sorted(map(tuple, mine[["cadre", "gender", "training_type", "cadre_level", "trainees"]].to_numpy()
                      .tolist())) == sorted(tuple(r) for r in rows)
