"""Browser fixtures: a real `streamlit run` server and Debian's Chromium driven by Playwright.

Chromium comes from apt (`/usr/bin/chromium`); Playwright never downloads a browser.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("IMPACT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data_dir: Path, extra_env: dict | None = None, args: list[str] | None = None,
                 port: int | None = None, launcher: str = "streamlit"):
    """Start `streamlit run app.py` (with more command-line `args`) on `port` or a free one; return (process, base
    URL). `launcher`: the module run as `python -m launcher run app.py` (`tests.browser.dated_streamlit` draws the
    partners' pages on another day)."""
    port = port or free_port()
    env = {**os.environ, "IMPACT_DATA_DIR": str(data_dir), **(extra_env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", launcher, "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         *(args or [])],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).status == 200:
                return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("streamlit did not start within 60 s")


@pytest.fixture(scope="session")
def app_url():
    """The dashboard served on the shipped extract."""
    proc, url = start_server(ROOT / "data")
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, launched by Playwright."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install it with 'apt-get install -y chromium'")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, app_url):
    """A fresh page that has loaded the app's root once (sub-pages can 404 on a cold server)."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.goto(app_url, wait_until="networkidle")
    yield page
    context.close()


def wait_for_app(page, timeout: float = 30_000) -> None:
    """Wait until Streamlit has finished running the script."""
    page.wait_for_selector("[data-testid='stApp']", timeout=timeout)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout
    )


def open_tab(page, name: str, timeout: float = 30_000) -> None:
    """Open one of the page's tabs once the app is idle (a tab that reruns the script on change would lose a
    click made while the script still runs) and wait for the run it starts."""
    wait_for_app(page, timeout)
    tab = page.get_by_role("tab", name=name).first
    tab.click()
    page.wait_for_function("(tab) => tab.getAttribute('aria-selected') === 'true'", arg=tab.element_handle(),
                           timeout=timeout)
    wait_for_app(page, timeout)


def upload(page, uploader, path, timeout: float = 30_000) -> None:
    """Give `uploader` the file at `path` and wait until the upload has reached the server: the uploader shows the
    file's name and the run the upload starts is over (the buttons it enables are enabled by that run)."""
    from playwright.sync_api import expect

    uploader.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(path))
    expect(uploader).to_contain_text(Path(path).name, timeout=timeout)
    page.wait_for_timeout(300)  # the run the upload starts, then idle
    wait_for_app(page, timeout)


def enter(page, textbox, value: str, timeout: float = 30_000) -> None:
    """Type `value` into `textbox`, commit it and wait for the run it starts."""
    from playwright.sync_api import expect

    textbox.fill(value)
    textbox.press("Enter")
    page.wait_for_timeout(300)  # the run the new value starts, then idle
    wait_for_app(page, timeout)
    expect(textbox).to_have_value(value, timeout=timeout)


def press(button, timeout: float = 30_000) -> None:
    """Click `button` once a run has enabled it (a click on a disabled button would wait, then fail)."""
    from playwright.sync_api import expect

    expect(button).to_be_enabled(timeout=timeout)
    button.click()


def admin_signs_in(page, password: str, timeout: float = 30_000, words=None) -> None:
    """Sign in as the administrator under the Data page's Import tab, and wait until the page says so. `words`: the
    translator of the page's language (`impact.model.i18n.translator("fr")`) when it is not English."""
    say = words.gettext if words is not None else str
    open_tab(page, say("Import"), timeout)
    page.get_by_label(say("Administrator password")).fill(password)
    page.get_by_role("button", name=say("Sign in")).click()
    page.get_by_text(say("Signed in: {who}").split("{who}")[0].strip()).first.wait_for(timeout=timeout)
    wait_for_app(page, timeout)


def pytest_collection_modifyitems(items):
    for item in items:
        if "browser" in Path(str(item.fspath)).parts:
            item.add_marker(pytest.mark.browser)


def block_network(context) -> list[str]:
    """Abort every request that leaves localhost; return the list of blocked URLs."""
    blocked: list[str] = []

    def handle(route):
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "http://localhost", "ws://127.0.0.1", "data:", "blob:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort("internetdisconnected")

    context.route("**/*", handle)
    return blocked


@pytest.fixture
def offline_page(browser, app_url):
    """A page whose network stops at localhost (as in a hall with no internet)."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, accept_downloads=True)
    blocked = block_network(context)
    page = context.new_page()
    page.blocked = blocked
    page.goto(app_url, wait_until="networkidle")
    yield page
    context.close()
