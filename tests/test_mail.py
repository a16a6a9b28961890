"""E-mail: reminders to partners (due in N days, late), a return sent back (to its partners, the note as text) and
arrived (to the team), and the team's digest — received by a local SMTP server the tests start (aiosmtpd), or
written as .eml files and parsed back; recipients, subjects and contents checked against plain DuckDB over the
Parquet files; a partner never receives another account's project; nothing is sent without settings."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy
import socket
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from impact import cli
from impact.model import calendar
from impact.model import programme as programmes
from impact.reporting import mail, notices, partners, returns
from impact.storage import store
from tests.test_returns import original_return

QUARTER = dt.date(2016, 1, 1)  # the quarter whose returns are chased
DEADLINE, AHEAD = 30, 7
DUE_ON = calendar.quarter_end(QUARTER) + dt.timedelta(days=DEADLINE)
TEAM = "m-and-e@example.org"


# ---- a local SMTP server and settings pointing at it ---------------------------------------------

class Inbox:
    """What the local SMTP server received: (envelope recipients, parsed message)."""

    def __init__(self):
        self.received: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.received.append((list(envelope.rcpt_tos),
                              email.message_from_bytes(envelope.content, policy=email.policy.default)))
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for rcpt, m in self.received if address in rcpt]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def inbox():
    from aiosmtpd.controller import Controller

    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    box.port = controller.port
    try:
        yield box
    finally:
        controller.stop()


def write_secrets(folder: Path, port: int, team=(TEAM,)) -> Path:
    """A Streamlit secrets file with [smtp] for the local server (no TLS on loopback)."""
    (folder / ".streamlit").mkdir(parents=True, exist_ok=True)
    path = folder / ".streamlit" / "secrets.toml"
    addresses = ", ".join(f'"{t}"' for t in team)
    path.write_text(f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nstarttls = false\n'
                    f'from = "Impact dashboard <noreply@example.org>"\nteam = [{addresses}]\n'
                    f'app_url = "https://impact.example.org"\n', encoding="utf-8")
    return path


@pytest.fixture
def away_from_secrets(tmp_path, monkeypatch) -> Path:
    """Run from a folder of our own, with a home of our own: no developer's secrets are read."""
    home = tmp_path / "cwd"
    home.mkdir()
    monkeypatch.chdir(home)
    monkeypatch.setenv("HOME", str(home))
    return home


# ---- a store where some returns of QUARTER have not arrived --------------------------------------

def _sql(folder: Path) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    for name in ("projects", *returns.TABLES):
        conn.execute(f"create view {name} as select * from read_parquet('{folder / (name + '.parquet')}')")
    return conn


@pytest.fixture
def chased(data_store):
    """The store with the definition's reminders set (due 30 days after a quarter, reminded 7 days before) and the
    rows of three running projects for QUARTER removed: (store, running projects, the three without a return)."""
    definition = programmes.read(data_store / "programme.json")
    (data_store / "programme.json").write_text(dataclasses.replace(
        definition, reporting=programmes.Reporting(deadline_days=DEADLINE, remind_days_before=AHEAD)).to_json())
    running = [r[0] for r in _sql(data_store).execute(
        "select project_id from projects where date_trunc('quarter', start_date) <= $q and end_date >= $q "
        "order by project_id", {"q": QUARTER}).fetchall()]
    assert len(running) >= 6
    gone = running[:3]
    for name in returns.TABLES:
        path = data_store / f"{name}.parquet"
        table = pq.read_table(path)
        drop = pc.and_(pc.is_in(table["project_id"], pa.array(gone)), pc.equal(table["period"], pa.scalar(QUARTER)))
        pq.write_table(table.filter(pc.invert(drop)), path)
    return data_store, running, gone


