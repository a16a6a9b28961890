"""`python -m impact publish`: the command's own options and what it prints (impact/cli.py registers it)."""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options only `publish` takes (the shared ones are added by impact/cli.py)."""
    parser.add_argument("--base-url", dest="base_url", default="", metavar="URL",
                        help="where the site will be served (e.g. https://example.org/impact): embed codes and oEmbed "
                             "files then give absolute addresses; default: relative ones, made absolute by the page")
    parser.add_argument("--no-svg", dest="svg", action="store_false",
                        help="skip the pre-rendered SVG of each chart (faster; without JavaScript a reader then sees "
                             "the numbers' tables only)")


def run(args: argparse.Namespace) -> int:
    """Build the site and say what was written."""
    from impact.publish import site

    def progress(what: str) -> None:
        print(f"publish: {what}", file=sys.stderr)

    built = site.build(args.out, data_dir=args.data_dir, programmes=args.programme, base_url=args.base_url,
                       svg=args.svg, progress=progress)
    print(f"wrote the public site of {', '.join(built.programmes)} to {built.out}: {built.pages:,} pages, "
          f"{built.charts} charts ({built.svgs} SVGs), {built.bytes / 1e6:.1f} MB, in {built.seconds:.1f} s; "
          f"{built.suppressed} small cells suppressed. Open {built.out / 'index.html'}")
    return 0
