"""Results against targets: the programme's indicators against their milestones and end targets, and
every project's, scored as the annual review does."""

import streamlit as st

from impact.app import navigation, results_view, session, sidebar
from impact.app.text import plain
from impact.model.i18n import gettext as _
from impact.query import results

navigation.ensure_navigation()
programme = session.programme()
st.title(_("Results against targets"), anchor=False)
st.caption(plain(sidebar.filter_summary()))

pic = results_view.programme_picture()
if not results_view.has_targets():
    st.info(_("No target set: this data version of {programme} has no targets. Import a targets table (see the Data "
              "page's dictionary) to judge results against them.").format(programme=programme.short_name_in()))
    st.stop()
day = results_view.choose_day(pic)
st.caption(plain(
    _("Progress counts every result from the start up to the date chosen (the period filter's start does not apply; "
      "its end sets the default date).") + " " + results_view.reading_note()))

st.header(_("The programme's targets"), anchor=False)
if results.is_filtered(sidebar.filter_params()):
    st.info(_("The programme's own targets are for the whole programme: they cannot be split by the filters in the "
              "sidebar. Clear them to see the programme against its targets; the projects below follow the filters."))
else:
    results_view.programme_indicators(day)

st.header(_("Projects against their targets"), anchor=False)
st.caption(_("The filters choose the projects; each project's whole results count (a target covers every cadre and "
             "gender, so those two filters do not apply here)."))
results_view.projects_section(day)

st.header(_("Publish to IATI"), anchor=False)
results_view.iati_download()
