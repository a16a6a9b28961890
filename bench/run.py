"""Benchmark: the dashboard on a 10-million-row extract, DuckDB over Parquet vs pandas in memory.

    python bench/run.py [--scale 520] [--repeat 7] [--skip-export] [--skip-browser] [--browser-only]
                        [--rollups-only] [--pages-only] [--load [10,25,50,100]] [--load-duration 60]

Generates (once, cached in bench/out/) an extract whose training table has about ten million
rows, then times each Overview query, a whole Overview rerun and three explorer views with the
app's DuckDB layer; the same figures computed with pandas on the data loaded in memory; every
page run in Streamlit's AppTest (shipped extract and 10M rows); chart and deck exports; and what a person
waits for in Chromium (bench/browser_timing.py) on the dashboard and on bench/floor_app.py, a plain
Streamlit page of the Overview's charts, served side by side and measured in turns, with the ratio;
with --load, last, many live sessions at once on one server (bench/load.py).
Rollups against facts, side by side in one process (`worker_rollups`): every query each page runs (recorded
from an AppTest run of the page at 10M rows) timed through the compiled rollups and with them off (the facts,
as IMPACT_ROLLUPS=0 would), with the ratio; then every page run in AppTest, queries uncached, both ways.
--rollups-only prints just that comparison; --pages-only every page of the app run in AppTest with queries
uncached, through the rollups (`worker_pages`). `--scale 5200` gives about 100 million training rows.
Generating (once, in its own process: seconds and peak memory, kept beside the extract and printed with it) and
compiling (`worker_compile`, in its own process: seconds and peak memory) are reported apart from querying.
pandas loads every table in memory: at a scale whose estimated peak (from the largest smaller scale measured,
in proportion to its rows) is over --pandas-limit-mb it is skipped, and the estimate printed.
Each approach runs in its own process so its peak memory is its own.
Prints one table. This is a measurement, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OVERVIEW_QUERIES = ("headline_totals", "indicator_totals", "trainees_by_year", "trainees_by_country",
                    "trainees_by_theme")
EXPLORATION_PAGES = ("countries", "partnerships", "workforce", "volunteering", "explore", "portfolio", "results")
# Explorer views (chart id "explore" with these options): a split, a comparison, projects over time.
EXPLORER_VIEWS = {
    "trainees by cadre x gender": {"by": "cadre", "split": "gender"},
    "trainees by theme, phases compared": {"by": "theme", "cmp": "phase"},
    "projects per quarter": {"metric": "projects", "by": "time", "grain": "quarter"},
}


def _filter_sets():
    from impact.query.filters import Filters

    return {
        "all data": Filters(),
        "one country": Filters(country=("UGA",)),
        "theme + women + 2014-2016": Filters(theme=("Mental health",), gender=("Female",),
                                             period_from=dt.date(2014, 1, 1), period_to=dt.date(2016, 10, 1)),
    }


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def worker_duckdb(extract: Path, repeat: int) -> list[dict]:
    """The app's data layer: views over Parquet, named queries with bound parameters."""
    from impact.model import metrics
    from impact.query import db

    rows = []
    start = time.perf_counter()  # compiled by worker_compile, in its own process
    database = db.open_database(extract)
    rows.append({"step": "open database (compiled)", "ms": (time.perf_counter() - start) * 1000})
    metrics.activate(database.programme)  # its indicators are metrics, as in a page run
    for label, filters in _filter_sets().items():
        params = filters.params()
        for name in OVERVIEW_QUERIES:
            rows.append({"step": f"{name} [{label}]",
                         "ms": _median_ms(lambda n=name, p=params: db.run_query(database, n, p), repeat)})
        rows.append({"step": f"Overview, all {len(OVERVIEW_QUERIES)} queries [{label}]",
                     "ms": _median_ms(lambda p=params: [db.run_query(database, n, p) for n in OVERVIEW_QUERIES],
                                      repeat)})
    from impact.charts import catalog

    for label, filters in _filter_sets().items():
        for view, options in EXPLORER_VIEWS.items():
            spec = catalog.chart("explore", options)
            params = spec.query_params(filters.params())
            rows.append({"step": f"explorer: {view} [{label}]",
                         "ms": _median_ms(lambda s=spec, p=params: s.rows(db.run_query(database, s.query, p)),
                                          repeat)})
    return rows


