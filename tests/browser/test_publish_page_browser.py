"""Publishing the public site from the Data page in a real browser: an administrator builds a preview (the page
shown in its own frame, with the programme's numbers), publishes it to the folder the server's secrets name, and
the folder holds the site's home page."""

from __future__ import annotations

import pytest

from impact.app import auth
from tests.browser.conftest import admin_signs_in, open_tab, start_server, wait_for_app
from tests.data_helpers import make_store

PASSWORD = "a long admin password for the public site"


@pytest.fixture(scope="module")
def publishing(fixture_dir, tmp_path_factory):
    """A server on a fresh store whose secrets publish to a folder: (base URL, the folder, the store)."""
    folder = tmp_path_factory.mktemp("publish_page")
    root = make_store(fixture_dir, folder / "store")
    out = folder / "srv" / "site"
    secrets = folder / "secrets.toml"
    secrets.write_text(f'[publish]\nout = "{out.as_posix()}"\n', encoding="utf-8")
    proc, url = start_server(root, {auth.HASH_ENV: auth.hash_password(PASSWORD)},
                             ["--secrets.files", str(secrets)])
    yield url, out, root
    proc.terminate()
    proc.wait(timeout=10)


def test_an_administrator_previews_then_publishes_the_site(browser, publishing):
    url, out, root = publishing
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    page = context.new_page()
    try:
        page.goto(url, wait_until="networkidle")
        page.goto(f"{url}/data", wait_until="networkidle")
        wait_for_app(page)
        admin_signs_in(page, PASSWORD)
        open_tab(page, "Public site")
        page.get_by_text(f"This server publishes the public site to {out.as_posix()} (set").first.wait_for(
            timeout=30_000)  # the folder's name as it is, no Markdown escapes showing
        page.get_by_role("button", name="Build a preview").click()
        page.get_by_role("button", name="Publish", exact=True).wait_for(timeout=240_000)
        wait_for_app(page, 60_000)
        frame = page.frame_locator("iframe[title='st.iframe'], [data-testid='stIFrame'] iframe, iframe").last
        frame.locator("h1").first.wait_for(timeout=30_000)
        assert frame.locator("h1").first.inner_text().strip()
        assert frame.locator("table").count() > 0  # the home page's numbers, as tables
        page.get_by_role("button", name="Publish", exact=True).click()
        page.get_by_text("Published the site").first.wait_for(timeout=120_000)
        assert (out / "index.html").is_file() and (out / ".impact-site").is_file()
        assert page.get_by_role("button", name="Download the site (.zip)").count() == 1
    finally:
        context.close()
