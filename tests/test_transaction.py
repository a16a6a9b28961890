"""One of each mechanism for writing data: the import transaction (a failure at any step changes nothing, and
every import's manifest is made by the same code), the safe archive reader (both zip paths refuse the same
hostile zips, naming the member) and the atomic write (an interrupted write leaves the old file)."""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import zipfile
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq
import pytest

from impact.ingest import extract_io, validate
from impact.model import programme as programmes
from impact.reporting import partners, returns
from impact.storage import remote, store, transaction
from tests.data_helpers import read_rows, snapshot, training_with_extra, write_rows

STEPS = ("validate", "write", "prepare", "switch")


def _tree(root: Path) -> list[str]:
    """Every file and folder under `root` (the lock file aside): nothing made, nothing left behind."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.name != store.LOCK)


def _state(root: Path) -> tuple:
    return snapshot(root), _tree(root), store.open_store(root).active().version


def _fail_at(step: str, monkeypatch) -> None:
    """Make `step` of the next import fail (for "prepare", the preparer the import transaction runs)."""
    def boom(*args, **kwargs):
        raise RuntimeError(f"injected failure at {step}")

    if step == "validate":
        monkeypatch.setattr(validate, "validate", boom)
    elif step == "write":  # after the first table is written: a half-filled staging folder to clear away
        real = pq.write_table

        def failing(*args, **kwargs):
            real(*args, **kwargs)
            boom()

        monkeypatch.setattr(pq, "write_table", failing)
    elif step == "switch":  # the ACTIVE pointer's own rename fails (the version is complete by then)
        real_replace = os.replace

        def replace(src, dst, *args, **kwargs):
            if Path(dst).name == store.POINTER:
                boom()
            return real_replace(src, dst, *args, **kwargs)

        monkeypatch.setattr(os, "replace", replace)
    elif step == "prepare":
        monkeypatch.setattr(transaction, "PREPARERS", [boom])


def _new_programme(fixture_dir: Path, out: Path) -> Path:
    shutil.copytree(fixture_dir, out)
    definition = json.loads((out / "programme.json").read_text(encoding="utf-8"))
    (out / "programme.json").write_text(json.dumps({**definition, "id": "newprog"}), encoding="utf-8")
    return out


def _a_return(data_store: Path, picks, folder: Path, extra: int = 0) -> Path:
    """A project's return for its quarter, filled in with the shipped figures (its first figure `extra` higher)."""
    project, period = picks[0]
    book = openpyxl.load_workbook(io.BytesIO(returns.workbook(project, period, store.open_store(data_store))))
    for kind in returns.KINDS:
        table = pq.read_table(data_store / f"{kind.table}.parquet").to_pylist()
        mine = [r for r in table if r["project_id"] == project and r["period"] == period]
        sheet = book[kind.table]
        where = {tuple(sheet.cell(row=n, column=i + 1).value for i in range(len(kind.dimensions))): n
                 for n in range(returns.HEADER_ROW + 1, sheet.max_row + 1)}
        for record in mine:
            row = where[tuple(record[d] for d in kind.dimensions)]
            for column, measure in enumerate(kind.measures, start=len(kind.dimensions) + 1):
                sheet.cell(row=row, column=column, value=int(record[measure]) + extra)
                extra = 0
    folder.mkdir(parents=True, exist_ok=True)
    book.save(folder / "return.xlsx")
    return folder / "return.xlsx"


# ---- the import transaction -------------------------------------------------------------------

@pytest.mark.parametrize("step", STEPS)
def test_a_failure_at_any_step_of_an_extract_import_changes_nothing(step, data_store, csv_extract, tmp_path,
                                                                    monkeypatch):
    source = training_with_extra(csv_extract, tmp_path / "in", 7)
    before = _state(data_store)
    _fail_at(step, monkeypatch)
    with pytest.raises(RuntimeError, match=f"injected failure at {step}"):
        extract_io.import_extract(source, data_store)
    assert _state(data_store) == before
    monkeypatch.undo()
    result = extract_io.import_extract(source, data_store)  # and the next import goes through
    assert result.ok and store.open_store(data_store).active().version == result.version


