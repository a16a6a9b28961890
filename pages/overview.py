"""Overview: the headline figures, the trend, the map and the top themes."""

import functools

import streamlit as st

from impact import ui

HEADLINES = [
    "trainees", "women_trained", "countries_trained", "projects",
    "institutions", "volunteer_days_overseas", "volunteer_days_uk", "countries_active",
]
MUTUAL_BENEFIT = [
    "uk_volunteers_improved_skills", "new_approaches_share", "institutions_improved_quality",
    "patients_improved_services",
]

ui.open_chosen_country()  # the map below was clicked: show that country's profile
st.title("Health Partnership Scheme: impact at a glance")
st.caption(ui.plain(ui.filter_summary()))

totals = ui.query("headline_totals", ui.filter_params()).iloc[0]
ui.kpi_tiles(totals, HEADLINES)

st.subheader("Mutual benefit")
ui.kpi_tiles(totals, MUTUAL_BENEFIT)

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
