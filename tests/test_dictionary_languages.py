"""The data dictionary in the reader's language: the tables' and columns' descriptions, the columns' rules, the checks
across tables, the programme's summary, the definition's keys (their form and meaning), its checks, the recipe format
and every paragraph of `python -m impact dictionary --lang CODE` (the same tables, columns, types, keys and code as in
English; without `--lang`, or with `--lang en`, the command stays the English docs/DATA_DICTIONARY.md)."""

from __future__ import annotations

import json
import re

import pytest

from impact import cli
from impact.model import dictionary, i18n, schema, schema_text
from impact.model import programme as programmes
from tests.conftest import ROOT, make_app

ENGLISH = ROOT / "docs" / "DATA_DICTIONARY.md"


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


# ---- python -m impact dictionary --lang CODE ------------------------------------------------------------------

def _dictionary(tmp_path, *options: str) -> str:
    out = tmp_path / f"dictionary{'-'.join(options)}.md"
    assert cli.main(["dictionary", *options, "--out", str(out)]) == 0
    return out.read_text(encoding="utf-8")


def _literal(line: str) -> bool:
    """A line that is code in every language: a table's name as a heading, a table's rule, or a row of code alone."""
    return (not line.strip() or re.fullmatch(r"## `\w+`", line) is not None or set(line) <= set("|-")
            or line == "| `format` | `impact-recipe/1` |")


def test_the_dictionary_command_without_a_language_or_in_english_is_the_committed_file(tmp_path):
    english = ENGLISH.read_text(encoding="utf-8")
    assert _dictionary(tmp_path) == english
    assert _dictionary(tmp_path, "--lang", "en") == english


def test_an_unknown_language_is_refused_with_the_languages(capsys):
    with pytest.raises(SystemExit) as refused:
        cli.main(["dictionary", "--lang", "de"])
    assert refused.value.code == 2
    said = capsys.readouterr().err
    assert "--lang" in said and "'de'" in said and all(f"'{code}'" in said for code in i18n.LANGUAGES)


# Sentences of the French, Portuguese and Spanish dictionaries as a reader of each should find them: headings, a
# table's key, a paragraph on the definition's keys, a key's row (its form and meaning), a check and a recipe field.
EXPECTED = {
    "fr": ["# Dictionnaire des données",
           "Clé : `project_id`, `iso3`, `period`, `cadre`, `gender`, `training_type`",
           "## Rapprocher les décomptes publiés",
           "## Recettes : importer une feuille dans sa propre forme",
           "## La définition du programme : `programme.json`",
           "Vocabulaires (chacun les valeurs autorisées d'une colonne) :",
           "| `currency` |  | code de devise ISO 4217 ; par défaut `GBP` | le code ISO 4217 de la devise de ses budgets "
           "(par défaut `GBP`) |",
           "- Une traduction ne nomme que les vocabulaires et valeurs, indicateurs et désagrégations du programme "
           "lui-même.",
           "| `sheets[].table` | la table où vont ses lignes : `training`, `volunteering` ou `outcomes` |"],
    "pt": ["# Dicionário de dados",
           "Chave: `project_id`, `iso3`, `period`, `cadre`, `gender`, `training_type`",
           "## Conciliar as contagens publicadas",
           "## A definição do programa: `programme.json`",
           "Vocabulários (cada um os valores permitidos de uma coluna):",
           "| `currency` |  | código de moeda ISO 4217; por omissão `GBP` | o código ISO 4217 da moeda dos seus "
           "orçamentos (por omissão `GBP`) |",
           "| `sheets[].table` | a tabela para onde vão as suas linhas: `training`, `volunteering` ou `outcomes` |"],
    "es": ["# Diccionario de datos",
           "Clave: `project_id`, `iso3`, `period`, `cadre`, `gender`, `training_type`",
           "## Conciliar los recuentos publicados",
           "## La definición del programa: `programme.json`",
           "Vocabularios (cada uno los valores permitidos de una columna):",
           "| `currency` |  | código de moneda ISO 4217; por defecto `GBP` | el código ISO 4217 de la moneda de sus "
           "presupuestos (por defecto `GBP`) |",
           "| `sheets[].table` | la tabla a la que van sus filas: `training`, `volunteering` o `outcomes` |"],
}


