"""Issue 27's "done when", tried as a new user would, in one real browser walk-through in Portuguese: a partner of
a Mozambican project of the HPS extract opens the link in Portuguese (`?lang=pt`, a `pt-PT` browser), signs in
with the password an administrator gave them, stays signed in for the week (the cookie's expiry, a reload, a new
tab, day 6 through the server's own check), sees on *My projects* what is due this quarter and by when, fills the
Portuguese workbook with one number ten times the project's usual (its own history, from plain DuckDB), is warned
in Portuguese before sending, cannot send without a word, explains it and sends; the team (in English, in another
browser context) sends the return back with a note, and the partner's inbox (a local SMTP server) gets the note in
a Portuguese e-mail; the team then reads each step — the sign-in, the submission with its flag and explanation,
the sending back — in the trail on the Data page, filtered by the project.

The shipped extract ends in 2019, so the server draws *My projects* on a day in the project's last quarter but one
(`tests.browser.dated_streamlit`); the project's last quarter is taken out of the store (its return has not been
sent) and is the one due."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import time

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from playwright.sync_api import expect

from impact.app import auth
from impact.model import calendar, i18n
from impact.model import programme as programmes
from impact.reporting import partners, returns, sessions
from impact.storage import store
from tests.browser.conftest import ROOT, admin_signs_in, enter, open_tab, press, start_server, upload, wait_for_app
from tests.data_helpers import make_store
from tests.test_i18n import _content, _english_left, _without
from tests.test_mail import inbox, write_secrets  # noqa: F401 (the inbox fixture)
from tests.test_returns_languages import SHEETS, _fill_in, _raw_definition

ADMIN = "the programme team's long password"
PARTNER = "a senha comprida da parceira"
EMAIL = "ana.macuacua@example.org"
NAME = "Ana Macuácua"
WHY = "Uma campanha nacional formou dez distritos de uma só vez."
NOTE = "Confirmem os 10× formandos: enviem as listas de presença <b>assinadas</b>, por favor."
PT = i18n.translator("pt")
WEEK = 7 * 86400


def _pattern(template: str, **known) -> re.Pattern:
    """A translated message as a regular expression: the placeholders given in `known` filled in, any other one
    matching any text."""
    parts = re.split(r"(\{[a-z_]+\})", template)
    return re.compile("".join(re.escape(str(known[p[1:-1]])) if p[1:-1] in known else ".*?"
                              if p.startswith("{") and p.endswith("}") else re.escape(p) for p in parts if p))


@pytest.fixture(scope="module")
def maputo(tmp_path_factory):
    """The shipped HPS extract as a store, with a partner account (no language chosen) for its Mozambican project
    with the most quarters of training, whose last quarter's return has not been sent yet (its rows taken out)."""
    sql = duckdb.connect()
    project = sql.execute(
        "select p.project_id from read_parquet($projects) p join read_parquet($training) t using (project_id) "
        "where p.iso3 = 'MOZ' group by p.project_id order by count(distinct t.period) desc, p.project_id limit 1",
        {"projects": str(ROOT / "data" / "projects.parquet"),
         "training": str(ROOT / "data" / "training.parquet")}).fetchone()[0]
    quarter = sql.execute("select max(period) from read_parquet($t) where project_id = $p",
                          {"t": str(ROOT / "data" / "training.parquet"), "p": project}).fetchone()[0]
    per_quarter = [row[0] for row in sql.execute(
        "select sum(trainees) from read_parquet($t) where project_id = $p and period < $q group by period",
        {"t": str(ROOT / "data" / "training.parquet"), "p": project, "q": quarter}).fetchall()]
    usual = sql.execute("select median(x) from unnest($v) as t(x)", {"v": per_quarter}).fetchone()[0]
    root = make_store(ROOT / "data", tmp_path_factory.mktemp("maputo"))
    unsent = {}
    for name in returns.TABLES:
        path = root / f"{name}.parquet"
        table = pq.read_table(path)
        mine = pc.and_(pc.equal(table["project_id"], pa.scalar(project)), pc.equal(table["period"], pa.scalar(quarter)))
        unsent[name] = table.filter(mine).to_pylist()
        pq.write_table(table.filter(pc.invert(mine)), path)
    assert unsent["training"] and len(per_quarter) >= 4
    partners.save_account(store.open_store(root), EMAIL, NAME, [project], returns.project_ids(root), "the team",
                          auth.hash_password(PARTNER))
    return {"root": root, "project": project, "quarter": quarter, "unsent": unsent, "usual": usual,
            "history": len(per_quarter)}


