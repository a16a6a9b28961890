"""The database: one read-only, in-process DuckDB connection per extract version.

`open_database` creates views over the extract's Parquet files (`from training`,
never a file path) plus the shared filter macros in `queries/setup/`; `run_query`
runs a named query from `queries/<name>.sql` on a fresh cursor with bound
parameters, so one connection can serve many threads.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from impact import schema, store

QUERY_DIR = Path(__file__).resolve().parent.parent / "queries"
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_COMMENT = re.compile(r"--[^\n]*")


class QueryError(RuntimeError):
    """A named query could not run: unknown name or missing parameters."""


@dataclass(frozen=True)
class Query:
    """A named SQL statement loaded from `queries/`."""

    name: str
    sql: str
    params: frozenset[str]
    columns: tuple[str, ...]
    description: str


@functools.cache
def load_query(name: str) -> Query:
    """The query `queries/<name>.sql`, with its parameters and declared columns."""
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise QueryError(f"not a query name: {name!r}")
    path = QUERY_DIR / f"{name}.sql"
    if not path.is_file():
        raise QueryError(f"no query called {name!r} in {QUERY_DIR}")
    sql = path.read_text(encoding="utf-8")
    header = [line[2:].strip() for line in sql.splitlines() if line.startswith("--")]
    columns: tuple[str, ...] = ()
    for line in header:
        if line.lower().startswith("columns:"):
            columns = tuple(c.strip() for c in line.split(":", 1)[1].split(","))
    description = header[0] if header else name
    params = frozenset(_PARAM.findall(_COMMENT.sub("", sql)))
    return Query(name, sql, params, columns, description)


def query_names() -> list[str]:
    """Every named query shipped in `queries/`."""
    return sorted(p.stem for p in QUERY_DIR.glob("*.sql"))


def _quote(text: str) -> str:
    # Paths come from the server's own configuration, never from a user; quote anyway.
    return "'" + text.replace("'", "''") + "'"


@dataclass
class Database:
    """An open connection to one extract version, and what identifies that version."""

    connection: duckdb.DuckDBPyConnection
    extract_dir: Path
    version: str
    manifest: dict

    @property
    def illustrative(self) -> bool:
        """True for the generated illustrative extract."""
        return bool(self.manifest.get("illustrative"))

    @property
    def label(self) -> str:
        """How the data is named on every page and export."""
        return self.manifest.get("label", "Extract")


def open_database(extract_dir: str | Path, version: str = "") -> Database:
    """Open an in-memory DuckDB with views over the Parquet files in `extract_dir`."""
    extract_dir = Path(extract_dir).resolve()
    missing = [f"{name}.parquet" for name in schema.TABLE_NAMES if not (extract_dir / f"{name}.parquet").is_file()]
    if missing:
        raise FileNotFoundError(f"the extract in {extract_dir} is missing {', '.join(missing)}")
    conn = duckdb.connect(":memory:")
    for spec in schema.TABLES:
        path = extract_dir / f"{spec.name}.parquet"
        conn.execute(f"create view {spec.name} as select * from read_parquet({_quote(str(path))})")
    for setup in sorted((QUERY_DIR / "setup").glob("*.sql")):
        conn.execute(setup.read_text(encoding="utf-8"))
    manifest_path = extract_dir / "extract.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    return Database(conn, extract_dir, version or manifest.get("version", extract_dir.name), manifest)


def open_active(data_dir: str | Path | None = None) -> Database:
    """Open the active version of the data store (IMPACT_DATA_DIR by default)."""
    active = store.active(data_dir)
    return open_database(active.path, active.version)


def run_query(db: Database, name: str, params: dict | None = None) -> pd.DataFrame:
    """Run the named query with bound parameters; extra parameters are ignored."""
    query = load_query(name)
    params = params or {}
    missing = query.params - params.keys()
    if missing:
        raise QueryError(f"query {name!r} needs parameters: {', '.join(sorted(missing))}")
    bound = {k: params[k] for k in query.params}
    cursor = db.connection.cursor()
    try:
        return cursor.execute(query.sql, bound).df()
    finally:
        cursor.close()
