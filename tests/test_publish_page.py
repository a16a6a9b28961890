"""Publishing the public site from the Data page: a preview first (its pages and data versions), then the very site
previewed published to the server's folder, equal to what `python -m impact publish` builds from the same version;
refused when the data changed since the preview; a .zip without a configured place; nothing for a non-administrator."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from impact.app import auth, publish_view
from impact.ingest import extract_io
from impact.publish import preview
from impact.storage import audit, store
from tests.conftest import ROOT
from tests.data_helpers import read_rows, write_rows

PASSWORD = "publish the public site"


@pytest.fixture
def admin_store(data_store, csv_extract, tmp_path, monkeypatch):
    """The app on a fresh store with a second version imported, and an administrator password."""
    rows = read_rows(csv_extract / "partnership_scores.csv")
    rows[1][2] = "1" if rows[1][2] != "1" else "2"
    write_rows(tmp_path / "in" / "partnership_scores.csv", rows)
    assert extract_io.import_extract(tmp_path / "in", data_store).ok
    monkeypatch.setenv("IMPACT_DATA_DIR", str(data_store))
    monkeypatch.setenv(auth.HASH_ENV, auth.hash_password(PASSWORD))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield data_store
    st.cache_data.clear()
    st.cache_resource.clear()


def _app(secrets: dict | None = None, sign_in: bool = True) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    for key, value in (secrets or {}).items():
        at.secrets[key] = value
    at.run()
    at.switch_page("pages/data.py")
    at.run()
    if sign_in:
        at.text_input(key="admin_password").input(PASSWORD)
        _click(at, "Sign in")
    assert not at.exception, [e.value for e in at.exception]
    return at


def _click(at: AppTest, label: str) -> None:
    next(b for b in at.button if b.label == label).click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]


def _labels(at: AppTest) -> set[str]:
    return {b.label for b in at.button}


def _table(at: AppTest, columns: list[str]):
    """The table on the page with these columns (AppTest gives a dataframe no key)."""
    return next(d.value for d in at.dataframe if list(d.value.columns) == columns)


FACTS = ["programme", "name", "data version", "licence", "small numbers"]


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def _command_build(root: Path, out: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "impact", "publish", "--data-dir", str(root), "--out", str(out),
                          "--no-svg"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr


def test_a_preview_then_publish_writes_the_site_the_command_builds(admin_store, tmp_path):
    out = tmp_path / "srv" / "site"
    at = _app({"publish": {"out": str(out)}})
    assert "Publish" not in _labels(at)  # nothing to publish before a preview
    _click(at, "Build a preview")
    held = store.open_store(admin_store, None)
    version = held.active().version
    facts = _table(at, FACTS)
    assert facts["data version"].tolist() == [version] and version != store.BASE_VERSION
    definition = json.loads((admin_store / "programme.json").read_text(encoding="utf-8"))
    assert facts["programme"].tolist() == [definition["id"]]

    reference = tmp_path / "command"
    _command_build(admin_store, reference)
    pages = [f for f in _files(reference) if f.endswith(".html")]
    assert sorted(_table(at, ["page"])["page"]) == pages
    assert any(f"{len(pages):,} pages" in m.value for m in at.markdown)
    assert any("Nothing is published in" in c.value for c in at.caption)

    _click(at, "Publish")
    assert any("Published the site" in s.value for s in at.success), [e.value for e in at.error]
    assert _files(out) == _files(reference)
    home = f"{definition['id']}/index.html"
    some_csv = next(f for f in _files(reference) if f.endswith(".csv"))
    for name in ("index.html", home, some_csv, ".impact-site"):
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name
    published = [e for e in audit.entries(held) if e["action"] == audit.PUBLISHED]
    assert len(published) == 1 and published[0]["details"]["version"] == version
    assert published[0]["details"]["pages"] == len(pages) and published[0]["what"] == str(out)

    _click(at, "Build a preview")  # the same data again: nothing added or removed against what is published
    assert any("0 pages added" in m.value and "0 removed" in m.value for m in at.markdown)


def test_publishing_is_refused_when_the_data_changed_since_the_preview(admin_store, tmp_path):
    out = tmp_path / "srv" / "site"
    at = _app({"publish": {"out": str(out)}})
    _click(at, "Build a preview")
    held = store.open_store(admin_store, None)
    audit.rollback(held, store.BASE_VERSION, "someone else")
    _click(at, "Publish")
    assert any("The data changed since the preview" in e.value and store.BASE_VERSION in e.value for e in at.error)
    assert not out.exists()
    assert not [e for e in audit.entries(held) if e["action"] == audit.PUBLISHED]


def test_without_a_place_to_publish_the_site_is_offered_as_a_zip(admin_store):
    at = _app()
    assert any("No place to publish is configured" in i.value for i in at.info)
    _click(at, "Build a preview")
    assert "Publish" not in _labels(at)
    buttons = at.get("download_button")
    assert [b.proto.label for b in buttons if b.proto.label.startswith("Download the site")] == \
        ["Download the site (.zip)"]
    built = at.session_state[publish_view.PREVIEW].folder
    archive = zipfile.ZipFile(io.BytesIO(preview.zipped(built, "impact-site")))
    assert sorted(archive.namelist()) == sorted(f"impact-site/{f}" for f in preview.contents(built).files)
    assert archive.read("impact-site/index.html") == (built / "index.html").read_bytes()


def test_a_bad_place_in_the_secrets_is_named(admin_store):
    at = _app({"publish": {"to": "ftp://example.org/site"}})
    assert any("[publish] to = 'ftp://example.org/site' is not an s3" in e.value.replace("\\", "") for e in at.error)
    assert "Build a preview" not in _labels(at)


def test_without_an_administrator_there_is_nothing_to_publish(admin_store, tmp_path):
    at = _app({"publish": {"out": str(tmp_path / "site")}}, sign_in=False)
    assert not _labels(at) & {"Build a preview", "Publish"}
    assert not at.get("download_button") or not any(b.proto.label.startswith("Download the site")
                                                   for b in at.get("download_button"))
    assert any("published by an administrator" in m.value for m in at.markdown)


@pytest.fixture
def bucket(s3_server, monkeypatch):  # noqa: F811 (the fixture imported at the top)
    for key, value in s3_server.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    return s3_server


def test_publishing_to_a_bucket_leaves_it_equal_to_the_previewed_site(admin_store, bucket):
    from impact.storage import remote

    url = bucket.url()
    at = _app({"publish": {"to": url}})
    _click(at, "Build a preview")
    built = at.session_state[publish_view.PREVIEW].folder
    pages = preview.contents(built).pages
    assert any(f"{len(pages)} pages added, 0 removed, 0 kept" in m.value for m in at.markdown)
    _click(at, "Publish")
    assert any("Published the site" in s.value and "to s3" in s.value.replace("\\", "") for s in at.success), \
        [e.value for e in at.error]
    where = remote.parse(url)
    objects = {rel: remote.client().get_object(Bucket=where.bucket, Key=where.key(rel)) for rel in remote.listing(where)}
    # The assets' objects are their gzip copies, said to be so (a browser decodes them); the .gz files are no objects.
    uploaded = {rel: zlib.decompress(o["Body"].read(), 16 + zlib.MAX_WBITS) if o.get("ContentEncoding") == "gzip"
                else o["Body"].read() for rel, o in objects.items()}
    assert uploaded == {rel: (built / rel).read_bytes() for rel in preview.contents(built).files
                        if not rel.endswith(".gz")}
    assert {rel for rel, o in objects.items() if o.get("ContentEncoding") == "gzip"} == {
        rel for rel in uploaded if rel.startswith("assets/") and (built / f"{rel}.gz").is_file()} != set()
    trail = audit.entries(store.open_store(admin_store, None))
    assert [e["what"] for e in trail if e["action"] == audit.PUBLISHED] == [url]
    remote.write_bytes(where, "old/page.html", b"<p>a page the new site does not hold</p>")
    _click(at, "Build a preview")
    assert any(f"0 pages added, 1 removed, {len(pages)} kept" in m.value for m in at.markdown)


def _site(folder: Path, pages: dict[str, str]) -> Path:
    for name, text in pages.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    (folder / ".impact-site").write_text("marker\n", encoding="utf-8")
    return folder


def test_the_differences_name_pages_added_changed_and_removed(tmp_path):
    new = _site(tmp_path / "new", {"index.html": "a", "p/one.html": "1", "p/two.html": "2*", "p/one.csv": "x"})
    old = _site(tmp_path / "old", {"index.html": "a", "p/two.html": "2", "p/gone.html": "g", "p/one.csv": "y"})
    found = preview.differences(new, old)
    assert (found.added, found.changed, found.removed, found.unchanged) == (["p/one.html"], ["p/two.html"],
                                                                            ["p/gone.html"], 1)
    assert preview.differences(new, tmp_path / "nothing") is None
    held = preview.contents(new)
    assert held.files == ["index.html", "p/one.csv", "p/one.html", "p/two.html"]
    assert held.pages == ["index.html", "p/one.html", "p/two.html"] and held.bytes == 5


def test_installing_replaces_a_site_whole_and_refuses_any_other_folder(tmp_path):
    from impact.publish import site

    new = _site(tmp_path / "new", {"index.html": "new"})
    out = _site(tmp_path / "out", {"index.html": "old", "old.html": "gone"})
    site.install(new, out)
    assert _files(out) == [".impact-site", "index.html"] and (out / "index.html").read_text() == "new"
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ValueError, match="not a site written by this command"):
        site.install(new, other)
    assert _files(other) == ["keep.txt"] and not (tmp_path / ".other.publishing").exists()
    with pytest.raises(ValueError, match="holds no site"):
        site.install(other, tmp_path / "elsewhere")
    assert not (tmp_path / "elsewhere").exists()


def test_previews_left_by_sessions_gone_are_swept_after_a_day(tmp_path):
    import os
    import time

    old, new = tmp_path / f"{publish_view.PREFIX}old", tmp_path / f"{publish_view.PREFIX}new"
    for folder in (old, new):
        (folder / "site").mkdir(parents=True)
    (tmp_path / "other").mkdir()
    day_ago = time.time() - 25 * 3600
    os.utime(old, (day_ago, day_ago))
    os.utime(tmp_path / "other", (day_ago, day_ago))
    assert publish_view.sweep(24, tmp_path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["other", new.name])
