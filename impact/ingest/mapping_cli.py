"""The command line of importing a sheet through a mapping (cli.py only registers it):

    python -m impact mapping propose FILE [--programme ID] --out RECIPE.json
    python -m impact mapping recipes [--programme ID]
    python -m impact mapping show NAME [--programme ID] [--out RECIPE.json]
    python -m impact import FILE --recipe RECIPE.json|NAME [--programme ID] [--accept-proposed]
                                 [--save-recipe NAME] [--dry-run] [--confirm-removals]

`propose` writes the proposed mapping as editable JSON (near matches marked as proposals to confirm) and prints
it column by column with the rows left out, the questions to answer and the values matching nothing. `import
--recipe` maps the file, prints the preview (the change against the version in use) and imports it as one
version; `--dry-run` writes nothing. `recipes` lists the recipes saved in the programme's version in use (they are
versioned with its definition: see impact.ingest.recipe) and `show` gives one as JSON to edit.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from impact.ingest import mapping, reshape, validate
from impact.ingest import recipe as recipes
from impact.ingest import sheets as sheet_files
from impact.storage import store


def add_recipe_options(parser: argparse.ArgumentParser) -> None:
    """The `import` command's options for a sheet in its own shape."""
    parser.add_argument("--recipe", metavar="RECIPE.json|NAME", default=None,
                        help="import FILE (a CSV or Excel sheet in its own shape) through this recipe: a JSON file "
                             "(mapping propose writes one) or the name of a recipe saved in the programme")
    parser.add_argument("--accept-proposed", action="store_true",
                        help="with --recipe: take the near matches it proposes as confirmed")
    parser.add_argument("--save-recipe", metavar="NAME", default=None,
                        help="with --recipe: save the recipe in the programme under NAME (for 'Import with recipe')")
    parser.add_argument("--dry-run", action="store_true",
                        help="with --recipe: print the preview (rows, change against the version in use), write nothing")
    parser.add_argument("--confirm-removals", action="store_true",
                        help="with --recipe: allow the sheet to remove rows of the version in use for the project "
                             "quarters it holds")


def add_mapping_command(commands, add_store_options: Callable, add_out_option: Callable) -> None:
    """`mapping propose FILE --out RECIPE.json`."""
    group = commands.add_parser("mapping", help="map a spreadsheet in its own shape to the programme's tables")
    kinds = group.add_subparsers(dest="mapping_command", required=True, metavar="WHAT")
    propose = kinds.add_parser("propose", help="propose a mapping (a recipe to edit and confirm) for a CSV/Excel file")
    propose.add_argument("path", metavar="FILE", help="the CSV or Excel (.xlsx) file")
    add_store_options(propose)
    add_out_option(propose, "the recipe to write (JSON)", metavar="RECIPE.json")
    propose.set_defaults(run=run_propose)
    listed = kinds.add_parser("recipes", help="list the recipes saved in the programme (in its version in use)")
    add_store_options(listed)
    listed.set_defaults(run=run_recipes)
    show = kinds.add_parser("show", help="a saved recipe as JSON (edit it, then: import FILE --recipe RECIPE.json "
                                         "--save-recipe NAME)")
    show.add_argument("name", metavar="NAME", help="the recipe's name in the programme")
    add_store_options(show)
    add_out_option(show, "write it to this file instead of printing it", required=False, metavar="RECIPE.json")
    show.set_defaults(run=run_show)


def _print_problems(report: validate.Report, limit: int) -> None:
    print(report.to_text(limit=limit))


