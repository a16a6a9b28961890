"""A programme started from an IATI file alone (`import-iati FILE --programme NEW`): its definition read from
the file, its projects, institutions, countries and budgets from the activities, training, volunteering,
scores empty, its results the outcomes and targets of indicators made from the file — and every page runs on it; a refused creation leaves nothing behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from impact import cli
from impact.storage import store
from tests import iati_fixtures as fx
from tests.conftest import ROOT, make_app, serving
from tests.data_helpers import make_store, snapshot

CHARTED = {"pages/overview.py", "pages/workforce.py", "pages/volunteering.py", "pages/countries.py"}
PAGES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))


@pytest.fixture(scope="module")
def started(tmp_path_factory) -> Path:
    """A store holding HPS and a programme 'funder' started from the fixture file (the activities that map)."""
    folder = tmp_path_factory.mktemp("started")
    root = make_store(ROOT / "data", folder / "store")
    path = folder / "funder.xml"
    path.write_bytes(fx.document())
    assert cli.main(["import-iati", str(path), "--programme", "funder", "--accept-valid",
                     "--data-dir", str(root)]) == 0
    return root


def test_the_programme_is_read_from_the_file(started):
    assert sorted(store.programmes(started)) == ["funder", "hps"]
    active = store.open_store(started, "funder").active()
    definition = store.load_definition(active.path)
    root = etree.fromstring(fx.document())
    assert definition.iati.reporting_org_ref == root.find("iati-activity/reporting-org").get("ref")
    assert definition.managed_by == root.findtext("iati-activity/reporting-org/narrative")
    days = sorted(d.get("iso-date") for d in root.iter("activity-date"))
    assert (definition.start.year, definition.end.year) == (int(days[0][:4]), int(days[-1][:4]))
    for name in ("training", "volunteering", "partnership_scores"):  # outcomes and targets: the file's results
        assert store.read_table(active.path, name).num_rows == 0, name
    projects = store.read_table(active.path, "projects").to_pylist()
    # the identifiers re-published are the file's: the publisher's prefix and the project id
    assert {definition.iati.activity_id(p["project_id"]) for p in projects} <= set(
        root.xpath("iati-activity/iati-identifier/text()"))
    assert projects and all(p["iso3"] for p in projects)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_on_a_programme_with_nothing_reported_yet(page, started, monkeypatch):
    with serving(started, monkeypatch):
        at = make_app(page, query={"programme": ["funder"]})
        assert not at.exception, [e.value for e in at.exception]
        assert at.title and at.title[0].value
        if page in CHARTED:  # the charts say why they are empty: nothing reported yet, not the filters
            said = [i.value for i in at.info]
            assert said and all("not reported yet" in s for s in said if "Health workers trained" in s), said


def test_a_refused_new_programme_leaves_nothing_behind(tmp_path, capsys):
    root = make_store(ROOT / "data", tmp_path / "store")
    before = snapshot(root)
    path = tmp_path / "old.xml"
    path.write_bytes(fx.document(None, "1.05"))
    assert cli.main(["import-iati", str(path), "--programme", "newone", "--accept-valid",
                     "--data-dir", str(root)]) == 1
    assert "IATI Datastore" in capsys.readouterr().out
    assert list(store.programmes(root)) == ["hps"] and snapshot(root) == before
    assert not any("newone" in str(p) for p in root.rglob("*")), list(root.rglob("*newone*"))


def test_results_become_indicators_targets_and_outcomes(started):
    """Result indicators counted in units become the new programme's indicators; each period's target, added up to
    its end, a target; each period's total actual (not its parts by dimension) an outcome in the quarter it ends."""
    import datetime as dt

    active = store.open_store(started, "funder").active()
    definition = store.load_definition(active.path)
    codes = {i.label: i.code for i in definition.indicators}
    root = etree.fromstring(fx.document())
    imported = {definition.iati.activity_id(p) for p in store.read_table(active.path, "projects")
                .column("project_id").to_pylist()}
    titles = {t for a in root.iter("iati-activity") for t in a.xpath("result/indicator[@measure='1']/title/narrative/text()")}
    assert set(codes) == titles  # a percentage indicator (measure 2) is not made an indicator
    want_targets, want_actuals = set(), {}
    for a in root.iter("iati-activity"):
        identifier = a.findtext("iati-identifier")
        if identifier not in imported:
            continue
        project = identifier.removeprefix(definition.iati.prefix + "-")
        for indicator in a.xpath("result/indicator[@measure='1']"):
            code, total = codes[indicator.findtext("title/narrative")], 0.0
            for period in sorted(indicator.findall("period"), key=lambda p: p.find("period-end").get("iso-date")):
                end = dt.date.fromisoformat(period.find("period-end").get("iso-date"))
                total += float(period.find("target").get("value"))
                want_targets.add((project, code, end, total))
                quarter = dt.date(end.year, 3 * ((end.month - 1) // 3) + 1, 1)
                actual = sum(float(x.get("value")) for x in period.findall("actual") if x.find("dimension") is None)
                want_actuals[(project, code, quarter)] = want_actuals.get((project, code, quarter), 0) + actual
    targets = {(r["project_id"], r["metric"], r["due_date"], r["target"])
               for r in store.read_table(active.path, "targets").to_pylist()}
    actuals = {(r["project_id"], r["indicator"], r["period"]): r["value"]
               for r in store.read_table(active.path, "outcomes").to_pylist()}
    assert targets == want_targets and want_targets
    assert actuals == want_actuals and want_actuals


def test_an_empty_fact_table_never_wipes_out_rows_in_use(tmp_path):
    """A table of training with no rows imports for a programme that reports none; into one with rows it is
    refused (it would remove them all), and nothing changes."""
    from impact.ingest import extract_io
    from impact.model import schema

    root = make_store(ROOT / "data", tmp_path / "store")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "training.csv").write_text(",".join(schema.table("training").column_names) + "\n", encoding="utf-8")
    before = snapshot(root)
    result = extract_io.import_extract(folder, root)
    assert not result.ok and [p.rule for p in result.report.problems] == ["no-rows"]
    assert "would remove them all" in result.report.problems[0].message
    assert snapshot(root) == before