def worker_compile(extract: Path, repeat: int) -> list[dict]:
    """Compile the extract into the DuckDB cache from scratch, once (the other workers open the result)."""
    from impact.query import db

    folder = db.fingerprint(extract.resolve()).split("-")[0]
    for stale in db.cache_dir().glob(f"extract-{folder}-*.duckdb"):  # this extract's compiles only
        stale.unlink()
    start = time.perf_counter()
    database = db.open_database(extract)
    rows = [{"step": "compile Parquet into DuckDB cache (once per version)", "ms": (time.perf_counter() - start) * 1000}]
    size = sum(f.stat().st_size for f in db.cache_dir().glob(f"extract-{folder}-*.duckdb"))
    rows.append({"step": f"compiled file: {size / 1e6:,.0f} MB, {sum(database.rollups.values()):,} rollup rows",
                 "ms": 0.0})
    database.connection.close()
    return rows


def worker_generate(extract: Path, repeat: int) -> list[dict]:
    """Generate the extract at the scale named in the folder (scale-N), once."""
    from impact.demo.generate import generate

    start = time.perf_counter()
    counts = generate(extract, scale=int(extract.name.split("-")[1]))
    return [{"step": "generate", "ms": (time.perf_counter() - start) * 1000, "counts": counts}]


def _pandas_overview(t, p, c, v, o, pp, inst, filters):
    """The Overview's figures with pandas, mirroring the SQL (filters, joins, group-bys)."""
    import pandas as pd

    first = pd.Timestamp(filters.period_from or dt.date(1990, 1, 1))
    last = pd.Timestamp(filters.period_to or dt.date(2100, 1, 1))
    proj = p.merge(c[["iso3", "region", "name"]], on="iso3")

    def keep_projects(frame):
        mask = pd.Series(True, index=frame.index)
        for column, chosen in (("phase", filters.phase), ("region", filters.region), ("iso3", filters.country),
                               ("theme", filters.theme), ("grant_type", filters.grant_type)):
            if chosen:
                mask &= frame[column].isin(chosen)
        return frame[mask]

    fact = t.merge(proj[["project_id", "theme", "grant_type", "phase"]], on="project_id")
    fact = fact.merge(c[["iso3", "region", "name"]], on="iso3")
    fact = keep_projects(fact)
    fact = fact[(fact["period"] >= first) & (fact["period"] <= last)]
    if filters.cadre:
        fact = fact[fact["cadre"].isin(filters.cadre)]
    if filters.gender:
        fact = fact[fact["gender"].isin(filters.gender)]
    totals = {
        "trainees": fact["trainees"].sum(),
        "women": fact.loc[fact["gender"] == "Female", "trainees"].sum(),
        "countries": fact.loc[fact["trainees"] > 0, "iso3"].nunique(),
    }
    projects = keep_projects(proj)
    projects = projects[(projects["start_date"] < last + pd.DateOffset(months=3)) & (projects["end_date"] >= first)]
    totals["projects"] = len(projects)
    partners = pp[pp["project_id"].isin(projects["project_id"])].merge(inst, on="institution_id")
    totals["institutions"] = partners["institution_id"].nunique()
    vol = keep_projects(v.merge(proj[["project_id", "theme", "grant_type", "phase", "region"]], on="project_id"))
    vol = vol[(vol["period"] >= first) & (vol["period"] <= last)]
    totals["days"] = vol.groupby("location")["volunteer_days"].sum()
    out = keep_projects(o.merge(proj[["project_id", "theme", "grant_type", "phase", "region"]], on="project_id"))
    out = out[(out["period"] >= first) & (out["period"] <= last)]
    totals["outcomes"] = out.groupby("indicator")["value"].sum()
    by_year = fact.groupby(fact["period"].dt.year)["trainees"].sum().cumsum()
    by_country = fact.groupby(["iso3", "name", "region"])["trainees"].sum().sort_values(ascending=False)
    by_theme = fact.groupby("theme")["trainees"].sum().sort_values(ascending=False)
    return totals, by_year, by_country, by_theme


