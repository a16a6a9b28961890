"""Volunteering & mutual benefit: what UK volunteers gave, what partner countries gained and what
the UK gained, side by side — both sides of the partnership on one screen."""

import streamlit as st

from impact import ui

ui.ensure_navigation()
st.title("Volunteering and mutual benefit")
st.markdown("UK health workers gave their time to partners overseas; partner countries trained health "
            "workers and improved services; volunteers brought new skills and ideas back to the NHS.")
st.caption(ui.plain(ui.filter_summary()))
totals = ui.query("headline_totals", ui.filter_params()).iloc[0]

partner, uk = st.columns(2, gap="large")
with partner:
    st.subheader("What partner countries gained")
    ui.kpi_tiles(totals, ["trainees", "countries_trained", "institutions_improved_quality",
                          "patients_improved_services"], columns=2, published=True)
    ui.chart("explore", {"metric": "institutions_improved_quality", "by": "time"})
    ui.chart("explore", {"metric": "trainees", "by": "region"})
with uk:
    st.subheader("What the UK gave, and gained")
    ui.kpi_tiles(totals, ["volunteer_days_overseas", "volunteer_days_uk", "uk_volunteers_improved_skills",
                          "new_approaches_share"], columns=2, published=True)
    ui.chart("explore", {"metric": "volunteer_days", "by": "time", "split": "location"})
    ui.chart("explore", {"metric": "volunteers", "by": "profession", "split": "location"})

st.subheader("Both sides, year by year")
both, returns = st.columns(2)
with both:
    ui.chart("explore", {"metric": "uk_volunteers_improved_skills", "by": "time", "chart": "line"})
with returns:
    ui.chart("explore", {"metric": "new_approaches_share", "by": "region"})
