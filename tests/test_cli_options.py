"""The command line's shared options are declared once (one name and alias, one dest, one help text) and
every command that reads the store takes them; a bug inside a command is not dressed up as bad input."""

from __future__ import annotations

import argparse
import inspect
import subprocess
import sys

import pytest

from impact import cli
from impact.model import metrics

STORE_COMMANDS = [
    ("import", "x"), ("import-iati", "x.xml"), ("export-extract", "--format", "csv", "--out", "o"),
    ("versions",), ("rollback", "v"), ("delete-version", "v"),
    ("export", "chart", "trainees_map", "--format", "png", "--out", "o"), ("export", "deck", "--out", "o.pptx"),
    ("export", "iati", "--out", "o.xml"),
    ("return", "template", "--project", "P", "--period", "2018Q3", "--out", "o.xlsx"), ("return", "import", "x"),
    ("programme", "list"), ("remind", "--send"), ("digest", "--out", "o"),
    ("audit",), ("accounts", "list"), ("accounts", "create", "a@example.org", "--project", "P"),
    ("accounts", "projects", "a@example.org"), ("accounts", "remove", "a@example.org"),
    ("accounts", "reset-password", "a@example.org"),
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
    return argv[:2] if argv[0] in ("export", "return", "programme", "accounts") else argv[:1]


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
            assert (programme.dest, programme.help, programme.metavar) in {
                ("programme", cli.PROGRAMME_HELP, "ID"), ("programme", cli.PROGRAMMES_HELP, "ID")}, path
    assert {_command_path(argv) for argv in STORE_COMMANDS} <= set(seen["--data-dir"])
    assert {("export", "chart"), ("export", "deck")} <= set(seen["--filter"])
    assert {("import",), ("import-iati",), ("return", "import")} <= set(seen["--show"])


def test_the_commands_never_spell_a_shared_option_themselves():
    source = inspect.getsource(cli)
    for flag in ('"--data-dir"', '"--data"', '"--filter"', '"--show"', '"--out"'):
        assert source.count(flag) == 1, flag  # only in its add_*_option function
    assert source.count('"--programme"') == 3  # the store's, several (publish), and generate's choice of generator


def test_help_lists_the_shared_options():
    for path in [("import",), ("export", "chart"), ("programme", "list"), ("return", "import")]:
        text = COMMANDS[path].format_help()
        assert "--data-dir DIR, --data DIR" in text and cli.DATA_DIR_HELP.split()[0] in text


# errors: bad input is one line and exit 2; a bug is "internal error", its traceback and exit 3

def _failing(error: BaseException):
    def run(args):
        raise error
    return run


@pytest.mark.parametrize("error", [KeyError("x"), AttributeError("'NoneType' object has no attribute 'x'"),
                                   TypeError("f() takes 1 positional argument"),
                                   FileNotFoundError(2, "No such file or directory", "/not/given/by/the/user.json"),
                                   PermissionError(13, "Permission denied")],
                         ids=lambda e: type(e).__name__)
def test_a_bug_inside_a_command_is_an_internal_error_with_its_traceback(monkeypatch, capsys, tmp_path, error):
    monkeypatch.setattr(cli, "_versions", _failing(error))
    code = cli.main(["versions", "--data-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == cli.INTERNAL_ERROR == 3
    assert not err.startswith("error:") and "error: 'x'" not in err
    assert "Traceback (most recent call last)" in err and "internal error" in err and type(error).__name__ in err


def test_a_keyerror_is_not_printed_as_bad_input(monkeypatch, capsys):
    monkeypatch.setattr(cli, "_dictionary", _failing(KeyError("x")))
    assert cli.main(["dictionary"]) != 2
    assert "error: 'x'" not in capsys.readouterr().err


@pytest.mark.parametrize("error", [ValueError("the two passwords differ"),
                                   metrics.UnknownName("unknown metric 'nope'; known: trainees")],
                         ids=lambda e: type(e).__name__)
def test_bad_input_is_one_line_and_exit_2(monkeypatch, capsys, tmp_path, error):
    monkeypatch.setattr(cli, "_versions", _failing(error))
    assert cli.main(["versions", "--data-dir", str(tmp_path)]) == cli.INPUT_ERROR == 2
    assert capsys.readouterr().err == f"error: {error.args[0]}\n"  # no quotes round a KeyError's message


def test_a_file_the_user_named_is_bad_input(capsys, tmp_path):
    missing = tmp_path / "no-such-folder" / "dictionary.md"
    assert cli.main(["dictionary", "--out", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and str(missing) in err and "Traceback" not in err
    assert cli.main(["programme", "check", str(tmp_path / "nope.json")]) == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_a_file_inside_the_store_the_user_named_is_bad_input(monkeypatch, capsys, tmp_path):
    inside = tmp_path / "hps" / "versions" / "v1"
    monkeypatch.setattr(cli, "_versions", _failing(FileNotFoundError(f"the extract in {inside} is missing projects")))
    assert cli.main(["versions", "--data", str(tmp_path)]) == 2
    monkeypatch.setattr(cli, "_versions", _failing(FileNotFoundError(2, "No such file", str(inside / "x.parquet"))))
    assert cli.main(["versions", "--data-dir", str(tmp_path)]) == 2
    monkeypatch.setenv("IMPACT_DATA_DIR", str(tmp_path))  # the store chosen by the environment is the user's too
    assert cli.main(["versions"]) == 2
    assert all(line.startswith("error: ") for line in capsys.readouterr().err.splitlines())


def test_an_unknown_chart_from_the_command_line_stays_a_one_line_error(capsys, tmp_path):
    assert cli.main(["export", "chart", "nope", "--format", "csv", "--out", str(tmp_path / "x.csv"),
                     "--data-dir", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("error: unknown chart 'nope'; known: ")


def test_python_m_impact_exits_3_with_the_traceback_on_a_bug():
    code = ("import sys; from impact import cli\n"
            "def boom(args): return {}['x']\n"
            "cli._dictionary = boom\n"
            "sys.exit(cli.main(['dictionary']))\n")
    run = subprocess.run([sys.executable, "-c", code], cwd=cli.Path(cli.__file__).parent.parent,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 3
    assert "Traceback" in run.stderr and "KeyError: 'x'" in run.stderr and "internal error" in run.stderr
