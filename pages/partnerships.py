"""Partnerships: searchable tables of projects and partner institutions, and a page per project
(?project=P-001) with its results by quarter, its partners and its principles-of-partnership scores."""

import streamlit as st

from impact.app import drawing, navigation, results_view, returns_view, session, sidebar, widgets
from impact.app.text import plain
from impact.model import i18n
from impact.model.i18n import gettext as _
from impact.model.metrics import format_metric

navigation.ensure_navigation()
project_id = st.query_params.get(navigation.PROJECT_PARAM)

if project_id:
    found = session.query("project_detail", {"project_id": project_id[:40]})
    if st.button(_("All projects"), icon=":material/arrow_back:", key="project_back"):
        del st.query_params[navigation.PROJECT_PARAM]
        st.rerun()
    if found.empty:
        st.warning(_("There is no project {project} in this data version.").format(project=plain(project_id[:40])))
        st.stop()
    project = found.iloc[0]
    st.title(plain(project["title"]), anchor=False)
    programme, words = session.programme(), i18n.active()
    st.markdown(plain(" · ".join([
        project["project_id"],
        f"{words.country(project['iso3'], project['country'])} ({programme.label('region', project['region'])})",
        programme.label("theme", project["theme"]), programme.label("grant_type", project["grant_type"]),
        _("phase {phase}").format(phase=project["phase"]),
        _("{start} to {end}").format(start=words.date(project["start_date"], "MMMM y"),
                                     end=words.date(project["end_date"], "MMMM y")),
        format_metric("budget_gbp", project["budget_gbp"])])))
    home = programme.home
    st.markdown(f"**{plain(home.lead('home'))}:** " + plain(project["uk_lead"]) + f"  \n**{plain(home.lead('overseas'))}:** "
                + plain(project["overseas_lead"]))
    drawing.kpi_tiles(project, ["trainees", "women_trained", "volunteer_days", "volunteers"])
    st.caption(_("Figures above: the whole project, all periods. Charts below follow the filters in the sidebar."))
    results, scores = st.columns([3, 2])
    with results:
        drawing.chart("project_results", {"project_id": project["project_id"]})
    with scores:
        drawing.chart("partnership_scores", {"project_id": project["project_id"]})
    results_view.project_targets(project["project_id"])
    returns_view.project_workbook(project["project_id"], project["start_date"], project["end_date"])
    st.header(_("Partners"))
    drawing.table(session.query("project_partners_list", {"project_id": project["project_id"]}))
else:
    st.title(_("Partnerships"))
    st.caption(plain(sidebar.filter_summary()))
    search = widgets.url_text(_("Search"), "q",
                              placeholder=_("A word of a title, an institution, a country or a theme"))
    # Each tab's table is built when the tab is open: at scale each is a query over every project's partners.
    projects_tab, institutions_tab = st.tabs([_("Projects"), _("Institutions")], key="partnership_tabs",
                                             on_change="rerun")
    params = {**sidebar.filter_params(), "search": search}
    if projects_tab.open:
        with projects_tab:
            drawing.projects_listing(params, "projects_table",
                                     then=_("Select a row to open the project's page; click a heading to sort."))
    if institutions_tab.open:
        with institutions_tab:
            drawing.institutions_listing(params, "institutions_table", where=_(" on the projects above"))
