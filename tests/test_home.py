"""Home as data: the definition's `home` section names the home country or countries and the labels of the two
sides; sides, lead roles, the country rule, the side metrics' labels, the template and the data dictionary follow
it, and budgets are amounts in the programme's currency (`budget`, read from older extracts' `budget_gbp`).

A German programme (home DEU, sides "Germany" and "Partner country", EUR) and a South-South one (home ZAF and KEN)
are built by code from the invented second programme's generated extract; every expected value is computed from
the files written here with plain pandas and DuckDB.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from impact.demo.generators import generate
from impact.ingest import extract_io, template
from impact.model import dictionary, metrics
from impact.model import programme as programmes
from impact.query import db
from impact.storage import store
from tests.conftest import Independent, make_app, metrics_shown, serving
from tests.data_helpers import make_store, read_rows, rehome_extract, snapshot, write_rows

PAGES = ["pages/overview.py", "pages/countries.py", "pages/partnerships.py", "pages/workforce.py",
         "pages/volunteering.py", "pages/explore.py", "pages/present.py", "pages/portfolio.py", "pages/data.py"]
GERMANY = programmes.Home(countries=("DEU",), home="Germany", overseas="Partner country", in_sentence="Germany")
SOUTH_SOUTH = programmes.Home(countries=("ZAF", "KEN"), home="Hub", overseas="Partner country",
                              in_sentence="the hub countries")


@pytest.fixture(scope="module")
def base_dir(tmp_path_factory) -> Path:
    """The invented second programme's extract (its home the UK), generated with its own seed."""
    out = tmp_path_factory.mktemp("home_base")
    generate(out, programme="gsp", seed=11)
    return out


@pytest.fixture(scope="module")
def german_dir(base_dir, tmp_path_factory) -> Path:
    return rehome_extract(base_dir, tmp_path_factory.mktemp("german") / "extract", GERMANY, "dkp", "EUR")


@pytest.fixture(scope="module")
def german_store(german_dir, tmp_path_factory) -> Path:
    """A store holding the German programme alone, imported (checked like any import)."""
    root = tmp_path_factory.mktemp("german_store")
    result = extract_io.import_extract(german_dir, root)
    assert result.ok, result.report.to_text()
    return root


def _sql(folder: Path) -> Independent:
    return Independent(folder)


# ---- the definition ------------------------------------------------------------------------------

def test_a_definition_without_home_is_the_hps_home(definition):
    data = json.loads(definition.to_json())
    data.pop("home")
    home = programmes.parse(data).home
    assert (home.countries, home.sides, home.roles[:4], home.in_sentence) == (
        ("GBR",), ("UK", "Overseas", "not known"), ("UK lead", "Overseas lead", "UK partner", "Overseas partner"),
        "the UK")


def test_the_shipped_definitions_write_their_home():
    for path in (Path("data/programme.json"), Path("data/programmes/gsp/programme.json")):
        written = json.loads(path.read_text(encoding="utf-8"))["home"]
        assert written == {"countries": ["GBR"], "sides": {"home": "UK", "overseas": "Overseas"},
                           "in_sentence": "the UK"}


def test_a_home_reads_back_and_its_roles_follow_the_labels(definition):
    german = dataclasses.replace(definition, home=GERMANY)
    assert programmes.parse(json.loads(german.to_json())) == german
    assert GERMANY.roles == ("Germany lead", "Partner country lead", "Germany partner", "Partner country partner",
                             "Lead (side not known)", "Partner (side not known)")
    assert [SOUTH_SOUTH.side_of(c) for c in ("ZAF", "KEN", "GBR", None)] == ["Hub", "Hub", "Partner country",
                                                                            "not known"]
    assert SOUTH_SOUTH.country_names() == "South Africa and Kenya"


@pytest.mark.parametrize(("home", "where", "words"), [
    ({"countries": ["XX"], "sides": {"home": "A", "overseas": "B"}}, "home.countries[0]", "alpha-3"),
    ({"countries": [], "sides": {"home": "A", "overseas": "B"}}, "home.countries", "one or more"),
    ({"countries": ["DEU", "DEU"], "sides": {"home": "A", "overseas": "B"}}, "home.countries[1]", "twice"),
    ({"countries": ["DEU"], "sides": {"home": "Germany", "overseas": "germany"}}, "home.sides.overseas",
     "also the home side's label"),
    ({"countries": ["DEU"], "sides": {"home": "not known", "overseas": "B"}}, "home.sides.home", "cannot label"),
    ({"countries": ["DEU"], "sides": {"home": "Germany"}}, "home.sides.overseas", "missing"),
    ({"countries": ["DEU"], "sides": {"home": "A", "overseas": "B", "third": "C"}}, "home.sides.third", "not a side"),
    ({"countries": ["DEU"], "sides": {"home": "A", "overseas": "B"}, "flag": "x"}, "home.flag", "not a field"),
    ("Germany", "home", "must be an object"),
])
def test_a_wrong_home_is_refused_where_it_is_wrong(definition, home, where, words):
    data = json.loads(definition.to_json())
    data["home"] = home
    with pytest.raises(programmes.DefinitionError) as refused:
        programmes.parse(data)
    assert any(field == where and words in message for field, message in refused.value.problems), \
        refused.value.problems


