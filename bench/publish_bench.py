"""The public static site's benchmark (issue 28): its build, its readers through nginx beside readers on the
app, and a page's first chart in Chromium from file://.

    python -m bench.publish_bench                        # 1,000 readers on the site, 50 on the app, 5 browser runs
    python -m bench.publish_bench --quick                # tiny numbers: proves it works, measures nothing
    python -m bench.publish_bench --readers 500 --app-readers 25 --runs 3 [--programme ID] [--data DIR]
    python -m bench.publish_bench --returning            # readers whose browser already holds the assets
    python -m bench.publish_bench --arrival-seconds 10   # also 1,000 readers arriving over 10 s, beside the burst
    python -m bench.publish_bench --think-seconds 2 8     # also 1,000 concurrent readers (2-8 s between pages)
    python -m bench.publish_bench --uncompressed         # readers whose client asks for no compression
    python -m bench.publish_bench --build-only --phases  # the builds only, each step by step (the 60 s bar)

1. Build: `python -m impact publish`'s own function (impact.publish.site.build) on one programme (default the
   store's default programme) in the command's languages (--lang to choose), once with the SVGs and once without
   (--no-svg): seconds, this process's CPU seconds (every thread) and the SVG-drawing Chromium's, the machine's load
   when it started and ended, pages, files, MB; with --phases each build step by step (wall and CPU seconds of each
   step the build announces: the figures and their suppression, each language's pages, the compression, the SVGs
   still to draw). --build-only stops there.
2. Readers: the site (built without SVGs: the pages and assets are the same) is copied to `public/` under the
   prefix of an nginx configured from deploy/nginx.conf.template (bench/servers.py), as the deployment serves
   it. N readers connect at once, each over one HTTP/1.1 keep-alive socket (asyncio, raw requests, no client
   library), and read --pages-per-reader random pages with what each page loads (its stylesheet, scripts and
   images), an asset once per reader as a browser's cache holds it (--returning: readers whose browser holds
   every asset from an earlier visit, fetching pages only). Each request asks for compression as a browser does
   (`Accept-Encoding: gzip, deflate, br`; nginx answers gzip: the site's precompressed `.gz` copies as they are,
   gzip_static; --uncompressed: `identity`). Every answer must be 200 and, decoded, exactly the bytes of the file
   on disk, else it is an error (an answer equal to the file's `.gz` copy, itself checked once to decode to the
   file, is not decompressed again: the client's CPU is the server's on this machine). Counted: the bytes on the
   wire (the bodies as sent) and decoded. Timed: each request, and each page with its assets.
   How the readers arrive, one row each (the same N readers reading the same pages in each):
   - all at once, the burst (always runs, first: the worst case): every reader's first page in the same instant,
     as a link sent to everyone at once; a reader leaves when its last page has come;
   - over S seconds (--arrival-seconds S): reader i arrives at i*S/N s (N/S a second), as the readers of a link
     shared in a newsletter arrive; each reads its pages back to back and leaves, so few are on the site at once;
   - concurrent (--think-seconds A B, --ramp-seconds R, default 1): N concurrent readers as a load test means
     them (Locust's users with `wait_time = between(A, B)`): all on the site for the whole run, each opening its
     connection as it arrives (reader i at i*R/N s) and pausing a think time drawn at random between A and B s
     (seeded) after each page, reading it, before its next page or leaving.
   Each row says how many readers were on the site at once: the peak overlap of the readers' visits (from arrival
   to leaving), measured; N when every visit overlaps every other (so the concurrent row proves its readers
   were concurrent; its note under the table says for how long all N were there together).
   Beside it, M readers on the app: M live Streamlit sessions (bench/load.py's, over the websocket) open a
   page from a random link at the same moment, through nginx in front of one app server (bench/servers.py),
   after a warm-up of three sessions a server (not counted: a new server compiles its store on its first
   page); the time is from the request to the page's script finished. The ratio is the app's over the site's
   page.
3. First chart: Chromium (Playwright, /usr/bin/chromium) opens the programme's home page from file:// in a
   fresh context each run (the site built with its SVGs, as published); from navigation (the page's own clock),
   the time its first chart is visible (a pre-rendered SVG loaded and laid out, or a live chart, whichever comes
   first, checked at each animation frame) and the time its first chart is interactive (drawn by plotly.js, which
   the page runs only after its first paint); the median, min and max of --runs.

This is a measurement, not a test: nothing here asserts a time. tests/test_publish_bench.py runs its parts
at tiny scale and checks that every answer is right.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import html.parser
import http.server
import os
import posixpath
import random
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import load, servers  # noqa: E402 (the project's root on the path first, for `python bench/...`)

BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                "--disable-component-update"]


# ---- 1. the build -------------------------------------------------------------------------------------------

@dataclass
class Phase:
    """One step of a build, as `site.build` says it starts (its progress messages): wall and CPU seconds."""

    what: str
    seconds: float
    cpu: float  # this process, every thread (pages, queries and their DuckDB threads, the audit, zlib)


@dataclass
class BuildRow:
    svg: bool
    seconds: float
    pages: int
    files: int  # the site's own files, its .gz copies aside
    mb: float
    svgs: int
    gz_files: int = 0  # the precompressed copies beside them
    gz_mb: float = 0.0
    languages: list[str] = field(default_factory=lambda: ["en"])
    cpu: float = 0.0  # this process's CPU seconds, every thread
    chromium_cpu: float = 0.0  # the CPU seconds of the Chromium that draws the SVGs (this process's descendants)
    load: tuple[float, float] = (0.0, 0.0)  # the machine's 1-minute load average when the build started and ended
    phases: list[Phase] = field(default_factory=list)


class _Descendants:
    """The CPU seconds this process's descendants use while it runs (Kaleido's Chromium, which is never waited for,
    so the children's rusage misses it): /proc read every 0.2 s, each process's last reading kept, less what those
    already running had used (Linux; 0 elsewhere)."""

    def __init__(self):
        self.seen: dict[int, int] = {}
        self.before: dict[int, int] = {}  # the descendants already running (another Chromium): left out
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="descendants-cpu", daemon=True)

    def __enter__(self):
        self._read()
        self.before = dict(self.seen)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._read()

    @property
    def seconds(self) -> float:
        """The CPU of the descendants started while measuring (the build's Chromium; one already running, left by
        something else in this process, is not the build's)."""
        return sum(used for pid, used in self.seen.items() if pid not in self.before) / os.sysconf("SC_CLK_TCK")

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self._read()

    def _read(self) -> None:
        me, parent, ticks = os.getpid(), {}, {}
        for name in os.listdir("/proc") if os.path.isdir("/proc") else ():
            if not name.isdigit():
                continue
            try:
                fields = Path(f"/proc/{name}/stat").read_text().rsplit(") ", 1)[1].split()
            except (OSError, IndexError):
                continue  # gone meanwhile
            parent[int(name)], ticks[int(name)] = int(fields[1]), int(fields[11]) + int(fields[12])
        for pid, used in ticks.items():
            up = parent.get(pid)
            while up not in (None, 0, 1, me):
                up = parent.get(up)
            if up == me and pid != me:
                self.seen[pid] = max(self.seen.get(pid, 0), used)


def build_site(out: Path, *, data: Path, programme: str, svg: bool, languages: list[str] | None = ("en",)) -> BuildRow:
    """Publish `programme` of the store `data` into `out` (a new or empty folder) in `languages` (None: the
    command's default, every language the definition has translations for) and measure it, step by step."""
    from impact.publish import compress, site

    marks: list[tuple[str, float, float]] = []  # what starts, when (wall), this process's CPU seconds then

    def progress(what: str) -> None:
        marks.append((what, time.perf_counter(), time.process_time()))

    busy = os.getloadavg()[0]
    with _Descendants() as chromium:
        progress("start: the store opened, the assets copied")
        built = site.build(out, data_dir=data, programmes=[programme], svg=svg, progress=progress,
                           languages=list(languages) if languages is not None else None)
        progress("")
    seconds, cpu = marks[-1][1] - marks[0][1], marks[-1][2] - marks[0][2]
    phases = [Phase(what, end - at, end_cpu - used)
              for (what, at, used), (_, end, end_cpu) in zip(marks, marks[1:])]
    everything = [p for p in built.out.rglob("*") if p.is_file() and not p.name.startswith(".")]
    files = compress.plain_files(built.out)
    copies = [p for p in everything if compress.is_copy(p)]
    return BuildRow(svg, seconds, built.pages, len(files), sum(p.stat().st_size for p in files) / 1e6, built.svgs,
                    len(copies), sum(p.stat().st_size for p in copies) / 1e6, languages=built.languages, cpu=cpu,
                    chromium_cpu=chromium.seconds, load=(busy, os.getloadavg()[0]), phases=phases)


# ---- what a reader fetches -------------------------------------------------------------------------------------

class _Loads(html.parser.HTMLParser):
    """The addresses a page loads by itself: script src, stylesheet, icon and preload href (plotly.js, which the
    page runs after its first paint), img/iframe src."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "img", "iframe") and attrs.get("src"):
            self.found.append(attrs["src"])
        elif tag == "link" and attrs.get("href") and set((attrs.get("rel") or "").split()) & {"stylesheet", "icon", "preload"}:
            self.found.append(attrs["href"])


def page_assets(site: Path, page: str) -> list[str]:
    """The site's files (paths from its root) that the page `page` loads, in order, each once; addresses outside
    the site (data:, http:, //) are left out."""
    parser = _Loads()
    parser.feed((site / page).read_text(encoding="utf-8"))
    out: list[str] = []
    for address in parser.found:
        address = address.split("#")[0].split("?")[0]
        if not address or ":" in address or address.startswith("/"):
            continue
        path = posixpath.normpath(posixpath.join(posixpath.dirname(page), address))
        if not path.startswith("../") and (site / path).is_file() and path not in out:
            out.append(path)
    return out


def site_pages(site: Path) -> list[str]:
    """Every HTML page of the site, paths from its root, sorted."""
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))


