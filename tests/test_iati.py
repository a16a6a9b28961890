"""Publishing to IATI and reading IATI back: the shipped HPS and GSP data as IATI 2.03 activity files that the
official schema accepts, whose results equal an independent computation over the Parquet files, and which
read back into the same projects; files that are not IATI 2.03, or activities that cannot be mapped, are
refused by name and change nothing."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from lxml import etree

from impact import cli
from impact.interchange import iati
from impact.model import metrics, schema
from impact.model import programme as programmes
from impact.query import db
from impact.query import iati as publishing
from impact.storage import store
from tests.conftest import ROOT, Independent
from tests.data_helpers import make_store, snapshot

HPS = ROOT / "data"
GSP = ROOT / "data" / "programmes" / "gsp"
NS = {"impact": iati.NS}


def _publish(folder: Path) -> publishing.Published:
    database = db.open_database(folder)
    try:
        return publishing.publish(database)
    finally:
        database.connection.close()


@pytest.fixture(scope="module")
def hps() -> publishing.Published:
    return _publish(HPS)


@pytest.fixture(scope="module")
def gsp() -> publishing.Published:
    return _publish(GSP)


@pytest.fixture(scope="module")
def hps_file(hps, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("iati") / "hps.xml"
    path.write_bytes(hps.xml)
    return path


@pytest.fixture
def hps_store(tmp_path) -> Path:
    """A fresh data store holding a copy of the shipped HPS extract."""
    return make_store(HPS, tmp_path / "store")


def _official_schema() -> etree.XMLSchema:
    """The shipped schema as the README says to load it, without the product's own loader."""
    return etree.XMLSchema(etree.parse(str(ROOT / "schemas" / "iati-2.03" / "iati-activities-schema.xsd")))


def _tree(data: bytes):
    return etree.fromstring(data).getroottree()


def _periods(data: bytes, definition: programmes.Programme) -> list[dict]:
    """Every result period in a file: project, metric, due date, target and actual (None when absent)."""
    prefix = f"{definition.iati.prefix}-"
    with metrics.using(definition):
        by_label = {metrics.metric(key).label: key for key in metrics.targetable()}
    out = []
    for activity in _tree(data).getroot().iter("iati-activity"):
        project = activity.findtext("iati-identifier").removeprefix(prefix)
        for result in activity.iter("result"):
            metric = by_label[result.findtext("title/narrative")]
            for period in result.iter("period"):
                actual = period.find("actual")
                out.append({"project_id": project, "metric": metric,
                            "start": dt.date.fromisoformat(period.find("period-start").get("iso-date")),
                            "due": dt.date.fromisoformat(period.find("period-end").get("iso-date")),
                            "target": float(period.find("target").get("value")),
                            "actual": None if actual is None else float(actual.get("value"))})
    return out


def _latest(sql: Independent) -> dt.date:
    """The last day of the latest quarter with any result row, computed independently."""
    latest = max(sql.scalar(f"select max(period) from {t}") for t in ("training", "volunteering", "outcomes"))
    month = latest.month + 2
    return dt.date(latest.year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)


def _cumulative(sql: Independent, definition: programmes.Programme, metric: str, due: dt.date,
                projects: list[str]) -> float:
    """Plain SQL: the metric added up over `projects` for every quarter starting on or before `due`."""
    where = "project_id in (select unnest($projects)) and period <= $due"
    sources = {"trainees": "select sum(trainees) from training", "volunteer_days": "select sum(volunteer_days) from volunteering"}
    if metric in sources:
        return float(sql.scalar(f"{sources[metric]} where {where}", {"projects": projects, "due": due}) or 0)
    indicator = definition.indicator(metric)
    assert indicator is not None and indicator.aggregation == "sum", f"no independent computation for {metric}"
    return float(sql.scalar(f"select sum(value) from outcomes where indicator = $metric and {where}",
                            {"metric": metric, "projects": projects, "due": due}) or 0)


# ---- the schema ---------------------------------------------------------------------------------

