"""Every use of Streamlit's internals, in one place: what the public API does not offer.

Streamlit may move or change these between releases; when it does, this module is the one to change (the rest
of the app uses only `streamlit`'s public API). Each internal is imported when it is used, not at import time.
"""

from __future__ import annotations


def leave_pages_directory_mode() -> bool:
    """Take the server out of Streamlit's old `pages/` multipage mode; True if it was in it (the page should rerun).

    Streamlit 1.67 starts every server in that mode because a `pages/` folder exists, and leaves it only when
    `st.navigation` is called (`PagesManager.uses_pages_directory`).
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        return True
    return False


def browser_attached() -> bool:
    """This run is a live session's, with a browser connected (not AppTest's, whose runtime is a stand-in)."""
    from streamlit.runtime import Runtime
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx is not None and Runtime.exists() and Runtime.instance().is_active_session(ctx.session_id) is True


def session_id() -> str | None:
    """The id of the session this run belongs to (None outside a script run)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx else None


def apptest_compiles_once() -> None:
    """Make Streamlit's AppTest keep each script's compiled code for the process, as a running server does.

    A server compiles app.py and a page once (its `ScriptCache`, until the file changes); AppTest makes a new cache
    for every run, so each of its runs also pays compiling both — a cost no visitor pays, and one that grows with
    the page's source. The test suite and the benchmark call this once (it changes nothing in a running app).
    """
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner

    if getattr(app_test.ScriptCache, "shared", None) is not None:
        return
    shared = ScriptCache()

    def once() -> ScriptCache:
        return shared

    once.shared = shared
    app_test.ScriptCache = once
    local_script_runner.ScriptCache = once
