"""Results against targets: % achieved and scores against independent SQL, band edges and targets of zero,
the published 2015 figure, bad targets and bands refused, the Results page, its table and its exports."""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import shutil

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from impact.charts import catalog, deck, deck_writers, export
from impact.ingest import extract_io
from impact.model import calendar, metrics, schema
from impact.model import programme as programmes
from impact.query import db, filters, results
from tests.conftest import ROOT, Independent, make_app, metrics_shown, serving
from tests.data_helpers import read_rows, snapshot, write_rows

# The annual review's default bands as plain SQL: the independent reading of % achieved.
SCORE_SQL = """case when $e is null then 'no milestone due yet'
                    when pct is null then (case when $a >= $e then 'A' else 'C' end)
                    when pct >= 125 then 'A++' when pct >= 105 then 'A+' when pct >= 95 then 'A'
                    when pct >= 75 then 'B' else 'C' end"""
ACTUAL_SQL = {  # a project's cumulative actual to a date, straight from the tables
    "trainees": "select coalesce(sum(trainees), 0) from training where project_id = $p and period <= $day",
    "volunteer_days": "select coalesce(sum(volunteer_days), 0) from volunteering where project_id = $p and period <= $day",
}
END_DUE_SQL = "select max(due_date) from targets where scope = 'project' and project_id = $p and metric = $m"
OUTCOME_SQL = ("select coalesce(sum(value), 0) from outcomes where project_id = $p and indicator = $m "
               "and period <= $day")
# What the milestones expect by a date, interpolated: a straight line from zero at the project's start to
# each due date in turn, the end target after the last.
EXPECTED_SQL = """
with t as (select due_date, target from targets where scope = 'project' and project_id = $p and metric = $m),
points as (select start_date as due_date, 0.0 as target from projects where project_id = $p
           and start_date < (select min(due_date) from t)
           union all select * from t),
before as (select * from points where due_date <= $day order by due_date desc limit 1),
after as (select * from points where due_date >= $day order by due_date limit 1)
select case when $day::date <= (select start_date from projects where project_id = $p)
             and (select start_date from projects where project_id = $p) < (select min(due_date) from t) then null
            when (select count(*) from after) = 0 then (select target from points order by due_date desc limit 1)
            when (select count(*) from before) = 0 then (select target from after)
            when (select due_date from before) = (select due_date from after) then (select target from after)
            else (select target from before) + ((select target from after) - (select target from before))
                 * date_diff('day', (select due_date from before), $day::date)
                 / date_diff('day', (select due_date from before), (select due_date from after))
       end
"""


def _projects_table(at) -> pd.DataFrame:
    """The projects-against-targets table on the Results page (the charts' Table views come first)."""
    return next(d.value for d in at.dataframe if {"project_id", "score", "achieved"} <= set(d.value.columns))


def _sentence(at, start: str) -> str:
    """The first text on the page starting with `start` (Markdown's escapes taken off)."""
    return next(t for t in (m.value.replace("\\", "") for m in at.markdown) if t.startswith(start))


def _params(programme, **overrides) -> dict:
    return filters.with_filters(filters.everything(programme), **overrides)


@pytest.fixture(scope="module")
def fixture_db(fixture_dir):
    return db.open_database(fixture_dir)


@pytest.fixture(scope="module")
def fixture_picture(fixture_db):
    with metrics.using(fixture_db.programme):
        return results.picture(fixture_db, _params(fixture_db.programme))