# ---- 2. readers on the site through nginx ----------------------------------------------------------------------

@contextmanager
def serve_site(site: Path):
    """nginx with the deploy config serving a copy of `site` at /public/; yields the site's base URL. Its upstream
    (the app) is a stand-in answering "ok": nothing on /public/ reaches it."""
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), servers.Answering)
    thread = threading.Thread(target=upstream.serve_forever, daemon=True)
    thread.start()
    workdir = Path(tempfile.mkdtemp(prefix="impact-pubbench-"))
    proxy = None
    try:
        proxy, url = servers.start_proxy([f"127.0.0.1:{upstream.server_address[1]}"], workdir)
        public = workdir / "nginx" / "public"
        shutil.copytree(site, public)
        for folder in [public, *(p for p in public.rglob("*") if p.is_dir())]:
            folder.chmod(0o755)  # nginx's workers run as another user when started as root
        for file in public.rglob("*"):
            if file.is_file():
                file.chmod(0o644)
        yield f"{url}/public/"
    finally:
        if proxy is not None:
            servers.stop(proxy)
        upstream.shutdown()
        upstream.server_close()
        shutil.rmtree(workdir, ignore_errors=True)


BROWSER_ENCODINGS = "gzip, deflate, br"  # what Chromium asks for (its zstd aside: nginx has no module for it)


