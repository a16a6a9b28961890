"""The rollups answer every named query exactly as the facts do, and are actually read.

Each query runs twice on the same compiled file: through the rollups `run_query` chooses, and with
rollups turned off (the facts); the two frames must be identical (values, types, order) for fixed and
seeded random filter sets and explorer views.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

import pandas as pd
import pytest

from impact.model import metrics
from impact.model.calendar import quarter_range
from impact.query import db, explore, rollups
from impact.query.filters import Filters, apply

RANDOM_SETS = 40


@pytest.fixture(scope="module")
def database(fixture_dir):
    return db.open_database(fixture_dir)


@pytest.fixture(scope="module")
def facts(database):
    return dataclasses.replace(database, rollups={})


def _quarters(database) -> list[dt.date]:
    first, last = database.connection.execute("select min(period), max(period) from training").fetchone()
    return quarter_range(first, last)


def _random_filters(rng: random.Random, definition, database) -> Filters:
    """Some filters set, each to one or a few of its values; sometimes a period range."""
    countries = [r[0] for r in database.connection.execute("select iso3 from countries order by iso3").fetchall()]
    choices = {"phase": definition.phase_names, "region": definition.values("region"), "country": countries,
               "theme": definition.values("theme"), "grant_type": definition.values("grant_type"),
               "cadre": definition.values("cadre"), "gender": definition.values("gender")}
    chosen = {}
    for name, values in choices.items():
        if values and rng.random() < 0.3:
            chosen[name] = tuple(rng.sample(list(values), rng.randint(1, min(3, len(values)))))
    if rng.random() < 0.5:
        quarters = _quarters(database)
        a, b = sorted(rng.sample(range(len(quarters)), 2))
        chosen.update(period_from=quarters[a], period_to=quarters[b])
    return Filters(**chosen)


def _random_view(rng: random.Random, database) -> explore.View:
    """A random explorer view that can be drawn (metric, dimension, split, grain, comparison)."""
    metric = rng.choice(sorted(metrics.known()))
    allowed = explore.breakdowns_for(metric)
    by = rng.choice(allowed)
    split = rng.choice(["", *[d for d in allowed if d != by]])
    view = explore.View(metric=metric, by=by, split=split, grain=rng.choice(list(explore.GRAINS)),
                        compare=rng.choice(["", "", "phase", "period"]))
    try:
        return view.checked(_quarters(database))
    except explore.ViewError:
        return dataclasses.replace(view, compare="").checked(_quarters(database))


def _params(database, filters: Filters, view: explore.View | None = None) -> dict:
    first_project = database.connection.execute("select min(project_id) from projects").fetchone()[0]
    latest = [i.code for i in database.programme.indicators if i.aggregation == "latest"]
    params = {**filters.params(), **explore.totals_params("theme"), "project_id": first_project, "search": "",
              "row_limit": 50, "latest": latest, "project": "", "as_of": dt.date(2015, 10, 1), "day": dt.date(2015, 12, 31),
              "metrics": ["trainees", "women_trained", "volunteer_days",
                          *(i.code for i in database.programme.indicators)],
              "reading": database.programme.results.between_milestones}
    if view is not None:
        params = apply({**params, **view.params()})
    return params


def _same(database, facts, name: str, params: dict) -> None:
    via_rollups = db.run_query(database, name, params)
    via_facts = db.run_query(facts, name, params)
    if "order by" not in db.load_query(name).sql.lower():  # its row order is left open: compare as sets
        via_rollups, via_facts = (f.sort_values(list(f.columns)).reset_index(drop=True) for f in (via_rollups, via_facts))
    pd.testing.assert_frame_equal(via_rollups, via_facts, check_exact=True,
                                  obj=f"{name} via {db.sources(database, name, params) or 'facts'}")


def _fixed_filter_sets(definition) -> list[Filters]:
    return [
        Filters(),
        Filters(country=("UGA",)),
        Filters(theme=(definition.values("theme")[0],), gender=(definition.role("gender", "women"),),
                period_from=dt.date(2014, 1, 1), period_to=dt.date(2016, 10, 1)),
        Filters(cadre=(definition.values("cadre")[0],)),
        Filters(phase=(definition.phase_names[-1],), region=(definition.values("region")[0],)),
    ]


@pytest.mark.parametrize("name", db.query_names())
def test_every_query_equals_the_facts_on_fixed_filters(database, facts, definition, name):
    for filters in _fixed_filter_sets(definition):
        _same(database, facts, name, _params(database, filters))


def test_rollup_queries_equal_the_facts_on_random_filters(database, facts, definition):
    rng = random.Random(42)
    names = [n for n in db.query_names() if db.load_query(n).reads]
    for _ in range(RANDOM_SETS):
        filters = _random_filters(rng, definition, database)
        for name in names:
            _same(database, facts, name, _params(database, filters))


def test_explorer_views_equal_the_facts_on_random_filters(database, facts, definition):
    rng = random.Random(7)
    for _ in range(RANDOM_SETS * 2):
        view = _random_view(rng, database)
        params = _params(database, _random_filters(rng, definition, database), view)
        _same(database, facts, view.query, params)


def test_every_dimension_and_grain_equals_the_facts(database, facts):
    for name, fact in (("training_by_dimension", "training"), ("volunteering_by_dimension", "volunteering")):
        keys = [k for k, d in explore.BREAKDOWNS.items() if fact in d.sources] + ["slot", ""]
        for by in keys:
            for grain in explore.GRAINS:
                params = _params(database, Filters())
                params["grouping"] = {**params["grouping"], "dimension": by, "dimension2": "", "grain": grain}
                _same(database, facts, name, params)


def test_queries_read_the_smallest_rollup_that_answers_them(database):
    everything = _params(database, Filters())
    chosen = db.sources(database, "headline_totals", everything)
    assert set(chosen) == {"training", "volunteering"}
    sizes = database.rollups
    covering = [r.name for r in rollups.ROLLUPS if r.fact == "training" and {"iso3", "gender_role"} <= set(r.keeps)]
    assert sizes[chosen["training"]] == min(sizes[n] for n in covering)
    # a filter needs its column: a cadre filter takes a rollup that keeps cadre
    cadre = db.sources(database, "headline_totals", Filters(cadre=("Nurse",)).params())
    assert "cadre" in rollups.BY_NAME[cadre["training"]].keeps
    # a distinct count of projects needs project_id
    assert "project_id" in rollups.BY_NAME[db.sources(database, "trainees_by_theme", everything)["training"]].keeps


def test_latest_values_follow_the_window(database, facts):
    """An outcome's latest value depends on the period's end: the rollups keep each row's next report."""
    for last in _quarters(database)[::5]:
        params = _params(database, Filters(period_to=last))
        _same(database, facts, "indicator_totals", params)
        assert "outcomes" in db.sources(database, "indicator_totals", params)


