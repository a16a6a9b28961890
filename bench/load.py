"""Load test: many live Streamlit sessions at once, over the server's own websocket protocol.

    python bench/load.py --serve [--sessions 1,5,10] [--duration 20] [--data DIR]
    python bench/load.py --url http://127.0.0.1:8501 [--sessions 10,25,50,100] [--duration 60]
    python bench/load.py --servers 3 --sessions 100 --duration 60 --import-at 20 [--data DIR]

Each session is what a browser tab does, without the browser: it opens `/_stcore/stream` (subprotocol
"streamlit"), sends a `BackMsg.rerun_script` for a page of a link with random filters (values from the
programme's own vocabulary, read from the data), and waits for the `ForwardMsg.script_finished` that says
the run finished successfully. Then, every 1.5–4.5 s (random), it changes one sidebar filter (the widget's
new value in `widget_states`, as the browser sends it, with the query string the app last wrote into the
address) or switches to another page (its `page_script_hash`, from the app's `navigation` message).
For each rerun it records the time from sending the BackMsg to that message, and every error: an exception
element, a finished status that is not success, "page not found", a dropped connection, a timeout.

Sessions end by themselves when their step's time is up (a rerun in flight is waited for, up to
--timeout). Only loopback addresses are accepted. With --serve the tool starts `streamlit run app.py` on a
free loopback port (on --data, default the shipped extract) and samples the server process's peak RSS.
Prints one table: sessions, reruns, p50/p95/p99 (ms), errors, reruns/s, server peak memory.

With --servers N the tool starts N servers behind nginx (bench/servers.py, the proxy config of deploy/) on
one data store and the sessions go through the proxy; the memory column is then the sum over the servers.
Every rerun records the data version the page names ("data version …" in the sidebar) and the server that
answered (nginx's X-Impact-Upstream header on the websocket). With --import-at S the tool runs
`python -m impact import` from the command line S seconds into each step (--import-from, default the
top-level extract of --data) and reports the version switch: how long after the import returned every
server had served the new version, and how many reruns started after it still showed the old one. An
import needs a store of its own: a local --data folder is copied to a temporary folder first (an
s3://bucket/prefix store is used as it is).
This is a measurement, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
THINK = (1.5, 4.5)  # seconds between one rerun's end and the next action, uniformly random
PAGE_SHARE = 0.3  # share of actions that switch page (the rest change a filter)
MAX_CACHED_AGE = 2  # runs a cached message is kept unused (Streamlit's global.maxCachedMessageAge, as the frontend)
VERSION_TEXT = re.compile(r"data version ((?:[A-Za-z0-9_]|\\?-)+)")  # the sidebar's caption (Markdown-escaped)
FILTER_KEYS = ("f_from", "f_to", "f_phase", "f_region", "f_country", "f_theme", "f_grant", "f_cadre", "f_gender")


def _page_calls() -> list[str]:
    """The text of each `st.Page(...)` call in app.py, in its order (read from its source, not imported)."""
    return (ROOT / "app.py").read_text().split("st.Page(")[1:]  # each call runs to the next (titles hold parentheses)


def app_pages() -> tuple[str, ...]:
    """The url paths of the pages everyone's menu shows, in app.py's order (a page whose visibility depends on who
    is signed in, a partner's My projects, is left out: a visitor does not open it)."""
    found = (re.search(r'url_path="([\w-]+)"', c) for c in _page_calls() if "visibility=" not in c)
    return tuple(m.group(1) for m in found if m)


def default_page() -> str:
    """The url path of the page a visitor opens at the app's root, "/" (for a signed-in partner it is My projects)."""
    found = [re.search(r'url_path="([\w-]+)"', c) for c in _page_calls()
             if "visibility=" not in c and re.search(r"default=(True|not partner)", c)]
    return found[0].group(1) if found and found[0] else ""


# ---- numbers ------------------------------------------------------------------------------------

def percentile(values, q: float) -> float | None:
    """The q-th percentile (0–100) with linear interpolation between ranks (numpy's default); None if empty."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


# ---- where it may connect -------------------------------------------------------------------------

def loopback_url(url: str) -> tuple[str, int]:
    """(host, port) of an http(s)/ws(s) URL whose host resolves to loopback addresses only; else ValueError."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "ws") or not parts.hostname:
        raise ValueError(f"{url!r}: give http://127.0.0.1:PORT (plain http on loopback)")
    port = parts.port or 80
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)}
    except socket.gaierror as exc:
        raise ValueError(f"{parts.hostname!r} does not resolve: {exc}") from None
    if not addresses or not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses):
        raise ValueError(f"{parts.hostname!r} is not a loopback address ({', '.join(sorted(addresses))}): "
                         "the load test only talks to this machine")
    return parts.hostname, port


