"""The sidebar: the programme chooser, the shared filters kept in the URL, and the label of the data in use.

The filter state lives in the URL query string; the widgets are initialised from it on a session's first run
and write it back on every run, so links and reloads keep the view. Pages read the filters of the run
(`current_filters`, `filter_params`, `filter_summary`), drawn by app.py before the page runs.
"""

from __future__ import annotations

import functools

import streamlit as st

from impact.app import chart_menu, language, session
from impact.app.text import plain
from impact.model import calendar, i18n
from impact.model.i18n import gettext as _
from impact.query.filters import Choices, Filters, from_query_params
from impact.storage import store


def _url() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in st.query_params.keys()}


def _write_state(filters: Filters, opts: Choices) -> None:
    first = filters.period_from or opts.first_period
    last = filters.period_to or opts.last_period
    st.session_state["f_from"] = calendar.quarter_label(first)
    st.session_state["f_to"] = calendar.quarter_label(last)
    for dim in opts.dimensions:
        st.session_state[f"f_{dim.filter}"] = list(getattr(filters, dim.key))


def _read_state(opts: Choices) -> Filters:
    labels = {calendar.quarter_label(q): q for q in opts.quarters}
    start, end = sorted((st.session_state.get("f_from"), st.session_state.get("f_to")), key=str)
    chosen = {
        "period_from": labels.get(start) if labels.get(start) != opts.first_period else None,
        "period_to": labels.get(end) if labels.get(end) != opts.last_period else None,
    }
    for dim in opts.dimensions:
        allowed = opts.values.get(dim.key, ())
        chosen[dim.key] = tuple(v for v in st.session_state.get(f"f_{dim.filter}", []) if v in allowed)
    return Filters(**chosen)


def _sync_url(filters: Filters, opts: Choices) -> None:
    current = _url()
    keys = {"from", "to", *(d.filter for d in opts.dimensions)}
    wanted = {k: v for k, v in current.items()
              if k not in keys and k not in (session.PROGRAMME_PARAM, language.LANG_PARAM)}
    wanted |= filters.to_query_params(opts) | programme_link()
    if wanted != current:
        st.query_params.from_dict(wanted)


def programme_link() -> dict[str, list[str]]:
    """The programme's URL key (left out for the store's default programme) and the language's (left out for the
    one the browser would choose)."""
    chosen = session.programme_id()
    own = {} if chosen == next(iter(session.programmes()), None) else {session.PROGRAMME_PARAM: [chosen]}
    return own | language.language_link()


def link_params() -> dict[str, list[str]]:
    """The URL of the current view's shared state: the programme and the filters."""
    return current_filters().to_query_params(st.session_state.get("_filter_choices")) | programme_link()


def _switch_programme() -> None:
    """Another programme was chosen: its vocabularies differ, so filters and page choices start afresh (and
    its own default deck replaces the old programme's, unless the deck was edited)."""
    chart_menu.forget_default_deck(st.session_state.get("_programme"))
    st.session_state["_programme"] = st.session_state["f_programme"]
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(("f_", "u_"))]:
        if key != "f_programme":
            del st.session_state[key]
    st.query_params.from_dict({session.PROGRAMME_PARAM: st.session_state["f_programme"]} | language.language_link())


def programme_chooser() -> None:
    """The programme select box at the top of the sidebar (shown when the store holds several)."""
    known = session.programmes()
    chosen = session.programme_id()
    if len(known) > 1:
        names = {pid: _programme_name(pid, str(held.active().path), i18n.active().language)
                 for pid, held in known.items()}
        st.session_state["f_programme"] = chosen
        st.sidebar.selectbox(_("Programme"), list(known), key="f_programme", format_func=names.get,
                             on_change=_switch_programme)
    notice = st.session_state.pop("_programme_notice", None)
    if notice:
        st.sidebar.caption(plain(notice))


@st.cache_data(ttl=600, max_entries=64, show_spinner=False)
def _programme_name(pid: str, version_folder: str, language: str) -> str:
    try:
        return store.load_definition(version_folder).name_in(language)
    except (OSError, ValueError):
        return pid


def sidebar_filters() -> Filters:
    """Draw the shared filters in the sidebar and return the selection (kept in the URL)."""
    opts = session.filter_choices()
    st.session_state["_filter_choices"] = opts
    if "f_from" not in st.session_state:
        # A new session (or widget state Streamlit dropped): the URL is the source of truth.
        filters, notices = from_query_params(_url(), opts)
        _write_state(filters, opts)
        st.session_state["_filter_notices"] = notices
    quarters = [calendar.quarter_label(q) for q in opts.quarters]
    with st.sidebar:
        title, reset = st.columns([3, 2], vertical_alignment="center")
        title.markdown("**" + plain(_("Filters")) + "**")
        if reset.button(_("Reset"), help=_("Clear every filter"), width="stretch"):
            _write_state(Filters(), opts)
        start, end = st.columns(2)
        start.selectbox(_("From"), quarters, key="f_from")
        end.selectbox(_("To"), quarters, key="f_to")
        # Labels in the session's language, bound now: Streamlit may call a format function again outside this run.
        programme, words = session.programme(), i18n.active()
        for dim in opts.dimensions:
            if dim.key == "country":
                fmt = lambda iso: words.country(iso, opts.countries.get(iso, iso))  # noqa: E731
            elif dim.vocabulary:  # a value as the session's language labels it; the value is what is kept
                fmt = functools.partial(programme.label, dim.vocabulary, language=words.language)
            else:
                fmt = str
            label = (_("{dimension} (training figures)").format(dimension=dim.shown_label) if dim.training_only
                     else dim.shown_label)
            st.multiselect(label, opts.values[dim.key], key=f"f_{dim.filter}", format_func=fmt,
                           placeholder=_("All"))
        for notice in st.session_state.get("_filter_notices", []):
            st.caption(plain(notice))
    filters = _read_state(opts)
    _sync_url(filters, opts)
    st.session_state["_filters"] = filters
    return filters


def current_filters() -> Filters:
    """The filters chosen in this run (drawn by app.py before the page runs)."""
    return st.session_state.get("_filters", Filters())


def filter_params() -> dict:
    """Bound SQL parameters for the current filters."""
    return current_filters().params(st.session_state.get("_filter_choices"))


def filter_summary() -> str:
    """The current filters in words."""
    return current_filters().describe(st.session_state.get("_filter_choices"))


def data_notice() -> None:
    """Label the data in use: its programme, illustrative or not, and its version."""
    data = session.database()
    with st.sidebar:
        if data.illustrative or data.programme.illustrative:
            st.info(_("**Illustrative data.** {label}: generated, not real project data.").format(
                label=plain(data.label)), icon=":material/info:")
        st.caption(plain(_("{programme} · data version {version}").format(programme=data.programme.name_in(),
                                                                          version=data.version)))