def test_percent_and_score_equal_independent_sql_for_random_projects_indicators_and_dates(
        fixture_db, fixture_picture, independent):
    programme = fixture_db.programme
    targets = fixture_picture.targets[fixture_picture.targets["scope"] == "project"]
    pairs = sorted(set(zip(targets["project_id"], targets["metric"])))
    rng = random.Random(42)
    checked, judged = 0, {}
    for project_id, metric in rng.sample(pairs, 25):
        mine = targets[(targets["project_id"] == project_id) & (targets["metric"] == metric)]
        for day in rng.sample(sorted({*mine["due_date"], mine["start_date"].iloc[0] + dt.timedelta(days=200),
                                      dt.date(2016, 6, 30), programme.end}), 2):
            bind = {"p": project_id, "m": metric, "day": day}
            # a target past due is judged on the results by its due date
            on = independent.scalar(f"select least($day, ({END_DUE_SQL}))", bind)
            actual = independent.scalar(ACTUAL_SQL.get(metric, OUTCOME_SQL), {**bind, "day": on})
            expected = independent.scalar(EXPECTED_SQL, bind)
            pct, score = independent.rows(
                f"select pct, {SCORE_SQL} from (select case when $e = 0 then null else 100.0 * $a / $e end as pct)",
                {"a": actual, "e": expected})[0]
            if day not in judged:
                with metrics.using(programme):
                    judged[day] = results.progress(fixture_picture, day, programme.results, programme.start,
                                                   programme_scope=False)
            row = judged[day]
            row = row[(row["project_id"] == project_id) & (row["metric"] == metric)].iloc[0]
            assert row["actual"] == actual, (project_id, metric, day)
            assert (expected is None and pd.isna(row["expected"])) or \
                row["expected"] == pytest.approx(expected, rel=1e-9), (project_id, metric, day)
            assert (pd.isna(row["percent"]) and pct is None) or row["percent"] == pytest.approx(pct, rel=1e-9)
            assert row["score"] == score, (project_id, metric, day, pct)
            checked += 1
    assert checked == 50


def test_the_programme_figure_for_2015_reads_38701_against_13000_and_scores_a_plus_plus(shipped):
    database = db.open_database(ROOT / "data")
    programme = database.programme
    with metrics.using(programme):
        pic = results.picture(database, _params(programme))
        rows = results.progress(pic, dt.date(2015, 12, 31), programme.results, programme.start, projects=False)
        row = rows[rows["metric"] == "trainees"].iloc[0].to_dict()
        assert shipped.scalar("select sum(trainees) from training where period <= date '2015-12-31'") == 38_701
        assert row["actual"] == 38_701 and row["expected"] == 13_000 and row["score"] == "A++"
        assert results.sentence(row, dt.date(2015, 12, 31)) == \
            "Health workers trained: 38,701 by December 2015, 298% of the 13,000 target: A++."


# ---- the rules: band edges, targets of zero, milestones read two ways ---------------------------------

@pytest.mark.parametrize(("actual", "target", "baseline", "score"), [
    (95, 100, None, "A"), (105, 100, None, "A+"), (125, 100, None, "A++"), (75, 100, None, "B"),
    (94.99, 100, None, "B"), (74.99, 100, None, "C"), (104.99, 100, None, "A"), (0, 100, None, "C"),
    (19, 20, None, "A"),  # exactly 95 %
    (0, 0, None, "A"), (3, 0, None, "A"),  # a target of zero is met by anything at or above it
    (0.645, 0.8, 0.45, "C"), (0.7825, 0.8, 0.45, "A"),  # from the baseline: (0.7825 - 0.45) / 0.35 = 95 %
    (0.4, 0.8, 0.45, "C"),  # below the baseline: negative %, the lowest band
    (0.45, 0.45, 0.45, "A"), (0.44, 0.45, 0.45, "C"),  # a target equal to its baseline
])
def test_scores_hold_their_band_edges(actual, target, baseline, score):
    assert results.score(actual, target, baseline, programmes.Results()) == score


def test_a_target_equal_to_its_baseline_has_no_percentage():
    assert results.percent_achieved(5, 0, None) is None
    assert results.percent_achieved(19, 20, None) == 95


def test_milestones_are_interpolated_or_taken_when_last_due():
    due, values = [dt.date(2012, 12, 31), dt.date(2014, 12, 31)], [100.0, 300.0]
    start = dt.date(2012, 1, 1)
    assert results.expected_at(due, values, start, None, dt.date(2012, 1, 1), "interpolate") is None  # not started
    assert results.expected_at(due, values, start, None, dt.date(2012, 1, 2), "interpolate") == pytest.approx(100 / 365)
    assert results.expected_at(due, values, start, None, dt.date(2012, 12, 31), "interpolate") == 100
    middle = dt.date(2013, 12, 31)
    assert results.expected_at(due, values, start, None, middle, "interpolate") == pytest.approx(
        100 + 200 * (middle - due[0]).days / (due[1] - due[0]).days)
    assert results.expected_at(due, values, start, None, dt.date(2019, 1, 1), "interpolate") == 300
    assert results.expected_at(due, values, start, 40.0, dt.date(2012, 1, 2), "interpolate") == pytest.approx(
        40 + 60 / 365)
    assert results.expected_at(due, values, start, None, dt.date(2012, 6, 30), "last due") is None
    assert results.expected_at(due, values, start, None, middle, "last due") == 100
    assert results.expected_at(due, values, start, None, dt.date(2015, 1, 1), "last due") == 300


