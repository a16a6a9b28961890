"""A region only (issue 25, item 4): an activity that names a recipient region and no country imports as a project
whose country is not known and whose region is the programme's region for it (`iati.regions`), or — a programme
started from the file — a region of its own; it is counted among the region's projects and budgets, listed under
"Country not known", never counted as a country; and it is published back with its region."""

from __future__ import annotations

import json

import pytest
from lxml import etree

from impact.interchange import iati
from impact.model import iso3166
from impact.model import programme as programmes
from impact.query import db
from impact.query import iati as publishing
from impact.query.filters import Filters
from impact.storage import store
from tests import iati_fixtures as fx
from tests.conftest import ROOT, make_app, serving
from tests.data_helpers import make_store, snapshot

ORG = [(fx.IMPLEMENTING, "GB-CHC-220949", "Tropical Health Trust")]
REGIONAL = fx.Spec(f"{fx.PUBLISHER}-R1", [("en", "Regional nursing council support")], ORG,
                   {"1": "2016-01-01", "3": "2017-12-31"}, regions=["289"], sectors=[("1", "12181", None)],
                   budgets=[("2016-01-01", "2016-12-31", "50000", None), ("2017-01-01", "2017-12-31", "25000", None)])
UGANDA = fx.Spec(f"{fx.PUBLISHER}-R2", [("en", "Surgery in Uganda")], ORG, {"1": "2016-01-01", "3": "2017-12-31"},
                 countries=[("UG", None)], sectors=[("1", "12181", None)],
                 budgets=[("2016-01-01", "2017-12-31", "80000", None)])


def _store(tmp_path, regions: dict | None):
    root = fx.make_iati_store(tmp_path / "store")
    definition = json.loads((root / programmes.FILE).read_text(encoding="utf-8"))
    if regions is not None:
        definition["iati"]["regions"] = regions
    (root / programmes.FILE).write_text(json.dumps(definition), encoding="utf-8")
    path = tmp_path / "funder.xml"
    path.write_bytes(fx.document(specs=[REGIONAL, UGANDA]))
    return root, path


@pytest.fixture(scope="module")
def regional(tmp_path_factory):
    root, path = _store(tmp_path_factory.mktemp("regional"), {"289": "East Africa"})
    done = iati.import_iati(path, location=root)
    assert done.ok, done.report.to_text()
    database = db.open_database(store.open_store(root).active().path)
    yield root, path, database
    database.connection.close()


def test_the_project_is_in_its_region_with_its_country_not_known(regional):
    _, path, database = regional
    (project_id, iso3, budget), = database.connection.execute(
        "select project_id, iso3, budget from projects where project_id = ?", [REGIONAL.identifier]).fetchall()
    assert iso3166.is_not_known(iso3) and iso3 not in iso3166.ALPHA3
    assert budget == sum(int(v) for v in etree.fromstring(path.read_bytes()).xpath(
        f"iati-activity[iati-identifier='{REGIONAL.identifier}']/budget/value/text()"))
    assert database.connection.execute("select name, region from countries where iso3 = ?", [iso3]).fetchall() == [
        (iso3166.NOT_KNOWN_NAME, "East Africa")]


def test_the_region_counts_it_and_no_country_is_added(regional):
    _, _, database = regional
    region = db.run_query(database, "headline_totals", Filters(region=("East Africa",)).params()).iloc[0]
    projects = database.connection.execute(
        "select count(*), sum(budget), count(distinct iso3) filter (where iso3 not like 'X%') "
        "from projects join countries using (iso3) where region = 'East Africa'").fetchone()
    assert (region["projects"], region["budget_gbp"], region["countries_active"]) == projects
    assert projects[0] == 2 and projects[2] == 1  # the regional project and Uganda's; one country (Uganda)
    listed = db.run_query(database, "country_metrics", Filters().params())
    row = listed[listed["country"] == iso3166.NOT_KNOWN_NAME].iloc[0]
    assert (row["region"], row["projects"]) == ("East Africa", 1)


def test_it_is_published_with_its_region_and_no_country(regional):
    _, _, database = regional
    published = publishing.publish(database)
    assert published.valid, published.problems[:3]
    activity = next(a for a in etree.fromstring(published.xml).iter("iati-activity")
                    if a.findtext("iati-identifier") == REGIONAL.identifier)
    assert activity.find("recipient-country") is None
    assert [(r.get("code"), r.get("vocabulary")) for r in activity.findall("recipient-region")] == [("289", "1")]


def test_the_countries_page_lists_it_as_country_not_known(regional, monkeypatch):
    root, _, _ = regional
    with serving(root, monkeypatch):
        at = make_app("pages/countries.py")
        assert any(iso3166.NOT_KNOWN_NAME in set(frame.value["country"]) for frame in at.dataframe
                   if "country" in frame.value.columns)


def test_without_a_region_mapping_it_is_refused_naming_the_choice(tmp_path):
    root, path = _store(tmp_path, None)
    before = snapshot(root)
    done = iati.import_iati(path, location=root)
    assert not done.ok and snapshot(root) == before
    (reason,) = [r for o in done.outcomes if o.identifier == REGIONAL.identifier for r in o.reasons]
    assert reason.rule == "iati-no-country" and "iati.regions" in reason.message and "289" in reason.message


def test_a_region_mapped_to_no_region_of_the_programme_is_refused_where_it_is_written():
    definition = programmes.load(ROOT / "data").to_dict()
    definition["iati"]["regions"] = {"289": "Atlantis"}
    with pytest.raises(programmes.DefinitionError) as refused:
        programmes.parse(definition)
    assert any(where == "iati.regions.289" for where, _ in refused.value.problems)


def test_a_programme_started_from_the_file_keeps_the_iati_region_as_its_own(tmp_path):
    root = make_store(ROOT / "data", tmp_path / "store")
    path = tmp_path / "funder.xml"
    path.write_bytes(fx.document(specs=[REGIONAL, UGANDA]))
    done = iati.import_iati(path, location=root, programme="regional")
    assert done.ok, done.report.to_text()
    active = store.open_store(root, "regional").active()
    definition = store.load_definition(active.path)
    assert definition.iati.regions == {"289": "IATI region 289"}
    assert "IATI region 289" in definition.values("region")
    countries = {r["iso3"]: r for r in store.read_table(active.path, "countries").to_pylist()}
    projects = {definition.iati.activity_id(r["project_id"]): r
                for r in store.read_table(active.path, "projects").to_pylist()}  # by the identifier as published
    here = countries[projects[REGIONAL.identifier]["iso3"]]
    assert (here["name"], here["region"]) == (iso3166.NOT_KNOWN_NAME, "IATI region 289")
