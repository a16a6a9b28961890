"""The Data page's IATI import (AppTest): an administrator uploads a funder's file, reads what becomes of every
activity (nothing is written yet), then imports the activities that map — or stops, and nothing changes."""

from __future__ import annotations

import pytest
import streamlit as st

from impact.storage import store
from tests import iati_fixtures as fx
from tests.conftest import data_page_as_admin
from tests.data_helpers import snapshot

PASSWORD = "iati page password"


@pytest.fixture
def signed_in(tmp_path, monkeypatch):
    root = fx.make_iati_store(tmp_path / "store")
    yield data_page_as_admin(root, monkeypatch, PASSWORD), root
    st.cache_data.clear()
    st.cache_resource.clear()


def _checked(at):
    at.file_uploader(key="iati_upload").set_value(("funder.xml", fx.document(), "application/xml"))
    at.run()
    next(b for b in at.button if b.label == "Check the IATI file").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_report_shows_every_activity_and_the_import_takes_the_ones_that_map(signed_in):
    at, root = signed_in
    before = snapshot(root)
    _checked(at)
    assert snapshot(root) == before  # checked: nothing written
    table = next(d.value for d in at.dataframe if "outcome" in d.value.columns)  # dataframes carry no key here
    assert set(table["activity"]) == {s.identifier for s in fx.ACTIVITIES}
    assert sorted(table.loc[table["outcome"] == "refused", "activity"].unique()) == [
        f"{fx.PUBLISHER}-005", f"{fx.PUBLISHER}-006"]
    assert "Download the activity report (CSV)" in [b.label for b in at.get("download_button")]
    next(b for b in at.button if b.label == "Import the 4 activities that map").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    active = store.open_store(root).active()
    assert active.version != "base"
    assert sorted(store.read_table(active.path, "projects").column("project_id").to_pylist()) == [
        f"{fx.PUBLISHER}-00{n}" for n in (1, 2, 3, 4)]
    assert any("4 imported as version" in s.value for s in at.success)


def test_stop_leaves_everything_as_it_was(signed_in):
    at, root = signed_in
    before = snapshot(root)
    _checked(at)
    next(b for b in at.button if b.label == "Stop").click()
    at.run()
    assert not at.exception
    assert not any(b.label.startswith("Import the") for b in at.button)
    assert snapshot(root) == before and store.open_store(root).active().version == "base"


def test_a_new_programme_is_started_from_the_file(signed_in):
    at, root = signed_in
    at.radio(key="iati_into").set_value("new")
    at.run()
    at.text_input(key="iati_new_id").input("funder-grants")
    at.run()
    _checked(at)
    assert list(store.programmes(root)) == ["hps"]  # checked: nothing written, no folder
    assert not (root / "programmes").exists() or not any((root / "programmes").iterdir())
    label = next(b.label for b in at.button if b.label.startswith("Import the"))
    next(b for b in at.button if b.label == label).click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert sorted(store.programmes(root)) == ["funder-grants", "hps"]
    projects = store.read_table(store.open_store(root, "funder-grants").active().path, "projects").num_rows
    assert label == f"Import the {projects} activities that map" and projects
    assert store.open_store(root).active().version == "base"  # the programme in use is untouched


def test_a_result_indicator_new_to_the_programme_is_proposed_and_created_when_ticked(signed_in):
    at, root = signed_in
    spec = fx.Spec(f"{fx.PUBLISHER}-E1", [("en", "Nursing skills")],
                   [(fx.IMPLEMENTING, "GB-CHC-220949", "Tropical Health Trust")],
                   {"1": "2016-01-01", "3": "2017-12-31"}, countries=[("UG", None)], sectors=[("1", "12181", None)],
                   budgets=[("2016-01-01", "2017-12-31", "90000", None)],
                   results=[("Equipment", "Clinics with oxygen", "1", None,
                             [("2016-01-01", "2016-12-31", "12", "9", None)])])
    at.file_uploader(key="iati_upload").set_value(("funder.xml", fx.document(specs=[spec]), "application/xml"))
    at.run()
    next(b for b in at.button if b.label == "Check the IATI file").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    proposed = next(d.value for d in at.dataframe if "IATI indicator" in d.value.columns)
    assert list(proposed["IATI indicator"]) == ["Clinics with oxygen"]
    at.checkbox(key="iati_add_indicators").check()
    at.run()
    next(b for b in at.button if b.label == "Import the 1 activity that maps").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    active = store.open_store(root).active()
    code = proposed["indicator"].iloc[0]
    assert code in {i.code for i in store.load_definition(active.path).indicators}
    assert [r["value"] for r in store.read_table(active.path, "outcomes").to_pylist() if r["indicator"] == code] == [9]