def test_bands_that_overlap_leave_gaps_or_do_not_start_at_zero_are_refused(definition):
    base = definition.to_dict()
    cases = {
        "overlap": ([{"score": "A", "from": 0, "to": 100}, {"score": "B", "from": 90}], "overlap"),
        "gap": ([{"score": "A", "from": 0, "to": 90}, {"score": "B", "from": 95}], "gap between A"),
        "start": ([{"score": "A", "from": 10}], "must start at 0"),
        "open top": ([{"score": "A", "from": 0, "to": 100}], "leave its 'to' out"),
        "twice": ([{"score": "A", "from": 0, "to": 50}, {"score": "A", "from": 50}], "listed twice"),
    }
    for bands, message in cases.values():
        with pytest.raises(programmes.DefinitionError) as caught:
            programmes.parse({**base, "results": {"bands": bands}})
        assert any(where.startswith("results.bands") and message in text for where, text in caught.value.problems)
    with pytest.raises(programmes.DefinitionError, match="between_milestones"):
        programmes.parse({**base, "results": {"between_milestones": "sometimes"}})
    custom = programmes.parse({**base, "results": {"between_milestones": "last due", "bands": [
        {"score": "Off track", "from": 0, "to": 80}, {"score": "On track", "from": 80}]}})
    assert custom.results.score(80).score == "On track" and custom.results.between_milestones == "last due"
    assert programmes.parse(custom.to_dict()) == custom


# ---- bad targets are refused with file, row and column, nothing changed --------------------------------

def _targets_csv(tmp_path, rows: list[list[str]]):
    header = schema.table("targets").column_names
    folder = tmp_path / "upload"
    write_rows(folder / "targets.csv", [header, *rows])
    return folder


@pytest.mark.parametrize(("row", "column", "rule"), [
    (["project", "NOPE-1", "trainees", "2015-12-31", "100", "", ""], "project_id", "unknown-reference"),
    (["project", "HPS-001", "smiles", "2015-12-31", "100", "", ""], "metric", "not-allowed"),
    (["project", "HPS-001", "countries_trained", "2015-12-31", "100", "", ""], "metric", "not-allowed"),
    (["project", "HPS-001", "trainees", "2030-12-31", "100", "", ""], "due_date", "outside-programme"),
    (["project", "HPS-001", "trainees", "2015-12-31", "-5", "", ""], "target", "below-minimum"),
    (["project", "HPS-001", "trainees", "2015-12-31", "lots", "", ""], "target", "not-a-number"),
    (["project", "", "trainees", "2015-12-31", "100", "", ""], "project_id", "project-missing"),
    (["programme", "HPS-001", "trainees", "2015-12-31", "100", "", ""], "project_id", "project-for-programme"),
    (["team", "", "trainees", "2015-12-31", "100", "", ""], "scope", "not-allowed"),
])
def test_a_bad_target_is_refused_with_its_row_and_column(data_store, tmp_path, row, column, rule):
    before = snapshot(data_store)
    result = extract_io.import_extract(_targets_csv(tmp_path, [row]), data_store)
    assert not result.ok and snapshot(data_store) == before
    problem = next(p for p in result.report.problems if p.rule == rule)
    assert (problem.file, problem.row, problem.column) == ("targets.csv", 2, column)
    assert problem.message


def test_two_targets_for_the_same_scope_metric_and_date_are_refused(data_store, tmp_path):
    same = ["programme", "", "trainees", "2015-12-31", "13000", "", "published"]
    result = extract_io.import_extract(_targets_csv(tmp_path, [same, [*same[:4], "14000", "", ""]]), data_store)
    problem = next(p for p in result.report.problems if p.rule == "duplicate-key")
    assert problem.row == 3 and "row 2" in problem.message


