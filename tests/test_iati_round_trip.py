"""The IATI round trip (issue 25, item 6): a file read into a new programme and published again (`export iati`)
equals the file on every element the product models — identifiers, the publisher, titles, participating
organisations with their refs and types, status, the four activity dates, recipient countries, every sector with
its vocabulary and percentage, every year's budget — and validates against the shipped 2.03 schema; reading the
published file back into the programme creates no new project. The expected elements are read from both files
with lxml, activity by activity (by iati-identifier)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from impact.interchange import iati
from impact.query import db
from impact.query import iati as publishing
from impact.storage import store
from tests import iati_fixtures as fx
from tests.conftest import ROOT
from tests.data_helpers import make_store

ACCOUNTABLE, EXTENDING = "2", "3"
SPECS = [
    # the publisher's own identifier; three DAC 5-digit sectors and one of its own vocabulary, with percentages;
    # a budget per year (one with cents); a funder, the publisher as accountable and two implementers
    fx.Spec(f"{fx.PUBLISHER}-RT-1", [("en", "Surgical skills in Mbarara")],
            [(fx.FUNDING, "XM-DAC-7", "Ministry of Foreign Affairs"),
             (ACCOUNTABLE, fx.PUBLISHER, "Stichting Health Partners"),
             (fx.IMPLEMENTING, "GB-CHC-220949", "Tropical Health Trust"),
             (fx.IMPLEMENTING, None, "Mbarara Regional Referral Hospital")],
            {"1": "2016-04-01", "2": "2016-05-15", "3": "2018-03-31", "4": "2018-06-30"},
            countries=[("UG", None)],
            sectors=[("1", "12181", "50"), ("1", "12220", "30"), ("1", "12261", "20"), ("99", "SURG", "100")],
            budgets=[("2016-04-01", "2017-03-31", "120000", None), ("2017-04-01", "2018-03-31", "130000.50", None),
                     ("2018-04-01", "2018-06-30", "15000", None)],
            status="4", org_types={"XM-DAC-7": "10", fx.PUBLISHER: "21", "GB-CHC-220949": "21"},
            sector_names={"SURG": "Surgery"}, budget_status="1"),
    # another publisher's identifier (kept whole); DAC 5 and publisher sectors (vocabulary 98 and 99); planned and
    # actual start, a planned end only; an extending organisation
    fx.Spec("XM-DAC-7-PPR-25275", [("en", "Midwifery mentoring in Kisumu")],
            [(fx.FUNDING, "XM-DAC-7", "Ministry of Foreign Affairs"),
             (EXTENDING, fx.PUBLISHER, "Stichting Health Partners"),
             (fx.IMPLEMENTING, "KE-NCB-8877", "Kenya Midwives Association")],
            {"1": "2017-01-01", "2": "2017-02-01", "3": "2019-12-31"},
            countries=[("KE", "100")],
            sectors=[("1", "13020", "70"), ("1", "12281", "30"), ("98", "MID-1", None), ("99", "MNH", "100")],
            budgets=[("2017-01-01", "2017-12-31", "40000", None), ("2018-01-01", "2018-12-31", "45000", None),
                     ("2019-01-01", "2019-12-31", "50000", None)],
            status="2", org_types={"XM-DAC-7": "10", fx.PUBLISHER: "21", "KE-NCB-8877": "22"}),
    # in its pipeline: planned dates only; one sector without a percentage; one implementer with no ref
    fx.Spec(f"{fx.PUBLISHER}-RT-3", [("en", "Laboratory quality in Zomba")],
            [(fx.IMPLEMENTING, None, "Zomba Central Hospital")],
            {"1": "2019-01-01", "3": "2019-12-31"}, countries=[("MW", None)], sectors=[("1", "12191", None)],
            budgets=[("2019-01-01", "2019-12-31", "60000", None)], status="1"),
]


def _decimal(text: str | None) -> Decimal | None:
    return Decimal(text) if text not in (None, "") else None


def modelled(activity) -> dict:
    """Every element of an activity that the product models, in a canonical form: attributes compared as values
    (a percentage 50 is 50.0, a budget 130000.50 is 130000.5), repeated elements as sorted lists; a sector without
    a vocabulary is DAC 5-digit (1) and a value without a currency is in the activity's default currency."""
    default = activity.get("default-currency")
    reporting = activity.find("reporting-org")
    return {
        "iati-identifier": activity.findtext("iati-identifier"),
        "reporting-org": (reporting.get("ref"), reporting.get("type"), reporting.findtext("narrative")),
        "title": activity.findtext("title/narrative"),
        "participating-org": sorted((o.get("role"), o.get("ref") or "", o.get("type") or "",
                                     o.findtext("narrative") or "") for o in activity.findall("participating-org")),
        "activity-status": activity.find("activity-status").get("code"),
        "activity-date": sorted((d.get("type"), d.get("iso-date")) for d in activity.findall("activity-date")),
        "recipient-country": sorted((c.get("code"), _decimal(c.get("percentage")))
                                    for c in activity.findall("recipient-country")),
        "sector": sorted((s.get("vocabulary") or "1", s.get("code"), _decimal(s.get("percentage")) or Decimal(-1),
                          s.findtext("narrative") or "") for s in activity.findall("sector")),
        "budget": sorted((b.get("type"), b.get("status") or "", b.find("period-start").get("iso-date"),
                          b.find("period-end").get("iso-date"), Decimal(b.findtext("value")),
                          b.find("value").get("currency") or default, b.find("value").get("value-date"))
                         for b in activity.findall("budget")),
    }


