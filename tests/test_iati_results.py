"""Results into an existing programme (issue 25, item 5): an IATI file's result indicators become the programme's
targets and outcomes — matched by `iati.indicators` (reference or title) or an indicator's label; a metric the
programme counts from its own rows (trainees) takes the targets only; one that matches nothing is proposed as a new
indicator and created only when asked (`--add-indicators`); actuals by an IATI `dimension` go to the programme's own
breakdown of outcomes where it declares one. Expected rows are computed from the file with lxml."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from lxml import etree

from impact import cli
from impact.interchange import iati
from impact.model import calendar
from impact.model import programme as programmes
from impact.storage import store
from tests import iati_fixtures as fx
from tests.data_helpers import snapshot

ORG = [(fx.IMPLEMENTING, "GB-CHC-220949", "Tropical Health Trust")]
MAPPED = "Nurses reporting better skills"  # mapped by iati.indicators to an HPS outcome indicator
NEW = "Clinics with oxygen"  # matches nothing: proposed
SPEC = fx.Spec(f"{fx.PUBLISHER}-E1", [("en", "Nursing skills")], ORG, {"1": "2016-01-01", "3": "2017-12-31"},
               countries=[("UG", None)], sectors=[("1", "12181", None)],
               budgets=[("2016-01-01", "2017-12-31", "90000", None)],
               results=[("Skilled workforce", MAPPED, "1", "5",
                         [("2016-01-01", "2016-06-30", "40", "30", "18"), ("2016-07-01", "2016-12-31", "60", "65", "40")]),
                        ("Skilled workforce", "Health workers trained", "1", None,  # the trainees metric's label
                         [("2016-01-01", "2016-12-31", "200", "150", None)]),
                        ("Equipment", NEW, "1", None, [("2016-01-01", "2016-12-31", "12", "9", None)])])
INDICATOR = "uk_volunteers_improved_skills"


def _store(tmp_path, disaggregate: bool = False):
    root = fx.make_iati_store(tmp_path / "store")
    definition = json.loads((root / programmes.FILE).read_text(encoding="utf-8"))
    definition["iati"]["indicators"] = {MAPPED: INDICATOR}
    if disaggregate:  # the programme's outcomes broken down by sex (IATI's dimension name)
        definition["disaggregations"] = [{"key": "sex", "label": "Sex", "tables": ["outcomes"], "iati_name": "sex",
                                          "values": ["Female", "Male", "Not recorded"]}]
    (root / programmes.FILE).write_text(json.dumps(definition), encoding="utf-8")
    path = tmp_path / "funder.xml"
    path.write_bytes(fx.document(specs=[SPEC]))
    return root, path


def _indicator(data: bytes, title: str):
    return etree.fromstring(data).xpath(f"//indicator[title/narrative='{title}']")[0]


def _periods(indicator) -> list[tuple[dt.date, Decimal, Decimal]]:
    """(period end, target, actual total) of each period, from the file."""
    return [(dt.date.fromisoformat(p.find("period-end").get("iso-date")), Decimal(p.find("target").get("value")),
             Decimal(p.xpath("actual[not(dimension)]/@value")[0])) for p in indicator.findall("period")]


def _active(root):
    folder = store.open_store(root).active().path
    return folder, {name: store.read_table(folder, name).to_pylist() for name in ("targets", "outcomes")}


def test_mapped_results_become_targets_and_outcomes_and_a_metric_takes_its_targets(tmp_path):
    root, path = _store(tmp_path)
    done = iati.import_iati(path, location=root)
    assert done.ok, done.report.to_text()
    _, tables = _active(root)
    project = SPEC.identifier
    mapped = _periods(_indicator(path.read_bytes(), MAPPED))
    cumulative, expected_targets = Decimal(0), []
    for end, target, _ in mapped:
        cumulative += target
        expected_targets.append((INDICATOR, end, float(cumulative), 5.0))
    trained = _periods(_indicator(path.read_bytes(), "Health workers trained"))
    expected_targets += [("trainees", end, float(target), None) for end, target, _ in trained]
    assert sorted((t["metric"], t["due_date"], t["target"], t["baseline"]) for t in tables["targets"]
                  if t["project_id"] == project) == sorted(expected_targets)
    assert sorted((o["indicator"], o["period"], o["value"]) for o in tables["outcomes"]) == sorted(
        (INDICATOR, calendar.quarter_start(end), int(actual)) for end, _, actual in mapped)
    notes = "; ".join(done.outcomes[0].notes)
    assert "the programme counts trainees from its own rows" in notes
    assert "iati_clinics_with_oxygen" in notes and "--add-indicators" in notes
    assert list(done.proposed) == ["iati_clinics_with_oxygen"]


def test_a_new_indicator_is_created_only_when_asked(tmp_path, capsys):
    root, path = _store(tmp_path)
    assert cli.main(["import-iati", str(path), "--data-dir", str(root)]) == 0
    said = capsys.readouterr().out
    assert "new indicators proposed" in said and f"iati_clinics_with_oxygen: {NEW}" in said
    folder, tables = _active(root)
    assert "iati_clinics_with_oxygen" not in {i.code for i in store.load_definition(folder).indicators}
    assert cli.main(["import-iati", str(path), "--data-dir", str(root), "--add-indicators"]) == 0
    assert "new indicators created" in capsys.readouterr().out
    folder, tables = _active(root)
    created = {i.code: i for i in store.load_definition(folder).indicators}["iati_clinics_with_oxygen"]
    assert created.label == NEW
    (end, target, actual), = _periods(_indicator(path.read_bytes(), NEW))
    assert [(t["due_date"], t["target"]) for t in tables["targets"] if t["metric"] == created.code] == [(end, float(target))]
    assert [(o["period"], o["value"]) for o in tables["outcomes"] if o["indicator"] == created.code] == [
        (calendar.quarter_start(end), int(actual))]


def test_results_replace_the_projects_own_and_keep_the_others(tmp_path):
    """A target of the project for another metric and another project's targets are kept; the file's metrics of
    the project are replaced."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    root, path = _store(tmp_path)
    assert iati.import_iati(path, location=root).ok
    folder, tables = _active(root)
    extra = [{"scope": "programme", "project_id": None, "metric": "volunteer_days", "due_date": dt.date(2017, 12, 31),
              "target": 100.0, "baseline": None, "note": "kept"}]
    table = pa.Table.from_pylist(tables["targets"] + extra, schema=pq.read_schema(folder / "targets.parquet"))
    pq.write_table(table, tmp_path / "targets.parquet")
    from impact.ingest import extract_io

    assert extract_io.import_extract(tmp_path / "targets.parquet", root).ok
    assert iati.import_iati(path, location=root).ok
    _, again = _active(root)
    assert sorted(map(str, again["targets"])) == sorted(map(str, tables["targets"] + extra))


