"""Shared fixtures: a seeded fixture extract built by code, independent SQL, and AppTest helpers."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import duckdb
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from impact.app import streamlit_compat
from impact.demo.generate import generate
from impact.model import metrics, schema
from impact.model import programme as programmes

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_SEED = 42


@pytest.fixture(scope="session")
def fixture_dir(tmp_path_factory) -> Path:
    """A small extract generated with its own seed (not the shipped one)."""
    out = tmp_path_factory.mktemp("fixture_extract")
    generate(out, scale=1, seed=FIXTURE_SEED)
    return out


class Independent:
    """Plain DuckDB over the Parquet files, independent of the app's views, macros and queries."""

    def __init__(self, extract_dir: Path):
        self.conn = duckdb.connect()
        for name in schema.TABLE_NAMES:
            self.conn.execute(
                f"create view {name} as select * from read_parquet('{extract_dir / (name + '.parquet')}')"
            )

    def scalar(self, sql: str, params: dict | list | None = None):
        return self.conn.execute(sql, _used(sql, params)).fetchone()[0]

    def rows(self, sql: str, params: dict | list | None = None) -> list[tuple]:
        return self.conn.execute(sql, _used(sql, params)).fetchall()


def _used(sql: str, params: dict | list | None):
    """The named parameters a statement uses (a shared set of values may name more)."""
    if isinstance(params, dict):
        return {k: v for k, v in params.items() if f"${k}" in sql}
    return params or []


@pytest.fixture(scope="session")
def definition(fixture_dir) -> programmes.Programme:
    """The fixture extract's programme definition (its vocabularies, phases and indicators)."""
    return programmes.load(fixture_dir)


@pytest.fixture(autouse=True)
def active_definition(definition):
    """Tests run with the fixture programme's indicators as metrics, as a page run or an export does."""
    with metrics.using(definition):
        yield definition


@pytest.fixture(scope="session")
def independent(fixture_dir) -> Independent:
    """Independent SQL over the fixture extract."""
    return Independent(fixture_dir)


@pytest.fixture(scope="session")
def shipped() -> Independent:
    """Independent SQL over the shipped extract in data/."""
    return Independent(ROOT / "data")


@contextlib.contextmanager
def serving(root: Path, monkeypatch):
    """The app pointed at the data store `root`, with empty caches before and after."""
    monkeypatch.setenv("IMPACT_DATA_DIR", str(root))
    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        yield root
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()


@pytest.fixture
def app_data(fixture_dir, monkeypatch) -> Path:
    """Point the app at the fixture extract and start with empty caches."""
    with serving(fixture_dir, monkeypatch):
        yield fixture_dir


@pytest.fixture(autouse=True)
def no_preparers(monkeypatch):
    """Each test starts with no preparer registered with the import transaction (the app and the command line
    register the compile when they start; a test that wants it asks for `compiled_imports`)."""
    from impact.storage import transaction

    monkeypatch.setattr(transaction, "PREPARERS", [])


@pytest.fixture
def compiled_imports(monkeypatch):
    """Imports compile each new version before making it active, as in the app and the command line."""
    from impact.query import db
    from impact.storage import transaction

    monkeypatch.setattr(transaction, "PREPARERS", [db.prepare])


@pytest.fixture(autouse=True)
def server_navigation(monkeypatch):
    """AppTest as a running server behaves once st.navigation has run: pages run through app.py.

    AppTest resets `PagesManager.uses_pages_directory` before every run, so with a `pages/` folder each run
    first executes the page file alone; `navigation.ensure_navigation` then reruns through app.py, and a button's
    click (a trigger, true for one run) is spent on the run it cut short. Every test runs so.
    """
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


@pytest.fixture
def shipped_app(monkeypatch):
    """The app on the shipped data (no IMPACT_DATA_DIR), its caches cleared before and after."""
    monkeypatch.delenv("IMPACT_DATA_DIR", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def make_app(page: str | None = None, query: dict | None = None) -> AppTest:
    """An AppTest of app.py, optionally with URL query parameters and switched to `page`."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    for key, values in (query or {}).items():
        at.query_params[key] = values
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def data_page_as_admin(root: Path, monkeypatch, password: str) -> AppTest:
    """An AppTest of the Data page over the data store `root`, signed in as the administrator whose password is
    `password` (caches emptied first; the caller empties them again when it is done)."""
    from impact.app import auth

    monkeypatch.setenv("IMPACT_DATA_DIR", str(root))
    monkeypatch.setenv(auth.HASH_ENV, auth.hash_password(password))
    st.cache_data.clear()
    st.cache_resource.clear()
    at = make_app("pages/data.py")
    at.text_input(key="admin_password").input(password)
    next(b for b in at.button if b.label == "Sign in").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics_shown(at: AppTest) -> dict[str, str]:
    """The KPI tiles on the page: label -> formatted value."""
    return {m.label: m.value for m in at.metric}


os.environ.setdefault("IMPACT_TESTING", "1")
streamlit_compat.apptest_compiles_once()  # app.py and each page compiled once, as a server does, not every run


# ---- Running in parallel (pytest-xdist: `./run.sh test` runs `-n 2 --dist loadfile`) --------------------------

# The tests that drive real servers and Chromium: the browser tests, and the several servers behind nginx.
SERVER_TESTS = ("tests/browser/", "tests/test_servers.py")
SERVERS_GROUP = "servers"


def pytest_configure(config):
    """Under pytest-xdist each worker compiles into its own cache folder: a subfolder, named after the worker, of
    IMPACT_CACHE_DIR (or of the default one), so no worker reads, replaces or sweeps away a compiled database another
    worker is using. The servers the tests start inherit it. (Temporary folders are already per worker: pytest's
    tmp_path; and ports are asked of the system.)"""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        from impact.query import db

        os.environ["IMPACT_CACHE_DIR"] = str(db.cache_dir() / worker)


def xdist_scope(nodeid: str) -> str:
    """The unit of work a test is sent to a worker in: its file, except that every test of SERVER_TESTS is in one
    unit (SERVERS_GROUP), run by one worker one test at a time, so that only one Streamlit server and one Chromium
    compete with the other worker's tests (unit and AppTest, CPU-bound) at a time."""
    path = nodeid.split("::", 1)[0]
    return SERVERS_GROUP if path.startswith(SERVER_TESTS) else path


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """--dist loadfile with the server tests as one unit (xdist_scope): a file's tests stay together on one worker,
    so its module- and session-scoped fixtures are set up once. (xdist's own --dist loadgroup cannot be used: with
    pytest 9 the group it appends to a test's id is lost.) Any other --dist is xdist's own."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class ServersTogether(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return xdist_scope(nodeid)

    return ServersTogether(config, log)


def plotly_values(values) -> list:
    """Values of a figure-JSON array, decoding Plotly's typed arrays ({'dtype', 'bdata'})."""
    import base64

    import numpy as np

    if isinstance(values, dict) and "bdata" in values:
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return list(values)


# Data-store fixtures for the import, store and hostile-input tests (tests/data_helpers.py).
from tests.data_helpers import csv_extract, data_store, picks  # noqa: E402,F401

# The local S3 server (moto), one per test process (a worker under xdist) for every file that asks for it: a
# test file importing the fixture itself would start a server of its own.
from tests.s3_helpers import s3_env, s3_server  # noqa: E402,F401

