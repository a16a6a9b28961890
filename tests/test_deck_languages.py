"""A deck in the language asked: `export deck --lang fr` writes the slides' titles, key numbers, notes, source lines
and the HTML deck's controls in French, with French numbers; without --lang it stays English."""

from __future__ import annotations

import duckdb

from impact.cli import main
from tests.test_html_deck import parse


def _french(number: int) -> str:
    return f"{number:,}".replace(",", "\u202f")


def test_the_html_deck_in_french(fixture_dir, tmp_path):
    french, english = tmp_path / "deck-fr.html", tmp_path / "deck-en.html"
    assert main(["export", "deck", "--out", str(french), "--data", str(fixture_dir), "--lang", "fr"]) == 0
    assert main(["export", "deck", "--out", str(english), "--data", str(fixture_dir)]) == 0
    document = french.read_text(encoding="utf-8")
    assert '<html lang="fr" dir="ltr">' in document and '<html lang="en" dir="ltr">' in english.read_text("utf-8")
    assert 'aria-label="Diapositive suivante"' in document and 'aria-label="Vue présentateur"' in document
    pages = parse(document).all("section")
    assert len(pages) > 2
    cover = pages[0].one(css_class="notes").text()
    assert "Filtres : " in cover and "Version des données : " in cover and "Filters:" not in cover
    trained = duckdb.execute(f"select sum(trainees) from read_parquet('{fixture_dir / 'training.parquet'}')").fetchone()[0]
    keys = {}
    for page in pages[1:]:
        notes = page.one(css_class="notes").text()
        assert "Filtres : " in notes and "Exporté le : " in notes
        assert page.one(css_class="source").text().startswith("Source\u00a0: Programme de partenariats en santé, ")
        labels = page.all(css_class="key-label")
        if labels:
            keys[labels[0].text()] = page.one(css_class="key-value").text()
    assert keys.get("Agents de santé formés, total") == _french(int(trained)), keys
    plain = parse(english.read_text(encoding="utf-8")).all("section")
    assert "Filters: " in plain[1].one(css_class="notes").text()
    assert f"{int(trained):,}" in {p.one(css_class="key-value").text() for p in plain[1:] if p.all(css_class="key-value")}