def stream_url(url: str) -> str:
    host, port = loopback_url(url)
    base = urllib.parse.urlsplit(url).path.rstrip("/")
    return f"ws://{host if ':' not in host else f'[{host}]'}:{port}{base}/_stcore/stream"


# ---- random links -----------------------------------------------------------------------------------

def vocabulary(data: Path) -> dict[str, list[str]]:
    """URL values of each shared filter for the data's (default) programme: countries and quarters from the
    training facts, the other filters from the programme's definition."""
    import duckdb

    sys.path.insert(0, str(ROOT))
    from impact.model.calendar import quarter_label, quarter_range
    from impact.query.filters import DIMENSIONS
    from impact.storage import store

    definition = store.load_definition(data)
    with duckdb.connect() as con:
        training = str(data / "training.parquet")
        countries = [r[0] for r in con.execute("select distinct iso3 from read_parquet(?) order by 1",
                                               [training]).fetchall()]
        first, last = con.execute("select min(period), max(period) from read_parquet(?)", [training]).fetchone()
    out = {"country": countries, "quarter": [quarter_label(q) for q in quarter_range(first, last)],
           "phase": list(definition.phase_names)}
    for dim in DIMENSIONS:
        if dim.vocabulary:
            out[dim.filter] = list(definition.values(dim.vocabulary))
    return out


def random_link(vocab: dict[str, list[str]], rng: random.Random) -> str:
    """A query string of one to three random filters, e.g. 'country=UGA&from=2014Q1'."""
    query: list[tuple[str, str]] = []
    keys = [k for k in ("country", "from", "theme", "region", "gender", "cadre", "grant", "phase")
            if vocab.get("quarter" if k == "from" else k)]
    for key in rng.sample(keys, rng.randint(1, min(3, len(keys)))):
        if key == "from":
            quarters = vocab["quarter"]
            start = rng.randrange(len(quarters) - 1)
            query.append(("from", quarters[start]))
            if rng.random() < 0.5:
                query.append(("to", quarters[rng.randrange(start, len(quarters))]))
        else:
            query += [(key, v) for v in rng.sample(vocab[key], rng.randint(1, min(2, len(vocab[key]))))]
    return urllib.parse.urlencode(query)


# ---- one live session ---------------------------------------------------------------------------------

@dataclass
class Rerun:
    kind: str  # "open", "filter" or "page"
    page: str
    ms: float | None  # None when it never finished successfully
    errors: list[str] = field(default_factory=list)
    version: str = ""  # the data version the page named ("" if none)
    started: float = 0.0  # time.perf_counter() when the BackMsg went out


@dataclass
class SessionResult:
    reruns: list[Rerun] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # connection-level (could not connect, dropped)
    upstream: str = ""  # the server behind a proxy that holds this session (X-Impact-Upstream), if any

    @property
    def finished(self) -> list[float]:
        return [r.ms for r in self.reruns if r.ms is not None]

    @property
    def all_errors(self) -> list[str]:
        return self.errors + [e for r in self.reruns for e in r.errors]


WIDGETS = ("multiselect", "selectbox", "radio", "checkbox", "text_input")  # the kinds the app's pages use for state