def test_good_targets_import_with_thousands_and_decimals(data_store, tmp_path):
    rows = [["programme", "", "trainees", "2015-12-31", "13,000", "", "published"],
            ["programme", "", "women_share", "2019-03-31", "0.5", "0.4", ""]]
    result = extract_io.import_extract(_targets_csv(tmp_path, rows), data_store)
    assert result.ok, result.report.to_text()
    stored = pq.read_table(data_store / "versions" / result.version / "targets.parquet").to_pylist()
    assert [(r["metric"], r["target"], r["baseline"]) for r in stored] == [("trainees", 13000.0, None),
                                                                         ("women_share", 0.5, 0.4)]


# ---- a store with no targets, and a project with none -----------------------------------------------

def _copy_with_targets(fixture_dir, tmp_path, keep) -> tuple:
    out = tmp_path / "extract"
    shutil.copytree(fixture_dir, out)
    table = pq.read_table(out / "targets.parquet")
    kept = table.filter(pa.array([keep(r) for r in table.to_pylist()]))
    if kept.num_rows:
        pq.write_table(kept, out / "targets.parquet")
    else:
        (out / "targets.parquet").unlink()  # an extract made before targets existed
    return out, kept


def test_an_extract_without_targets_opens_and_says_no_target_set(fixture_dir, tmp_path, monkeypatch):
    extract, _ = _copy_with_targets(fixture_dir, tmp_path, lambda r: False)
    database = db.open_database(extract)
    assert db.run_query(database, "targets_list").empty
    with serving(extract, monkeypatch):
        at = make_app("pages/results.py")
        assert any("no target set" in i.value.lower() for i in at.info)
        overview = make_app("pages/overview.py")
        assert not [c for c in overview.caption if "of the" in c.value and "target" in c.value]


def test_a_project_with_no_targets_says_so(fixture_dir, tmp_path, monkeypatch):
    extract, kept = _copy_with_targets(fixture_dir, tmp_path, lambda r: r["project_id"] != "HPS-002")
    assert "HPS-002" not in kept.column("project_id").to_pylist()
    with serving(extract, monkeypatch):
        at = make_app("pages/partnerships.py", query={"project": ["HPS-002"]})
        assert any(i.value == "No target set for this project." for i in at.info)
        page = make_app("pages/results.py")
        expander = next(e for e in page.expander if "no target set" in e.label)
        assert "HPS-002" in set(expander.dataframe[0].value["project_id"])


# ---- the Results page ---------------------------------------------------------------------------------

def test_results_page_scores_the_programme_and_every_project(app_data, fixture_db, fixture_picture):
    at = make_app("pages/results.py", query={"asof": ["2015Q4"]})
    programme = fixture_db.programme
    with metrics.using(programme):
        expected = results.progress(fixture_picture, dt.date(2015, 12, 31), programme.results, programme.start)
    tiles = metrics_shown(at)
    for row in expected[expected["scope"] == "programme"].to_dict("records"):
        assert tiles[row["indicator"]] == row["score"]
    shown = _projects_table(at)
    projects = expected[expected["scope"] == "project"]
    assert len(shown) == len(projects)
    assert dict(zip(zip(shown["project_id"], shown["indicator"]), shown["score"])) == \
        dict(zip(zip(projects["project_id"], projects["indicator"]), projects["score"]))
    assert any(m.value.replace("\\", "").startswith("Health workers trained: ") and "December 2015" in m.value
               for m in at.markdown)


def test_results_table_filters_to_the_projects_behind(app_data):
    at = make_app("pages/results.py", query={"score": ["B", "C"]})
    shown = _projects_table(at)
    assert len(shown) and set(shown["score"]) <= {"B", "C"}
    assert all(float(p) < 0.95 for p in shown["achieved"])


def test_a_large_programme_judges_its_projects_when_the_section_is_opened(app_data, monkeypatch):
    from impact.app import results_view

    eager = _projects_table(make_app("pages/results.py"))
    monkeypatch.setattr(results_view, "EAGER_TARGETS", 10)
    at = make_app("pages/results.py")
    assert not [d for d in at.dataframe if "achieved" in d.value.columns], "judged before it was opened"
    assert any(e.label.startswith("Every project against its targets (") for e in at.expander)
    at.session_state["results_projects"] = True  # the person opens it
    at.run()
    assert _projects_table(at).equals(eager)
    linked = make_app("pages/results.py", query={"score": ["B", "C"]})  # a link that picks scores: at once
    assert set(_projects_table(linked)["score"]) <= {"B", "C"}


