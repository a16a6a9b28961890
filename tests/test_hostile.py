"""Hostile input everywhere: URL filter values that are huge, SQL-looking, odd unicode or repeated are
dropped with a notice and never reach SQL; bound parameters stay values; data text stays text."""

from __future__ import annotations

import datetime as dt

import pytest

from impact.app.text import plain
from impact.charts import figures
from impact.ingest import extract_io
from impact.query import db
from impact.query.filters import MAX_VALUES, URL_KEYS, Choices, Filters, from_query_params
from tests.conftest import make_app, metrics_shown
from tests.data_helpers import read_rows, write_rows

SQL_LOOKING = [
    "' OR 1=1 --",
    "UGA'; DROP TABLE training; --",
    "UGA) OR (1=1",
    "$countries",
    "%' UNION SELECT * FROM projects --",
    "UGA\x00",
]
UNICODE = [
    "UG\u0410",  # Cyrillic A: looks like UGA
    "\u202eAGU",  # right-to-left override
    "Ｕｇａｎｄａ",
    "🙂" * 50,
    "<script>alert(1)</script>",
    "[x](javascript:alert(1))",
]
HUGE = ["A" * 100_000, "UGA" * 5_000]


@pytest.fixture
def options(definition) -> Choices:
    return Choices(
        countries={"UGA": "Uganda", "TZA": "Tanzania"},
        first_period=dt.date(2011, 7, 1),
        last_period=dt.date(2019, 1, 1),
        values={"phase": definition.phase_names, "region": definition.values("region")[:1], "country": ("UGA", "TZA"),
                "theme": definition.values("theme"), "grant": definition.values("grant_type"),
                "cadre": definition.values("cadre"), "gender": definition.values("gender")},
    )


@pytest.mark.parametrize("value", SQL_LOOKING + UNICODE + HUGE)
@pytest.mark.parametrize("key", ["country", "theme", "cadre", "region", "grant", "phase", "gender"])
def test_unknown_values_are_dropped_with_a_short_printable_notice(key, value, options):
    filters, notices = from_query_params({key: [value]}, options)
    assert filters == Filters()
    assert len(notices) == 1
    assert len(notices[0]) < 200 and all(ch.isprintable() for ch in notices[0])


@pytest.mark.parametrize("value", ["2016Q5", "9999Q1", "2016-Q3; DROP TABLE x", "' OR 1=1", "Q1", "2016Q" + "1" * 5000,
                                   "2011Q1", "2030Q1", "", "２０１６Q1"])
def test_malformed_or_outside_periods_are_ignored(value, options):
    filters, notices = from_query_params({"from": [value], "to": ["2012Q1"]}, options)
    assert filters.period_from is None and filters.period_to == dt.date(2012, 1, 1)
    assert notices and all(len(n) < 250 for n in notices)


def test_repeated_and_too_many_values_keep_only_known_ones_once(options):
    filters, notices = from_query_params({"country": ["UGA"] * 1000 + ["TZA"]}, options)
    assert filters.country == ("UGA",)  # only the first MAX_VALUES are read
    filters, _ = from_query_params({"country": ["UGA", "UGA", "TZA"]}, options)
    assert filters.country == ("UGA", "TZA")
    filters, notices = from_query_params({"country": [f"X{i}" for i in range(10_000)]}, options)
    assert filters == Filters() and len(notices) == 1
    assert MAX_VALUES < 10_000


def test_unknown_keys_and_odd_types_are_ignored(options):
    query = {"country'; --": ["UGA"], "x" * 10_000: ["y"], "country": [None, 5, b"UGA", "UGA"], "theme": "Mental health"}
    filters, _ = from_query_params(query, options)
    assert filters.country == ("UGA",) and filters.theme == ("Mental health",)
    assert set(filters.to_query_params(options)) <= set(URL_KEYS)


def test_bound_parameters_match_nothing_rather_than_run(fixture_dir, independent):
    database = db.open_database(fixture_dir)
    total = independent.scalar("select sum(trainees) from training")
    for value in SQL_LOOKING + UNICODE:
        params = Filters(country=(value,), theme=(value,)).params()
        row = db.run_query(database, "headline_totals", params).iloc[0]
        assert row["trainees"] == 0
    assert db.run_query(database, "headline_totals", Filters().params()).iloc[0]["trainees"] == total
    assert independent.scalar("select count(*) from training") > 0  # nothing was dropped


def test_hostile_country_in_url_changes_nothing_and_shows_no_error(app_data, independent):
    total = independent.scalar("select sum(trainees) from training")
    at = make_app(query={"country": SQL_LOOKING + UNICODE + HUGE})
    assert not at.exception and not at.error
    assert metrics_shown(at)["Health workers trained"] == f"{total:,}"
    notices = [c.value for c in at.sidebar.caption if "Ignored" in c.value]
    assert notices and all(len(n) < 400 for n in notices)


def test_text_from_data_is_escaped_for_markdown_and_plotly():
    payload = "<script>alert(1)</script><img src=x onerror=alert(2)> [x](javascript:alert(1)) **b**"
    shown = plain(payload)
    for escaped in ("\\<script\\>", "\\<img ", "\\[x\\]\\(javascript\\:", "\\*\\*b\\*\\*"):
        assert escaped in shown, shown
    assert "<" not in figures.safe_text([payload])[0]


def test_data_page_shows_a_hostile_title_as_data_not_markup(data_store, csv_extract, tmp_path, monkeypatch):
    import streamlit as st

    payload = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    rows = read_rows(csv_extract / "projects.csv")
    rows[1][1] = payload
    write_rows(tmp_path / "in" / "projects.csv", rows)
    assert extract_io.import_extract(tmp_path / "in", data_store).ok
    monkeypatch.setenv("IMPACT_DATA_DIR", str(data_store))
    st.cache_data.clear()
    st.cache_resource.clear()
    at = make_app("pages/data.py")
    at.selectbox(key="browse_table").set_value("projects")
    at.run()
    assert not at.exception
    frames = [d.value for d in at.dataframe]
    assert any(payload in set(f.get("title", [])) for f in frames)
    for element in list(at.markdown) + list(at.caption):
        assert "<script" not in element.value and "<img" not in element.value
    st.cache_data.clear()
    st.cache_resource.clear()
