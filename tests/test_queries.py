"""Every named query runs on the fixture extract, returns its declared columns, and its
figures equal an independent computation with plain SQL for several filter sets."""

from __future__ import annotations

import datetime as dt

import pytest

from impact.query import db, explore, indicators
from impact.query.filters import Filters


@pytest.fixture(scope="module")
def database(fixture_dir):
    return db.open_database(fixture_dir)


def _all_params(database):
    params = Filters().params()
    first_project = database.connection.execute("select min(project_id) from projects").fetchone()[0]
    params.update(explore.totals_params("theme"), iso3="UGA", project_id=first_project, search="", latest=[], row_limit=None,
                  project="", as_of=dt.date(2015, 10, 1), day=dt.date(2015, 12, 31), reading="interpolate",
                  metrics=["trainees", "volunteer_days"])
    return params


@pytest.mark.parametrize("name", db.query_names())
def test_query_runs_and_returns_declared_columns(database, name):
    query = db.load_query(name)
    assert query.columns, f"queries/{name}.sql declares no '-- columns:' line"
    params = {k: v for k, v in _all_params(database).items()}
    frame = db.run_query(database, name, params)
    assert tuple(frame.columns) == query.columns


def _filter_sets(definition):
    """Filter sets built from the fixture programme's own vocabularies, with the SQL each means (bound $v)."""
    theme, women = definition.values("theme")[1], definition.role("gender", "women")
    phase, region, grant = definition.phase_names[-1], definition.values("region")[0], definition.values("grant_type")[1]
    return {
        "everything": (Filters(), "true", "true", {}),
        "uganda": (Filters(country=("UGA",)), "t.iso3 = 'UGA'", "p.iso3 = 'UGA'", {}),
        "a theme, women, 2014-2016": (
            Filters(theme=(theme,), gender=(women,), period_from=dt.date(2014, 1, 1), period_to=dt.date(2016, 10, 1)),
            "p.theme = $theme and t.gender = $women and t.period between '2014-01-01' and '2016-10-01'",
            "p.theme = $theme and p.start_date < date '2017-01-01' and p.end_date >= date '2014-01-01'",
            {"theme": theme, "women": women},
        ),
        "the last phase in a region, one grant type": (
            Filters(phase=(phase,), region=(region,), grant_type=(grant,)),
            "p.phase = $phase and c.region = $region and p.grant_type = $grant",
            "p.phase = $phase and c.region = $region and p.grant_type = $grant",
            {"phase": phase, "region": region, "grant": grant},
        ),
    }


CASES = ["everything", "uganda", "a theme, women, 2014-2016", "the last phase in a region, one grant type"]


@pytest.mark.parametrize("case", CASES)
def test_headline_totals_equal_independent_sql(database, independent, definition, case):
    filters, training_where, project_where, bound = _filter_sets(definition)[case]
    row = db.run_query(database, "headline_totals", filters.params()).iloc[0]
    join = "from training t join projects p using (project_id) join countries c on c.iso3 = t.iso3"
    expected_trainees = independent.scalar(f"select coalesce(sum(trainees), 0) {join} where {training_where}", bound)
    women = {**bound, "women_role": definition.role("gender", "women")}
    expected_women = independent.scalar(
        f"select coalesce(sum(trainees), 0) {join} where {training_where} and t.gender = $women_role", women)
    expected_countries = independent.scalar(f"select count(distinct t.iso3) {join} where {training_where}", bound)
    expected_projects = independent.scalar(
        f"select count(*) from projects p join countries c using (iso3) where {project_where}", bound)
    assert row["trainees"] == expected_trainees
    assert row["women_trained"] == expected_women
    assert row["countries_trained"] == expected_countries
    assert row["projects"] == expected_projects
    assert expected_trainees > 0