def _pandas_cadre_by_gender(t, p, c, filters):
    """The explorer's 'trainees by cadre x gender' with pandas: join, filter, group, pivot."""
    import pandas as pd

    first = pd.Timestamp(filters.period_from or dt.date(1990, 1, 1))
    last = pd.Timestamp(filters.period_to or dt.date(2100, 1, 1))
    fact = t.merge(p[["project_id", "theme", "grant_type", "phase"]], on="project_id").merge(
        c[["iso3", "region"]], on="iso3")
    mask = (fact["period"] >= first) & (fact["period"] <= last)
    for column, chosen in (("phase", filters.phase), ("region", filters.region), ("iso3", filters.country),
                           ("theme", filters.theme), ("grant_type", filters.grant_type), ("cadre", filters.cadre),
                           ("gender", filters.gender)):
        if chosen:
            mask &= fact[column].isin(chosen)
    return fact[mask].pivot_table(index="cadre", columns="gender", values="trainees", aggfunc="sum", fill_value=0)


def worker_pandas(extract: Path, repeat: int) -> list[dict]:
    """The obvious alternative: load every table into pandas, compute in memory."""
    import pandas as pd

    rows = []
    start = time.perf_counter()
    tables = {name: pd.read_parquet(extract / f"{name}.parquet") for name in
              ("training", "projects", "countries", "volunteering", "outcomes", "project_partners", "institutions")}
    for name in ("training", "volunteering", "outcomes"):
        tables[name]["period"] = pd.to_datetime(tables[name]["period"])
    for column in ("start_date", "end_date"):
        tables["projects"][column] = pd.to_datetime(tables["projects"][column])
    rows.append({"step": "load all tables into memory", "ms": (time.perf_counter() - start) * 1000})
    args = [tables[n] for n in ("training", "projects", "countries", "volunteering", "outcomes",
                                "project_partners", "institutions")]
    for label, filters in _filter_sets().items():
        rows.append({"step": f"Overview, all figures [{label}]",
                     "ms": _median_ms(lambda f=filters: _pandas_overview(*args, f), repeat)})
        rows.append({"step": f"explorer: trainees by cadre x gender [{label}]",
                     "ms": _median_ms(lambda f=filters: _pandas_cadre_by_gender(*args[:3], f), repeat)})
    return rows


