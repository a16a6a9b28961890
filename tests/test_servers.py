"""Several servers over one data store behind nginx: sticky sessions, websockets through the proxy, and an
import or rollback from the command line picked up by every server on its next run, with no reader error."""

from __future__ import annotations

import contextlib
import http.server
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from bench import load, servers
from impact.storage import store

ROOT = Path(__file__).resolve().parent.parent

needs_nginx = pytest.mark.skipif(not Path(servers.NGINX).exists(),
                                 reason=f"nginx is not installed at {servers.NGINX} (apt-get install -y nginx)")


def test_deploy_config_is_the_template_the_tests_run():
    """deploy/nginx.conf is rendered from the same template as the proxy below: regenerate it if this fails
    (python -m bench.servers --write-deploy-conf)."""
    assert servers.DEPLOY_CONF.read_text(encoding="utf-8") == servers.render_nginx(servers.DEPLOY_SERVERS,
                                                                                  servers.DEPLOY_LISTEN)
    text = servers.render_nginx(["127.0.0.1:1", "127.0.0.1:2"], "127.0.0.1:3")
    assert "{{" not in text and "server 127.0.0.1:2 max_fails=1 fail_timeout=10s;" in text and "listen 127.0.0.1:3 backlog=4096;" in text
    assert "proxy_set_header Upgrade $http_upgrade;" in text and "hash $impact_route consistent;" in text
    assert "proxy_connect_timeout 2s;" in text  # not nginx's default 60 s (see the test with a silent server)


def _upstream(url: str, cookie: str | None = None) -> tuple[str, str]:
    request = urllib.request.Request(f"{url}/_stcore/health", headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=5) as response:
        cookies = [v for k, v in response.headers.items() if k.lower() == "set-cookie" and v.startswith("impact_route=")]
        return response.headers["X-Impact-Upstream"], cookies[0].split(";")[0] if cookies else ""


def _impact(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "impact", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**os.environ})


def _versions_served(cluster, vocab) -> dict[str, str]:
    """The data version each server's page names, one short session straight to each."""
    out = {}
    for url in cluster.server_urls:
        step = load.run_step(url, 1, 0.1, vocab=vocab, seed=7, pages=("overview",), timeout=40)
        assert step.errors == []
        out[cluster.upstream(url)] = step.results[0].reruns[0].version
    return out


@needs_nginx
def test_three_servers_behind_nginx_pick_up_an_import_and_a_rollback(tmp_path):
    data = Path(shutil.copytree(ROOT / "data", tmp_path / "store"))
    vocab = load.vocabulary(data)
    with servers.start_cluster(3, data) as cluster:
        upstreams = {cluster.upstream(u) for u in cluster.server_urls}
        # Sticky: the cookie set on the first answer brings every later request to the same server.
        first, cookie = _upstream(cluster.url)
        assert first in upstreams and cookie.startswith("impact_route=")
        assert {_upstream(cluster.url, cookie)[0] for _ in range(8)} == {first}
        assert len({_upstream(cluster.url)[0] for _ in range(30)}) > 1  # without a cookie, spread over servers

        imported = load.ImportRun(data, str(data), at=4)
        step = load.run_step(cluster.url, 9, 14, vocab=vocab, seed=11, think=(0.4, 1.2), timeout=40,
                             imported=imported, servers=sorted(upstreams), server_pid=cluster.pids,
                             pages=("overview", "countries", "workforce"))
        assert imported.code == 0, imported.output
        assert step.errors == []
        assert {r.upstream for r in step.results} <= upstreams
        switch = step.switch()
        assert switch["stale"] == 0, switch  # every rerun that started after the import showed the new version
        new = imported.version
        assert store.open_store(data).active().version == new
        assert set(_versions_served(cluster, vocab).values()) == {new}  # every server, even one no session hit

        rolled = _impact("rollback", store.BASE_VERSION, "--data-dir", str(data))
        assert rolled.returncode == 0, rolled.stderr
        assert set(_versions_served(cluster, vocab).values()) == {store.BASE_VERSION}


def test_version_switch_counts_stale_reruns_and_servers():
    def session(upstream, *reruns):
        return load.SessionResult([load.Rerun("filter", "p", 100.0, [], v, t) for t, v in reruns], [], upstream)

    results = [session("a", (1.0, "old"), (5.0, "new"), (7.0, "new")), session("b", (6.0, "old"), (8.0, "new"))]
    sw = load.version_switch(results, done=4.0, new="new", servers=["a", "b", "c"])
    assert sw["stale"] == 1 and sw["after"] == 4 and sw["on_new"] == 2 and sw["missing"] == ["c"]
    assert sw["seconds"] is None
    sw = load.version_switch(results, done=4.0, new="new", servers=["a", "b"])
    assert sw["seconds"] == pytest.approx(8.1 - 4.0)


