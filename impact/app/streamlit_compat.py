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
