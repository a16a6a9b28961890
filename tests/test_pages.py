"""AppTest of every exploration page: no exception, figures equal to independent SQL over the fixture
extract for two filter sets, and each page's own choices kept in the URL."""

from __future__ import annotations

import html
import json
import re

import pytest

from impact.app import drawing
from tests.conftest import make_app, metrics_shown, plotly_values

COUNTRIES = "pages/countries.py"
PARTNERSHIPS = "pages/partnerships.py"
WORKFORCE = "pages/workforce.py"
VOLUNTEERING = "pages/volunteering.py"
EXPLORE = "pages/explore.py"
JOIN = "from training t join projects p using (project_id) join countries c on c.iso3 = t.iso3"


def _figures(at) -> dict[str, dict]:
    out = {}
    for element in at.get("plotly_chart"):
        spec = json.loads(element.proto.spec)
        out[html.unescape(spec["layout"]["title"]["text"].split("<br>")[0])] = spec
    return out


def _n(value: int) -> str:
    return f"{value:,}"


def _url(at, key: str) -> list[str]:
    """A URL query parameter as a list (AppTest gives a single value as a string)."""
    value = at.query_params[key]
    return [value] if isinstance(value, str) else list(value)


@pytest.mark.parametrize("pages", [COUNTRIES, PARTNERSHIPS, WORKFORCE, VOLUNTEERING, EXPLORE])
def test_every_page_renders(app_data, pages):
    at = make_app(pages)
    assert at.title[0].value and not at.exception


# ---- Countries -------------------------------------------------------------------------------

def test_countries_map_shows_the_chosen_metric(app_data, independent):
    at = make_app(COUNTRIES, query={"map": ["volunteer_days"], "region": ["East Africa"]})
    world = _figures(at)["Volunteer days by country"]["data"][0]
    expected = dict(independent.rows(
        "select v.iso3, sum(volunteer_days) from volunteering v join countries c using (iso3) "
        "where c.region = 'East Africa' group by 1"))
    assert dict(zip(plotly_values(world["locations"]), plotly_values(world["z"]))) == expected
    assert _url(at, "map") == ["volunteer_days"]


@pytest.mark.parametrize("query, where", [
    ({"country": ["UGA"]}, "t.iso3 = 'UGA'"),
    ({"country": ["TZA"], "from": ["2014Q1"], "gender": ["Female"]},
     "t.iso3 = 'TZA' and t.period >= date '2014-01-01' and t.gender = 'Female'"),
])
def test_country_link_opens_its_profile(app_data, independent, query, where):
    at = make_app(COUNTRIES, query=query)
    iso3 = query["country"][0]
    assert at.title[0].value == independent.scalar("select name from countries where iso3 = $c", {"c": iso3})
    tiles = metrics_shown(at)
    trained = independent.scalar(f"select coalesce(sum(trainees), 0) {JOIN} where {where}")
    assert tiles["Health workers trained"] == _n(trained)
    others = where.replace(f"t.iso3 = '{iso3}'", "true")
    programme = independent.scalar(f"select sum(trainees) {JOIN} where {others}")
    assert tiles["Share of all health workers trained"] == f"{round(100 * trained / programme)}%"
    projects = independent.scalar(
        "select count(*) from projects where iso3 = $c" + (" and end_date >= date '2014-01-01'" if "from" in query else ""),
        {"c": iso3})
    assert tiles["Projects"] == _n(projects)
    sentence = at.markdown[0].value.replace("\\", "")
    assert sentence.startswith(f"{at.title[0].value} trained {_n(trained)} health workers")


def test_a_country_profile_lists_its_projects_and_then_its_institutions(app_data, independent):
    at = make_app(COUNTRIES, query={"country": ["TZA"]})
    projects = [p for (p,) in independent.rows("select project_id from projects where iso3 = 'TZA' order by 1")]
    listed = [d.value for d in at.dataframe if "project_id" in d.value.columns and "budget_gbp" in d.value.columns]
    assert len(listed) == 1 and list(listed[0]["project_id"]) == projects
    at.session_state["country_lists"] = "Partner institutions: UK side and overseas"
    at.run()
    names = {n for (n,) in independent.rows(
        "select distinct i.name from project_partners pp join institutions i using (institution_id) "
        "join projects p using (project_id) where p.iso3 = 'TZA'")}
    shown = [d.value for d in at.dataframe if "lead_roles" in d.value.columns]
    assert len(shown) == 1 and set(shown[0]["name"]) == names
    assert not [d for d in at.dataframe if "budget_gbp" in d.value.columns], "the closed Projects tab builds nothing"


