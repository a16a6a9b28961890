"""Where a page run spends its time, on the script thread (not AppTest's polling), shipped extract.

    python bench/profile_pages.py [--runs 7] [--pages overview,workforce,...] [--top 25] [--filter] [--uncached]

For each page: one run to warm the caches (as a running server has them), then `runs` reruns with
nothing changed; with --filter, the reruns alternate the Country filter between all and Uganda (the
queries cached after the first pair); with --uncached, every rerun first forgets the cached queries, tables
and figures that depend on the filters (what a rerun with filters nobody chose before pays; what is cached once
per data version is kept, as on a running server). Prints the median milliseconds of Python per rerun, timed
around the script's own execution inside Streamlit's script thread, and with --top the functions
that took longest (cProfile, cumulative, over all reruns of the page). A measurement, not a test.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = ("overview", "workforce", "volunteering", "countries", "explore")


_RUNS: dict = {"profile": None, "times": []}


def _instrument() -> None:
    """Time (and profile) every execution of the script on the thread Streamlit runs it on."""
    from streamlit.runtime.scriptrunner import script_runner

    original = script_runner.exec_func_with_error_handling
    if getattr(original, "instrumented", False):
        return

    def timed(func, ctx):
        profile = _RUNS["profile"]
        start = time.perf_counter()
        if profile is not None:
            profile.enable()
        try:
            return original(func, ctx)
        finally:
            if profile is not None:
                profile.disable()
            _RUNS["times"].append((time.perf_counter() - start) * 1000)

    timed.instrumented = True
    script_runner.exec_func_with_error_handling = timed


def _forget() -> None:
    """Forget every cached query, table and figure that depends on the filters (not the open database, nor
    what is cached once per data version: the filters' choices, the programme's targets and tile notes)."""
    from impact.app import drawing, results_view, session

    for cached in (session.cached_query, session.cached_compute, session.cached_totals, drawing.cached_drawing,
                   results_view.cached_project_judged):
        cached.clear()


def page_times(page: str, runs: int, filter_change: bool, profile: cProfile.Profile | None,
               uncached: bool = False) -> list[float]:
    """Milliseconds of script per rerun of `page`, after a warm-up run."""
    from streamlit.testing.v1 import AppTest

    _instrument()
    _RUNS["profile"], times = None, _RUNS["times"]
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.run()
    if page != "overview":
        at.switch_page(f"pages/{page}.py")
        at.run()
    # a page without the shared filters (the Portfolio, across programmes) is rerun as it is
    filter_change = _RUNS["filter_changed"] = filter_change and any(m.key == "f_country"
                                                                    for m in at.sidebar.multiselect)
    if filter_change:  # cache both states' queries once
        for chosen in (["UGA"], []):
            next(m for m in at.sidebar.multiselect if m.key == "f_country").set_value(chosen).run()
    assert not at.exception, at.exception
    _RUNS["profile"] = profile
    per_run = []
    for i in range(runs):
        if filter_change:
            countries = next(m for m in at.sidebar.multiselect if m.key == "f_country")
            countries.set_value(["UGA"] if i % 2 == 0 else [])
        times.clear()
        if uncached:
            _forget()
        at.run()
        assert not at.exception, at.exception
        # AppTest forgets on every run that st.navigation was called, so each run first executes the page
        # alone and navigation.ensure_navigation reruns it (~2 ms); a server does that once. The last is the run.
        per_run.append(times[-1])
    _RUNS["profile"] = None
    return per_run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--pages", default=",".join(PAGES))
    parser.add_argument("--top", type=int, default=0, help="print the N slowest functions per page")
    parser.add_argument("--filter", action="store_true", help="reruns change the Country filter")
    parser.add_argument("--uncached", action="store_true", help="every rerun first forgets the cached results")
    args = parser.parse_args()
    os.environ.setdefault("IMPACT_DATA_DIR", str(ROOT / "data"))
    os.chdir(ROOT)
    for page in args.pages.split(","):
        profile = cProfile.Profile() if args.top else None
        times = page_times(page, args.runs, args.filter, profile, args.uncached)
        print(f"{page:<14} median {statistics.median(times):7.1f} ms  min {min(times):7.1f} ms  "
              f"({len(times)} reruns{', filter changes' if _RUNS.get('filter_changed') else ''}"
              f"{', uncached' if args.uncached else ''})", flush=True)
        if profile is not None:
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.top)
            print(out.getvalue())


if __name__ == "__main__":
    main()
