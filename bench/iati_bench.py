"""IATI import benchmark: an N-activity file (default 10,000, built like tests/iati_fixtures.py's) parsed with lxml
alone (iterparse, each activity freed), then imported by `import-iati` (checked against the schema per activity,
mapped, one new version) into a throwaway store — side by side, median seconds and peak MB (this process).

Run alone: `python bench/iati_bench.py [--activities 10000] [--repeat 3]` (the issue's bar: within a minute and
1 GB of memory for 10,000 activities). The lxml run goes first, so the import's peak includes what it left.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build(path: Path, activities: int) -> int:
    """Write an IATI 2.03 file of `activities` activities (the fixture's four kinds in turn); its size in bytes."""
    from lxml import etree

    from tests import iati_fixtures as fx

    with open(path, "wb") as out:
        out.write(b'<?xml version="1.0" encoding="UTF-8"?>\n<iati-activities version="2.03">\n')
        for n in range(activities):
            spec = dataclasses.replace(fx.ACTIVITIES[1 + n % 4], identifier=f"{fx.PUBLISHER}-{n:06d}", hierarchy=None)
            out.write(etree.tostring(fx.activity(spec), pretty_print=True))
        out.write(b"</iati-activities>\n")
    return path.stat().st_size


def lxml_alone(path: Path) -> int:
    """The activities of the file, counted by lxml's iterparse alone (the floor any import stands on)."""
    from lxml import etree

    count = 0
    for _, element in etree.iterparse(str(path), tag="iati-activity", resolve_entities=False, no_network=True):
        count += 1
        element.clear()
        while element.getprevious() is not None:
            del element.getparent()[0]
    return count


def imported(path: Path, work: Path) -> int:
    """The file imported into a fresh store (the fixture programme): the activities imported."""
    from impact.interchange import iati
    from tests import iati_fixtures as fx

    folder = work / "store"
    shutil.rmtree(folder, ignore_errors=True)
    done = iati.import_iati(path, accept_valid=True, location=fx.make_iati_store(folder))
    if not done.ok:
        raise SystemExit(done.report.to_text())
    return done.counts()[iati.IMPORTED]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--activities", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median reported)")
    args = parser.parse_args()
    from bench.export_bench import measure

    with tempfile.TemporaryDirectory(prefix="impact-iati-bench-") as tmp:
        work = Path(tmp)
        path = work / "activities.xml"
        size = build(path, args.activities)
        print(f"{args.activities:,} activities, {size / 2**20:.1f} MB")
        rows = [measure("lxml iterparse alone", lambda: lxml_alone(path), args.repeat),
                measure("import-iati (schema per activity, mapping, one version)", lambda: imported(path, work),
                        args.repeat)]
    print(f"{'step':<58} {'median s':>9} {'peak MB':>8}")
    for name, seconds, peak in rows:
        print(f"{name:<58} {seconds:>9.2f} {peak:>8.0f}")


if __name__ == "__main__":
    main()
