"""The IATI import in the reader's language: a partly wrong funder's file (an element the schema refuses, a region
and no country, a sector given to several themes and euros without a rate) gives its problems, notes, summary and
activity report in French — the sentences from the catalogue, the numbers in French digits, the identifiers, element
names, codes and the schema validator's own words as they are — and maps exactly as it does in English; the same in
Portuguese and Spanish on the command line (`import-iati --lang`), and on the Data page in French."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import streamlit as st
from lxml import etree

from impact import cli
from impact.app.text import plain
from impact.interchange import iati
from impact.model import i18n
from impact.storage import store
from tests import iati_fixtures as fx
from tests.conftest import ROOT, make_app
from tests.data_helpers import snapshot
from tests.test_iati import _official_schema

PASSWORD = "iati languages password"
NNBSP = "\u202f"  # French groups thousands with a narrow no-break space


def _partly_wrong() -> bytes:
    """The fixture funder's file with an element the IATI schema does not allow in activity 003."""
    root = etree.fromstring(fx.document())
    activity = _activity(root, "003")
    activity.insert(1, etree.Element("bogus"))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _activity(root, number: str):
    return next(a for a in root.iter("iati-activity") if a.findtext("iati-identifier") == f"{fx.PUBLISHER}-{number}")


@pytest.fixture
def wrong(tmp_path) -> tuple[Path, Path]:
    """The partly wrong file and a store it is checked against."""
    path = tmp_path / "funder.xml"
    path.write_bytes(_partly_wrong())
    return path, fx.make_iati_store(tmp_path / "store")


def _facts(path: Path) -> dict:
    """What the messages must say, read from the file with lxml and the shipped schema loaded as the README says."""
    tree = etree.parse(str(path))
    schema = _official_schema()
    assert not schema.validate(tree)
    bogus = next(tree.getroot().iter("bogus"))
    detail = next(e.message for e in schema.error_log if e.line == bogus.sourceline)
    euros = _activity(tree.getroot(), "006")
    budget = euros.find("budget/value")
    region = _activity(tree.getroot(), "005").find("recipient-region")
    return {"bogus_line": bogus.sourceline, "detail": detail, "region": region.get("code"),
            "region_line": region.sourceline, "euros": int(budget.text), "euros_line": budget.sourceline,
            "year": (budget.get("value-date") or euros.find("budget/period-start").get("iso-date"))[:4],
            "sector": euros.find("sector").get("code"), "sector_line": euros.find("sector").sourceline,
            "activities": len(tree.getroot().findall("iati-activity"))}


def _reasons(done: iati.IatiImport) -> dict[tuple[str, str], tuple[int, str, str]]:
    return {(o.identifier, r.rule): (r.line, r.element, r.message) for o in done.outcomes for r in o.reasons}


def test_a_partly_wrong_file_says_its_problems_in_french(wrong):
    path, root = wrong
    facts = _facts(path)
    before = snapshot(root)
    with i18n.using("fr"):
        done = iati.import_iati(path, location=root, check_only=True)
    assert snapshot(root) == before
    said = _reasons(done)
    ident = f"{fx.PUBLISHER}-00"
    assert said[(f"{ident}3", "iati-schema")] == (
        facts["bogus_line"], "iati-activity",
        f"L'activité {ident}3 : IATI 2.03 non valide (vérifiée avec le schéma IATI 2.03, qui accepte toute activité "
        f"2.0x valide). Le schéma dit : « {facts['detail']} »")
    assert facts["detail"].startswith("Element 'bogus': This element is not expected.")  # the validator's own words
    assert said[(f"{ident}5", "iati-no-country")] == (
        facts["region_line"], "recipient-region",
        f"L'activité {ident}5 n'a pas de pays bénéficiaire, seulement la région {facts['region']}, que iati.regions "
        f"dans programme.json n'attribue à aucune région du programme ; ajoutez-la (p. ex. \"iati\": {{\"regions\": "
        f"{{\"{facts['region']}\": \"<a region of vocabularies.region>\"}}}}) pour importer le projet avec un pays "
        "inconnu.")
    amount = f"{facts['euros']:,}".replace(",", NNBSP)
    assert facts["euros"] >= 1000 and NNBSP in amount
    assert said[(f"{ident}6", "iati-currency")] == (
        facts["euros_line"], "budget",
        f"L'activité {ident}6 a un budget de {amount} EUR ({facts['year']}) ; les montants du programme sont en GBP, "
        f"et programme.json ne donne aucun taux pour EUR en {facts['year']} (\"iati\": {{\"exchange_rates\": "
        f"{{\"EUR\": {{\"{facts['year']}\": <GBP pour 1 EUR>}}}}}}). Des montants en devises différentes ne sont "
        "jamais additionnés.")
    line, element, message = said[(f"{ident}6", "iati-ambiguous-sector")]
    assert (line, element) == (facts["sector_line"], "sector")
    assert message.startswith(f"L'activité {ident}6 a le secteur CAD {facts['sector']}, que iati.sectors attribue à ")
    refused = sum(1 for o in done.outcomes if o.status == iati.REFUSED)
    maps = sum(1 for o in done.outcomes if o.status == iati.MAPS)
    with i18n.using("fr"):
        summary = done.summary()
    assert summary.startswith(f"{facts['activities']} activités lues : {maps} correspondent à des projets, {refused} "
                              "ne peuvent pas être importées.")
    assert summary.endswith("Rien n'a été importé et les données en service sont inchangées.")