@pytest.mark.parametrize("step", STEPS)
def test_a_failure_at_any_step_of_a_new_programmes_first_import_leaves_no_programme(step, fixture_dir, data_store,
                                                                                     tmp_path, monkeypatch):
    source = _new_programme(fixture_dir, tmp_path / "newprog")
    before, listing = _state(data_store), store.programmes(data_store)
    _fail_at(step, monkeypatch)
    with pytest.raises(RuntimeError, match=f"injected failure at {step}"):
        extract_io.import_extract(source, data_store, programme="newprog")
    assert _state(data_store) == before and store.programmes(data_store) == listing
    assert not (data_store / "programmes").exists()


@pytest.mark.parametrize("step", STEPS)
def test_a_failure_at_any_step_of_a_returns_import_changes_nothing(step, data_store, picks, tmp_path, monkeypatch):
    path = _a_return(data_store, picks, tmp_path / "in", extra=3)
    before = _state(data_store)
    _fail_at(step, monkeypatch)
    with pytest.raises(RuntimeError, match=f"injected failure at {step}"):
        returns.import_returns([path], store.open_store(data_store))
    assert _state(data_store) == before  # no version, and no trail of the return either
    monkeypatch.undo()
    assert returns.import_returns([path], store.open_store(data_store)).ok


def test_a_refused_import_changes_nothing_and_commits_once(data_store, csv_extract, tmp_path):
    rows = read_rows(csv_extract / "training.csv")
    rows[1][rows[0].index("trainees")] = "many"
    write_rows(tmp_path / "bad" / "training.csv", rows)
    before = _state(data_store)
    assert not extract_io.import_extract(tmp_path / "bad", data_store).ok
    assert _state(data_store) == before
    with transaction.begin(store.open_store(data_store)) as txn:
        definition = store.load_definition(txn.current.path)
        tables = store.table_files(txn.current.path)
        txn.commit(tables=tables, definition=definition, who="tester", label="again", replaced_tables=[], sources=[])
        with pytest.raises(store.StoreError, match="already"):
            txn.commit(tables=tables, definition=definition, who="tester", label="again", replaced_tables=[],
                       sources=[])


def test_an_extract_and_a_returns_import_write_manifests_made_by_the_same_code(data_store, csv_extract, picks,
                                                                              tmp_path, monkeypatch):
    made = []
    real = transaction.Transaction.manifest

    def spy(self, **kwargs):
        made.append(kwargs["label"])
        return real(self, **kwargs)

    monkeypatch.setattr(transaction.Transaction, "manifest", spy)
    extract = extract_io.import_extract(training_with_extra(csv_extract, tmp_path / "in", 2), data_store, who="me")
    batch = returns.import_returns([_a_return(data_store, picks, tmp_path / "r", extra=1)], store.open_store(data_store), who="you")
    assert extract.ok and batch.ok and len(made) == 2
    first = store.read_manifest(store.open_store(data_store).version_path(extract.version))
    second = store.read_manifest(store.open_store(data_store).version_path(batch.version))
    assert list(first) == [k for k in second if k != "returns"]  # the same fields, in the same order
    assert list(first)[:8] == ["label", "illustrative", "created_by", "parent", "programme", "replaced_tables",
                               "definition_changed", "sources"]
    assert (first["created_by"], first["parent"]) == ("me", store.BASE_VERSION)
    assert (second["created_by"], second["parent"]) == ("you", extract.version)
    assert second["programme"] == first["programme"] and second["definition_changed"] is False
    assert second["returns"][0]["project"] == picks[0][0]
    assert [set(s) for s in second["sources"]] == [{"name", "sha256"}]
    assert set(first["sources"][0]) == {"name", "table", "sha256", "bytes"}


def test_a_failed_import_into_an_s3_store_leaves_no_object(s3_env, fixture_dir, csv_extract, tmp_path, monkeypatch):  # noqa: F811
    url = s3_env.url()
    first = extract_io.import_extract(fixture_dir, url)
    assert first.ok, first.report.to_text()
    pid = programmes.load(fixture_dir).id
    where = remote.parse(url)
    objects = remote.listing(where)

    def fail(folder, version):
        raise RuntimeError("compile failed")

    monkeypatch.setattr(transaction, "PREPARERS", [fail])
    with pytest.raises(RuntimeError, match="compile failed"):
        extract_io.import_extract(training_with_extra(csv_extract, tmp_path / "in", 4), url, programme=pid)
    assert remote.listing(where) == objects  # the uploaded version's objects were deleted again
    assert store.open_store(url, pid).active().version == first.version
    assert [v.version for v in store.open_store(url, pid).versions()] == [first.version]