def test_a_programme_target_under_a_country_filter_says_it_cannot_be_split(app_data, independent):
    at = make_app("pages/results.py", query={"country": ["UGA"]})
    assert any("cannot be split" in i.value for i in at.info)
    assert not at.metric  # no programme tiles under the filter
    ugandan = {p for (p,) in independent.rows("select project_id from projects where iso3 = 'UGA'")}
    assert set(_projects_table(at)["project_id"]) <= ugandan


PROGRAMME_TARGET_SQL = ("select due_date, target from targets where scope = 'programme' and metric = 'trainees' "
                        "order by due_date desc limit 1")


def _judged_at_due(sql: Independent) -> tuple[dt.date, float, int, float, str]:
    """Plain SQL: the programme's trainees end target, what was trained by its due date, its % and score."""
    (due, target), = sql.rows(PROGRAMME_TARGET_SQL)
    by_due = sql.scalar("select sum(trainees) from training where period <= $d", {"d": due})
    pct, score = sql.rows(f"select pct, {SCORE_SQL} from (select case when $e = 0 then null else 100.0 * $a / $e "
                          "end as pct)", {"a": by_due, "e": target})[0]
    return due, target, by_due, pct, score


def _tile_lines(at) -> list[str]:
    return [line for c in at.caption for line in c.value.replace("\\", "").split("  \n")]


def test_overview_tiles_judge_a_target_past_due_at_its_due_date(app_data, independent):
    """The results run on after the trainees target fell due: the tile says what was trained by its due date and
    that figure's % (plain SQL), not the later total against the earlier target."""
    due, target, by_due, pct, score = _judged_at_due(independent)
    assert independent.scalar("select max(period) from training") > due  # results came in after it
    at = make_app("pages/overview.py")
    text = f"{by_due:,} by {due:%B %Y}, {pct:,.0f}% of the {target:,.0f} target: {score}."
    assert text in _tile_lines(at), _tile_lines(at)


def test_the_shipped_hps_target_is_judged_at_the_end_of_2015_on_every_page(shipped, monkeypatch):
    """THET's report: 38,701 trained by 2015 against the 13,000 target (298%), not the 93,112 of 2019 (716%)."""
    due, target, by_due, pct, score = _judged_at_due(shipped)
    assert (due, target, by_due, f"{pct:.0f}", score) == (dt.date(2015, 12, 31), 13_000, 38_701, "298", "A++")
    expected = "38,701 by December 2015, 298% of the 13,000 target: A++."
    with serving(ROOT / "data", monkeypatch):
        assert expected in _tile_lines(make_app("pages/overview.py"))
        for asof in ([], ["2019Q1"], ["2017Q2"], ["2015Q4"]):
            page = make_app("pages/results.py", query={"asof": asof} if asof else None)
            assert _sentence(page, "Health workers trained:") == f"Health workers trained: {expected}"
            assert metrics_shown(page)["Health workers trained"] == "A++"


