"""The spreadsheet import in the importer's language (issue 27): a broken recipe, a messy workbook and a file
refused say what is wrong in French, Portuguese or Spanish (the catalogue's words, numbers as the locale writes
them), while where it is — row, column —, the value and the rule stay what they are in English; the recipe's JSON
keys, role names and the sheet's own text are never translated; `mapping propose`, `import --recipe` and the Data
page say it so too. English stays as it was."""

from __future__ import annotations

import csv
import datetime as dt
import json

import openpyxl
import pytest
import streamlit as st
from babel.dates import format_date
from babel.numbers import format_decimal

from impact import cli
from impact.ingest import extract_io, mapping, reshape, sheets, validate
from impact.ingest import recipe as recipes
from impact.model import i18n
from impact.storage import store
from tests import sheet_fixtures as sf
from tests.data_helpers import read_rows, snapshot

NOT_ONE_OF = "{place}: {value} is not one of {allowed}"
DAY_FIRST = "{place}: must be true (03/04/2018 is 3 April), false (4 March) or null"
HEADER_ROWS = "{place}: must list the row numbers (from 1) of the sheet's header"
NO_HEADER = '{place}: must be an object with a "header"'
NOT_A_COUNT = ("{value} is not a whole number from 0 to {maximum}; the row would be left out. Correct it, or empty "
               "the cell.")
NO_MATCH = "{text} matches no {name} of the programme; map it in the recipe's values. {count} row(s): {rows}."
TITLES = "Row(s) {rows} above the header are titles; left out."
TOTALS = ("Total row(s) {rows} left out (their numbers are sums of the rows above: counted again they would count "
          "twice).")
SUMMARY = ("{count} problem(s) found in {files} file(s); nothing was imported and the data in use is unchanged. "
           "Fix them and import again.")
PREVIEW = "Preview only: nothing was written."


def _broken() -> dict:
    """A recipe with four mistakes: a role that is none, a column without a header, header rows that are not row
    numbers and a day_first that is not true, false or null."""
    return {"format": recipes.FORMAT, "programme": "hps", "sheets": [{
        "table": "training", "header_rows": ["three"], "day_first": "maybe",
        "columns": [{"header": "Projet", "role": "guess"}, {"role": "key"}]}]}


def _problems_of(raw: dict) -> list[str]:
    with pytest.raises(recipes.RecipeError) as caught:
        recipes.parse(raw)
    return caught.value.problems


def test_a_broken_recipe_lists_its_problems_in_french_with_its_json_places_and_role_names_as_they_are():
    english = _problems_of(_broken())
    with i18n.using("fr"):
        french = _problems_of(_broken())
    words = i18n.translator("fr")
    roles = ", ".join(recipes.ROLES)
    assert french == [
        words.gettext(NOT_ONE_OF).format(place="sheets[0].columns[0].role", value="'guess'", allowed=roles),
        words.gettext(NO_HEADER).format(place="sheets[0].columns[1]"),
        words.gettext(HEADER_ROWS).format(place="sheets[0].header_rows"),
        words.gettext(DAY_FIRST).format(place="sheets[0].day_first")]
    # what a programme officer in Dakar reads: French words, the JSON places and code words untouched
    assert french[0] == f"sheets[0].columns[0].role : 'guess' n'est pas l'un de {roles}"
    assert french[1] == 'sheets[0].columns[1] : doit être un objet avec un "header"'
    assert french[3] == ("sheets[0].day_first : doit être true (03/04/2018 est le 3 avril), false (le 4 mars) ou "
                         "null")
    assert english == [  # English as it always was
        f"sheets[0].columns[0].role: 'guess' is not one of {roles}",
        'sheets[0].columns[1]: must be an object with a "header"',
        "sheets[0].header_rows: must list the row numbers (from 1) of the sheet's header",
        "sheets[0].day_first: must be true (03/04/2018 is 3 April), false (4 March) or null"]
    with i18n.using("pt"):
        with pytest.raises(recipes.RecipeError, match="não é uma receita"):
            recipes.loads(json.dumps({"format": "something-else"}))
    with i18n.using("es"), pytest.raises(ValueError) as caught:
        recipes.check_name("Master Sheet")
    assert str(caught.value) == ("'Master Sheet' no es un nombre de receta: de 1 a 64 letras minúsculas, dígitos, '-' "
                                 "o '_', empezando por una letra o un dígito")


@pytest.fixture
def context(fixture_dir, definition) -> mapping.Context:
    return reshape.context_of(fixture_dir, definition)