# The latest value as a ranking: each project, country and group's value in its latest quarter, added up.
LATEST_BY_RANKING = """
with grouped as (
    select
        category, category2, indicator, project_id, iso3, sum(value) as total, arg_max(value, period) as latest
    from grouped_outcomes($filters, $grouping)
    group by all
)
select category, category2, indicator, sum(total) as total, sum(latest) as latest
from grouped group by all order by category, category2, indicator
"""


def test_latest_as_a_filter_equals_latest_as_a_ranking(database, facts, definition):
    rng = random.Random(3)
    keys = [k for k, d in explore.BREAKDOWNS.items() if "outcomes" in d.sources] + ["slot", ""]
    for _ in range(RANDOM_SETS):
        view = _random_view(rng, database)
        params = _params(database, _random_filters(rng, definition, database), view)
        grouping = {**params["grouping"], "dimension": rng.choice(keys), "dimension2": rng.choice(keys)}
        if view.compare != "period" and grouping["dimension"] == "slot":
            grouping["dimension"] = "time"
        params["grouping"] = grouping
        used = {k: v for k, v in params.items() if f"${k}" in LATEST_BY_RANKING}
        expected = facts.connection.execute(LATEST_BY_RANKING, used).df()
        got = db.run_query(database, "outcomes_by_dimension", params)
        pd.testing.assert_frame_equal(got[list(expected.columns)], expected)
        names = dict(facts.connection.execute("select iso3, name from countries").fetchall())
        for codes, shown, key in (("category", "label", grouping["dimension"]),
                                  ("category2", "label2", grouping["dimension2"])):
            want = [names.get(c, c) if key == "country" else c for c in got[codes]]
            assert [None if pd.isna(v) else v for v in got[shown]] == [None if pd.isna(v) else v for v in want]
        totals = db.run_query(database, "indicator_totals", params)
        ungrouped = {**used, "grouping": {**grouping, "dimension": "", "dimension2": ""}}
        ranked = facts.connection.execute(LATEST_BY_RANKING, ungrouped).df()
        pd.testing.assert_frame_equal(totals, ranked[["indicator", "total", "latest"]])


