"""The database: one read-only, in-process DuckDB connection per extract version.

`open_database` compiles the extract's Parquet files once into a compressed DuckDB
file (tables named after the extract's tables, so queries say `from training`, never a
file path; fact tables joined to their attributes; the shared filter macros of
`queries/setup/`, the pre-aggregated rollups of `impact.query.rollups`) and opens it
read-only. `run_query` runs a named query from `queries/<name>.sql` on a fresh cursor with
bound parameters, so one connection can serve many threads, reading the smallest rollup that
answers it exactly (IMPACT_ROLLUPS=0 turns rollups off: every query reads the facts).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from impact.data import programme as programmes
from impact.data import schema, store
from impact.query import rollups

QUERY_DIR = Path(__file__).resolve().parents[2] / "queries"
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_COMMENT = re.compile(r"--[^\n]*")
_PER_PERIOD = re.compile(r"^-- per period of: ([a-z_]+)", re.MULTILINE)
_CREATE_AS = re.compile(r"\bcreate table ([a-z_]+) as\b")
# The compile's own bounds: DuckDB spills to its temp directory past the memory limit instead of holding a
# whole fact table's sort or aggregate in memory (its default is 80% of the machine); insertion order is
# only kept where a statement orders its rows.
COMPILE_SETTINGS = {"memory_limit": "2GB", "preserve_insertion_order": False}


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
    reads: tuple[tuple[str, tuple[str, ...]], ...] = ()  # facts' columns it reads ('-- reads:'), for rollups


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
    reads = next((rollups.parse_reads(line.split(":", 1)[1]) for line in header
                  if line.lower().startswith("reads:")), ())
    description = header[0] if header else name
    params = frozenset(_PARAM.findall(_COMMENT.sub("", sql)))
    return Query(name, sql, params, columns, description, reads)


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
    programme: programmes.Programme
    rollups: dict[str, int] = field(default_factory=dict)  # built rollups in use -> rows; empty: facts only

    @property
    def illustrative(self) -> bool:
        """True for the generated illustrative extract."""
        return bool(self.manifest.get("illustrative"))

    @property
    def label(self) -> str:
        """How the data is named on every page and export."""
        return self.manifest.get("label", "Extract")


def cache_dir() -> Path:
    """Where compiled database files are kept (IMPACT_CACHE_DIR, default a folder in the temp dir)."""
    chosen = os.environ.get("IMPACT_CACHE_DIR") or Path(tempfile.gettempdir()) / "impact-cache"
    path = Path(chosen)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _fingerprint(extract_dir: Path) -> str:
    """'<folder>-<content>': the second part changes whenever a Parquet file or the setup SQL changes."""
    folder = hashlib.sha256(str(extract_dir).encode()).hexdigest()[:12]
    digest = hashlib.sha256()
    for name in schema.TABLE_NAMES:
        path = extract_dir / f"{name}.parquet"
        if not path.is_file():
            digest.update(f"{name}:absent".encode())
            continue
        stat = path.stat()
        digest.update(f"{name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    definition = store.definition_file(extract_dir)
    digest.update(definition.read_bytes() if definition.is_file() else b"(inferred)")
    for setup in sorted((QUERY_DIR / "setup").glob("*.sql")):
        digest.update(setup.read_bytes())
    digest.update(Path(rollups.__file__).read_bytes())  # the rollups' declarations and how they are built
    return f"{folder}-{digest.hexdigest()[:20]}"


def _write_definition(conn: duckdb.DuckDBPyConnection, programme: programmes.Programme) -> None:
    """The definition's vocabularies and phases as tables, so queries can order values and read roles."""
    conn.execute("create table vocabulary (dimension varchar, value varchar, position integer, "
                 "description varchar, role varchar)")
    rows = [(name, t.value, n, t.description, t.role or None)
            for name, terms in programme.vocabularies.items() for n, t in enumerate(terms)]
    rows += [("phase", p.name, n, "", None) for n, p in enumerate(programme.phases)]
    conn.executemany("insert into vocabulary values (?, ?, ?, ?, ?)", rows)
    conn.execute("create table phases (name varchar, position integer, first_day date, last_day date)")
    conn.executemany("insert into phases values (?, ?, ?, ?)",
                     [(p.name, n, p.first_day, p.last_day) for n, p in enumerate(programme.phases)])


