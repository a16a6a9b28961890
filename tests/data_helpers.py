"""Helpers for the import, store and hostile-input tests: throwaway data stores and extract files."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from impact.ingest import extract_io
from impact.model import programme as programmes
from impact.model import schema
from impact.storage import store


def make_store(source: Path, target: Path) -> Path:
    """A data store at `target` whose shipped ("base") extract is a copy of `source`."""
    target.mkdir(parents=True, exist_ok=True)
    for name in schema.TABLE_NAMES:
        shutil.copyfile(source / f"{name}.parquet", target / f"{name}.parquet")
    shutil.copyfile(source / "extract.json", target / "extract.json")
    shutil.copyfile(source / "programme.json", target / "programme.json")
    return target


def snapshot(root: Path) -> dict[str, str]:
    """SHA-256 of every file under `root` (the lock file aside): to prove nothing changed."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != ".lock"}


def refused_sheet(path: Path, chosen, root: Path) -> list:
    """The problems for which a spreadsheet imported with recipe `chosen` into the store `root` is refused (it must
    be, and leave the store exactly as it was)."""
    from impact.ingest import reshape

    before = snapshot(root)
    result = reshape.import_sheet(path, chosen, location=root, confirm_removals=True)
    assert not result.ok and not result.report.ok
    assert snapshot(root) == before
    return result.report.problems


def read_rows(path: Path) -> list[list[str]]:
    """A CSV as rows of text (header first)."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def write_rows(path: Path, rows: list[list[str]], encoding: str = "utf-8", delimiter: str = ",",
               prefix: str = "") -> Path:
    """Write rows as CSV (Excel dialect) with the given encoding and delimiter."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding=encoding, newline="") as fh:
        fh.write(prefix)
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    return path


def rehome_extract(base: Path, out: Path, home: programmes.Home, pid: str, currency: str) -> Path:
    """The base extract as CSV files of a programme whose home is `home`: its home-side institutions moved to the
    home countries (in turn), sides and roles relabelled, the definition's home and currency replaced."""
    out.mkdir(parents=True)
    definition = programmes.load(base)
    old = definition.home
    for name in schema.TABLE_NAMES:
        frame = pq.read_table(base / f"{name}.parquet").to_pandas()
        if name == "institutions":
            at_home = frame["side"] == old.home
            frame.loc[at_home, "iso3"] = [home.countries[n % len(home.countries)] for n in range(int(at_home.sum()))]
            frame["side"] = frame["side"].map({old.home: home.home, old.overseas: home.overseas})
            frame["name"] = frame["name"].str.replace(r"\bUK\b", "Verein", regex=True)
        if name == "project_partners":
            frame["role"] = frame["role"].map(dict(zip(old.roles, home.roles)))
        frame.to_csv(out / f"{name}.csv", index=False)
    dataclasses.replace(definition, id=pid, name=f"Programme {pid}", short_name=pid.upper(), currency=currency,
                        home=home).write(out)
    return out


@pytest.fixture(scope="session")
def csv_extract(fixture_dir, tmp_path_factory) -> Path:
    """The fixture extract exported as CSV by export-extract (what an M&E officer would edit)."""
    store_dir = make_store(fixture_dir, tmp_path_factory.mktemp("csv_source"))
    out = tmp_path_factory.mktemp("csv_extract")
    extract_io.export_extract("csv", out, store.open_store(store_dir))
    return out


@pytest.fixture
def data_store(fixture_dir, tmp_path) -> Path:
    """A fresh data store holding the fixture extract as its base version."""
    return make_store(fixture_dir, tmp_path / "store")


def results_sql(path_by_table: dict[str, Path]):
    """Plain DuckDB views over some Parquet files (independent of the app's queries)."""
    import duckdb

    conn = duckdb.connect()
    for name, path in path_by_table.items():
        conn.execute(f"create view {name} as select * from read_parquet('{path}')")
    return conn


@pytest.fixture(scope="module")
def picks(fixture_dir) -> list:
    """Project quarters of the fixture with rows in training, volunteering and outcomes (one per project)."""
    from impact.reporting import returns

    conn = results_sql({name: fixture_dir / f"{name}.parquet" for name in returns.TABLES})
    return conn.execute("""select project_id, max(period) from (select project_id, period from training
                           intersect select project_id, period from volunteering
                           intersect select project_id, period from outcomes)
                           group by project_id order by project_id limit 4""").fetchall()


def training_with_extra(csv_extract: Path, out: Path, extra: int) -> Path:
    """training.csv of `csv_extract` with `extra` more trainees on its first row, written into `out`."""
    rows = read_rows(csv_extract / "training.csv")
    at = rows[0].index("trainees")
    rows[1][at] = str(int(rows[1][at]) + extra)
    write_rows(out / "training.csv", rows)
    return out
