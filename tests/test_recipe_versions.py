"""Recipes versioned with the programme's definition (issue 26): a recipe saved by the import that confirms it is
part of that version (`recipes.json` beside `programme.json`), every later import keeps it, a rollback brings back
the recipes as they were, export-extract carries them and importing that extract restores them, an older store's
`recipes/NAME.json` still reads and moves into the next version saved, and a bad `recipes.json` is refused with
its place and nothing written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from impact import cli
from impact.ingest import extract_io, mapping, reshape, sheets
from impact.ingest import recipe as recipes
from impact.model import calendar
from impact.storage import audit, store
from tests import sheet_fixtures as sf
from tests.data_helpers import make_store, snapshot


@pytest.fixture
def master(fixture_dir, tmp_path) -> tuple[sf.MasterSheet, Path]:
    sheet = sf.master_sheet(fixture_dir)
    return sheet, sf.write_xlsx(sheet, tmp_path / "master.xlsx")


@pytest.fixture
def proposed(master, fixture_dir) -> recipes.Recipe:
    current = store.open_store(fixture_dir)
    return mapping.propose(sheets.read(master[1]), reshape.context_of(fixture_dir, current.definition())).recipe


def _saved_file(root: Path, version: str) -> dict:
    """A version's recipes.json read as plain JSON (independently of the recipe module)."""
    return json.loads((store.open_store(root).version_path(version) / store.RECIPES).read_text(encoding="utf-8"))


def _import(path: Path, chosen, root: Path, **options) -> reshape.SheetImport:
    done = reshape.import_sheet(path, chosen, location=root, accept_proposed=True, confirm_removals=True, **options)
    assert done.ok, done.report.to_text()
    return done


def test_a_saved_recipe_is_part_of_its_version_and_a_rollback_brings_back_the_recipes_as_they_were(
        master, proposed, data_store, fixture_dir, tmp_path):
    sheet, path = master
    held = store.open_store(data_store)
    first = _import(path, proposed, data_store, save_as="master")
    kept = _saved_file(data_store, first.version)
    assert kept["format"] == "impact-recipes/1" and list(kept["recipes"]) == ["master"]
    assert kept["recipes"]["master"]["name"] == "master" and not (data_store / "recipes").exists()
    assert store.read_manifest(held.version_path(first.version))["recipes"]["sha256"] == store.sha256(
        held.version_path(first.version) / store.RECIPES)
    as_first = recipes.load(held, "master").to_dict()

    # The same name saved again with a change (a constant), and a second recipe: a new version carries both.
    edited = recipes.copy(proposed)
    edited.sheets[0].constants["training_type"] = "Pre-service"
    following = sf.master_sheet(fixture_dir, calendar.next_quarter(sheet.quarter), sheet.projects, seed=5)
    path2 = sf.write_xlsx(following, tmp_path / "next.xlsx")
    second = _import(path2, edited, data_store, save_as="master")
    third = _import(path2, edited, data_store, save_as="next-quarter")
    assert recipes.names(held) == ["master", "next-quarter"]
    assert recipes.load(held, "master").sheets[0].constants == {"training_type": "Pre-service"}
    assert list(_saved_file(data_store, second.version)["recipes"]) == ["master"]

    # An extract import (a table) keeps the recipes of the version in use, unchanged.
    extract = tmp_path / "extract"
    extract.mkdir()
    shutil.copyfile(held.version_path(third.version) / "institutions.parquet", extract / "institutions.parquet")
    table_only = extract_io.import_extract(extract, data_store)
    assert table_only.ok, table_only.report.to_text()
    assert (held.version_path(table_only.version) / store.RECIPES).read_bytes() == \
        (held.version_path(third.version) / store.RECIPES).read_bytes()

    audit.rollback(held, first.version, "test")
    assert recipes.names(held) == ["master"] and recipes.load(held, "master").to_dict() == as_first
    audit.rollback(held, store.BASE_VERSION, "test")
    assert recipes.names(held) == []  # the shipped extract had none
    with pytest.raises(ValueError, match="no recipe called 'master'"):
        recipes.load(held, "master")
    audit.rollback(held, third.version, "test")
    assert recipes.names(held) == ["master", "next-quarter"]


