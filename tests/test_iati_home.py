"""A programme started from an IATI file takes its home from the file (issue 25): the country of the reporting
organisation's identifier (its registration agency's prefix, GB-GOV-1 the UK, DE-1 Germany, or a DAC member's donor
code, XM-DAC-5-… Germany), else its funder's; a multilateral's file (XM-DAC-41…, XI-IATI-…) names none and the
manager is asked (`import-iati --home`, the Data page's Home country). Files shaped like real ones: a German
ministry's (DE-1, its agency XM-DAC-5-7 implementing), the UK's FCDO's (GB-GOV-1), a UN agency's."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from lxml import etree

from impact import cli
from impact.interchange import iati
from impact.model import iso3166
from impact.storage import store
from tests import iati_fixtures as fx
from tests.conftest import ROOT, data_page_as_admin
from tests.data_helpers import make_store, snapshot

BMZ = ("DE-1", "Bundesministerium für wirtschaftliche Zusammenarbeit und Entwicklung", "10")
FCDO = ("GB-GOV-1", "Foreign, Commonwealth and Development Office", "10")
UNICEF = ("XM-DAC-41122", "United Nations Children's Fund", "40")


def _activities(publisher: tuple[str, str, str], funder: str | None = None) -> list[fx.Spec]:
    """Two activities of `publisher`: one implemented by a German agency and a Kenyan hospital, one by a UK charity
    and a Ugandan one (their sides follow the programme's home), funded by `funder` when given."""
    ref = publisher[0]
    funding = [(fx.FUNDING, funder, "Funder")] if funder else []
    return [
        fx.Spec(f"{ref}-A-001", [("de", "Kliniken stärken"), ("en", "Strengthening hospitals")],
                [*funding, (fx.IMPLEMENTING, "XM-DAC-5-7", "Deutsche Gesellschaft für Internationale Zusammenarbeit"),
                 (fx.IMPLEMENTING, "KE-NCB-1234", "Kenyatta National Hospital")],
                {"1": "2019-01-01", "3": "2020-12-31"}, countries=[("KE", None)], sectors=[("1", "12191", None)],
                budgets=[("2019-01-01", "2019-12-31", "250000", None)], currency="EUR", publisher=publisher),
        fx.Spec(f"{ref}-A-002", [(None, "Nursing education")],
                [*funding, (fx.IMPLEMENTING, "GB-CHC-220949", "Tropical Health Trust"),
                 (fx.IMPLEMENTING, "UG-NGB-4321", "Mulago Hospital")],
                {"1": "2019-04-01", "3": "2021-03-31"}, countries=[("UG", None)], sectors=[("1", "12181", None)],
                budgets=[("2019-04-01", "2020-03-31", "90000", None)], currency="EUR", publisher=publisher),
    ]


def _file(folder: Path, name: str, specs: list[fx.Spec]) -> Path:
    path = folder / name
    path.write_bytes(fx.document(specs=specs))
    return path


@pytest.fixture
def root(tmp_path) -> Path:
    return make_store(ROOT / "data", tmp_path / "store")


@pytest.mark.parametrize(("ref", "country"), [
    ("GB-GOV-1", "GBR"), ("GB-CHC-1113101", "GBR"), ("DE-1", "DEU"), ("XM-DAC-5", "DEU"), ("XM-DAC-5-7", "DEU"),
    ("XM-DAC-7", "NLD"), ("XM-DAC-12-1", "GBR"), ("XM-DAC-302", "USA"), ("NL-KVK-41160054", "NLD"),
    ("XM-DAC-41122", None), ("XM-DAC-44000", None), ("XM-DAC-918-3", None), ("XI-IATI-EC_INTPA", None),
    ("XM-OCHA-CERF", None), ("not-an-identifier", None), ("", None)])
def test_an_organisation_identifier_names_its_country_where_it_is_unambiguous(ref, country):
    assert iati.org_country(ref)[0] == country
    assert iati.org_country(ref)[1]  # and says how (or why not)


def test_the_home_section_labels_the_sides_from_the_country():
    assert iati.home_section(["DEU"]) == {"countries": ["DEU"], "sides": {"home": "Germany",
                                                                           "overseas": "Partner country"}}
    assert iati.home_section(["GBR"]) == {"countries": ["GBR"], "sides": {"home": "UK", "overseas": "Overseas"},
                                          "in_sentence": "the UK"}  # the HPS's, as a definition without home
    assert iati.home_section(["NLD"])["in_sentence"] == "the Netherlands"
    assert iati.home_section(["ZAF", "KEN"])["sides"]["home"] == "South Africa and Kenya"
    assert iati.home_section(["COD"])["sides"]["home"] == "COD"  # its name holds a comma, which a label may not


def _created(root: Path, programme: str):
    version = store.open_store(root, programme).active()
    definition = store.load_definition(version.path)
    institutions = {r["institution_id"]: r for r in store.read_table(version.path, "institutions").to_pylist()}
    partners = store.read_table(version.path, "project_partners").to_pylist()
    return definition, institutions, partners


def test_a_german_ministrys_file_starts_a_programme_whose_home_is_germany(root, tmp_path, capsys):
    path = _file(tmp_path, "bmz.xml", _activities(BMZ))
    assert cli.main(["import-iati", str(path), "--programme", "bmz-kliniken", "--data-dir", str(root)]) == 0
    out = capsys.readouterr().out
    assert "Home: Germany (DEU), read from the reporting organisation: DE-1" in out
    definition, institutions, partners = _created(root, "bmz-kliniken")
    assert definition.home.countries == ("DEU",)
    assert (definition.home.home, definition.home.overseas) == ("Germany", "Partner country")
    # each partner's side from its identifier's country, against the file: in Germany or not
    root_el = etree.fromstring(path.read_bytes())
    refs = {o.get("ref"): iati.org_country(o.get("ref"))[0] for o in root_el.iter("participating-org")
            if o.get("role") == fx.IMPLEMENTING}
    by_ref = {i["institution_id"]: i for i in institutions.values()}
    for ref, country in refs.items():
        assert by_ref[ref]["side"] == ("Germany" if country == "DEU" else "Partner country"), ref
        assert by_ref[ref]["iso3"] == country
    roles = {(p["project_id"], p["institution_id"]): p["role"] for p in partners}
    assert roles[("A-001", "XM-DAC-5-7")] == "Germany lead"
    assert roles[("A-001", "KE-NCB-1234")] == "Partner country lead"
    assert roles[("A-002", "GB-CHC-220949")] == "Partner country lead"  # a UK charity is not home in Germany's
    # the title in the file's language (en), not the German one first in the file
    projects = store.read_table(store.open_store(root, "bmz-kliniken").active().path, "projects").to_pylist()
    titles = {r["project_id"]: r["title"] for r in projects}
    assert titles["A-001"] == "Strengthening hospitals"


def test_a_uk_departments_file_starts_a_programme_at_home_in_the_uk(root, tmp_path):
    path = _file(tmp_path, "fcdo.xml", _activities(FCDO))
    assert cli.main(["import-iati", str(path), "--programme", "fcdo-health", "--data-dir", str(root)]) == 0
    definition, institutions, partners = _created(root, "fcdo-health")
    assert definition.home.countries == ("GBR",)
    assert (definition.home.home, definition.home.overseas, definition.home.in_sentence) == ("UK", "Overseas", "the UK")
    assert institutions["GB-CHC-220949"]["side"] == "UK"
    assert institutions["XM-DAC-5-7"]["side"] == "Overseas"
    assert {p["role"] for p in partners if p["institution_id"] == "GB-CHC-220949"} == {"UK lead"}


def test_a_multilaterals_file_names_no_home_and_the_manager_is_asked(root, tmp_path, capsys):
    path = _file(tmp_path, "unicef.xml", _activities(UNICEF))
    before = snapshot(root)
    assert cli.main(["import-iati", str(path), "--programme", "unicef-health", "--data-dir", str(root)]) == 1
    out = capsys.readouterr().out
    assert "XM-DAC-41122 is a multilateral organisation" in out and "--home" in out
    assert snapshot(root) == before and list(store.programmes(root)) == ["hps"]
    assert not any("unicef-health" in str(p) for p in root.rglob("*"))
    # named by the manager: several home countries, a South-South programme
    assert cli.main(["import-iati", str(path), "--programme", "unicef-health", "--home", "ken,UGA",
                     "--data-dir", str(root)]) == 0
    assert "Home: Kenya (KEN), Uganda (UGA), as given" in capsys.readouterr().out
    definition, institutions, _ = _created(root, "unicef-health")
    assert definition.home.countries == ("KEN", "UGA")
    assert definition.home.home == "Kenya and Uganda"
    assert institutions["KE-NCB-1234"]["side"] == "Kenya and Uganda"
    assert institutions["XM-DAC-5-7"]["side"] == "Partner country"


def test_a_multilaterals_file_takes_its_funders_country(root, tmp_path, capsys):
    path = _file(tmp_path, "unicef-bmz.xml", _activities(UNICEF, funder="DE-1"))
    assert cli.main(["import-iati", str(path), "--programme", "unicef-de", "--data-dir", str(root)]) == 0
    assert "read from the funder (DE-1 is registered in Germany" in capsys.readouterr().out
    definition, _, _ = _created(root, "unicef-de")
    assert definition.home.countries == ("DEU",)


@pytest.mark.parametrize(("args", "said"), [
    (["--programme", "newone", "--home", "GERMANY"], "GERMANY is not an ISO 3166-1 alpha-3"),
    (["--programme", "hps", "--home", "DEU"], "hps exists"),
    (["--home", "DEU"], "the programme exists"),
])
def test_a_wrong_home_option_is_named_and_nothing_changes(root, tmp_path, capsys, args, said):
    path = _file(tmp_path, "bmz.xml", _activities(BMZ))
    before = snapshot(root)
    assert cli.main(["import-iati", str(path), *args, "--data-dir", str(root)]) == 2
    assert said in capsys.readouterr().err
    assert snapshot(root) == before


def test_the_data_page_shows_the_proposed_home_and_takes_another(tmp_path, monkeypatch):
    root = make_store(ROOT / "data", tmp_path / "store")
    at = data_page_as_admin(root, monkeypatch, "home page password")
    try:
        at.radio(key="iati_into").set_value("new")
        at.run()
        at.text_input(key="iati_new_id").input("unicef-health")
        at.run()
        at.file_uploader(key="iati_upload").set_value(("unicef.xml", fx.document(specs=_activities(UNICEF)),
                                                       "application/xml"))
        at.run()
        next(b for b in at.button if b.label == "Check the IATI file").click()
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        shown = [d.value for d in at.dataframe]
        assert any("XM-DAC-41122 is a multilateral organisation" in " ".join(map(str, f.get("message", [])))
                   for f in shown), shown
        assert not any(b.label.startswith("Import the") for b in at.button)
        at.text_input(key="iati_home").input("DEU")
        at.run()
        next(b for b in at.button if b.label == "Check the IATI file").click()
        at.run()
        said = [i.value.replace("\\", "") for i in at.info]  # markdown escapes taken off
        assert any("Home: Germany (DEU), as given" in s and "'Germany' and 'Partner country'" in s for s in said), said
        assert list(store.programmes(root)) == ["hps"]  # checked: nothing written
        next(b for b in at.button if b.label.startswith("Import the")).click()
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        definition, institutions, _ = _created(root, "unicef-health")
        assert definition.home.countries == ("DEU",) and definition.home.home == "Germany"
        assert institutions["XM-DAC-5-7"]["side"] == "Germany"
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()


def test_the_country_of_each_dac_donor_code_is_a_country():
    assert all(iso3166.is_alpha3(c) for c in iati.DAC_DONORS.values())
