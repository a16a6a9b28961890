"""Versions: a good import switches and changes the figures, rollback restores them, crashes lose nothing,
readers in threads never see an error or a mix of versions, and the command line does the same."""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from impact import cli
from impact.app.text import plain
from impact.ingest import extract_io
from impact.query import db
from impact.query.filters import Filters
from impact.storage import store, transaction
from tests.conftest import Independent, make_app, metrics_shown
from tests.data_helpers import read_rows, snapshot, training_with_extra, write_rows


def _trainees(data_dir: Path) -> int:
    """Health workers trained in the active version, through the app's own query."""
    return int(db.run_query(db.open_active(store.open_store(data_dir)), "headline_totals", Filters().params())["trainees"].iloc[0])


def test_good_import_switches_version_and_figures_and_rollback_restores(data_store, csv_extract, independent,
                                                                        tmp_path):
    original = independent.scalar("select sum(trainees) from training")
    assert _trainees(data_store) == original
    result = extract_io.import_extract(training_with_extra(csv_extract, tmp_path / "in", 1000), data_store,
                                       who="tester")
    assert result.ok, result.report.to_text()
    assert result.previous == store.BASE_VERSION and result.replaced == ["training"]
    assert store.open_store(data_store).active().version == result.version
    assert (data_store / "ACTIVE").read_text().strip() == result.version
    assert _trainees(data_store) == original + 1000
    assert Independent(data_store / "versions" / result.version).scalar(
        "select sum(trainees) from training") == original + 1000

    manifest = json.loads((data_store / "versions" / result.version / "extract.json").read_text())
    assert manifest["created_by"] == "tester" and manifest["parent"] == "base"
    assert manifest["replaced_tables"] == ["training"]
    assert manifest["sources"][0]["name"] == "training.csv" and len(manifest["sources"][0]["sha256"]) == 64
    assert len(manifest["checksum"]) == 64 and manifest["created_at"].endswith("Z")
    assert manifest["illustrative"] is True  # seven of eight tables are still the illustrative ones
    # unchanged tables are byte copies of the version in use
    assert (data_store / "versions" / result.version / "projects.parquet").read_bytes() == \
        (data_store / "projects.parquet").read_bytes()
    assert store.open_store(data_store).verify(result.version) == []
    changed = extract_io.changes(result.version, store.open_store(data_store)).set_index("table")
    assert changed.loc["training", "imported"] == "yes" and changed.loc["projects", "imported"] == ""
    assert (changed["rows before"] == changed["rows now"]).all()
    for path in (data_store / "versions" / result.version).iterdir():
        assert not path.stat().st_mode & 0o222, path  # written once, read-only after

    store.open_store(data_store).rollback("base")
    assert store.open_store(data_store).active().version == "base"
    assert _trainees(data_store) == original
    store.open_store(data_store).rollback(result.version)
    assert _trainees(data_store) == original + 1000
    listed = store.open_store(data_store).versions()
    assert [v.version for v in listed] == [result.version, "base"]
    assert [v.active for v in listed] == [True, False]