def widget_state(kind: str, widget):
    """The WidgetState a browser sends back for a widget drawn from this proto (the app's value, else its
    default), or None when it has no value (a select box with no choice)."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    state = WidgetState(id=widget.id)
    options = list(getattr(widget, "options", ()))
    if kind == "multiselect":
        values = list(widget.raw_values) if widget.set_value else [options[i] for i in widget.default if i < len(options)]
        state.string_array_value.data.extend(values)
    elif kind in ("selectbox", "radio"):
        if widget.set_value:
            if not widget.HasField("raw_value"):
                return None
            state.string_value = widget.raw_value
        elif widget.HasField("default") and 0 <= widget.default < len(options):
            state.string_value = options[widget.default]
        else:
            return None
    elif kind == "checkbox":
        state.bool_value = widget.value if widget.set_value else widget.default
    elif kind == "text_input":
        field = "value" if widget.set_value else "default"
        if not widget.HasField(field):
            return None
        state.string_value = getattr(widget, field)
    return state


class LiveSession:
    """A browser tab's side of the protocol: reads every ForwardMsg, keeps the pages, the filter widgets and
    the address the app writes, and sends reruns."""

    def __init__(self, ws, default: str = ""):
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self.ws = ws
        self.default = default  # the default page's url path (its own address is "")
        self.ForwardMsg = ForwardMsg
        self.pages: dict[str, str] = {}  # url path -> page_script_hash
        self.page_hash = ""
        self.query_string = ""
        self.widgets: dict[str, tuple[str, str, list[str]]] = {}  # key -> (widget id, kind, options), last run
        self._seen: dict[str, tuple[str, str, list[str]]] = {}
        self.states: dict[str, object] = {}  # widget id -> WidgetState: what the browser would send back
        self._live: set[str] = set()  # widget ids drawn in the run under way
        self.cache: dict[str, list] = {}  # the browser's message cache: hash -> [ForwardMsg bytes, run last used]
        self.runs = 0  # successful runs so far (a cached message's age is counted in runs)
        self.run_errors: list[str] = []
        self.version = ""  # the data version named in the run under way
        self.events: asyncio.Queue = asyncio.Queue()
        self.closed: str | None = None
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for data in self.ws:
                if isinstance(data, bytes):
                    self._handle(data)
        except ConnectionClosed as exc:
            self.closed = f"connection dropped ({exc.rcvd.code if exc.rcvd else 'no close frame'})"
        except Exception as exc:  # a message this client could not read is an error, not a crash
            self.closed = f"client error: {type(exc).__name__}: {exc}"
        else:
            self.closed = "connection closed"
        await self.events.put(("closed", self.closed, time.perf_counter()))

    def _handle(self, data: bytes) -> None:
        msg = self.ForwardMsg()
        msg.ParseFromString(data)
        kind = msg.WhichOneof("type")
        if kind == "ref_hash":  # an element this tab said it has cached: the server sent only its hash
            cached = self.cache.get(msg.ref_hash)
            if cached is None:
                self.run_errors.append("the server referred to a message this client never had")
                return
            cached[1] = self.runs
            msg = self.ForwardMsg()
            msg.ParseFromString(cached[0])
            kind = msg.WhichOneof("type")
        elif msg.metadata.cacheable and msg.hash:
            self.cache[msg.hash] = [data, self.runs]
        if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            what = element.WhichOneof("type")
            if what == "exception":
                self.run_errors.append(f"exception: {element.exception.type}: {element.exception.message[:120]}")
            elif what == "markdown" and "data version" in element.markdown.body:
                found = VERSION_TEXT.search(element.markdown.body)
                if found:
                    self.version = found.group(1).replace("\\", "")
            elif what in WIDGETS:
                widget = getattr(element, what)
                self._live.add(widget.id)
                if widget.id not in self.states or widget.set_value:  # as the browser: new, or set by the app
                    state = widget_state(what, widget)
                    if state is not None:
                        self.states[widget.id] = state
                key = widget.id.rsplit("-", 1)[-1]
                if key in FILTER_KEYS and what in ("multiselect", "selectbox"):
                    self._seen[key] = (widget.id, what, list(widget.options))
        elif kind == "navigation":
            self.pages = {p.url_pathname or self.default: p.page_script_hash for p in msg.navigation.app_pages
                          if not p.external_url}
            self.page_hash = msg.navigation.page_script_hash
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string
        elif kind == "page_not_found":
            self.run_errors.append(f"page not found: {msg.page_not_found.page_name!r}")
        elif kind == "script_finished":
            self.events.put_nowait(("finished", msg.script_finished, time.perf_counter()))
        elif kind == "new_session" and not self.pages:  # apps without st.navigation list their pages here
            self.pages = {p.url_pathname: p.page_script_hash for p in msg.new_session.app_pages}

    @property
    def page(self) -> str:
        return next((path for path, h in self.pages.items() if h == self.page_hash), "?")

    async def rerun(self, kind: str, *, query_string: str, page_hash: str = "", page_name: str = "",
                    timeout: float = 120.0) -> Rerun:
        """Send one rerun_script and wait for its successful finish (or an error, or the timeout)."""
        from streamlit.proto.BackMsg_pb2 import BackMsg

        while not self.events.empty():  # anything left from the run before this one
            self.events.get_nowait()
        self.run_errors = []
        self.version = ""
        self._seen = {}
        self._live = set()
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = query_string
        state.page_script_hash = page_hash
        state.page_name = page_name
        state.widget_states.widgets.extend(self.states.values())
        state.cached_message_hashes.extend(self.cache)
        state.context_info.timezone = "UTC"
        state.context_info.locale = "en-GB"
        start = time.perf_counter()
        try:
            await self.ws.send(msg.SerializeToString())
        except Exception as exc:
            return Rerun(kind, page_name or "?", None, [f"send failed: {type(exc).__name__}"], started=start)
        deadline = start + timeout
        while True:
            try:
                event, payload, at = await asyncio.wait_for(self.events.get(), max(0.0, deadline - time.perf_counter()))
            except TimeoutError:
                return Rerun(kind, self.page, None, self.run_errors + [f"timeout: no finished run in {timeout:.0f} s"],
                             started=start)
            if event == "closed":
                return Rerun(kind, self.page, None, self.run_errors + [payload], started=start)
            status = self.ForwardMsg.ScriptFinishedStatus.Name(payload)
            if status in ("FINISHED_EARLY_FOR_RERUN", "FINISHED_FRAGMENT_RUN_SUCCESSFULLY"):
                continue  # the script's own st.rerun(), or a fragment: a person still waits for the full run
            if status != "FINISHED_SUCCESSFULLY":
                return Rerun(kind, self.page, None, self.run_errors + [f"script finished: {status}"], started=start)
            self.widgets = self._seen
            self.runs += 1
            self.cache = {h: c for h, c in self.cache.items() if self.runs - c[1] <= MAX_CACHED_AGE}
            self.states = {wid: s for wid, s in self.states.items() if wid in self._live}  # only widgets shown
            return Rerun(kind, self.page, (at - start) * 1000, list(self.run_errors), self.version, start)

    def change_filter(self, rng: random.Random) -> bool:
        """Set one sidebar filter to another random value, as a person does in the sidebar (False when the page
        shows no filters). Half the changes are the country; a list is cleared ("All") a third of the time, so
        selections do not narrow down to nothing."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        keys = sorted(k for k, w in self.widgets.items() if w[2])
        if not keys:
            return False
        key = "f_country" if "f_country" in keys and rng.random() < 0.5 else rng.choice(keys)
        widget_id, kind, options = self.widgets[key]
        state = WidgetState(id=widget_id)
        if kind == "selectbox":
            state.string_value = rng.choice(options)
        else:
            chosen = [] if rng.random() < 0.35 else rng.sample(options, 1 if rng.random() < 0.7 else min(2, len(options)))
            state.string_array_value.data.extend(chosen)
        self.states[widget_id] = state
        return True