def run_propose(args: argparse.Namespace) -> int:
    """Write the proposed recipe and print what it proposes."""
    current = store.open_store(args.data_dir, args.programme).active()
    definition = store.load_definition(current.path)
    report = validate.Report()
    found = sheet_files.read(args.path, Path(args.path).name, report)
    if not report.ok:
        _print_problems(report, getattr(args, "show", 50))
        return 1
    proposal = mapping.propose(found, reshape.context_of(current.path, definition))
    out = Path(args.out)
    store.atomic_write(out, proposal.recipe.to_json())
    with pd.option_context("display.width", 200, "display.max_colwidth", 60):
        for part in proposal.sheets:
            print(f"{part.sheet.shown}: rows go to {part.recipe.table}; header on row "
                  f"{', '.join(map(str, part.layout.header_rows))}; {len(part.layout.data):,} data rows")
            print(reshape.frame_of_proposal(part).to_string(index=False))
            for notice in part.layout.notices:
                print(f"  left out: {notice}")
            if part.recipe.constants:
                print("  the same for every row (constants): "
                      + ", ".join(f"{k} = {v}" for k, v in part.recipe.constants.items()))
            for question in part.questions:
                print(f"  to answer: {question}")
            for item in part.spanning:
                print(f"  across quarters: {item['column']} {item['text']!r} ({item['count']} row(s): "
                      f"{', '.join(map(str, item['rows'][:10]))}) runs across {', '.join(item['quarters'])}; it is "
                      f"refused unless the recipe places it in one: \"values\": {{\"period\": {{\"{item['text']}\": "
                      f"{{\"to\": \"{item['quarters'][-1]}\", \"match\": \"manual\"}}}}}}")
            for item in part.unmatched:
                print(f"  matches nothing: {item['column']} {item['text']!r} ({item['count']} row(s): "
                      f"{', '.join(map(str, item['rows'][:10]))})")
    for sheet, column, text, to in proposal.recipe.proposed():
        print(f"to confirm: {column} {text!r} -> {to!r}" + (f" (sheet {sheet})" if sheet else ""))
    print(f"wrote {out}: edit it if need be, then: python -m impact import {args.path} --recipe {out}"
          + (" --accept-proposed" if proposal.recipe.proposed() else "") + " --dry-run")
    return 0


def run_recipes(args: argparse.Namespace) -> int:
    """`mapping recipes`: the recipes saved in the programme's version in use."""
    held = store.open_store(args.data_dir, args.programme)
    saved = recipes.saved(held)
    if not saved:
        print(f"no recipe is saved in version {held.active().version} of this programme")
        return 0
    with pd.option_context("display.width", 200, "display.max_colwidth", 80):
        print(pd.DataFrame(recipes.listing(saved)).to_string(index=False))
    print(f"(saved in version {held.active().version}; a rollback brings back the recipes of the version chosen)")
    return 0


def run_show(args: argparse.Namespace) -> int:
    """`mapping show NAME`: a saved recipe as JSON, printed or written to --out."""
    chosen = recipes.load(store.open_store(args.data_dir, args.programme), recipes.check_name(args.name))
    if args.out:
        store.atomic_write(Path(args.out), chosen.to_json())
        print(f"wrote {args.out}: edit it, then: python -m impact import FILE --recipe {args.out} "
              f"--save-recipe {args.name}")
    else:
        print(chosen.to_json(), end="")
    return 0


def _recipe(value: str) -> recipes.Recipe | str:
    """A recipe file, or the name of a recipe saved in the programme."""
    path = Path(value)
    if value.lower().endswith(".json") or path.is_file():
        return recipes.read_file(path)
    return recipes.check_name(value)


def refuse_without_recipe(args: argparse.Namespace) -> None:
    """ValueError when an option of `import --recipe` is given without --recipe (it would be ignored)."""
    given = [flag for flag, on in (("--accept-proposed", args.accept_proposed), ("--save-recipe", args.save_recipe),
                                   ("--dry-run", args.dry_run), ("--confirm-removals", args.confirm_removals)) if on]
    if given:
        raise ValueError(f"{', '.join(given)} go with --recipe (importing a sheet through a mapping); an extract "
                         "import takes none of them")


def run_import(args: argparse.Namespace) -> int:
    """`import FILE --recipe ...`: map, preview and import (or only preview with --dry-run)."""
    result = reshape.import_sheet(args.path, _recipe(args.recipe), args.data_dir, programme=args.programme,
                                  accept_proposed=args.accept_proposed, confirm_removals=args.confirm_removals,
                                  dry_run=args.dry_run, save_as=args.save_recipe)
    if not result.report.ok:
        _print_problems(result.report, args.show)
        return 1
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        for notice in result.notices:
            print(f"left out: {notice}")
        print(f"{len(result.rows):,} row(s) from the sheet; the first:")
        print(result.rows.head(20).to_string(index=False))
        print("change against the version in use:")
        print(result.changes.to_string(index=False))
        print(result.totals.to_string(index=False))
        if result.removals is not None and len(result.removals):
            print(f"rows of the version in use the sheet removes ({len(result.removals)}):")
            print(result.removals.head(50).to_string(index=False))
    print(result.summary())
    if args.dry_run and args.save_recipe:
        print(f"the recipe is saved as {args.save_recipe} when the import is run without --dry-run")
    if result.saved is not None:
        print(f"recipe saved as {result.recipe.name} in version {result.version} ({result.saved})")
    return 0 if (result.ok or args.dry_run) else 1
