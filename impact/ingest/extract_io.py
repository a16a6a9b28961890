"""Moving whole extracts in and out: import (read, validate, write a version, switch) and export-extract.

`import_extract` is the one import path used by the command line and the Data page: it reads
a folder, .zip or single table file, validates everything against the schema and the tables
in use, and only when there is no problem writes a new immutable version and switches to it
(`impact.storage.transaction`, the import transaction every import shares).
`export_extract` writes the active version in exactly the shape the importer accepts (CSV,
Excel or Parquet); spreadsheet cells that could run as formulas are neutralised, and the
importer undoes that, so export followed by import gives the same data.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from impact.ingest import readers, validate
from impact.ingest import recipe as recipes
from impact.model import cells, i18n, schema
from impact.model import programme as programmes
from impact.model.i18n import gettext as _
from impact.storage import store, transaction

FORMATS = ("csv", "xlsx", "parquet")
EXCEL_MAX_ROWS = 1_048_575  # data rows below the header in one worksheet


@dataclass
class ImportResult:
    """What an import did: its report, the new version (None when refused), the tables replaced and the programme
    it went into."""

    report: validate.Report
    version: str | None = None
    previous: str = ""
    replaced: list[str] = field(default_factory=list)
    programme: str = ""

    @property
    def ok(self) -> bool:
        """True when a new version was written and made active."""
        return self.version is not None


def import_extract(source: str | Path, location: str | Path | None = None, who: str | None = None,
                   display: str | None = None, limits: readers.Limits = readers.LIMITS,
                   programme: str | None = None, new_programme: bool = False,
                   origin: Path | None = None) -> ImportResult:
    """Validate the tables (and programme definition) in `source` and, if there is no problem, make them
    the new active version of their programme.

    `location` is the data directory (`store.data_location`). The programme is `programme`, else the one the
    source's `programme.json` names, else the data directory's first. A programme not yet in the store is
    created (its extract must hold every table and its definition); with `new_programme` the programme must not
    exist yet. The new version is prepared before the switch (see `transaction.prepared_by`). `origin` is the file the tables in `source` were built from (an IATI file):
    the version's manifest records it first among its sources and names it in its label.
    """

    source = Path(source)
    report = validate.Report()
    with tempfile.TemporaryDirectory(prefix="impact-import-") as work:
        found = readers.collect(source, Path(work), report, limits, display)
        definitions = [item for item in found if item.table == readers.DEFINITION_TABLE]
        recipe_files = [item for item in found if item.table == readers.RECIPES_TABLE]
        files = [item for item in found if item.table not in (readers.DEFINITION_TABLE, readers.RECIPES_TABLE)]
        new_definition = _read_definition(definitions[0], report) if definitions else None
        new_recipes = _read_recipes(recipe_files[0], report) if recipe_files else None
        if not found and report.ok:
            report.add(display or source.name, None, "", "", "no-tables",
                       _("No table files were found. Expected files named {tables} with the extension .csv, .xlsx or "
                         ".parquet, and the programme's {definition}.").format(tables=", ".join(schema.TABLE_NAMES),
                                                                              definition=programmes.FILE))
        raws = [raw for item in files if (raw := readers.read(item, report, limits)) is not None]
        sources = [transaction.source(item.name, item.path, item.table) for item in found]
        if source.is_file():
            sources.insert(0, transaction.source(display or source.name, source))
        if origin is not None:
            sources.insert(0, transaction.source(display or origin.name, origin))
        target = programme or (new_definition.id if new_definition else None) or store.default_programme(location)
        where = definitions[0].name if definitions else programmes.FILE
        if target is None:
            report.add(display or source.name, None, "", "", "no-programme",
                       _("The data store is empty: the extract needs its programme's {definition}.").format(
                           definition=programmes.FILE))
            return ImportResult(report)
        try:
            into = store.open_store(location, target, create=True)
        except store.StoreError as error:
            report.add(where, None, "id", str(target), "bad-programme", str(error))
            return ImportResult(report)
        with transaction.begin(into, provisional=True) as txn:  # a refused new programme leaves no folder behind
            current = txn.current
            exists = current is not None
            result = ImportResult(report, previous=txn.previous, replaced=sorted(r.table for r in raws), programme=target)
            if new_definition is not None and new_definition.id != target:
                report.add(where, None, "id", new_definition.id, "other-programme",
                           _("This definition is for the programme '{given}', but the import is into '{target}'; "
                             "import it with --programme {given}, or correct the id.").format(
                               given=new_definition.id, target=target))
            for name, recipe in (new_recipes or {}).items():
                if recipe.programme and recipe.programme != target:
                    report.add(recipe_files[0].name, None, f"recipes.{name}.programme", recipe.programme,
                               "other-programme", _("The recipe '{name}' maps into the programme '{given}', but the "
                                                    "import is into '{target}'.").format(
                                   name=name, given=recipe.programme, target=target))
            if exists and new_programme:
                report.add(where, None, "id", target, "programme-exists",
                           _("There is already a programme '{target}'; choose another id for a new programme, or "
                             "import into the existing one.").format(target=target))
            if not exists:
                imported_names = {r.table for r in raws} | {f.table for f in files}
                missing = [name for name in schema.REQUIRED_TABLES if name not in imported_names]
                if new_definition is None:
                    report.add(where, None, "", "", "no-definition",
                               _("'{target}' is a new programme: its extract needs the programme's {definition} "
                                 "(python -m impact programme template writes one to fill in).").format(
                                   target=target, definition=programmes.FILE))
                if missing:
                    report.add(display or source.name, None, "", "", "missing-tables",
                               _("'{target}' is a new programme: its first extract needs every table; missing: "
                                 "{tables}.").format(target=target, tables=", ".join(missing)))
            if not files and new_definition is None and new_recipes is None:
                return result
            if not report.ok:
                return result
            for raw in raws:  # an empty table (nothing reported yet) never wipes out rows in use
                if current is not None and not len(raw.rows) and raw.table in store.table_files(current.path):
                    in_use_rows = store.read_table(current.path, raw.table).num_rows
                    if in_use_rows:
                        report.add(raw.file, None, "", "", "no-rows",
                                   _("The file has no rows, and the data in use has {count} rows of {table}: "
                                     "importing it would remove them all. Leave the file out to keep them (tables "
                                     "left out are kept), or give it its rows.").format(
                                       count=i18n.active().number(in_use_rows), table=raw.table))
            if not report.ok:
                return result
            current_definition = store.load_definition(current.path) if current else None
            definition = new_definition or current_definition
            imported = {r.table for r in raws} | {f.table for f in files}
            in_use = store.table_files(current.path) if current else {}
            tables_in_use = {name: (store.read_table(current.path, name), f"{name} in version {current.version} (in use)")
                             for name in in_use if name not in imported}
            changed = new_definition is not None and new_definition != current_definition
            typed = validate.validate(raws, tables_in_use, report, definition, definition_changed=changed)
            if not report.ok:
                return result
            every_table = set(typed) >= set(schema.REQUIRED_TABLES)
            kept = recipes.dumps_set(new_recipes) if new_recipes is not None else None  # None: the version in use's
            what = sorted(typed) + ([programmes.FILE] if changed else []) \
                + ([store.RECIPES] if kept is not None and kept != txn.recipes_in_use() else [])
            label = ("Imported extract" if every_table or not current else
                     f"{txn.parent.get('label', current.version)}, with {', '.join(what)} imported"
                     + (f" from {display or origin.name}" if origin is not None else ""))
            tables = {name: typed.get(name, in_use.get(name)) for name in schema.TABLE_NAMES}
            result.version = txn.commit(
                tables=tables, definition=definition, recipes=kept, who=who, label=label,
                illustrative=bool(txn.parent.get("illustrative")) and not every_table,
                replaced_tables=sorted(typed), definition_changed=changed, sources=sources)
            return result


def _read_recipes(item, report: validate.Report) -> dict | None:
    """The programme's saved recipes in an import (`recipes.json`), or None (each problem reported with its place)."""
    try:
        return recipes.loads_set(item.path.read_text(encoding="utf-8"), item.name)
    except recipes.RecipeError as error:
        for problem in error.problems:
            where, _sep, message = problem.partition(": ") if problem.startswith("recipes.") else ("", "", problem)
            report.add(item.name, None, where, "", "bad-recipe", f"{message or problem}.")
    except (OSError, UnicodeDecodeError) as error:
        report.add(item.name, None, "", "", "bad-recipe", _("The recipes cannot be read: {error}.").format(error=error))
    return None


