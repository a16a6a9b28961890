"""Moving between pages: every page's first call (`ensure_navigation`), a country's profile, a project's page.

Page switches keep the shared state in the link (`sidebar.link_params`); callbacks cannot switch pages, so a
choice made in one (a map clicked elsewhere) is remembered and acted on by the page's next run.
"""

from __future__ import annotations

import streamlit as st

from impact.app import sidebar, streamlit_compat


def ensure_navigation() -> None:
    """Rerun through app.py when Streamlit ran this page file on its own (old `pages/` mode).

    Streamlit 1.67 starts every server in its old multipage mode because a `pages/` folder
    exists, and leaves it only when `st.navigation` is called. If the first visit after a start
    goes straight to a sub-page URL (a shared Present link), the page file runs alone — no
    navigation, no sidebar filters — and the server stays in that mode. Pages call this first.
    """
    if streamlit_compat.leave_pages_directory_mode():
        st.rerun()


def choose_country(iso3: str | None) -> None:
    """Narrow the shared country filter to one country (its profile), or clear it (a callback)."""
    st.session_state["f_country"] = [iso3] if iso3 else []


def choose_country_on_map(key: str = "country_map", elsewhere: bool = False) -> None:
    """Open the profile of the country clicked on the map (the map's selection callback).

    With `elsewhere` (a map on another page) the Countries page opens on the next run.
    """
    points = st.session_state[key].selection.points if key in st.session_state else []
    allowed = st.session_state["_filter_choices"].values["country"]
    chosen = [p.get("location") for p in points if p.get("location") in allowed]
    if chosen:
        choose_country(chosen[0])
        st.session_state["_open_country"] = elsewhere


def open_chosen_country() -> None:
    """Go to the Countries page if a map elsewhere was clicked (callbacks cannot switch pages)."""
    if st.session_state.pop("_open_country", False):
        st.switch_page("pages/countries.py", query_params=sidebar.link_params())


def choose_country_from_state(key: str) -> None:
    """Open the profile of the country chosen in the select box `key` (a callback)."""
    if st.session_state.get(key):
        choose_country(st.session_state[key])


def open_country_from_state(key: str) -> None:
    """Open, on the Countries page, the profile of the country chosen in the select box `key` (a callback on another
    page: its value is the country's ISO-3 code, so the link is `?country=<ISO3>`)."""
    if st.session_state.get(key):
        choose_country(st.session_state[key])
        st.session_state["_open_country"] = True


PROJECT_PARAM = "project"


def open_project(project_id: str) -> None:
    """Go to the Partnerships page of one project, keeping the filters in the link."""
    st.switch_page("pages/partnerships.py", query_params={**sidebar.link_params(), PROJECT_PARAM: project_id})
