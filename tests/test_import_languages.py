"""An import's report in the reader's language: the extract import's problems and the returns' cell checks say what
is wrong in French, Portuguese or Spanish (the catalogue's words), while where it is — file, row, column — the value
and the rule stay the same rows as in English; the command line's `--lang` and the Data page say them so too."""

from __future__ import annotations

import csv
import json

import pytest
import streamlit as st

from impact import cli
from impact.ingest import extract_io, validate
from impact.model import i18n
from impact.reporting import returns
from impact.storage import store
from tests.data_helpers import read_rows, snapshot
from tests.test_returns import _negative, _words, edit, original_return, write

NOT_A_NUMBER = "'{value}' is not a number; write {column} as a whole number such as 12, without units or text."
NEGATIVE = "{value} is negative; {column} cannot be less than {minimum}."
NOT_A_DATE = "'{value}' is not a date; write dates as YYYY-MM-DD, e.g. 2016-07-01."
SUMMARY = ("{count} problem(s) found in {files} file(s); nothing was imported and the data in use is unchanged. "
           "Fix them and import again.")


def _bad_training(csv_extract, folder):
    """training.csv of the fixture with three wrong cells; returns the folder and {(row as the file numbers it,
    column): value} of what was written wrong (the header is row 1)."""
    rows = read_rows(csv_extract / "training.csv")
    header = rows[0]
    wrong = {(3, "trainees"): "twelve", (5, "trainees"): "-4", (8, "period"): "01/07/2016"}
    for (row, column), value in wrong.items():
        rows[row - 1][header.index(column)] = value
    folder.mkdir()
    with open(folder / "training.csv", "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return folder, wrong


def _where(report: validate.Report) -> list[tuple]:
    return [(p.file, p.row, p.column, p.value, p.rule) for p in report.ordered()]


@pytest.mark.parametrize("language", i18n.TRANSLATED)
def test_an_extract_refused_in_another_language_names_the_same_problems(data_store, csv_extract, tmp_path, language):
    folder, wrong = _bad_training(csv_extract, tmp_path / "bad")
    before = snapshot(data_store)
    english = extract_io.import_extract(folder, data_store)
    with i18n.using(language):  # the summary, the text and the CSV are said when they are read, in the reader's words
        other = extract_io.import_extract(folder, data_store)
        summary, text, table = other.report.summary(), other.report.to_text(), other.report.to_csv()
    assert not english.ok and not other.ok and snapshot(data_store) == before  # nothing written either time
    assert _where(other.report) == _where(english.report)  # the same rows: file, row, column, value, rule
    found = {(p.row, p.column): p for p in other.report.problems}
    assert {key: found[key].value for key in wrong} == wrong  # where each wrong cell really is
    words = i18n.translator(language)
    assert found[(3, "trainees")].message == words.gettext(NOT_A_NUMBER).format(value="twelve", column="trainees")
    assert found[(5, "trainees")].message == words.gettext(NEGATIVE).format(value="-4", column="trainees",
                                                                            minimum="0")
    assert found[(8, "period")].message == words.gettext(NOT_A_DATE).format(value="01/07/2016")
    for key in wrong:  # really translated: not the English sentence
        english_problem = next(p for p in english.report.problems if (p.row, p.column) == key)
        assert found[key].message != english_problem.message
    assert summary == words.gettext(SUMMARY).format(count=words.number(other.report.total),
                                                                   files=words.number(1))
    place = words.gettext("{file}, row {row}").format(file="training.csv", row=3)
    assert f"- {place}{words.gettext(', column {column}').format(column='trainees')}: " in text
    heading = next(csv.reader(table.decode("utf-8-sig").splitlines()))
    assert heading == [words.gettext(n) for n in ("file", "row", "column", "value", "rule", "message")]


def test_the_import_command_says_its_problems_in_french(data_store, csv_extract, tmp_path, capsys):
    folder, _wrong = _bad_training(csv_extract, tmp_path / "bad")
    before = snapshot(data_store)
    assert cli.main(["import", str(folder), "--data-dir", str(data_store), "--lang", "fr"]) == 1
    out = capsys.readouterr().out
    assert snapshot(data_store) == before
    assert "- training.csv, ligne 3, colonne trainees: 'twelve' n'est pas un nombre ; écrivez trainees comme un " \
           "nombre entier tel que 12, sans unité ni texte. [not-a-number]" in out
    assert "problème(s) trouvé(s) dans 1 fichier(s) ; rien n'a été importé" in out
    assert cli.main(["import", str(folder), "--data-dir", str(data_store)]) == 1  # English by default
    assert "- training.csv, row 3, column trainees: 'twelve' is not a number" in capsys.readouterr().out


def test_the_import_command_says_in_spanish_which_version_is_now_active(data_store, csv_extract, tmp_path, capsys):
    folder = tmp_path / "good"
    folder.mkdir()
    (folder / "training.csv").write_bytes((csv_extract / "training.csv").read_bytes())
    previous = store.open_store(data_store).active().version
    assert cli.main(["import", str(folder), "--data-dir", str(data_store), "--lang", "es"]) == 0
    current = store.open_store(data_store).active()
    assert current.version != previous
    programme = next(iter(store.programmes(data_store)))
    assert (f"la versión {current.version} del programa {programme} está ahora activa (antes {previous}); "
            "tablas importadas: training") in capsys.readouterr().out


BAD_RETURNS = {"negative": (_negative, "training", 7, "below-minimum", NEGATIVE),
               "words": (_words, "volunteering", 8, "not-a-number", NOT_A_NUMBER)}


@pytest.mark.parametrize("case", BAD_RETURNS)
def test_a_return_refused_in_portuguese_names_the_same_cell(data_store, picks, tmp_path, case):
    change, sheet, row, rule, message = BAD_RETURNS[case]
    project, period = picks[0]
    path = write(tmp_path, "bad.xlsx", edit(original_return(data_store, project, period), change))
    before = snapshot(data_store)
    english = returns.import_returns([path], store.open_store(data_store))
    with i18n.using("pt"):
        other = returns.import_returns([path], store.open_store(data_store))
        summary = other.summary()
    assert snapshot(data_store) == before and not other.ok
    assert _where(other.report) == _where(english.report)
    problem = next(p for p in other.report.problems if p.rule == rule)
    assert (problem.file, problem.row) == (f"bad.xlsx › {sheet}", row)
    words = i18n.translator("pt")
    assert problem.message == words.gettext(message).format(value=problem.value, column=problem.column, minimum="0")
    assert summary == words.gettext("{count} problem(s) in {returns} return(s); nothing was imported and the data in "
                                    "use is unchanged.").format(count=words.number(other.report.total),
                                                                returns=words.number(1))


def test_return_import_prints_its_problems_in_spanish(data_store, picks, tmp_path, capsys):
    project, period = picks[0]
    path = write(tmp_path, "bad.xlsx", edit(original_return(data_store, project, period), _words))
    assert cli.main(["return", "import", str(path), "--data-dir", str(data_store), "--lang", "es"]) == 1
    out = capsys.readouterr().out
    assert "- bad.xlsx › volunteering, fila 8, columna volunteers: 'many' no es un número" in out
    assert "problema(s) en 1 informe(s); no se importó nada" in out


def test_the_data_page_shows_a_refused_import_in_french(data_store, csv_extract, tmp_path, monkeypatch):
    """The administrator's import on the Data page in French: the summary, the problems' headings and messages in
    French, the same rows (file, row, column, value, rule) as the English report."""
    from impact.app import auth
    folder, wrong = _bad_training(csv_extract, tmp_path / "bad")
    english = extract_io.import_extract(folder, data_store)
    monkeypatch.setenv("IMPACT_DATA_DIR", str(data_store))
    monkeypatch.setenv(auth.HASH_ENV, auth.hash_password("s3cret-admin"))
    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        from tests.conftest import make_app

        at = make_app("pages/data.py", query={"lang": ["fr"]})
        at.text_input(key="admin_password").input("s3cret-admin")
        next(b for b in at.button if b.label == "Se connecter").click()
        at.run()
        at.session_state["data_tabs"] = i18n.translator("fr").gettext("Import")
        at.file_uploader(key="uploads").set_value(("training.csv", (folder / "training.csv").read_bytes(), "text/csv"))
        at.run()
        next(b for b in at.button if b.key == "run_import").click()
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        words = i18n.translator("fr")
        errors = [e.value.replace("\\", "") for e in at.error]
        assert words.gettext(SUMMARY).format(count=words.number(english.report.total), files="1") in errors
        shown = next(d for d in at.dataframe if "message" in d.value.columns)
        frame = shown.value
        assert [tuple(r) for r in frame[["file", "row", "column", "value", "rule"]].itertuples(index=False)] == \
            _where(english.report)
        assert frame.loc[frame["row"] == 3, "message"].item() == words.gettext(NOT_A_NUMBER).format(
            value="twelve", column="trainees")
        config = json.loads(shown.proto.columns)  # the headings the table shows
        assert [config[c]["label"] for c in frame.columns] == ["fichier", "ligne", "colonne", "valeur", "règle",
                                                               "message"]
        assert words.gettext("Problems by file, column and rule (all counted):") in [c.value for c in at.caption]
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()