# ---- metrics, dictionary and template in the programme's words --------------------------------------

def test_the_side_metrics_take_the_programmes_words(definition):
    german = dataclasses.replace(definition, home=GERMANY, currency="EUR")
    assert metrics.metric("volunteer_days_uk").label == "Volunteer days from the UK"  # the HPS, as today
    assert metrics.metric("institutions_uk").label == "UK institutions"
    assert metrics.metric("institutions_overseas").label == "Overseas institutions"
    with metrics.using(german):
        assert metrics.metric("volunteer_days_uk").label == "Volunteer days from Germany"
        assert metrics.metric("institutions_uk").label == "Germany institutions"
        assert metrics.metric("institutions_overseas").label == "Partner country institutions"
        assert metrics.metric("budget_gbp").unit == "EUR"
        assert metrics.format_metric("budget_gbp", 2_500_000) == "€2.5m"
        assert not [k for k, m in metrics.structural().items()
                    if re.search(r"\bUK\b", m.label + m.description + m.how_counted)]
    assert metrics.metric("volunteer_days_uk").label == "Volunteer days from the UK"


def test_the_data_dictionary_says_germany(definition, german_dir):
    german = programmes.load(german_dir)
    rules = dictionary.tables_frame(german).set_index(["table", "column"])["rule"]
    assert "one of: Germany; Partner country; not known" in rules[("institutions", "side")]
    assert "Germany lead; Partner country lead; Germany partner" in rules[("project_partners", "role")]
    checks = " ".join(dictionary.cross_checks(german))
    assert "Germany institutions are in DEU and partner country ones are not" in checks
    labels = dictionary.metrics_frame(german).set_index("key")["metric"]
    assert labels["volunteer_days_uk"] == "Volunteer days from Germany"
    assert "Sides: Germany (Germany) and Partner country. Budgets in EUR." in dictionary.programme_summary(german)
    texts = (dictionary.tables_frame(german).to_string() + checks + dictionary.metrics_frame(german).to_string())
    assert not re.search(r"\bUK\b", texts)
    # the HPS's, as before
    assert "UK institutions are in GBR and overseas ones are not" in " ".join(dictionary.cross_checks(definition))


def test_the_template_workbook_says_germany(definition, german_dir, tmp_path):
    from openpyxl import load_workbook

    german = programmes.load(german_dir)
    template.write(tmp_path / "t", german)
    book = load_workbook(tmp_path / "t" / template.WORKBOOK)
    lists = book[template.LISTS]
    columns = {lists.cell(row=1, column=c).value: [lists.cell(row=r, column=c).value for r in range(2, 9)]
               for c in range(1, lists.max_column + 1)}
    assert [v for v in columns["side"] if v] == ["Germany", "Partner country", "not known"]
    assert [v for v in columns["role"] if v] == list(GERMANY.roles)
    lines = [row[0] for row in book[template.INSTRUCTIONS].iter_rows(values_only=True) if row[0]]
    assert any("Germany institutions carry DEU." in line for line in lines)
    assert not [line for line in lines if re.search(r"\bUK\b", line)]
    assert json.loads((tmp_path / "t" / programmes.FILE).read_text())["home"]["countries"] == ["DEU"]
    hps_lines = template.instructions(definition)
    assert any("UK institutions carry GBR." in line for line in hps_lines)


# ---- import: the country rule, old extracts ----------------------------------------------------------

def test_a_german_extract_imports_with_its_sides(german_store, german_dir):
    active = store.open_store(german_store, "dkp").active()
    stored = pq.read_table(active.path / "institutions.parquet").to_pandas()
    source = pd.read_csv(german_dir / "institutions.csv", keep_default_na=False)
    assert sorted(stored["side"].unique()) == ["Germany", "Partner country"]
    assert (stored.loc[stored["side"] == "Germany", "iso3"] == "DEU").all()
    assert (stored["side"] == "Germany").sum() == (source["side"] == "Germany").sum() > 0
    assert "budget" in pq.read_schema(active.path / "projects.parquet").names


