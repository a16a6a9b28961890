"""The reporting workbook in the partner's language: sheets, labels, instructions, headings and dropdown lists in
French or Portuguese (the definition's translated labels for its lists), and a French or Portuguese workbook filled
with the same numbers as an English one reads and imports to exactly the same rows (the stored values stay the
codes). Every cell and sheet name stays neutralised against formulas; the marker signs the words it was written in."""

from __future__ import annotations

import io
import json
import shutil

import duckdb
import openpyxl
import pytest

from impact import cli
from impact.ingest import template, validate
from impact.model import calendar, cells, schema
from impact.reporting import returns
from impact.storage import store
from tests.data_helpers import make_store
from tests.test_returns import fill, rows_of, write

KINDS = {k.table: k for k in returns.KINDS}
# What the French and Portuguese workbooks call their sheets and headings (the catalogues' words, written out here).
SHEETS = {"fr": {"training": "Formation", "volunteering": "Volontariat", "outcomes": "Résultats"},
          "pt": {"training": "Formação", "volunteering": "Voluntariado", "outcomes": "Resultados"}}
TRAINING_HEADINGS = {"fr": ["Catégorie professionnelle", "Genre", "Type de formation", "Personnes formées"],
                     "pt": ["Categoria profissional", "Género", "Tipo de formação", "Formandos"]}


def _raw_definition(folder) -> dict:
    return json.loads((folder / "programme.json").read_text(encoding="utf-8"))


def _labels(raw: dict, language: str) -> dict[str, dict[str, str]]:
    """column -> value -> the label a workbook in `language` shows, read straight from programme.json."""
    given = raw["translations"][language]
    out = {name: dict(labels) for name, labels in given["terms"].items()}
    out["indicator"] = {code: texts["label"] for code, texts in given["indicators"].items() if texts.get("label")}
    return out