def worker_apptest(extract: Path, repeat: int) -> list[dict]:
    """The Overview page as Streamlit runs it (AppTest), with query caches cleared or warm."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["IMPACT_DATA_DIR"] = str(extract)

    def page_run(query: dict | None = None, cold: bool = True, page: str | None = None):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
        for key, values in (query or {}).items():
            at.query_params[key] = values
        if page:  # the sidebar's run first, then the page with queries uncached: what a switch costs
            at.run()
            at.switch_page(page)
        if cold:
            st.cache_data.clear()
        at.run()
        assert not at.exception, at.exception

    page_run()  # open the connection once (cache_resource), as a running server has
    os.environ["IMPACT_DATA_DIR"] = str(ROOT / "data")
    page_run()
    shipped = [
        {"step": "Overview page run, queries uncached [shipped extract, all data]", "ms": _median_ms(page_run, repeat)},
        {"step": "Overview page run, queries uncached [shipped extract, one country]",
         "ms": _median_ms(lambda: page_run({"country": ["UGA"]}), repeat)},
    ]
    for page in EXPLORATION_PAGES:
        shipped.append({"step": f"{page} page run, queries uncached [shipped extract, all data]",
                        "ms": _median_ms(lambda p=page: page_run(page=f"pages/{p}.py"), repeat)})
    os.environ["IMPACT_DATA_DIR"] = str(extract)
    rows = shipped + [
        {"step": "Overview page run, queries uncached [all data]", "ms": _median_ms(page_run, repeat)},
        {"step": "Overview page run, queries uncached [one country]",
         "ms": _median_ms(lambda: page_run({"country": ["UGA"]}), repeat)},
        {"step": "Overview page run, queries cached [all data]",
         "ms": _median_ms(lambda: page_run(cold=False), repeat)},
    ]
    for page in EXPLORATION_PAGES:
        rows.append({"step": f"{page} page run, queries uncached [one country]",
                     "ms": _median_ms(lambda p=page: page_run({"country": ["UGA"]}, page=f"pages/{p}.py"), repeat)})
    return rows


ROLLUP_PAGES = ("overview", *EXPLORATION_PAGES)


def _session(query: dict | None, before=None, pages: tuple[str, ...] | None = None,
             failed: dict | None = None) -> dict[str, float]:
    """One AppTest session visiting every page of `pages` (ROLLUP_PAGES) in turn: the milliseconds of each page's
    run with its queries uncached (`before(page)` is called just before it starts). With `failed`, a page that
    raises (out of memory under the worker's limit) is recorded there instead of stopping the session."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    for key, values in (query or {}).items():
        at.query_params[key] = values
    at.run()  # the sidebar and the Overview once, as a session starts
    out = {}
    for page in pages or ROLLUP_PAGES:
        st.cache_data.clear()
        if before:
            before(page)
        start = time.perf_counter()
        if page != "overview":
            at.switch_page(f"pages/{page}.py")
        at.run()
        out[page] = (time.perf_counter() - start) * 1000
        if failed is not None and at.exception:
            failed[page] = " ".join(str(at.exception[0].message).split())[:90]
            del out[page]
            continue
        assert not at.exception, at.exception
    return out


def worker_rollups(extract: Path, repeat: int) -> list[dict]:
    """Each page's queries through the rollups and through the facts, in the same process and run."""
    import dataclasses

    import streamlit as st

    from impact.query import db

    os.environ["IMPACT_DATA_DIR"] = str(extract)
    os.environ.pop("IMPACT_ROLLUPS", None)
    real = db.run_query
    rows = []
    for label, query in (("all data", None), ("one country", {"country": ["UGA"]})):
        calls: dict[str, list] = {}
        current = []

        def recording(database, name, params=None, current=current):
            if current:  # the session's first run is not recorded
                current[-1].append((database, name, dict(params or {})))
            return real(database, name, params)

        def start(page, current=current, calls=calls):
            current.append(calls.setdefault(page, []))

        db.run_query = recording
        try:
            _session(query, before=start)
        finally:
            db.run_query = real
        for page, page_calls in calls.items():
            timed = []
            for database, name, params in page_calls:
                chosen = db.sources(database, name, params)
                if chosen:
                    on = _median_ms(lambda d=database, n=name, p=params: real(d, n, p), repeat)
                    facts = dataclasses.replace(database, rollups={})
                    off = _median_ms(lambda d=facts, n=name, p=params: real(d, n, p), repeat)
                else:  # no rollup read: the same statement both ways, timed once
                    on = off = _median_ms(lambda d=database, n=name, p=params: real(d, n, p), 1)
                timed.append((name, "+".join(chosen.values()) or "facts", on, off))
            rows.append({"step": f"{page}: its {len(page_calls)} queries [{label}]",
                         "rollups_ms": sum(t[2] for t in timed), "facts_ms": sum(t[3] for t in timed),
                         "reads": ", ".join(sorted({f"{t[0]}:{t[1]}" for t in timed}))})
            _progress(rows[-1])
            if page == "overview":  # its queries one by one
                for name, _, on, off in timed:
                    rows.append({"step": f"  {name} [{label}]", "reads": "", "rollups_ms": on, "facts_ms": off})
                    _progress(rows[-1])
    for scope, query in (("all data", None), ("one country", {"country": ["UGA"]})):
        runs: dict[str, dict[str, list[float]]] = {"rollups": {}, "facts": {}}
        for _ in range(max(1, repeat // 2)):
            for label, switch in (("rollups", "1"), ("facts", "0")):  # in turns: the same moment of a noisy machine
                os.environ["IMPACT_ROLLUPS"] = switch
                st.cache_resource.clear()  # reopen the database with rollups on or off
                for page, ms in _session(query).items():
                    runs[label].setdefault(page, []).append(ms)
        for page in ROLLUP_PAGES:
            rows.append({"step": f"{page} page run in AppTest, queries uncached [{scope}]", "reads": "",
                         "rollups_ms": statistics.median(runs["rollups"][page]),
                         "facts_ms": statistics.median(runs["facts"][page])})
            _progress(rows[-1])
    os.environ.pop("IMPACT_ROLLUPS", None)
    return rows


ALL_PAGES = (*ROLLUP_PAGES, "results", "present", "data")


def worker_pages(extract: Path, repeat: int) -> list[dict]:
    """Every page of the app run in AppTest with its queries uncached, through the rollups: medians of `repeat`
    sessions, all data and one country."""
    os.environ["IMPACT_DATA_DIR"] = str(extract)
    os.environ.pop("IMPACT_ROLLUPS", None)
    pages = tuple(os.environ.get("BENCH_PAGES", ",".join(ALL_PAGES)).split(","))
    limit = float(os.environ.get("BENCH_MEMORY_LIMIT_MB", "0"))
    if limit:  # a page that needs more fails with out of memory instead of taking the machine's
        resource.setrlimit(resource.RLIMIT_AS, (int(limit * 2**20), int(limit * 2**20)))
    rows = []
    for scope, query in (("all data", None), ("one country", {"country": ["UGA"]})):
        runs: dict[str, list[float]] = {}
        failed: dict[str, str] = {}
        for _ in range(repeat):
            for page, ms in _session(query, pages=pages, failed=failed).items():
                runs.setdefault(page, []).append(ms)
                print(f"pages: {page} [{scope}]: {ms:,.0f} ms", file=sys.stderr, flush=True)
        rows += [{"step": f"{page} page run in AppTest, queries uncached [{scope}]",
                  "ms": statistics.median(times), "max_ms": max(times)} for page, times in runs.items()]
        rows += [{"step": f"{page} page FAILED [{scope}]: {why}", "ms": float("nan"), "max_ms": float("nan")}
                 for page, why in failed.items()]
    return rows


def _progress(row: dict) -> None:
    print(f"rollups: {row['step']}: {row['rollups_ms']:.1f} ms, facts {row['facts_ms']:.1f} ms", file=sys.stderr,
          flush=True)


def _pages_against(ref: str, extract: Path, repeat: int) -> tuple[dict, dict]:
    """Every page's median run time on this checkout and on commit `ref` (checked out into a temporary worktree),
    the two measured in alternate rounds, so that a busy machine slows both alike. Each runs on the extract its
    own generator writes at the same scale (the same seeds, so the same rows): an older checkout may refuse a
    definition that has gained fields since."""
    import tempfile

    other = Path(tempfile.mkdtemp(prefix="bench-against-")) / "tree"
    subprocess.run(["git", "worktree", "add", "--detach", str(other), ref], cwd=ROOT, check=True,
                   capture_output=True)
    try:
        theirs = other / "bench" / "out" / extract.name
        counts = _spawn("generate", theirs, 1, other)[0][0]["counts"]
        print(f"{ref}: its own extract at {extract.name}, {counts.get('training', 0):,} training rows")
        extracts = {"this": extract, ref: theirs}
        times: dict[str, dict[str, list[float]]] = {"this": {}, ref: {}}
        rounds = max(1, repeat // 2)
        for _ in range(rounds):
            for name, root in (("this", ROOT), (ref, other)):
                rows, _peak = _spawn("pages", extracts[name], max(1, repeat // rounds), root)
                for r in rows:
                    if "FAILED" in r["step"]:
                        raise SystemExit(f"{name}: {r['step']}")
                    times[name].setdefault(r["step"], []).append(r["ms"])
        return ({k: statistics.median(v) for k, v in times["this"].items()},
                {k: statistics.median(v) for k, v in times[ref].items()})
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(other)], cwd=ROOT, check=False,
                       capture_output=True)


def _print_against(ref: str, ours: dict[str, float], theirs: dict[str, float]) -> None:
    print(f"\nEvery page in AppTest, queries uncached: this checkout against {ref} (same extract, alternate rounds)")
    width = max(len(step) for step in ours)
    print(f"{'step':<{width}}  {'this ms':>9}  {ref[:12]:>12}  {'ratio':>6}")
    for step, ms in ours.items():
        before = theirs.get(step, float("nan"))
        print(f"{step:<{width}}  {ms:>9,.1f}  {before:>12,.1f}  {ms / before:>6.2f}")


def _print_pages(rows: list[dict], peak: float) -> None:
    print(f"\nEvery page in AppTest, queries uncached, rollups on (peak RSS {peak:,.0f} MB)")
    width = max(len(r["step"]) for r in rows)
    print(f"{'step':<{width}}  {'median ms':>10}  {'max ms':>9}")
    for r in rows:
        print(f"{r['step']:<{width}}  {r['ms']:>10,.1f}  {r['max_ms']:>9,.1f}")


def _print_rollups(rows: list[dict], peak: float) -> None:
    print(f"\nRollups vs facts (same process, same run; ratio = facts / rollups; peak RSS {peak:,.0f} MB)")
    width = max(len(r["step"]) for r in rows)
    print(f"{'step':<{width}}  {'rollups ms':>10}  {'facts ms':>9}  {'ratio':>6}")
    for r in rows:
        print(f"{r['step']:<{width}}  {r['rollups_ms']:>10,.1f}  {r['facts_ms']:>9,.1f}  "
              f"{r['facts_ms'] / r['rollups_ms']:>6.1f}")
    print("\nWhat each page's queries read (query:rollups, or facts)")
    for r in rows:
        if r["reads"]:
            print(f"  {r['step']}: {r['reads']}")


WORKERS = {"duckdb": worker_duckdb, "pandas": worker_pandas, "apptest": worker_apptest, "rollups": worker_rollups,
           "compile": worker_compile, "generate": worker_generate, "pages": worker_pages}
BROWSER_STEPS = ("load_to_4_charts_s", "filter_to_tile_s", "filter_to_idle_s", "page_switch_to_idle_s")


def _serve(script: Path, *args: str) -> tuple[subprocess.Popen, str]:
    """`streamlit run script` on a free port (cwd: the project, so static/ and .streamlit/ apply)."""
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true", "--server.port",
         str(port), *(["--", *args] if args else [])],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "IMPACT_DATA_DIR": str(ROOT / "data")},
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}_stcore/health", timeout=2).status == 200:
                return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"{script.name} did not start")


