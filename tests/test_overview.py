"""The Overview page in AppTest: published figures on the shipped data, filters from the URL."""

from __future__ import annotations

import json

import streamlit as st

from tests.conftest import make_app, metrics_shown, plotly_values


def _figures(at) -> dict[str, dict]:
    out = {}
    for element in at.get("plotly_chart"):
        spec = json.loads(element.proto.spec)
        out[spec["layout"]["title"]["text"].split("<br>")[0]] = spec
    return out


def test_overview_tiles_show_the_published_figures(shipped_app):
    tiles = metrics_shown(make_app())
    assert tiles["Health workers trained"] == "93,112"
    assert tiles["Countries with training"] == "30"
    assert tiles["Projects"] == "210"
    assert tiles["Volunteer days from the UK"] == "12,000"
    assert tiles["UK volunteers with better skills"] == "5,653"
    assert tiles["Volunteers bringing back new ideas"] == "74%"
    assert tiles["Institutions with better services"] == "765"
    assert tiles["Countries with partnerships"] == "32"
    assert int(tiles["Women trained"].replace(",", "")) > 46_600
    assert int(tiles["Volunteer days overseas"].replace(",", "")) > 90_000


def test_overview_labels_the_data_as_illustrative(shipped_app):
    at = make_app()
    assert any("Illustrative data" in i.value for i in at.sidebar.info)


def test_url_filter_changes_tiles_to_independent_values(app_data, independent, definition):
    women, home = definition.role("gender", "women"), definition.role("location", "home")
    at = make_app(query={"country": ["UGA", "KEN"], "gender": [women], "from": ["2013Q1"]})
    tiles = metrics_shown(at)
    trained = independent.scalar(
        "select sum(trainees) from training where iso3 in ('UGA', 'KEN') and gender = $g "
        "and period >= date '2013-01-01'", {"g": women})
    projects = independent.scalar(
        "select count(*) from projects where iso3 in ('UGA', 'KEN') and end_date >= date '2013-01-01'")
    days = independent.scalar(
        "select sum(volunteer_days) from volunteering where iso3 in ('UGA', 'KEN') and location = $l "
        "and period >= date '2013-01-01'", {"l": home})
    assert tiles["Health workers trained"] == f"{trained:,}"
    assert tiles["Women trained"] == f"{trained:,}"
    assert tiles["Projects"] == f"{projects:,}"
    assert tiles["Volunteer days from the UK"] == f"{days:,}"
    assert tiles["Countries with training"] == "2"
    assert at.session_state["f_country"] == ["UGA", "KEN"]


def test_charts_carry_the_filtered_numbers(app_data, independent):
    at = make_app(query={"theme": ["Surgery and anaesthesia"]})
    figures = _figures(at)
    trend = figures["Health workers trained per year"]
    expected = independent.rows(
        "select year(period), sum(trainees) from training join projects using (project_id) "
        "where theme = 'Surgery and anaesthesia' group by 1 order by 1")
    assert plotly_values(trend["data"][0]["y"]) == [v for _, v in expected]
    assert plotly_values(trend["data"][1]["y"])[-1] == sum(v for _, v in expected)
    world = figures["Where health workers were trained"]["data"][0]
    countries = {c for (c,) in independent.rows(
        "select distinct t.iso3 from training t join projects using (project_id) "
        "where theme = 'Surgery and anaesthesia'")}
    assert set(plotly_values(world["locations"])) == countries
    assert world["locationmode"] == "ISO-3"


def test_bad_url_values_show_a_notice_and_change_nothing(app_data, independent):
    at = make_app(query={"country": ["ZZZ", "'; drop table training; --"], "to": ["not-a-quarter"]})
    tiles = metrics_shown(at)
    assert tiles["Health workers trained"] == f"{independent.scalar('select sum(trainees) from training'):,}"
    notices = " ".join(c.value for c in at.sidebar.caption)
    assert "Ignored unknown country" in notices and "Ignored the period" in notices
    assert "country" not in at.query_params


def test_a_live_run_sends_what_it_drew_before_its_first_chart(shipped_app, monkeypatch):
    """In a live session each run pauses once, before its first chart, so the server sends the headline figures
    first (AppTest has no browser: no pause there)."""
    import time

    from impact.app import drawing, streamlit_compat

    events = []
    drawn, sleep = st.plotly_chart, time.sleep

    def pause(seconds):  # the app's pause recorded, AppTest's own polling left alone
        events.append(("pause", seconds)) if seconds == drawing.SEND_PAUSE_S else sleep(seconds)

    monkeypatch.setattr(time, "sleep", pause)
    monkeypatch.setattr(st, "plotly_chart", lambda *a, **k: (events.append(("chart", None)), drawn(*a, **k))[1])
    make_app()
    assert events == [("chart", None)] * 4, "AppTest is not a live session: no pause"
    events.clear()
    monkeypatch.setattr(streamlit_compat, "browser_attached", lambda: True)
    at = make_app()
    at.multiselect(key="f_country").set_value(["UGA"]).run()
    assert events == 2 * ([("pause", drawing.SEND_PAUSE_S)] + [("chart", None)] * 4)
