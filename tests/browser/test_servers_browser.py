"""Three servers behind nginx on an S3 store, in a real browser: the page works through the proxy (websocket
upgraded), an administrator's upload reaches the server holding the session (sticky), and the import it
makes is picked up by every server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench import load, servers
from impact.app import auth
from impact.ingest import extract_io
from impact.storage import store
from tests.browser.conftest import admin_signs_in, press, upload, wait_for_app
from tests.data_helpers import read_rows, write_rows
from tests.test_servers import _versions_served

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a long admin password for tests"


@pytest.mark.skipif(not Path(servers.NGINX).exists(), reason=f"nginx is not installed at {servers.NGINX}")
def test_upload_through_the_proxy_reaches_every_server(browser, s3_server, tmp_path):  # noqa: F811 (fixture)
    url = s3_server.url()
    env = {**os.environ, **s3_server.env, "IMPACT_DATA_DIR": url, "IMPACT_CACHE_DIR": str(tmp_path / "seed-cache")}
    seeded = subprocess.run([sys.executable, "deploy/seed.py"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    exported = tmp_path / "csv"
    extract_io.export_extract("csv", exported, store.open_store(ROOT / "data"))
    rows = read_rows(exported / "training.csv")
    rows[1][rows[0].index("trainees")] = str(int(rows[1][rows[0].index("trainees")]) + 1)
    good = write_rows(tmp_path / "in" / "training.csv", rows)

    extra = {**s3_server.env, auth.HASH_ENV: auth.hash_password(PASSWORD)}
    with servers.start_cluster(3, url, env=extra) as cluster:
        vocab = load.vocabulary(ROOT / "data")
        before = set(_versions_served(cluster, vocab).values())
        assert before == {"base"}
        context = browser.new_context(viewport={"width": 1500, "height": 1000})
        page = context.new_page()
        page.goto(f"{cluster.url}/", wait_until="networkidle")
        wait_for_app(page)
        page.goto(f"{cluster.url}/data", wait_until="networkidle")
        wait_for_app(page)
        assert any(c["name"] == "impact_route" for c in context.cookies())
        admin_signs_in(page, PASSWORD)
        uploader = page.locator("[data-testid='stFileUploader']").filter(has_text="Extract files")
        uploader.wait_for(timeout=30_000)
        upload(page, uploader, good)
        press(page.get_by_role("button", name="Check and import"))
        page.get_by_text(re.compile("No problems found")).wait_for(timeout=60_000)
        assert not page.locator("[data-testid='stException']").count()
        context.close()

        time.sleep(1.5)  # one poll (IMPACT_S3_POLL_SECONDS) and a little
        after = set(_versions_served(cluster, vocab).values())
        assert len(after) == 1 and after != before, after