def test_french_maps_the_file_exactly_as_english_and_english_is_unchanged(wrong):
    path, root = wrong
    facts = _facts(path)
    english = iati.import_iati(path, location=root, check_only=True)
    with i18n.using("fr"):
        french = iati.import_iati(path, location=root, check_only=True)
    assert [(o.identifier, o.status, o.project_id) for o in french.outcomes] == [
        (o.identifier, o.status, o.project_id) for o in english.outcomes]
    assert list(_reasons(french)) == list(_reasons(english))
    assert {k: v[:2] for k, v in _reasons(french).items()} == {k: v[:2] for k, v in _reasons(english).items()}
    ident = f"{fx.PUBLISHER}-00"
    assert _reasons(english)[(f"{ident}3", "iati-schema")][2] == (
        f"Activity {ident}3: not valid IATI 2.03 (checked against the IATI 2.03 schema, which accepts every valid "
        f"2.0x activity): {facts['detail']}")
    assert _reasons(english)[(f"{ident}6", "iati-currency")][2].startswith(
        f"Activity {ident}6 has a budget of {facts['euros']:,} EUR ({facts['year']}); the programme's amounts are in "
        "GBP")
    rows = list(csv.reader(english.activity_csv().decode("utf-8-sig").splitlines()))
    assert rows[0] == list(iati.REPORT_COLUMNS)
    assert {r[4] for r in rows[1:]} <= {"maps", "refused", "left out"}


def test_the_french_activity_report_heads_and_words_it_in_french_and_keeps_the_codes(wrong):
    path, root = wrong
    with i18n.using("fr"):
        done = iati.import_iati(path, location=root, check_only=True)
        rows = list(csv.reader(done.activity_csv().decode("utf-8-sig").splitlines()))
        frame = done.activity_frame()
    assert rows[0] == ["activité", "ligne", "hiérarchie", "version", "résultat de la lecture", "élément", "règle",
                       "raison"]
    schema_row = next(r for r in rows[1:] if r[6] == "iati-schema")
    assert schema_row[0] == f"{fx.PUBLISHER}-003" and schema_row[4] == "refusée" and schema_row[5] == "iati-activity"
    assert schema_row[7].startswith(f"L'activité {fx.PUBLISHER}-003 : IATI 2.03 non valide")
    assert set(frame["outcome"]) == {"correspond", "refusée", "laissée de côté"}
    assert list(frame.columns) == list(iati.REPORT_COLUMNS)  # the page heads them (`report_heading`)


def test_a_file_that_is_not_xml_is_said_in_french_with_the_parsers_words_quoted(tmp_path):
    root = fx.make_iati_store(tmp_path / "store")
    path = tmp_path / "broken.xml"
    path.write_bytes(b'<?xml version="1.0"?>\n<iati-activities version="2.03">\n  <iati-activity>\n</iati-activities>\n')
    try:
        etree.parse(str(path))
    except etree.XMLSyntaxError as error:
        line, column = error.position
        words = error.msg.split(", line ")[0]
    with i18n.using("fr"):
        done = iati.import_iati(path, location=root)
    (problem,) = done.report.problems
    assert problem.rule == "iati-not-xml" and problem.row == line
    assert problem.message == (f"Le fichier n'est pas du XML : ligne {line}, colonne {column} : « {words} ». Un "
                               "fichier IATI est un document XML dont la racine est <iati-activities "
                               "version=\"2.03\">.")


