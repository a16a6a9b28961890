"""What a script run asks many times and cannot change during it, looked up once a run; what a session cannot
change, once a session.

The server's secrets and the list of programmes in the store are read by the sidebar, the navigation, the sign-in
checks and the page; reading each once a run (app.py begins it first) saves milliseconds on every page. A fragment's
rerun keeps what its full run saw. The cookies and headers of the request that opened the session are the same for
its whole life (a reload is a new session), so they are read once a session.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

_MEMO = "_impact_run_memo"
_SESSION = "_impact_session_memo"
T = TypeVar("T")


def begin() -> None:
    """Forget what the previous run saw (the first line of a full run)."""
    import streamlit as st

    st.session_state[_MEMO] = {}


def remembered(key: str, compute: Callable[[], T]) -> T:
    """`compute()` the first time `key` is asked in this run; the same value after."""
    return _kept(_MEMO, key, compute)


def for_session(key: str, compute: Callable[[], T]) -> T:
    """`compute()` the first time `key` is asked in this session; the same value after (`begin` keeps it)."""
    return _kept(_SESSION, key, compute)


def _kept(memo_key: str, key: str, compute: Callable[[], T]) -> T:
    import streamlit as st

    memo = st.session_state.get(memo_key)
    if memo is None:
        memo = st.session_state[memo_key] = {}
    if key not in memo:
        memo[key] = compute()
    return memo[key]