def browser_rows(runs: int) -> list[tuple[str, str, float | None, float | None]]:
    """The dashboard and the floor page in Chromium, in turns: (step, app s, floor s, ratio) medians."""
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT / "bench"))
    import browser_timing

    app, app_url = _serve(ROOT / "app.py")
    floor, floor_url = _serve(ROOT / "bench" / "floor_app.py", str(ROOT / "data"))
    results: dict[str, list[dict]] = {"app": [], "floor": []}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=browser_timing.ARGS)
            for url in (app_url, floor_url):
                browser_timing.run(browser, url)  # a first visit warms the server's caches and connection
            for _ in range(runs):
                for name, url in (("app", app_url), ("floor", floor_url)):
                    results[name].append(browser_timing.run(browser, url))
            browser.close()
    finally:
        for proc in (app, floor):
            proc.terminate()
            proc.wait(timeout=10)
    rows = []
    for step in BROWSER_STEPS:
        mine = [r[step] for r in results["app"] if r.get(step) is not None]
        theirs = [r[step] for r in results["floor"] if r.get(step) is not None]
        ratios = [a / b for a, b in zip(mine, theirs) if b]  # run by run: the same moment of a noisy machine
        rows.append((step, statistics.median(mine) if mine else None, statistics.median(theirs) if theirs else None,
                     statistics.median(ratios) if ratios else None))
    return rows