def test_a_version_whose_recipes_changed_since_import_is_damaged_and_not_made_active(master, proposed, data_store):
    _sheet, path = master
    held = store.open_store(data_store)
    first = _import(path, proposed, data_store, save_as="master")
    audit.rollback(held, store.BASE_VERSION, "test")
    saved = held.version_path(first.version) / store.RECIPES
    saved.chmod(0o644)
    saved.write_text(saved.read_text().replace('"Female"', '"Male"'))
    assert held.verify(first.version) == [store.RECIPES]
    with pytest.raises(store.StoreError, match="recipes.json changed since import"):
        held.rollback(first.version)


def test_export_extract_carries_the_recipes_and_importing_it_restores_them(master, proposed, data_store, fixture_dir,
                                                                           tmp_path, capsys):
    _sheet, path = master
    first = _import(path, proposed, data_store, save_as="master")
    out = tmp_path / "exported"
    assert cli.main(["export-extract", "--format", "csv", "--out", str(out), "--data-dir", str(data_store)]) == 0
    exported = json.loads((out / store.RECIPES).read_text(encoding="utf-8"))
    assert exported == _saved_file(data_store, first.version)

    other = make_store(fixture_dir, tmp_path / "other-store")  # the same programme, no recipe yet
    assert recipes.names(store.open_store(other)) == []
    assert cli.main(["import", str(out), "--data-dir", str(other)]) == 0
    restored = store.open_store(other)
    assert recipes.names(restored) == ["master"]
    assert recipes.load(restored, "master").to_dict() == recipes.load(store.open_store(data_store), "master").to_dict()
    capsys.readouterr()
    assert cli.main(["mapping", "recipes", "--data-dir", str(other)]) == 0
    listed = capsys.readouterr().out
    assert "master" in listed and "-> training" in listed
    written = tmp_path / "master.json"
    assert cli.main(["mapping", "show", "master", "--data-dir", str(other), "--out", str(written)]) == 0
    assert recipes.read_file(written).to_dict() == exported["recipes"]["master"]

    # The extract as a .zip, recipes.json alone: a version whose tables are those in use and whose recipes are its.
    bare = make_store(fixture_dir, tmp_path / "bare-store")
    zipped = tmp_path / "recipes-only.zip"
    shutil.make_archive(str(zipped.with_suffix("")), "zip", out, store.RECIPES)
    result = extract_io.import_extract(zipped, bare)
    assert result.ok and result.replaced == [], result.report.to_text()
    version = store.open_store(bare).active().path
    assert recipes.names(store.open_store(bare)) == ["master"] and "recipes.json" in store.read_manifest(version)["label"]
    for name in ("training", "projects"):
        assert pq.read_table(version / f"{name}.parquet").equals(pq.read_table(fixture_dir / f"{name}.parquet"))


def test_an_older_store_with_its_recipes_folder_still_reads_and_moves_them_into_the_next_version(
        master, proposed, data_store, fixture_dir, tmp_path):
    sheet, path = master
    held = store.open_store(data_store)
    legacy = recipes.copy(proposed)
    legacy.accept_proposed()
    legacy.name = "master"
    (data_store / "recipes").mkdir()
    (data_store / "recipes" / "master.json").write_text(legacy.to_json(), encoding="utf-8")  # as stores wrote them
    before = (data_store / "recipes" / "master.json").read_bytes()
    assert recipes.names(held) == ["master"]
    by_name = _import(path, "master", data_store)  # --recipe NAME reads it; the new version keeps the old layout
    assert not (held.version_path(by_name.version) / store.RECIPES).exists() and recipes.names(held) == ["master"]

    following = sf.master_sheet(fixture_dir, calendar.next_quarter(sheet.quarter), sheet.projects, seed=9)
    path2 = sf.write_xlsx(following, tmp_path / "next.xlsx")
    saved = _import(path2, "master", data_store, save_as="next-quarter")
    moved = _saved_file(data_store, saved.version)
    assert sorted(moved["recipes"]) == ["master", "next-quarter"]
    assert moved["recipes"]["master"] == json.loads(before)  # moved as it was
    assert (data_store / "recipes" / "master.json").read_bytes() == before  # the old folder left as it was
    audit.rollback(held, by_name.version, "test")  # a version from before reads the old folder again
    assert recipes.names(held) == ["master"]


