"""Overview: the headline figures, the trend, the map and the top themes."""

import functools

import streamlit as st

from impact.app import results_view, ui

HEADLINES = [
    "trainees", "women_trained", "countries_trained", "projects",
    "institutions", "volunteer_days_overseas", "volunteer_days_uk", "countries_active",
]

ui.ensure_navigation()
ui.open_chosen_country()  # the map below was clicked: show that country's profile
programme = ui.programme()
st.title(ui.plain(f"{programme.name}: impact at a glance"), anchor=False)
st.caption(ui.plain(ui.filter_summary()))

totals = ui.totals(ui.filter_params())
targets = results_view.tile_notes()
ui.kpi_tiles(totals, HEADLINES, notes=targets)

outcomes = programme.headline_indicators()
if outcomes:
    st.header("Outcomes for partners and volunteers")
    ui.kpi_tiles(totals, outcomes, notes=targets)

trend, themes = st.columns([3, 2])
with trend:
    ui.chart("trainees_trend")
with themes:
    ui.chart("trainees_by_theme")
world, countries = st.columns([3, 2])
with world:
    ui.chart("trainees_map", key="overview_map", selection_mode="points",
             on_select=functools.partial(ui.choose_country_on_map, "overview_map", True))
    st.caption("Click a country for its profile.")
with countries:
    ui.chart("trainees_by_country")