async def run_session(url: str, until: float, *, vocab: dict[str, list[str]], rng: random.Random,
                      pages: tuple[str, ...] | None = None, timeout: float = 120.0,
                      think: tuple[float, float] = THINK, page_share: float = PAGE_SHARE) -> SessionResult:
    """One person: open a page from a random link, then change a filter or the page every few seconds until
    `until` (time.perf_counter()); return every rerun's time and error."""
    from websockets.asyncio.client import connect

    result = SessionResult()
    pages = pages or app_pages()
    first = rng.choice(pages)
    try:
        ws = await connect(stream_url(url), subprotocols=["streamlit"], max_size=None, max_queue=None,
                           open_timeout=timeout, ping_interval=20, ping_timeout=timeout, compression=None)
    except Exception as exc:
        result.errors.append(f"could not connect: {type(exc).__name__}: {exc}")
        return result
    result.upstream = ws.response.headers.get("X-Impact-Upstream", "") if ws.response else ""
    home = default_page()
    session = LiveSession(ws, default=home)
    try:
        session.query_string = random_link(vocab, rng)  # the address a browser opens: /page?filters
        opened = await session.rerun("open", query_string=session.query_string,
                                     page_name="" if first == home else first, timeout=timeout)
        result.reruns.append(opened)
        while session.closed is None:
            pause = rng.uniform(*think)
            if time.perf_counter() + pause >= until:
                break
            await asyncio.sleep(pause)
            others = [p for p in pages if p in session.pages and session.pages[p] != session.page_hash]
            if others and (rng.random() < page_share or not session.change_filter(rng)):
                target = rng.choice(others)
                rerun = await session.rerun("page", query_string=session.query_string,
                                            page_hash=session.pages[target], timeout=timeout)
            else:
                rerun = await session.rerun("filter", query_string=session.query_string, timeout=timeout)
            result.reruns.append(rerun)
    finally:
        await ws.close()
        session.reader.cancel()
    return result