def _fill_in(book: bytes, rows: dict[str, list[dict]], language: str, raw: dict) -> bytes:
    """A partner's return in `language`: the numbers typed into the rows whose cells show the labels of the
    combinations (as the definition's translations give them)."""
    labels = _labels(raw, language)
    wb = openpyxl.load_workbook(io.BytesIO(book))
    for name, records in rows.items():
        kind, sheet = KINDS[name], wb[SHEETS[language][name]]
        where = {}
        for number in range(returns.HEADER_ROW + 1, sheet.max_row + 1):
            where[tuple(sheet.cell(row=number, column=i + 1).value for i in range(len(kind.dimensions)))] = number
        for record in records:
            shown = tuple(cells.neutralise(labels.get(d, {}).get(record[d], record[d])) for d in kind.dimensions)
            for offset, measure in enumerate(kind.measures, start=len(kind.dimensions) + 1):
                sheet.cell(row=where[shown], column=offset, value=int(record[measure]))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _changed(rows: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """The quarter's rows with different numbers (so an import really changes them)."""
    out = {name: [dict(r) for r in records] for name, records in rows.items()}
    for n, record in enumerate(out["training"]):
        record["trainees"] += 3 + n
    for record in out["volunteering"]:
        record["volunteer_days"] += 5
    return out


def _read(path, held) -> tuple[validate.Report, returns.Return | None]:
    report = validate.Report()
    found = returns.read_return(path, path.name, report, key=returns.return_key(held, create=False))
    return report, found


def _frames(found: returns.Return) -> dict[str, list[dict]]:
    return {raw.table: sorted(zip(*(raw.columns[c].to_pylist() for c in raw.header), strict=True))
            for raw in found.raws}


@pytest.mark.parametrize("language", ["fr", "pt"])
def test_a_workbook_in_another_language_reads_back_to_the_same_rows_as_the_english_one(data_store, picks, tmp_path,
                                                                                        language):
    project, period = picks[0]
    held = store.open_store(data_store)
    raw = _raw_definition(held.active().path)
    rows = _changed(rows_of(held.active().path, project, period))
    assert sum(len(r) for r in rows.values()) > 3
    english = write(tmp_path, "en.xlsx", fill(returns.workbook(project, period, held), rows))
    other = write(tmp_path, f"{language}.xlsx",
                  _fill_in(returns.workbook(project, period, held, language), rows, language, raw))
    (report_en, read_en), (report_other, read_other) = _read(english, held), _read(other, held)
    assert report_en.ok and report_other.ok, report_other.to_text()
    assert _frames(read_other) == _frames(read_en)  # the same text rows, codes and all, before any import
    # and imported: the same rows land, equal to the numbers typed (plain DuckDB over the new versions)
    landed = {}
    for name, path in (("en", english), (language, other)):
        root = shutil.copytree(data_store, tmp_path / f"store-{name}")  # the same store, its signing key too
        result = returns.import_returns([path], store.open_store(root))
        assert result.ok, result.report.to_text()
        landed[name] = rows_of(store.open_store(root).active().path, project, period)
    assert landed[language] == landed["en"]
    for name, records in rows.items():
        kind = KINDS[name]
        typed = sorted((tuple(r[d] for d in kind.dimensions), tuple(int(r[m]) for m in kind.measures)) for r in records)
        got = sorted((tuple(r[d] for d in kind.dimensions), tuple(int(r[m]) for m in kind.measures))
                     for r in landed[language][name])
        assert got == typed, name
    values = {v for name in ("cadre", "gender", "training_type") for v in (r[name] for r in landed[language]["training"])}
    assert values <= {t if isinstance(t, str) else t["value"] for n in ("cadre", "gender", "training_type")
                      for t in raw["vocabularies"][n]}  # stored as the codes, never the labels


def test_the_french_workbook_is_in_french(data_store, picks):
    project, period = picks[0]
    held = store.open_store(data_store)
    raw = _raw_definition(held.active().path)
    wb = openpyxl.load_workbook(io.BytesIO(returns.workbook(project, period, held, "fr")))
    assert wb.sheetnames == ["Instructions", template.LISTS, "Formation", "Volontariat", "Résultats",
                             "Déclaré auparavant", returns.MARKER]
    training = wb["Formation"]
    assert [training[c].value for c in ("A1", "A2", "A3", "A4")] == ["Projet", "Trimestre", "Pays", "Programme"]
    assert [training[c].value for c in ("B1", "B2", "B4")] == [project, calendar.quarter_label(period), raw["id"]]
    assert training["C4"].value == raw["translations"]["fr"]["name"]
    end = calendar.quarter_end(period)
    months = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
              "novembre", "décembre"]
    assert training["C2"].value == (f"{period.day} {months[period.month - 1]} {period.year} à "
                                    f"{end.day} {months[end.month - 1]} {end.year}")
    assert training["A5"].value.startswith("Agents de santé formés : une ligne pour chaque Catégorie professionnelle")
    assert [c.value for c in training[returns.HEADER_ROW]] == TRAINING_HEADINGS["fr"]
    first = [c.value for c in training[returns.HEADER_ROW + 1]][:3]
    assert first == ["Infirmier ou infirmière", "Femme", "Formation continue"]  # Nurse, Female, In-service
    guide = [r[0] for r in wb["Instructions"].iter_rows(values_only=True)]
    assert guide[0] == f"Rapport trimestriel : {project}, {calendar.quarter_label(period)}"
    assert guide[3] == "1. Il y a une feuille par type de résultat : Formation, Volontariat et Résultats."
    # the dropdowns list the translated labels of the definition's lists
    lists = wb[template.LISTS]
    columns = {lists.cell(row=1, column=c).value: [lists.cell(row=r, column=c).value for r in range(2, lists.max_row + 1)
                                                    if lists.cell(row=r, column=c).value is not None]
               for c in range(1, lists.max_column + 1)}
    cadres = [t if isinstance(t, str) else t["value"] for t in raw["vocabularies"]["cadre"]]
    assert columns["cadre"] == [raw["translations"]["fr"]["terms"]["cadre"][c] for c in cadres]
    assert "Sage-femme" in columns["cadre"] and "Midwife" not in columns["cadre"]
    checks = {str(v.sqref).split(":")[0][0]: v for v in training.data_validations.dataValidation}
    assert (checks["A"].errorTitle, checks["A"].error) == (
        "Pas dans la liste", "Choisissez une valeur de « Catégorie professionnelle » dans la liste (la définition du "
        "programme les donne).")
    assert checks["D"].error == "Personnes formées est un nombre entier de 0 à 1\u202f000\u202f000."
    outcomes = wb["Résultats"]
    indicators = {c.value for c in outcomes["A"][returns.HEADER_ROW:]}
    assert raw["translations"]["fr"]["indicators"]["patients_improved_services"]["label"] in indicators
    reference = wb["Déclaré auparavant"]
    assert [c.value for c in reference[1]] == ["Trimestre", "Feuille", "Détails", "Mesure", "Valeur"]
    assert {r[1] for r in reference.iter_rows(min_row=2, values_only=True)} <= set(SHEETS["fr"].values())


