"""`streamlit` for a browser test whose partner pages must stand on another day: `python -m
tests.browser.dated_streamlit run app.py …` is `streamlit run app.py …` with *My projects* drawn as on the day
`IMPACT_TEST_TODAY` gives (YYYY-MM-DD) — `impact.app.partner_home.today`, the one function that page asks for the
day (the shipped extracts end years ago: on the real day nothing of theirs falls due). Everything else — the
sign-in cookie's expiry, the trail's times, the e-mails — keeps the real clock."""

from __future__ import annotations

import datetime as dt
import os
import sys

from impact.app import partner_home

if os.environ.get("IMPACT_TEST_TODAY"):
    _DAY = dt.date.fromisoformat(os.environ["IMPACT_TEST_TODAY"])
    partner_home.today = lambda: _DAY

if __name__ == "__main__":
    from streamlit.web import cli

    sys.exit(cli.main(prog_name="streamlit"))