def test_the_schema_is_loaded_from_its_own_folder_and_never_from_the_network():
    folder = ROOT / "schemas" / "iati-2.03"
    for name in ("iati-activities-schema.xsd", "iati-common.xsd"):
        locations = re.findall(r'schemaLocation="([^"]+)"', (folder / name).read_text(encoding="utf-8"))
        assert locations and all("://" not in loc and (folder / loc).is_file() for loc in locations), locations
    built, loaded = iati.load_schema(folder)
    assert sorted(loaded) == ["iati-activities-schema.xsd", "iati-common.xsd", "xml.xsd"]
    assert (folder / "SOURCE.md").read_text(encoding="utf-8").count("4c9ba1e84815f57a4ffab03fdbd551ae4c71d08c") == 1
    assert "Release 2.03" in (folder / "iati-activities-schema.xsd").read_text(encoding="utf-8")


def test_a_schema_reaching_for_a_network_address_is_refused(tmp_path):
    folder = ROOT / "schemas" / "iati-2.03"
    for name in ("iati-activities-schema.xsd", "iati-common.xsd"):
        text = (folder / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text.replace('schemaLocation="xml.xsd"',
                                                  'schemaLocation="http://www.w3.org/2001/xml.xsd"'), encoding="utf-8")
    with pytest.raises(iati.SchemaError, match="http://www.w3.org/2001/xml.xsd"):
        iati.load_schema(tmp_path)


# ---- export --------------------------------------------------------------------------------------

def test_the_hps_file_validates_against_the_shipped_2_03_schema(hps):
    assert hps.valid, hps.problems[:5]
    official = _official_schema()
    official.assertValid(_tree(hps.xml))
    root = _tree(hps.xml).getroot()
    assert root.tag == "iati-activities" and root.get("version") == "2.03"
    dt.datetime.fromisoformat(root.get("generated-datetime"))


def test_the_gsp_file_validates_too(gsp):
    assert gsp.valid, gsp.problems[:5]
    _official_schema().assertValid(_tree(gsp.xml))
    assert gsp.activities == Independent(GSP).scalar("select count(*) from projects") == 36


def test_one_activity_per_project_identified_by_the_prefix(hps, shipped):
    definition = programmes.load(HPS)
    root = _tree(hps.xml).getroot()
    identifiers = [a.findtext("iati-identifier") for a in root.iter("iati-activity")]
    projects = [r[0] for r in shipped.rows("select project_id from projects order by project_id")]
    assert hps.activities == len(identifiers) == len(projects) == 210
    assert identifiers == [f"{definition.iati.reporting_org_ref}-{p}" for p in projects]
    first = root.find("iati-activity")
    assert first.get("{http://www.w3.org/XML/1998/namespace}lang") == "en" and first.get("default-currency") == "GBP"
    assert first.find("reporting-org").get("ref") == "GB-CHC-1113101"
    roles = [o.get("role") for o in first.iter("participating-org")]
    assert roles[:2] == ["1", "3"] and set(roles[2:]) == {"4"}
    partners = shipped.scalar("select count(*) from project_partners where project_id = $p", {"p": projects[0]})
    assert len(roles) - 2 == partners
    assert first.find("recipient-country").get("code") == "UG"  # HPS-001 works in Uganda (UGA)


@pytest.mark.parametrize("programme", ["hps", "gsp"])
def test_result_actuals_add_up_to_the_programme_figure_at_each_due_date(programme, hps, gsp):
    folder, published = (HPS, hps) if programme == "hps" else (GSP, gsp)
    sql, definition = Independent(folder), programmes.load(folder)
    latest = _latest(sql)
    periods = _periods(published.xml, definition)
    sums: dict[tuple[str, dt.date], float] = {}
    having: dict[tuple[str, dt.date], list[str]] = {}
    for p in periods:
        assert (p["actual"] is not None) == (p["due"] <= latest), p
        if p["actual"] is not None:
            sums[p["metric"], p["due"]] = sums.get((p["metric"], p["due"]), 0) + p["actual"]
            having.setdefault((p["metric"], p["due"]), []).append(p["project_id"])
    assert len(sums) > 20
    for (metric, due), total in sums.items():
        expected = _cumulative(sql, definition, metric, due, having[metric, due])
        assert total == pytest.approx(expected, abs=1e-6), (metric, due)
    # and over the whole programme: every project's actual at the last due date of each metric
    assert sum(p["actual"] or 0 for p in periods) == pytest.approx(sum(sums.values()))
    assert published.actuals == sum(1 for p in periods if p["actual"] is not None)