def test_the_portuguese_workbook_is_in_portuguese(data_store, picks):
    project, period = picks[0]
    wb = openpyxl.load_workbook(io.BytesIO(returns.workbook(project, period, store.open_store(data_store), "pt")))
    assert wb.sheetnames[2:5] == list(SHEETS["pt"].values()) and wb.sheetnames[0] == "Instruções"
    assert [c.value for c in wb["Formação"][returns.HEADER_ROW]] == TRAINING_HEADINGS["pt"]
    assert wb["Formação"]["A2"].value == "Trimestre" and wb["Formação"]["A1"].value == "Projeto"


def test_the_english_workbook_keeps_its_names_and_a_language_not_shipped_is_english(data_store, picks):
    project, period = picks[0]
    held = store.open_store(data_store)
    for language in ("en", "xx"):
        wb = openpyxl.load_workbook(io.BytesIO(returns.workbook(project, period, held, language)))
        assert wb.sheetnames == [returns.INSTRUCTIONS, template.LISTS, *returns.TABLES, returns.REFERENCE,
                                 returns.MARKER]
        assert [c.value for c in wb["training"][returns.HEADER_ROW]] == ["cadre", "gender", "training_type", "trainees"]
        marker = {r[0] for r in wb[returns.MARKER].iter_rows(values_only=True)}
        assert "language" not in marker  # an English marker is the one workbooks always had


def _definition_with_formula_labels(folder) -> None:
    """The fixture's definition with French labels that a spreadsheet would run as formulas."""
    raw = _raw_definition(folder)
    raw["translations"]["fr"]["terms"]["cadre"]["Nurse"] = "=HYPERLINK(\"http://x\",\"Infirmier\")"
    raw["translations"]["fr"]["terms"]["gender"]["Female"] = "@Femme"
    (folder / "programme.json").write_text(json.dumps(raw), encoding="utf-8")


def test_every_cell_and_sheet_name_stays_neutralised_and_formula_labels_read_back(fixture_dir, picks, tmp_path):
    source = tmp_path / "extract"
    source.mkdir()
    for path in fixture_dir.iterdir():
        (source / path.name).write_bytes(path.read_bytes())
    _definition_with_formula_labels(source)
    root = make_store(source, tmp_path / "store")
    held = store.open_store(root)
    project, period = picks[0]
    book = returns.workbook(project, period, held, "fr")
    wb = openpyxl.load_workbook(io.BytesIO(book))
    for sheet in wb.worksheets:
        assert not sheet.title.startswith(cells.FORMULA_TRIGGERS + ("'",))
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                assert not (isinstance(value, str) and value.startswith(cells.FORMULA_TRIGGERS)), (sheet.title, value)
    assert wb["Formation"].cell(row=returns.HEADER_ROW + 1, column=1).value == "'=HYPERLINK(\"http://x\",\"Infirmier\")"
    assert wb["Formation"].cell(row=returns.HEADER_ROW + 1, column=2).value == "'@Femme"
    rows = {"training": [{"cadre": "Nurse", "gender": "Female", "training_type": "In-service", "trainees": 12}],
            "volunteering": [], "outcomes": []}
    raw = _raw_definition(source)
    path = write(tmp_path, "fr.xlsx", _fill_in(book, rows, "fr", raw))
    report, found = _read(path, held)
    assert report.ok, report.to_text()
    training = next(r for r in found.raws if r.table == "training")
    assert [training.columns[c].to_pylist() for c in ("cadre", "gender", "training_type", "trainees")] == [
        ["Nurse"], ["Female"], ["In-service"], ["12"]]


def test_a_sheet_title_is_a_valid_sheet_name_without_a_formula():
    assert returns.sheet_title("=Formation: [x]/y*?", "training") == "Formation   x  y"
    assert returns.sheet_title("'@+-", "training") == "training"
    assert len(returns.sheet_title("Très long titre de feuille qui dépasse la limite", "t")) <= 31


def test_labels_two_values_would_share_give_way_to_the_values(definition):
    raw_terms = {"Nurse": "Soignant", "Midwife": "Soignant", "Doctor": "Nurse"}
    labels = dict(definition.translations["fr"].terms)
    labels["cadre"] = raw_terms
    changed = type(definition)(**{**definition.__dict__, "translations": {
        "fr": type(definition.translations["fr"])(**{**definition.translations["fr"].__dict__, "terms": labels})}})
    shown = template.shown_labels(changed, "cadre", changed.values("cadre"), "fr")
    assert shown["Nurse"] == "Nurse" and shown["Midwife"] == "Midwife"  # both "Soignant": neither takes it
    assert shown["Doctor"] == "Doctor"  # "Nurse" is another value's own spelling
    assert len({v.casefold() for v in shown.values()}) == len(shown)


