"""A German programme end to end through IATI (issue 25): a German ministry's activity file (IATI 2.03, narratives in
German and English with `xml:lang="DE"`/`"EN"`, budgets in euros per year, several recipient countries with
percentages, DAC 5-digit sectors with percentages, results whose actuals are also given by sex) starts a programme on
the Data page — the same function the page calls for every IATI import — whose definition is Germany's (home DEU,
sides "Germany" and "Partner country", currency EUR). Its projects, budgets (euros, never converted nor added to the
HPS's pounds on the Portfolio), targets and results are checked on the pages (Overview, Countries, Results,
Portfolio), and `export iati` re-publishes the same activities, valid against the 2.03 schema. Everything expected
is read from the file with lxml and Decimal."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
import streamlit as st
from lxml import etree

from impact.model import metrics
from impact.query import db
from impact.query import iati as publishing
from impact.storage import store
from tests import iati_fixtures as fx
from tests.conftest import ROOT, data_page_as_admin, make_app, serving
from tests.data_helpers import make_store
from tests.test_iati_round_trip import modelled

PROGRAMME = "bmz-kliniken"
BMZ = ("DE-1", "Bundesministerium für wirtschaftliche Zusammenarbeit und Entwicklung", "10")
GIZ = "XM-DAC-5-7"
GIZ_NAME = "Deutsche Gesellschaft für Internationale Zusammenarbeit (GIZ) GmbH"
INDICATOR = "Pflegekräfte in Notfallversorgung geschult"
ALPHA3 = {"KE": "KEN", "TZ": "TZA", "UG": "UGA"}
# The definition a German programme has (the parts that make it German), written here, not read from the code.
GERMAN = {"home": {"countries": ["DEU"], "sides": {"home": "Germany", "overseas": "Partner country"}},
          "currency": "EUR"}

SPECS = [
    fx.Spec("DE-1-201920101", [("DE", "Klinikpartnerschaften in Kenia und Tansania"),
                               ("EN", "Hospital partnerships in Kenya and Tanzania")],
            [(fx.FUNDING, "DE-1", "BMZ"), (fx.IMPLEMENTING, GIZ, GIZ_NAME),
             (fx.IMPLEMENTING, "KE-NCB-1234", "Kenyatta National Hospital")],
            {"1": "2019-01-01", "2": "2019-02-15", "3": "2021-12-31"}, countries=[("KE", "60"), ("TZ", "40")],
            sectors=[("1", "12191", "70"), ("1", "12220", "30")],
            budgets=[("2019-01-01", "2019-12-31", "400000", "EUR"), ("2020-01-01", "2020-12-31", "350000", "EUR"),
                     ("2021-01-01", "2021-12-31", "250000.50", "EUR")],
            currency="EUR", lang="DE", publisher=BMZ, org_types={"DE-1": "10", GIZ: "10", "KE-NCB-1234": "22"},
            results=[("Qualifiziertes Gesundheitspersonal", INDICATOR, "1", "0",
                      [("2019-01-01", "2019-12-31", "120", "98", "61"),
                       ("2020-01-01", "2020-12-31", "150", "160", "90")])]),
    fx.Spec("DE-1-202020202", [("DE", "Hebammenausbildung in Uganda"), ("EN", "Midwifery training in Uganda")],
            [(fx.FUNDING, "DE-1", "BMZ"), (fx.IMPLEMENTING, GIZ, GIZ_NAME),
             (fx.IMPLEMENTING, "UG-NGB-4321", "Mulago Hospital")],
            {"1": "2020-01-01", "3": "2021-06-30"}, countries=[("UG", None)], sectors=[("1", "13020", "100")],
            budgets=[("2020-01-01", "2020-12-31", "180000", "EUR"), ("2021-01-01", "2021-06-30", "90000", "EUR")],
            currency="EUR", lang="DE", publisher=BMZ, org_types={"DE-1": "10", GIZ: "10"},
            results=[("Mütter- und Neugeborenengesundheit", INDICATOR, "1", None,
                      [("2020-01-01", "2020-12-31", "40", "44", "44")])]),
]


def _whole(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def expected(data: bytes) -> dict:
    """What the file says, read with lxml: per project (the identifier without DE-1-) its title in the file's
    language (DE), its country (the largest percentage), its budget in euros (every year's, added up), its targets
    (each period's added up to its end) and its actuals (each period's total, not its parts by sex, in the quarter
    it ends)."""
    out = {}
    for a in etree.fromstring(data).iter("iati-activity"):
        project = a.findtext("iati-identifier").removeprefix("DE-1-")
        lang = a.get("{http://www.w3.org/XML/1998/namespace}lang").casefold()
        title = next(n.text for n in a.iterfind("title/narrative")
                     if n.get("{http://www.w3.org/XML/1998/namespace}lang", "").casefold() == lang)
        countries = a.findall("recipient-country")
        country = max(countries, key=lambda c: Decimal(c.get("percentage") or 0)).get("code")
        assert {b.find("value").get("currency") for b in a.iter("budget")} == {"EUR"}
        budget = sum(Decimal(v) for v in a.xpath("budget/value/text()"))
        targets, actuals, total = {}, {}, Decimal(0)
        for period in a.iterfind("result/indicator/period"):
            end = dt.date.fromisoformat(period.find("period-end").get("iso-date"))
            total += Decimal(period.find("target").get("value"))
            targets[end] = float(total)
            quarter = dt.date(end.year, (end.month - 1) // 3 * 3 + 1, 1)
            actuals[quarter] = sum(int(x.get("value")) for x in period.findall("actual") if x.find("dimension") is None)
        out[project] = {"title": title, "iso3": ALPHA3[country], "budget": _whole(budget), "targets": targets,
                        "actuals": actuals}
    return out


@pytest.fixture(scope="module")
def german(tmp_path_factory):
    """A store holding the HPS and the German programme, created from the German file by the calls the Data page
    makes (`iati_view`: the check, nothing written, then the import of the activities that map)."""
    from impact.interchange import iati

    folder = tmp_path_factory.mktemp("german")
    root = make_store(ROOT / "data", folder / "store")
    data = fx.document(specs=SPECS)
    path = folder / "upload.xml"
    path.write_bytes(data)
    checked = iati.import_iati(path, root, programme=PROGRAMME, display="bmz-aktivitaeten.xml", check_only=True)
    assert checked.report.ok and "Home: Germany (DEU), read from the reporting organisation: DE-1" in checked.summary()
    assert list(store.programmes(root)) == ["hps"]
    done = iati.import_iati(path, root, programme=PROGRAMME, display="bmz-aktivitaeten.xml", accept_valid=True)
    assert done.ok, done.report.to_text()
    return root, data


def test_the_data_page_creates_the_same_programme(german, tmp_path, monkeypatch):
    """On the Data page: a new programme from the file, the home proposed shown, the activities imported — the same
    definition and tables as the calls above."""
    root, data = german
    other = make_store(ROOT / "data", tmp_path / "store")
    try:
        at = data_page_as_admin(other, monkeypatch, "german programme password")
        at.radio(key="iati_into").set_value("new")
        at.run()
        at.text_input(key="iati_new_id").input(PROGRAMME)
        at.run()
        at.file_uploader(key="iati_upload").set_value(("bmz-aktivitaeten.xml", data, "application/xml"))
        at.run()
        next(b for b in at.button if b.label == "Check the IATI file").click()
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        said = [i.value.replace("\\", "") for i in at.info]
        assert any("Home: Germany (DEU), read from the reporting organisation: DE-1" in s for s in said), said
        next(b for b in at.button if b.label == f"Import the {len(SPECS)} activities that map").click()
        at.run()
        assert not at.exception, [e.value for e in at.exception]
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()
    mine, theirs = _version(other), _version(root)
    assert store.load_definition(mine).to_dict() == store.load_definition(theirs).to_dict()
    for name in ("projects", "institutions", "project_partners", "targets", "outcomes", "iati_budgets"):
        assert store.read_table(mine, name).to_pylist() == store.read_table(theirs, name).to_pylist(), name


def _version(root: Path):
    return store.open_store(root, PROGRAMME).active().path


def test_the_definition_is_a_german_programmes(german):
    root, _ = german
    definition = store.load_definition(_version(root)).to_dict()
    assert {key: definition[key] for key in GERMAN} == GERMAN
    assert definition["iati"]["reporting_org_ref"] == "DE-1" and definition["iati"]["language"] == "de"


def test_projects_partners_budgets_targets_and_results_are_the_files(german):
    root, data = german
    want = expected(data)
    version = _version(root)
    projects = {p["project_id"]: p for p in store.read_table(version, "projects").to_pylist()}
    assert {k: (p["title"], p["iso3"], p["budget"]) for k, p in projects.items()} == {
        k: (w["title"], w["iso3"], w["budget"]) for k, w in want.items()}
    institutions = {i["institution_id"]: i for i in store.read_table(version, "institutions").to_pylist()}
    assert (institutions[GIZ]["side"], institutions[GIZ]["iso3"]) == ("Germany", "DEU")
    assert institutions["KE-NCB-1234"]["side"] == "Partner country"
    roles = {(r["project_id"], r["institution_id"]): r["role"]
             for r in store.read_table(version, "project_partners").to_pylist()}
    assert roles[("201920101", GIZ)] == "Germany lead" and roles[("201920101", "KE-NCB-1234")] == "Partner country lead"
    targets = {(r["project_id"], r["due_date"]): r["target"] for r in store.read_table(version, "targets").to_pylist()}
    assert targets == {(k, d): t for k, w in want.items() for d, t in w["targets"].items()}
    actuals = {(r["project_id"], r["period"]): r["value"] for r in store.read_table(version, "outcomes").to_pylist()}
    assert actuals == {(k, q): v for k, w in want.items() for q, v in w["actuals"].items()}
    budgets = store.read_table(version, "iati_budgets").to_pylist()
    assert {b["currency"] for b in budgets} == {"EUR"}  # kept in euros, never converted


def test_the_pages_show_it_in_euros_with_germany_as_home(german, monkeypatch):
    root, data = german
    want = expected(data)
    total = sum(w["budget"] for w in want.values())
    definition = store.load_definition(_version(root))
    with serving(root, monkeypatch):
        at = make_app("pages/overview.py", query={"programme": [PROGRAMME]})
        tiles = {m.label: m.value for m in at.metric}
        assert tiles["Projects"] == str(len(want)) and "Volunteer days from Germany" in tiles
        assert tiles["Countries with partnerships"] == str(len({w["iso3"] for w in want.values()}))

        at = make_app("pages/countries.py", query={"programme": [PROGRAMME]})
        table = next(d.value for d in at.dataframe if "iso3" in d.value.columns)
        assert dict(zip(table["iso3"], table["projects"])) == {w["iso3"]: 1 for w in want.values()}

        at = make_app("pages/countries.py", query={"programme": [PROGRAMME], "country": ["KEN"]})
        tiles = {m.label: m for m in at.metric}
        assert (tiles["Germany institutions"].value, tiles["Partner country institutions"].value) == ("1", "1")
        kenya = sum(w["budget"] for w in want.values() if w["iso3"] == "KEN")
        with metrics.using(definition):
            said = f"{metrics.format_metric('budget_gbp', kenya)} of {metrics.format_metric('budget_gbp', total)}"
        assert said.startswith("€") and tiles["Share of all grant funding"].help.startswith(said)

        at = make_app("pages/results.py", query={"programme": [PROGRAMME]})
        table = next(d.value for d in at.dataframe if "end_target" in d.value.columns)
        shown = {r["project_id"]: (r["end_target"], r["actual"]) for r in table.to_dict("records")}
        assert shown == {k: (max(w["targets"].values()), float(sum(w["actuals"].values()))) for k, w in want.items()}

        at = make_app("pages/portfolio.py", query={"programme": [PROGRAMME]})
        table = next(d.value for d in at.dataframe if "grant_funding" in d.value.columns)
        rows = {r["programme"]: r for r in table.to_dict("records")}
        assert (rows[PROGRAMME]["currency"], rows[PROGRAMME]["grant_funding"]) == ("EUR", total)
        assert rows["HPS"]["currency"] == "GBP"
        funding = next(m.value for m in at.metric if m.label == "Grant funding")
        with metrics.using(definition):
            euros = metrics.format_metric("budget_gbp", total)
        assert funding.endswith(f" · {euros}") and funding.startswith("£")  # side by side, never added up


def test_export_iati_republishes_the_same_activities(german):
    root, data = german
    database = db.open_database(_version(root))
    try:
        published = publishing.publish(database)
    finally:
        database.connection.close()
    assert published.valid, published.problems[:3]
    source = {a.findtext("iati-identifier"): modelled(a) for a in etree.fromstring(data).iter("iati-activity")}
    written = {a.findtext("iati-identifier"): modelled(a) for a in etree.fromstring(published.xml).iter("iati-activity")}
    assert sorted(written) == sorted(source) == sorted(s.identifier for s in SPECS)
    for identifier, elements in source.items():
        for name in ("reporting-org", "activity-status", "activity-date", "recipient-country", "sector", "budget",
                     "participating-org"):
            assert written[identifier][name] == elements[name], (identifier, name)
        # the title as read: the narrative in the file's language
        assert written[identifier]["title"] == elements["title"]


# ---- the German programme's own definition: its outcomes by sex, several countries split ----------------------

def test_a_german_definition_takes_the_results_by_sex_and_split_across_countries(german, tmp_path):
    """The German programme's definition written with its own choices — outcomes broken down by sex (the IATI
    dimension `sex`), `iati.several_countries: split`, the file's indicator mapped to its indicator — and the same file
    imported into it: each period's actual by sex (the female part the file gives; the total, which has no sex, is not
    a part) becomes outcomes rows split across the activity's countries by their percentages, in whole counts."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    from impact.interchange import iati
    from impact.model import programme as programmes
    from impact.model import schema

    root, data = german
    base = make_store(_version(root), tmp_path / "store")  # a store whose programme is the German one
    raw = json.loads((base / programmes.FILE).read_text(encoding="utf-8"))
    code = next(i["code"] for i in raw["indicators"] if i["label"] == INDICATOR)
    raw["disaggregations"] = [{"key": "sex", "label": "Sex", "tables": ["outcomes"], "iati_name": "sex",
                               "values": ["female", "male"]}]
    raw["iati"].update({"several_countries": "split", "indicators": {INDICATOR: code}})
    assert raw["home"] == GERMAN["home"] and raw["currency"] == "EUR"
    (base / programmes.FILE).write_text(json.dumps(raw), encoding="utf-8")
    definition = programmes.parse(raw)
    for name in ("outcomes", "targets"):  # nothing reported yet: the outcomes now carry sex
        pq.write_table(schema.empty(name, definition), base / f"{name}.parquet")
    countries = pq.read_table(base / "countries.parquet")  # Tanzania, with its region, as a countries table gives it
    region = countries.column("region")[0].as_py()
    tanzania = pa.table({"iso3": ["TZA"], "name": ["Tanzania"], "region": [region]}, schema=countries.schema)
    pq.write_table(pa.concat_tables([countries, tanzania]), base / "countries.parquet")
    path = tmp_path / "bmz.xml"
    path.write_bytes(data)
    done = iati.import_iati(path, base)
    assert done.ok, done.report.to_text()
    version = store.open_store(base).active().path
    got = {(r["project_id"], r["iso3"], r["period"], r["sex"]): r["value"]
           for r in store.read_table(version, "outcomes").to_pylist()}
    want = {}
    for a in etree.fromstring(data).iter("iati-activity"):
        project = a.findtext("iati-identifier").removeprefix("DE-1-")
        countries = [(ALPHA3[c.get("code")], Decimal(c.get("percentage") or 100)) for c in a.findall("recipient-country")]
        weight = sum(p for _, p in countries)
        for period in a.iterfind("result/indicator/period"):
            end = dt.date.fromisoformat(period.find("period-end").get("iso-date"))
            quarter = dt.date(end.year, (end.month - 1) // 3 * 3 + 1, 1)
            for actual in period.findall("actual"):
                dimension = actual.find("dimension[@name='sex']")
                if dimension is None:
                    continue
                value = int(actual.get("value"))
                exact = [(c, value * p / weight) for c, p in countries]
                parts = {c: int(e) for c, e in exact}
                for c, _ in sorted(exact, key=lambda x: -(x[1] - int(x[1])))[:value - sum(parts.values())]:
                    parts[c] += 1
                want.update({(project, c, quarter, dimension.get("value")): n for c, n in parts.items() if n})
    assert got == want
    assert got[("201920101", "KEN", dt.date(2019, 10, 1), "female")] == 37  # 61 at 60 % / 40 %: 36.6 and 24.4
    assert got[("201920101", "TZA", dt.date(2019, 10, 1), "female")] == 24
    database = db.open_database(version)
    try:
        from impact.query.filters import Filters

        for iso3 in ("KEN", "TZA", "UGA"):
            shown = db.run_query(database, "indicator_totals", Filters(country=(iso3,)).params())
            assert shown["total"].sum() == sum(v for (_, c, _, _), v in want.items() if c == iso3), iso3
    finally:
        database.connection.close()
