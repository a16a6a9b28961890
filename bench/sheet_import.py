"""Benchmark: a wide sheet imported through a mapping, beside a plain pandas read and melt of the same sheet.

    python bench/sheet_import.py [--rows 100000] [--scale 2] [--formats csv,xlsx]

Generates (once, cached in bench/out/) an illustrative extract at `--scale` as a store, then writes a wide sheet
of `--rows` rows as an M&E officer keeps one — project, country name (French), quarter ('Q3 2018'), cadre and
training type, a column per gender — as CSV and as Excel, and times each step of the import: reading the sheet
(`sheets.read`), proposing the mapping (`mapping.propose`), the preview (`reshape.import_sheet(dry_run=True)`:
mapped, checked, compared with the version in use) and the import itself (a new version, compiled for the app);
beside it, pandas reading the same file and melting the gender columns into rows (what a person would write by
hand, with no checks at all; an Excel file read by pandas' calamine engine and by its openpyxl one), and the ratio
of reading, proposing and previewing to the fastest plain pandas read and melt. Prints one table. This is a
measurement, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"


def _store(scale: int) -> Path:
    """A store holding the illustrative extract at `scale` (generated once)."""
    from impact.demo.generate import generate

    source = OUT / f"sheet-extract-{scale}"
    if not (source / "programme.json").exists():
        generate(source, scale=scale)
    return source


def _sheet_rows(source: Path, rows: int) -> tuple[list[str], list[list]]:
    """The wide sheet: one row per project, quarter, cadre and training type, a column per gender."""
    import random

    import pyarrow.parquet as pq

    from impact.model import calendar, country_names, iso3166
    from impact.model import programme as programmes

    definition = programmes.load(source)
    genders = [g for g in definition.values("gender")][:2]
    header = ["Projet", "Pays", "Trimestre", "Cadre", "Type de formation", *genders]
    rng = random.Random(42)
    out: list[list] = []
    for project in pq.read_table(source / "projects.parquet").to_pylist():
        name = country_names.NAMES.get(project["iso3"], (iso3166.ALPHA3.get(project["iso3"], project["iso3"]),))[0]
        for quarter in calendar.quarter_range(project["start_date"], project["end_date"]):
            year, number = calendar.quarter_label(quarter).split("Q")
            label = f"Q{number} {year}"  # as sheets write it: Q3 2018
            for cadre in definition.values("cadre"):
                for kind in definition.values("training_type"):
                    out.append([project["project_id"], name, label, cadre, kind,
                                *[rng.randint(0, 30) for _ in genders]])
                    if len(out) >= rows:
                        return header, out
    return header, out


def _write(header: list[str], rows: list[list], folder: Path, fmt: str) -> Path:
    path = folder / f"wide.{fmt}"
    if fmt == "csv":
        with open(path, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows(rows)
    else:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("Master")
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        book.save(path)
    return path


def _timed(step, *args, **kwargs):
    start = time.perf_counter()
    value = step(*args, **kwargs)
    return value, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--scale", type=int, default=2, help="the store's extract scale (rows to replace)")
    parser.add_argument("--formats", default="csv,xlsx")
    args = parser.parse_args(argv)

    import pandas as pd

    from impact.ingest import mapping, reshape, sheets
    from impact.query import db
    from impact.storage import store, transaction
    from tests.data_helpers import make_store

    source = _store(args.scale)
    header, rows = _sheet_rows(source, args.rows)
    work = OUT / "sheet-import"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    lines = [f"{len(rows):,} sheet rows x {len(header) - 5} wide columns; store: illustrative extract at scale "
             f"{args.scale}", "", f"{'format':<6} {'step':<32} {'seconds':>8}"]
    for fmt in args.formats.split(","):
        path = _write(header, rows, work, fmt)
        root = make_store(source, work / f"store-{fmt}")
        current = store.open_store(root).active()
        context = reshape.context_of(current.path, store.load_definition(current.path))
        found, read_s = _timed(sheets.read, path)
        proposal, propose_s = _timed(mapping.propose, found, context)
        preview, preview_s = _timed(reshape.import_sheet, path, proposal.recipe, location=root, dry_run=True,
                                    accept_proposed=True)
        transaction.prepared_by(db.prepare)  # as the app and the command line import: compiled before the switch
        done, import_s = _timed(reshape.import_sheet, path, proposal.recipe, location=root, accept_proposed=True,
                                confirm_removals=True)
        pandas_steps = []
        for engine in (("c",) if fmt == "csv" else ("calamine", "openpyxl")):
            if fmt == "csv":
                frame, pandas_read_s = _timed(pd.read_csv, path, engine=engine)
            else:
                frame, pandas_read_s = _timed(pd.read_excel, path, engine=engine)
            _, melt_s = _timed(frame.melt, id_vars=header[:5], value_vars=header[5:], var_name="gender",
                               value_name="trainees")
            pandas_steps += [(f"pandas read ({engine})", pandas_read_s), ("pandas melt", melt_s)]
        plain = sum(seconds for _, seconds in pandas_steps[:2])  # the fastest plain read: C, or calamine
        mapped = read_s + propose_s + preview_s + import_s
        status = "imported" if done.ok else done.report.summary()[:60]
        for step, seconds in (("read (sheets.read)", read_s), ("propose", propose_s),
                              ("preview (dry run)", preview_s), (f"import + compile ({status})", import_s),
                              ("mapping total", mapped), *pandas_steps):
            lines.append(f"{fmt:<6} {step:<32} {seconds:>8.2f}")
        ratio = (read_s + propose_s + preview_s) / plain
        lines.append(f"{fmt:<6} {'read+propose+preview / pandas':<32} {ratio:>7.0f}x")
        if not preview.report.ok:
            lines.append(f"       preview refused: {preview.report.summary()}")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
