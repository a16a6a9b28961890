"""Several recipient countries split by percentage (issue 25, item 4; `iati.several_countries: split`): a project is
counted once — in "projects" and in its own country, the largest share — and its budget is split across its
countries by their percentages wherever the pages filter by country or region. The expected budgets are computed
from the file with lxml and Decimal."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal

import pytest
from lxml import etree

from impact.interchange import iati
from impact.model import programme as programmes
from impact.query import db
from impact.query.filters import Filters
from impact.storage import store
from tests import iati_fixtures as fx

ALPHA3 = {"UG": "UGA", "KE": "KEN", "TZ": "TZA"}
ORG = [(fx.IMPLEMENTING, "GB-CHC-220949", "Tropical Health Trust")]
SPECS = [
    fx.Spec(f"{fx.PUBLISHER}-S1", [("en", "Nursing in two countries")], ORG, {"1": "2016-01-01", "3": "2017-12-31"},
            countries=[("KE", "40"), ("UG", "60")], sectors=[("1", "12181", None)],
            budgets=[("2016-01-01", "2016-12-31", "100000", None), ("2017-01-01", "2017-12-31", "50001", None)]),
    fx.Spec(f"{fx.PUBLISHER}-S2", [("en", "Surgery in Uganda")], ORG, {"1": "2016-01-01", "3": "2017-12-31"},
            countries=[("UG", None)], sectors=[("1", "12181", None)],
            budgets=[("2016-01-01", "2017-12-31", "80000", None)]),
    fx.Spec(f"{fx.PUBLISHER}-S3", [("en", "Laboratories, no percentages")], ORG,
            {"1": "2016-01-01", "3": "2017-12-31"}, countries=[("TZ", None), ("KE", None)],
            sectors=[("1", "12181", None)], budgets=[("2016-01-01", "2017-12-31", "30001", None)]),
]


def expected_budgets(data: bytes) -> dict[str, Decimal]:
    """Each country's part of the budgets: a budget split by its countries' percentages, equally when one is not
    given (not rounded: the pages round each sum)."""
    out: dict[str, Decimal] = {}
    for activity in etree.fromstring(data).iter("iati-activity"):
        total = sum(Decimal(v) for v in activity.xpath("budget/value/text()"))
        countries = activity.findall("recipient-country")
        shares = [c.get("percentage") for c in countries]
        for c, share in zip(countries, shares):
            part = Decimal(1) / len(countries) if None in shares else Decimal(share) / sum(Decimal(s) for s in shares)
            out[ALPHA3[c.get("code")]] = out.get(ALPHA3[c.get("code")], Decimal(0)) + total * part
    return out


def _whole(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@pytest.fixture(scope="module")
def split(tmp_path_factory):
    folder = tmp_path_factory.mktemp("split")
    root = fx.make_iati_store(folder / "store")
    definition = json.loads((root / programmes.FILE).read_text(encoding="utf-8"))
    definition["iati"]["several_countries"] = "split"
    (root / programmes.FILE).write_text(json.dumps(definition), encoding="utf-8")
    path = folder / "funder.xml"
    path.write_bytes(fx.document(specs=SPECS))
    done = iati.import_iati(path, location=root)
    assert done.ok, done.report.to_text()
    database = db.open_database(store.open_store(root).active().path)
    yield path.read_bytes(), database, done, root
    database.connection.close()


def _totals(database, **chosen) -> dict:
    return db.run_query(database, "headline_totals", Filters(**chosen).params()).iloc[0].to_dict()


def test_each_country_has_its_share_of_the_budget_and_the_project_is_counted_there(split):
    data, database, _, _ = split
    expected = expected_budgets(data)
    for iso3, budget in expected.items():
        here = _totals(database, country=(iso3,))
        assert here["budget_gbp"] == _whole(budget), iso3
    assert _totals(database, country=("KEN",))["projects"] == 2  # S1 (40 %) and S3 (half)
    assert _totals(database, country=("UGA",))["projects"] == 2
    assert _totals(database, country=("TZA",))["projects"] == 1
    # the whole programme: each project once, its whole budget
    everything = _totals(database)
    assert everything["projects"] == 3
    total = sum(Decimal(v) for v in etree.fromstring(data).xpath("//budget/value/text()"))
    assert everything["budget_gbp"] == _whole(total)
    assert _totals(database, country=("KEN", "UGA"))["budget_gbp"] == _whole(expected["KEN"] + expected["UGA"])


def test_grouped_by_country_each_country_has_its_share_and_by_theme_each_project_is_once(split):
    from impact.query import explore

    data, database, _, _ = split
    expected = expected_budgets(data)
    names = dict(database.connection.execute("select iso3, name from countries").fetchall())
    by_country = db.run_query(database, "projects_by_dimension", {**Filters().params(), **explore.totals_params("country")})
    got = {row["category"]: (row["projects"], row["budget_gbp"]) for row in by_country.to_dict("records")}
    assert {iso3: (n, _whole(expected[iso3])) for iso3, n in (("KEN", 2), ("UGA", 2), ("TZA", 1))} == {
        code: (n, _whole(Decimal(str(budget)))) for code, (n, budget) in got.items()}  # grouped by the code
    assert dict(zip(by_country["category"], by_country["label"], strict=True)) == {c: names[c] for c in got}
    by_theme = db.run_query(database, "projects_by_dimension", {**Filters().params(), **explore.totals_params("theme")})
    assert by_theme["projects"].sum() == 3
    total = sum(Decimal(v) for v in etree.fromstring(data).xpath("//budget/value/text()"))
    assert by_theme["budget_gbp"].sum() == _whole(total)


def test_the_project_is_in_its_largest_country_and_every_country_is_the_programmes(split):
    _, database, done, _ = split
    projects = database.connection.execute("select project_id, iso3, budget from projects order by 1").fetchall()
    # another publisher's identifiers, kept whole; S3's two countries tie: the first in the file
    assert projects == [(f"{fx.PUBLISHER}-S{n}", iso3, budget)
                        for n, iso3, budget in ((1, "UGA", 150001), (2, "UGA", 80000), (3, "TZA", 30001))]
    assert {"UGA", "KEN", "TZA"} <= {r[0] for r in database.connection.execute("select iso3 from countries").fetchall()}
    notes = {o.identifier: "; ".join(o.notes) for o in done.outcomes}
    assert "split across them by their percentages" in notes[f"{fx.PUBLISHER}-S1"]
    assert "equally" in notes[f"{fx.PUBLISHER}-S3"]


def test_largest_keeps_the_whole_budget_in_one_country(tmp_path):
    root = fx.make_iati_store(tmp_path / "store")
    path = tmp_path / "funder.xml"
    path.write_bytes(fx.document(specs=SPECS))
    assert iati.import_iati(path, location=root).ok
    database = db.open_database(store.open_store(root).active().path)
    try:
        assert _totals(database, country=("KEN",))["budget_gbp"] == 0
        assert _totals(database, country=("UGA",))["budget_gbp"] == 150001 + 80000
    finally:
        database.connection.close()


def test_a_country_of_the_split_the_programme_cannot_have_refuses_the_activity(tmp_path):
    root = fx.make_iati_store(tmp_path / "store")
    definition = json.loads((root / programmes.FILE).read_text(encoding="utf-8"))
    definition["iati"]["several_countries"] = "split"
    (root / programmes.FILE).write_text(json.dumps(definition), encoding="utf-8")
    spec = fx.Spec(f"{fx.PUBLISHER}-S9", [("en", "Somewhere new")], ORG, {"1": "2016-01-01", "3": "2017-12-31"},
                   countries=[("UG", "70"), ("FR", "30")], sectors=[("1", "12181", None)],
                   budgets=[("2016-01-01", "2017-12-31", "1000", None)])
    path = tmp_path / "funder.xml"
    path.write_bytes(fx.document(specs=[spec, SPECS[1]]))
    done = iati.import_iati(path, location=root)
    assert not done.ok
    refused = {o.identifier: o for o in done.outcomes if o.status == iati.REFUSED}
    assert list(refused) == [spec.identifier]
    assert any("France (FRA)" in r.message and r.rule == "iati-unknown-region" for r in refused[spec.identifier].reasons)


def test_the_country_page_shows_the_countrys_share_of_the_budget(split, monkeypatch):
    """The country profile (?country=KEN): its grant funding is KEN's part of the split budgets, of the whole."""
    from impact.model import metrics
    from tests.conftest import make_app, serving

    data, database, _, root = split
    expected = expected_budgets(data)
    total = sum(Decimal(v) for v in etree.fromstring(data).xpath("//budget/value/text()"))
    with serving(root, monkeypatch):
        at = make_app("pages/countries.py", query={"country": ["KEN"]})
        funding = next(m for m in at.metric if m.label == "Share of all grant funding")
        with metrics.using(store.load_definition(database.extract_dir)):
            assert funding.help.startswith(f"{metrics.format_metric('budget_gbp', _whole(expected['KEN']))} of "
                                           f"{metrics.format_metric('budget_gbp', _whole(total))}"), funding.help


