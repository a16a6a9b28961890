"""Export benchmark: warm PNG export of every catalogued chart, and building the default deck.

`rows()` returns (name, median seconds, peak MB) rows for `bench/run.py` to print in its table.
Peak MB is the largest resident memory seen while the step ran, summed over this process and
its Kaleido Chromium processes (shared pages are counted in each, so it is an upper bound).
Run alone: `python bench/export_bench.py`.
"""

from __future__ import annotations

import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent


class _PeakMemory:
    """Samples the resident memory of this process and its children every 10 ms."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        me = psutil.Process()
        total = me.memory_info().rss
        for child in me.children(recursive=True):
            try:
                total += child.memory_info().rss
            except psutil.Error:
                pass
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(0.01)

    def __enter__(self) -> _PeakMemory:
        self.peak = self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._sample())


def measure(name: str, step: Callable[[], object], repeat: int) -> tuple[str, float, float]:
    """Run `step` `repeat` times: (name, median seconds, peak MB)."""
    times = []
    with _PeakMemory() as memory:
        for _ in range(repeat):
            start = time.perf_counter()
            step()
            times.append(time.perf_counter() - start)
    return name, statistics.median(times), memory.peak / 2**20


def rows(data_dir: str | Path | None = None, repeat: int = 5) -> list[tuple[str, float, float]]:
    """Warm PNG export per chart, then the default deck as PowerPoint and as PDF."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from impact.charts import catalog, deck, deck_writers, export
    from impact.model import metrics
    from impact.query import db
    from impact.query.filters import Filters
    from impact.storage import store

    database = db.open_active(store.open_store(data_dir))
    metrics.activate(database.programme)
    choices = export.filter_choices(database)
    filters = Filters()
    provenance = export.Provenance.of(database, filters.describe(choices))
    specs = {cid: catalog.chart(cid) for cid in catalog.standalone()}  # families at their default options
    frames = {cid: export.chart_data(database, spec, filters, choices) for cid, spec in specs.items()}
    first = next(iter(specs.values()))
    export.chart_bytes(first, frames[first.id], provenance, "png")  # start the browser: timings below are warm

    out = []
    for chart_id, spec in specs.items():
        out.append(measure(f"export PNG 1920x1080 (warm): {chart_id}", lambda spec=spec, cid=chart_id: export.chart_bytes(
            spec, frames[cid], provenance, "png"), repeat))

    shipped = deck.default_deck()

    def build(fmt: str) -> bytes:
        slides = deck.prepare(shipped, lambda spec, opts: export.chart_data(database, spec, filters, choices, opts))
        return deck_writers.build(shipped, slides, provenance, fmt)

    count = len(shipped.slides) + 1
    out.append(measure(f"default deck as PowerPoint ({count} slides)", lambda: build("pptx"), max(1, repeat // 2)))
    out.append(measure(f"default deck as PDF ({count} pages)", lambda: build("pdf"), max(1, repeat // 2)))
    return out


def main() -> None:
    """Print the rows as a table."""
    table = rows()
    width = max(len(r[0]) for r in table)
    print(f"{'step':<{width}}  {'median s':>9}  {'peak MB':>8}")
    for name, seconds, peak in table:
        print(f"{name:<{width}}  {seconds:>9.3f}  {peak:>8.0f}")


if __name__ == "__main__":
    main()