def test_the_country_rule_follows_the_home_countries(german_dir, tmp_path):
    edited = tmp_path / "edited"
    edited.mkdir()
    for path in german_dir.iterdir():
        (edited / path.name).write_bytes(path.read_bytes())
    rows = read_rows(edited / "institutions.csv")
    header = rows[0]
    side, iso3 = header.index("side"), header.index("iso3")
    home_row = next(n for n, r in enumerate(rows) if n and r[side] == "Germany")
    rows[home_row][iso3] = "GBR"  # a German-side institution in the UK
    away_row = next(n for n, r in enumerate(rows) if n and r[side] == "Partner country")
    rows[away_row][side] = "UK"  # HPS's label: not a side of this programme
    write_rows(edited / "institutions.csv", rows)
    result = extract_io.import_extract(edited, tmp_path / "store")
    assert not result.ok
    problems = {(p.file, p.row, p.column, p.rule): p.message for p in result.report.problems}
    mismatch = problems[("institutions.csv", home_row + 1, "iso3", "side-mismatch")]
    assert "Germany institutions are in DEU" in mismatch and "GBR" in mismatch
    outside = problems[("institutions.csv", away_row + 1, "side", "not-allowed")]
    assert "'UK' is not an allowed side" in outside and "Germany, Partner country, not known" in outside
    assert "home.sides" in outside
    assert not (tmp_path / "store" / "programmes" / "dkp" / "ACTIVE").exists()  # nothing written


def test_an_old_extract_with_budget_gbp_still_imports(csv_extract, data_store, independent):
    old = Path(str(data_store) + "-old")
    old.mkdir()
    for path in csv_extract.iterdir():
        (old / path.name).write_bytes(path.read_bytes())
    rows = read_rows(old / "projects.csv")
    rows[0] = ["budget_gbp" if c == "budget" else c for c in rows[0]]
    write_rows(old / "projects.csv", rows)
    result = extract_io.import_extract(old, data_store)
    assert result.ok, result.report.to_text()
    assert any("budget_gbp is read as budget" in note for note in result.report.notes)
    active = store.open_store(data_store).active()
    stored = pq.read_table(active.path / "projects.parquet").to_pandas()
    assert "budget_gbp" not in stored.columns
    assert dict(zip(stored["project_id"], stored["budget"])) == dict(independent.rows(
        "select project_id, budget from projects"))


def test_a_version_stored_with_budget_gbp_still_opens(fixture_dir, tmp_path, independent):
    old = make_store(fixture_dir, tmp_path / "old")
    projects = pq.read_table(old / "projects.parquet")
    pq.write_table(projects.rename_columns(["budget_gbp" if c == "budget" else c for c in projects.column_names]),
                   old / "projects.parquet")
    database = db.open_database(old)
    try:
        totals = db.run_query(database, "headline_totals", {"filters": _everything(database)})
        assert int(totals["budget_gbp"].iloc[0]) == independent.scalar("select sum(budget) from projects")
    finally:
        database.connection.close()
    assert "budget" in store.read_table(old, "projects").column_names
    out = tmp_path / "exported"
    extract_io.export_extract("csv", out, store.open_store(old))
    exported = pd.read_csv(out / "projects.csv")
    assert "budget_gbp" not in exported.columns
    assert dict(zip(exported["project_id"], exported["budget"])) == dict(independent.rows(
        "select project_id, budget from projects"))


def _everything(database):
    from impact.query import filters

    return filters.everything(database.programme)["filters"]


def test_a_south_south_programme_has_home_institutions_in_both_countries(base_dir, tmp_path):
    source = rehome_extract(base_dir, tmp_path / "extract", SOUTH_SOUTH, "sss", "ZAR")
    result = extract_io.import_extract(source, tmp_path / "store")
    assert result.ok, result.report.to_text()
    active = store.open_store(tmp_path / "store", "sss").active()
    institutions = pq.read_table(active.path / "institutions.parquet").to_pandas()
    assert set(institutions.loc[institutions["side"] == "Hub", "iso3"]) == {"ZAF", "KEN"}
    database = db.open_database(active.path)
    try:
        with metrics.using(database.programme):
            totals = db.run_query(database, "headline_totals", {"filters": _everything(database)})
            label = metrics.metric("institutions_uk").label
    finally:
        database.connection.close()
    expected = _sql(active.path).scalar("select count(distinct pp.institution_id) from project_partners pp "
                                        "join institutions i using (institution_id) where i.side = 'Hub'")
    assert int(totals["institutions_uk"].iloc[0]) == expected > 0
    assert label == "Hub institutions"


