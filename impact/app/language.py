"""The session's language: chosen in the sidebar, kept in the link (`?lang=fr`), else the browser's own.

Each session holds the code of its language in its state; every run (and every fragment rerun, through
`session`) makes that language's translator the active one of the run's thread (`impact.model.i18n`), so two
sessions in two languages served by one process never mix.
"""

from __future__ import annotations

import streamlit as st

from impact.app import run_memo
from impact.app.text import plain
from impact.model import i18n
from impact.model.i18n import gettext as _

LANG_PARAM = "lang"
_CHOSEN = "_language"  # session state: the language code of this session
_NOTICE = "_language_notice"  # session state: why the link's language was not used


def browser_language() -> str | None:
    """The shipped language the browser asks for (its navigator language, else its Accept-Language header)."""
    asked = [st.context.locale, run_memo.for_session("accept_language", lambda: accept_language())]
    for preferences in asked:
        found = i18n.negotiate(preferences)
        if found:
            return found
    return None


def accept_language() -> str | None:
    """The Accept-Language header of the request that opened the session (the same for its whole life)."""
    try:
        return st.context.headers.get("Accept-Language")
    except Exception:  # noqa: BLE001 — no headers outside a browser's run (a test's script run)
        return None


def default_language() -> str:
    """The language a session starts in when its link names none: the browser's, else English."""
    return browser_language() or i18n.SOURCE


def begin() -> i18n.Translator:
    """The session's language for this run (app.py, first): the one chosen before, else the link's, else the
    browser's; made the active one of the run."""
    chosen = st.session_state.get(_CHOSEN)
    if chosen is None:
        wanted = st.query_params.get(LANG_PARAM)
        if wanted is not None and wanted not in i18n.LANGUAGES:
            st.session_state[_NOTICE] = wanted
        chosen = wanted if wanted in i18n.LANGUAGES else default_language()
        st.session_state[_CHOSEN] = chosen
    return i18n.activate(chosen)


def current() -> i18n.Translator:
    """The session's translator, made the active one (a fragment's rerun, which app.py does not run first)."""
    chosen = st.session_state.get(_CHOSEN) or i18n.SOURCE
    if i18n.active().language != chosen:
        return i18n.activate(chosen)
    return i18n.active()


def language_link() -> dict[str, list[str]]:
    """The language's URL key: left out when it is the one the browser would choose anyway."""
    chosen = st.session_state.get(_CHOSEN) or i18n.SOURCE
    return {} if chosen == default_language() and LANG_PARAM not in st.query_params else {LANG_PARAM: [chosen]}


def _switch() -> None:
    st.session_state[_CHOSEN] = st.session_state["language_choice"]
    st.query_params[LANG_PARAM] = st.session_state["language_choice"]
    i18n.activate(st.session_state[_CHOSEN])


def chooser() -> None:
    """The language select box in the sidebar (each language named in itself)."""
    st.session_state["language_choice"] = st.session_state.get(_CHOSEN) or i18n.SOURCE
    st.sidebar.selectbox(_("Language"), list(i18n.LANGUAGES), key="language_choice",
                         format_func=i18n.LANGUAGES.get, on_change=_switch)
    wanted = st.session_state.pop(_NOTICE, None)
    if wanted is not None:
        st.sidebar.caption(plain(_("Ignored the language '{asked}' in the link: the languages are {known}.").format(
            asked=wanted[:16], known=", ".join(i18n.LANGUAGES))))