def test_actuals_by_sex_go_to_the_programmes_own_breakdown(tmp_path):
    root, path = _store(tmp_path, disaggregate=True)
    done = iati.import_iati(path, location=root)
    assert done.ok, done.report.to_text()
    _, tables = _active(root)
    expected = []
    for period in _indicator(path.read_bytes(), MAPPED).findall("period"):
        end = dt.date.fromisoformat(period.find("period-end").get("iso-date"))
        for actual in period.xpath("actual[dimension]"):
            expected.append((calendar.quarter_start(end), actual.find("dimension").get("value").capitalize(),
                             int(actual.get("value"))))
    assert sorted((o["period"], o["sex"], o["value"]) for o in tables["outcomes"] if o["indicator"] == INDICATOR) \
        == sorted(expected)
    assert expected  # the fixture gives women's actuals


def test_an_unknown_key_in_the_mapping_is_said_and_nothing_else_changes(tmp_path):
    root, path = _store(tmp_path)
    definition = json.loads((root / programmes.FILE).read_text(encoding="utf-8"))
    definition["iati"]["indicators"] = {MAPPED: "no_such_metric"}
    (root / programmes.FILE).write_text(json.dumps(definition), encoding="utf-8")
    before = snapshot(root)
    done = iati.import_iati(path, location=root, check_only=True)
    assert "no_such_metric (iati.indicators) is not a metric a target can be set for" in "; ".join(
        done.outcomes[0].notes)
    assert snapshot(root) == before  # a check writes nothing