def test_a_french_workbook_whose_words_were_changed_in_its_marker_is_refused(data_store, picks, tmp_path):
    project, period = picks[0]
    held = store.open_store(data_store)
    wb = openpyxl.load_workbook(io.BytesIO(returns.workbook(project, period, held, "fr")))
    marker = wb[returns.MARKER]
    for row in marker.iter_rows():
        if row[0].value == returns.LABELS + "cadre":
            labels = json.loads(row[1].value)
            labels["Nurse"], labels["Doctor"] = labels["Doctor"], labels["Nurse"]  # swap two labels
            row[1].value = json.dumps(labels)
    out = io.BytesIO()
    wb.save(out)
    report, found = _read(write(tmp_path, "swapped.xlsx", out.getvalue()), held)
    assert found is None and [p.rule for p in report.problems] == ["not-a-return"]


def test_a_code_typed_in_a_french_workbook_is_still_read_as_that_value(data_store, picks, tmp_path):
    project, period = picks[0]
    held = store.open_store(data_store)
    wb = openpyxl.load_workbook(io.BytesIO(returns.workbook(project, period, held, "fr")))
    sheet = wb["Formation"]
    sheet.cell(row=returns.HEADER_ROW + 1, column=4, value=4)
    out = io.BytesIO()
    wb.save(out)
    report, found = _read(write(tmp_path, "fr.xlsx", out.getvalue()), held)
    assert report.ok, report.to_text()
    training = next(r for r in found.raws if r.table == "training")
    assert training.columns["cadre"].to_pylist() == [schema.allowed(schema.table("training").column("cadre"),
                                                                    store.load_definition(held.active().path))[0]]


def test_the_command_writes_the_workbook_in_the_language_asked(data_store, picks, tmp_path, capsys):
    project, period = picks[0]
    out = tmp_path / "fr.xlsx"
    assert cli.main(["return", "template", "--project", project, "--period", calendar.quarter_label(period),
                     "--out", str(out), "--data-dir", str(data_store), "--lang", "fr"]) == 0
    assert "in fr" in capsys.readouterr().out
    wb = openpyxl.load_workbook(out)
    assert wb["Formation"]["A2"].value == "Trimestre"
    english = tmp_path / "en.xlsx"
    assert cli.main(["return", "template", "--project", project, "--period", calendar.quarter_label(period),
                     "--out", str(english), "--data-dir", str(data_store)]) == 0
    assert openpyxl.load_workbook(english)["training"]["A2"].value == "Quarter"
    with pytest.raises(SystemExit) as refused:
        cli.main(["return", "template", "--project", project, "--period", calendar.quarter_label(period),
                  "--out", str(tmp_path / "de.xlsx"), "--data-dir", str(data_store), "--lang", "de"])
    assert refused.value.code == 2 and "invalid choice: 'de'" in capsys.readouterr().err


def test_the_zip_of_a_quarter_holds_workbooks_in_the_language_asked(data_store, picks):
    import zipfile

    project, period = picks[0]
    data = returns.zip_workbooks([project], period, store.open_store(data_store), "pt")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        book = openpyxl.load_workbook(io.BytesIO(archive.read(returns.file_name(project, period))))
    assert "Formação" in book.sheetnames


def test_duckdb_sees_the_same_rows_in_both_versions(data_store, picks, tmp_path):
    """The French return imported over the English one's figures changes nothing (the same file content by rows)."""
    project, period = picks[1]
    held = store.open_store(data_store)
    raw = _raw_definition(held.active().path)
    rows = rows_of(held.active().path, project, period)
    path = write(tmp_path, "fr.xlsx", _fill_in(returns.workbook(project, period, held, "fr"), rows, "fr", raw))
    result = returns.import_returns([path], held)
    assert result.ok, result.report.to_text()
    assert result.changes[["added", "changed", "removed"]].to_numpy().sum() == 0
    new = store.open_store(data_store).active().path
    for name in returns.TABLES:
        old_rows = duckdb.execute(f"select * exclude (project_id) from read_parquet('{data_store / (name + '.parquet')}') "
                                  "where project_id = $p and period = $d order by all",
                                  {"p": project, "d": period}).fetchall()
        new_rows = duckdb.execute(f"select * exclude (project_id) from read_parquet('{new / (name + '.parquet')}') "
                                  "where project_id = $p and period = $d order by all",
                                  {"p": project, "d": period}).fetchall()
        assert new_rows == old_rows, name
