"""The deployment's proxy (deploy/nginx.conf.template, the config the tests run) serves a published site as plain
files (hashed assets cached for a year, pages for minutes; a silent app server is tested in tests/test_servers.py), and
`publish --to` uploads the site to a bucket."""

from __future__ import annotations

import http.server
import shutil
import tempfile
import threading
import urllib.request
from pathlib import Path

import pytest

from bench import servers
from impact.publish import site
from tests.conftest import ROOT

needs_nginx = pytest.mark.skipif(not Path(servers.NGINX).exists(),
                                 reason=f"nginx is not installed at {servers.NGINX} (apt-get install -y nginx)")


@needs_nginx
def test_the_proxy_serves_a_published_site_with_its_cache_headers():
    # Not pytest's tmp_path: its parents are private to root, and nginx's workers (nobody) must reach public/.
    workdir = Path(tempfile.mkdtemp(prefix="impact-public-"))
    healthy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), servers.Answering)
    threading.Thread(target=healthy.serve_forever, daemon=True).start()
    proxy = None
    try:
        built = site.build(workdir / "nginx" / "public", data_dir=ROOT / "data", programmes=["gsp"], svg=False)
        for path in [built.out, *built.out.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        proxy, url = servers.start_proxy([f"127.0.0.1:{healthy.server_port}"], workdir)
        with urllib.request.urlopen(f"{url}/public/gsp/index.html", timeout=5) as page:
            assert page.status == 200 and b"Global Stewardship" in page.read()
            assert "max-age=300" in page.headers["Cache-Control"]
        asset = next((built.out / "assets").glob("plotly.*.min.js")).name
        with urllib.request.urlopen(f"{url}/public/assets/{asset}", timeout=5) as script:
            assert script.headers.get_all("Cache-Control") == ["public, max-age=31536000, immutable"]
    finally:
        if proxy is not None:
            servers.stop(proxy)
        healthy.shutdown()
        shutil.rmtree(workdir, ignore_errors=True)


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