def _read_definition(item, report: validate.Report):
    """The programme definition in an import, or None (its problems reported with file and field)."""
    try:
        return programmes.read(item.path)
    except programmes.DefinitionError as error:
        for where, message in error.problems:
            report.add(item.name, None, where, "", "bad-definition", f"{where}: {message}.")
    except OSError as error:
        report.add(item.name, None, "", "", "bad-definition", _("The definition cannot be read: {error}.").format(error=error))
    return None


# ---- export -------------------------------------------------------------------------------

def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return cells.neutralise(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _write_csv(table, path: Path) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)  # Excel's dialect: comma, double quotes, CRLF
        writer.writerow(table.column_names)
        for batch in table.to_batches(max_chunksize=50_000):
            columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
            writer.writerows([_text(v) for v in row] for row in zip(*columns, strict=True))


def _write_xlsx(table, path: Path, name: str) -> None:
    from openpyxl import Workbook

    if table.num_rows > EXCEL_MAX_ROWS:
        raise ValueError(f"{name} has {table.num_rows:,} rows, more than an Excel sheet holds; "
                         "export as csv or parquet")
    book = Workbook(write_only=True)
    sheet = book.create_sheet(name)
    sheet.append(table.column_names)
    for batch in table.to_batches(max_chunksize=50_000):
        columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
        for row in zip(*columns, strict=True):
            # Neutralised text never starts with "=", so openpyxl stores it as text, not a formula;
            # dates get openpyxl's yyyy-mm-dd format.
            sheet.append([cells.neutralise(v) if isinstance(v, str) else v for v in row])
    book.save(path)


