"""Partnership Impact Dashboard: page setup, navigation and the shared sidebar."""

import streamlit as st

from impact.app import auth, language, run_memo, session, sidebar, styles
from impact.charts import theme
from impact.model.i18n import gettext as _
from impact.query import db
from impact.storage import transaction

run_memo.begin()  # first: what this run looks up once (secrets, cookies, the programmes)
language.begin()  # then: every text of the run is in the session's language
st.set_page_config(page_title=_("Partnership Impact Dashboard"), page_icon="static/favicon.png", layout="wide")
theme.register()
transaction.prepared_by(db.prepare)  # the app's imports: a new version is compiled before it is made active


def pages(partner: bool) -> list:
    """The app's pages. My projects, a partner's home, is in the menu and the page the app opens on for a signed-in
    partner; for anyone else it is only reached by its link (/my_projects), where a partner signs in."""
    # url_path: the file's name, as for every page (a server's first request can still be in its old pages/ mode)
    home = st.Page("pages/my_projects.py", title=_("My projects"), icon=":material/home:", url_path="my_projects",
                   default=partner, visibility="visible" if partner else "hidden")  # hidden: its sign-in, by link
    return [
        home,
        st.Page("pages/overview.py", title=_("Overview"), icon=":material/dashboard:", url_path="overview",
                default=not partner),
        st.Page("pages/countries.py", title=_("Countries"), icon=":material/public:", url_path="countries"),
        st.Page("pages/partnerships.py", title=_("Partnerships"), icon=":material/handshake:", url_path="partnerships"),
        st.Page("pages/workforce.py", title=_("Health workforce"), icon=":material/medical_services:", url_path="workforce"),
        st.Page("pages/volunteering.py", title=_("Volunteering & mutual benefit"), icon=":material/volunteer_activism:",
                url_path="volunteering"),
        st.Page("pages/results.py", title=_("Results against targets"), icon=":material/flag:", url_path="results"),
        st.Page("pages/explore.py", title=_("Metric explorer"), icon=":material/query_stats:", url_path="explore"),
        st.Page("pages/portfolio.py", title=_("Portfolio"), icon=":material/stacked_bar_chart:", url_path="portfolio"),
        st.Page("pages/present.py", title=_("Present"), icon=":material/slideshow:", url_path="present"),
        st.Page("pages/data.py", title=_("Data"), icon=":material/database:", url_path="data"),
    ]


navigation = st.navigation(pages(auth.may_be_partner() and auth.partner(session.programme_store()) is not None))
styles.page_style()
sidebar.programme_chooser()
language.chooser()
session.begin_run()
if navigation.url_path not in ("portfolio", "my_projects"):  # the Portfolio's own choices apply to every programme
    # instead; My projects shows each project whole
    sidebar.sidebar_filters()
sidebar.data_notice()
navigation.run()
auth.write_cookies()  # after the page: a sign-in or sign-out on it asks for it
