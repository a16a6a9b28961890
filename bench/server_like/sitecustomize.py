"""Loaded by the benchmark's worker processes (on PYTHONPATH, for this checkout and for an `--against` commit
alike): AppTest keeps each script's compiled code, as a running server does (`streamlit_compat.apptest_compiles_once`,
taken from the checkout running the benchmark, so both sides are measured the same way)."""

import importlib.util
import os

_COMPAT = os.environ.get("BENCH_STREAMLIT_COMPAT")
if _COMPAT:  # only the benchmark's workers set it (a worker's own Python has Streamlit)
    _spec = importlib.util.spec_from_file_location("_bench_streamlit_compat", _COMPAT)
    _module = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_module)
    _module.apptest_compiles_once()
