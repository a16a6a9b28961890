"""A programme started from an IATI file alone (`import-iati FILE --programme NEW`): its definition read from
the file, its projects, institutions, countries and budgets from the activities, training, volunteering,
outcomes and scores empty — and every page runs on it; a refused creation leaves nothing behind."""

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
    active = store.active(started, "funder")
    definition = store.load_definition(active.path)
    root = etree.fromstring(fx.document())
    assert definition.iati.reporting_org_ref == root.find("iati-activity/reporting-org").get("ref")
    assert definition.managed_by == root.findtext("iati-activity/reporting-org/narrative")
    days = sorted(d.get("iso-date") for d in root.iter("activity-date"))
    assert (definition.start.year, definition.end.year) == (int(days[0][:4]), int(days[-1][:4]))
    for name in ("training", "volunteering", "outcomes", "partnership_scores", "targets"):
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
