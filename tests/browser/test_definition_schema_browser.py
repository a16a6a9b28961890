"""The definition's declared schema on the Data page in a real browser: a manager opens the data dictionary, sees
what a definition is checked for beyond the schema, and takes the schema away for an editor."""

from __future__ import annotations

import json
from pathlib import Path

from impact.model import i18n
from impact.model import programme as programmes
from tests.browser.conftest import ROOT, wait_for_app

SCHEMA = ROOT / "impact" / "model" / "programme.schema.json"


def test_the_data_page_offers_the_definition_schema_to_download(page, app_url, tmp_path):
    page.goto(f"{app_url}/data", wait_until="networkidle")
    wait_for_app(page)
    opened = page.locator("[data-testid='stExpander']", has_text="Every key of programme.json: its declared schema")
    opened.get_by_text("Every key of programme.json: its declared schema").first.click()
    opened.locator("[data-testid='stDataFrame']").first.wait_for(timeout=30_000)
    for check in programmes.SEMANTIC_CHECKS[:3]:
        opened.get_by_text(check.says).first.wait_for(timeout=30_000)
    with page.expect_download() as taken:
        page.get_by_role("button", name="Download the schema (programme.schema.json)").click()
    download = taken.value
    assert download.suggested_filename == "programme.schema.json"
    saved = Path(tmp_path / "taken.json")
    download.save_as(saved)
    assert saved.read_bytes() == SCHEMA.read_bytes()
    assert json.loads(saved.read_text(encoding="utf-8"))["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_a_french_manager_reads_the_definitions_keys_its_checks_and_the_recipe_format_in_french(page, app_url):
    words = i18n.translator("fr")
    page.goto(f"{app_url}/data?lang=fr", wait_until="networkidle")
    wait_for_app(page)
    title = "Chaque clé de programme.json : son schéma déclaré"
    assert words.gettext("Every key of programme.json: its declared schema") == title
    opened = page.locator("[data-testid='stExpander']", has_text=title)
    opened.get_by_text(title).first.click()
    opened.locator("[data-testid='stDataFrame']").first.wait_for(timeout=30_000)
    for check in programmes.SEMANTIC_CHECKS[:3]:
        opened.get_by_text(words.gettext(check.says)).first.wait_for(timeout=30_000)
    opened.get_by_text("Le programme finit le jour où il commence ou après.").first.wait_for(timeout=30_000)
    assert opened.get_by_text(programmes.SEMANTIC_CHECKS[0].says).count() == 0
    recipes = page.locator("[data-testid='stExpander']", has_text="Le format des recettes")
    recipes.get_by_text("Le format des recettes").first.click()
    recipes.get_by_text("Une recette dit comment une feuille de calcul tenue dans sa propre forme",
                        exact=False).first.wait_for(timeout=30_000)
    table = recipes.locator("table")
    table.get_by_text("la table où vont ses lignes :", exact=False).first.wait_for(timeout=30_000)
    assert recipes.get_by_text("A recipe says how", exact=False).count() == 0