def test_target_values_equal_the_targets_table(hps, shipped):
    definition = programmes.load(HPS)
    written = sorted((p["project_id"], p["metric"], p["due"], p["target"]) for p in _periods(hps.xml, definition))
    table = sorted((r[0], r[1], r[2], float(r[3])) for r in shipped.rows(
        "select project_id, metric, due_date, target from targets where scope = 'project'"))
    assert written == table and len(table) == hps.targets == hps.periods == 2525
    assert hps.results == shipped.scalar(
        "select count(*) from (select distinct project_id, metric from targets where scope = 'project')") == 973
    # each period runs from the day after the previous due date (or the project's start) to its due date
    starts = dict(shipped.rows("select project_id, start_date from projects"))
    previous: dict[tuple[str, str], dt.date] = {}
    for p in _periods(hps.xml, definition):
        key = (p["project_id"], p["metric"])
        assert p["start"] == (previous[key] + dt.timedelta(days=1) if key in previous else starts[p["project_id"]])
        previous[key] = p["due"]


def test_a_share_is_published_as_a_percentage_with_its_baseline(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    store_dir = make_store(GSP, tmp_path / "gsp")
    path = store_dir / "targets.parquet"
    targets = pq.read_table(path)
    extra = pa.table({"scope": ["project"], "project_id": ["GSP-001"], "metric": ["prescribing_compliance"],
                      "due_date": [dt.date(2021, 12, 31)], "target": [0.8], "baseline": [0.5], "note": ["test"]},
                     schema=targets.schema)
    pq.write_table(pa.concat_tables([targets, extra]), path)
    published = _publish(store_dir)
    assert published.valid, published.problems[:3]
    activity = next(a for a in _tree(published.xml).getroot().iter("iati-activity")
                    if a.findtext("iati-identifier").endswith("-GSP-001"))
    indicator = next(r.find("indicator") for r in activity.iter("result")
                     if r.findtext("title/narrative") == "Prescribing that follows guidelines")
    assert indicator.get("measure") == "2"
    assert [(b.get("year"), b.get("value")) for b in indicator.findall("baseline")] == [("2020", "50")]
    period = indicator.find("period")
    sql = Independent(GSP)
    audited, compliant = (sql.scalar("select sum(value) from outcomes where project_id = 'GSP-001' and indicator = $i "
                                     "and period <= date '2021-12-31'", {"i": code})
                          for code in ("prescriptions_audited", "prescriptions_compliant"))
    assert period.find("target").get("value") == "80"
    assert float(period.find("actual").get("value")) == pytest.approx(100 * compliant / audited, rel=1e-9)


def test_dates_and_status_follow_the_latest_data(hps, shipped):
    latest = _latest(shipped)
    dates = {r[0]: (r[1], r[2]) for r in shipped.rows("select project_id, start_date, end_date from projects")}
    statuses = {}
    for activity in _tree(hps.xml).getroot().iter("iati-activity"):
        pid = activity.findtext("iati-identifier").removeprefix("GB-CHC-1113101-")
        kinds = {d.get("type"): dt.date.fromisoformat(d.get("iso-date")) for d in activity.iter("activity-date")}
        start, end = dates[pid]
        assert kinds["1"] == start and kinds["3"] == end
        assert ("2" in kinds) == (start <= latest) and ("4" in kinds) == (end <= latest)
        statuses[pid] = activity.find("activity-status").get("code")
        budget = activity.find("budget/value")
        assert int(budget.text) == shipped.scalar("select budget from projects where project_id = $p", {"p": pid})
    # the HPS data ends in March 2019: projects ending in that quarter are in finalisation, the others closed
    ending_last = {p for p, (_, end) in dates.items() if end >= dt.date(2019, 1, 1)}
    assert {p for p, s in statuses.items() if s == "3"} == ending_last and ending_last
    assert set(statuses.values()) == {"3", "4"}


def test_a_definition_without_an_iati_section_says_what_to_add(data_store, capsys):
    definition = programmes.load(data_store).to_dict()
    definition.pop("iati")
    (data_store / "programme.json").write_text(programmes.parse(definition).to_json(), encoding="utf-8")
    before = snapshot(data_store)
    out = data_store.parent / "out.xml"
    assert cli.main(["export", "iati", "--out", str(out), "--data-dir", str(data_store)]) == 2
    error = capsys.readouterr().err
    assert "no \"iati\" section" in error and "reporting_org_ref" in error and not out.exists()
    xml = data_store.parent / "any.xml"
    xml.write_bytes(b'<iati-activities version="2.03"/>')
    assert cli.main(["import-iati", str(xml), "--data-dir", str(data_store)]) == 2
    assert "reporting_org_ref" in capsys.readouterr().err
    assert snapshot(data_store) == before


# ---- import --------------------------------------------------------------------------------------

def _tables(folder: Path, name: str):
    frame = store.read_table(folder, name).to_pandas()
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def test_export_then_import_gives_back_the_same_projects(hps_file, hps_store):
    done = iati.import_iati(hps_file, location=hps_store)
    assert done.ok, done.report.to_text()
    active = store.open_store(hps_store).active()
    assert active.version == done.result.version != "base" and active.path.parent.name == "versions"
    # the projects' tables, and what the activities say beyond them (kept as published)
    assert done.result.replaced == sorted(["countries", "institutions", "project_partners", "projects",
                                           *schema.IATI_TABLES])
    for name in ("projects", "project_partners", "institutions", "countries", "training", "targets"):
        assert _tables(active.path, name).equals(_tables(HPS, name)), name
    assert done.mapped.activities == 210 and done.mapped.institutions_added == 0 and not done.mapped.countries_added
    manifest = store.read_manifest(active.path)
    assert manifest["sources"][0]["name"] == "hps.xml" and manifest["label"].endswith("imported from hps.xml")


def test_a_file_without_the_dashboards_own_attributes_is_read_by_the_rules(hps, hps_store, tmp_path):
    """A file published by another tool: no grant type, region or institution attributes, partners known by name."""
    root = etree.fromstring(hps.xml)
    for element in root.iter():
        for key in [k for k in element.attrib if k.startswith(f"{{{iati.NS}}}")]:
            del element.attrib[key]
    etree.cleanup_namespaces(root)
    path = tmp_path / "plain.xml"
    path.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    assert iati.NS.encode() not in path.read_bytes()
    done = iati.import_iati(path, location=hps_store)
    assert done.ok, done.report.to_text()
    folder = store.open_store(hps_store).active().path
    first_grant = programmes.load(HPS).values("grant_type")[0]
    got, shipped_projects = _tables(folder, "projects"), _tables(HPS, "projects")
    assert (got["grant_type"] == first_grant).all()  # IATI has no grant types: the definition's first
    assert got.drop(columns="grant_type").equals(shipped_projects.drop(columns="grant_type"))
    assert _tables(folder, "project_partners").equals(_tables(HPS, "project_partners"))


def _edited(hps: publishing.Published, tmp_path: Path, edit, name: str = "edited.xml") -> Path:
    root = etree.fromstring(hps.xml)
    edit(root)
    path = tmp_path / name
    path.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    return path


def _activity(root, project_id: str):
    return next(a for a in root.iter("iati-activity") if a.findtext("iati-identifier").endswith(f"-{project_id}"))


def test_an_activity_with_an_unmapped_sector_is_named(hps, hps_store, tmp_path):
    def edit(root):
        activity = _activity(root, "HPS-007")
        for sector in activity.findall("sector"):
            if sector.get("vocabulary") == "99":
                activity.remove(sector)
            else:
                sector.set("code", "99810")
    path = _edited(hps, tmp_path, edit)
    before = snapshot(hps_store)
    done = iati.import_iati(path, location=hps_store)
    assert not done.ok and done.report.total == 1
    problem = done.report.problems[0]
    assert problem.rule == "iati-unmapped-sector" and "GB-CHC-1113101-HPS-007" in problem.message
    assert "99810" in problem.message and problem.file == "edited.xml" and problem.row > 1
    assert "nothing was imported" in done.report.to_text() and ", line " in done.report.to_text()
    assert snapshot(hps_store) == before


def test_a_dac_code_shared_by_several_themes_needs_the_theme_itself(hps, hps_store, tmp_path, shipped):
    surgery = shipped.scalar("select min(project_id) from projects where theme = 'Surgery and anaesthesia'")

    def edit(root):
        activity = _activity(root, surgery)
        activity.remove(next(s for s in activity.findall("sector") if s.get("vocabulary") == "99"))
    done = iati.import_iati(_edited(hps, tmp_path, edit), location=hps_store)
    assert [p.rule for p in done.report.problems] == ["iati-ambiguous-sector"]
    assert surgery in done.report.problems[0].message and "Surgery and anaesthesia" in done.report.problems[0].message


NOT_IATI = {
    "not XML": (b"project_id,title\nHPS-001,A title\n", "iati-not-xml", "is not XML: line 1"),
    "broken XML": (b'<?xml version="1.0"?>\n<iati-activities version="2.03">\n  <iati-activity>\n</iati-activities>\n',
                   "iati-not-xml", "line 4"),
    "another root": (b"<html><body>IATI</body></html>", "iati-not-iati", "The root element is <html>"),
    "an organisation file": (b'<iati-organisations version="2.03"/>', "iati-not-iati", "organisation file"),
    "IATI 1.x": (b'<iati-activities version="1.05" generated-datetime="2013-01-01T00:00:00">'
                 b"<iati-activity><iati-identifier>GB-1-X</iati-identifier></iati-activity></iati-activities>",
                 "iati-version", "IATI version 1.05 (1.x). IATI 1.x files must be converted to 2.0x"),
    "IATI 3.01": (b'<iati-activities version="3.01"/>', "iati-version", "the 2.0x versions"),
    "an empty 2.02 file": (b'<iati-activities version="2.02"/>', "iati-no-activities", "holds no activity"),
    "no version": (b"<iati-activities><iati-activity/></iati-activities>", "iati-version", "does not say which"),
    "a stray Latin-1 byte": (b'<?xml version="1.0" encoding="UTF-8"?>\n<iati-activities version="2.03">\n'
                             b'<iati-activity><title>Caf\xe9</title></iati-activity>\n</iati-activities>\n',
                             "iati-not-xml", "line 3, column 26 has the byte 0xE9"),
    "a DOCTYPE": (b'<?xml version="1.0"?>\n<!DOCTYPE a [<!ENTITY x "xx"><!ENTITY y "&x;&x;&x;">]>\n'
                  b'<iati-activities version="2.03">&y;</iati-activities>', "iati-unsafe", "DOCTYPE"),
    "invalid 2.03": (b'<iati-activities version="2.03"><iati-activity><iati-identifier>X</iati-identifier>'
                     b"</iati-activity></iati-activities>", "iati-schema", "Activity X: not valid IATI 2.03"),
}


@pytest.mark.parametrize("case", list(NOT_IATI))
def test_a_file_that_is_not_iati_2_03_gets_a_clear_message_and_changes_nothing(case, data_store, tmp_path):
    content, rule, words = NOT_IATI[case]
    path = tmp_path / "upload.xml"
    path.write_bytes(content)
    before = snapshot(data_store)
    done = iati.import_iati(path, location=data_store)
    assert not done.ok
    assert [p.rule for p in done.report.problems] == [rule]
    assert words in done.report.problems[0].message and done.report.problems[0].file == "upload.xml"
    assert snapshot(data_store) == before


def test_leaving_out_a_project_with_results_is_refused_by_name(hps, hps_store, tmp_path):
    path = _edited(hps, tmp_path, lambda root: root.remove(_activity(root, "HPS-001")))
    before = snapshot(hps_store)
    done = iati.import_iati(path, location=hps_store)
    assert [p.rule for p in done.report.problems] == ["iati-removes-project"]
    message = done.report.problems[0].message
    assert "HPS-001" in message and "training rows" in message and "replaces the programme's projects" in message
    assert snapshot(hps_store) == before


def test_a_new_country_is_added_with_its_region_and_named_without_one(hps, hps_store, tmp_path):
    def move(region):
        def edit(root):
            country = _activity(root, "HPS-001").find("recipient-country")
            country.set("code", "BT")
            country.remove(country.find("narrative"))
            if region:
                country.set(f"{{{iati.NS}}}region", region)
            else:
                del country.attrib[f"{{{iati.NS}}}region"]
        return edit
    refused = iati.import_iati(_edited(hps, tmp_path, move(None), "unknown.xml"), location=hps_store)
    assert [p.rule for p in refused.report.problems] == ["iati-unknown-region"]
    assert "GB-CHC-1113101-HPS-001" in refused.report.problems[0].message
    assert "Bhutan (BTN)" in refused.report.problems[0].message
    assert store.open_store(hps_store).active().version == "base"
    done = iati.import_iati(_edited(hps, tmp_path, move("South Asia")), location=hps_store)
    assert done.ok, done.report.to_text()
    folder = store.open_store(hps_store).active().path
    countries = store.read_table(folder, "countries").to_pylist()
    assert countries[-1] == {"iso3": "BTN", "name": "Bhutan", "region": "South Asia"} and len(countries) == 33
    projects = {r["project_id"]: r["iso3"] for r in store.read_table(folder, "projects").to_pylist()}
    assert projects["HPS-001"] == "BTN" and done.mapped.countries_added == ["BTN"]


def _add_partner(ref: str | None, name: str):
    def edit(root):
        activity = _activity(root, "HPS-001")
        last = activity.findall("participating-org")[-1]
        org = etree.Element("participating-org", role="4", **({"ref": ref} if ref else {}))
        etree.SubElement(org, "narrative").text = name
        last.addnext(org)
    return edit


def test_a_partner_from_another_tool_is_known_by_its_ref_or_kept_by_name(hps, hps_store, tmp_path):
    """An organisation without @ref whose country nobody gives is kept by its name, its side not known (issue 25:
    it was refused); one with a ref takes its country, and side, from the ref's prefix."""
    unknown = iati.import_iati(_edited(hps, tmp_path, _add_partner(None, "Nakuru Level 5 Hospital"), "a.xml"), location=hps_store)
    assert unknown.ok, unknown.report.to_text()
    folder = store.open_store(hps_store).active().path
    named = [r for r in store.read_table(folder, "institutions").to_pylist() if r["name"] == "Nakuru Level 5 Hospital"]
    assert len(named) == 1 and named[0]["side"] == "not known" and named[0]["iso3"] is None
    assert named[0]["institution_id"].startswith("IATI-")
    roles = {(r["institution_id"], r["role"]) for r in store.read_table(folder, "project_partners").to_pylist()
             if r["project_id"] == "HPS-001"}
    assert (named[0]["institution_id"], "Lead (side not known)") in roles
    fresh = make_store(HPS, tmp_path / "fresh")
    done = iati.import_iati(_edited(hps, tmp_path, _add_partner("KE-NCB-1234", "Nakuru Level 5 Hospital")), location=fresh)
    assert done.ok, done.report.to_text()
    folder = store.open_store(fresh).active().path
    added = [r for r in store.read_table(folder, "institutions").to_pylist() if r["institution_id"] == "KE-NCB-1234"]
    first_type = programmes.load(HPS).values("institution_type")[0]
    assert added == [{"institution_id": "KE-NCB-1234", "name": "Nakuru Level 5 Hospital", "side": "Overseas",
                      "institution_type": first_type, "iso3": "KEN"}]
    roles = {(r["institution_id"], r["role"]) for r in store.read_table(folder, "project_partners").to_pylist()
             if r["project_id"] == "HPS-001"}
    # one organisation without the dashboard's roles: every role by the rule (first UK and overseas lead)
    assert roles == {("INS-00100", "UK lead"), ("INS-00132", "Overseas lead"), ("INS-00076", "UK partner"),
                     ("KE-NCB-1234", "Overseas partner")}
    assert done.mapped.institutions_added == 1


def test_a_budget_in_another_currency_is_refused(hps, hps_store, tmp_path):
    def edit(root):
        _activity(root, "HPS-003").find("budget/value").set("currency", "USD")
    done = iati.import_iati(_edited(hps, tmp_path, edit), location=hps_store)
    assert [p.rule for p in done.report.problems] == ["iati-currency"]  # was iati-budget: now a rate can be given
    assert "HPS-003" in done.report.problems[0].message and "USD" in done.report.problems[0].message
    assert "exchange_rates" in done.report.problems[0].message


def test_problems_found_by_validation_point_at_the_activity(hps, hps_store, tmp_path):
    """A value the programme does not allow is caught by the usual validation, and named in the file's terms."""
    def edit(root):
        _activity(root, "HPS-002").set(f"{{{iati.NS}}}grant-type", "Mega grant")
    done = iati.import_iati(_edited(hps, tmp_path, edit), location=hps_store)
    assert not done.ok and done.report.total == 1
    problem = done.report.problems[0]
    assert problem.file == "edited.xml" and problem.column == "grant_type" and problem.value == "Mega grant"
    assert problem.message.startswith("Activity GB-CHC-1113101-HPS-002:") and "vocabularies.grant_type" in problem.message
    line = hps.xml.decode().splitlines()[problem.row - 1]
    assert "<iati-activity " in line


# ---- the command line ----------------------------------------------------------------------------

def test_the_commands_export_and_import(data_store, tmp_path, capsys):
    out = tmp_path / "fixture.xml"
    assert cli.main(["export", "iati", "--out", str(out), "--data-dir", str(data_store)]) == 0
    said = capsys.readouterr().out
    projects = len(store.read_table(data_store, "projects"))
    assert f"{projects} activities" in said and "valid against the IATI 2.03 schema" in said
    _official_schema().assertValid(etree.parse(str(out)))
    assert cli.main(["import-iati", str(out), "--data-dir", str(data_store), "--programme", "hps"]) == 0
    said = capsys.readouterr().out
    version = store.open_store(data_store).active().version
    assert f"{projects} activities read as projects" in said and f"version {version} of programme hps" in said
    for name in ("projects", "project_partners"):
        assert _tables(store.open_store(data_store).active().path, name).equals(_tables(data_store, name))
    bad = tmp_path / "v1.xml"
    bad.write_bytes(NOT_IATI["IATI 1.x"][0])
    assert cli.main(["import-iati", str(bad), "--data-dir", str(data_store)]) == 1
    said = capsys.readouterr().out
    assert "v1.xml, line 1" in said and "must be converted to 2.0x" in said and "nothing was imported" in said
    assert store.open_store(data_store).active().version == version
    assert cli.main(["export", "iati", "--out", str(out), "--data-dir", str(data_store), "--programme", "nope"]) == 2
    assert "no programme 'nope'" in capsys.readouterr().err


def test_every_rule_is_listed():
    source = (ROOT / "impact" / "interchange" / "iati.py").read_text(encoding="utf-8")
    used = set(re.findall(r'"(iati-[a-z-]+)"', source)) - {"iati-activities", "iati-activity", "iati-identifier",
                                                          "iati-organisations"}
    assert used == set(iati.RULES)


def test_the_tables_an_import_replaces_are_the_schema_tables():
    assert set(iati.TABLES) | set(iati.KEPT) == set(schema.TABLE_NAMES)


@pytest.mark.parametrize("case", ["narratives", "activity default", "root default"])
def test_the_title_in_the_definitions_language_is_found_whatever_the_case_of_its_code(hps, hps_store, tmp_path,
                                                                                    case):
    """A funder's file wrote xml:lang="EN": it is English (codes are case-insensitive), not the German title first."""
    lang = "{http://www.w3.org/XML/1998/namespace}lang"

    def edit(root):
        activity = _activity(root, "HPS-005")
        title = activity.find("title")
        for narrative in title.findall("narrative"):
            title.remove(narrative)
        german = etree.SubElement(title, "narrative")
        german.text = "Partnerschaft für Gesundheit"
        english = etree.SubElement(title, "narrative")
        english.text = "Partnership for health"
        if case == "narratives":  # each narrative names its language
            german.set(lang, "DE")
            english.set(lang, "EN")
        elif case == "activity default":  # the English one in the activity's language
            german.set(lang, "DE")
            activity.set(lang, "EN")
        else:  # no activity language: the German one in the file's (the root's), the English one its own
            for each in root.iter("iati-activity"):
                each.attrib.pop(lang, None)
            root.set(lang, "de")
            english.set(lang, "EN")
    done = iati.import_iati(_edited(hps, tmp_path, edit), location=hps_store)
    assert done.ok, done.report.to_text()
    titles = dict(zip(*store.read_table(store.open_store(hps_store).active().path, "projects")
                      .select(["project_id", "title"]).to_pydict().values()))
    assert titles["HPS-005"] == "Partnership for health"
