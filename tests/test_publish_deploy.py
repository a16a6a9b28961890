"""The deployment's proxy (deploy/nginx.conf.template, the config the tests run): it serves a published site as
plain files (hashed assets cached for a year, pages for minutes), and a server that stops answering — one whose
connections are never taken, as when its machine is gone — costs a request about 2 s, not nginx's default 60 s,
before the request goes to the next server."""

from __future__ import annotations

import http.server
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from bench import servers
from impact.publish import site
from tests.conftest import ROOT
from tests.s3_helpers import s3_server  # noqa: F401 (fixture)

needs_nginx = pytest.mark.skipif(not Path(servers.NGINX).exists(),
                                 reason=f"nginx is not installed at {servers.NGINX} (apt-get install -y nginx)")


class _Answer(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def _silent_server() -> tuple[socket.socket, list[socket.socket], str]:
    """A port whose connections are never taken: its one-place queue is full, so new connections go unanswered."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(0)
    address = silent.getsockname()
    fillers = []
    for _ in range(8):
        filler = socket.socket()
        filler.settimeout(0.5)
        try:
            filler.connect(address)
        except OSError:
            filler.close()
            break
        fillers.append(filler)
    return silent, fillers, f"{address[0]}:{address[1]}"


@needs_nginx
def test_the_proxy_serves_a_published_site_and_leaves_a_silent_server_in_seconds():
    # Not pytest's tmp_path: its parents are private to root, and nginx's workers (nobody) must reach public/.
    workdir = Path(tempfile.mkdtemp(prefix="impact-public-"))
    healthy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    threading.Thread(target=healthy.serve_forever, daemon=True).start()
    silent, fillers, dead = _silent_server()
    prefix = workdir / "nginx"
    (prefix / "tmp").mkdir(parents=True)
    for folder in (workdir, prefix, prefix / "tmp"):
        folder.chmod(0o755)
    built = site.build(prefix / "public", data_dir=ROOT / "data", programmes=["gsp"], svg=False)
    for path in [built.out, *built.out.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    listen = servers.free_port()
    (prefix / "nginx.conf").write_text(servers.render_nginx([dead, f"127.0.0.1:{healthy.server_port}"],
                                                            f"127.0.0.1:{listen}"), encoding="utf-8")
    with open(prefix / "nginx.log", "ab") as log:
        proxy = subprocess.Popen([servers.NGINX, "-p", str(prefix), "-c", "nginx.conf", "-g", "daemon off;"],
                                 stdout=log, stderr=log)
    try:
        url = f"http://127.0.0.1:{listen}"
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"{url}/public/index.html", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        with urllib.request.urlopen(f"{url}/public/gsp/index.html", timeout=5) as page:
            assert page.status == 200 and b"Global Stewardship" in page.read()
            assert "max-age=300" in page.headers["Cache-Control"]
        asset = next((built.out / "assets").glob("plotly.*.min.js")).name
        with urllib.request.urlopen(f"{url}/public/assets/{asset}", timeout=5) as script:
            assert script.headers.get_all("Cache-Control") == ["public, max-age=31536000, immutable"]
        tried_both = None
        for n in range(40):  # browsers with different routes: about half are hashed to the silent server first
            request = urllib.request.Request(f"{url}/_stcore/health", headers={"Cookie": f"impact_route=r{n}"})
            started = time.perf_counter()
            with urllib.request.urlopen(request, timeout=30) as response:
                took = time.perf_counter() - started
                assert response.status == 200
                upstreams = response.headers["X-Impact-Upstream"]
            if dead in upstreams:
                tried_both = (upstreams, took)
                break
        assert tried_both is not None, "no request was routed to the silent server first"
        upstreams, took = tried_both
        assert upstreams.endswith(f"127.0.0.1:{healthy.server_port}")  # it moved on to the healthy server
        print(f"a request routed to the silent server answered by the next one after {took:.1f} s")
        assert 1.5 <= took < 5
    finally:
        servers.stop(proxy)
        healthy.shutdown()
        for s in (silent, *fillers):
            s.close()
        shutil.rmtree(workdir, ignore_errors=True)


def _patterns(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]


def test_the_build_context_leaves_out_the_checkout_with_or_without_buildkit():
    root, buildkit = _patterns(ROOT / ".dockerignore"), _patterns(ROOT / "deploy" / "Dockerfile.dockerignore")
    assert root == buildkit
    assert {".git", ".venv", "bench", "tests", "node_modules"} <= set(root)
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    copied = {source.split("/")[0] for source in re.findall(r"^COPY (\S+) ", dockerfile, flags=re.M)}
    assert not copied & set(root)  # nothing the image copies is left out


# ---- publish --to s3://… (moto's S3 server standing in for a bucket) -------------------------------------------------

@pytest.fixture
def bucket(s3_server, monkeypatch):  # noqa: F811 (the fixture imported below)
    for key, value in s3_server.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    return s3_server


def _objects(url: str) -> dict[str, bytes]:
    from impact.storage import remote

    where = remote.parse(url)
    return {rel: remote.client().get_object(Bucket=where.bucket, Key=where.key(rel))["Body"].read()
            for rel in remote.listing(where)}


def test_publish_to_a_bucket_leaves_it_equal_to_the_site_and_keeps_old_assets(bucket, tmp_path, capsys):
    from impact import cli
    from impact.storage import remote

    url = bucket.url()
    out = tmp_path / "site"
    assert cli.main(["publish", "--out", str(out), "--to", url, "--programme", "gsp", "--no-svg",
                     "--data-dir", str(ROOT / "data")]) == 0
    assert "uploaded" in capsys.readouterr().out
    local = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*")
             if p.is_file() and not p.name.startswith(".")}
    assert _objects(url) == local
    where = remote.parse(url)
    asset = next(rel for rel in local if rel.startswith("assets/plotly."))
    head = remote.client().head_object(Bucket=where.bucket, Key=where.key(asset))
    assert head["CacheControl"] == "public, max-age=31536000, immutable"
    page = remote.client().head_object(Bucket=where.bucket, Key=where.key("gsp/index.html"))
    assert page["CacheControl"] == "public, max-age=300" and page["ContentType"].startswith("text/html")
    # A later publication: a page the new site no longer has goes; an old asset a cached page may link stays.
    remote.write_bytes(where, "gsp/projects/GONE-1.html", b"<p>an old project</p>")
    remote.write_bytes(where, "assets/site.000000000000.css", b"/* last month's */")
    assert cli.main(["publish", "--to", url, "--programme", "gsp", "--no-svg", "--data-dir", str(ROOT / "data")]) == 0
    after = _objects(url)
    assert "gsp/projects/GONE-1.html" not in after and "assets/site.000000000000.css" in after
    assert {rel: data for rel, data in after.items() if rel != "assets/site.000000000000.css"}.keys() == local.keys()


def test_publish_to_something_that_is_not_a_bucket_is_refused(capsys):
    from impact import cli

    assert cli.main(["publish", "--to", "ftp://example.org/x"]) == 2
    assert "--to 'ftp://example.org/x'" in capsys.readouterr().err
    assert cli.main(["publish"]) == 2
    assert "--out DIR" in capsys.readouterr().err