@dataclass
class Answer:
    """One answer: its status, its body as sent (still encoded) and its Content-Encoding ("" for none)."""

    status: int
    body: bytes
    encoding: str = ""


class Connection:
    """One HTTP/1.1 keep-alive connection, raw: GET a path, read the answer's status, encoding and body."""

    def __init__(self, host: str, port: int, timeout: float, accept: str = BROWSER_ENCODINGS):
        self.host, self.port, self.timeout, self.accept = host, port, timeout, accept
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        """Connect (a reader on the site holds its connection open between pages, as a browser keeps it alive)."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port),
                                                              self.timeout)

    async def get(self, path: str) -> Answer:
        """GET `path`, asking for the encodings `accept`; reconnects when the server closed the connection before."""
        await self.open()
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nConnection: keep-alive\r\n"
                          f"Accept-Encoding: {self.accept}\r\n\r\n".encode("ascii"))
        await self.writer.drain()
        return await asyncio.wait_for(self._answer(), self.timeout)

    async def _answer(self) -> Answer:
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:] if line)}
        body = b""
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                chunk = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunks.append((await self.reader.readexactly(chunk + 2))[:-2])
                if chunk == 0:
                    break
            body = b"".join(chunks)
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return Answer(status, body, headers.get("content-encoding", "").lower())

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
        self.reader = self.writer = None


@dataclass
class Readers:
    """What N readers saw: each request's and each page's (with its assets) time in ms, and every error."""

    readers: int
    requests: list[float] = field(default_factory=list)
    pages: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    bytes: int | None = 0  # on the wire: the bodies as sent; None where not counted (the app's websocket messages)
    seconds: float = 0.0
    decoded: int | None = 0  # the same bodies decoded: the files' own bytes
    arrival: float = 0.0  # seconds over which the readers arrived (0: all in the same instant)
    think: tuple[float, float] | None = None  # concurrent readers: the pause after each page, drawn in [a, b] s
    sessions: list[tuple[float, float]] = field(default_factory=list)  # each reader's (arrived, left), s from start

    @property
    def overlap(self) -> int:
        """The most readers on the site at the same time (measured: the peak overlap of their sessions)."""
        return peak_overlap(self.sessions)

    @property
    def together(self) -> float:
        """Seconds during which every reader was on the site at once (0 when some never overlapped)."""
        if not self.sessions:
            return 0.0
        return max(0.0, min(end for _, end in self.sessions) - max(start for start, _ in self.sessions))


def peak_overlap(sessions: list[tuple[float, float]]) -> int:
    """The most of the intervals `sessions` ((start, end)) holding one instant: one that ends as another starts is
    not on the site with it. Every reader's session overlaps every other's exactly when this is their number."""
    events = sorted([(start, 1) for start, _ in sessions] + [(end, -1) for _, end in sessions])
    most = now = 0
    for _, step in events:  # at the same instant an end (-1) sorts before a start (+1)
        now += step
        most = max(most, now)
    return most


@dataclass(frozen=True)
class _File:
    """A file of the site as a reader must receive it: its bytes, and its .gz copy when that decodes to them."""

    data: bytes
    gz: bytes | None


def _files(site: Path, paths: set[str]) -> dict[str, _File]:
    """The files `paths` of `site`, each with its precompressed copy (checked once: one that does not decode to the
    file is not trusted, and an answer equal to it is decompressed like any other)."""
    out = {}
    for path in paths:
        data = (site / path).read_bytes()
        copy = site / f"{path}.gz"
        gz = copy.read_bytes() if copy.is_file() else None
        out[path] = _File(data, gz if gz is not None and gzip.decompress(gz) == data else None)
    return out


def _check(path: str, answer: Answer, file: _File) -> str | None:
    """What is wrong with `answer` to GET `path` (None: a 200 that decodes to exactly the file's bytes)."""
    if answer.status != 200:
        return f"{path}: HTTP {answer.status}, {len(answer.body)} bytes"
    body = answer.body
    if answer.encoding == "gzip":
        if file.gz is not None and body == file.gz:
            return None
        try:
            body = gzip.decompress(body)
        except (OSError, EOFError) as exc:
            return f"{path}: HTTP 200, gzip that does not decode ({exc})"
    elif answer.encoding not in ("", "identity"):
        return f"{path}: HTTP 200, Content-Encoding {answer.encoding!r}, which the reader did not ask for"
    if body != file.data:
        return f"{path}: HTTP 200, {len(body)} bytes decoded, not the file's {len(file.data)}"
    return None


async def _reader(base: str, files: dict[str, _File], plan: list[tuple[str, list[str]]], timeout: float,
                  out: Readers, returning: bool, accept: str, delay: float, started: float,
                  thinks: list[float] | None = None) -> None:
    """One reader: after `delay` s, reads the pages of `plan` with their assets over one connection; with `thinks`
    (a concurrent reader), opens the connection as it arrives and pauses thinks[i] s after page i (reading it)
    before the next page or leaving. Its session, from arrival to leaving, goes to `out.sessions`."""
    host, port = load.loopback_url(base)
    prefix = base.split(f":{port}", 1)[1]
    if delay:
        await asyncio.sleep(delay)
    arrived = time.perf_counter()
    conn = Connection(host, port, timeout, accept)
    # The content-hashed assets a browser keeps (a year) after its first page; a returning reader holds them all.
    cached: set[str] = {a for _, assets in plan for a in assets} if returning else set()
    try:
        if thinks is not None:
            try:
                await conn.open()
            except (TimeoutError, OSError) as exc:
                out.errors.append(f"connect: {type(exc).__name__}: {exc}")
        for number, (page, assets) in enumerate(plan):
            begun_page = time.perf_counter()
            for path in [page, *(a for a in assets if a not in cached)]:
                begun = time.perf_counter()
                try:
                    answer = await conn.get(prefix + path)
                except (TimeoutError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError,
                        IndexError) as exc:
                    out.errors.append(f"{path}: {type(exc).__name__}: {exc}")
                    await conn.close()
                    continue
                out.requests.append((time.perf_counter() - begun) * 1000)
                wrong = _check(path, answer, files[path])
                if wrong:
                    out.errors.append(wrong)
                out.bytes += len(answer.body)
                out.decoded += len(files[path].data)
                if path != page:
                    cached.add(path)
            out.pages.append((time.perf_counter() - begun_page) * 1000)
            if thinks is not None:
                await asyncio.sleep(thinks[number])
    finally:
        await conn.close()
        out.sessions.append((arrived - started, time.perf_counter() - started))


@contextmanager
def _fast_loop():
    """uvloop's event loop for the load client while it runs (when installed: requirements-dev.txt), so that a
    thousand readers on one Python thread measure the server more than the client's own loop."""
    try:
        import uvloop
    except ImportError:
        yield
        return
    before = asyncio.get_event_loop_policy()
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    try:
        yield
    finally:
        asyncio.set_event_loop_policy(before)


def read_site(base: str, site: Path, *, readers: int, pages_per_reader: int = 3, pages: list[str] | None = None,
              seed: int = 1, timeout: float = 60.0, returning: bool = False, accept: str = BROWSER_ENCODINGS,
              arrival: float = 0.0, think: tuple[float, float] | None = None) -> Readers:
    """`readers` readers on the site served at `base` (a loopback URL ending in /), all at once (or, with `arrival`
    seconds, reader i starting at i*arrival/readers s), each reading `pages_per_reader` pages drawn at random from
    `pages` (default every page of `site`) with their assets (with `returning`, none: the reader's browser holds them
    from an earlier visit), asking for the encodings `accept` (a browser's by default; "identity": none).

    With `think` (a, b): concurrent readers as a load test means them: each opens its connection as it arrives
    (reader i at i*arrival/readers s: `arrival` is then the ramp, a second or so) and after each page pauses a think
    time drawn at random in [a, b] s (seeded; Locust's `wait_time = between(a, b)`), reading it, before its next page
    or leaving; the readers' sessions overlap when the ramp is shorter than a session, as `Readers.overlap` shows."""
    chosen = pages or site_pages(site)
    assets = {page: page_assets(site, page) for page in chosen}
    rng = random.Random(seed)
    plans = [[(p, assets[p]) for p in (rng.choice(chosen) for _ in range(pages_per_reader))] for _ in range(readers)]
    files = _files(site, {path for plan in plans for page, loads in plan for path in (page, *loads)})
    pauses = random.Random(seed + 104729)  # the think times: the pages read stay those of the other runs
    thinks = [[pauses.uniform(*think) for _ in plan] for plan in plans] if think is not None else [None] * readers
    out = Readers(readers, arrival=arrival, think=think)

    async def everyone(started: float) -> None:
        await asyncio.gather(*(_reader(base, files, plan, timeout, out, returning, accept, i * arrival / readers,
                                       started, thinks[i])
                               for i, plan in enumerate(plans)))

    started = time.perf_counter()
    with _fast_loop():
        load.run_async(everyone(started))
    out.seconds = time.perf_counter() - started
    return out


# ---- readers on the app ---------------------------------------------------------------------------------------

def read_app(data: Path, *, readers: int, app_servers: int = 1, seed: int = 1, timeout: float = 120.0) -> Readers:
    """`readers` people opening a page of the app from a random link at the same moment (bench/load.py's live
    sessions), through nginx in front of `app_servers` servers on the store `data`; each page's time to its
    script finished."""
    out = Readers(readers)
    vocab = load.vocabulary(data)
    with servers.start_cluster(app_servers, data) as cluster:
        # A warm-up first (not counted): a freshly started server compiles its store on its first page.
        load.run_step(cluster.url, 3 * app_servers, 0.0, vocab=vocab, seed=seed + 7919, timeout=timeout, ramp=0.0)
        step = load.run_step(cluster.url, readers, 0.0, vocab=vocab, seed=seed, timeout=timeout,
                             ramp=0.0, servers=cluster.server_urls)
    out.pages = [r.ms for s in step.results for r in s.reruns if r.ms is not None]
    out.requests = list(out.pages)
    out.errors = step.errors
    out.bytes = out.decoded = None
    out.seconds = step.seconds
    return out


# ---- 3. the first chart in Chromium ----------------------------------------------------------------------------

@dataclass
class FirstChart:
    """One browser run: seconds from navigation to the first chart a reader sees (the pre-rendered SVG painted, or
    the live chart if it came first) and to the first live (interactive, plotly.js) chart."""

    visible: float
    interactive: float


# In the page, polled at each animation frame: the time (ms from navigation) at which the first chart is on
# screen: an SVG image loaded and laid out, or a chart plotly.js has drawn and shown.
_VISIBLE = """() => {
  const shown = [...document.querySelectorAll('.figure img')].some(i => i.complete && i.naturalWidth > 0
    && i.getBoundingClientRect().height > 0)
    || document.querySelector('.figure[data-drawn] .main-svg');
  return shown ? performance.now() : false;
}"""
_INTERACTIVE = "() => document.querySelector('.figure[data-drawn] .main-svg') ? performance.now() : false"


def first_chart(page: Path, runs: int, timeout: float = 60.0) -> list[FirstChart]:
    """For each of `runs` fresh browser contexts opening `page` (file://): when its first chart became visible and
    when it became interactive.

    Playwright runs in a thread of its own: its sync API refuses a thread where another Playwright (a test
    session's browser) or an event loop is already running."""
    times: list[FirstChart] = []
    failed: list[BaseException] = []

    def measure() -> None:
        try:
            times.extend(_first_chart(page, runs, timeout))
        except BaseException as error:  # raised again in the caller's thread
            failed.append(error)

    worker = threading.Thread(target=measure, name="first-chart")
    worker.start()
    worker.join()
    if failed:
        raise failed[0]
    return times


def _first_chart(page: Path, runs: int, timeout: float) -> list[FirstChart]:
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=BROWSER_ARGS)
        try:
            for _ in range(runs):
                context = browser.new_context(viewport={"width": 1400, "height": 900})
                tab = context.new_page()
                tab.goto(page.resolve().as_uri(), wait_until="commit")
                visible = tab.wait_for_function(_VISIBLE, polling="raf", timeout=timeout * 1000).json_value()
                interactive = tab.wait_for_function(_INTERACTIVE, polling="raf", timeout=timeout * 1000).json_value()
                times.append(FirstChart(visible / 1000, interactive / 1000))
                context.close()
        finally:
            browser.close()
    return times