# ---- one step: N sessions at once ---------------------------------------------------------------------

class PeakRss:
    """Samples the resident memory of one process or several (each with its children) in a thread; `.peak_mb`
    is the highest total seen."""

    def __init__(self, pid: int | list[int] | None, every: float = 0.25):
        self.pids = [pid] if isinstance(pid, int) else list(pid or [])
        self.pid, self.every, self.peak_mb = (self.pids or [None])[0], every, None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        import psutil

        procs = [psutil.Process(pid) for pid in self.pids]
        while not self._stop.is_set():
            try:
                rss = sum(p.memory_info().rss + sum(c.memory_info().rss for c in p.children(recursive=True))
                          for p in procs)
            except psutil.Error:
                return
            self.peak_mb = max(self.peak_mb or 0, rss / 2**20)
            self._stop.wait(self.every)

    def __enter__(self):
        if self.pid:
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


@dataclass
class ImportRun:
    """`python -m impact import SOURCE --data-dir DATA` from the command line, `at` seconds into a step."""

    source: Path
    data: str
    at: float
    started: float | None = None  # time.perf_counter()
    done: float | None = None
    code: int | None = None
    version: str = ""
    output: str = ""

    def start(self) -> threading.Timer:
        timer = threading.Timer(self.at, self.run)
        timer.daemon = True
        timer.start()
        return timer

    def run(self) -> None:
        self.started = time.perf_counter()
        try:
            done = subprocess.run([sys.executable, "-m", "impact", "import", str(self.source), "--data-dir", self.data],
                                  cwd=ROOT, capture_output=True, text=True, timeout=600)
            self.code, self.output = done.returncode, (done.stdout + done.stderr)[-2000:]
        except subprocess.TimeoutExpired:
            self.code, self.output = -1, "timeout"
        self.done = time.perf_counter()
        found = re.search(r"version (\S+) of programme \S+ is now active", self.output)
        self.version = found.group(1) if found else ""