def _run_setup(conn: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Run one setup statement; one marked `-- per period of: <table>` once per period of that table, in order
    (`$period` bound; the first run creates the table, the others insert), so no step holds every row at once."""
    source = _PER_PERIOD.search(sql)
    if not source:
        conn.execute(sql)
        return
    # The table name comes from the setup file, never from a user.
    periods = [p for (p,) in conn.execute(f"select distinct period from {source.group(1)} order by period").fetchall()]  # noqa: S608
    insert = _CREATE_AS.sub(r"insert into \1", sql, count=1)
    for n, period in enumerate(periods or [None]):  # no rows: the first run still creates the (empty) table
        conn.execute(sql if n == 0 else insert, {"period": period})


def _build(extract_dir: Path, target: Path, programme: programmes.Programme) -> None:
    """Compile the extract into a compressed DuckDB file: tables, filtered-fact tables, macros."""
    partial = target.with_name(f"{target.name}.{os.getpid()}.{threading.get_ident()}.partial")
    partial.unlink(missing_ok=True)
    spill = partial.with_name(partial.name + ".tmp")
    conn = duckdb.connect(str(partial), config={**COMPILE_SETTINGS, "temp_directory": str(spill)})
    try:
        for spec in schema.TABLES:
            path = extract_dir / f"{spec.name}.parquet"
            if not path.is_file():  # an optional table the extract left out
                empty = schema.empty(spec.name)  # noqa: F841 (read by name below)
                conn.execute(f"create table {spec.name} as select * from empty")  # noqa: S608
                continue
            # Names come from the schema and the path from the server's configuration: no user text.
            conn.execute(f"create table {spec.name} as select * from read_parquet({_quote(str(path))})")  # noqa: S608
        _write_definition(conn, programme)
        for setup in sorted((QUERY_DIR / "setup").glob("*.sql")):
            _run_setup(conn, setup.read_text(encoding="utf-8"))
        rollups.build(conn)
        conn.execute("checkpoint")
    finally:
        conn.close()
        shutil.rmtree(spill, ignore_errors=True)
    os.replace(partial, target)  # readers only ever see a complete file


def open_database(extract_dir: str | Path, version: str = "") -> Database:
    """Open a read-only DuckDB on the extract in `extract_dir`, compiling it once per content.

    The Parquet files are copied once into a compressed DuckDB file in `cache_dir()` (with the
    facts joined to their project and country attributes, sorted by period, and the filter
    macros of `queries/setup/`, the rollups); every later open of the same files reuses it.
    Queries read the rollups unless the environment sets IMPACT_ROLLUPS=0.
    """
    extract_dir = Path(extract_dir).resolve()
    missing = [f"{name}.parquet" for name in schema.REQUIRED_TABLES if not (extract_dir / f"{name}.parquet").is_file()]
    if missing:
        raise FileNotFoundError(f"the extract in {extract_dir} is missing {', '.join(missing)}")
    programme = programmes.load_for(extract_dir)
    target = cache_dir() / f"extract-{_fingerprint(extract_dir)}.duckdb"
    if not target.is_file():
        _build(extract_dir, target, programme)
        folder = target.name.split("-")[1]
        for stale in cache_dir().glob(f"extract-{folder}-*.duckdb"):
            if stale != target:  # an older compile of the same folder (open readers keep their copy)
                stale.unlink(missing_ok=True)
    conn = duckdb.connect(str(target), read_only=True)
    manifest_path = extract_dir / "extract.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    in_use = rollups.sizes(conn) if os.environ.get("IMPACT_ROLLUPS", "1") != "0" else {}
    return Database(conn, extract_dir, version or manifest.get("version", extract_dir.name), manifest, programme,
                    in_use)


def open_active(data_dir: str | Path | None = None, programme: str | None = None) -> Database:
    """Open the active version of a programme in the data store (IMPACT_DATA_DIR by default)."""
    active = store.active(data_dir, programme)
    return open_database(active.path, active.version)


def _bound(query: Query, params: dict | None) -> dict:
    params = params or {}
    missing = query.params - params.keys()
    if missing:
        raise QueryError(f"query {query.name!r} needs parameters: {', '.join(sorted(missing))}")
    return {k: params[k] for k in query.params}


def sources(db: Database, name: str, params: dict | None = None) -> dict[str, str]:
    """The rollup the named query reads for each fact under these parameters (a fact left out: its facts)."""
    query = load_query(name)
    return rollups.choose(db.rollups, query.reads, _bound(query, params))


def run_query(db: Database, name: str, params: dict | None = None) -> pd.DataFrame:
    """Run the named query with bound parameters, from the smallest exact rollups; extra parameters are ignored."""
    query = load_query(name)
    bound = _bound(query, params)
    path = rollups.search_path(rollups.choose(db.rollups, query.reads, bound))
    cursor = db.connection.cursor()
    try:
        if path:  # schema names from rollups.ROLLUPS, never user text
            cursor.execute(f"set search_path = {_quote(path)}")
        return cursor.execute(query.sql, bound).df()
    finally:
        cursor.close()


def prepare(folder: str | Path, version: str) -> None:
    """Compile and open a new version once before it is made active: it must work, and readers find it ready."""
    database = open_database(folder, version)
    try:
        run_query(database, "filter_choices", {})
    finally:
        database.connection.close()