@needs_nginx
def test_servers_over_an_s3_store_pick_up_an_import(s3_server, tmp_path):  # noqa: F811 (fixture)
    """The same over moto's S3 server: each server mirrors the store into its own cache folder; an import
    from the command line reaches every server within one poll (IMPACT_S3_POLL_SECONDS, 1 s)."""
    url = s3_server.url()
    env = {**os.environ, **s3_server.env, "IMPACT_CACHE_DIR": str(tmp_path / "cli-cache")}
    env.pop("AWS_ENDPOINT_URL", None)
    seeded = subprocess.run([sys.executable, "-m", "impact", "import", str(ROOT / "data"), "--data-dir", url],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    vocab = load.vocabulary(ROOT / "data")
    with servers.start_cluster(2, url, env={**s3_server.env, "IMPACT_S3_POLL_SECONDS": "1"}) as cluster:
        upstreams = sorted(cluster.upstream(u) for u in cluster.server_urls)
        imported = load.ImportRun(ROOT / "data", url, at=3)
        old_environ = dict(os.environ)
        os.environ.update({**s3_server.env, "IMPACT_CACHE_DIR": str(tmp_path / "cli-cache")})
        try:
            step = load.run_step(cluster.url, 6, 15, vocab=vocab, seed=5, think=(0.4, 1.2), timeout=40,
                                 imported=imported, servers=upstreams, pages=("overview", "countries"))
        finally:
            os.environ.clear()
            os.environ.update(old_environ)
        assert imported.code == 0, imported.output
        assert step.errors == []
        poll = 1.5  # a rerun may start within one poll of the import and still show the old version
        late = [r for res in step.results for r in res.reruns if r.ms is not None and r.started > imported.done + poll]
        assert all(r.version == imported.version for r in late)  # (how many depends on the machine's load)
        assert set(_versions_served(cluster, vocab).values()) == {imported.version}


@contextlib.contextmanager
def _silent_server():
    """A listening address that never accepts a connection, like a server whose host has gone: its accept queue is
    kept full, so the kernel drops every further connection attempt and a client waits until its own timeout."""
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(0)
    fillers = []
    try:
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(hole.getsockname())
            fillers.append(filler)
        probe = socket.socket()
        probe.settimeout(1.5)
        with pytest.raises(TimeoutError):  # the premise: a connection to it hangs rather than being refused
            probe.connect(hole.getsockname())
        probe.close()
        yield "%s:%d" % hole.getsockname()
    finally:
        for filler in fillers:
            filler.close()
        hole.close()


@needs_nginx
def test_a_server_that_stops_answering_is_passed_over_within_seconds(tmp_path):
    """Behind the deploy proxy, a request routed to a server that no longer accepts connections reaches a live
    one after the 2 s connect timeout (nginx's default would stall it 60 s), and the silent server is then left
    out: every request answers, the first ones routed to it within seconds."""
    live = http.server.ThreadingHTTPServer(("127.0.0.1", 0), servers.Answering)
    threading.Thread(target=live.serve_forever, daemon=True).start()
    proxy = None
    try:
        with _silent_server() as silent:
            proxy, url = servers.start_proxy([silent, "%s:%d" % live.server_address], tmp_path)
            passed_over, slowest = 0, 0.0
            for route in range(12):  # each route is hashed to one of the two servers: about half to the silent one
                request = urllib.request.Request(f"{url}/", headers={"Cookie": f"impact_route=route-{route}"})
                started = time.monotonic()
                with urllib.request.urlopen(request, timeout=30) as answer:
                    assert answer.status == 200 and answer.read() == b"ok"
                    tried = answer.headers["X-Impact-Upstream"]
                slowest = max(slowest, time.monotonic() - started)
                passed_over += silent in tried
            log = (tmp_path / "nginx" / "nginx.log").read_text(encoding="utf-8")
            # The silent server was tried (by one of these requests, or by the proxy's first health check, after
            # which it is left out for 10 s) and timed out while connecting; every request was answered all the same.
            assert passed_over >= 1 or "while connecting to upstream" in log and silent in log, log[-600:]
            assert slowest < 15, f"a request waited {slowest:.0f} s for the silent server"
    finally:
        if proxy is not None:
            servers.stop(proxy)
        live.shutdown()


def test_deploy_folder_matches_the_tested_setup():
    """The compose file's app services are the proxy's upstreams; the image installs what the app needs."""
    compose = (ROOT / "deploy" / "compose.yaml").read_text(encoding="utf-8")
    for address in servers.DEPLOY_SERVERS:
        assert f"\n  {address.split(':')[0]}: *app\n" in compose
    assert "IMPACT_DATA_DIR: s3://" in compose and "target: proxy" in compose
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    for needed in ("chromium", "fonts-liberation", "fonts-dejavu-core", "pip install --no-cache-dir -r requirements.txt",
                   "COPY deploy/nginx.conf", "streamlit\", \"run\", \"app.py\""):
        assert needed in dockerfile, needed
    copied = set(re.findall(r"^COPY (\S+) ", dockerfile, flags=re.M))
    assert {"impact", "pages", "queries", "static", "data", ".streamlit"} <= copied


def test_a_rerun_records_the_data_version_the_page_names():
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    from tests.test_load import FakeStream, _finished

    caption = ForwardMsg()
    caption.delta.new_element.markdown.body = r"Health Partnership Scheme · data version 20261202\-135129\-410a4ed0"

    async def scenario():
        stream = FakeStream([[caption, _finished()], [_finished()]])
        session = load.LiveSession(stream)
        return [await session.rerun("open", query_string="", timeout=2) for _ in range(2)]

    named, silent = load.run_async(scenario())
    assert named.version == "20261202-135129-410a4ed0" and named.started > 0
    assert silent.version == ""  # a run that names no version records none (not the last one's)


def test_the_build_context_leaves_out_a_developers_checkout():
    """The root .dockerignore (read with or without BuildKit) keeps the history, environments, tests, benchmark
    extracts and every piece of store state a local import writes (those .gitignore lists) out of the image."""
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
               if line.strip() and not line.startswith("#")}
    assert {".git", ".venv", "node_modules", "tests", "bench"} <= ignored
    state = {line.strip().rstrip("/") for line in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
             if line.startswith("data/")}
    assert state and state <= ignored, sorted(state - ignored)
    assert not (ROOT / "deploy" / "Dockerfile.dockerignore").exists()  # one ignore file, not two that drift