def test_volunteering_and_outcomes_follow_the_filters(database, independent):
    filters = Filters(country=("TZA", "UGA"), period_to=dt.date(2016, 10, 1))
    row = db.run_query(database, "headline_totals", filters.params()).iloc[0]
    outcomes = indicators.totals(db.run_query(database, "indicator_totals", filters.params()), database.programme)
    where = "iso3 in ('TZA', 'UGA') and period <= date '2016-10-01'"
    assert row["volunteer_days_overseas"] == independent.scalar(
        f"select sum(volunteer_days) from volunteering where location = 'Overseas' and {where}")
    assert row["volunteer_days_uk"] == independent.scalar(
        f"select sum(volunteer_days) from volunteering where location = 'UK' and {where}")
    for code in database.programme.reported_codes:
        assert outcomes[code] == independent.scalar(
            f"select coalesce(sum(value), 0) from outcomes where indicator = $code and {where}", {"code": code})
    institutions = independent.scalar(
        "select count(distinct institution_id) from project_partners where project_id in "
        "(select project_id from projects where iso3 in ('TZA', 'UGA') and start_date < date '2017-01-01')")
    assert row["institutions"] == institutions
    for side, column in (("UK", "institutions_uk"), ("Overseas", "institutions_overseas")):
        assert row[column] == independent.scalar(
            "select count(distinct pp.institution_id) from project_partners pp join institutions i "
            "using (institution_id) where i.side = $side and pp.project_id in (select project_id from projects "
            "where iso3 in ('TZA', 'UGA') and start_date < date '2017-01-01')", {"side": side})


def test_trainees_by_year_sums_and_accumulates(database, independent, definition):
    cadre = definition.values("cadre")[0]
    frame = db.run_query(database, "trainees_by_year", Filters(cadre=(cadre,)).params())
    expected = independent.rows(
        "select year(period), sum(trainees) from training where cadre = $c group by 1 order by 1", {"c": cadre})
    assert [(int(y), int(v)) for y, v in zip(frame["year"], frame["trainees"])] == expected
    assert frame["cumulative_trainees"].iloc[-1] == sum(v for _, v in expected)


def test_trainees_by_country_and_theme(database, independent, definition):
    region = definition.values("region")[-2]
    params = Filters(region=(region,)).params()
    by_country = db.run_query(database, "trainees_by_country", params)
    expected = dict(independent.rows(
        "select t.iso3, sum(trainees) from training t join countries c using (iso3) "
        "where c.region = $r group by 1", {"r": region}))
    assert dict(zip(by_country["iso3"], by_country["trainees"])) == expected
    by_theme = db.run_query(database, "trainees_by_theme", Filters().params())
    assert by_theme["trainees"].sum() == independent.scalar("select sum(trainees) from training")
    assert list(by_theme["trainees"]) == sorted(by_theme["trainees"], reverse=True)


