"""`python -m impact export`: list, chart and deck, with clear errors and exit codes."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from pptx import Presentation
from pypdf import PdfReader

from impact.charts import catalog, deck
from impact.cli import main
from tests.test_export import png_size

ROOT = Path(__file__).resolve().parent.parent


def test_list_prints_every_chart_id():
    run = subprocess.run([sys.executable, "-m", "impact", "export", "list"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0
    listed = [line.split()[0] for line in run.stdout.splitlines()]
    assert listed == list(catalog.CHARTS)


def test_chart_png_with_filters(fixture_dir, tmp_path, capsys):
    out = tmp_path / "theme.png"
    code = main(["export", "chart", "trainees_by_theme", "--format", "png", "--out", str(out),
                 "--filter", "country=UGA,TZA", "--filter", "from=2014Q1", "--data", str(fixture_dir)])
    assert code == 0
    assert png_size(out.read_bytes()) == (1920, 1080)
    assert "wrote" in capsys.readouterr().out


def test_chart_csv_numbers_equal_sql(fixture_dir, independent, definition, tmp_path):
    out = tmp_path / "theme.csv"
    women, region = definition.role("gender", "women"), definition.values("region")[0]
    assert main(["export", "chart", "trainees_by_theme", "--format", "csv", "--out", str(out),
                 "--filter", f"gender={women}", "--filter", f"region={region}", "--data", str(fixture_dir)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    expected = dict(independent.rows(
        "select p.theme, sum(t.trainees) from training t join projects p using (project_id) "
        "join countries c on c.iso3 = t.iso3 where t.gender = $g and c.region = $r group by 1",
        {"g": women, "r": region}))
    assert {r["Theme"]: int(r["Health workers trained"]) for r in rows} == expected


def test_deck_pptx_and_pdf(fixture_dir, definition, tmp_path):
    shipped = deck.default_deck()
    pptx = tmp_path / "deck.pptx"
    phase = definition.phase_names[0]
    assert main(["export", "deck", "--out", str(pptx), "--filter", f"phase={phase}", "--data", str(fixture_dir)]) == 0
    prs = Presentation(str(pptx))
    assert len(prs.slides) == len(shipped.slides) + 1
    assert f"Phase: {phase}" in prs.slides[1].notes_slide.notes_text_frame.text
    custom = tmp_path / "mine.json"
    deck.save(deck.Deck("Mine", (deck.Slide("trainees_map"),)), custom)
    pdf = tmp_path / "deck.pdf"
    assert main(["export", "deck", "--deck", str(custom), "--out", str(pdf), "--data", str(fixture_dir)]) == 0
    assert len(PdfReader(str(pdf)).pages) == 2


COMMA_THEME = "Water, sanitation and hygiene in hospitals"


@pytest.fixture(scope="module")
def comma_theme(fixture_dir, definition, tmp_path_factory) -> tuple[Path, str, str]:
    """A copy of the fixture extract whose first theme is renamed to a value with commas: (dir, it, another theme)."""
    target = tmp_path_factory.mktemp("comma_theme")
    for item in fixture_dir.iterdir():
        if item.is_file():
            shutil.copy(item, target / item.name)
    first, other = definition.values("theme")[:2]
    definition_file = target / "programme.json"  # the theme is named wherever the definition names it
    text = definition_file.read_text(encoding="utf-8")
    definition_file.write_text(text.replace(json.dumps(first), json.dumps(COMMA_THEME)), encoding="utf-8")
    projects = pd.read_parquet(target / "projects.parquet")
    projects.loc[projects["theme"] == first, "theme"] = COMMA_THEME
    projects.to_parquet(target / "projects.parquet", index=False)
    return target, COMMA_THEME, other


def _trainees_by_theme(extract: Path) -> dict[str, int]:
    return dict(duckdb.connect().execute(
        "select p.theme, sum(t.trainees) from read_parquet($t) t join read_parquet($p) p using (project_id) group by 1",
        {"t": str(extract / "training.parquet"), "p": str(extract / "projects.parquet")}).fetchall())


def test_a_filter_value_with_commas_is_one_value_and_repeating_gives_several(comma_theme, tmp_path, capsys):
    extract, with_commas, other = comma_theme
    expected = _trainees_by_theme(extract)
    out = tmp_path / "theme.csv"

    def exported(*filters: str) -> dict[str, int]:
        args = [a for f in filters for a in ("--filter", f)]
        assert main(["export", "chart", "trainees_by_theme", "--format", "csv", "--out", str(out), *args,
                     "--data", str(extract)]) == 0, capsys.readouterr().err
        rows = csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")))
        return {r["Theme"]: int(r["Health workers trained"]) for r in rows}

    assert exported(f"theme={with_commas}") == {with_commas: expected[with_commas]}
    assert exported(f"theme={with_commas}", f"theme={other}") == {t: expected[t] for t in (with_commas, other)}
    # part of the value is no value: refused, saying how to give several
    assert main(["export", "chart", "trainees_by_theme", "--format", "csv", "--out", str(tmp_path / "x.csv"),
                 "--filter", f"theme={with_commas},{other}", "--data", str(extract)]) != 0
    err = capsys.readouterr().err
    assert "unknown theme" in err and f"'{with_commas}'" in err and "repeating --filter" in err


@pytest.mark.parametrize("args, message", [
    (["export", "chart", "nope", "--format", "png"], "unknown chart 'nope'"),
    (["export", "chart", "trainees_map", "--format", "png", "--filter", "country=XXX"], "unknown country"),
    (["export", "chart", "trainees_map", "--format", "png", "--filter", "colour=red"], "unknown key 'colour'"),
    (["export", "chart", "trainees_map", "--format", "png", "--filter", "from=1999Q1"], "period"),
    (["export", "chart", "trainees_map", "--format", "png", "--filter", "country"], "key=value"),
    (["export", "chart", "trainees_map", "--format", "png", "--option", "iso3=UGA"], "takes no options"),
    (["export", "deck", "--deck", "missing.json"], "missing.json"),
])
def test_errors_are_one_clear_line_and_non_zero(fixture_dir, tmp_path, capsys, args, message):
    out = tmp_path / ("x.pptx" if args[1] == "deck" else "x.png")
    code = main([*args, "--out", str(out), "--data", str(fixture_dir)])
    assert code != 0
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert not out.exists()


def test_deck_output_must_be_pptx_pdf_or_html(fixture_dir, tmp_path, capsys):
    assert main(["export", "deck", "--out", str(tmp_path / "deck.docx"), "--data", str(fixture_dir)]) != 0
    assert ".pptx, .pdf or .html" in capsys.readouterr().err
    assert not (tmp_path / "deck.docx").exists()


def test_invalid_deck_file_is_refused(fixture_dir, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x", "slides": [{"chart": "drop_table"}]}')
    assert main(["export", "deck", "--deck", str(bad), "--out", str(tmp_path / "d.pptx"),
                 "--data", str(fixture_dir)]) != 0
    assert "unknown chart 'drop_table'" in capsys.readouterr().err


def test_unknown_format_exits_non_zero(tmp_path):
    run = subprocess.run([sys.executable, "-m", "impact", "export", "chart", "trainees_map", "--format", "gif",
                          "--out", str(tmp_path / "x.gif")], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode != 0 and "invalid choice: 'gif'" in run.stderr