def independent_missing(folder: Path, quarter: dt.date) -> set[str]:
    """Projects running in `quarter` with no row for it in training, volunteering or outcomes (plain DuckDB)."""
    return {r[0] for r in _sql(folder).execute("""
        select project_id from projects where date_trunc('quarter', start_date) <= $q and end_date >= $q
        except (select project_id from training where period = $q union select project_id from volunteering
                where period = $q union select project_id from outcomes where period = $q)""", {"q": quarter}).fetchall()}


def make_accounts(root: Path, running: list[str]):
    held = store.open_store(root)
    known = returns.project_ids(held.active().path)
    first = partners.save_account(held, "ana@example.org", "Ana", running[0:2], known, "admin")  # two without
    second = partners.save_account(held, "bruno@example.org", "Bruno", [running[2], running[3]], known, "admin")
    third = partners.save_account(held, "chidi@example.org", "Chidi", [running[4]], known, "admin")  # reported
    return first, second, third


def _text(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")  # SMTP carries CRLF


def _html(message) -> str:
    return message.get_body(("html",)).get_content().replace("\r\n", "\n")


# ---- unit: the settings, the days a reminder goes out ----------------------------------------------

def test_settings_are_read_strictly_and_absent_settings_are_none(tmp_path, away_from_secrets):
    assert mail.load_settings() is None  # no secrets file at all
    (away_from_secrets / ".streamlit").mkdir()
    (away_from_secrets / ".streamlit" / "secrets.toml").write_text('admin_password_hash = "x"\n')
    assert mail.load_settings() is None  # secrets without [smtp]
    good = mail.load_settings(write_secrets(tmp_path, 2525))
    assert (good.host, good.port, good.security, good.team) == ("127.0.0.1", 2525, "none", (TEAM,))
    assert mail.parse_settings({"host": "h", "from": "a@b.org"}).port == 587  # STARTTLS by default
    assert mail.parse_settings({"host": "h", "from": "a@b.org", "ssl": True}).port == 465
    for bad, key in (({"from": "a@b.org"}, "host"), ({"host": "h", "from": "a@b.org", "port": "25"}, "port"),
                     ({"host": "h", "from": "nobody"}, "from"), ({"host": "h", "from": "a@b.org", "tls": True}, "tls"),
                     ({"host": "h", "from": "a@b.org", "ssl": True, "starttls": True}, "ssl"),
                     ({"host": "h", "from": "a@b.org", "team": ["not an address"]}, "team")):
        with pytest.raises(mail.MailError, match=rf"\[smtp\] {key}"):
            mail.parse_settings(bad, "secrets.toml")


def test_reminders_go_out_n_days_before_the_due_date_and_weekly_once_late():
    rules = programmes.Reporting(deadline_days=DEADLINE, remind_days_before=AHEAD)
    assert notices.quarters_to_remind(DUE_ON - dt.timedelta(days=AHEAD), rules) == [(QUARTER, DUE_ON, notices.DUE)]
    for late in (1, 8, 15, 85):
        assert notices.quarters_to_remind(DUE_ON + dt.timedelta(days=late), rules) == [(QUARTER, DUE_ON, notices.LATE)]
    for quiet in (-AHEAD - 1, -AHEAD + 1, 0, 2, 7, 92):
        assert (QUARTER, DUE_ON) not in [q[:2] for q in notices.quarters_to_remind(DUE_ON + dt.timedelta(days=quiet),
                                                                                     rules)]
    assert notices.quarters_to_remind(DUE_ON - dt.timedelta(days=AHEAD), programmes.Reporting(deadline_days=30)) == []


def test_the_definition_checks_remind_days_before_where_it_is():
    base = programmes.read(str(Path(__file__).resolve().parents[1] / "data" / "programme.json"))
    raw = __import__("json").loads(base.to_json())
    for bad in (0, -3, "7", 7.5, True, 400):
        with pytest.raises(programmes.DefinitionError, match=r"reporting\.remind_days_before"):
            programmes.parse({**raw, "reporting": {"deadline_days": 30, "remind_days_before": bad}})
    parsed = programmes.parse({**raw, "reporting": {"deadline_days": 30, "remind_days_before": 10}})
    assert parsed.reporting.remind_days_before == 10
    assert "remind_days_before" in programmes.parse(__import__("json").loads(parsed.to_json())).to_json()


def test_a_message_carries_text_from_data_as_text_never_as_html():
    section = mail.Section("Note <b>", ("<script>alert(1)</script> & more",), ("a<", "b"), (("<i>x</i>", "1"),))
    message = mail.compose("Team <t@example.org>", ["p@example.org"], "Subject\r\nBcc: evil@example.org <x>",
                           "Dear <you>,", [section])
    assert "\n" not in message["Subject"] and message["Bcc"] is None
    assert "<script>alert(1)</script> & more" in _text(message)
    html = _html(message)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html
    assert "&lt;i&gt;x&lt;/i&gt;" in html and "Dear &lt;you&gt;," in html
    assert message["Content-Language"] == "en"


# ---- the reminders, over SMTP and as .eml files ---------------------------------------------------

def test_remind_sends_each_partner_only_its_own_due_returns(chased, inbox, tmp_path, away_from_secrets, capsys):
    root, running, gone = chased
    ana, bruno, chidi = make_accounts(root, running)
    missing = independent_missing(root, QUARTER)
    assert missing == set(gone)
    secrets = write_secrets(tmp_path, inbox.port)
    day = DUE_ON - dt.timedelta(days=AHEAD)
    code = cli.main(["remind", "--send", "--data-dir", str(root), "--as-of", day.isoformat(), "--secrets", str(secrets)])
    assert code == 0, capsys.readouterr().err
    expected = {a.email: sorted(set(a.projects) & missing) for a in (ana, bruno, chidi)}
    expected = {k: v for k, v in expected.items() if v}
    assert expected == {"ana@example.org": sorted(running[0:2]), "bruno@example.org": [running[2]]}
    assert sorted(r[0] for r, _ in inbox.received) == sorted(expected)
    for address, projects in expected.items():
        (message,) = inbox.to(address)
        assert message["To"] == address and message["X-Impact-Notice"] == "reminder"
        assert f"due on {DUE_ON:%d %B %Y}" in message["Subject"]
        text, html = _text(message), _html(message)
        for project in projects:
            assert f"{project} (" in text and f"{calendar.quarter_label(QUARTER)}: due on {DUE_ON:%d %B %Y}, in 7 days" in text
            assert f"project={project}" in text and project in html
        for other in set(running) - set(projects):  # never another account's project
            assert other not in text and other not in html


def test_late_reminders_leave_out_a_return_that_is_waiting_for_approval(chased, inbox, tmp_path, away_from_secrets):
    root, running, gone = chased
    ana, bruno, _ = make_accounts(root, running)
    write_secrets(away_from_secrets, inbox.port)  # the secrets the app would read: the team hears of the arrival
    fixed = partners.submit(store.open_store(root), ana, "late.xlsx", original_return(root, running[0], QUARTER))
    assert fixed.ok, fixed.report.to_text()
    (arrival,) = inbox.to(TEAM)
    assert arrival["X-Impact-Notice"] == "arrived" and arrival["To"] == TEAM
    assert f"{running[0]} for {calendar.quarter_label(QUARTER)}" in arrival["Subject"]
    assert "ana@example.org" in _text(arrival) and fixed.submission.sha256[:16] in _text(arrival)
    out = tmp_path / "eml"
    day = DUE_ON + dt.timedelta(days=8)
    assert cli.main(["remind", "--out", str(out), "--data-dir", str(root), "--as-of", day.isoformat()]) == 0
    files = sorted(out.glob("*.eml"))
    parsed = {m["To"]: m for m in (email.message_from_bytes(f.read_bytes(), policy=email.policy.default)
                                   for f in files)}
    assert set(parsed) == {"ana@example.org", "bruno@example.org"}
    assert parsed["ana@example.org"]["Subject"].endswith("quarterly return late")
    ana_text = _text(parsed["ana@example.org"])
    assert f"{running[1]} (" in ana_text and running[0] not in ana_text  # the one waiting is not chased
    assert "8 days ago" in ana_text
    assert running[2] in _text(parsed["bruno@example.org"]) and running[1] not in _text(parsed["bruno@example.org"])
    assert len(inbox.received) == 1  # --out sent nothing


def test_a_return_sent_back_tells_its_partners_the_note_as_text(chased, inbox, away_from_secrets):
    root, running, _ = chased
    _, bruno, _ = make_accounts(root, running)
    other = partners.save_account(store.open_store(root), "dora@example.org", "Dora", [running[3]], returns.project_ids(
        store.open_store(root).active().path), "admin")
    write_secrets(away_from_secrets, inbox.port)
    sent = partners.submit(store.open_store(root), bruno, "d.xlsx", original_return(root, running[3], QUARTER))
    assert sent.ok, sent.report.to_text()
    note = "Row 12: <b>40</b> nurses & 4 midwives?\nPlease check the =SUM you used."
    partners.send_back(store.open_store(root), sent.submission.id, note, "team@example.org")
    for address in ("bruno@example.org", other.email):
        (message,) = inbox.to(address)  # one message each: no partner sees another's address
        assert message["To"] == address and message["X-Impact-Notice"] == "sent-back"
        assert f"{running[3]}, {calendar.quarter_label(QUARTER)}, was sent back" in message["Subject"]
        assert note in _text(message)
        html = _html(message)
        assert "<b>40</b>" not in html and "&lt;b&gt;40&lt;/b&gt; nurses &amp; 4 midwives?" in html
    assert not inbox.to("ana@example.org")


def test_nothing_is_sent_without_settings(chased, inbox, away_from_secrets, capsys):
    root, running, _ = chased
    ana, _, _ = make_accounts(root, running)
    day = DUE_ON - dt.timedelta(days=AHEAD)
    for command in ("remind", "digest"):
        assert cli.main([command, "--send", "--data-dir", str(root), "--as-of", day.isoformat()]) == 0
        assert "e-mail is not configured" in capsys.readouterr().err
    sent = partners.submit(store.open_store(root), ana, "a.xlsx", original_return(root, running[4], QUARTER))
    assert not sent.ok  # not Ana's project: refused, and no notice either
    item = partners.submit(store.open_store(root), ana, "a.xlsx", original_return(root, running[0], QUARTER))
    assert item.ok
    partners.send_back(store.open_store(root), item.submission.id, "Check it", "team")
    assert inbox.received == []


def test_unusable_settings_or_an_unreachable_server_are_errors(chased, tmp_path, away_from_secrets, capsys):
    root, running, _ = chased
    make_accounts(root, running)
    bad = tmp_path / "bad.toml"
    bad.write_text('[smtp]\nhost = "127.0.0.1"\nport = "twenty-five"\nfrom = "a@example.org"\n')
    day = (DUE_ON - dt.timedelta(days=AHEAD)).isoformat()
    assert cli.main(["remind", "--send", "--data-dir", str(root), "--as-of", day, "--secrets", str(bad)]) == 2
    assert "[smtp] port" in capsys.readouterr().err
    assert cli.main(["remind", "--send", "--data-dir", str(root), "--as-of", day, "--secrets",
                     str(tmp_path / "none.toml")]) == 2
    assert "no such secrets file" in capsys.readouterr().err
    no_team = write_secrets(tmp_path / "no-team", 2525, team=())
    assert cli.main(["digest", "--send", "--data-dir", str(root), "--as-of", day, "--secrets", str(no_team)]) == 2
    assert "[smtp] team" in capsys.readouterr().err
    closed = write_secrets(tmp_path / "closed", _free_port())  # nothing listens there
    assert cli.main(["remind", "--send", "--data-dir", str(root), "--as-of", day, "--secrets", str(closed)]) == 1
    assert "could not reach the SMTP server" in capsys.readouterr().err


# ---- the digest ----------------------------------------------------------------------------------

def test_the_digest_reaches_the_team_with_figures_from_the_parquet_files(chased, inbox, tmp_path, away_from_secrets,
                                                                      capsys):
    root, running, gone = chased
    make_accounts(root, running)
    secrets = write_secrets(tmp_path, inbox.port)
    day = DUE_ON + dt.timedelta(days=1)
    assert cli.main(["digest", "--send", "--data-dir", str(root), "--as-of", day.isoformat(),
                     "--secrets", str(secrets)]) == 0, capsys.readouterr().err
    (message,) = inbox.to(TEAM)
    assert message["X-Impact-Notice"] == "digest" and message["To"] == TEAM
    text = _text(message)
    conn = _sql(root)
    trainees = conn.execute("select sum(trainees) from training").fetchone()[0]
    projects = conn.execute("select count(*) from projects").fetchone()[0]
    assert f"Health workers trained | {trainees:,}" in text
    assert f"Projects | {projects:,}" in text
    label = calendar.quarter_label(QUARTER)
    assert f"Returns for {label} (due on {DUE_ON:%d %B %Y})" in text
    due = len(running)
    assert f"{due - len(gone)} of {due} due received (0 late), {len(gone)} missing." in text
    listed = text.split(f"Missing returns for {label}")[1].split("\n\n")[0]
    assert sorted(line.split(" | ")[0] for line in listed.strip().splitlines()[2:]) == sorted(independent_missing(
        root, QUARTER))
    assert "Projects behind their milestones" in text
    assert "No flagged number in the returns waiting for approval." in text and "No flag data" not in text
    assert "<td" in _html(message) and "<script" not in _html(message)


def test_digest_out_writes_an_eml_file_and_sends_nothing(chased, inbox, tmp_path, away_from_secrets):
    root, _, gone = chased
    out = tmp_path / "digest"
    assert cli.main(["digest", "--out", str(out), "--data-dir", str(root),
                     "--as-of", (DUE_ON + dt.timedelta(days=1)).isoformat()]) == 0
    (path,) = out.glob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["Subject"].endswith(f"digest for {DUE_ON + dt.timedelta(days=1):%d %B %Y}")
    assert all(project in _text(message) for project in gone)
    assert inbox.received == []


def test_the_digest_lists_the_flags_awaiting_review(data_store, picks, tmp_path, away_from_secrets):
    """The bug: the digest said "No flag data…" though partners' returns waiting for approval carried flags. It now
    lists them (project, quarter, what, value, message, explained) and counts the values marked for follow-up, the
    counts read independently from the returns' records in the store."""
    import json

    from impact.reporting import checks, follow_up, partners
    from tests.test_checks import _flagged_pick, _unusual
    from tests.test_partners import account

    project, period = _flagged_pick(data_store, picks)
    partner = account(data_store, [project])
    held = store.open_store(data_store)
    book = _unusual(data_store, project, period)
    first = partners.submit(held, partner, "big.xlsx", book)
    sent = partners.submit(held, partner, "big.xlsx", book, explanations={f.key: "A campaign" for f in first.flags})
    assert sent.ok and first.flags
    follow_up.mark(held, sent.submission.id, first.flags[0].key, "ask for the attendance sheets", "team@example.org")
    out = tmp_path / "digest"
    assert cli.main(["digest", "--out", str(out), "--data-dir", str(data_store), "--as-of",
                     (period + dt.timedelta(days=200)).isoformat()]) == 0
    (path,) = out.glob("*.eml")
    text = _text(email.message_from_bytes(path.read_bytes(), policy=email.policy.default))
    assert "No flag data" not in text
    records = [json.loads(p.read_text(encoding="utf-8")) for p in data_store.rglob("record.json")]
    waiting = [r for r in records if r.get("state") == "submitted"]
    flags = [f for r in waiting for f in r.get("flags", [])]
    assert len(flags) == len(first.flags)
    section = text.split("Flags awaiting review")[1]
    assert f"{len(flags)} flagged number(s) in {len(waiting)} return(s) waiting for approval" in section
    assert "1 flagged value(s) marked for follow-up." in section
    trained = next(f for f in flags if f["key"] == "outlier:trainees")
    row = next(line for line in section.splitlines() if line.startswith(f"{project} | ") and " trainees " in line)
    assert row.split(" | ")[3] == trained["value"] and row.split(" | ")[4] == trained["message"]
    assert row.split(" | ")[5] == "yes"  # explained (the explanation itself stays in the team's queue)
    french = tmp_path / "digest-fr"  # in the team's language: the counts, headings and each message said in French
    assert cli.main(["digest", "--out", str(french), "--data-dir", str(data_store), "--lang", "fr", "--as-of",
                     (period + dt.timedelta(days=200)).isoformat()]) == 0
    (path,) = french.glob("*.eml")
    text = _text(email.message_from_bytes(path.read_bytes(), policy=email.policy.default))
    words = __import__("impact.model.i18n", fromlist=["i18n"]).translator("fr")
    assert f"{len(flags)} nombre(s) signalé(s) dans {len(waiting)} rapport(s) en attente d'approbation" in text
    row = next(line for line in text.split(words.gettext("Flags awaiting review"))[1].splitlines()
               if line.startswith(f"{project} | ") and " trainees " in line)
    assert row.split(" | ")[4] == checks.say(trained, held.definition(), "fr") != trained["message"]
    assert row.split(" | ")[5] == "oui"


# ---- the pages: a partner sends on the project's page, the team sends it back on the Data page -------

def test_the_pages_send_the_arrival_to_the_team_and_the_note_to_the_partner(data_store, picks, inbox, monkeypatch,
                                                                         away_from_secrets):
    import streamlit as st

    from tests.conftest import make_app
    from tests.test_partners import ADMIN_PASSWORD, _partner_signs_in, _serve, account, corrected
    from tests.test_returns import returns_xlsx

    project, period = picks[0]
    partner = account(data_store, [project])
    write_secrets(away_from_secrets, inbox.port)  # the app reads Streamlit's secrets from the folder it runs in
    _serve(data_store, monkeypatch)
    try:
        at = _partner_signs_in(make_app("pages/partnerships.py", {"project": project}), partner.email)
        at.selectbox(key="return_quarter").set_value(period)
        at.run()
        at.file_uploader(key="partner_upload").set_value(("filled.xlsx", corrected(data_store, project, period),
                                                          returns_xlsx()))
        at.run()
        next(b for b in at.button if b.label == "Send the return").click()
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        (arrival,) = inbox.to(TEAM)
        assert f"return received from {project} for {calendar.quarter_label(period)}" in arrival["Subject"]
        assert partner.email in _text(arrival)

        admin = make_app("pages/data.py")
        admin.text_input(key="admin_password").input(ADMIN_PASSWORD)
        next(b for b in admin.button if b.label == "Sign in").click()
        admin.run()
        [waiting] = partners.submissions(store.open_store(data_store), project)
        admin.selectbox(key="send_back_id").set_value(waiting.id)
        admin.text_input(key="return_note").input("The <b>midwives</b> row is twice the last quarter's.")
        admin.run()
        next(b for b in admin.button if b.label == "Send it back").click()
        admin.run()
        assert not admin.exception, [e.value for e in admin.exception]
        (back,) = inbox.to(partner.email)
        assert back["X-Impact-Notice"] == "sent-back" and back["To"] == partner.email
        assert "The <b>midwives</b> row is twice the last quarter's." in _text(back)
        assert "&lt;b&gt;midwives&lt;/b&gt;" in _html(back)
        assert len(inbox.received) == 2
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()