def _messy(fixture_dir, tmp_path):
    """The master workbook (title row, blank row, total row) whose recipe maps it cleanly, and the same workbook
    with a country matching nothing (row 5) and a number written in words (row 6)."""
    good = sf.write_xlsx(sf.master_sheet(fixture_dir, near=()), tmp_path / "master.xlsx")
    book = openpyxl.load_workbook(good)
    book["Master"]["B5"] = "Atlantide"  # Pays
    book["Master"]["F6"] = "douze"  # Nurses (M)
    bad = tmp_path / "bad.xlsx"
    book.save(bad)
    return good, bad


def _where(report) -> list[tuple]:
    return [(p.row, p.column, p.value, p.rule) for p in report.ordered()]


@pytest.mark.parametrize("language", i18n.TRANSLATED)
def test_a_messy_workbook_is_refused_in_the_importers_language_at_the_same_cells(fixture_dir, data_store, context,
                                                                                tmp_path, language):
    good, bad = _messy(fixture_dir, tmp_path)
    chosen = mapping.propose(sheets.read(good), context).recipe
    before = snapshot(data_store)
    english = reshape.import_sheet(bad, chosen, location=data_store, confirm_removals=True)
    with i18n.using(language):
        other = reshape.import_sheet(bad, chosen, location=data_store, confirm_removals=True)
        summary = other.report.summary()
    assert not english.ok and not other.ok and snapshot(data_store) == before  # nothing written either time
    assert _where(other.report) == _where(english.report)  # the same rows, columns, values and rules
    words = i18n.translator(language)
    found = {p.rule: p for p in other.report.problems}
    assert (found["no-match"].row, found["no-match"].column) == (5, "Pays")
    assert found["no-match"].message == words.gettext(NO_MATCH).format(text="'Atlantide'", name="iso3",
                                                                       count="1", rows="5")
    assert (found["not-a-number"].row, found["not-a-number"].column) == (6, "Nurses (M)")
    maximum = format_decimal(reshape.MAX_COUNT, locale=language)  # the locale's own grouping: 10 000 000 in French
    assert found["not-a-number"].message == words.gettext(NOT_A_COUNT).format(value="'douze'", maximum=maximum)
    assert found["not-a-number"].file == words.gettext("{file}, sheet {sheet}").format(file="bad.xlsx",
                                                                                      sheet="Master")
    for problem in other.report.problems:  # really translated: not the English sentence
        assert problem.message not in {p.message for p in english.report.problems}
    assert summary == words.gettext(SUMMARY).format(count=words.number(2), files=words.number(1))


def test_a_messy_workbook_in_french_reads_as_a_programme_officer_writes(fixture_dir, data_store, context, tmp_path):
    good, bad = _messy(fixture_dir, tmp_path)
    with i18n.using("fr"):
        proposal = mapping.propose(sheets.read(good), context)
        refused = reshape.import_sheet(bad, proposal.recipe, location=data_store, confirm_removals=True)
        place = proposal.sheets[0].sheet.shown  # said when shown, in the reader's language
    notices = proposal.sheets[0].layout.notices
    assert "La ou les lignes 1 au-dessus de l'en-tête sont des titres ; laissées de côté." in notices
    assert ("Ligne(s) de total 8 laissée(s) de côté (leurs nombres sont des sommes des lignes au-dessus : comptés de "
            "nouveau, ils compteraient deux fois).") in notices
    assert place == "master.xlsx, feuille Master" and proposal.sheets[0].sheet.shown == "master.xlsx, sheet Master"
    reasons = {c.header: c.mapping.why for c in proposal.sheets[0].columns}
    assert reasons["Projet"] == "en-tête 'Projet'" and reasons["Notes"] == "non reconnue"
    assert proposal.recipe.sheets[0].columns[0].role == "key"  # the recipe's own words stay its own
    messages = {p.rule: p.message for p in refused.report.problems}
    assert messages["no-match"] == ("'Atlantide' ne correspond à aucun iso3 du programme ; associez-le dans les "
                                    "values de la recette. 1 ligne(s) : 5.")
    assert messages["not-a-number"] == ("'douze' n'est pas un nombre entier de 0 à 10\u202f000\u202f000 ; la ligne "
                                        "serait laissée de côté. Corrigez-le, ou videz la cellule.")


def test_a_file_the_spreadsheet_import_refuses_says_why_in_portuguese(tmp_path):
    macro = tmp_path / "mestre.xlsm"
    macro.write_bytes(b"PK")
    empty = tmp_path / "vazio.csv"
    empty.write_bytes(b"")
    with i18n.using("pt"):
        report = validate.Report()
        sheets.read(macro, report=report)
        sheets.read(empty, report=report)
    assert [p.message for p in report.problems] == [
        "'mestre.xlsm' é um livro com macros: guarde-o como .xlsx (Livro do Excel) e importe esse.",
        "O ficheiro está vazio."]
    assert [p.rule for p in report.problems] == ["unknown-file", "empty-file"]


