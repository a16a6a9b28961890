"""Partnerships: searchable tables of projects and partner institutions, and a page per project
(?project=P-001) with its results by quarter, its partners and its principles-of-partnership scores."""

import streamlit as st

from impact.app import drawing, navigation, results_view, returns_view, session, sidebar, widgets
from impact.app.text import plain
from impact.model.metrics import format_metric

navigation.ensure_navigation()
project_id = st.query_params.get(navigation.PROJECT_PARAM)

if project_id:
    found = session.query("project_detail", {"project_id": project_id[:40]})
    if st.button("All projects", icon=":material/arrow_back:", key="project_back"):
        del st.query_params[navigation.PROJECT_PARAM]
        st.rerun()
    if found.empty:
        st.warning(f"There is no project {plain(project_id[:40])!s} in this data version.")
        st.stop()
    project = found.iloc[0]
    st.title(plain(project["title"]), anchor=False)
    st.markdown(plain(
        f"{project['project_id']} · {project['country']} ({project['region']}) · {project['theme']} · "
        f"{project['grant_type']} · phase {project['phase']} · "
        f"{project['start_date']:%B %Y} to {project['end_date']:%B %Y} · "
        f"{format_metric('budget_gbp', project['budget_gbp'])}"))
    home = session.programme().home
    st.markdown(f"**{plain(home.lead('home'))}:** " + plain(project["uk_lead"]) + f"  \n**{plain(home.lead('overseas'))}:** "
                + plain(project["overseas_lead"]))
    drawing.kpi_tiles(project, ["trainees", "women_trained", "volunteer_days", "volunteers"])
    st.caption("Figures above: the whole project, all periods. Charts below follow the filters in the sidebar.")
    results, scores = st.columns([3, 2])
    with results:
        drawing.chart("project_results", {"project_id": project["project_id"]})
    with scores:
        drawing.chart("partnership_scores", {"project_id": project["project_id"]})
    results_view.project_targets(project["project_id"])
    returns_view.project_workbook(project["project_id"], project["start_date"], project["end_date"])
    st.header("Partners")
    drawing.table(session.query("project_partners_list", {"project_id": project["project_id"]}))
else:
    st.title("Partnerships")
    st.caption(plain(sidebar.filter_summary()))
    search = widgets.url_text("Search", "q", placeholder="A word of a title, an institution, a country or a theme")
    # Each tab's table is built when the tab is open: at scale each is a query over every project's partners.
    projects_tab, institutions_tab = st.tabs(["Projects", "Institutions"], key="partnership_tabs", on_change="rerun")
    params = {**sidebar.filter_params(), "search": search}
    if projects_tab.open:
        with projects_tab:
            drawing.projects_listing(params, "projects_table",
                                     then="Select a row to open the project's page; click a heading to sort.")
    if institutions_tab.open:
        with institutions_tab:
            drawing.institutions_listing(params, "institutions_table", where=" on the projects above")
