"""Results against targets: the programme's indicators against their milestones and end targets, and
every project's, scored as the annual review does."""

import streamlit as st

from impact.app import navigation, results_view, session, sidebar
from impact.app.text import plain
from impact.query import results

navigation.ensure_navigation()
programme = session.programme()
st.title("Results against targets", anchor=False)
st.caption(plain(sidebar.filter_summary()))

pic = results_view.programme_picture()
if not results_view.has_targets():
    st.info(f"{results.NO_TARGET.capitalize()}: this data version of {programme.short_name} has no targets. "
            "Import a targets table (see the Data page's dictionary) to judge results against them.")
    st.stop()
day = results_view.choose_day(pic)
st.caption(plain(
    "Progress counts every result from the start up to the date chosen (the period filter's start does not "
    "apply; its end sets the default date). " + results_view.reading_note()))

st.header("The programme's targets", anchor=False)
if results.is_filtered(sidebar.filter_params()):
    st.info("The programme's own targets are for the whole programme: they cannot be split by the filters in the "
            "sidebar. Clear them to see the programme against its targets; the projects below follow the filters.")
else:
    results_view.programme_indicators(day)

st.header("Projects against their targets", anchor=False)
st.caption("The filters choose the projects; each project's whole results count (a target covers every cadre and "
           "gender, so those two filters do not apply here).")
results_view.projects_section(day)

st.header("Publish to IATI", anchor=False)
results_view.iati_download()