def _cookie(page, timeout: float = 30.0) -> dict:
    """The partner's cookie in the page's browser context, once the page's script has set it."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = [c for c in page.context.cookies() if c["name"] == auth.PARTNER_COOKIE]
        if found:
            return found[0]
        page.wait_for_timeout(200)
    raise AssertionError(f"no {auth.PARTNER_COOKIE} cookie within {timeout} s")


def _no_english(page, root, *data: str) -> None:
    """No interface message left in English anywhere on the page (main part and sidebar), once the programme's own
    texts and the project's data (`data`: its title…) are taken out."""
    lines = [line for line in page.locator("[data-testid='stApp']").inner_text().splitlines() if line.strip()]
    shown = _without(lines, _content(programmes.read(root / programmes.FILE)) | set(data))
    assert len(shown) > 10 and _english_left(shown, "pt") == [], _english_left(shown, "pt")


def _signed_in(page) -> None:
    """My projects, in Portuguese, says who is signed in (a partner of one project)."""
    expect(page.get_by_role("heading", name=PT.gettext("My projects")).first).to_be_visible(timeout=30_000)
    page.get_by_text(PT.gettext("Signed in as {who}: {count} project(s).").format(
        who=f"{EMAIL} ({NAME})", count=PT.number(1))).first.wait_for(timeout=30_000)