def test_a_bad_recipes_file_in_an_extract_is_refused_with_its_place_and_nothing_written(master, proposed, data_store,
                                                                                        tmp_path):
    _sheet, path = master
    _import(path, proposed, data_store, save_as="master")
    out = tmp_path / "exported"
    extract_io.export_extract("parquet", out, store.open_store(data_store))
    good = json.loads((out / store.RECIPES).read_text(encoding="utf-8"))
    before = snapshot(data_store)

    broken = json.loads(json.dumps(good))
    broken["recipes"]["master"]["sheets"][0]["columns"][1]["role"] = "guess"
    broken["recipes"]["Bad Name"] = good["recipes"]["master"]
    (out / store.RECIPES).write_text(json.dumps(broken), encoding="utf-8")
    refused = extract_io.import_extract(out, data_store)
    assert not refused.ok and snapshot(data_store) == before
    problems = refused.report.to_frame()
    assert set(problems["file"]) == {store.RECIPES} and set(problems["rule"]) == {"bad-recipe"}
    text = " ".join(problems["column"] + " " + problems["message"])
    assert "recipes.master" in text and "sheets[0].columns[1].role: 'guess' is not one of" in text
    assert "recipes.Bad Name" in text

    elsewhere = json.loads(json.dumps(good))
    elsewhere["recipes"]["master"]["programme"] = "another-programme"
    (out / store.RECIPES).write_text(json.dumps(elsewhere), encoding="utf-8")
    refused = extract_io.import_extract(out, data_store)
    assert not refused.ok and snapshot(data_store) == before
    assert refused.report.to_frame()["rule"].tolist() == ["other-programme"]
    (out / store.RECIPES).write_text("{not json", encoding="utf-8")
    refused = extract_io.import_extract(out, data_store)
    assert not refused.ok and "not JSON" in refused.report.summary() + " ".join(refused.report.to_frame()["message"])
    assert snapshot(data_store) == before


def test_the_data_dictionary_lists_the_recipes_of_the_version_in_use(master, proposed, data_store, monkeypatch):
    import streamlit as st

    from tests.conftest import make_app

    _sheet, path = master
    first = _import(path, proposed, data_store, save_as="master")
    monkeypatch.setenv("IMPACT_DATA_DIR", str(data_store))
    st.cache_data.clear()
    st.cache_resource.clear()
    at = make_app("pages/data.py")
    assert not at.exception
    assert "The programme's recipes" in [h.value for h in at.header]
    [listed] = [d.value for d in at.dataframe if "recipe" in d.value.columns]
    saved = _saved_file(data_store, first.version)["recipes"]["master"]
    assert listed["recipe"].tolist() == ["master"] and listed["sheets"].tolist() == [
        f"{saved['sheets'][0]['sheet'] or '(its only sheet)'} -> training"]
    assert listed["values mapped"].tolist() == [sum(len(v) for v in saved["sheets"][0]["values"].values())]
    assert [json.loads(c.value) for c in at.code] == [saved]
    assert any(f"Saved in version {first.version}" in c.value.replace("\\", "") for c in at.caption)

    store.open_store(data_store).rollback(store.BASE_VERSION)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = make_app("pages/data.py")
    assert not at.exception and not at.code
    assert any("No recipe is saved in version base" in c.value.replace("\\", "") for c in at.caption)
    st.cache_data.clear()
    st.cache_resource.clear()