# ---- every page of the German programme ---------------------------------------------------------------

def _texts(at) -> str:
    """Everything a page shows as text: headings, text, tiles, tabs, expanders, tables and charts."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "info", "warning", "success",
                 "error", "metric", "tabs", "expander"):
        for element in getattr(at, kind, []):
            parts += [str(getattr(element, attr, "")) for attr in ("value", "label", "body") if
                      getattr(element, attr, None) is not None]
    for frame in at.dataframe:
        if list(frame.value.columns) == ["key", "required", "form", "meaning"]:
            continue  # the definition's schema: the file's format, the same for every programme (its examples: HPS's)
        parts.append(frame.value.to_string())
        parts += [str(c) for c in frame.value.columns]
    for chart in at.get("plotly_chart"):
        parts.append(chart.proto.spec)
    for box in (*at.selectbox, *at.multiselect):
        parts += [str(o) for o in box.options]
    return "\n".join(parts)


@pytest.fixture
def german_app(german_store, monkeypatch):
    with serving(german_store, monkeypatch):
        yield german_store


@pytest.mark.parametrize("page", PAGES)
def test_every_page_of_a_german_programme_never_says_uk(german_app, page):
    at = make_app(page, query={"programme": ["dkp"]})
    assert at.session_state["_programme"] == "dkp"
    assert not re.search(r"\bUK\b", _texts(at)), page


def test_the_german_pages_say_germany_and_partner_country(german_app, german_store):
    path = store.open_store(german_store, "dkp").active().path
    sql = _sql(path)
    german = programmes.load(path)
    at = make_app(query={"programme": ["dkp"]})
    home_days = sql.scalar("select sum(volunteer_days) from volunteering where location = $l",
                           {"l": german.role("location", "home")})
    assert metrics_shown(at)["Volunteer days from Germany"] == f"{home_days:,}"
    project, lead, _partner = sql.rows(
        "select p.project_id, l.name, o.name from projects p join institutions l on l.institution_id = p.uk_lead_id "
        "join institutions o on o.institution_id = p.overseas_lead_id order by p.project_id limit 1")[0]
    at = make_app("pages/partnerships.py", query={"programme": ["dkp"], "project": [project]})
    texts = _texts(at)
    assert f"**Germany lead:** {lead}" in texts.replace("\\", "") and "**Partner country lead:**" in texts
    partners = next(d.value for d in at.dataframe if "role" in d.value.columns)
    expected = sql.rows("select i.name, i.side, pp.role from project_partners pp join institutions i "
                        "using (institution_id) where pp.project_id = $p", {"p": project})
    assert sorted(zip(partners["name"], partners["side"], partners["role"])) == sorted(expected)
    assert partners["role"].iloc[0] == "Germany lead" and partners["country"].iloc[0] == "Germany"
    at = make_app("pages/data.py", query={"programme": ["dkp"]})
    texts = _texts(at)
    assert "Germany institutions are in DEU" in texts and "Volunteer days from Germany" in texts


def test_the_hps_pages_say_uk_as_before(app_data, independent, definition):
    at = make_app()
    home_days = independent.scalar("select sum(volunteer_days) from volunteering where location = $l",
                                   {"l": definition.role("location", "home")})
    assert metrics_shown(at)["Volunteer days from the UK"] == f"{home_days:,}"
    at = make_app("pages/data.py")
    assert "UK institutions are in GBR and overseas ones are not" in _texts(at)


def test_a_new_home_country_is_checked_against_the_institutions_in_use(german_store, german_dir, tmp_path):
    moved = dataclasses.replace(programmes.load(german_dir),
                                home=dataclasses.replace(GERMANY, countries=("AUT",)))
    folder = tmp_path / "definition"
    folder.mkdir()
    moved.write(folder)
    before = snapshot(german_store)
    result = extract_io.import_extract(folder, german_store, programme="dkp")
    assert not result.ok
    flagged = [p for p in result.report.problems if p.rule == "side-mismatch"]
    in_use = _sql(store.open_store(german_store, "dkp").active().path).scalar(
        "select count(*) from institutions where side = 'Germany'")
    assert flagged and all(p.value == "DEU" and "Germany institutions are in AUT" in p.message for p in flagged)
    assert result.report.kinds[(flagged[0].file, "iso3", "side-mismatch")] == in_use
    assert snapshot(german_store) == before  # nothing written