def test_a_project_target_past_due_is_judged_at_its_due_date(fixture_dir, tmp_path, monkeypatch):
    """A project whose results go on after its end target fell due: judged on what it had done by then (plain
    SQL), the same on the Results page's path (SQL per quarter judged at) and the whole picture's."""
    extract = tmp_path / "extract"
    shutil.copytree(fixture_dir, extract)
    project, first_due = Independent(fixture_dir).rows(
        "select project_id, min(due_date) from targets where scope = 'project' and metric = 'trainees' "
        "group by 1 having count(*) > 1 order by 1 limit 1")[0]
    table = pq.read_table(extract / "targets.parquet")  # its first milestone becomes its end target
    pq.write_table(table.filter(pa.array([not (r["project_id"] == project and r["metric"] == "trainees"
                                                and r["due_date"] > first_due) for r in table.to_pylist()])),
                   extract / "targets.parquet")
    sql = Independent(extract)
    target = sql.scalar("select target from targets where project_id = $p and metric = 'trainees'", {"p": project})
    by_due = sql.scalar("select sum(trainees) from training where project_id = $p and period <= $d",
                        {"p": project, "d": first_due})
    assert sql.scalar("select sum(trainees) from training where project_id = $p", {"p": project}) > by_due
    database = db.open_database(extract)
    programme = database.programme
    with metrics.using(programme):
        whole = results.picture(database, _params(programme))
        for day in (whole.latest, first_due + dt.timedelta(days=200)):
            new = results.project_progress(database, _params(programme), day)
            old = results.progress(whole, day, programme.results, programme.start, programme_scope=False)
            pd.testing.assert_frame_equal(results.exact(new, programme.results).reset_index(drop=True),
                                          old.reset_index(drop=True), check_dtype=False)
            row = new[(new["project_id"] == project) & (new["metric"] == "trainees")].iloc[0].to_dict()
            assert (row["actual"], row["judged_at"], row["expected"]) == (by_due, first_due, target)
            assert row["percent"] == pytest.approx(100 * by_due / target)
            assert results.sentence(row, day).startswith(
                f"Health workers trained: {by_due:,} by {first_due:%B %Y}, {100 * by_due / target:,.0f}% of the ")
    with serving(extract, monkeypatch):
        shown = _projects_table(make_app("pages/results.py"))
        row = shown[(shown["project_id"] == project) & (shown["indicator"] == "Health workers trained")].iloc[0]
        assert (row["actual"], row["judged_at"]) == (by_due, first_due)


# ---- exports: the table, the chart, the deck --------------------------------------------------------

def test_results_table_exports_numbers_as_numbers_and_formula_safe_text(fixture_db):
    frame = pd.DataFrame([{"project_id": "P-1", "title": "=HYPERLINK(\"http://x\")", "country": "Uganda",
                           "indicator": "Health workers trained", "end_target": 350.0, "end_due": dt.date(2016, 12, 31),
                           "expected": 350.0, "actual": 304.0, "achieved": 304 / 350, "score": "B",
                           "of_end": 304 / 350, "how": "cumulative"}])
    spec = catalog.RESULTS_TABLE
    text = export.csv_bytes(spec, frame).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and ",304," in text
    from openpyxl import load_workbook

    with metrics.using(fixture_db.programme):
        book = load_workbook(io.BytesIO(export.xlsx_bytes(spec, frame, export.Provenance.of(fixture_db, "All"))))
    sheet = book["Data"]
    header = [c.value for c in sheet[1]]
    values = dict(zip(header, [c for c in sheet[2]]))
    assert values["Title"].value.startswith("'=") and values["Title"].data_type == "s"
    assert values["Actual"].value == 304 and values["% achieved"].value == pytest.approx(304 / 350)
    assert values["% achieved"].number_format == "0%"


def test_milestone_chart_exports_its_numbers_and_a_native_line_chart(fixture_db, fixture_picture, independent,
                                                                     tmp_path):
    from pptx import Presentation

    programme = fixture_db.programme
    with metrics.using(programme):
        spec = catalog.chart("results", {"metric": "trainees"})
        frame = spec.fetch(fixture_db, _params(programme), {"metric": "trainees"})
        due = frame[frame["target"].notna()]
        assert list(due["target"]) == [13_000]
        at_due = frame[frame["date"] == dt.date(2015, 12, 31)].iloc[0]
        assert at_due["trainees"] == independent.scalar(
            "select sum(trainees) from training where period <= date '2015-12-31'")
        talk = deck.Deck(name="Results", slides=(deck.Slide(chart="results", options={"metric": "trainees"}),))
        slides = deck.prepare(talk, lambda s, o: s.fetch(fixture_db, _params(programme), o))
        data = deck_writers.build(talk, slides, export.Provenance.of(fixture_db, "All"), "pptx")
    chart = next(shape.chart for slide in Presentation(io.BytesIO(data)).slides for shape in slide.shapes
                 if shape.has_chart)
    names = [s.name for s in chart.series]
    assert names == ["Health workers trained", "Expected by then (milestone path)", "Target due"]
    assert chart.has_legend
    target = chart.series[2]
    assert [v for v in target.values if v is not None] == [13_000]
    assert target.format.line.fill.type is not None  # drawn as markers with no line


