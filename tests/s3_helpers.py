"""A local S3 server for the tests: moto's server mode (moto[server] from PyPI) on a free loopback port.

The store code talks to it exactly as to a cloud bucket (endpoint, credentials and region from the
environment). Tests that need it are skipped, with the reason, only when moto is not installed.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass

import pytest

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "impact-test", "AWS_SECRET_ACCESS_KEY": "impact-test-secret",
               "AWS_REGION": "us-east-1"}


@dataclass
class S3Server:
    endpoint: str
    bucket: str

    @property
    def env(self) -> dict[str, str]:
        """What a process needs to reach the bucket (as a deployment sets it)."""
        return {"IMPACT_S3_ENDPOINT": self.endpoint, **CREDENTIALS}

    def url(self, prefix: str = "") -> str:
        """A fresh store address in the bucket (its own prefix, so tests never share objects)."""
        return f"s3://{self.bucket}/{prefix or uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 server on 127.0.0.1 (in memory), with one bucket; stopped after the session."""
    try:
        import moto  # noqa: F401
    except ImportError:
        pytest.skip("moto is not installed (pip install -r requirements-dev.txt): no local S3 server to test against")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while True:
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2)
            break
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("moto_server did not start") from None
            time.sleep(0.2)
    import boto3

    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                 aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
                 aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"]).create_bucket(Bucket="impact-store")
    yield S3Server(endpoint, "impact-store")
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def s3_env(s3_server, monkeypatch, tmp_path):
    """This process pointed at the local S3 server, with a cache folder of its own and no poll delay."""
    for key, value in s3_server.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("IMPACT_CACHE_DIR", str(tmp_path / "cache-a"))
    monkeypatch.setenv("IMPACT_S3_POLL_SECONDS", "0")
    return s3_server


def programme_on_s3(s3: S3Server, fixture_dir) -> tuple[str, str]:
    """A fresh S3 store holding the fixture extract, imported as the product imports it: its address and the
    programme's id."""
    from impact.ingest import extract_io
    from impact.model import programme as programmes

    url = s3.url()
    result = extract_io.import_extract(fixture_dir, url)
    assert result.ok, result.report.to_text()
    return url, programmes.load(fixture_dir).id


def as_server(monkeypatch, cache: os.PathLike) -> None:
    """Act as another server from here on: its own cache folder (its own mirror and compiled files)."""
    monkeypatch.setenv("IMPACT_CACHE_DIR", str(cache))