def test_a_partner_in_maputo_walks_through_issue_27_in_portuguese(browser, inbox, maputo, tmp_path):  # noqa: F811
    root, project, quarter = maputo["root"], maputo["project"], maputo["quarter"]
    label = calendar.quarter_label(quarter)
    definition = json.loads((root / "programme.json").read_text(encoding="utf-8"))
    due_on = calendar.quarter_end(quarter) + dt.timedelta(days=definition["reporting"]["deadline_days"])
    today = calendar.quarter_end(quarter) + dt.timedelta(days=15)  # a day of the quarter the return falls due in
    home = tmp_path / "home"
    write_secrets(home, inbox.port)
    proc, url = start_server(root, {auth.HASH_ENV: auth.hash_password(ADMIN), "HOME": str(home),
                                    "IMPACT_TEST_TODAY": today.isoformat()}, launcher="tests.browser.dated_streamlit")
    partner = browser.new_context(viewport={"width": 1500, "height": 1000}, locale="pt-PT", accept_downloads=True)
    team = browser.new_context(viewport={"width": 1500, "height": 1000}, accept_downloads=True)
    try:
        # 1. The link, in Portuguese; the sign-in.
        page = partner.new_page()
        page.goto(f"{url}/?lang=pt", wait_until="networkidle")
        wait_for_app(page)
        page.goto(f"{url}/my_projects?lang=pt", wait_until="networkidle")
        wait_for_app(page)
        expect(page.get_by_role("heading", name=PT.gettext("My projects")).first).to_be_visible(timeout=30_000)
        page.get_by_label(PT.gettext("E-mail")).fill(EMAIL)
        page.get_by_role("textbox", name=PT.gettext("Password")).fill(PARTNER)
        signed_at = time.time()
        page.get_by_role("button", name=PT.gettext("Sign in")).click()
        _signed_in(page)
        wait_for_app(page)

        # 2. Signed in for the week: the cookie lasts 7 days, survives a reload and a new tab, holds on day 6.
        cookie = _cookie(page)
        assert cookie["expires"] >= signed_at + WEEK - 1 and cookie["sameSite"] == "Strict"
        on_day_6 = sessions.verify(store.open_store(root), cookie["value"], now=signed_at + 6 * 86400)
        assert on_day_6 is not None and on_day_6.email == EMAIL
        assert sessions.verify(store.open_store(root), cookie["value"], now=cookie["expires"] + 1) is None
        page.reload(wait_until="networkidle")
        wait_for_app(page)
        _signed_in(page)
        second = partner.new_page()
        second.goto(f"{url}/?lang=pt", wait_until="networkidle")  # a partner's app opens on My projects
        wait_for_app(second)
        _signed_in(second)
        second.close()

        # 3. What is due this quarter, and by when; the project's figures in Portuguese numbers.
        days = (due_on - today).days
        page.get_by_text(PT.gettext("Due this quarter: the return for {quarter}, by {day} (in {days} days).").format(
            quarter=label, day=PT.date(due_on, "long"), days=PT.number(days))).first.wait_for(timeout=30_000)
        trained = duckdb.execute("select sum(trainees) from read_parquet($t) where project_id = $p",
                                 {"t": str(root / "training.parquet"), "p": project}).fetchone()[0]
        assert trained >= 1000 and PT.number(trained) != f"{trained:,}"
        tile = page.locator("[data-testid='stMetricValue']", has_text=PT.number(trained)).first
        expect(tile).to_be_visible(timeout=30_000)
        wait_for_app(page)
        title = duckdb.execute("select title from read_parquet($p) where project_id = $id",
                               {"p": str(root / "projects.parquet"), "id": project}).fetchone()[0]
        _no_english(page, root, title)

        # 4. The Portuguese workbook, one number ten times the usual: warned, refused without a word, then sent.
        with page.expect_download(timeout=60_000) as info:
            press(page.get_by_role("button", name=PT.gettext("Download the reporting workbook")))
        book = info.value.path().read_bytes()
        assert openpyxl.load_workbook(io.BytesIO(book)).sheetnames[2:5] == list(SHEETS["pt"].values())
        rows = {name: [dict(r) for r in records] for name, records in maputo["unsent"].items()}
        ten_times = round(10 * maputo["usual"])
        rest = sum(int(r["trainees"]) for r in rows["training"][1:])
        assert ten_times > rest
        rows["training"][0]["trainees"] = ten_times - rest  # the quarter's trainees: ten times the usual
        filled = tmp_path / "relatorio.xlsx"
        filled.write_bytes(_fill_in(book, rows, "pt", _raw_definition(root)))
        uploader = page.locator("[data-testid='stFileUploader']").filter(
            has_text=PT.gettext("Your filled-in workbook (.xlsx)"))
        upload(page, uploader, filled)
        press(page.get_by_role("button", name=PT.gettext("Send the return")))
        warning = PT.gettext("{count} number(s) in this return need a word before it is sent: check them and correct "
                             "the workbook, or say why each is right. The programme team reads your explanations "
                             "when it approves the return.")
        page.get_by_text(_pattern(warning)).first.wait_for(timeout=60_000)
        above = PT.gettext("{name} is {value}, far above what this project usually reports (median {median} over its "
                           "{count} earlier quarters)")
        times = PT.gettext("({times} times the usual)").format(times=PT.number(10, 1))
        flagged = page.get_by_text(_pattern(above, value=PT.number(ten_times), median=PT.number(maputo["usual"]),
                                            count=PT.number(maputo["history"])))
        expect(flagged.first).to_contain_text(times, timeout=30_000)
        expect(flagged.first).to_contain_text(PT.gettext("Health workers trained"), timeout=30_000)
        assert "trainees" not in page.locator("[data-testid='stMain']").inner_text()  # no code, no English
        _no_english(page, root, title)
        assert partners.submissions(store.open_store(root), project) == []  # nothing kept before a word
        send = page.get_by_role("button", name=PT.gettext("Send with these explanations"))
        expect(send).to_be_disabled()
        areas = page.get_by_label(PT.gettext("Why this number is right"))
        for n in range(areas.count()):
            areas.nth(n).fill(WHY)
            areas.nth(n).press("Control+Enter")
        wait_for_app(page)
        press(send)
        received = PT.gettext("Return for {quarter} received ({id}): the programme team will check and approve it.")
        page.get_by_text(_pattern(received, quarter=label)).first.wait_for(timeout=60_000)
        wait_for_app(page)
        _no_english(page, root, title, filled.name)
        [sent] = partners.submissions(store.open_store(root), project)
        assert sent.state == partners.SUBMITTED and sent.period == quarter.isoformat()
        outlier = next(f for f in sent.flags if f["key"] == "outlier:trainees")
        assert outlier["facts"]["value"] == ten_times and outlier["explanation"] == WHY
        assert {f["explanation"] for f in sent.flags} == {WHY}

        # 5. The team (in English) sends it back with a note: the partner's e-mail, in Portuguese, carries it.
        admin = team.new_page()
        admin.goto(url, wait_until="networkidle")
        admin.goto(f"{url}/data", wait_until="networkidle")
        wait_for_app(admin)
        admin_signs_in(admin, ADMIN)
        open_tab(admin, "Quarterly returns")
        admin.locator("[data-testid='stSelectbox']", has_text="Send a return back").first.click()
        admin.get_by_role("option", name=re.compile(f"^{project} {label}")).click()
        wait_for_app(admin)
        enter(admin, admin.get_by_label("Note for the partner (why it goes back)"), NOTE)
        press(admin.get_by_role("button", name="Send it back"))
        deadline = time.time() + 30
        while not inbox.to(EMAIL) and time.time() < deadline:
            time.sleep(0.2)
        [back] = inbox.to(EMAIL)
        [(recipients, _message)] = [r for r in inbox.received if EMAIL in r[0]]
        assert recipients == [EMAIL] and back["To"] == EMAIL
        programme = definition["translations"]["pt"]["name"]
        assert back["Subject"] == PT.gettext("{programme}: your return for {project}, {quarter}, was sent back").format(
            programme=programme, project=project, quarter=label)
        assert back["Content-Language"] == "pt"
        text = back.get_body(preferencelist=("plain",)).get_content()
        for line in (PT.gettext("Hello,"), PT.gettext("The team's note"), NOTE, PT.gettext("What to do"),
                     PT.gettext("The {programme} team.").format(programme=programme)):
            assert line in text, line
        for english in ("Hello,", "The team's note", "What to do", "Correct the workbook"):
            assert english not in text, english

        # 6. The team reads each step in the trail, filtered by the project: who did what.
        open_tab(admin, "Trail")
        admin.get_by_text(re.compile("The trail is intact")).wait_for(timeout=30_000)
        enter(admin, admin.get_by_label("What (part of the project, version, file…)"), project)
        with admin.expect_download(timeout=30_000) as info:
            press(admin.get_by_role("button", name="Download these entries (CSV)"))
        shown = list(csv.DictReader(io.StringIO(info.value.path().read_text(encoding="utf-8-sig"))))
        steps = [(e["who"], e["action"]) for e in reversed(shown)]
        assert (EMAIL, "sign-in") in steps and (EMAIL, "return-submitted") in steps
        assert steps.index((EMAIL, "sign-in")) < steps.index((EMAIL, "return-submitted"))
        sign_in = next(e for e in shown if e["action"] == "sign-in" and e["who"] == EMAIL)
        assert json.loads(sign_in["details"])["projects"] == [project]
        submitted = next(e for e in shown if e["action"] == "return-submitted")
        assert submitted["what"] == f"{project} {label}"
        assert json.loads(submitted["details"])["flags"] == ["outlier:trainees"]
        assert json.loads(submitted["details"])["explanations"] == {"outlier:trainees": WHY}
        sent_back = next(e for e in shown if e["action"] == "return-sent-back")
        assert sent_back["what"] == f"{project} {label}" and json.loads(sent_back["details"])["note"] == NOTE
        assert sent_back["who"] != EMAIL and steps[-1] == (sent_back["who"], "return-sent-back")
        for action in ("sign-in", "return-submitted", "return-sent-back"):  # and on the page, in the table
            admin.locator("td[role='gridcell']", has_text=action).first.wait_for(state="attached", timeout=20_000)
        # the same entries in the store's own trail file, read as plain JSON lines
        lines = [json.loads(line) for line in (root / "audit" / "trail.jsonl").read_text(encoding="utf-8").splitlines()]
        assert [e["hash"] for e in lines if project in e.get("what", "") + json.dumps(e.get("details"))] == \
            [e["hash"] for e in reversed(shown)]
    finally:
        partner.close()
        team.close()
        proc.terminate()
        proc.wait(timeout=10)