@pytest.mark.parametrize("language", ["pt", "es"])
def test_the_command_says_the_refusals_in_portuguese_and_spanish(wrong, language, capsys):
    path, root = wrong
    facts = _facts(path)
    assert cli.main(["import-iati", str(path), "--data-dir", str(root), "--lang", language]) == 1
    said = capsys.readouterr().out
    amount = f"{facts['euros']:,}".replace(",", ".")
    refused = {"pt": "recusadas ({count}):", "es": "rechazadas ({count}):"}[language].format(count=3)
    currency = {"pt": f"A atividade {fx.PUBLISHER}-006 tem um orçamento de {amount} EUR ({facts['year']}); os "
                      "montantes do programa estão em GBP",
                "es": f"La actividad {fx.PUBLISHER}-006 tiene un presupuesto de {amount} EUR ({facts['year']}); los "
                      "importes del programa están en GBP"}[language]
    line = {"pt": "linha", "es": "línea"}[language]
    assert refused in said.splitlines()
    assert f"- {fx.PUBLISHER}-006, budget, {line} {facts['euros_line']}: {currency}" in said
    assert "[iati-currency]" in said and "Activity" not in said
    assert store.open_store(root).active().version == "base"


def test_the_data_page_checks_an_iati_file_in_french(wrong, monkeypatch):
    path, root = wrong
    facts = _facts(path)
    from impact.app import auth

    monkeypatch.setenv("IMPACT_DATA_DIR", str(root))
    monkeypatch.setenv(auth.HASH_ENV, auth.hash_password(PASSWORD))
    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        at = make_app("pages/data.py", query={"lang": ["fr"]})
        at.text_input(key="admin_password").input(PASSWORD)
        next(b for b in at.button if b.label == "Se connecter").click()
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        at.file_uploader(key="iati_upload").set_value(("funder.xml", path.read_bytes(), "application/xml"))
        at.run()
        next(b for b in at.button if b.label == "Vérifier le fichier IATI").click()
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        table = next(d for d in at.dataframe if "outcome" in d.value.columns)
        headings = {c: h["label"] for c, h in json.loads(table.proto.columns).items() if "label" in h}
        assert headings["outcome"] == "résultat de la lecture" and headings["reason"] == "raison"
        refused = table.value[table.value["rule"] == "iati-schema"].iloc[0]
        assert refused["outcome"] == "refusée" and refused["element"] == "iati-activity"
        assert refused["reason"] == (
            f"L'activité {fx.PUBLISHER}-003 : IATI 2.03 non valide (vérifiée avec le schéma IATI 2.03, qui accepte "
            f"toute activité 2.0x valide). Le schéma dit : « {facts['detail']} »")
        with i18n.using("fr"):
            summary = iati.import_iati(path, location=root, check_only=True).summary(home=False)
        assert summary.startswith(f"{facts['activities']} activités lues : ")
        assert plain(summary) in [m.value for m in at.markdown]  # the summary, as text (never Markdown that runs)
        assert store.open_store(root).active().version == "base"
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()


def test_the_schemas_own_problems_are_said_in_spanish(tmp_path):
    with i18n.using("es"), pytest.raises(iati.SchemaError) as missing:
        iati.load_schema(tmp_path)  # an empty folder: no schema to load
    assert str(missing.value).startswith(f"el esquema IATI de {tmp_path} no se puede cargar: «")
    folder = ROOT / "schemas" / "iati-2.03"
    for name in ("iati-activities-schema.xsd", "iati-common.xsd"):
        text = (folder / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text.replace('schemaLocation="xml.xsd"',
                                                  'schemaLocation="http://www.w3.org/2001/xml.xsd"'), encoding="utf-8")
    with i18n.using("es"), pytest.raises(iati.SchemaError) as outside:
        iati.load_schema(tmp_path)
    said = str(outside.value)  # refused, the address named (lxml's words quoted in the Spanish sentence)
    assert said.startswith(f"el esquema IATI de {tmp_path} ") and "http://www.w3.org/2001/xml.xsd" in said
    assert said.startswith(f"el esquema IATI de {tmp_path} no se puede cargar: «") or said.startswith(
        f"el esquema IATI de {tmp_path} remite a archivos fuera de esa carpeta: ")


def test_a_definition_without_an_iati_section_says_what_to_add_in_portuguese(definition):
    import dataclasses

    with i18n.using("pt"), pytest.raises(ValueError) as caught:
        iati.section(dataclasses.replace(definition, iati=None))
    assert str(caught.value).startswith("a definição do programa (programme.json) não tem secção \"iati\"")
    assert '"iati": {"reporting_org_ref": "GB-CHC-1234567"' in str(caught.value)  # the example, as JSON