# ---- the safe archive reader ------------------------------------------------------------------------

def _hostile(kind: str, good: tuple[str, bytes], path: Path) -> tuple[Path, str]:
    """A zip holding a good member and a hostile one; the hostile member's name."""
    member = {"traversal": "../evil.xlsx", "absolute": "/tmp/evil.xlsx", "windows": "..\\..\\evil.xlsx",
              "symlink": "evil.xlsx", "bomb": "evil.xlsx"}[kind]
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(*good)
        if kind == "bomb":
            with archive.open(member, "w", force_zip64=True) as out:
                for _ in range(64):  # 64 MB of zeros packs to ~64 KB
                    out.write(bytes(1 << 20))
        else:
            info = zipfile.ZipInfo(member)
            if kind == "symlink":
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, b"/etc/passwd" if kind == "symlink" else b"x")
    return path, member


KINDS = ("traversal", "absolute", "windows", "symlink", "bomb")


def _refused_naming(report: validate.Report, zip_name: str, member: str) -> None:
    problems = [p for p in report.problems if p.file == zip_name and p.rule in ("unsafe-archive", "too-large")]
    assert problems, report.to_text()
    assert any(member[:60] in p.message for p in problems), report.to_text()


@pytest.mark.parametrize("kind", KINDS)
def test_both_zip_paths_refuse_the_same_hostile_zip_naming_the_member(kind, data_store, csv_extract, picks, tmp_path):
    good = _a_return(data_store, picks, tmp_path / "good", extra=2)  # (its workbook makes the store's key)
    before = _state(data_store)
    training = ("training.csv", (csv_extract / "training.csv").read_bytes())
    archive, member = _hostile(kind, training, tmp_path / "extract" / "extract.zip")
    result = extract_io.import_extract(archive, data_store)
    assert not result.ok
    _refused_naming(result.report, "extract.zip", member)

    archive, member = _hostile(kind, ("return.xlsx", good.read_bytes()), tmp_path / "returns" / "returns.zip")
    # the valid return beside the hostile member is not taken either, even with --accept-valid: the zip is refused
    batch = returns.import_returns([archive], store.open_store(data_store), accept_valid=True, confirm_removals=True)
    assert not batch.ok
    _refused_naming(batch.report, "returns.zip", member)
    assert _state(data_store) == before


# ---- the atomic write ------------------------------------------------------------------------------

def test_an_interrupted_atomic_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "folder" / "file.json"
    store.atomic_write(path, "old\n")
    assert path.read_text() == "old\n"
    store.atomic_write(path, b"new\n", mode=0o600)
    assert path.read_bytes() == b"new\n"

    def interrupted(*args, **kwargs):
        raise OSError("power cut")

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(OSError, match="power cut"):
        store.atomic_write(path, "newer\n")
    assert path.read_text() == "new\n"
    assert sorted(p.name for p in path.parent.iterdir()) == ["file.json"]  # no temporary file left


def test_an_interrupted_pointer_or_account_write_leaves_the_old_file(data_store, picks, monkeypatch):
    project = picks[0][0]
    partners.save_account(store.open_store(data_store), "a@example.org", "A", [project], [project], "tester")
    accounts = (data_store / partners.ACCOUNTS).read_bytes()
    assert stat.S_IMODE((data_store / partners.ACCOUNTS).stat().st_mode) == 0o600
    before = snapshot(data_store)

    def interrupted(*args, **kwargs):
        raise OSError("power cut")

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(OSError, match="power cut"):
        partners.save_account(store.open_store(data_store), "b@example.org", "B", [project], [project], "tester")
    with pytest.raises(OSError, match="power cut"):
        store.open_store(data_store).switch(store.BASE_VERSION)
    assert (data_store / partners.ACCOUNTS).read_bytes() == accounts
    assert snapshot(data_store) == before and not (data_store / store.POINTER).exists()
