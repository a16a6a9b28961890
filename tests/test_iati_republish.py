"""Re-importing the dashboard's own IATI export (issue 25): `export iati` of the HPS, read back with `import-iati`,
publishes the same activities again — the same status and the same four dates on every one — and those stay the
dashboard's own: computed from each project's dates and the data's latest quarter (`activity-status` carries
`impact:from-dates`), so they move on with the data instead of being frozen as they were on the day of the export.
Another publisher's status and dates are kept as published while the project's dates are those it published; a
project whose dates changed since is published with the status its new dates give. Expected values are read from
the files with lxml, and the status computed here from the dates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from lxml import etree

from impact.interchange import iati
from impact.query import db
from impact.query import iati as publishing
from impact.storage import store
from tests import iati_fixtures as fx
from tests.conftest import ROOT
from tests.data_helpers import make_store
from tests.test_iati_round_trip import SPECS, modelled

HPS_LATEST = dt.date(2019, 3, 31)  # the last day of the HPS's latest quarter with data


def _publish(folder: Path) -> bytes:
    database = db.open_database(folder)
    try:
        published = publishing.publish(database)
    finally:
        database.connection.close()
    assert published.valid, published.problems[:3]
    return published.xml


def _by_id(xml: bytes) -> dict[str, etree._Element]:
    return {a.findtext("iati-identifier"): a for a in etree.fromstring(xml).iter("iati-activity")}


def _status(start: dt.date, end: dt.date, latest: dt.date) -> str:
    """IATI ActivityStatus from the dates, as the README says: 1 not started, 2 running, 3 ended in the latest
    quarter, 4 ended before it."""
    if start > latest:
        return "1"
    if end > latest:
        return "2"
    return "3" if end >= dt.date(latest.year, (latest.month - 1) // 3 * 3 + 1, 1) else "4"


@pytest.fixture(scope="module")
def hps(tmp_path_factory):
    """The HPS's export, and a store whose HPS was re-imported from it."""
    folder = tmp_path_factory.mktemp("republish")
    root = make_store(ROOT / "data", folder / "store")
    first = _publish(store.open_store(root, "hps").active().path)
    path = folder / "hps.xml"
    path.write_bytes(first)
    done = iati.import_iati(path, root, programme="hps")
    assert done.ok, done.report.to_text()
    return root, first


def test_re_importing_the_hps_export_publishes_the_same_status_and_dates(hps):
    root, first = hps
    before, again = _by_id(first), _by_id(_publish(store.open_store(root, "hps").active().path))
    assert sorted(again) == sorted(before) and len(before) == 210
    for identifier, activity in before.items():
        assert modelled(again[identifier]) == modelled(activity), identifier
    statuses = {a.find("activity-status").get("code") for a in before.values()}
    assert statuses == {"3", "4"}  # the HPS ended with its latest quarter: finalisation and closed
    # and the projects are the ones published: the same ids, dates and grant values
    projects = {p["project_id"]: p for p in store.read_table(store.open_store(root, "hps").active().path,
                                                              "projects").to_pylist()}
    shipped = {p["project_id"]: p for p in pq.read_table(ROOT / "data" / "projects.parquet").to_pylist()}
    assert {k: (p["start_date"], p["end_date"], p["budget"]) for k, p in projects.items()} == {
        k: (p["start_date"], p["end_date"], p.get("budget", p.get("budget_gbp"))) for k, p in shipped.items()}


def test_the_status_and_dates_stay_the_dashboards_and_move_on_with_the_project(hps, tmp_path):
    root, first = hps
    version = store.open_store(root, "hps").active().path
    kept = store.read_table(version, "iati_activities").to_pylist()
    assert kept and all(r["status"] is None and r["planned_start"] is None and r["actual_end"] is None for r in kept)
    assert all(a.find("activity-status").get(f"{{{iati.NS}}}{iati.FROM_DATES}") == "true"
               for a in _by_id(first).values())
    # HPS-001 closed in 2016 (status 4); its grant extended to the programme's end: published as the new dates say
    copy = make_store(version, tmp_path / "changed")
    projects = pq.read_table(copy / "projects.parquet")
    new_end = dt.date(2019, 3, 31)
    ends = pc.if_else(pc.equal(projects.column("project_id"), "HPS-001"), pa_date(new_end), projects.column("end_date"))
    pq.write_table(projects.set_column(projects.schema.get_field_index("end_date"), "end_date", ends),
                   copy / "projects.parquet")
    activity = _by_id(_publish(copy))["GB-CHC-1113101-HPS-001"]
    was = _by_id(first)["GB-CHC-1113101-HPS-001"]
    start = dt.date.fromisoformat(was.find("activity-date[@type='1']").get("iso-date"))
    assert was.find("activity-status").get("code") == "4"
    assert activity.find("activity-status").get("code") == _status(start, new_end, HPS_LATEST) == "3"
    assert activity.find("activity-date[@type='3']").get("iso-date") == new_end.isoformat()


def test_another_publishers_status_is_kept_only_while_its_dates_are(tmp_path):
    root = make_store(ROOT / "data", tmp_path / "store")
    path = tmp_path / "funder.xml"
    path.write_bytes(fx.document(specs=SPECS))
    assert iati.import_iati(path, root, programme="trip").ok
    version = store.open_store(root, "trip").active().path
    source = _by_id(path.read_bytes())
    published = _by_id(_publish(version))
    for identifier, activity in source.items():  # as published: the publisher's own status and dates
        assert published[identifier].find("activity-status").get("code") == activity.find("activity-status").get("code")
        assert published[identifier].find("activity-status").get(f"{{{iati.NS}}}{iati.FROM_DATES}") is None
    # the first activity (closed, status 4, ended 2018-06-30) extended: its status from its new dates
    copy = make_store(version, tmp_path / "changed")
    projects = pq.read_table(copy / "projects.parquet")
    first = SPECS[0].identifier.removeprefix(f"{fx.PUBLISHER}-")
    row = next(p for p in projects.to_pylist() if p["project_id"] == first)
    definition = store.load_definition(version)
    new_end = definition.end
    ends = pc.if_else(pc.equal(projects.column("project_id"), first), pa_date(new_end), projects.column("end_date"))
    pq.write_table(projects.set_column(projects.schema.get_field_index("end_date"), "end_date", ends),
                   copy / "projects.parquet")
    activity = _by_id(_publish(copy))[SPECS[0].identifier]
    assert source[SPECS[0].identifier].find("activity-status").get("code") == "4"
    status = activity.find("activity-status")
    assert status.get(f"{{{iati.NS}}}{iati.FROM_DATES}") == "true"
    # a programme with no rows of data yet: its latest quarter is the window's last, which the project now ends in
    assert status.get("code") == _status(row["start_date"], new_end, definition.end) == "3"
    assert activity.find("activity-date[@type='3']").get("iso-date") == new_end.isoformat()


def pa_date(day: dt.date):
    import pyarrow as pa

    return pa.scalar(day, pa.date32())
