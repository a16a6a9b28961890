"""Real-looking IATI files (tests/iati_fixtures.py: the quirks of published files) import partially and faithfully:
every 2.0x version, the version per activity, hierarchy, several countries, a region only, transactions only, other
currencies converted with the definition's rates, large amounts, DAC 3 and own sectors, missing end dates,
organisations without refs; every activity that cannot be imported is listed with its reason; nothing is written
until the manager accepts. Expected projects, budgets and countries are computed from the file with lxml."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from lxml import etree

from impact import cli
from impact.interchange import iati
from impact.model import programme as programmes
from impact.storage import store
from tests import iati_fixtures as fx
from tests.conftest import ROOT
from tests.data_helpers import make_store, snapshot

ALPHA3 = {"UG": "UGA", "KE": "KEN", "TZ": "TZA", "MW": "MWI"}  # the fixture's countries, written out by hand


@pytest.fixture
def iati_store(tmp_path) -> Path:
    return fx.make_iati_store(tmp_path / "store")


def _file(tmp_path: Path, data: bytes, name: str = "funder.xml") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _expected(data: bytes, definition: programmes.Programme) -> dict[str, dict]:
    """What each activity of the lowest hierarchy level that can be imported becomes, computed from the file:
    project id (the identifier as published), title, country, budget (converted), end date, theme."""
    root = etree.fromstring(data)
    level = max(int(a.get("hierarchy") or 1) for a in root.iter("iati-activity"))
    by_dac = {code: [t for t, c in definition.iati.sectors.items() if c == code] for code in definition.iati.sectors.values()}
    out = {}
    for a in root.iter("iati-activity"):
        if int(a.get("hierarchy") or 1) != level or not a.findall("recipient-country"):
            continue
        values = [(v, v.get("currency") or a.get("default-currency")) for v in a.xpath("budget[@type='1']/value")]
        if not values:
            values = [(v, v.get("currency") or a.get("default-currency"))
                      for v in a.xpath("transaction[transaction-type/@code='2']/value")]
        if any(cur != "GBP" and v.get("value-date")[:4] not in fx.RATES.get(cur, {}) for v, cur in values):
            continue
        total = sum(Decimal(v.text) * (Decimal(1) if cur == "GBP" else Decimal(str(fx.RATES[cur][v.get("value-date")[:4]])))
                    for v, cur in values)
        countries = a.findall("recipient-country")
        country = max(countries, key=lambda c: float(c.get("percentage") or 0)).get("code")
        sectors = a.findall("sector")
        themes = [fx.SECTOR_THEMES.get(s.get("vocabulary"), {}).get(s.get("code")) for s in sectors]
        themes += [by_dac[s.get("code")][0] for s in sectors
                   if s.get("vocabulary") == "1" and len(by_dac.get(s.get("code"), [])) == 1]
        if not any(themes) and any(len(by_dac.get(s.get("code"), [])) > 1 for s in sectors):
            continue  # a DAC code given to several themes: refused
        ends = {d.get("type"): d.get("iso-date") for d in a.findall("activity-date")}
        titles = a.find("title").findall("narrative")
        english = [n.text for n in titles if (n.get(fx.XML_LANG) or "en").lower() == "en"]
        out[a.findtext("iati-identifier")] = {
            "title": english[0] if english else titles[0].text, "iso3": ALPHA3[country],
            "budget": int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP)),
            "end_date": dt.date.fromisoformat(ends.get("3") or ends.get("4") or definition.end.isoformat()),
            "theme": next((t for t in themes if t), definition.iati.fallback_theme)}
    return out


def _projects(folder: Path) -> dict[str, dict]:
    return {r["project_id"]: r for r in store.read_table(folder, "projects").to_pylist()}


def test_a_funders_file_with_refused_activities_imports_nothing_until_accepted(iati_store, tmp_path):
    path = _file(tmp_path, fx.document())
    before = snapshot(iati_store)
    refused = iati.import_iati(path, location=iati_store)
    assert not refused.ok and snapshot(iati_store) == before
    outcomes = {o.identifier: o for o in refused.outcomes}
    assert len(outcomes) == len(fx.ACTIVITIES) == 7
    assert {i: o.status for i, o in outcomes.items() if o.status != iati.MAPS} == {
        f"{fx.PUBLISHER}-PROG": iati.LEFT_OUT, f"{fx.PUBLISHER}-005": iati.REFUSED, f"{fx.PUBLISHER}-006": iati.REFUSED}
    # every reason of every refused activity, with the element it is about
    # a region only, which iati.regions does not map: the reason is about its recipient-region
    assert [(r.element, r.rule) for r in outcomes[f"{fx.PUBLISHER}-005"].reasons] == [("recipient-region",
                                                                                       "iati-no-country")]
    assert [(r.element, r.rule) for r in outcomes[f"{fx.PUBLISHER}-006"].reasons] == [
        ("sector", "iati-ambiguous-sector"), ("budget", "iati-currency")]
    assert "EUR" in outcomes[f"{fx.PUBLISHER}-006"].reasons[1].message
    assert "hierarchy level 1; level 2 is imported (the lowest level in the file)" in \
        outcomes[f"{fx.PUBLISHER}-PROG"].reasons[0].message
    assert "Hierarchy level 2 is imported" in refused.summary()

    done = iati.import_iati(path, accept_valid=True, location=iati_store)
    assert done.ok, done.report.to_text()
    definition = store.load_definition(store.open_store(iati_store).active().path)
    expected = _expected(path.read_bytes(), definition)
    got = _projects(store.open_store(iati_store).active().path)
    assert set(got) == set(expected) == {f"{fx.PUBLISHER}-00{n}" for n in (1, 2, 3, 4)}  # identifiers as published
    for project_id, want in expected.items():
        assert {k: got[project_id][k] for k in want} == want, project_id
    assert got[f"{fx.PUBLISHER}-004"]["budget"] > 50_000  # 300 million won, converted: no pound-sized cap needed
    assert done.counts()[iati.IMPORTED] == 4 and done.counts()[iati.REFUSED] == 2
    assert len(store.open_store(iati_store).versions()) == 2  # one version for the import


def test_organisations_without_refs_are_kept_by_name_and_one_implementer_is_enough(iati_store, tmp_path):
    done = iati.import_iati(_file(tmp_path, fx.document()), accept_valid=True, location=iati_store)
    assert done.ok, done.report.to_text()
    folder = store.open_store(iati_store).active().path
    institutions = {r["name"]: r for r in store.read_table(folder, "institutions").to_pylist()}
    assert institutions["Bugando Medical Centre"]["side"] == "not known"
    assert institutions["Bugando Medical Centre"]["iso3"] is None
    assert institutions["Kenya Midwives Association"] | {} == {
        "institution_id": "KE-NCB-8877", "name": "Kenya Midwives Association", "side": "Overseas",
        "institution_type": institutions["Kenya Midwives Association"]["institution_type"], "iso3": "KEN"}
    assert institutions["Tropical Health Trust"]["side"] == "UK"
    projects = _projects(folder)
    alone = projects[f"{fx.PUBLISHER}-002"]  # one implementer, no ref: the project imports, no lead on a side
    assert alone["uk_lead_id"] is None and alone["overseas_lead_id"] is None
    partners = [r for r in store.read_table(folder, "project_partners").to_pylist()
                if r["project_id"] == f"{fx.PUBLISHER}-002"]
    assert partners == [{"project_id": f"{fx.PUBLISHER}-002",
                         "institution_id": institutions["Bugando Medical Centre"]["institution_id"],
                         "role": "Lead (side not known)"}]
    both = projects[f"{fx.PUBLISHER}-004"]
    assert both["uk_lead_id"] == "GB-COH-0123456" and both["overseas_lead_id"] == "UG-NGB-1234"


@pytest.mark.parametrize("root, each", [("2.01", None), ("2.02", None), (None, "2.03"), (None, "2.02")])
def test_every_2_0x_version_reads_the_same_projects(root, each, iati_store, tmp_path):
    reference = make_store(iati_store, tmp_path / "reference")
    assert iati.import_iati(_file(tmp_path, fx.document(), "ref.xml"), accept_valid=True, location=reference).ok
    done = iati.import_iati(_file(tmp_path, fx.document(root, each)), accept_valid=True, location=iati_store)
    assert done.ok, done.report.to_text()
    assert {o.version for o in done.outcomes} == {root or each}
    assert _projects(store.open_store(iati_store).active().path) == _projects(store.open_store(reference).active().path)


def test_a_1x_activity_in_a_file_without_a_root_version_is_refused_naming_a_converter(iati_store, tmp_path):
    done = iati.import_iati(_file(tmp_path, fx.document(None, "1.05")), accept_valid=True, location=iati_store)
    assert not done.ok
    reasons = [r for o in done.outcomes for r in o.reasons if o.status == iati.REFUSED]
    assert len(reasons) == 7 and all(r.rule == "iati-version" and "IATI Datastore" in r.message for r in reasons)


def test_a_schema_error_names_its_activity_and_the_others_still_map(iati_store, tmp_path):
    root = etree.fromstring(fx.document())
    broken = root.findall("iati-activity")[2]
    broken.remove(broken.find("activity-status"))  # required once in every activity
    path = _file(tmp_path, etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    done = iati.import_iati(path, check_only=True, location=iati_store)
    schema_errors = [(o.identifier, r) for o in done.outcomes for r in o.reasons if r.rule == "iati-schema"]
    assert [i for i, _ in schema_errors] == [broken.findtext("iati-identifier")]
    assert "activity-status" in schema_errors[0][1].message and schema_errors[0][1].line > broken.sourceline
    assert done.counts()[iati.MAPS] == 3


def test_the_command_line_reports_every_activity_and_imports_on_accept_valid(iati_store, tmp_path, capsys):
    path = _file(tmp_path, fx.document())
    report = tmp_path / "report.csv"
    before = snapshot(iati_store)
    assert cli.main(["import-iati", str(path), "--data-dir", str(iati_store), "--report", str(report)]) == 1
    said = capsys.readouterr().out
    assert snapshot(iati_store) == before
    assert f"{fx.PUBLISHER}-005" in said and f"{fx.PUBLISHER}-006" in said and "--accept-valid" in said
    rows = list(csv.DictReader(io.StringIO(report.read_bytes().decode("utf-8-sig"))))
    assert [c for c in rows[0]] == list(iati.REPORT_COLUMNS)
    ids = {r["activity"] for r in rows}
    assert ids == {etree.fromstring(path.read_bytes()).xpath("iati-activity/iati-identifier/text()")[i]
                   for i in range(7)}
    outcome = {r["activity"]: r["outcome"] for r in rows}
    assert outcome[f"{fx.PUBLISHER}-001"] == "maps" and outcome[f"{fx.PUBLISHER}-005"] == "refused"
    assert sum(1 for r in rows if r["activity"] == f"{fx.PUBLISHER}-006") == 2  # both its reasons
    assert cli.main(["import-iati", str(path), "--data-dir", str(iati_store), "--accept-valid",
                     "--report", str(report)]) == 0
    said = capsys.readouterr().out
    assert "4 activities read as projects" in said and "refused (2)" in said
    outcome = {r["activity"]: r["outcome"] for r in csv.DictReader(io.StringIO(report.read_bytes().decode("utf-8-sig")))}
    assert outcome[f"{fx.PUBLISHER}-001"] == "imported"
    assert cli.main(["import-iati", str(path), "--data-dir", str(iati_store), "--report", str(tmp_path / "r.txt")]) == 2


def test_the_iati_choices_are_checked_where_they_are_written():
    definition = programmes.load(ROOT / "data").to_dict()
    definition["iati"].update({"lead_roles": ["implementing", "funding"], "several_countries": "spread",
                               "hierarchy": "2", "fallback_theme": "Dentistry",
                               "sector_themes": {"1": {"121": "Mental health"}, "7": {}},
                               "exchange_rates": {"usd": {"2019": 0.8}, "EUR": {"2019": -1}}})
    with pytest.raises(programmes.DefinitionError) as refused:
        programmes.parse(definition)
    text = "; ".join(f"{where}: {message}" for where, message in refused.value.problems)
    for where in ("iati.lead_roles", "iati.several_countries", "iati.hierarchy", "iati.fallback_theme",
                  "iati.sector_themes.1.121", "iati.sector_themes.7", "iati.exchange_rates.usd",
                  "iati.exchange_rates.EUR.2019"):
        assert where in text, where
    good = programmes.load(ROOT / "data").to_dict()
    good["iati"].update(fx.definition_choices())
    parsed = programmes.parse(good)
    assert parsed.iati.exchange_rates["KRW"]["2016"] == 0.00071 and parsed.iati.fallback_theme == fx.FALLBACK
    assert programmes.parse(parsed.to_dict()) == parsed  # written back and read again unchanged


def test_re_publishing_keeps_the_identifiers_and_organisation_refs(iati_store, tmp_path):
    """Export after import: the activities keep the publisher's identifiers (not re-prefixed) and the organisations
    their refs, so re-publishing does not create new activities; the file is valid 2.03."""
    from impact.query import db
    from impact.query import iati as publishing

    path = _file(tmp_path, fx.document())
    assert iati.import_iati(path, accept_valid=True, location=iati_store).ok
    database = db.open_database(store.open_store(iati_store).active().path)
    try:
        published = publishing.publish(database)
    finally:
        database.connection.close()
    assert published.valid, published.problems[:3]
    source = etree.fromstring(path.read_bytes())
    out = etree.fromstring(published.xml)
    written = {a.findtext("iati-identifier"): a for a in out.iter("iati-activity")}
    assert set(written) == {f"{fx.PUBLISHER}-00{n}" for n in (1, 2, 3, 4)}
    for activity in source.iter("iati-activity"):
        identifier = activity.findtext("iati-identifier")
        if identifier not in written:
            continue
        refs = {o.get("ref") for o in activity.findall("participating-org[@role='4']") if o.get("ref")}
        assert refs == {o.get("ref") for o in written[identifier].findall("participating-org[@role='4']")
                        if o.get("ref")}, identifier


def test_every_refused_activity_is_printed_none_left_off(iati_store, tmp_path, capsys):
    """60 refused activities (a region and no country, which iati.regions does not map), more than any display
    limit: all 60 are named."""
    import dataclasses

    region_only = fx.ACTIVITIES[5]
    specs = [fx.ACTIVITIES[1]] + [dataclasses.replace(region_only, identifier=f"{fx.PUBLISHER}-R{n:03d}")
                                  for n in range(60)]
    path = _file(tmp_path, fx.document(specs=specs))
    assert cli.main(["import-iati", str(path), "--data-dir", str(iati_store)]) == 1
    said = capsys.readouterr().out
    assert all(f"{fx.PUBLISHER}-R{n:03d}, recipient-region" in said for n in range(60))
    assert "refused (60)" in said and "… and" not in said


@pytest.mark.parametrize("case", ["billion laughs", "deeply nested", "an external entity"])
def test_hostile_files_are_refused_quickly_and_change_nothing(case, iati_store, tmp_path):
    if case == "billion laughs":
        entities = "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10))
        data = (f'<?xml version="1.0"?>\n<!DOCTYPE iati-activities [<!ENTITY l0 "lol">{entities}]>\n'
                '<iati-activities version="2.03"><iati-activity>&l9;</iati-activity></iati-activities>').encode()
        rule = "iati-unsafe"
    elif case == "deeply nested":
        data = b'<iati-activities version="2.03"><iati-activity>' + b"<a>" * 100_000 + b"</a>" * 100_000 + \
            b"</iati-activity></iati-activities>"
        rule = "iati-not-xml"
    else:
        data = (b'<?xml version="1.0"?>\n<!DOCTYPE iati-activities [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
                b'<iati-activities version="2.03"><iati-activity><iati-identifier>&x;</iati-identifier>'
                b'</iati-activity></iati-activities>')
        rule = "iati-unsafe"
    before = snapshot(iati_store)
    done = iati.import_iati(_file(tmp_path, data), accept_valid=True, location=iati_store)
    assert not done.ok and [p.rule for p in done.report.problems] == [rule]
    assert done.report.problems[0].row is not None
    assert snapshot(iati_store) == before