def test_a_header_cell_without_a_name_is_shown_in_the_readers_language_and_matched_in_english(data_store, csv_extract,
                                                                                             tmp_path):
    """The extract reader names an empty header cell '(column N without a name)' — a key it matches on, the same in
    every language — and shows it to people in theirs."""
    rows = read_rows(csv_extract / "training.csv")
    for n, row in enumerate(rows):
        row.insert(2, "" if n == 0 else "stray")  # a third column with values and no name
    folder = tmp_path / "unnamed"
    folder.mkdir()
    with open(folder / "training.csv", "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    english = extract_io.import_extract(folder, data_store)
    with i18n.using("fr"):
        french = extract_io.import_extract(folder, data_store)
    [shown] = [p for p in french.report.problems if p.rule == "unnamed-column"]
    [plain] = [p for p in english.report.problems if p.rule == "unnamed-column"]
    assert (plain.column, plain.message) == (
        "(column 3 without a name)",
        "The column 3 without a name holds values; give it one of the table's column names or delete it.")
    assert (shown.column, shown.row) == ("(colonne 3 sans nom)", plain.row)
    assert shown.message == ("La colonne 3 sans nom contient des valeurs ; donnez-lui l'un des noms de colonnes de la "
                             "table ou supprimez-la.")
    assert [p.rule for p in french.report.problems] == [p.rule for p in english.report.problems]


# ---- the command line -------------------------------------------------------------------------------------------

def test_the_mapping_commands_speak_french_with_lang(fixture_dir, data_store, context, tmp_path, capsys):
    sheet = sf.master_sheet(fixture_dir)  # two themes misspelt: near matches to confirm
    path = sf.write_xlsx(sheet, tmp_path / "master.xlsx")
    out = tmp_path / "recette.json"
    assert cli.main(["mapping", "propose", str(path), "--data-dir", str(data_store), "--out", str(out),
                     "--lang", "fr"]) == 0
    text = capsys.readouterr().out
    assert "master.xlsx, feuille Master : les lignes vont dans training ; en-tête à la ligne 3 ; 3 lignes de données" \
        in text
    assert "  laissé de côté : Ligne(s) de total 8 laissée(s) de côté" in text
    assert "à confirmer : theme " in text and "pourquoi" in text and "correspond à" in text
    assert f"{out} écrit : modifiez-le au besoin, puis : python -m impact import {path} --recipe {out} " \
           "--accept-proposed --dry-run" in text
    assert json.loads(out.read_text())["sheets"][0]["columns"][0]["role"] == "key"  # the JSON's own words
    before = snapshot(data_store)
    assert cli.main(["import", str(path), "--recipe", str(out), "--data-dir", str(data_store), "--dry-run",
                     "--lang", "fr"]) == 1
    text = capsys.readouterr().out
    near = next(iter(mapping.propose(sheets.read(path), context).recipe.proposed()))
    assert f"'{near[2]}' est proche de '{near[3]}' mais pas identique" in text and "[proposed-match]" in text
    assert cli.main(["import", str(path), "--recipe", str(out), "--data-dir", str(data_store), "--accept-proposed",
                     "--dry-run", "--lang", "fr"]) == 0
    text = capsys.readouterr().out
    assert "Aperçu seulement : rien n'a été écrit." in text and "changement par rapport à la version utilisée :" in text
    assert "lignes avant" in text and "ligne de la feuille" in text and snapshot(data_store) == before
    assert cli.main(["import", str(path), "--recipe", "nosuch", "--data-dir", str(data_store), "--lang", "fr"]) \
        == cli.INPUT_ERROR
    assert "il n'y a pas de recette appelée 'nosuch' dans ce programme (il n'en a pas encore)" in \
        capsys.readouterr().err
    assert cli.main(["mapping", "recipes", "--data-dir", str(data_store), "--lang", "es"]) == 0
    assert "no hay ninguna receta guardada en la versión base de este programa" in capsys.readouterr().out
    assert cli.main(["import", str(path), "--recipe", str(out), "--data-dir", str(data_store), "--accept-proposed",
                     "--dry-run"]) == 0
    assert PREVIEW in capsys.readouterr().out  # English without --lang


# ---- the Data page ------------------------------------------------------------------------------------------------

PASSWORD = "des feuilles à leur façon"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_the_data_page_imports_a_spreadsheet_in_french(fixture_dir, data_store, context, tmp_path, monkeypatch):
    """The administrator's spreadsheet import on the Data page in French: what was left out, the preview's refusal
    (its summary and each problem's message) in French, the same rows, columns and values as the English report."""
    from impact.app import auth
    from tests.conftest import make_app

    good, bad = _messy(fixture_dir, tmp_path)
    english = reshape.import_sheet(bad, mapping.propose(sheets.read(bad), context).recipe, location=data_store,
                                   dry_run=True)
    monkeypatch.setenv("IMPACT_DATA_DIR", str(data_store))
    monkeypatch.setenv(auth.HASH_ENV, auth.hash_password(PASSWORD))
    st.cache_data.clear()
    st.cache_resource.clear()
    words = i18n.translator("fr")
    try:
        at = make_app("pages/data.py", query={"lang": ["fr"]})
        at.text_input(key="admin_password").input(PASSWORD)
        next(b for b in at.button if b.label == "Se connecter").click()
        at.run()
        at.session_state["data_tabs"] = words.gettext("Import")
        at.file_uploader(key="sheet_upload").set_value(("bad.xlsx", bad.read_bytes(), XLSX))
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        captions = [c.value.replace("\\", "") for c in at.caption]
        assert "Laissé de côté : " + words.gettext(TITLES).format(rows="1") in captions
        assert "Laissé de côté : " + words.gettext(TOTALS).format(rows="8") in captions
        assert "bad.xlsx, feuille Master : les lignes vont dans training" in [s.value.replace("\\", "")
                                                                               for s in at.subheader]
        editor = next(d for d in at.dataframe if "first values" in d.value.columns)
        headings = {column: config["label"] for column, config in json.loads(editor.proto.columns).items()
                    if "label" in config}
        assert headings == {"column": "colonne", "first values": "premières valeurs", "role": "rôle",
                            "maps to": "correspond à", "breakdown values": "valeurs de ventilation",
                            "several chosen": "plusieurs choisis", "why": "pourquoi"}  # the values: the recipe's words
        why = editor.value.set_index("column")["why"]
        assert why["Projet"] == "en-tête 'Projet'" and why["Pays"] == "en-tête 'Pays'"  # the reasons in French too
        assert editor.value.set_index("column")["role"]["Projet"] == "key"  # the roles: the recipe's own words
        at.button(key="mapping_preview").click()
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        errors = [e.value.replace("\\", "") for e in at.error]
        assert words.gettext(SUMMARY).format(count=words.number(english.report.total), files="1") in errors
        shown = next(d for d in at.dataframe if "message" in d.value.columns).value
        assert [tuple(r) for r in shown[["row", "column", "value", "rule"]].itertuples(index=False)] == \
            _where(english.report)
        # the page proposed the mapping of the sheet as it is: 'douze' makes Nurses (M) a column of text, ignored
        assert shown.loc[shown["rule"] == "no-match", "message"].item() == words.gettext(NO_MATCH).format(
            text="'Atlantide'", name="iso3", count="1", rows="5")
        assert shown["file"].tolist() == ["bad.xlsx, feuille Master"]
        assert store.open_store(data_store).active().version == "base"  # nothing imported
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()


def test_an_ambiguous_date_is_asked_about_in_french_with_the_two_days_written_in_french(fixture_dir, data_store,
                                                                                       context, tmp_path):
    quarter, projects = sf.pick(fixture_dir)
    sheet = sf.master_sheet(fixture_dir, quarter, projects, near=())
    text = f"02/{quarter.month:02d}/{quarter.year}"  # 2 July or 7 February: it reads both ways
    for row in sheet.rows:
        row[2] = text
    path = sf.write_csv(sheet, tmp_path / "dates.csv")
    words = i18n.translator("fr")
    with i18n.using("fr"):
        proposal = mapping.propose(sheets.read(path), context)
        result = reshape.import_sheet(path, proposal.recipe, location=data_store, dry_run=True)
    [question] = proposal.sheets[0].questions
    assert question == (f"dates.csv, colonne 'Trimestre' : les dates ({text}, {text}, {text}…) se lisent jour d'abord "
                        "ou mois d'abord ; dites lequel (day_first dans la recette : true pour 03/04/2018 = 3 avril).")
    problems = [p for p in result.report.problems if p.rule == "ambiguous-date"]
    assert [(p.row, p.column, p.value) for p in problems] == [(n, "Trimestre", text) for n in (2, 3, 4)]
    day, other = dt.date(quarter.year, quarter.month, 2), dt.date(quarter.year, 2, quarter.month)
    assert problems[0].message == words.gettext(
        "{text} reads as {day} (day first) or {other} (month first): say which in the recipe (day_first: true when "
        "the day comes first).").format(text=text, day=format_date(day, "long", locale="fr"),
                                        other=format_date(other, "long", locale="fr"))
    assert f"{text} se lit 2 " in problems[0].message and " (jour d'abord) ou 7 février " in problems[0].message