def test_choosing_a_country_opens_its_profile_and_back(app_data, independent):
    at = make_app(COUNTRIES)
    at.selectbox(key="country_pick").set_value("TZA").run()
    assert at.title[0].value == "Tanzania" and _url(at, "country") == ["TZA"]
    at.button(key="country_back").click().run()
    assert at.title[0].value == "Countries" and "country" not in at.query_params


# ---- Partnerships ----------------------------------------------------------------------------

def test_project_table_follows_filters_and_search(app_data, independent):
    at = make_app(PARTNERSHIPS, query={"theme": ["Surgery and anaesthesia"]})
    table = at.dataframe[0].value
    expected = independent.rows("select project_id from projects where theme = 'Surgery and anaesthesia' order by 1")
    assert list(table["project_id"]) == [p for (p,) in expected]
    at = make_app(PARTNERSHIPS, query={"q": ["uganda"]})
    found = at.dataframe[0].value
    assert len(found) == independent.scalar(
        "select count(*) from projects p join countries c using (iso3) join institutions u on u.institution_id = "
        "p.uk_lead_id join institutions o on o.institution_id = p.overseas_lead_id where lower(p.title || '|' || "
        "c.name || '|' || u.name || '|' || o.name || '|' || p.theme || '|' || p.project_id) like '%uganda%'")
    assert at.text_input(key="u_q").value == "uganda"
    at = make_app(PARTNERSHIPS, query={"q": ["%"]})  # taken literally: no title contains a percent sign
    assert len(at.dataframe[0].value) == 0


def test_institutions_tab_counts_both_sides_when_opened(app_data, independent):
    at = make_app(PARTNERSHIPS, query={"country": ["UGA"]})
    assert len(at.dataframe) == 1, "the closed Institutions tab builds no table"
    at.session_state["partnership_tabs"] = "Institutions"
    at.run()
    on = ("from project_partners pp join institutions i using (institution_id) join projects p using (project_id) "
          "where p.iso3 = 'UGA'")
    total = independent.scalar(f"select count(distinct institution_id) {on}")
    uk = independent.scalar(f"select count(distinct institution_id) {on} and i.side = 'UK'")
    assert f"{total:,} institutions on the projects above: {uk:,} on the UK side and {total - uk:,} overseas." in [
        c.value.replace("\\", "") for c in at.caption]
    shown = at.dataframe[0].value
    assert len(shown) == total and list(shown["side"].drop_duplicates()) == ["UK", "Overseas"]


def test_a_long_listing_draws_its_first_rows_and_downloads_every_one(app_data, independent, monkeypatch):
    built = {}
    real = drawing.table_downloads
    monkeypatch.setattr(drawing, "ROW_LIMIT", 25)
    monkeypatch.setattr(drawing, "table_downloads",
                        lambda spec, rows, key: built.update({key: rows()}) or real(spec, rows, key))
    at = make_app(PARTNERSHIPS)
    projects = [p for (p,) in independent.rows("select project_id from projects order by 1")]
    assert list(at.dataframe[0].value["project_id"]) == projects[:25]
    assert f"The first 25 of {len(projects):,} projects (by project id) are in the table: search or filter to " \
           "narrow them; the CSV and Excel files hold every one." in [c.value.replace("\\", "") for c in at.caption]
    assert list(built["projects_table"]["project_id"]) == projects
    assert [b.proto.label for b in at.get("download_button")] == ["CSV", "Excel"]


@pytest.mark.parametrize("filters", [{}, {"from": ["2014Q1"], "to": ["2015Q4"]}])
def test_project_page_shows_its_results_partners_and_scores(app_data, independent, filters):
    project = independent.scalar("select project_id from partnership_scores order by project_id limit 1")
    at = make_app(PARTNERSHIPS, query={"project": [project], **filters})
    assert at.title[0].value.replace("\\", "") == independent.scalar(
        "select title from projects where project_id = $p", {"p": project})
    tiles = metrics_shown(at)
    assert tiles["Health workers trained"] == _n(independent.scalar(
        "select sum(trainees) from training where project_id = $p", {"p": project}))
    figures = _figures(at)
    radar = figures[f"Partnership self-assessment, {project}"]["data"][0]
    scores = dict(independent.rows("select principle, score from partnership_scores where project_id = $p",
                                   {"p": project}))
    assert dict(zip([t.replace("<br>", " ") for t in radar["theta"][:-1]], plotly_values(radar["r"])[:-1])) == scores
    results = figures[f"Results by quarter, {project}"]["data"][0]
    period = "and period between date '2014-01-01' and date '2015-10-01'" if filters else ""
    assert sum(plotly_values(results["y"])) == independent.scalar(
        f"select sum(trainees) from training where project_id = $p {period}", {"p": project})
    partners = at.dataframe[-1].value
    assert len(partners) == independent.scalar("select count(*) from project_partners where project_id = $p",
                                               {"p": project})


