"""Overview: the headline figures, the trend, the map and the top themes."""

import functools

import streamlit as st

from impact.app import drawing, navigation, results_view, session, sidebar
from impact.app.text import plain
from impact.model import metrics
from impact.model.i18n import gettext as _

navigation.ensure_navigation()
navigation.open_chosen_country()  # the map below was clicked: show that country's profile
programme = session.programme()
st.title(plain(_("{programme}: impact at a glance").format(programme=programme.name_in())), anchor=False)
st.caption(plain(sidebar.filter_summary()))

totals = session.totals(sidebar.filter_params())
targets = results_view.tile_notes()
drawing.kpi_tiles(totals, list(metrics.HEADLINES), notes=targets)

outcomes = programme.headline_indicators()
if outcomes:
    st.header(_("Outcomes for partners and volunteers"))
    drawing.kpi_tiles(totals, outcomes, notes=targets)

trend, themes = st.columns([3, 2])
with trend:
    drawing.chart("trainees_trend")
with themes:
    drawing.chart("trainees_by_theme")
world, countries = st.columns([3, 2])
with world:
    drawing.chart("trainees_map", key="overview_map", selection_mode="points",
                  on_select=functools.partial(navigation.choose_country_on_map, "overview_map", True))
    st.caption(_("Click a country for its profile."))
with countries:
    drawing.chart("trainees_by_country")
