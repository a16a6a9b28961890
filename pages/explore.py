"""Metric explorer: any metric, grouped by any dimension, optionally split by a second, at a time grain,
as a bar, line, area chart or table; or two periods or phases compared. Every choice is in the URL. Grouped or
split by country, a country of the chart opens its profile (`?country=<ISO3>`: a group is its code, its name a
label)."""

import streamlit as st

from impact.app import drawing, navigation, session, sidebar, widgets
from impact.app.text import plain
from impact.charts import catalog
from impact.model import calendar, metrics
from impact.model.i18n import gettext as _
from impact.model.metrics import metric
from impact.query import explore

navigation.ensure_navigation()
navigation.open_chosen_country()  # a country of the chart was chosen below: show its profile
st.title(_("Metric explorer"))
st.caption(plain(sidebar.filter_summary()))
quarters = [calendar.quarter_label(q) for q in session.filter_choices().quarters]
# Every choice's label in the session's language, bound now (Streamlit may call a format function outside the run).
dimension_labels = {key: d.shown_label for key, d in explore.breakdowns().items()} | {"": _("No split")}
comparison_labels = {key: _(label) for key, label in explore.COMPARISONS.items()}
grain_labels = {key: _(label) for key, label in explore.GRAINS.items()}
chart_labels = {key: _(label) for key, label in explore.CHART_TYPES.items()}

what, by, split = st.columns(3)
with what:
    labels = {key: m.label for key, m in metrics.known().items()}
    chosen = widgets.url_choice(_("Metric"), list(labels), "metric", "trainees", format_func=labels.get)
allowed = explore.breakdowns_for(chosen)
with by:
    group = widgets.url_choice(_("Group by"), allowed, "by", "theme" if "theme" in allowed else allowed[0],
                               format_func=dimension_labels.get)
how, kind, compare = st.columns(3)
with compare:
    comparing = widgets.url_choice(_("Compare"), list(explore.COMPARISONS), "cmp", "",
                                   format_func=comparison_labels.get, widget=st.radio, horizontal=True,
                                   on_change=widgets.drop_url, args=("a", "b"))
with split:
    splits = [""] + [k for k in allowed if k != group]
    divided = widgets.url_choice(_("Split by"), splits, "split", "", disabled=bool(comparing),
                                 format_func=dimension_labels.get)
with how:
    grain = widgets.url_choice(_("Time grain"), list(explore.GRAINS), "grain", "year", widget=st.segmented_control,
                               format_func=grain_labels.get, disabled="time" not in (group, divided))
with kind:
    chart = widgets.url_choice(_("Chart"), list(explore.CHART_TYPES), "chart", "bar", widget=st.segmented_control,
                               format_func=chart_labels.get)

first = second = ""
phases = list(session.programme().phase_names)
if comparing == "phase":
    left, right = st.columns(2)
    with left:
        first = widgets.url_choice(_("Phase A"), phases, "a", phases[0])
    with right:
        second = widgets.url_choice(_("Phase B"), phases, "b", phases[-1])
elif comparing == "period":
    half = len(quarters) // 2
    left, right = st.columns(2)
    with left:
        first = ":".join(widgets.url_range(_("Period A"), quarters, "a", (quarters[0], quarters[half - 1]),
                                           read=calendar.normal_quarter))
    with right:
        second = ":".join(widgets.url_range(_("Period B"), quarters, "b", (quarters[half], quarters[-1]),
                                            read=calendar.normal_quarter))
if comparing:
    st.caption(_("The compared periods or phases take the place of the period and phase filters for this chart."))

view = explore.View(chosen, group, "" if comparing else divided, grain, chart, comparing, first, second)
try:
    view = view.checked(session.filter_choices().quarters)
except explore.ViewError as error:
    st.warning(_("This view cannot be drawn: {reason}.").format(reason=plain(str(error))))
    st.stop()

if view.chart == "table":
    st.caption(_("Table view: the numbers, sortable by any column; downloads include the chart."))
drawing.chart("explore", view.to_options(), key="explorer")
if "country" in (view.by, view.split):
    # The chart's countries by their codes (the groups), shown by their names (the labels): the same cached table.
    grouped = drawing.chart_frame(catalog.chart("explore", view.to_options()))
    shown = explore.labels(grouped, *(("category", "label") if view.by == "country" else ("category2", "label2")))
if "country" in (view.by, view.split) and shown:
    st.selectbox(_("Open a country's profile"), sorted(shown, key=lambda code: (shown[code], code)), index=None,
                 placeholder=_("Choose a country of the chart"), format_func=lambda code: shown.get(code, code),
                 key="explore_country", on_change=navigation.open_country_from_state, args=("explore_country",))
with st.expander(_("How this metric is counted")):
    st.markdown(plain(f"{metric(chosen).label}: {metric(chosen).description} {metric(chosen).how_counted}"))
