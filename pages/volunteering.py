"""Volunteering & mutual benefit: what volunteers gave, what partner countries gained and what the
volunteers' own country gained, side by side — both sides of the partnership on one screen. The
outcome indicators on each side are the programme's own (its definition says whom each benefits)."""

import streamlit as st

from impact.app import drawing, navigation, session, sidebar
from impact.app.text import plain
from impact.model.i18n import gettext as _

navigation.ensure_navigation()
programme = session.programme()
st.title(_("Volunteering and mutual benefit"))
st.markdown(plain(_("Volunteers gave their time to partners overseas; partner countries trained health workers and "
                    "improved services; volunteers brought new skills and ideas home.")))
st.caption(plain(sidebar.filter_summary()))
totals = session.totals(sidebar.filter_params())
partner_outcomes = programme.headline_indicators("partner")
home_outcomes = programme.headline_indicators("home")

partner, home = st.columns(2, gap="large")
with partner:
    st.header(_("What partner countries gained"))
    drawing.kpi_tiles(totals, ["trainees", "countries_trained", *partner_outcomes], columns=2, published=True)
    if partner_outcomes:
        drawing.chart("explore", {"metric": partner_outcomes[0], "by": "time"})
    drawing.chart("explore", {"metric": "trainees", "by": "region"})
with home:
    st.header(_("What volunteers gave, and gained"))
    drawing.kpi_tiles(totals, ["volunteer_days_overseas", "volunteer_days_uk", *home_outcomes], columns=2,
                      published=True)
    drawing.chart("explore", {"metric": "volunteer_days", "by": "time", "split": "location"})
    drawing.chart("explore", {"metric": "volunteers", "by": "profession", "split": "location"})

if home_outcomes:
    st.header(_("Both sides, year by year"))
    both, returns = st.columns(2)
    with both:
        drawing.chart("explore", {"metric": home_outcomes[0], "by": "time", "chart": "line"})
    with returns:
        drawing.chart("explore", {"metric": home_outcomes[-1], "by": "region"})