def test_export_chart_results_from_the_command_line(fixture_dir, tmp_path, independent):
    from impact import cli

    out = tmp_path / "results.csv"
    code = cli.main(["export", "chart", "results", "--option", "metric=trainees", "--option", "project_id=HPS-001",
                     "--format", "csv", "--out", str(out), "--data-dir", str(fixture_dir)])
    assert code == 0
    rows = read_rows(out)
    assert rows[0] == ["Date", "Health workers trained", "Expected by then (milestone path)", "Target due"]
    last = rows[-1]
    assert float(last[1]) == independent.scalar(
        "select sum(trainees) from training where project_id = 'HPS-001' and period <= $d",
        {"d": dt.date.fromisoformat(last[0])})
    targets = {(r[0], float(r[3])) for r in rows[1:] if r[3]}
    assert targets == {(str(d), t) for d, t in independent.rows(
        "select due_date, target from targets where project_id = 'HPS-001' and metric = 'trainees'")}


def test_the_definitions_results_section_round_trips(definition):
    data = json.loads(definition.to_json())
    assert data["results"]["between_milestones"] == "interpolate"
    assert [b["score"] for b in data["results"]["bands"]] == ["C", "B", "A", "A+", "A++"]
    assert programmes.parse(data) == definition


def test_independent_sql_reads_the_fixture(fixture_dir):
    assert Independent(fixture_dir).scalar("select count(*) from targets") > 0


def test_results_page_offers_the_programmes_iati_file(app_data, tmp_path):
    from lxml import etree

    from impact.interchange import iati

    at = make_app("pages/results.py")
    button = next(b for b in at.get("download_button") if b.proto.label == "Download IATI 2.03 XML")
    assert button.proto.label
    definition = programmes.load(app_data)
    assert definition.iati is not None and iati.section(definition)
    database = db.open_database(app_data)
    from impact.query import iati as publishing

    published = publishing.publish(database)
    assert published.valid and published.activities == len(db.run_query(database, "projects_in_scope", _params(
        database.programme)))
    assert etree.fromstring(published.xml).tag == "iati-activities"


@pytest.mark.parametrize("folder", ["fixture", "gsp"])
def test_the_programme_picture_equals_the_programmes_part_of_the_whole_picture(fixture_dir, folder):
    """The Overview's tiles are judged from the programme's quarterly totals (latest values as changes); every
    metric at every quarter, and every judgement, equals the picture built project by project — for the fixture
    and for the shipped GSP, whose definition has a latest-value indicator and a target on it."""
    from impact.model import metrics as metric_defs
    from impact.query import db
    from impact.query import results as res
    from impact.query.filters import Filters
    from tests.conftest import ROOT

    database = db.open_database(fixture_dir if folder == "fixture" else ROOT / "data" / "programmes" / "gsp")
    with metric_defs.using(database.programme):
        whole = res.picture(database, Filters().params())
        alone = res.programme_picture(database)
        assert alone.grid == whole.grid and alone.latest == whole.latest
        pd.testing.assert_frame_equal(alone.programme.sort_index(), whole.programme.sort_index(), check_exact=False,
                                      rtol=1e-12, check_names=False)
        latest_kind = [k for k in metric_defs.targetable() if metric_defs.metric(k).aggregation == "latest"]
        if folder == "gsp":  # the case the changes are for
            assert latest_kind and set(latest_kind) <= set(alone.programme.index)
            assert set(latest_kind) & set(alone.targets["metric"])
        assert len(alone.targets) > 0
        for day in (whole.latest, dt.date(2015, 12, 31), dt.date(2013, 6, 30)):
            judged = [res.progress(p, day, database.programme.results, database.programme.start, projects=False)
                      for p in (alone, whole)]
            pd.testing.assert_frame_equal(judged[0].drop(columns=["title", "country"]),
                                          judged[1].drop(columns=["title", "country"]))