# ---- the table -------------------------------------------------------------------------------------------------

def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _mb(value: int | None) -> str:
    return "—" if value is None else f"{value / 1e6:.1f}"


def _arrived(r: Readers) -> str:
    if r.think is not None:
        return f"concurrent: connect over {r.arrival:g} s, think {r.think[0]:g}–{r.think[1]:g} s"
    return "all at once" if not r.arrival else f"over {r.arrival:g} s"


def _at_once(r: Readers) -> str:
    return f"{r.overlap:,}" if r.sessions else "—"


def table(builds: list[BuildRow], site: Readers | list[Readers] | None, app: Readers | None,
          charts: list[FirstChart], phases: bool = False) -> str:
    """The benchmark's table, as Markdown (one section per part); `site`: the burst, then any spread or concurrent
    run."""
    lines = ["Build", "", "| SVGs | languages | seconds | CPU s | Chromium CPU s | load (start → end) | pages | files | MB "
             "| SVG files | .gz copies | .gz MB |", "|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {'with' if b.svg else 'without'} | {', '.join(b.languages)} | {b.seconds:.1f} | {b.cpu:.1f} | "
              f"{b.chromium_cpu:.1f} | {b.load[0]:.1f} → {b.load[1]:.1f} | {b.pages:,} | {b.files:,} | {b.mb:.1f} | "
              f"{b.svgs:,} | {b.gz_files:,} | {b.gz_mb:.1f} |" for b in builds]
    lines += ["", "CPU s: this process, every thread (pages, queries, the audit, compression); Chromium CPU s: the "
                  "Chromium that draws the SVGs. The load is the machine's 1-minute average (2 cores: above 2, other "
                  "work shared them)."]
    for b in builds if phases else ():
        lines += ["", f"Build {'with' if b.svg else 'without'} SVGs, step by step (as the build says it starts each; "
                      "the SVGs are drawn beside the pages, the last step waits for those still to draw)", "",
                  "| step | seconds | CPU s |", "|---|---:|---:|"]
        lines += [f"| {p.what} | {p.seconds:.1f} | {p.cpu:.1f} |" for p in b.phases]
    runs = site if isinstance(site, list) else [site] if site is not None else []
    if runs:
        site = runs[0]
        lines += ["", "Readers", "",
                  "| served | readers arrive | readers | on the site at once | what is timed | count | p50 ms | p95 ms "
                  "| max ms | errors | MB on the wire | MB decoded | seconds |",
                  "|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        rows = [row for r in runs for row in (("site (nginx)", r, "request", r.requests),
                                              ("site (nginx)", r, "page + assets", r.pages))]
        if app is not None:
            rows.append(("app (nginx, live sessions)", app, "page opened", app.pages))
        for served, r, what, times in rows:
            lines.append(f"| {served} | {_arrived(r)} | {r.readers:,} | {_at_once(r)} | {what} | {len(times):,} | "
                         f"{_ms(load.percentile(times, 50))} | {_ms(load.percentile(times, 95))} | "
                         f"{_ms(max(times, default=None))} | {len(r.errors):,} | {_mb(r.bytes)} | {_mb(r.decoded)} | "
                         f"{r.seconds:.1f} |")
        lines += ["", "All at once: every reader opens its first page in the same instant (a link sent to everyone at "
                      "once: the worst case)."]
        for r in runs[1:]:
            if r.think is not None:
                lines.append(f"Concurrent: the same {r.readers:,} readers on the site together, as a load test means "
                             f"concurrent users: each connects as the run starts (spread over {r.arrival:g} s) and "
                             f"reads its pages with a pause of {r.think[0]:g}–{r.think[1]:g} s after each (drawn at "
                             f"random); at most {r.overlap:,} were on the site at the same time (measured), all "
                             f"{r.readers:,} of them together for {r.together:.1f} s.")
                continue
            lines.append(f"Over {r.arrival:g} s: the same {r.readers:,} readers arriving evenly spread over "
                         f"{r.arrival:g} s ({r.readers / r.arrival:,.0f} a second), as readers of a shared link do.")
        lines.append("On the site at once: the most readers whose visits (arrival to leaving) held the same instant.")
        if app is not None and site.pages and app.pages:
            ratios = [load.percentile(app.pages, q) / max(load.percentile(site.pages, q), 0.001) for q in (50, 95)]
            lines += ["", f"The app's page over the site's page ({app.readers:,} readers on the app, {site.readers:,} "
                          f"on the site): {ratios[0]:,.1f}× at p50, {ratios[1]:,.1f}× at p95"]
    if charts:
        lines += ["", "First chart (Chromium, file://; seconds from navigation)", "",
                  "| what | runs | median s | min s | max s |", "|---|---:|---:|---:|---:|"]
        for what, seconds in (("first chart visible (SVG or plotly)", [c.visible for c in charts]),
                              ("first chart interactive (plotly)", [c.interactive for c in charts])):
            lines.append(f"| {what} | {len(seconds)} | {statistics.median(seconds):.2f} | {min(seconds):.2f} | "
                         f"{max(seconds):.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT / "data", help="the data store (default data/)")
    parser.add_argument("--programme", help="the programme published (default the store's default programme)")
    parser.add_argument("--readers", type=int, default=1000, help="readers at once on the site (default 1000)")
    parser.add_argument("--pages-per-reader", type=int, default=3, help="pages each reader reads (default 3)")
    parser.add_argument("--returning", action="store_true",
                        help="site readers whose browser already holds the hashed assets (pages only); default: an "
                             "empty cache, every asset fetched once per reader")
    parser.add_argument("--arrival-seconds", type=float, default=0.0, metavar="S",
                        help="also run the same readers arriving evenly over S seconds, printed beside the burst "
                             "(default 0: the burst only, every reader in the same instant; the burst always runs)")
    parser.add_argument("--think-seconds", type=float, nargs=2, metavar=("A", "B"),
                        help="also run the same readers concurrently, as load tests mean it: all on the site for the "
                             "whole run, each connecting as it starts (over --ramp-seconds) and pausing a think time "
                             "drawn at random between A and B seconds after each page; printed beside the burst "
                             "with the most readers measured on the site at once (e.g. 2 8)")
    parser.add_argument("--ramp-seconds", type=float, default=1.0, metavar="R",
                        help="with --think-seconds: the readers connect spread evenly over R seconds (default 1)")
    parser.add_argument("--uncompressed", action="store_true",
                        help="site readers whose client asks for no compression (Accept-Encoding: identity); "
                             "default: a browser's gzip, deflate, br")
    parser.add_argument("--app-readers", type=int, default=50, help="readers at once on the app (default 50; 0 skips)")
    parser.add_argument("--app-servers", type=int, default=1, help="app servers behind nginx (default 1)")
    parser.add_argument("--runs", type=int, default=5, help="browser runs for the first chart (default 5; 0 skips)")
    parser.add_argument("--quick", action="store_true",
                        help="tiny numbers (20 site readers, 2 app readers, 1 browser run): proves it works")
    parser.add_argument("--seed", type=int, default=1, help="random seed (pages read, app links)")
    parser.add_argument("--lang", default=None, metavar="CODES",
                        help="the site's languages, as publish --lang (e.g. en or en,fr); default: as the command, "
                             "every language the programme's definition has translations for (HPS: en, fr, pt)")
    parser.add_argument("--phases", action="store_true",
                        help="also print each build step by step: seconds and CPU seconds per step")
    parser.add_argument("--build-only", dest="build_only", action="store_true",
                        help="the builds only (with and without SVGs): no readers, no app, no browser")
    args = parser.parse_args(argv)
    if args.quick:
        args.readers, args.app_readers, args.runs, args.pages_per_reader = 20, 2, 1, 2
    if args.readers < 1 or args.app_readers < 0 or args.runs < 0 or args.pages_per_reader < 1:
        parser.error("--readers and --pages-per-reader: at least 1; --app-readers and --runs: 0 or more")
    if not 0 <= args.arrival_seconds <= 3600:
        parser.error("--arrival-seconds: 0 to 3600")
    if args.think_seconds is not None and not 0 <= args.think_seconds[0] <= args.think_seconds[1] <= 60:
        parser.error("--think-seconds A B: 0 <= A <= B <= 60 (a reader's connection stays open between its pages; "
                     "nginx closes one idle for 75 s)")
    if not 0 <= args.ramp_seconds <= 600:
        parser.error("--ramp-seconds: 0 to 600")
    if not 1 <= args.app_servers <= 8:
        parser.error("--app-servers: 1 to 8")
    from impact.storage import store

    programme = args.programme or store.default_programme(args.data)
    if programme not in store.programmes(args.data):
        parser.error(f"--programme {programme!r}: the store {args.data} holds {', '.join(store.programmes(args.data))}")
    from impact.model import i18n

    languages = [c.strip() for c in args.lang.split(",") if c.strip()] if args.lang else None
    if languages is not None and any(c not in i18n.LANGUAGES for c in languages):
        parser.error(f"--lang {args.lang!r}: the site's languages are {', '.join(i18n.LANGUAGES)}")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)  # a socket per reader, and nginx's (it inherits it)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 2 * args.readers + 1024)), hard))

    with tempfile.TemporaryDirectory(prefix="impact-pubbench-site-") as scratch:
        builds = []
        for svg in (True, False):
            print(f"building the site of {programme} {'with' if svg else 'without'} SVGs…", file=sys.stderr)
            builds.append(build_site(Path(scratch) / ("svg" if svg else "plain"), data=args.data,
                                     programme=programme, svg=svg, languages=languages))
        if args.build_only:
            print(table(builds, None, None, [], phases=args.phases))
            return 0
        site = Path(scratch) / "plain"
        accept = "identity" if args.uncompressed else BROWSER_ENCODINGS
        readers = []
        with serve_site(site) as base:
            runs = [(0.0, None)] + ([(args.arrival_seconds, None)] if args.arrival_seconds else []) + \
                ([(args.ramp_seconds, tuple(args.think_seconds))] if args.think_seconds else [])
            for arrival, think in runs:
                how = _arrived(Readers(args.readers, arrival=arrival, think=think))
                print(f"{args.readers} {'returning ' if args.returning else ''}readers on the site through nginx, "
                      f"{how}…", file=sys.stderr)
                readers.append(read_site(base, site, readers=args.readers, pages_per_reader=args.pages_per_reader,
                                         seed=args.seed, returning=args.returning, accept=accept, arrival=arrival,
                                         think=think))
        app = None
        if args.app_readers:
            print(f"{args.app_readers} readers on the app ({args.app_servers} server(s) behind nginx)…",
                  file=sys.stderr)
            app = read_app(args.data, readers=args.app_readers, app_servers=args.app_servers, seed=args.seed)
        charts = []
        if args.runs:
            print(f"first chart in Chromium, {args.runs} run(s)…", file=sys.stderr)
            charts = first_chart(Path(scratch) / "svg" / programme / "index.html", args.runs)
        print(table(builds, readers, app, charts, phases=args.phases))
        for what, r in [*((f"site ({_arrived(r)})", r) for r in readers), ("app", app)]:
            for error in (r.errors if r else [])[:5]:
                print(f"{what} error: {error}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
