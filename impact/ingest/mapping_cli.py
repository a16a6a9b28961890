"""The command line of importing a sheet through a mapping (cli.py only registers it):

    python -m impact mapping propose FILE [--programme ID] --out RECIPE.json [--lang CODE]
    python -m impact mapping recipes [--programme ID] [--lang CODE]
    python -m impact mapping show NAME [--programme ID] [--out RECIPE.json] [--lang CODE]
    python -m impact import FILE --recipe RECIPE.json|NAME [--programme ID] [--accept-proposed]
                                 [--save-recipe NAME] [--dry-run] [--confirm-removals] [--lang CODE]

`propose` writes the proposed mapping as editable JSON (near matches marked as proposals to confirm) and prints
it column by column with the rows left out, the questions to answer and the values matching nothing. `import
--recipe` maps the file, prints the preview (the change against the version in use) and imports it as one
version; `--dry-run` writes nothing. `recipes` lists the recipes saved in the programme's version in use (they are
versioned with its definition: see impact.ingest.recipe) and `show` gives one as JSON to edit. `--lang` says what
they print (the problems, notices, headings and sentences) in French, Portuguese or Spanish; the sheet's own text, the
recipe's JSON, its keys and role names and the command lines printed stay as they are.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from impact.ingest import mapping, reshape, validate
from impact.ingest import recipe as recipes
from impact.ingest import sheets as sheet_files
from impact.model import i18n
from impact.model.i18n import gettext as _
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


def add_mapping_command(commands, add_store_options: Callable, add_out_option: Callable,
                        add_language_option: Callable | None = None) -> None:
    """`mapping propose FILE --out RECIPE.json`, `mapping recipes`, `mapping show NAME` (each with `--lang`)."""
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
    if add_language_option is not None:
        for command in (propose, listed, show):
            add_language_option(command, "what it prints: the sheet's problems, what is left out, the questions and "
                                         "the headings (the sheet's text and the recipe's JSON as they are)")


def _print_problems(report: validate.Report, limit: int) -> None:
    print(report.to_text(limit=limit))


def _table(frame: pd.DataFrame, rows: int | None = None) -> str:
    """A table for the terminal, headed in the reader's language (the product's column names as they are)."""
    shown = frame if rows is None else frame.head(rows)
    return shown.rename(columns=reshape.headings(frame)).to_string(index=False)


def _in_language(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """`run` with what it prints in the language `--lang` asks for (English without it)."""
    def in_language(args: argparse.Namespace) -> int:
        with i18n.using(getattr(args, "lang", None) or i18n.SOURCE):
            return run(args)
    in_language.__doc__ = run.__doc__
    return in_language


@_in_language
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
    words = i18n.active()
    with pd.option_context("display.width", 200, "display.max_colwidth", 60):
        for part in proposal.sheets:
            print(_("{sheet}: rows go to {table}; header on row {rows}; {count} data rows").format(
                sheet=part.sheet.shown, table=part.recipe.table, rows=", ".join(map(str, part.layout.header_rows)),
                count=words.number(len(part.layout.data))))
            print(_table(reshape.frame_of_proposal(part)))
            for notice in part.layout.notices:
                print("  " + _("left out: {notice}").format(notice=notice))
            if part.recipe.constants:
                print("  " + _("the same for every row (constants): {values}").format(
                    values=", ".join(f"{k} = {v}" for k, v in part.recipe.constants.items())))
            for question in part.questions:
                print("  " + _("to answer: {question}").format(question=question))
            for item in part.spanning:
                placed = (f"\"values\": {{\"period\": {{\"{item['text']}\": {{\"to\": \"{item['quarters'][-1]}\", "
                          f"\"match\": \"manual\"}}}}}}")
                print("  " + _("across quarters: {column} {text} ({count} row(s): {rows}) runs across {quarters}; it is "
                               "refused unless the recipe places it in one: {placed}").format(
                    column=item["column"], text=repr(item["text"]), count=words.number(item["count"]),
                    rows=", ".join(map(str, item["rows"][:10])), quarters=", ".join(item["quarters"]), placed=placed))
            for item in part.unmatched:
                print("  " + _("matches nothing: {column} {text} ({count} row(s): {rows})").format(
                    column=item["column"], text=repr(item["text"]), count=words.number(item["count"]),
                    rows=", ".join(map(str, item["rows"][:10]))))
    for sheet, column, text, to in proposal.recipe.proposed():
        print((_("to confirm: {column} {text} -> {to} (sheet {sheet})") if sheet else
               _("to confirm: {column} {text} -> {to}")).format(column=column, text=repr(text), to=repr(to),
                                                                sheet=sheet))
    command = (f"python -m impact import {args.path} --recipe {out}"
               + (" --accept-proposed" if proposal.recipe.proposed() else "") + " --dry-run")
    print(_("wrote {file}: edit it if need be, then: {command}").format(file=out, command=command))
    return 0


@_in_language
def run_recipes(args: argparse.Namespace) -> int:
    """`mapping recipes`: the recipes saved in the programme's version in use."""
    held = store.open_store(args.data_dir, args.programme)
    saved = recipes.saved(held)
    if not saved:
        print(_("no recipe is saved in version {version} of this programme").format(version=held.active().version))
        return 0
    frame = pd.DataFrame(recipes.listing(saved))
    with pd.option_context("display.width", 200, "display.max_colwidth", 80):
        print(frame.rename(columns={c: _(c) for c in recipes.LISTING}).to_string(index=False))
    print(_("(saved in version {version}; a rollback brings back the recipes of the version chosen)").format(
        version=held.active().version))
    return 0


@_in_language
def run_show(args: argparse.Namespace) -> int:
    """`mapping show NAME`: a saved recipe as JSON, printed or written to --out."""
    chosen = recipes.load(store.open_store(args.data_dir, args.programme), recipes.check_name(args.name))
    if args.out:
        store.atomic_write(Path(args.out), chosen.to_json())
        print(_("wrote {file}: edit it, then: {command}").format(
            file=args.out, command=f"python -m impact import FILE --recipe {args.out} --save-recipe {args.name}"))
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
        raise ValueError(_("{options} go with --recipe (importing a sheet through a mapping); an extract import "
                           "takes none of them").format(options=", ".join(given)))


def run_import(args: argparse.Namespace) -> int:
    """`import FILE --recipe ...`: map, preview and import (or only preview with --dry-run)."""
    result = reshape.import_sheet(args.path, _recipe(args.recipe), args.data_dir, programme=args.programme,
                                  accept_proposed=args.accept_proposed, confirm_removals=args.confirm_removals,
                                  dry_run=args.dry_run, save_as=args.save_recipe)
    if not result.report.ok:
        _print_problems(result.report, args.show)
        return 1
    words = i18n.active()
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        for notice in result.notices:
            print(_("left out: {notice}").format(notice=notice))
        print(_("{count} row(s) from the sheet; the first:").format(count=words.number(len(result.rows))))
        print(_table(result.rows, 20))
        print(_("change against the version in use:"))
        print(_table(result.changes))
        print(_table(result.totals))
        if result.removals is not None and len(result.removals):
            print(_("rows of the version in use the sheet removes ({count}):").format(
                count=words.number(len(result.removals))))
            print(_table(result.removals, 50))
    print(result.summary())
    if args.dry_run and args.save_recipe:
        print(_("the recipe is saved as {name} when the import is run without --dry-run").format(name=args.save_recipe))
    if result.saved is not None:
        print(_("recipe saved as {name} in version {version} ({path})").format(
            name=result.recipe.name, version=result.version, path=result.saved))
    return 0 if (result.ok or args.dry_run) else 1