def test_unknown_project_says_so(app_data):
    at = make_app(PARTNERSHIPS, query={"project": ["HPS-<b>999"]})
    assert "There is no project" in at.warning[0].value


# ---- Health workforce and volunteering -------------------------------------------------------

@pytest.mark.parametrize("query, where", [
    ({}, "true"),
    ({"region": ["West Africa"], "cadre": ["Nurse", "Midwife"]},
     "c.region = 'West Africa' and t.cadre in ('Nurse', 'Midwife')"),
])
def test_workforce_figures_equal_plain_sql(app_data, independent, query, where):
    at = make_app(WORKFORCE, query=query)
    tiles = metrics_shown(at)
    row = independent.rows(
        f"select sum(trainees), sum(trainees) filter (where gender = 'Female'), "
        f"sum(trainees) filter (where training_type = 'Training of trainers'), "
        f"sum(trainees) filter (where training_type = 'Cascade') {JOIN} where {where}")[0]
    assert tiles["Health workers trained"] == _n(row[0])
    assert tiles["Women trained"] == _n(row[1])
    assert tiles["Women's share of trainees"] == f"{round(100 * row[1] / row[0])}%"
    assert tiles["Trainers trained"] == _n(row[2]) and tiles["Trained by cascade"] == _n(row[3])
    by_cadre = _figures(at)["Health workers trained by cadre and gender"]["data"]
    female = next(t for t in by_cadre if t["name"] == "Female")
    expected = dict(independent.rows(f"select t.cadre, sum(trainees) {JOIN} where {where} and gender = 'Female' "
                                     "group by 1"))
    assert dict(zip(female["y"], plotly_values(female["x"]))) == expected


def test_workforce_in_a_country_with_projects_and_no_training_counts_zero(app_data, independent):
    """Nothing trained is 0 trained; only the women's share, with nothing to divide by, cannot be computed."""
    iso3 = independent.scalar("select min(iso3) from projects where iso3 not in "
                              "(select iso3 from training where trainees > 0)")
    assert iso3, "the fixture has a country with projects and no training"
    tiles = metrics_shown(make_app(WORKFORCE, query={"country": [iso3]}))
    for label in ("Health workers trained", "Women trained", "Countries with training", "Trainers trained",
                  "Trained by cascade"):
        assert tiles[label] == "0", (label, tiles[label])
    assert tiles["Women's share of trainees"] == "—"


@pytest.mark.parametrize("query, where", [
    ({}, "true"),
    ({"phase": ["2017-2019"], "country": ["UGA", "ZMB"]}, "p.phase = '2017-2019' and v.iso3 in ('UGA', 'ZMB')"),
])
def test_volunteering_shows_both_sides(app_data, independent, query, where):
    at = make_app(VOLUNTEERING, query=query)
    tiles = metrics_shown(at)
    overseas, uk = independent.rows(
        "select sum(volunteer_days) filter (where location = 'Overseas'), sum(volunteer_days) filter "
        f"(where location = 'UK') from volunteering v join projects p using (project_id) where {where}")[0]
    outcome_where = where.replace("v.iso3", "o.iso3")
    skills, quality, approaches, surveyed = independent.rows(
        "select " + ", ".join(f"sum(value) filter (where indicator = '{i}')" for i in (
            "uk_volunteers_improved_skills", "institutions_improved_quality", "uk_volunteers_new_approaches",
            "uk_volunteers_surveyed")) + f" from outcomes o join projects p using (project_id) where {outcome_where}")[0]
    assert tiles["Volunteer days overseas"] == _n(overseas)
    assert tiles["Volunteer days from the UK"] == _n(uk)
    assert tiles["UK volunteers with better skills"] == _n(skills)
    assert tiles["Institutions with better services"] == _n(quality)
    assert tiles["Volunteers bringing back new ideas"] == f"{round(100 * approaches / surveyed)}%"


# ---- Metric explorer -------------------------------------------------------------------------

