"""The programme template in a language: `programme template --out DIR --lang pt` writes the workbook's Instructions
sheet, each heading's help and the checks' messages in Portuguese, while what the importer reads — the sheets'
names, the header rows, the lists' values and programme.json — is the same as in English, so a Portuguese workbook
imports to exactly the rows an English one does."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from impact import cli
from impact.ingest import extract_io, template
from impact.model import cells, i18n, schema
from impact.model import programme as programmes
from impact.storage import store
from tests.test_programmes import _fill_workbook


def _rows(sheet) -> list[tuple]:
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("language", i18n.TRANSLATED)
def test_the_template_in_another_language_keeps_what_the_importer_reads(tmp_path, capsys, language):
    words = i18n.translator(language)
    assert cli.main(["programme", "template", "--out", str(tmp_path / "en")]) == 0
    assert cli.main(["programme", "template", "--out", str(tmp_path / language), "--lang", language]) == 0
    assert f"(its instructions and help in {language})" in capsys.readouterr().out
    english, other = (load_workbook(tmp_path / name / template.WORKBOOK) for name in ("en", language))
    assert other.sheetnames[0] == words.gettext(template.INSTRUCTIONS)
    assert other.sheetnames[1:] == english.sheetnames[1:]  # the Lists sheet and a sheet per table, by name
    for name in (template.LISTS, *schema.TABLE_NAMES):
        assert _rows(other[name]) == _rows(english[name]), name  # headers and list values as the importer reads
    assert (tmp_path / language / programmes.FILE).read_bytes() == (tmp_path / "en" / programmes.FILE).read_bytes()
    for table in schema.TABLE_NAMES:
        assert (tmp_path / language / f"{table}.csv").read_bytes() == (tmp_path / "en" / f"{table}.csv").read_bytes()
    starter = template.starter()
    lines = [row[0] for row in other[other.sheetnames[0]].iter_rows(values_only=True) if row[0]]
    assert lines[0] == words.gettext("How to fill in this workbook: {programme}").format(programme=starter.name)
    spec = schema.table("training")
    expected = f"- training: {words.gettext(spec.description)} " + words.gettext("Unique on {key}.").format(
        key=", ".join(spec.key))
    assert cells.neutralise(expected) in lines and f"    trainees: {words.gettext(spec.column('trainees').description)}" in lines
    english_lines = [row[0] for row in english[template.INSTRUCTIONS].iter_rows(values_only=True) if row[0]]
    assert len(lines) == len(english_lines) and not set(lines[:8]) & set(english_lines[:8])
    # each heading's help: the column's meaning and rule, in the language
    headers = [c.value for c in other["training"][1]]
    note = other["training"].cell(row=1, column=headers.index("trainees") + 1).comment.text
    assert note.startswith(f"trainees: {words.gettext(spec.column('trainees').description)}\n")
    assert note.endswith(words.gettext("required")) and note != english["training"].cell(
        row=1, column=headers.index("trainees") + 1).comment.text
    # the checks' messages
    checks = {str(dv.sqref)[0]: dv for dv in other["training"].data_validations.dataValidation}
    cadre = checks[chr(ord("A") + headers.index("cadre"))]
    assert cadre.error == words.gettext("Choose a {name} from the list (the programme's definition gives them).").format(
        name="cadre")


def test_a_portuguese_template_filled_in_imports_to_the_same_rows(fixture_dir, definition, tmp_path):
    folder = tmp_path / "filled"
    template.write(folder, definition, "pt")
    tables = {name: [list(row.values()) for row in pq.read_table(fixture_dir / f"{name}.parquet").to_pylist()]
              for name in schema.TABLE_NAMES}
    _fill_workbook(folder / template.WORKBOOK, tables)
    result = extract_io.import_extract(folder, tmp_path / "store")
    assert result.ok, result.report.to_text()
    out = tmp_path / "out"
    extract_io.export_extract("parquet", out, store.open_store(tmp_path / "store", definition.id))
    for name in schema.TABLE_NAMES:
        assert pq.read_table(out / f"{name}.parquet").equals(pq.read_table(fixture_dir / f"{name}.parquet")), name
