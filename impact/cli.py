"""The command line: `python -m impact <command>`.

Each command is a small function taking parsed arguments and returning an exit
code; errors are printed as one clear line on stderr with a non-zero exit.
"""

from __future__ import annotations

import argparse
import sys


def _generate(args: argparse.Namespace) -> int:
    from impact.generate import generate

    counts = generate(args.out, scale=args.scale, seed=args.seed)
    width = max(len(name) for name in counts)
    for name, rows in counts.items():
        print(f"{name:<{width}}  {rows:>12,} rows")
    print(f"wrote {len(counts)} tables to {args.out}")
    return 0


def _dictionary(args: argparse.Namespace) -> int:
    from impact.dictionary import markdown

    text = markdown()
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text)
        print(f"wrote {args.out}")
    else:
        print(text, end="")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="python -m impact", description="Partnership Impact Dashboard tools.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    gen = commands.add_parser("generate", help="write the illustrative, calibrated extract as Parquet")
    gen.add_argument("--out", required=True, help="folder to write the Parquet files to")
    gen.add_argument("--scale", type=int, default=1, help="N times the projects and results (default 1)")
    gen.add_argument("--seed", type=int, default=2011, help="random seed (default 2011, the shipped extract)")
    gen.set_defaults(run=_generate)

    dictionary = commands.add_parser("dictionary", help="print the data dictionary (Markdown)")
    dictionary.add_argument("--out", help="write it to this file instead of printing it")
    dictionary.set_defaults(run=_dictionary)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse `argv` and run the chosen command; return its exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, KeyError, FileNotFoundError, OSError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"error: {message}", file=sys.stderr)
        return 2