@pytest.mark.parametrize("language", i18n.TRANSLATED)
def test_the_dictionary_command_in_another_language_leaves_no_english_sentence(tmp_path, language):
    english = ENGLISH.read_text(encoding="utf-8").splitlines()
    other = _dictionary(tmp_path, "--lang", language).splitlines()
    for sentence in EXPECTED[language]:
        assert sentence in other
    assert [line for line in other if line in set(english) and not _literal(line)] == []
    headings = [line for line in other if line.startswith("#") and not _literal(line)]
    assert len(headings) == len([line for line in english if line.startswith("#") and not _literal(line)]) == 6
    # the same tables, columns and keys in the same order: only the words change
    assert [line.split(" | ")[0] for line in other if line.startswith("| `")] == \
        [line.split(" | ")[0] for line in english if line.startswith("| `")]


@pytest.mark.parametrize("language", i18n.TRANSLATED)
def test_every_key_of_the_definition_is_described_in_the_language(tmp_path, language):
    words = i18n.translator(language)
    other = _dictionary(tmp_path, "--lang", language)
    start = other.index("| " + " | ".join(words.gettext(h) for h in ("key", "required", "form", "meaning")) + " |")
    rows = other[start:].split("\n\n")[0].splitlines()[2:]
    declared = list(programmes.declared_keys())
    assert len(rows) == len(declared)
    for row, (path, spec, required) in zip(rows, declared):
        cells = row.split(" | ")
        assert cells[0] == f"| `{path}`" and cells[1] == (words.gettext("yes") if required else "")
        meaning = cells[-1].removesuffix(" |")
        assert meaning == words.gettext(spec["description"]).replace("|", "\\|")
        assert meaning != spec["description"], path  # a translation, not the English text
    for check in programmes.SEMANTIC_CHECKS:
        assert f"- {words.gettext(check.says)}" in other.splitlines() and words.gettext(check.says) != check.says


def test_the_schema_descriptions_module_is_the_schema():
    """schema_text holds every description of programme.schema.json for pybabel, as the schema says it now."""
    assert schema_text.source() == (ROOT / "impact" / "model" / "schema_text.py").read_text(encoding="utf-8")
    found = set(schema_text.MESSAGES)
    assert {spec["description"] for _path, spec, _required in programmes.declared_keys()} <= found
    assert set(programmes.IATI_CHOICES.values()) | set(programmes.HOME_FIELDS.values()) \
        | set(programmes.VOCABULARIES.values()) <= found
    every = []  # every description string of the file, read by the JSON parser itself
    json.loads(programmes.SCHEMA_FILE.read_text(encoding="utf-8"), object_pairs_hook=lambda pairs: every.extend(
        v for k, v in pairs if k == "description" and isinstance(v, str) and v) or dict(pairs))
    assert found == set(every)


def test_the_definition_and_recipe_parts_of_the_dictionary_tab_in_french(shipped_app, hps):
    words = i18n.translator("fr")
    at = make_app("pages/data.py", query={"lang": ["fr"]})
    keys = next(d for d in at.dataframe if "form" in d.value.columns and "required" in d.value.columns)
    declared = list(programmes.declared_keys())
    assert keys.value["key"].tolist() == [path for path, _spec, _required in declared]
    assert keys.value["meaning"].tolist() == [words.gettext(spec.get("description", "")) for _p, spec, _r in declared]
    currency = keys.value[keys.value["key"] == "currency"].iloc[0]
    assert currency["form"] == "code de devise ISO 4217 ; par défaut `GBP`"
    assert currency["meaning"] == "le code ISO 4217 de la devise de ses budgets (par défaut `GBP`)"
    shown = [m.value for m in at.markdown]
    assert "- Le programme finit le jour où il commence ou après." in shown
    assert not any(check.says in text for check in programmes.SEMANTIC_CHECKS for text in shown)
    recipe = next(text for text in shown if "| `sheets[].table` |" in text)  # the recipe format, in French
    assert "| `sheets[].table` | la table où vont ses lignes : `training`, `volunteering` ou `outcomes` |" in recipe
    assert recipe.startswith("Une recette dit comment une feuille de calcul tenue dans sa propre forme")
    assert "A recipe says how" not in recipe and "Saved recipes are versioned" not in recipe
