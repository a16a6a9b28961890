"""The data dictionary's reference text in the reader's language: the tables' and columns' descriptions, the columns'
rules, the checks across tables, the programme's summary and the tables' headings on the Data page's dictionary tab
(the same tables, columns and types as in English; the definition's keys and the recipe format stay English
reference text, and `python -m impact dictionary` stays the English docs/DATA_DICTIONARY.md)."""

from __future__ import annotations

import json

import pytest

from impact.model import dictionary, i18n, schema
from impact.model import programme as programmes
from tests.conftest import ROOT, make_app


@pytest.fixture
def hps() -> programmes.Programme:
    return programmes.read(ROOT / "data" / programmes.FILE)


@pytest.mark.parametrize("language", i18n.TRANSLATED)
def test_the_dictionary_tables_in_another_language_hold_the_same_columns(hps, language):
    words = i18n.translator(language)
    english = dictionary.tables_frame(hps)
    with i18n.using(language):
        other = dictionary.tables_frame(hps)
        summary = dictionary.table_summary(hps)
        checks = dictionary.cross_checks(hps)
    assert other[["table", "column", "type", "key"]].equals(english[["table", "column", "type", "key"]])
    for spec in schema.tables(hps):  # each column's meaning is the catalogue's translation of the schema's text
        for column in spec.columns:
            row = other[(other["table"] == spec.name) & (other["column"] == column.name)].iloc[0]
            assert row["meaning"] == words.gettext(column.description)
    trainees = other[(other["table"] == "training") & (other["column"] == "trainees")].iloc[0]
    spec = schema.table("training", hps).column("trainees")
    assert trainees["meaning"] != spec.description
    assert trainees["rule"] == "; ".join([
        words.gettext("{low} to {high}").format(low=words.number(spec.minimum), high=words.number(spec.maximum)),
        words.gettext("required")])
    theme = other[(other["table"] == "projects") & (other["column"] == "theme")].iloc[0]
    assert theme["rule"].startswith(words.gettext("one of: {values}").format(values="; ".join(hps.values("theme"))))
    assert summary["one row is"].tolist() == [words.gettext(t.description) for t in schema.tables(hps)]
    assert len(checks) == len(dictionary.cross_checks(hps)) and not set(checks) & set(dictionary.cross_checks(hps))
    assert checks[5] == words.gettext("Volunteer days are at least the number of placements.")


def test_the_markdown_dictionary_stays_english():
    assert dictionary.markdown() == (ROOT / "docs" / "DATA_DICTIONARY.md").read_text(encoding="utf-8")
    with i18n.using("fr"):  # the Data page's French run in the same process leaves the committed file as it is
        dictionary.tables_frame()
    assert "Countries where partnerships worked, one row per country." in dictionary.markdown()


def test_the_dictionary_tab_in_portuguese(shipped_app, hps):
    words = i18n.translator("pt")
    at = make_app("pages/data.py", query={"lang": ["pt"]})
    summary = next(d for d in at.dataframe if "one row is" in d.value.columns)
    labels = json.loads(summary.proto.columns)
    assert [labels[c]["label"] for c in summary.value.columns] == ["tabela", "nome do ficheiro", "uma linha é",
                                                                  "única em"]
    assert summary.value["one row is"].tolist() == [words.gettext(t.description) for t in schema.tables(hps)]
    chooser = at.selectbox(key="dictionary_table")
    assert words.gettext(schema.table("training").description) in " ".join(chooser.options)
    shown = [m.value.replace("\\", "") for m in at.markdown]
    for check in (words.gettext("Volunteer days are at least the number of placements."),
                  words.gettext("Periods fall within the dates of the project they belong to.")):
        assert f"- {check}" in shown
    with i18n.using("pt"):
        assert dictionary.programme_summary(hps) in shown
    assert any(text.startswith(hps.name_in("pt")) and "Fases:" in text for text in shown)
