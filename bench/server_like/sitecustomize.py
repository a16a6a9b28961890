"""Loaded by the benchmark's worker processes (on PYTHONPATH, for this checkout and for an `--against` commit
alike), so that both sides are measured the same way:
- AppTest keeps each script's compiled code, as a running server does (`streamlit_compat.apptest_compiles_once`,
  taken from the checkout running the benchmark);
- each page starts from a collected heap: a worker clears the cached data just before it times a page, and here
  that clearing also runs the garbage collector. Otherwise a full collection of what the earlier pages left (50–70 ms
  at the shipped size) falls in whichever page crosses the threshold — Present on one side, Portfolio on the
  other — and a median of two sessions reads it as that page's cost. A page still pays for collecting its own
  garbage."""

import gc
import importlib.util
import os

_COMPAT = os.environ.get("BENCH_STREAMLIT_COMPAT")
if _COMPAT:  # only the benchmark's workers set it (a worker's own Python has Streamlit)
    _spec = importlib.util.spec_from_file_location("_bench_streamlit_compat", _COMPAT)
    _module = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_module)
    _module.apptest_compiles_once()

    from streamlit.runtime.caching import cache_data_api

    _clear = cache_data_api.CacheDataAPI.clear

    def _clear_and_collect(self) -> None:
        _clear(self)
        gc.collect()

    cache_data_api.CacheDataAPI.clear = _clear_and_collect