def _print_browser(rows) -> None:
    print("\nIn Chromium (shipped extract; median of the runs; ratio = app / floor page, run by run)")
    print(f"{'step':<24}  {'dashboard s':>11}  {'floor page s':>12}  {'ratio':>6}")
    for step, mine, theirs, ratio in rows:
        show = lambda v, f: "—" if v is None else format(v, f)  # noqa: E731
        print(f"{step:<24}  {show(mine, '11.2f')}  {show(theirs, '12.2f')}  {show(ratio, '6.2f')}")


def server_like_env() -> dict[str, str]:
    """The environment of a worker process: AppTest compiles each script once, as a server does
    (bench/server_like/sitecustomize.py), whichever checkout the worker runs."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "bench" / "server_like"), env.get("PYTHONPATH")) if p)
    env["BENCH_STREAMLIT_COMPAT"] = str(ROOT / "impact" / "app" / "streamlit_compat.py")
    return env


def _spawn(kind: str, extract: Path, repeat: int, root: Path = ROOT) -> tuple[list[dict], float]:
    """Run a worker in its own process, on the code in `root` (this checkout, or another commit's: --against)."""
    result = subprocess.run(
        [sys.executable, str(root / "bench" / "run.py"), "--worker", kind, "--extract", str(extract),
         "--repeat", str(repeat)],
        capture_output=True, text=True, check=False, cwd=root, env=server_like_env(),
    )
    if result.returncode != 0:
        raise SystemExit(f"{kind} worker failed:\n{result.stderr[-3000:]}")
    payload = json.loads(result.stdout.strip().splitlines()[-1])
    return payload["rows"], payload["peak_mb"]


GENERATED = "generated.json"  # beside a benchmark extract: how long generating it took and its peak memory


def _extract(scale: int) -> tuple[Path, dict, dict | None, bool]:
    """The benchmark extract at this scale (generated once, in its own process), its rows, how generating it
    went ({seconds, peak_mb}, None if not recorded) and whether it was cached."""
    from impact.demo.generate import hps_definition

    out = ROOT / "bench" / "out" / f"scale-{scale}"
    manifest = out / "extract.json"
    record = out / GENERATED
    if manifest.is_file():
        if not (out / "programme.json").is_file():  # generated before extracts carried their definition
            hps_definition().write(out)
        generated = json.loads(record.read_text()) if record.is_file() else None
        return out, json.loads(manifest.read_text())["rows"], generated, True
    rows, peak = _spawn("generate", out, 1)
    generated = {"seconds": rows[0]["ms"] / 1000, "peak_mb": peak}
    record.write_text(json.dumps(generated) + "\n")
    return out, rows[0]["counts"], generated, False


PANDAS_RECORD = "pandas.json"  # beside a benchmark extract: the pandas worker's peak memory there


def _pandas_estimate(scale: int, rows: int) -> tuple[float, int] | None:
    """pandas' peak memory at this scale, estimated from the largest smaller scale it ran at (in proportion
    to training rows): (MB, the scale measured), or None with no measurement."""
    measured = []
    for record in (ROOT / "bench" / "out").glob(f"scale-*/{PANDAS_RECORD}"):
        other = int(record.parent.name.split("-")[1])
        if other < scale:
            measured.append((other, json.loads(record.read_text())))
    if not measured:
        return None
    other, run = max(measured, key=lambda m: m[0])
    return run["peak_mb"] * rows / run["training_rows"], other


COMPILED = "compiled.json"  # beside a benchmark extract: its last compile's fingerprint, seconds and peak memory


def _compile(extract: Path, repeat: int, again: bool) -> list[tuple]:
    """The compile in its own process: seconds and peak memory, apart from every query. A compile of the same
    content (same fingerprint) still in the cache is reused with its recorded figures unless `again`."""
    from impact.query import db

    fingerprint = db.fingerprint(extract.resolve())
    record = extract / COMPILED
    known = json.loads(record.read_text()) if record.is_file() else {}
    cached = (not again and known.get("fingerprint") == fingerprint
              and (db.cache_dir() / f"extract-{fingerprint}.duckdb").is_file())
    if not cached:
        rows, peak = _spawn("compile", extract, repeat)
        known = {"fingerprint": fingerprint, "ms": rows[0]["ms"], "peak_mb": peak, "file": rows[1]["step"]}
        record.write_text(json.dumps(known) + "\n")
    print(f"Compile (own process): {known['ms'] / 1000:,.1f} s, peak RSS {known['peak_mb']:,.0f} MB; {known['file']}"
          + (" (cached: --recompile to measure again)" if cached else ""))
    return [("DuckDB compile", "compile Parquet into DuckDB cache (once per version)", known["ms"], known["peak_mb"])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=520, help="extract scale (520 gives ~10M training rows)")
    parser.add_argument("--repeat", type=int, default=7, help="runs per measurement (median reported)")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--extract", help=argparse.SUPPRESS)
    parser.add_argument("--skip-export", action="store_true", help="leave out the export timings")
    parser.add_argument("--skip-browser", action="store_true", help="leave out the timings in Chromium")
    parser.add_argument("--browser-only", action="store_true", help="only the timings in Chromium")
    parser.add_argument("--rollups-only", action="store_true",
                        help="only the rollups-vs-facts comparison at 10M rows (each page's queries and page runs)")
    parser.add_argument("--recompile", action="store_true",
                        help="compile again even if this extract's compile is cached (its figures are recorded)")
    parser.add_argument("--pages-only", action="store_true",
                        help="only every page run in AppTest, queries uncached, through the rollups")
    parser.add_argument("--pages", default=",".join(ALL_PAGES), help="--pages-only: which pages (comma-separated)")
    parser.add_argument("--against", metavar="REF",
                        help="--pages-only: also run every page on git commit REF (e.g. the previous landing) and "
                             "print the two side by side with the ratio")
    parser.add_argument("--memory-limit-mb", type=float, default=8000,
                        help="--pages-only: the worker's address-space limit; a page needing more fails (0: none)")
    parser.add_argument("--pandas-limit-mb", type=float, default=6000,
                        help="skip pandas where its estimated peak memory is above this (default 6000)")
    parser.add_argument("--browser-runs", type=int, default=5, help="runs of each page in Chromium (default 5)")
    parser.add_argument("--load", nargs="?", const="10,25,50,100", metavar="SESSIONS",
                        help="last, the load test (bench/load.py --serve) with these session counts "
                             "(default 10,25,50,100); on its own: python bench/load.py")
    parser.add_argument("--load-duration", type=float, default=60, help="seconds per load-test step (default 60)")
    args = parser.parse_args()

    if args.worker:
        rows = WORKERS[args.worker](Path(args.extract), args.repeat)
        print(json.dumps({"rows": rows, "peak_mb": _peak_mb()}))
        return

    if args.browser_only:
        _print_browser(browser_rows(args.browser_runs))
        _load_test(args)
        return
    extract, counts, generated, cached = _extract(args.scale)
    size_mb = sum(f.stat().st_size for f in extract.glob("*.parquet")) / 1e6
    how = (f"generated in {generated['seconds']:,.0f} s, peak RSS {generated['peak_mb']:,.0f} MB (own process)"
           if generated else "generation not recorded") + (" (cached)" if cached else "")
    print(f"Extract: scale {args.scale}, {counts['training']:,} training rows, {counts['volunteering']:,} "
          f"volunteering rows, {counts['outcomes']:,} outcome rows, {size_mb:,.0f} MB of Parquet; {how}")
    print(f"Machine: {os.cpu_count()} cores; median of {args.repeat} runs per line\n")

    table = _compile(extract, args.repeat, args.recompile)
    if args.rollups_only:
        _print_rollups(*_spawn("rollups", extract, args.repeat))
        return
    if args.pages_only:
        os.environ["BENCH_PAGES"] = args.pages
        os.environ["BENCH_MEMORY_LIMIT_MB"] = str(args.memory_limit_mb)
        if args.against:
            _print_against(args.against, *_pages_against(args.against, extract, args.repeat))
            return
        rows, peak = _spawn("pages", extract, args.repeat)
        _print_pages(rows, peak)
        return
    for kind, label in (("duckdb", "DuckDB (app)"), ("pandas", "pandas in memory"),
                        ("apptest", "Streamlit page (AppTest)")):
        if kind == "pandas":
            estimate = _pandas_estimate(args.scale, counts["training"])
            if estimate and estimate[0] > args.pandas_limit_mb:
                table.append((label, f"skipped: estimated peak {estimate[0]:,.0f} MB (from scale {estimate[1]}) "
                                     f"is over --pandas-limit-mb {args.pandas_limit_mb:,.0f}", float("nan"), estimate[0]))
                continue
        rows, peak = _spawn(kind, extract, args.repeat if kind != "apptest" else max(3, args.repeat // 2))
        table += [(label, r["step"], r["ms"], peak) for r in rows]
        if kind == "pandas":
            (extract / PANDAS_RECORD).write_text(json.dumps({"peak_mb": peak, "training_rows": counts["training"]}))
    if not args.skip_export:
        try:
            from bench import export_bench
        except ImportError:
            export_bench = None
        if export_bench is not None:
            for name, seconds, peak in export_bench.rows():
                table.append(("Export (shipped extract)", name, seconds * 1000, peak))

    width = max(len(step) for _, step, _, _ in table)
    approach_width = max(len(a) for a, _, _, _ in table)
    header = f"{'approach':<{approach_width}}  {'step':<{width}}  {'median ms':>10}  {'peak RSS MB':>11}"
    print(header)
    print("-" * len(header))
    for approach, step, ms, peak in table:
        print(f"{approach:<{approach_width}}  {step:<{width}}  {ms:>10,.1f}  {peak:>11,.0f}")
    _print_rollups(*_spawn("rollups", extract, args.repeat))
    if not args.skip_browser:
        _print_browser(browser_rows(args.browser_runs))
    _load_test(args)


def _load_test(args) -> None:
    """Many live sessions at once on a server of its own, shipped extract (bench/load.py)."""
    if not args.load:
        return
    from bench import load

    print("\nMany people at once (bench/load.py, live sessions over the websocket, shipped extract)")
    load.main(["--serve", "--sessions", args.load, "--duration", str(args.load_duration)])


if __name__ == "__main__":
    main()
