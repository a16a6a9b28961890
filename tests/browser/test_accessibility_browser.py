"""Every page passes an axe-core audit: no critical or serious violation (the counts are printed)."""

from __future__ import annotations

import pytest

from tests.browser.axe import BLOCKING, audit, report

PAGES = [
    ("overview", "/"),
    ("countries", "/countries"),
    ("partnerships", "/partnerships"),
    ("project", "/partnerships?project=HPS-002"),
    ("workforce", "/workforce"),
    ("volunteering", "/volunteering"),
    ("results", "/results"),
    ("explore", "/explore"),
    ("portfolio", "/portfolio"),
    ("present", "/present"),
    ("data", "/data"),
]


@pytest.mark.parametrize("name,path", PAGES, ids=[p[0] for p in PAGES])
def test_page_has_no_serious_accessibility_violation(page, app_url, name, path):
    page.goto(f"{app_url}{path}", wait_until="networkidle")
    violations = audit(page)
    print("\n" + report(name, violations))
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, report(name, blocking)