def test_explorer_url_reopens_the_same_chart(app_data, independent):
    query = {"metric": ["volunteer_days"], "by": ["profession"], "split": ["location"], "chart": ["line"]}
    at = make_app(EXPLORE, query=query)
    assert at.selectbox(key="u_metric").value == "volunteer_days"
    assert at.selectbox(key="u_by").value == "profession"
    figure = _figures(at)["Volunteer days by profession and location"]
    traces = {t["name"]: dict(zip(t["x"], plotly_values(t["y"]))) for t in figure["data"]}
    assert all(t["mode"] == "lines+markers" for t in figure["data"])
    expected = independent.rows("select location, profession, sum(volunteer_days) from volunteering group by all")
    assert traces == {loc: {p: v for l2, p, v in expected if l2 == loc} for loc in ("Overseas", "UK")}
    for key, values in query.items():
        assert _url(at, key) == values


def test_explorer_choices_write_the_url(app_data, independent):
    at = make_app(EXPLORE, query={"country": ["UGA"]})
    at.selectbox(key="u_metric").set_value("women_share").run()
    at.selectbox(key="u_by").set_value("cadre").run()
    assert _url(at, "metric") == ["women_share"] and _url(at, "by") == ["cadre"]
    assert _url(at, "country") == ["UGA"]
    bars = _figures(at)["Women's share of trainees by cadre"]["data"][0]
    expected = dict(independent.rows(
        "select cadre, sum(trainees) filter (where gender = 'Female') / sum(trainees) from training "
        "where iso3 = 'UGA' group by 1"))
    assert dict(zip(bars["y"], plotly_values(bars["x"]))) == pytest.approx(expected)
    at.radio(key="u_cmp").set_value("phase").run()
    assert _url(at, "cmp") == ["phase"]
    assert "2011-2017 and 2017-2019 compared" in " ".join(_figures(at))


def test_explorer_table_view_and_bad_links(app_data, independent):
    at = make_app(EXPLORE, query={"by": ["grant_type"], "chart": ["table"], "split": ["'; select 1; --"]})
    # The numbers first; the chart is in an expander, drawn when it is opened.
    assert [e.label for e in at.expander][0] == "Chart" and not at.get("plotly_chart")
    table = at.dataframe[0].value
    assert dict(zip(table["grant_type"], table["trainees"])) == dict(independent.rows(
        "select p.grant_type, sum(trainees) from training t join projects p using (project_id) group by 1"))
    assert any("Ignored" in c.value for c in at.caption)


def test_explorer_by_country_shows_names_and_opens_a_country_by_its_code(app_data, independent):
    at = make_app(EXPLORE, query={"by": ["country"], "region": ["East Africa"]})
    bars = _figures(at)["Health workers trained by country"]["data"][0]
    expected = dict(independent.rows(
        "select c.name, sum(t.trainees) from training t join countries c using (iso3) "
        "where c.region = 'East Africa' group by 1"))
    assert dict(zip(bars["y"], plotly_values(bars["x"]))) == expected  # names on the axis, never codes
    pick = at.selectbox(key="explore_country")
    codes = dict(independent.rows("select iso3, name from countries where region = 'East Africa'"))
    assert set(pick.options) == set(codes.values())  # what a person reads: the names
    chosen = min(codes, key=codes.get)
    pick.set_value(chosen).run()  # its value, and the link it opens: the code
    assert at.title[0].value == codes[chosen] and _url(at, "country") == [chosen]
    assert "by" not in at.query_params  # the Countries page's link: the shared filters, not the explorer's view


# ---- text from the data is text --------------------------------------------------------------

PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(2)> [x](javascript:alert(1)) **b**"


@pytest.fixture
def hostile_app(fixture_dir, tmp_path, monkeypatch):
    """The fixture extract with a script/Markdown payload as a project title and a country name."""
    import shutil

    import pandas as pd
    import streamlit as st

    target = tmp_path / "hostile"
    shutil.copytree(fixture_dir, target)
    projects = pd.read_parquet(target / "projects.parquet")
    projects.loc[0, "title"] = PAYLOAD
    projects.to_parquet(target / "projects.parquet", index=False)
    countries = pd.read_parquet(target / "countries.parquet")
    countries.loc[countries["iso3"] == projects.loc[0, "iso3"], "name"] = PAYLOAD
    countries.to_parquet(target / "countries.parquet", index=False)
    monkeypatch.setenv("IMPACT_DATA_DIR", str(target))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield projects.loc[0, "project_id"], projects.loc[0, "iso3"]
    st.cache_data.clear()
    st.cache_resource.clear()