def version_switch(results: list[SessionResult], done: float, new: str, servers: list[str] | None = None) -> dict:
    """After an import returned at `done` (perf_counter) with version `new`: per server the first rerun that
    started after it and showed `new`; `seconds` until the last server did (None if one never did); `stale`,
    reruns started after it that still showed another version."""
    expected = set(servers or ()) or {r.upstream for r in results}
    first: dict[str, float] = {}
    stale = after = 0
    for result in results:
        for rerun in result.reruns:
            if rerun.ms is None or rerun.started < done:
                continue
            after += 1
            if rerun.version == new:
                end = rerun.started + rerun.ms / 1000
                first[result.upstream] = min(first.get(result.upstream, end), end)
            else:
                stale += 1
    missing = sorted(expected - first.keys())
    seconds = max(first.values()) - done if first and not missing else None
    return {"servers": len(expected), "on_new": len(expected & first.keys()), "missing": missing,
            "seconds": seconds, "stale": stale, "after": after}


@dataclass
class Step:
    sessions: int
    results: list[SessionResult]
    seconds: float
    peak_mb: float | None = None
    imported: ImportRun | None = None
    servers: list[str] = field(default_factory=list)  # upstream names behind a proxy ([] for one direct server)

    def switch(self) -> dict | None:
        """The version switch after the step's import (None without an import, or if it failed)."""
        if self.imported is None or self.imported.done is None or not self.imported.version:
            return None
        return version_switch(self.results, self.imported.done, self.imported.version, self.servers)

    @property
    def times(self) -> list[float]:
        return [ms for r in self.results for ms in r.finished]

    @property
    def errors(self) -> list[str]:
        return [e for r in self.results for e in r.all_errors]

    def row(self) -> dict:
        times = self.times
        return {"sessions": self.sessions, "reruns": len(times), "p50": percentile(times, 50),
                "p95": percentile(times, 95), "p99": percentile(times, 99), "errors": len(self.errors),
                "per_s": len(times) / self.seconds if self.seconds else 0.0, "peak_mb": self.peak_mb}


async def _step(url: str, sessions: int, duration: float, vocab, seed: int, pages, timeout: float,
                ramp: float, think: tuple[float, float]) -> list[SessionResult]:
    until = time.perf_counter() + duration

    async def one(i: int) -> SessionResult:
        await asyncio.sleep(ramp * i / max(1, sessions))  # a hall opens the link within a second or so
        return await run_session(url, until, vocab=vocab, rng=random.Random(seed * 100_003 + i), pages=pages,
                                 timeout=timeout, think=think)

    return list(await asyncio.gather(*(one(i) for i in range(sessions))))


def run_step(url: str, sessions: int, duration: float, *, vocab: dict[str, list[str]], seed: int = 1,
             pages: tuple[str, ...] | None = None, timeout: float = 120.0, ramp: float = 1.0,
             server_pid: int | list[int] | None = None, think: tuple[float, float] = THINK,
             imported: ImportRun | None = None, servers: list[str] | None = None) -> Step:
    """N sessions at once for `duration` seconds (each finishes the rerun in flight, up to `timeout`); with
    `imported`, that import runs from the command line its `at` seconds in."""
    loopback_url(url)
    start = time.perf_counter()
    timer = imported.start() if imported is not None else None
    with PeakRss(server_pid) as rss:
        results = run_async(_step(url, sessions, duration, vocab, seed, pages, timeout, ramp, think))
    if timer is not None:
        timer.join()  # an import still running is waited for: its version is part of the result
    return Step(sessions, results, time.perf_counter() - start, rss.peak_mb, imported, list(servers or []))


def run_async(coroutine):
    """`asyncio.run`, also where this thread already runs an event loop (a Playwright session in the test
    suite): then on a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    outcome: dict = {}

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(coroutine)
        except BaseException as error:  # noqa: BLE001 (raised again below, in the caller's thread)
            outcome["error"] = error

    worker = threading.Thread(target=target, name="load-step")
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


# ---- a server of its own ---------------------------------------------------------------------------------

def serve(data: Path, timeout: float = 90) -> tuple[subprocess.Popen, str]:
    """`streamlit run app.py` on a free loopback port (cwd: the project, so static/ and .streamlit/ apply)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "IMPACT_DATA_DIR": str(data)},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            break
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).status == 200:
                return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    proc.wait()
    raise RuntimeError(f"streamlit did not start within {timeout:.0f} s")


