"""A programme run from Germany in a real browser: its Overview counts volunteer days "from Germany", a project's
page names its Germany lead and Partner country lead, and no page it shows says "UK"."""

from __future__ import annotations

import re

from impact.demo.generators import generate
from impact.ingest import extract_io
from impact.model import programme as programmes
from impact.storage import store
from tests.browser.conftest import start_server, wait_for_app
from tests.conftest import Independent
from tests.data_helpers import rehome_extract

GERMANY = programmes.Home(countries=("DEU",), home="Germany", overseas="Partner country", in_sentence="Germany")


def test_a_german_programme_says_germany_and_never_uk(browser, tmp_path):
    base = tmp_path / "base"
    generate(base, programme="gsp", seed=5)
    source = rehome_extract(base, tmp_path / "extract", GERMANY, "dkp", "EUR")
    root = tmp_path / "store"
    result = extract_io.import_extract(source, root)
    assert result.ok, result.report.to_text()
    path = store.open_store(root, "dkp").active().path
    sql = Independent(path)
    german = programmes.load(path)
    home_days = sql.scalar("select sum(volunteer_days) from volunteering where location = $l",
                           {"l": german.role("location", "home")})
    project, lead, partner = sql.rows(
        "select p.project_id, l.name, o.name from projects p join institutions l on l.institution_id = p.uk_lead_id "
        "join institutions o on o.institution_id = p.overseas_lead_id order by p.project_id limit 1")[0]
    proc, url = start_server(root)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(f"{url}/?programme=dkp", wait_until="networkidle")
        wait_for_app(page)
        tile = page.locator("[data-testid='stMetric']", has_text="Volunteer days from Germany").first
        tile.wait_for(timeout=30_000)
        assert tile.locator("[data-testid='stMetricValue']").inner_text() == f"{home_days:,}"
        assert not re.search(r"\bUK\b", page.locator("body").inner_text())
        page.goto(f"{url}/partnerships?programme=dkp&project={project}", wait_until="networkidle")
        wait_for_app(page)
        page.get_by_text("Germany lead:").wait_for(timeout=30_000)
        text = page.locator("[data-testid='stMain']").inner_text()
        assert f"Germany lead: {lead}" in text and f"Partner country lead: {partner}" in text
        assert not re.search(r"\bUK\b", text)
    finally:
        context.close()
        proc.terminate()
        proc.wait(timeout=10)
