"""A data store on S3-compatible object storage (IMPACT_DATA_DIR=s3://bucket/prefix), against moto's server:
an import on one server is seen by another with its own cache, rollback by all, every version checked
against its manifest, and the ACTIVE object replaced last (no reader follows it to a half-uploaded version)."""

from __future__ import annotations

import pytest

from impact import cli
from impact.ingest import extract_io
from impact.model import programme as programmes
from impact.query import db
from impact.query.filters import Filters
from impact.storage import remote, store
from tests.data_helpers import read_rows, write_rows
from tests.s3_helpers import as_server


def _trainees(url: str, programme: str) -> int:
    database = db.open_active(store.open_store(url, programme))
    try:
        return int(db.run_query(database, "headline_totals", Filters().params())["trainees"].iloc[0])
    finally:
        database.connection.close()


def _with_extra(csv_extract, out, extra: int):
    rows = read_rows(csv_extract / "training.csv")
    at = rows[0].index("trainees")
    rows[1][at] = str(int(rows[1][at]) + extra)
    write_rows(out / "training.csv", rows)
    return out


@pytest.fixture
def seeded(s3_env, fixture_dir, compiled_imports):  # noqa: F811 (the fixture imported above)
    """A fresh S3 store holding the fixture extract as its programme's first imported version."""
    url = s3_env.url()
    result = extract_io.import_extract(fixture_dir, url)
    assert result.ok, result.report.to_text()
    return url, programmes.load(fixture_dir).id, result.version


def test_an_import_on_one_server_is_seen_by_another_and_rollback_by_all(seeded, csv_extract, tmp_path, monkeypatch):
    url, pid, first = seeded
    objects = remote.listing(remote.parse(url))
    assert f"programmes/{pid}/ACTIVE" in objects and f"programmes/{pid}/versions/{first}/extract.json" in objects
    before = _trainees(url, pid)

    as_server(monkeypatch, tmp_path / "cache-b")  # another server: its own mirror and compiled files
    assert store.open_store(url, pid).active().version == first
    assert str(tmp_path / "cache-b") in str(store.open_store(url, pid).active().path)
    assert store.open_store(url, pid).verify(first) == []
    assert _trainees(url, pid) == before

    second = extract_io.import_extract(_with_extra(csv_extract, tmp_path / "in", 500), url, programme=pid).version
    assert second and second != first
    as_server(monkeypatch, tmp_path / "cache-a")
    assert store.open_store(url, pid).active().version == second
    assert _trainees(url, pid) == before + 500

    assert cli.main(["rollback", first, "--data-dir", url, "--programme", pid]) == 0
    for cache in ("cache-a", "cache-b", "cache-c"):  # cache-c: a server started after the rollback
        as_server(monkeypatch, tmp_path / cache)
        assert store.open_store(url, pid).active().version == first
        assert _trainees(url, pid) == before
    assert {v.version for v in store.open_store(url, pid).versions()} == {second, first}  # (imports in one second: any order)


def test_active_object_is_replaced_last(seeded, csv_extract, tmp_path, monkeypatch):
    url, pid, first = seeded
    where = remote.parse(url).child(f"programmes/{pid}")
    writes = []
    upload, write_bytes = remote.upload, remote.write_bytes

    def recording_upload(at, relative, source):
        assert remote.read_text(where, "ACTIVE").strip() == first  # readers still follow the old pointer
        writes.append(relative)
        upload(at, relative, source)

    def recording_write(at, relative, data):
        writes.append(relative)
        write_bytes(at, relative, data)

    monkeypatch.setattr(remote, "upload", recording_upload)
    monkeypatch.setattr(remote, "write_bytes", recording_write)
    second = extract_io.import_extract(_with_extra(csv_extract, tmp_path / "in", 3), url, programme=pid).version
    assert writes[-2:] == ["audit/trail.jsonl", "audit/head.json"]  # the trail records the import once it is in use
    writes = writes[:-2]
    assert writes[-1] == "ACTIVE"
    assert writes[-2] == f"versions/{second}/extract.json"  # the manifest completes a version, after its files
    assert {w.rsplit("/", 1)[1] for w in writes[:-1]} >= {"training.parquet", "programme.json", "extract.json"}


