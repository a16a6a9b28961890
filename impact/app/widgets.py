"""A page's own choices kept in the URL: select boxes, radios, segmented controls, multiple choices, text boxes
and ranges whose values a link carries.

A widget's value is read from the URL on its first run in a session (unknown values fall back to the default
with a notice) and written back on every change, the default leaving the URL clean. A widget's session-state
key is `u_<url key>` (`u_<url key>_range` for a range).
"""

from __future__ import annotations

import streamlit as st

from impact.app.text import plain


def url_choice(label: str, choices: list[str], url_key: str, default: str, *, format_func=str,
               widget=None, read=None, **kwargs) -> str:
    """A page's own choice (select box, radio or segmented control) kept in the URL under `url_key`.

    The URL value is read on the widget's first run (through `read`, e.g. `calendar.normal_quarter`, when
    the link may spell a choice another way; unknown values fall back to the default with a notice); every
    change is written back, the default leaving the URL clean.
    """
    widget = widget or st.selectbox
    state = f"u_{url_key}"
    if state not in st.session_state:  # first run of this widget: the link decides
        raw = st.query_params.get(url_key)
        raw = read(raw) if read and raw is not None else raw
        if raw is not None and raw not in choices:
            st.caption(plain(f"Ignored '{raw[:24]}' for {url_key} in the link: not one of the choices."))
        st.session_state[state] = raw if raw in choices else default
    elif st.session_state[state] not in choices:  # an earlier choice no longer applies (e.g. another metric)
        st.session_state[state] = default
    value = widget(label, choices, key=state, format_func=format_func, **kwargs)
    if value is None:  # a segmented control can be cleared: keep the choice
        value = st.session_state[state] = default
    set_url(url_key, value, default)
    return value


def set_url(url_key: str, value: str, default: str = "") -> None:
    """Write a page's own value into the URL (removed when it is the default)."""
    if value == default:
        if url_key in st.query_params:
            del st.query_params[url_key]
    elif st.query_params.get(url_key) != value:
        st.query_params[url_key] = value


def drop_url(*url_keys: str) -> None:
    """Remove page choices from the URL (a callback, e.g. when the choices they belong to change)."""
    for url_key in url_keys:
        if url_key in st.query_params:
            del st.query_params[url_key]
        st.session_state.pop(f"u_{url_key}", None)
        st.session_state.pop(f"u_{url_key}_range", None)


def url_multi(label: str, choices: list[str], url_key: str, **kwargs) -> list[str]:
    """A page's own multiple choice kept in the URL under `url_key` (unknown values dropped with a notice)."""
    state = f"u_{url_key}"
    if state not in st.session_state:
        raw = st.query_params.get_all(url_key)
        unknown = [v for v in raw if v not in choices]
        if unknown:
            st.caption(plain(f"Ignored '{unknown[0][:24]}' for {url_key} in the link: not one of the choices."))
        st.session_state[state] = [v for v in dict.fromkeys(raw) if v in choices]
    else:
        st.session_state[state] = [v for v in st.session_state[state] if v in choices]
    chosen = st.multiselect(label, choices, key=state, **kwargs)
    if chosen != st.query_params.get_all(url_key):
        st.query_params[url_key] = chosen
    return chosen


def url_text(label: str, url_key: str, *, max_chars: int = 80, **kwargs) -> str:
    """A page's own text box (e.g. a search) kept in the URL under `url_key`."""
    state = f"u_{url_key}"
    if state not in st.session_state:
        st.session_state[state] = (st.query_params.get(url_key) or "")[:max_chars]
    value = st.text_input(label, key=state, max_chars=max_chars, **kwargs).strip()
    set_url(url_key, value)
    return value


def url_range(label: str, choices: list[str], url_key: str, default: tuple[str, str], *, read=None,
              **kwargs) -> tuple[str, str]:
    """A page's own range of choices (e.g. quarters) kept in the URL as 'first:last' (each end through `read`)."""
    state = f"u_{url_key}_range"
    if state not in st.session_state or not set(st.session_state[state]) <= set(choices):
        first, _, last = (st.query_params.get(url_key) or "").partition(":")
        first, last = (read(first), read(last)) if read else (first, last)
        st.session_state[state] = (first, last) if first in choices and last in choices else default
    first, last = st.select_slider(label, choices, key=state, **kwargs)
    set_url(url_key, f"{first}:{last}", f"{default[0]}:{default[1]}")
    return first, last