# ---- results follow the same rule (item 2): a split project's actuals split across its countries ----------------

RESULT_SPECS = [
    fx.Spec(SPECS[0].identifier, SPECS[0].title, ORG, SPECS[0].dates, countries=SPECS[0].countries,
            sectors=SPECS[0].sectors, budgets=SPECS[0].budgets,
            results=[("Skilled workforce", "Nurses mentored", "1", "0",
                      [("2016-01-01", "2016-06-30", "100", "81", "40"), ("2016-07-01", "2016-12-31", "200", "171", None),
                       ("2017-01-01", "2017-03-31", "250", "0", None)])]),
    SPECS[1],
    fx.Spec(SPECS[2].identifier, SPECS[2].title, ORG, SPECS[2].dates, countries=SPECS[2].countries,
            sectors=SPECS[2].sectors, budgets=SPECS[2].budgets,
            results=[("Laboratories", "Nurses mentored", "1", None, [("2016-01-01", "2016-12-31", "30", "7", None)])]),
]


def expected_outcomes(data: bytes, split: bool) -> dict[tuple[str, str, str], int]:
    """(project, country, quarter the period ends) -> the actual there: each period's total actual (not its parts
    by dimension) rounded, split by the countries' percentages (equally when one is not given) in whole counts that
    add up to it — the floor of each exact share, the units left over to the largest remainders, the first country
    on a tie — or, not split, whole in the country of the largest percentage (the first on a tie)."""
    out: dict[tuple[str, str, str], int] = {}
    for activity in etree.fromstring(data).iter("iati-activity"):
        countries = [(ALPHA3[c.get("code")], c.get("percentage")) for c in activity.findall("recipient-country")]
        if None in [p for _, p in countries]:
            shares = [(c, Decimal(1) / len(countries)) for c, _ in countries]
        else:
            total = sum(Decimal(p) for _, p in countries)
            shares = [(c, Decimal(p) / total) for c, p in countries]
        largest = max(shares, key=lambda s: s[1])[0]
        for period in activity.iterfind("result/indicator/period"):
            end = period.find("period-end").get("iso-date")
            quarter = f"{end[:4]}-{(int(end[5:7]) - 1) // 3 * 3 + 1:02d}-01"
            value = sum(int(Decimal(a.get("value")).quantize(Decimal(1), rounding=ROUND_HALF_UP))
                        for a in period.findall("actual") if a.find("dimension") is None)
            if not split or value == 0:
                place = largest if len(countries) > 1 else countries[0][0]
                out[(activity.findtext("iati-identifier"), place, quarter)] = value
                continue
            exact = [(c, value * share) for c, share in shares]
            parts = {c: int(e) for c, e in exact}
            left = value - sum(parts.values())
            for c, _ in sorted(exact, key=lambda x: -(x[1] - int(x[1])))[:left]:
                parts[c] += 1
            for c, part in parts.items():
                if part:
                    out[(activity.findtext("iati-identifier"), c, quarter)] = part
    return out