def test_a_damaged_version_on_s3_is_never_served(seeded, tmp_path, monkeypatch):
    url, pid, first = seeded
    where = remote.parse(url).child(f"programmes/{pid}")
    assert store.open_store(url, pid).active().version == first  # this server has mirrored the first version
    fake = "20991231-000000-deadbeef"
    for key in remote.listing(where, f"versions/{first}/"):
        data = remote.read_text(where, key) if key.endswith(".json") else None
        target = key.replace(first, fake)
        if key.endswith("training.parquet"):
            remote.write_bytes(where, target, b"not the file the manifest names")
        elif data is not None:
            remote.write_bytes(where, target, data.encode())
        else:
            with open(tmp_path / "obj", "wb") as fh:
                remote.client().download_fileobj(where.bucket, where.key(key), fh)
            remote.upload(where, target, tmp_path / "obj")
    remote.write_bytes(where, "ACTIVE", f"{fake}\n".encode())  # someone points ACTIVE at it by hand

    assert store.open_store(url, pid).active().version == first  # still served, with a warning in the log
    as_server(monkeypatch, tmp_path / "cache-new")
    assert store.open_store(url, pid).active().version != fake  # a server with nothing mirrored never serves it either
    assert not (store.open_store(url, pid).root / "versions" / fake).exists()

    as_server(monkeypatch, tmp_path / "cache-cli")  # a fresh command line (a container run) mends it
    assert cli.main(["rollback", first, "--data-dir", url, "--programme", pid]) == 0
    as_server(monkeypatch, tmp_path / "cache-new")
    assert store.open_store(url, pid).active().version == first


def test_one_writer_at_a_time_across_machines(seeded):
    url, pid, first = seeded
    held = store.open_store(url, pid)
    where = held.remote
    token = remote.acquire_lock(where, store.LOCK, 1)  # another machine's import holds the lock object
    try:
        with pytest.raises(store.StoreError, match="another import"), held.locked(timeout=1):
            pass
    finally:
        remote.release_lock(where, store.LOCK, token)
    with held.locked(timeout=1):
        assert remote.read_text(where, store.LOCK) is not None
    assert remote.read_text(where, store.LOCK) is None


def test_local_store_is_unchanged(data_store):
    assert store.open_store(data_store).remote is None
    assert store.open_store(str(data_store)).root == data_store.resolve()
    assert remote.parse("s3://b/some/prefix/").key("ACTIVE") == "some/prefix/ACTIVE"
    assert remote.parse("s3://b").key("ACTIVE") == "ACTIVE"


def test_a_version_deleted_on_one_server_is_not_listed_by_another(seeded, csv_extract, tmp_path, monkeypatch):
    url, pid, first = seeded
    second = extract_io.import_extract(_with_extra(csv_extract, tmp_path / "in", 9), url, programme=pid).version
    as_server(monkeypatch, tmp_path / "cache-b")
    assert {v.version for v in store.open_store(url, pid).versions()} == {second, first}  # both mirrored here (same second: any order)
    as_server(monkeypatch, tmp_path / "cache-a")
    with pytest.raises(store.StoreError, match="is active"):
        store.open_store(url, pid).delete_version(second)
    store.open_store(url, pid).delete_version(first)
    assert not remote.listing(remote.parse(url).child(f"programmes/{pid}"), f"versions/{first}/")
    as_server(monkeypatch, tmp_path / "cache-b")
    assert [v.version for v in store.open_store(url, pid).versions()] == [second]


def test_seed_puts_the_shipped_extracts_into_an_empty_store(s3_env, monkeypatch, capsys):  # noqa: F811 (fixture)
    import importlib.util

    from tests.conftest import ROOT

    spec = importlib.util.spec_from_file_location("seed", ROOT / "deploy" / "seed.py")
    seed = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(seed)
    url = s3_env.url()
    monkeypatch.setenv("IMPACT_DATA_DIR", url)
    assert seed.main() == 0
    assert store.default_programme(url) == programmes.load(ROOT / "data").id  # the top-level one, as locally
    assert set(store.programmes(url)) == set(store.programmes(ROOT / "data"))
    assert store.open_store(url).active().version == store.BASE_VERSION
    assert seed.main() == 0 and "left as it is" in capsys.readouterr().out