# Institutions as the projects' partners, joined at query time (what partner_facts stores once).
INSTITUTIONS_BY_JOIN = """
select count(distinct pp.institution_id), count(distinct pp.institution_id) filter (where i.side = 'Overseas'),
       count(distinct pp.institution_id) filter (where i.side = 'UK')
from project_partners pp join institutions i using (institution_id)
where pp.project_id in (select project_id from filtered_projects($filters))
"""


def test_institutions_from_partner_facts_equal_the_joins(database, definition):
    rng = random.Random(5)
    for _ in range(RANDOM_SETS):
        params = _params(database, _random_filters(rng, definition, database))
        row = db.run_query(database, "headline_totals", params).iloc[0]
        used = {k: v for k, v in params.items() if f"${k}" in INSTITUTIONS_BY_JOIN}
        expected = database.connection.execute(INSTITUTIONS_BY_JOIN, used).fetchone()
        assert (row["institutions"], row["institutions_overseas"], row["institutions_uk"]) == expected


def test_a_query_falls_back_to_the_facts_when_no_rollup_can_answer(database):
    everything = _params(database, Filters())
    # one project's results under a gender filter: no rollup keeps both project_id and gender
    assert "training" not in db.sources(database, "project_results_by_quarter",
                                        {**everything, **Filters(gender=("Female",)).params()})
    assert db.sources(database, "project_detail", everything) == {}  # no declaration: the facts


def test_explain_shows_the_rollup_table(database):
    query = db.load_query("trainees_by_year")
    params = {k: v for k, v in _params(database, Filters()).items() if k in query.params}
    chosen = db.sources(database, "trainees_by_year", params)["training"]
    cursor = database.connection.cursor()
    try:
        cursor.execute(f"set search_path = '{rollups.search_path({'training': chosen})}'")
        plan = "\n".join(row[1] for row in cursor.execute("explain " + query.sql, params).fetchall())
    finally:
        cursor.close()
    assert f"{chosen}.cells" in plan and "training_facts" not in plan


def test_rollups_can_be_turned_off(fixture_dir, monkeypatch):
    monkeypatch.setenv("IMPACT_ROLLUPS", "0")
    off = db.open_database(fixture_dir)
    try:
        assert off.rollups == {}
        assert db.sources(off, "headline_totals", _params(off, Filters())) == {}
    finally:
        off.connection.close()


def test_every_rollup_is_built_and_smaller_than_its_facts(database):
    assert set(database.rollups) == set(rollups.BY_NAME)
    for rollup in rollups.ROLLUPS:
        assert "period" in rollup.keeps
        facts = database.connection.execute(f"select count(*) from {rollups.FACTS[rollup.fact].table}").fetchone()[0]
        assert 0 < database.rollups[rollup.name] < facts


def test_declared_reads_name_columns_of_the_facts(database):
    for name in db.query_names():
        for fact, columns in db.load_query(name).reads:
            table = rollups.FACTS[fact].table
            have = {row[0] for row in database.connection.execute(f"describe {table}").fetchall()}
            plain = {c for c in columns if not c.startswith("$")}
            assert plain <= have, f"{name} reads {sorted(plain - have)}, not columns of {table}"