def export_extract(fmt: str, out: str | Path, programme_store: store.Store) -> list[Path]:
    """Write the active version's tables and programme definition to `out` as csv, xlsx or parquet
    files (and `programme.json`, and `recipes.json` when the programme has saved recipes) that import accepts."""
    import pyarrow.parquet as pq

    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    current = programme_store.active()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    clashes = [p.name for name in schema.TABLE_NAMES for ext in FORMATS if ext != fmt
               for p in [out / f"{name}.{ext}"] if p.exists()]
    if clashes:
        raise ValueError(f"{out} already holds {', '.join(clashes)}; export to an empty folder")
    written = []
    for name in schema.TABLE_NAMES:
        table = store.read_table(current.path, name)
        target = out / f"{name}.{fmt}"
        if fmt == "parquet":
            pq.write_table(table, target, compression="zstd")
        elif fmt == "csv":
            _write_csv(table, target)
        else:
            _write_xlsx(table, target, name)
        written.append(target)
    definition = store.load_definition(current.path)
    written.append(definition.write(out))
    saved = recipes.of_version(current.path)
    if saved:  # importing the extract restores them
        store.atomic_write(out / store.RECIPES, recipes.dumps_set(saved))
        written.append(out / store.RECIPES)
    manifest = store.read_manifest(current.path)
    note = {"exported_from": current.version, "programme": definition.id, "label": manifest.get("label", current.version),
            "illustrative": bool(manifest.get("illustrative")), "format": fmt,
            "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")}
    (out / "extract.json").write_text(json.dumps(note, indent=2) + "\n", encoding="utf-8")
    return written


def preview(table: str, programme_store: store.Store, rows: int = 200):
    """The first `rows` rows of `table` in the active version, as a DataFrame (read straight from Parquet)."""
    import pyarrow.parquet as pq

    if table not in schema.TABLE_NAMES:
        raise ValueError(f"not a table: {table[:40]!r}")
    path = store.table_files(programme_store.active().path)[table]
    if not path.is_file():
        return schema.empty(table).to_pandas()
    batch = next(pq.ParquetFile(path).iter_batches(batch_size=max(1, min(rows, 10_000))), None)
    if batch is None:
        return pq.read_schema(path).empty_table().to_pandas()
    return batch.to_pandas()


def save_uploads(files: list[tuple[str, bytes]], folder: Path, report: validate.Report) -> Path | None:
    """Write uploaded (name, bytes) files into `folder`; return what to import (the zip, or the folder)."""
    import re

    safe = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _().-]{0,100}$")
    zips = [name for name, _ in files if name.lower().endswith(".zip")]
    if len(zips) > 1 or (zips and len(files) > 1):
        report.add(", ".join(n for n, _ in files)[:80], None, "", "", "unknown-file",
                   "Upload either one .zip or several table files, not both.")
        return None
    for name, data in files:
        base = Path(name.replace("\\", "/")).name
        if not safe.fullmatch(name) or base != name:
            report.add(name[:80], None, "", name, "unknown-file",
                       "The file name has characters a table file never has; name it after its table.")
            continue
        (folder / base).write_bytes(data)
    if not report.ok:
        return None
    return folder / zips[0] if zips else folder


def versions_frame(versions: list[store.VersionInfo]):
    """The versions as a table for people: id, in use, when, who, what was imported, rows, checksum (headings and
    words in the active language)."""
    import pandas as pd

    rows = []
    for v in versions:
        m = v.manifest
        sources = ", ".join(s.get("name", "") for s in m.get("sources", []))
        counts = m.get("rows", {})
        rows.append({
            _("version"): v.version,
            _("in use"): _("yes") if v.active else "",
            _("imported"): m.get("created_at", "") or _("shipped with the dashboard"),
            _("by"): m.get("created_by", ""),
            _("label"): m.get("label", ""),
            _("source files"): sources,
            _("tables replaced"): ", ".join(m.get("replaced_tables", [])),
            _("rows"): sum(counts.values()) if counts else None,
            _("checksum"): (m.get("checksum") or "")[:16],
        })
    return pd.DataFrame(rows).astype({_("rows"): "Int64"})


def changes(version: str, programme_store: store.Store):
    """Rows per table in `version` against the version it replaced (from the manifests)."""
    import pandas as pd

    manifest = store.read_manifest(programme_store.version_path(version))
    parent = manifest.get("parent")
    before = store.read_manifest(programme_store.version_path(parent)).get("rows", {}) if parent else {}
    after = manifest.get("rows", {})
    replaced = set(manifest.get("replaced_tables", []))
    return pd.DataFrame(
        [{"table": name, "imported": "yes" if name in replaced else "", "rows before": before.get(name),
          "rows now": after.get(name)} for name in schema.TABLE_NAMES]
    ).astype({"rows before": "Int64", "rows now": "Int64"})