@pytest.mark.parametrize("several", ["split", "largest"])
def test_the_results_actuals_follow_the_countries_as_the_budget_does(tmp_path, several):
    root = fx.make_iati_store(tmp_path / "store")
    definition = json.loads((root / programmes.FILE).read_text(encoding="utf-8"))
    definition["iati"]["several_countries"] = several
    (root / programmes.FILE).write_text(json.dumps(definition), encoding="utf-8")
    path = tmp_path / "funder.xml"
    path.write_bytes(fx.document(specs=RESULT_SPECS))
    done = iati.import_iati(path, location=root, add_indicators=True)
    assert done.ok, done.report.to_text()
    version = store.open_store(root).active().path
    outcomes = store.read_table(version, "outcomes").to_pylist()
    got = {(r["project_id"], r["iso3"], r["period"].isoformat()): r["value"] for r in outcomes}
    want = expected_outcomes(path.read_bytes(), several == "split")
    assert got == want
    if several == "split":  # 81 at 40 % / 60 %: 32.4 and 48.6 -> 32 and 49; 7 split equally: 3.5 each, the first 4
        assert got[(SPECS[0].identifier, "KEN", "2016-04-01")] == 32 and got[(SPECS[0].identifier, "UGA", "2016-04-01")] == 49
        assert got[(SPECS[2].identifier, "TZA", "2016-10-01")] == 4 and got[(SPECS[2].identifier, "KEN", "2016-10-01")] == 3
    # the project's whole actual is unchanged: each period's total, once
    for project in (SPECS[0].identifier, SPECS[2].identifier):
        assert sum(v for (p, _, _), v in got.items() if p == project) == sum(
            v for (p, _, _), v in want.items() if p == project)
    # the targets are the project's, whole, whatever the split (a target has no country)
    targets = {(r["project_id"], r["due_date"].isoformat()): r["target"]
               for r in store.read_table(version, "targets").to_pylist()}
    assert targets[(SPECS[0].identifier, "2017-03-31")] == 550.0
    # by country, as the pages read it (indicator_totals under a country filter): each country's part
    sums: dict[str, int] = {}
    for (_, iso3, _), v in want.items():
        sums[iso3] = sums.get(iso3, 0) + v
    database = db.open_database(version)
    try:
        for iso3 in ("KEN", "UGA", "TZA"):
            shown = db.run_query(database, "indicator_totals", Filters(country=(iso3,)).params())
            assert shown["total"].sum() == sums.get(iso3, 0), iso3
    finally:
        database.connection.close()
