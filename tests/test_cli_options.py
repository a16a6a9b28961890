"""The command line's shared options are declared once (one name and alias, one dest, one help text) and
every command that reads the store takes them; a bug inside a command is not dressed up as bad input."""

from __future__ import annotations

import argparse
import inspect

import pytest

from impact import cli

STORE_COMMANDS = [
    ("import", "x"), ("import-iati", "x.xml"), ("export-extract", "--format", "csv", "--out", "o"),
    ("versions",), ("rollback", "v"), ("delete-version", "v"),
    ("export", "chart", "trainees_map", "--format", "png", "--out", "o"), ("export", "deck", "--out", "o.pptx"),
    ("export", "iati", "--out", "o.xml"),
    ("return", "template", "--project", "P", "--period", "2018Q3", "--out", "o.xlsx"), ("return", "import", "x"),
    ("programme", "list"),
]
PROGRAMME_COMMANDS = [c for c in STORE_COMMANDS if c[:2] != ("programme", "list")]


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """Every leaf command's name path and parser."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield path, parser
    for sub in subs:
        for name, child in sub.choices.items():
            yield from _commands(child, (*path, name))


def _option(parser: argparse.ArgumentParser, flag: str) -> argparse.Action | None:
    return next((a for a in parser._actions if flag in a.option_strings), None)


def _command_path(argv: tuple[str, ...]) -> tuple[str, ...]:
    return argv[:2] if argv[0] in ("export", "return", "programme") else argv[:1]


COMMANDS = dict(_commands(cli.build_parser()))


@pytest.mark.parametrize("argv", STORE_COMMANDS, ids=" ".join)
@pytest.mark.parametrize("flag", ["--data-dir", "--data"])
def test_every_store_command_takes_data_dir_and_its_alias(argv, flag):
    args = cli.build_parser().parse_args([*argv, flag, "/some/store"])
    assert args.data_dir == "/some/store"
    assert cli.build_parser().parse_args(list(argv)).data_dir is None


@pytest.mark.parametrize("argv", PROGRAMME_COMMANDS, ids=" ".join)
def test_every_programme_command_takes_programme(argv):
    assert cli.build_parser().parse_args([*argv, "--programme", "pilot"]).programme == "pilot"


def test_shared_options_are_declared_once_with_one_dest_and_help():
    declared = {"--data-dir": (("--data-dir", "--data"), "data_dir", cli.DATA_DIR_HELP),
                "--filter": (("--filter",), "filter", cli.FILTER_HELP),
                "--show": (("--show",), "show", cli.SHOW_HELP)}
    seen = {flag: [] for flag in declared}
    for path, parser in COMMANDS.items():
        for flag, (strings, dest, help_text) in declared.items():
            action = _option(parser, flag)
            if action is not None:
                seen[flag].append(path)
                assert (tuple(action.option_strings), action.dest, action.help) == (strings, dest, help_text), path
        programme = _option(parser, "--programme")
        if programme is not None and path != ("generate",):  # generate's --programme names a built-in generator
            assert (programme.dest, programme.help, programme.metavar) == ("programme", cli.PROGRAMME_HELP, "ID")
    assert {_command_path(argv) for argv in STORE_COMMANDS} <= set(seen["--data-dir"])
    assert {("export", "chart"), ("export", "deck")} <= set(seen["--filter"])
    assert {("import",), ("import-iati",), ("return", "import")} <= set(seen["--show"])


def test_the_commands_never_spell_a_shared_option_themselves():
    source = inspect.getsource(cli)
    for flag in ('"--data-dir"', '"--data"', '"--filter"', '"--show"', '"--out"'):
        assert source.count(flag) == 1, flag  # only in its add_*_option function
    assert source.count('"--programme"') == 2  # the store's, and generate's choice of generator


def test_help_lists_the_shared_options():
    for path in [("import",), ("export", "chart"), ("programme", "list"), ("return", "import")]:
        text = COMMANDS[path].format_help()
        assert "--data-dir DIR, --data DIR" in text and cli.DATA_DIR_HELP.split()[0] in text