@pytest.mark.parametrize("folder", ["fixture", "gsp"])
@pytest.mark.parametrize("reading", ["interpolate", "last due"])
def test_project_progress_equals_the_projects_part_of_the_whole_picture(fixture_dir, folder, reading):
    """The Results page's projects are judged at the grain it shows them (each project's actual as of the date and
    what its milestones expect, from SQL); every row, at every quarter's end and a due date, with and without
    filters, under both readings of a date between milestones, equals the judgement built from every project's
    whole history (scores exactly; % exactly once `exact`)."""
    import dataclasses

    from impact.model import metrics as metric_defs
    from impact.query.filters import Filters

    database = db.open_database(fixture_dir if folder == "fixture" else ROOT / "data" / "programmes" / "gsp")
    database = dataclasses.replace(database, programme=dataclasses.replace(
        database.programme, results=dataclasses.replace(database.programme.results, between_milestones=reading)))
    programme = database.programme
    with metric_defs.using(programme):
        unfiltered = Filters().params()
        region = str(db.run_query(database, "filter_choices", {})["region"].iloc[0])
        filter_sets = [unfiltered, {**unfiltered, "period_from": dt.date(2016, 1, 1)},
                       {**unfiltered, "regions": [region]}]
        for params in filter_sets:
            whole = results.picture(database, params)
            due = sorted(set(whole.targets["due_date"]))
            days = [calendar.quarter_end(q) for q in whole.grid][::3] + [whole.latest, due[len(due) // 2],
                                                                        programme.start - dt.timedelta(days=1)]
            for day in days:
                old = results.progress(whole, day, programme.results, programme.start, programme_scope=False)
                new = results.project_progress(database, params, day)
                assert list(new["score"]) == list(old["score"]), (params, day)
                pd.testing.assert_frame_equal(results.exact(new, programme.results).reset_index(drop=True),
                                              old.reset_index(drop=True), check_dtype=False)


# ---- one run, one data version ------------------------------------------------------------------------

def test_a_version_made_active_mid_run_is_read_by_the_next_run_not_this_one(data_store, tmp_path, monkeypatch,
                                                                            compiled_imports):
    """`begin_run` fixes the version a run reads: an import landing mid-run (here just after the sidebar is drawn)
    changes nothing the results view or the returns view read in that run — they judge and report on the version
    the run started with, as `session.query` counts on it — and the next run reads the new one."""
    from impact.app import session, sidebar
    from impact.query import reporting
    from impact.storage import store

    newer = extract_io.import_extract(_targets_csv(tmp_path, [["programme", "", "trainees", "2015-12-31", "26000", "", "newer"]]), data_store)
    assert newer.ok, newer.report.to_text()
    store.open_store(data_store).switch(store.BASE_VERSION)
    mid_run = {"on": True}
    begin, notice = session.begin_run, sidebar.data_notice

    def begin_on_the_older():
        if mid_run["on"]:
            store.open_store(data_store).switch(store.BASE_VERSION)
        begin()

    def notice_then_import_lands():
        notice()
        if mid_run["on"]:
            store.open_store(data_store).switch(newer.version)

    read = []  # (what, version) of every database the views judged or reported on

    def spying(name, original):
        def spy(database, *args, **kwargs):
            read.append((name, database.version))
            return original(database, *args, **kwargs)
        return spy

    for module, name in ((results, "programme_picture"), (results, "project_progress"), (reporting, "status")):
        monkeypatch.setattr(module, name, spying(name, getattr(module, name)))
    monkeypatch.setattr(session, "begin_run", begin_on_the_older)
    monkeypatch.setattr(sidebar, "data_notice", notice_then_import_lands)
    with serving(data_store, monkeypatch):
        at = make_app("pages/results.py", query={"asof": ["2015Q4"]})
        sentence = _sentence(at, "Health workers trained:")
        assert "of the 13,000 target" in sentence, sentence
        assert len(_projects_table(at)) > 0  # the project targets of the version the run started with
        overview = make_app("pages/overview.py")
        assert any("of the 13,000 target" in c.value for c in overview.caption)
        make_app("pages/partnerships.py", query={"project": ["HPS-001"]})  # its returns: when it last reported
        assert {what for what, _ in read} == {"programme_picture", "project_progress", "status"}
        assert {version for _, version in read} == {store.BASE_VERSION}, read
        mid_run["on"] = False  # the import has landed: the next run reads it
        at.run()
        sentence = _sentence(at, "Health workers trained:")
        assert "of the 26,000 target" in sentence, sentence
        assert ("programme_picture", newer.version) in read
