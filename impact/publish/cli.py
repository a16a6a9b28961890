"""`python -m impact publish`: the command's own options and what it prints (impact/cli.py registers it)."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options only `publish` takes (the shared ones are added by impact/cli.py)."""
    parser.add_argument("--base-url", dest="base_url", default="", metavar="URL",
                        help="where the site will be served (e.g. https://example.org/impact): embed codes and oEmbed "
                             "files then give absolute addresses; default: relative ones, made absolute by the page")
    parser.add_argument("--to", dest="to", default="", metavar="s3://BUCKET/PREFIX",
                        help="also upload the site there (hashed assets cached for a year, pages for minutes; objects "
                             "the new site does not hold removed, old assets kept); endpoint and credentials as for "
                             "the data store (IMPACT_S3_ENDPOINT, AWS_ACCESS_KEY_ID, ...)")
    parser.add_argument("--lang", dest="lang", default=None, metavar="CODES",
                        help="the site's languages, e.g. en,fr: English at the root and each other in its folder "
                             "(fr/, pt/, es/); default: English and every language the programmes' definitions have "
                             "translations for")
    parser.add_argument("--no-svg", dest="svg", action="store_false",
                        help="skip the pre-rendered SVG of each chart (faster; without JavaScript a reader then sees "
                             "the numbers' tables only)")


def run(args: argparse.Namespace) -> int:
    """Build the site and say what was written."""
    from impact.publish import site, upload
    from impact.storage import remote

    if args.to and not remote.is_url(args.to):
        raise ValueError(f"--to {args.to[:60]!r}: give an s3://bucket/prefix address")
    if not args.out and not args.to:
        raise ValueError("give --out DIR (a folder for the site), --to s3://bucket/prefix, or both")
    if args.to:
        remote.parse(args.to)  # ValueError names a missing bucket before anything is built

    def progress(what: str) -> None:
        print(f"publish: {what}", file=sys.stderr)

    with tempfile.TemporaryDirectory(prefix="impact-site-") as scratch:
        out = args.out or str(Path(scratch) / "site")
        built = site.build(out, data_dir=args.data_dir, programmes=args.programme, base_url=args.base_url,
                           svg=args.svg, progress=progress, languages=args.lang)
        _report(built, args.out)
        if args.to:
            progress(f"uploading to {args.to}")
            done = upload.upload(built.out, args.to)
            print(f"uploaded {done.written} files to {done.url}; removed {done.removed} objects the new site does not "
                  f"hold, kept {done.kept_assets} old assets")
    return 0


def _report(built, out: str) -> None:
    """One line: what was built, its size and time, and where to open it."""
    where = f"to {built.out}" if out else "(to upload)"
    print(f"wrote the public site of {', '.join(built.programmes)} {where}: {built.pages:,} pages in "
          f"{', '.join(built.languages)}, {built.charts} charts ({built.svgs} SVGs), {built.bytes / 1e6:.1f} MB, "
          f"in {built.seconds:.1f} s; "
          f"{built.suppressed} small cells suppressed." + (f" Open {built.out / 'index.html'}" if out else ""))
