"""Several programmes in a real browser: a ?programme= link opens the right one and survives a reload; the
sidebar chooser switches back; the Portfolio page draws every programme side by side with no network."""

from __future__ import annotations

from impact.model import programme as programmes
from tests.browser.conftest import admin_signs_in, enter, press, upload, wait_for_app
from tests.conftest import ROOT, Independent

SECOND = ROOT / "data" / "programmes" / "gsp"


def _tile(page, label: str) -> str:
    tile = page.locator("[data-testid='stMetric']", has_text=label).first
    return tile.locator("[data-testid='stMetricValue']").inner_text()


def _shows(page, value: str) -> None:
    page.wait_for_function(
        "(v) => [...document.querySelectorAll('[data-testid=stMetricValue]')].some(e => e.innerText === v)",
        arg=value, timeout=30_000)


def test_a_programme_link_opens_it_after_a_reload_and_the_chooser_switches_back(page, shipped):
    second = programmes.load(SECOND)
    theirs = Independent(SECOND).scalar("select sum(trainees) from training")
    page.goto(page.url.split("?")[0] + f"?programme={second.id}", wait_until="networkidle")
    wait_for_app(page)
    _shows(page, f"{theirs:,}")
    assert second.name in page.locator("h1").first.inner_text()
    page.reload(wait_until="networkidle")
    wait_for_app(page)
    _shows(page, f"{theirs:,}")
    assert f"programme={second.id}" in page.evaluate("location.href")
    chooser = page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']", has_text="Programme")
    chooser.click()
    page.get_by_role("option", name="Health Partnership Scheme").click()
    _shows(page, f"{shipped.scalar('select sum(trainees) from training'):,}")
    page.wait_for_function("() => !location.search.includes('programme=')", timeout=10_000)


def test_portfolio_draws_both_programmes_offline(offline_page, shipped):
    page = offline_page
    page.goto(page.url.split("?")[0].rstrip("/") + "/portfolio", wait_until="networkidle")
    wait_for_app(page)
    total = shipped.scalar("select sum(trainees) from training") + Independent(SECOND).scalar(
        "select sum(trainees) from training")
    _shows(page, f"{total:,}")
    page.wait_for_function("() => document.querySelectorAll('.stPlotlyChart .main-svg').length >= 4", timeout=60_000)
    page.wait_for_selector(".choroplethlayer path", timeout=30_000)
    assert page.blocked == [], f"the page tried to reach the internet: {page.blocked}"


def test_an_administrator_creates_a_programme_from_the_data_page(browser, fixture_dir, tmp_path):
    import re
    import zipfile

    from impact.app import auth
    from impact.demo.generators import generate
    from impact.storage import store
    from tests.browser.conftest import start_server
    from tests.data_helpers import make_store

    password = "a long admin password for the programme test"
    root = make_store(fixture_dir, tmp_path / "store")
    extract = tmp_path / "new"
    generate(extract, programme="gsp", seed=3)
    upload_path = tmp_path / "gsp.zip"
    with zipfile.ZipFile(upload_path, "w") as archive:
        for path in extract.iterdir():
            archive.write(path, path.name)
    proc, url = start_server(root, {auth.HASH_ENV: auth.hash_password(password)})
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    page = context.new_page()
    try:
        page.goto(url, wait_until="networkidle")
        wait_for_app(page)
        page.goto(f"{url}/data", wait_until="networkidle")
        wait_for_app(page)
        admin_signs_in(page, password)
        uploader = page.locator("[data-testid='stFileUploader']").filter(has_text="Extract files")  # not the returns'
        uploader.wait_for(timeout=20_000)
        page.get_by_text("A new programme", exact=True).click()
        page.wait_for_timeout(300)  # the run the choice starts (it adds the id box), then idle
        wait_for_app(page)
        enter(page, page.get_by_role("textbox", name="New programme's id"), "gsp")
        upload(page, uploader, upload_path)
        press(page.get_by_role("button", name="Check and import"))
        page.get_by_text(re.compile("No problems found")).wait_for(timeout=60_000)
        assert "gsp" in store.programmes(root)
        page.goto(f"{url}/?programme=gsp", wait_until="networkidle")
        wait_for_app(page)
        theirs = Independent(extract).scalar("select sum(trainees) from training")
        _shows(page, f"{theirs:,}")
    finally:
        context.close()
        proc.terminate()
        proc.wait(timeout=10)
