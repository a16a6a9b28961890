"""Metric explorer: any metric, grouped by any dimension, optionally split by a second, at a time grain,
as a bar, line, area chart or table; or two periods or phases compared. Every choice is in the URL."""

import streamlit as st

from impact.app import drawing, navigation, session, sidebar, widgets
from impact.app.text import plain
from impact.model import calendar, metrics
from impact.model.metrics import metric
from impact.query import explore

navigation.ensure_navigation()
st.title("Metric explorer")
st.caption(plain(sidebar.filter_summary()))
quarters = [calendar.quarter_label(q) for q in session.filter_choices().quarters]

what, by, split = st.columns(3)
with what:
    labels = {key: m.label for key, m in metrics.known().items()}  # in the run's language, bound now
    chosen = widgets.url_choice("Metric", list(labels), "metric", "trainees", format_func=labels.get)
allowed = explore.breakdowns_for(chosen)
with by:
    group = widgets.url_choice("Group by", allowed, "by", "theme" if "theme" in allowed else allowed[0],
                               format_func=lambda k: explore.breakdowns()[k].label)
how, kind, compare = st.columns(3)
with compare:
    comparing = widgets.url_choice("Compare", list(explore.COMPARISONS), "cmp", "",
                                   format_func=lambda k: explore.COMPARISONS[k], widget=st.radio, horizontal=True,
                                   on_change=widgets.drop_url, args=("a", "b"))
with split:
    splits = [""] + [k for k in allowed if k != group]
    divided = widgets.url_choice("Split by", splits, "split", "", disabled=bool(comparing),
                                 format_func=lambda k: explore.breakdowns()[k].label if k else "No split")
with how:
    grain = widgets.url_choice("Time grain", list(explore.GRAINS), "grain", "year", widget=st.segmented_control,
                               format_func=lambda k: explore.GRAINS[k], disabled="time" not in (group, divided))
with kind:
    chart = widgets.url_choice("Chart", list(explore.CHART_TYPES), "chart", "bar", widget=st.segmented_control,
                               format_func=lambda k: explore.CHART_TYPES[k])

first = second = ""
phases = list(session.programme().phase_names)
if comparing == "phase":
    left, right = st.columns(2)
    with left:
        first = widgets.url_choice("Phase A", phases, "a", phases[0])
    with right:
        second = widgets.url_choice("Phase B", phases, "b", phases[-1])
elif comparing == "period":
    half = len(quarters) // 2
    left, right = st.columns(2)
    with left:
        first = ":".join(widgets.url_range("Period A", quarters, "a", (quarters[0], quarters[half - 1]),
                                       read=calendar.normal_quarter))
    with right:
        second = ":".join(widgets.url_range("Period B", quarters, "b", (quarters[half], quarters[-1]),
                                        read=calendar.normal_quarter))
if comparing:
    st.caption("The compared periods or phases take the place of the period and phase filters for this chart.")

view = explore.View(chosen, group, "" if comparing else divided, grain, chart, comparing, first, second)
try:
    view = view.checked(session.filter_choices().quarters)
except explore.ViewError as error:
    st.warning(f"This view cannot be drawn: {plain(str(error))}.")
    st.stop()

if view.chart == "table":
    st.caption("Table view: the numbers, sortable by any column; downloads include the chart.")
drawing.chart("explore", view.to_options(), key="explorer")
with st.expander("How this metric is counted"):
    st.markdown(plain(f"{metric(chosen).label}: {metric(chosen).description} {metric(chosen).how_counted}"))