def stop(proc: subprocess.Popen) -> None:
    """Terminate a server started by `serve` (bench/servers.py's stop: kill it after 15 s)."""
    sys.path.insert(0, str(ROOT))
    from bench import servers

    servers.stop(proc)


# ---- the table -------------------------------------------------------------------------------------------

def print_table(steps: list[Step]) -> None:
    def ms(v):
        return "—" if v is None else f"{v:,.0f}"

    header = (f"{'sessions':>8}  {'reruns':>6}  {'p50 ms':>8}  {'p95 ms':>8}  {'p99 ms':>8}  {'errors':>6}  "
              f"{'reruns/s':>8}  {'server peak MB':>14}")
    print(header)
    print("-" * len(header))
    for step in steps:
        r = step.row()
        peak = "—" if r["peak_mb"] is None else f"{r['peak_mb']:,.0f}"
        print(f"{r['sessions']:>8}  {r['reruns']:>6}  {ms(r['p50']):>8}  {ms(r['p95']):>8}  {ms(r['p99']):>8}  "
              f"{r['errors']:>6}  {r['per_s']:>8.2f}  {peak:>14}")
    print("\nBy action (p50 ms, count): open = a new session on a link; filter = a sidebar filter changed; "
          "page = another page")
    for step in steps:
        parts = []
        for kind in ("open", "filter", "page"):
            times = [r.ms for res in step.results for r in res.reruns if r.kind == kind and r.ms is not None]
            parts.append(f"{kind} {ms(percentile(times, 50))} ({len(times)})")
        print(f"{step.sessions:>8}  " + ", ".join(parts))
    for step in steps:
        imp = step.imported
        if imp is None:
            continue
        if imp.code != 0 or not imp.version:
            print(f"\nImport at {imp.at:.0f} s ({step.sessions} sessions) FAILED (code {imp.code}): {imp.output[-400:]}")
            continue
        sw = step.switch()
        took = "—" if sw["seconds"] is None else f"{sw['seconds']:.1f} s"
        print(f"\nImport at {imp.at:.0f} s ({step.sessions} sessions): version {imp.version}, the command took "
              f"{imp.done - imp.started:.1f} s; servers on it: {sw['on_new']} of {sw['servers']} "
              f"(every server within {took} of the import returning); reruns started after it: {sw['after']}, "
              f"of which showing the old version: {sw['stale']}"
              + (f"; never on it: {', '.join(sw['missing'])}" if sw["missing"] else ""))
    upstreams = Counter(r.upstream for step in steps for r in step.results if r.upstream)
    if upstreams:
        print("\nSessions per server (through the proxy): " + ", ".join(f"{u} {n}" for u, n in sorted(upstreams.items())))
    errors = Counter(e for step in steps for e in step.errors)
    if errors:
        print("\nErrors (count: what)")
        for text, count in errors.most_common(12):
            print(f"{count:>6}: {text}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="a running server on this machine, e.g. http://127.0.0.1:8501")
    where.add_argument("--serve", action="store_true", help="start streamlit run app.py on a free loopback port")
    where.add_argument("--servers", type=int, help="start N servers behind nginx (bench/servers.py) and go through it")
    parser.add_argument("--sessions", default="1,5,10", help="concurrent sessions per step (default 1,5,10)")
    parser.add_argument("--duration", type=float, default=20, help="seconds per step (default 20)")
    parser.add_argument("--data", default=str(ROOT / "data"),
                        help="data store: served with --serve/--servers (a folder, or s3://bucket/prefix with "
                             "--servers); its vocabulary makes the links (default data/)")
    parser.add_argument("--import-at", type=float, help="with --serve/--servers: import from the command line this "
                                                        "many seconds into each step, and report the version switch")
    parser.add_argument("--import-from", type=Path, help="what --import-at imports (default: --data's top-level extract)")
    parser.add_argument("--pages", help="url paths the sessions use, comma-separated (default: every page)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds a rerun may take before it is an error")
    parser.add_argument("--seed", type=int, default=1, help="random seed (links, filters, pages, pauses)")
    args = parser.parse_args(argv)

    counts = [int(n) for n in args.sessions.split(",") if n.strip()]
    if not counts or min(counts) < 1 or max(counts) > 500:
        parser.error("--sessions: one or more counts from 1 to 500, e.g. 10,25,50")
    if not 1 <= args.duration <= 600:
        parser.error("--duration: 1 to 600 seconds per step")
    if args.servers is not None and not 1 <= args.servers <= 8:
        parser.error("--servers: 1 to 8")
    if args.import_at is not None and (args.url or not 0 <= args.import_at < args.duration):
        parser.error("--import-at: with --serve or --servers, from 0 to less than --duration seconds")
    remote = args.data.startswith("s3://")
    if remote and not args.servers:
        parser.error("--data s3://…: use --servers N")
    pages = tuple(p.strip() for p in args.pages.split(",")) if args.pages else app_pages()
    unknown = set(pages) - set(app_pages())
    if unknown:
        parser.error(f"--pages: unknown page(s) {', '.join(sorted(unknown))}; the app has {', '.join(app_pages())}")
    if args.url:
        try:
            loopback_url(args.url)
        except ValueError as exc:
            parser.error(str(exc))
    local = ROOT / "data" if remote else Path(args.data).resolve()
    vocab = vocabulary(local)
    import_from = (args.import_from or local).resolve()

    proc = cluster = None
    url = args.url
    scratch = None
    data = args.data
    if args.import_at is not None and not remote:  # an import must never change the folder it was given
        import shutil
        import tempfile

        scratch = Path(tempfile.mkdtemp(prefix="impact-load-store-"))
        data = str(shutil.copytree(local, scratch / "store"))
    try:
        if args.serve:
            proc, url = serve(Path(data))
        elif args.servers:
            from bench import servers

            cluster = servers.start_cluster(args.servers, data)
            url = cluster.url
        pids = cluster.pids if cluster else (proc.pid if proc else None)
        upstreams = [cluster.upstream(u) for u in cluster.server_urls] if cluster else []
        for _ in range(max(1, len(upstreams))):  # through a proxy: likely every server compiled and warm
            warm = run_step(url, 1, 0.1, vocab=vocab, seed=0, pages=("overview",), timeout=args.timeout)
            if warm.errors:
                print(f"warning: the warm-up session saw errors: {warm.errors[:3]}", file=sys.stderr)
        on = f"a copy of {local}" if scratch else args.data
        how = (f"{args.servers} servers behind nginx, on {on}" if cluster else
               f"served by this tool, on {on}" if proc else "running server")
        print(f"Load test: {url} ({how}); {args.duration:.0f} s per step; pages {', '.join(pages)}; "
              f"pause {THINK[0]}–{THINK[1]} s; "
              f"{f'{int(PAGE_SHARE * 100)}% page switches' if len(pages) > 1 else 'no page switches'}; "
              f"{os.cpu_count()} cores"
              + (f"; an import from the command line {args.import_at:.0f} s into each step" if args.import_at is not None
                 else "") + "\n")
        steps = []
        for i, n in enumerate(counts):
            imported = ImportRun(import_from, data, args.import_at) if args.import_at is not None else None
            steps.append(run_step(url, n, args.duration, vocab=vocab, seed=args.seed + i, pages=pages,
                                  timeout=args.timeout, server_pid=pids, imported=imported, servers=upstreams))
        print_table(steps)
    finally:
        if proc is not None:
            stop(proc)
        if cluster is not None:
            cluster.close()
        if scratch is not None:
            import shutil

            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