def test_crash_between_writing_and_switching_leaves_old_version_active(data_store, csv_extract, tmp_path,
                                                                       monkeypatch):
    before = _trainees(data_store)
    files = snapshot(data_store)

    def crash(*args, **kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(store.Store, "switch", crash)
    with pytest.raises(RuntimeError):
        extract_io.import_extract(training_with_extra(csv_extract, tmp_path / "in", 5), data_store)
    assert store.open_store(data_store).active().version == "base"
    assert not (data_store / "ACTIVE").exists()
    assert _trainees(data_store) == before
    # the written version was removed again: a failed import changes nothing (impact.storage.transaction)
    assert snapshot(data_store) == files and not (data_store / "versions").exists()


def test_crash_while_writing_leaves_no_version_and_is_cleaned_next_time(data_store, csv_extract, tmp_path,
                                                                        monkeypatch):
    calls = {"n": 0}
    real = pq.write_table

    def failing(*args, **kwargs):
        calls["n"] += 1
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", failing)
    with pytest.raises(OSError):
        extract_io.import_extract(training_with_extra(csv_extract, tmp_path / "in", 5), data_store)
    assert calls["n"] == 1
    assert store.open_store(data_store).active().version == "base"
    assert not (data_store / "versions").exists() or not list((data_store / "versions").iterdir())
    assert not (data_store / ".staging").exists()  # the half-written folder was removed with the failure
    (data_store / ".staging" / "crashed").mkdir(parents=True)  # what a crash (no cleanup) leaves behind
    monkeypatch.setattr(pq, "write_table", real)
    result = extract_io.import_extract(training_with_extra(csv_extract, tmp_path / "in2", 5), data_store)
    assert result.ok
    assert not list((data_store / ".staging").iterdir())


def test_switch_is_atomic_rename_and_refuses_incomplete_or_odd_versions(data_store, csv_extract, tmp_path):
    result = extract_io.import_extract(training_with_extra(csv_extract, tmp_path / "in", 1), data_store)
    assert sorted(p.name for p in data_store.iterdir() if p.name.startswith("ACTIVE")) == ["ACTIVE"]
    for bad in ("../..", "versions/x", "", "a b", ".hidden", "x" * 100):
        with pytest.raises(store.StoreError):
            store.open_store(data_store).switch(bad)
    (data_store / "versions" / "incomplete").mkdir()
    with pytest.raises(store.StoreError):
        store.open_store(data_store).rollback("incomplete")
    assert store.open_store(data_store).active().version == result.version
    (data_store / "ACTIVE").write_text("../../etc\n")
    with pytest.raises(store.StoreError):
        store.open_store(data_store).active()


def test_tampered_version_is_not_made_active(data_store, csv_extract, tmp_path):
    result = extract_io.import_extract(training_with_extra(csv_extract, tmp_path / "in", 1), data_store)
    store.open_store(data_store).rollback("base")
    path = data_store / "versions" / result.version / "countries.parquet"
    path.chmod(0o644)
    path.write_bytes(path.read_bytes() + b"x")
    with pytest.raises(store.StoreError, match="damaged"):
        store.open_store(data_store).rollback(result.version)
    assert store.open_store(data_store).active().version == "base"


def test_delete_refuses_active_and_base_and_removes_others(data_store, csv_extract, tmp_path):
    first = extract_io.import_extract(training_with_extra(csv_extract, tmp_path / "a", 1), data_store).version
    second = extract_io.import_extract(training_with_extra(csv_extract, tmp_path / "b", 2), data_store).version
    with pytest.raises(store.StoreError, match="active"):
        store.open_store(data_store).delete_version(second)
    with pytest.raises(store.StoreError):
        store.open_store(data_store).delete_version("base")
    store.open_store(data_store).delete_version(first)
    assert [v.version for v in store.open_store(data_store).versions()] == [second, "base"]
    assert (data_store / "training.parquet").is_file()


def test_lock_serialises_writers(data_store):
    held = threading.Event()
    release = threading.Event()

    def holder():
        with store.open_store(data_store).locked():
            held.set()
            release.wait(5)

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(5)
    try:
        with pytest.raises(store.StoreError, match="another import"):
            with store.open_store(data_store).locked(timeout=0.3):
                pass
    finally:
        release.set()
        thread.join()
    with store.open_store(data_store).locked(timeout=1):
        pass


def test_a_name_with_a_trailing_newline_is_neither_a_programme_nor_a_version(data_store, tmp_path):
    for bad in ("newprog\n", "hps\n"):
        with pytest.raises(store.StoreError):
            store.open_store(data_store, bad, create=True).root
    with pytest.raises(store.StoreError):
        store.check_name("v1\n")
    (data_store / "programmes" / "newprog\n").mkdir(parents=True)
    assert "newprog\n" not in store.programmes(data_store)
    from impact.ingest import validate

    report, uploads = validate.Report(), tmp_path / "uploads"
    uploads.mkdir()
    assert extract_io.save_uploads([("training.csv\n", b"x")], uploads, report) is None
    assert not report.ok and not list(uploads.iterdir())


def test_a_folder_without_a_version_is_not_a_programme(data_store):
    ghost = data_store / "programmes" / "ghost"
    ghost.mkdir(parents=True)
    (ghost / ".lock").touch()  # what a refused first import used to leave behind
    assert list(store.programmes(data_store)) == ["hps"]
    assert store.default_programme(data_store) == "hps"


def test_a_lock_taken_on_a_new_store_that_stays_empty_leaves_nothing(data_store):
    tree = sorted(data_store.rglob("*"))
    with store.open_store(data_store, "fresh", create=True).locked(provisional=True):
        assert (data_store / "programmes" / "fresh" / ".lock").is_file()
    assert sorted(data_store.rglob("*")) == tree
    with store.open_store(data_store).locked():  # an existing store keeps its lock file
        pass
    assert (data_store / ".lock").is_file()


def test_a_new_programme_whose_compile_fails_leaves_nothing(fixture_dir, data_store, tmp_path, monkeypatch):
    source = tmp_path / "newprog"
    shutil.copytree(fixture_dir, source)
    definition = json.loads((source / "programme.json").read_text(encoding="utf-8"))
    (source / "programme.json").write_text(json.dumps({**definition, "id": "newprog"}), encoding="utf-8")
    tree, listing = sorted(data_store.rglob("*")), store.programmes(data_store)

    def fail(folder, version):
        raise RuntimeError("compile failed")

    monkeypatch.setattr(transaction, "PREPARERS", [fail])
    with pytest.raises(RuntimeError, match="compile failed"):
        extract_io.import_extract(source, data_store, programme="newprog")
    assert sorted(data_store.rglob("*")) == tree and store.programmes(data_store) == listing
    monkeypatch.setattr(transaction, "PREPARERS", [db.prepare])
    result = extract_io.import_extract(source, data_store, programme="newprog")
    assert result.ok and list(store.programmes(data_store)) == ["hps", "newprog"]


def test_readers_in_threads_see_no_error_and_no_mix_during_imports(data_store, csv_extract, tmp_path, compiled_imports):
    observations: list[tuple[str, int, int]] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader():
        opened: dict[str, db.Database] = {}
        while not stop.is_set():
            try:
                current = store.open_store(data_store).active()
                database = opened.get(current.version) or db.open_database(current.path, current.version)
                opened[current.version] = database
                row = db.run_query(database, "headline_totals", Filters().params()).iloc[0]
                observations.append((current.version, int(row["trainees"]), int(row["volunteer_days"])))
            except BaseException as error:  # noqa: BLE001 - any error at all fails the test
                errors.append(error)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    versions = []
    try:
        for n in range(4):
            time.sleep(0.15)
            folder = training_with_extra(csv_extract, tmp_path / f"in{n}", 100 * (n + 1))
            rows = read_rows(csv_extract / "volunteering.csv")
            at = rows[0].index("volunteer_days")
            rows[1][at] = str(int(rows[1][at]) + 10 * (n + 1))
            write_rows(folder / "volunteering.csv", rows)  # two tables change together
            result = extract_io.import_extract(folder, data_store)  # compiled first, as the app and CLI import
            assert result.ok, result.report.to_text()
            versions.append(result.version)
        time.sleep(0.15)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors[:3]
    expected = {}
    for version in ["base", *versions]:
        folder = store.open_store(data_store).version_path(version)
        ind = Independent(folder)
        expected[version] = (ind.scalar("select sum(trainees) from training"),
                             ind.scalar("select sum(volunteer_days) from volunteering"))
    seen = {v for v, _, _ in observations}
    assert len(seen) >= 2 and len(observations) > 20
    for version, trainees, days in observations:
        assert (trainees, days) == expected[version], version  # never one table of a version with another's


def test_app_picks_up_a_new_version_without_restart(data_store, csv_extract, tmp_path, monkeypatch):
    import streamlit as st

    monkeypatch.setenv("IMPACT_DATA_DIR", str(data_store))
    st.cache_data.clear()
    st.cache_resource.clear()
    before = _trainees(data_store)
    at = make_app()
    assert metrics_shown(at)["Health workers trained"] == f"{before:,}"
    result = extract_io.import_extract(training_with_extra(csv_extract, tmp_path / "in", 2000), data_store)
    at.run()
    assert not at.exception
    assert metrics_shown(at)["Health workers trained"] == f"{before + 2000:,}"
    at.switch_page("pages/data.py")
    at.run()
    assert not at.exception
    assert any(plain(result.version) in c.value for c in at.caption), [c.value for c in at.caption]
    st.cache_data.clear()
    st.cache_resource.clear()


def test_command_line_import_versions_rollback_and_export(data_store, csv_extract, tmp_path, capsys):
    bad = tmp_path / "bad"
    rows = read_rows(csv_extract / "countries.csv")
    rows[2][0] = "XYZ"
    write_rows(bad / "countries.csv", rows)
    before = snapshot(data_store)
    assert cli.main(["import", str(bad), "--data-dir", str(data_store)]) == 1
    out = capsys.readouterr().out
    assert "countries.csv, row 3, column iso3" in out and "[unknown-iso3]" in out
    assert snapshot(data_store) == before

    good = training_with_extra(csv_extract, tmp_path / "good", 7)
    assert cli.main(["import", str(good), "--data-dir", str(data_store)]) == 0
    version = store.open_store(data_store).active().version
    assert version in capsys.readouterr().out
    assert cli.main(["versions", "--data-dir", str(data_store)]) == 0
    listing = capsys.readouterr().out
    assert f"* {version}" in listing and "  base" in listing
    assert cli.main(["rollback", "base", "--data-dir", str(data_store)]) == 0
    assert store.open_store(data_store).active().version == "base"
    assert cli.main(["rollback", "no-such-version", "--data-dir", str(data_store)]) == 2
    assert cli.main(["rollback", "../escape", "--data-dir", str(data_store)]) == 2
    assert store.open_store(data_store).active().version == "base"

    out_dir = tmp_path / "exported"
    assert cli.main(["export-extract", "--format", "csv", "--out", str(out_dir), "--data-dir", str(data_store)]) == 0
    assert sorted(p.name for p in out_dir.glob("*.csv")) == sorted(f"{n}.csv" for n in store.table_files(out_dir))
    assert json.loads((out_dir / "extract.json").read_text())["exported_from"] == "base"


def test_command_line_import_compiles_the_new_version_before_switching(data_store, csv_extract, tmp_path, monkeypatch):
    from impact import cli

    seen = []
    compile_version = db.prepare

    def prepare(folder, version):
        seen.append((version, store.open_store(data_store).active().version))  # the pointer still names the old version
        compile_version(folder, version)

    monkeypatch.setattr(db, "prepare", prepare)
    folder = training_with_extra(csv_extract, tmp_path / "in", 5)
    assert cli.main(["import", str(folder), "--data-dir", str(data_store)]) == 0
    assert seen == [(store.open_store(data_store).active().version, store.BASE_VERSION)]