def test_listings_give_their_first_rows_and_count_every_match(database, independent, definition):
    theme = definition.values("theme")[0]
    params = {**Filters(theme=(theme,)).params(), "search": ""}
    every = db.run_query(database, "projects_list", {**params, "row_limit": None})
    first = db.run_query(database, "projects_list", {**params, "row_limit": 5})
    expected = independent.rows("select project_id from projects where theme = $t order by 1", {"t": theme})
    assert list(every["project_id"]) == [p for (p,) in expected] and len(expected) > 5
    assert first.equals(every.head(5)) and set(first["matching"]) == {len(expected)}
    trained = dict(independent.rows(
        "select project_id, sum(trainees) from training where project_id in (select project_id from projects "
        "where theme = $t) group by 1", {"t": theme}))
    for listed in (first, every):  # the first rows, and every one (ids scattered among the theme's)
        assert {p: int(n) for p, n in zip(listed["project_id"], listed["trainees"])} == {
            p: int(trained.get(p, 0)) for p in listed["project_id"]}

    institutions = db.run_query(database, "institutions_list", {**params, "row_limit": 3})
    on = "from project_partners pp join institutions i using (institution_id) join projects p using (project_id) " \
         "where p.theme = $t"
    assert len(institutions) == 3
    assert set(institutions["matching"]) == {independent.scalar(f"select count(distinct institution_id) {on}",
                                                                {"t": theme})}
    assert set(institutions["matching_uk"]) == {independent.scalar(
        f"select count(distinct institution_id) {on} and i.side = 'UK'", {"t": theme})}
    lead = independent.rows("select i.name, p.project_id from projects p join institutions i "
                            "on i.institution_id = p.uk_lead_id order by p.project_id limit 1")[0]
    by_lead = db.run_query(database, "projects_list", {**Filters().params(), "search": lead[0].upper(),
                                                       "row_limit": None})
    expected = {p for (p,) in independent.rows(
        "select p.project_id from projects p join institutions u on u.institution_id = p.uk_lead_id "
        "join institutions o on o.institution_id = p.overseas_lead_id join countries c on c.iso3 = p.iso3 "
        "where contains(lower(u.name || '|' || o.name || '|' || p.title || '|' || p.project_id || '|' || c.name "
        "|| '|' || p.theme), lower($s))", {"s": lead[0]})}
    assert lead[1] in set(by_lead["project_id"]) and set(by_lead["project_id"]) == expected
    assert set(by_lead["uk_lead"]) | set(by_lead["overseas_lead"]) >= {lead[0]}
    searched = db.run_query(database, "projects_list", {**params, "search": every["title"].iloc[0], "row_limit": 1})
    assert searched["project_id"].iloc[0] == every["project_id"].iloc[0] and searched["matching"].iloc[0] >= 1


def test_country_metrics_count_projects_and_institutions_per_country(database, independent, definition):
    theme = definition.values("theme")[1]
    frame = db.run_query(database, "country_metrics", Filters(theme=(theme,)).params()).set_index("iso3")
    expected = independent.rows(
        "select p.iso3, count(distinct p.project_id), count(distinct pp.institution_id) from projects p "
        "left join project_partners pp using (project_id) where p.theme = $t group by 1", {"t": theme})
    assert {iso: (int(frame.loc[iso, "projects"]), int(frame.loc[iso, "institutions"])) for iso, *_ in expected} == {
        iso: (projects, institutions) for iso, projects, institutions in expected}


@pytest.mark.parametrize("filters", [Filters(), Filters(region=("East Africa",), period_from=dt.date(2015, 1, 1))])
def test_country_activity_is_country_metrics_without_institutions(database, filters):
    light = db.run_query(database, "country_activity", filters.params())
    full = db.run_query(database, "country_metrics", filters.params())
    assert light.equals(full[list(light.columns)].astype(light.dtypes.to_dict())) and len(light)


def test_hostile_values_are_bound_not_executed(database):
    hostile = Filters(country=("UGA'; drop view training; --",), theme=("' or 1=1 --",))
    row = db.run_query(database, "headline_totals", hostile.params()).iloc[0]
    assert row["trainees"] == 0
    assert db.run_query(database, "headline_totals", Filters().params()).iloc[0]["trainees"] > 0


def test_unknown_or_malformed_query_names_are_refused(database):
    with pytest.raises(db.QueryError):
        db.run_query(database, "../etc/passwd", {})
    with pytest.raises(db.QueryError):
        db.run_query(database, "no_such_query", {})
    with pytest.raises(db.QueryError, match="needs parameters"):
        db.run_query(database, "headline_totals", {})


def test_threads_each_get_a_cursor(database):
    from concurrent.futures import ThreadPoolExecutor

    params = Filters().params()
    expected = db.run_query(database, "headline_totals", params).iloc[0]["trainees"]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: db.run_query(database, "headline_totals", params).iloc[0]["trainees"],
                                range(64)))
    assert set(results) == {expected}


def test_missing_table_names_the_file(tmp_path):
    (tmp_path / "countries.parquet").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match="missing institutions.parquet, projects.parquet") as error:
        db.open_database(tmp_path)
    assert "countries.parquet" not in str(error.value)