MARKUP = re.compile(r"(?<!\\)<(script|img)|(?<!\\)\]\(javascript")  # an unescaped tag or Markdown link


def _no_markup(at) -> None:
    for element in list(at.markdown) + list(at.caption) + list(at.title):
        assert not MARKUP.search(element.value), element.value
    for element in at.get("plotly_chart"):
        spec = element.proto.spec
        assert "<script" not in spec and "<img" not in spec


def test_hostile_titles_and_names_are_shown_as_text(hostile_app):
    project, iso3 = hostile_app
    at = make_app(PARTNERSHIPS, query={"project": [project]})
    assert "\\<script\\>" in at.title[0].value  # escaped Markdown: the browser shows the characters
    _no_markup(at)
    at = make_app(PARTNERSHIPS)
    assert PAYLOAD in set(at.dataframe[0].value["title"])
    at = make_app(COUNTRIES, query={"country": [iso3]})
    _no_markup(at)
    at = make_app(COUNTRIES)
    _no_markup(at)
    at = make_app(EXPLORE, query={"by": ["country"]})
    _no_markup(at)


# ---- Portfolio ---------------------------------------------------------------------------------------

@pytest.fixture
def dollar_portfolio(fixture_dir, tmp_path, monkeypatch):
    """A store of two programmes paid in different currencies: the fixture (GBP) and the invented second
    programme, whose definition says USD."""
    from impact.demo.generators import generate
    from impact.ingest import extract_io
    from tests.conftest import serving
    from tests.data_helpers import make_store

    second = tmp_path / "second"
    generate(second, programme="gsp", seed=7)
    definition = json.loads((second / "programme.json").read_text(encoding="utf-8"))
    (second / "programme.json").write_text(json.dumps({**definition, "currency": "USD"}), encoding="utf-8")
    root = make_store(fixture_dir, tmp_path / "store")
    result = extract_io.import_extract(second, root)
    assert result.ok, result.report.to_text()
    with serving(root, monkeypatch):
        yield fixture_dir, second, definition


def test_portfolio_never_adds_pounds_to_dollars(dollar_portfolio):
    from impact.model import metrics, programme
    from tests.conftest import Independent

    first, second, definition = dollar_portfolio
    budgets = {}  # programme short name -> (currency, its grants added up, in plain SQL)
    for folder in (first, second):
        own = programme.load(folder)
        budgets[own.short_name] = (own.currency, Independent(folder).scalar("select sum(budget) from projects"))
    assert sorted(c for c, _ in budgets.values()) == ["GBP", "USD"]

    def money(value, currency: str) -> str:
        with metrics.using(programme.load(first if currency == "GBP" else second)):
            return metrics.format_metric("budget_gbp", value)

    at = make_app("pages/portfolio.py")
    shown = metrics_shown(at)["Grant funding"]
    total = sum(v for _, v in budgets.values())
    assert shown not in {money(total, "GBP"), money(total, "USD")}, "pounds and dollars added up"
    assert sorted(shown.split(" · ")) == sorted(money(v, c) for c, v in budgets.values())  # each currency's own
    lines = [c.value.replace("\\", "") for c in at.caption]
    for name, (currency, value) in budgets.items():
        assert any(f"{name}: {money(value, currency)}" in line for line in lines), (name, lines)
    assert any("different currencies" in line for line in lines), lines
    table = next(d.value for d in at.dataframe if "programme" in d.value.columns and "currency" in d.value.columns)
    funding = [c for c in table.columns if c not in ("programme", "currency") and "fund" in c]
    assert len(funding) == 1 and "budget_gbp" not in table.columns  # not labelled in one programme's currency
    assert {p: (c, v) for p, c, v in zip(table["programme"], table["currency"], table[funding[0]])} == budgets


def test_portfolio_adds_up_programmes_paid_in_one_currency(monkeypatch):
    """The shipped HPS and GSP are both paid in pounds: one total, theirs added up (plain SQL), and no note."""
    from impact.model import metrics, programme
    from tests.conftest import ROOT, Independent, serving

    folders = [ROOT / "data", ROOT / "data" / "programmes" / "gsp"]
    assert {programme.load(f).currency for f in folders} == {"GBP"}
    total = sum(Independent(f).scalar("select sum(budget) from projects") for f in folders)
    with serving(ROOT / "data", monkeypatch):
        at = make_app("pages/portfolio.py")
    with metrics.using(programme.load(folders[0])):
        assert metrics_shown(at)["Grant funding"] == metrics.format_metric("budget_gbp", total)
    assert not [c for c in at.caption if "different currencies" in c.value]
