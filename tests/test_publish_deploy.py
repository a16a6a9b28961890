"""The deployment's proxy (deploy/nginx.conf.template, the config the tests run) serves a published site as plain
files (hashed assets cached for a year, pages for minutes; a silent app server is tested in tests/test_servers.py), and
`publish --to` uploads the site to a bucket."""

from __future__ import annotations

import http.server
import shutil
import tempfile
import threading
import urllib.request
import zlib
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
            # A client that asks for no compression (urllib sends no Accept-Encoding) gets the plain file.
            assert script.headers["Content-Encoding"] is None and script.headers["Content-Type"] == "text/javascript"
            assert script.read() == (built.out / "assets" / asset).read_bytes()
        # A browser's request: the precompressed copy as it is, said to be gzip, its cache told to vary on the ask.
        asks = {"Accept-Encoding": "gzip, deflate, br, zstd"}
        with urllib.request.urlopen(urllib.request.Request(f"{url}/public/assets/{asset}", headers=asks),
                                    timeout=5) as script:
            body = script.read()
            assert script.headers["Content-Encoding"] == "gzip" and script.headers["Vary"] == "Accept-Encoding"
            assert script.headers.get_all("Cache-Control") == ["public, max-age=31536000, immutable"]
            assert body == (built.out / "assets" / f"{asset}.gz").read_bytes()
            assert zlib.decompress(body, 16 + zlib.MAX_WBITS) == (built.out / "assets" / asset).read_bytes()
            assert len(body) < 0.4 * (built.out / "assets" / asset).stat().st_size
        css = next((built.out / "assets").glob("site.*.css")).name
        with urllib.request.urlopen(urllib.request.Request(f"{url}/public/assets/{css}", headers=asks),
                                    timeout=5) as sheet:
            assert sheet.headers["Content-Type"] == "text/css"  # a stylesheet sent as text/plain would be refused
            assert zlib.decompress(sheet.read(), 16 + zlib.MAX_WBITS) == (built.out / "assets" / css).read_bytes()
        # A page and a chart's CSV: compressed for the browser that asks, with the pages' short cache.
        for path in ("gsp/index.html", "gsp/charts/trainees_by_country.csv"):
            with urllib.request.urlopen(urllib.request.Request(f"{url}/public/{path}", headers=asks),
                                        timeout=5) as answer:
                body = answer.read()
                assert "max-age=300" in answer.headers["Cache-Control"]
                if (built.out / path).stat().st_size >= 1024:
                    assert answer.headers["Content-Encoding"] == "gzip", path
                    body = zlib.decompress(body, 16 + zlib.MAX_WBITS)
                assert body == (built.out / path).read_bytes(), path
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
    # The bucket holds the site's files (the .gz copies are not objects of their own: a bucket cannot choose by what
    # the browser accepts); an asset's object is its gzip body, said to be so, which decodes to the file.
    local = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*")
             if p.is_file() and not p.name.startswith(".") and p.suffix != ".gz"}
    assert any((out / f"{rel}.gz").is_file() for rel in local if not rel.startswith("assets/"))
    where = remote.parse(url)
    objects = _objects(url)
    assert objects.keys() == local.keys()
    for rel, data in objects.items():
        head = remote.client().head_object(Bucket=where.bucket, Key=where.key(rel))
        if rel.startswith("assets/") and len(local[rel]) >= 1024:
            assert head.get("ContentEncoding") == "gzip", rel
            assert data == (out / f"{rel}.gz").read_bytes() and zlib.decompress(data, 16 + zlib.MAX_WBITS) == local[rel]
        else:
            assert head.get("ContentEncoding") is None and data == local[rel], rel
    asset = next(rel for rel in local if rel.startswith("assets/plotly."))
    head = remote.client().head_object(Bucket=where.bucket, Key=where.key(asset))
    assert head["CacheControl"] == "public, max-age=31536000, immutable" and head["ContentType"].startswith(
        "text/javascript") and head["ContentLength"] < 0.4 * len(local[asset])
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