def _published(root: Path, programme: str) -> publishing.Published:
    database = db.open_database(store.open_store(root, programme).active().path)
    try:
        return publishing.publish(database)
    finally:
        database.connection.close()


@pytest.fixture(scope="module")
def trip(tmp_path_factory):
    """The file, a store with a programme started from it, and its first publication."""
    folder = tmp_path_factory.mktemp("trip")
    root = make_store(ROOT / "data", folder / "store")
    path = folder / "funder.xml"
    path.write_bytes(fx.document(specs=SPECS))
    done = iati.import_iati(path, location=root, programme="trip")
    assert done.ok, done.report.to_text()
    return path, root, _published(root, "trip")


def test_the_published_file_equals_the_file_read_on_every_modelled_element(trip):
    path, _, published = trip
    assert published.valid, published.problems[:3]
    source = {a.findtext("iati-identifier"): modelled(a) for a in etree.fromstring(path.read_bytes()).iter("iati-activity")}
    written = {a.findtext("iati-identifier"): modelled(a) for a in etree.fromstring(published.xml).iter("iati-activity")}
    assert sorted(written) == sorted(source) == sorted(s.identifier for s in SPECS)
    for identifier, elements in source.items():
        for name, value in elements.items():
            assert written[identifier][name] == value, (identifier, name)


def test_the_tables_keep_every_year_and_sector_as_published(trip):
    """The project's grant value is the budgets' total; each year and each sector is a row of its own."""
    _, root, _ = trip
    folder = store.open_store(root, "trip").active().path
    projects = {p["project_id"]: p for p in store.read_table(folder, "projects").to_pylist()}
    budgets = store.read_table(folder, "iati_budgets").to_pylist()
    sectors = store.read_table(folder, "iati_sectors").to_pylist()
    first = SPECS[0].identifier.removeprefix(f"{fx.PUBLISHER}-")
    assert projects[first]["budget"] == 265001  # 120000 + 130000.50 + 15000, rounded half up
    assert [b["amount"] for b in budgets if b["project_id"] == first] == [120000, 130000.5, 15000]
    assert sorted((s["vocabulary"], s["code"], s["percentage"]) for s in sectors if s["project_id"] == first) == [
        ("1", "12181", 50), ("1", "12220", 30), ("1", "12261", 20), ("99", "SURG", 100)]
    assert "XM-DAC-7-PPR-25275" in projects  # another publisher's identifier, kept whole


def test_reading_the_published_file_back_creates_no_new_project_and_publishes_the_same(trip, tmp_path):
    _, root, published = trip
    folder = store.open_store(root, "trip").active().path
    before = sorted(store.read_table(folder, "projects").column("project_id").to_pylist())
    again = tmp_path / "published.xml"
    again.write_bytes(published.xml)
    done = iati.import_iati(again, location=root, programme="trip")
    assert done.ok, done.report.to_text()
    folder = store.open_store(root, "trip").active().path
    assert sorted(store.read_table(folder, "projects").column("project_id").to_pylist()) == before
    first = {a.findtext("iati-identifier"): modelled(a) for a in etree.fromstring(published.xml).iter("iati-activity")}
    second = _published(root, "trip")
    assert second.valid, second.problems[:3]
    assert {a.findtext("iati-identifier"): modelled(a) for a in etree.fromstring(second.xml).iter("iati-activity")} \
        == first


def test_a_project_changed_since_is_published_from_its_own_values(trip, tmp_path):
    """A grant value or theme changed after the import: the published budgets and sectors would contradict it, so
    the project's own value is published (one budget; its theme's sectors)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    _, root, _ = trip
    copy = make_store(store.open_store(root, "trip").active().path, tmp_path / "changed")
    projects = pq.read_table(copy / "projects.parquet")
    first = SPECS[0].identifier.removeprefix(f"{fx.PUBLISHER}-")
    changed = pc.if_else(pc.equal(projects.column("project_id"), first), 300000, projects.column("budget"))
    pq.write_table(projects.set_column(projects.schema.get_field_index("budget"), "budget", changed),
                   copy / "projects.parquet")
    database = db.open_database(copy)
    try:
        out = etree.fromstring(publishing.publish(database).xml)
    finally:
        database.connection.close()
    activity = next(a for a in out.iter("iati-activity") if a.findtext("iati-identifier") == SPECS[0].identifier)
    assert [b.findtext("value") for b in activity.findall("budget")] == ["300000"]
    kept = next(a for a in out.iter("iati-activity") if a.findtext("iati-identifier") == SPECS[1].identifier)
    assert len(kept.findall("budget")) == 3
