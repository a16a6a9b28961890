"""Partners submit their own returns: accounts tied to projects (checked on the server, not only by hiding a
button), submitted -> returned (with a note) -> approved with a trail of every step, only approved returns in a
version, "reported late" from the definition's deadline, and the pages a partner and an administrator use."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import stat

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from impact import cli
from impact.app import auth
from impact.model import calendar
from impact.model import programme as programmes
from impact.query import db, reporting
from impact.reporting import partners, returns
from impact.storage import store
from tests.conftest import make_app
from tests.data_helpers import snapshot
from tests.test_returns import (
    _changed_rows,
    edit,
    fill,
    independent_statuses,
    original_return,
    returns_xlsx,
    rows_of,
    write,
)

PARTNER_PASSWORD = "our ward trained forty nurses"
ADMIN_PASSWORD = "approve the quarter's returns"


def account(data_store, projects, email="nurse.lead@example.org", password=PARTNER_PASSWORD):
    held = store.open_store(data_store)
    known = returns.project_ids(held.active().path)
    return partners.save_account(held, email, "Ward lead", projects, known, "admin",
                                 auth.hash_password(password) if password else None)


def corrected(data_store, project, period, seed=0) -> bytes:
    held = store.open_store(data_store)
    folder = held.active().path
    rows = _changed_rows(rows_of(folder, project, period), seed)
    rows["volunteering"] = rows_of(folder, project, period)["volunteering"]  # nothing removed
    return fill(returns.workbook(project, period, held), rows)


# ---- accounts -------------------------------------------------------------------------------------

def test_an_account_is_tied_to_known_projects_and_keeps_only_a_hash(data_store, picks):
    project = picks[0][0]
    made = account(data_store, [project], email="  Nurse.Lead@Example.org ")
    assert made.email == "nurse.lead@example.org" and made.projects == (project,)
    path = data_store / partners.ACCOUNTS
    assert PARTNER_PASSWORD not in path.read_text() and made.password_hash.startswith("scrypt$")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    held = store.open_store(data_store)
    assert partners.account(held, "NURSE.LEAD@example.org") == made
    with pytest.raises(partners.PartnerError, match="not an e-mail"):
        account(data_store, [project], email="nurse lead")
    with pytest.raises(partners.PartnerError, match="There is no project NOPE-1"):
        account(data_store, [project, "NOPE-1"])
    with pytest.raises(partners.PartnerError, match="at least one project"):
        account(data_store, [])
    again = account(data_store, [project, picks[1][0]], password=None)  # a change keeps the password
    assert again.password_hash == made.password_hash and again.projects == (project, picks[1][0])
    partners.remove_account(held, made.email)
    assert partners.accounts(held) == []


# ---- submitted, returned, approved ------------------------------------------------------------------

def test_a_submitted_return_changes_no_figure_until_it_is_approved(data_store, picks, tmp_path):
    (project, period), (other, _) = picks[0], picks[1]
    partner = account(data_store, [project])
    before = snapshot(data_store)
    held = store.open_store(data_store)
    sent = partners.submit(held, partner, "our return.xlsx", corrected(data_store, project, period))
    assert sent.ok and sent.submission.state == partners.SUBMITTED, sent.problems.to_frame()
    assert held.active().version == "base"
    changed = {k for k, v in snapshot(data_store).items() if before.get(k) != v}
    # only the kept return, the trail's entry and the store's key (made when the first workbook was written)
    assert changed and all(k.startswith((f"{partners.SUBMISSIONS}/", "audit/")) or k == returns.KEY for k in changed)
    trail = partners.trail(partners.submissions(held, project))
    assert trail[["step", "who", "file"]].values.tolist() == [["submitted", partner.email, "our return.xlsx"]]
    assert trail["sha256"][0] == store.sha256(partners.fetch_workbook(held, sent.submission, tmp_path))
    assert partners.submissions(held, other) == []


def test_a_partner_cannot_send_another_projects_return(data_store, picks):
    (project, _), (other, other_period) = picks[0], picks[1]
    partner = account(data_store, [project])
    theirs = original_return(data_store, other, other_period)  # (the store's key is made with the first workbook)
    before = snapshot(data_store)
    sent = partners.submit(store.open_store(data_store), partner, "theirs.xlsx", theirs)
    assert not sent.ok
    problems = sent.problems.to_frame()
    assert problems["rule"].tolist() == ["not-your-project"] and other in problems["message"][0]
    assert snapshot(data_store) == before


def test_a_bad_return_is_refused_at_once_with_its_location_and_nothing_kept(data_store, picks):
    project, period = picks[0]
    partner = account(data_store, [project])

    def unlock_and_change(wb):
        wb["training"]["B1"] = "SOMEONE-ELSE"

    changed = edit(original_return(data_store, project, period), unlock_and_change)
    before = snapshot(data_store)
    held = store.open_store(data_store)
    sent = partners.submit(held, partner, "changed.xlsx", changed)
    assert not sent.ok and sent.problems.to_frame()["file"].str.startswith("changed.xlsx").all()
    assert partners.submit(held, partner, "notes.txt", b"hello").problems.to_frame()["rule"].tolist() == [
        "unknown-file"]
    assert snapshot(data_store) == before


def test_a_return_sent_back_carries_the_note_and_a_new_one_replaces_it(data_store, picks):
    project, period = picks[0]
    partner = account(data_store, [project])
    held = store.open_store(data_store)
    first = partners.submit(held, partner, "first.xlsx", corrected(data_store, project, period)).submission
    with pytest.raises(partners.PartnerError, match="Say why"):
        partners.send_back(held, first.id, "  ", "admin")
    back = partners.send_back(held, first.id, "Volunteer days look doubled; please check.", "team@example.org")
    assert back.state == partners.RETURNED and back.note == "Volunteer days look doubled; please check."
    with pytest.raises(partners.PartnerError, match="Only submitted returns can be approved"):
        partners.approve(held, [first.id], "admin")
    second = partners.submit(held, partner, "second.xlsx", corrected(data_store, project, period, 1))
    assert second.replaced == [first.id]
    assert partners.get(held, first.id).state == partners.REPLACED
    steps = partners.trail(partners.submissions(held, project))
    assert sorted(steps["step"]) == ["replaced", "returned", "submitted", "submitted"]


def test_approved_returns_land_as_one_version_with_their_trail(data_store, picks):
    (project, period), (other, other_period) = picks[0], picks[1]
    partner = account(data_store, [project, other])
    wanted = {project: _changed_rows(rows_of(data_store, project, period), 0)["training"]}
    held = store.open_store(data_store)
    ids = [partners.submit(held, partner, f"{p}.xlsx", corrected(data_store, p, d)).submission.id
           for p, d in ((project, period), (other, other_period))]
    result = partners.approve(held, ids, "team@example.org")
    assert result.ok, result.summary()
    active = held.active()
    assert active.version == result.version
    assert [v.version for v in held.versions()] == [result.version, "base"]  # one version
    landed = sorted(rows_of(active.path, project, period)["training"], key=lambda r: (r["cadre"], r["gender"],
                                                                                       r["training_type"]))
    assert [r["trainees"] for r in landed] == [r["trainees"] for r in sorted(
        wanted[project], key=lambda r: (r["cadre"], r["gender"], r["training_type"]))]
    for found in (partners.get(held, i) for i in ids):
        assert found.state == partners.APPROVED and found.version == result.version
        assert [e["step"] for e in found.events] == ["submitted", "approved"]
        assert found.events[1]["who"] == "team@example.org"
    manifest = store.read_manifest(active.path)
    sent_at = {r["project"]: r["submitted_at"] for r in manifest["returns"]}
    arrived = returns.arrivals(held).set_index("project_id")["arrived"].to_dict()
    assert arrived == sent_at == {p: partners.get(held, i).submitted_at for p, i in zip((project, other), ids,
                                                                                               strict=True)}
    assert result.version in returns.versions_changing(project, held)["version"].tolist()
    untouched = picks[2][0]
    assert result.version not in returns.versions_changing(untouched, held)["version"].tolist()


def test_the_command_line_approves_as_it_imports_and_records_it(data_store, picks, tmp_path, capsys):
    project, period = picks[0]
    path = write(tmp_path / "in", "cli.xlsx", corrected(data_store, project, period))
    assert cli.main(["return", "import", str(path), "--data-dir", str(data_store)]) == 0
    capsys.readouterr()
    held = store.open_store(data_store)
    [found] = partners.submissions(held, project)
    assert found.state == partners.APPROVED and found.version == held.active().version
    assert found.events[0]["sha256"] == store.sha256(path) and "(command line)" in found.events[0]["who"]


# ---- reported late ------------------------------------------------------------------------------

def test_a_return_sent_after_the_deadline_is_reported_late(data_store, picks):
    """The definition's deadline decides; arrivals come from the returns' submissions; statuses equal an
    independent computation."""
    (project, period), (other, other_period) = picks[0], picks[1]
    definition = programmes.read(data_store / "programme.json")
    (data_store / "programme.json").write_text(
        dataclasses.replace(definition, reporting=programmes.Reporting(deadline_days=20)).to_json())
    partner = account(data_store, [project, other])
    held = store.open_store(data_store)
    ids = [partners.submit(held, partner, f"{p}.xlsx", original_return(data_store, p, d)).submission.id
           for p, d in ((project, period), (other, other_period))]
    late_day = calendar.quarter_end(period) + dt.timedelta(days=25)  # after the 20 days
    on_time = calendar.quarter_end(other_period) + dt.timedelta(days=20)  # the last day still on time
    sent = {project: late_day, other: on_time}
    for item_id, p in zip(ids, (project, other), strict=True):  # as if they had been sent on those days
        path = data_store / partners.submission_folder(item_id) / partners.RECORD
        record = json.loads(path.read_text())
        record["events"][0]["when"] = f"{sent[p].isoformat()}T10:00:00Z"
        path.write_text(json.dumps(record))
    assert partners.approve(held, ids, "admin").ok
    active = held.active()
    database = db.open_database(active.path, active.version)
    assert database.programme.reporting.deadline_days == 20
    arrivals = returns.arrivals(held)
    as_of = dt.date(2030, 1, 1)
    frame = reporting.status(database, as_of, arrivals)
    got = dict(zip(zip(frame["project_id"], frame["quarter"].dt.date, strict=True), frame["status"], strict=True))
    assert got[project, period] == reporting.LATE and got[other, other_period] == reporting.REPORTED
    came = {(p, d): sent[p] for p, d in ((project, period), (other, other_period))}
    assert got == independent_statuses(active.path, as_of, 20, came)
    totals = reporting.summary(frame)
    assert totals["late"] == 1 and totals["on_time_rate"] == pytest.approx((totals["received"] - 1) / totals["due"])
    before_it_came = reporting.status(database, late_day - dt.timedelta(days=1), arrivals)
    row = before_it_came[(before_it_came["project_id"] == project) & (before_it_came["quarter"].dt.date == period)]
    assert row["status"].item() == reporting.MISSING  # due, and not yet sent on that day


def test_the_reporting_section_of_a_definition_is_checked():
    base = json.loads(programmes.read(str(__import__("tests.conftest", fromlist=["ROOT"]).ROOT / "data" /
                                          "programme.json")).to_json())
    for bad, where in (({"grain": "month"}, "reporting.grain"), ({"deadline_days": -1}, "reporting.deadline_days"),
                       ({"deadline_days": "30"}, "reporting.deadline_days"), ({"late": 3}, "reporting.late"),
                       ("soon", "reporting")):
        with pytest.raises(programmes.DefinitionError) as error:
            programmes.parse({**base, "reporting": bad})
        assert where in str(error.value)
    parsed = programmes.parse({**base, "reporting": {"deadline_days": 45}})
    assert parsed.reporting.due_on(dt.date(2018, 9, 30)) == dt.date(2018, 11, 14)
    assert programmes.parse({k: v for k, v in base.items() if k != "reporting"}).reporting.deadline_days is None


# ---- the pages ------------------------------------------------------------------------------------

def _serve(data_store, monkeypatch):
    monkeypatch.setenv("IMPACT_DATA_DIR", str(data_store))
    monkeypatch.setenv(auth.HASH_ENV, auth.hash_password(ADMIN_PASSWORD))
    st.cache_data.clear()
    st.cache_resource.clear()


def _partner_signs_in(at: AppTest, email: str, password: str = PARTNER_PASSWORD) -> AppTest:
    at.text_input(key="partner_email").input(email)
    at.text_input(key="partner_password").input(password)
    next(b for b in at.button if b.label == "Sign in").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _downloads(at: AppTest) -> list[str]:
    return [b.label for b in at.get("download_button")]


def test_a_partner_sends_a_return_on_the_project_page_and_an_administrator_approves_it(data_store, picks,
                                                                                         monkeypatch):
    project, period = picks[0]
    partner = account(data_store, [project])
    _serve(data_store, monkeypatch)
    at = make_app("pages/partnerships.py", {"project": project})
    assert "Download the reporting workbook" not in _downloads(at)
    _partner_signs_in(at, partner.email, "wrong password")
    assert any("Wrong e-mail or password" in e.value for e in at.error)
    _partner_signs_in(at, partner.email)
    assert "Download the reporting workbook" in _downloads(at)
    at.selectbox(key="return_quarter").set_value(period)
    at.run()
    book = corrected(data_store, project, period)
    at.file_uploader(key="partner_upload").set_value(("filled.xlsx", book, returns_xlsx()))
    at.run()
    next(b for b in at.button if b.label == "Send the return").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("received" in s.value for s in at.success), [s.value for s in at.success]
    assert any("waiting for the programme team's approval" in i.value for i in at.info)
    held = store.open_store(data_store)
    assert held.active().version == "base"  # not yet approved: no figure changed

    admin = make_app("pages/data.py")
    admin.text_input(key="admin_password").input(ADMIN_PASSWORD)
    next(b for b in admin.button if b.label == "Sign in").click()
    admin.run()
    queue = next(d.value for d in admin.dataframe if "sent by" in d.value.columns)
    assert queue["project"].tolist() == [project] and queue["sent by"].tolist() == [partner.email]
    [waiting] = partners.submissions(held, project)
    admin.multiselect(key="approve_ids").set_value([waiting.id])
    admin.run()
    next(b for b in admin.button if b.label == "Approve 1 return(s)").click()
    admin.run()
    assert not admin.exception, [e.value for e in admin.exception]
    assert any("1 return(s) imported" in s.value.replace("\\", "") for s in admin.success), [e.value for e in admin.error]
    assert held.active().version != "base"
    expected = sum(r["trainees"] for r in _changed_rows(rows_of(data_store, project, period), 0)["training"])
    assert sum(r["trainees"] for r in rows_of(held.active().path, project, period)["training"]) == expected

    at.run()  # the partner's page: the trail shows both steps, and the version that changed its figures
    steps = next(d.value for d in at.dataframe if "sha256" in d.value.columns)
    assert steps["step"].tolist() == ["approved", "submitted"]
    links = next(d.value for d in at.dataframe if "link" in d.value.columns)["link"]
    assert f"data?version={held.active().version}" in links.tolist()
    st.cache_data.clear()
    st.cache_resource.clear()


def test_a_partner_of_another_project_gets_neither_its_workbook_nor_its_upload(data_store, picks, monkeypatch):
    (project, _), (other, _) = picks[0], picks[1]
    partner = account(data_store, [project])
    _serve(data_store, monkeypatch)
    at = _partner_signs_in(make_app("pages/partnerships.py", {"project": other}), partner.email)
    assert "Download the reporting workbook" not in _downloads(at)
    assert not at.get("file_uploader")
    assert any(f"not for {other}" in i.value.replace("\\", "") for i in at.info)
    st.cache_data.clear()
    st.cache_resource.clear()


def _server_side(project: str, quarter: str, email: str) -> None:
    """A session signed in as `email` asks the server for `project`'s workbook directly (no page, no button)."""
    import datetime as dt

    import streamlit as st

    from impact.app import auth, returns_view
    from impact.reporting import partners
    from impact.storage import store

    held = store.open_store()
    auth.start_partner_session(held, partners.account(held, email))  # as a password sign-in leaves it
    try:
        returns_view.workbook_for(project, dt.date.fromisoformat(quarter))
        st.write("granted")
    except PermissionError as error:
        st.write(f"refused: {error}")


def test_the_server_refuses_another_projects_workbook_whatever_the_page_shows(data_store, picks, monkeypatch):
    (project, period), (other, other_period) = picks[0], picks[1]
    partner = account(data_store, [project])
    _serve(data_store, monkeypatch)
    for asked, quarter, expected in ((other, other_period, f"refused: the account {partner.email} does not report "
                                                            f"for {other}"),
                                     (project, period, "granted")):
        at = AppTest.from_function(_server_side, args=(asked, quarter.isoformat(), partner.email),
                                   default_timeout=60).run()
        assert not at.exception, [e.value for e in at.exception]
        assert [m.value for m in at.markdown] == [expected]
    st.cache_data.clear()
    st.cache_resource.clear()


def test_an_administrator_creates_a_partner_account_on_the_data_page(data_store, picks, monkeypatch):
    project = picks[0][0]
    _serve(data_store, monkeypatch)
    at = make_app("pages/data.py")
    at.text_input(key="admin_password").input(ADMIN_PASSWORD)
    next(b for b in at.button if b.label == "Sign in").click()
    at.run()
    at.text_input(key="account_email").input("lead@example.org")
    at.text_input(key="account_name").input("Lead")
    at.multiselect(key="account_projects").set_value([project])
    at.text_input(key="account_password").input(PARTNER_PASSWORD)
    next(b for b in at.button if b.label == "Save the account").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("lead@example.org saved" in s.value.replace("\\", "") for s in at.success)
    held = store.open_store(data_store)
    made = partners.account(held, "lead@example.org")
    assert made.projects == (project,) and auth.verify_password(PARTNER_PASSWORD, made.password_hash)
    at.selectbox(key="account_remove").set_value("lead@example.org")
    at.run()
    assert next(b for b in at.button if b.label == "Remove the account").disabled  # says so first: a tick
    at.checkbox(key="account_remove_sure").check()
    at.run()
    next(b for b in at.button if b.label == "Remove the account").click()
    at.run()
    assert partners.account(held, "lead@example.org") is None
    st.cache_data.clear()
    st.cache_resource.clear()


def test_a_partner_logged_in_through_the_identity_provider_is_known_by_its_e_mail(data_store, picks, monkeypatch):
    (project, _), (other, _) = picks[0], picks[1]
    partner = account(data_store, [project], password=None)  # no password: organisation login only
    monkeypatch.setattr(auth, "oidc_user", lambda: "nurse.lead@example.org")
    held = store.open_store(data_store)
    assert auth.partner(held) == partner and partner.sign_in == "organisation login"
    assert auth.require_project(held, project) == partner.email
    with pytest.raises(PermissionError, match=f"does not report for {other}"):
        auth.require_project(held, other)
    monkeypatch.setattr(auth, "oidc_user", lambda: "someone.else@example.org")
    assert auth.partner(held) is None
    with pytest.raises(PermissionError, match="sign in as a partner"):
        auth.require_project(held, project)


# ---- on an S3 store ------------------------------------------------------------------------------

def test_accounts_and_returns_on_an_s3_store_are_shared_by_every_server(s3_env, fixture_dir, picks, tmp_path,  # noqa: F811
                                                                        monkeypatch, compiled_imports):
    from impact.storage import remote
    from tests.s3_helpers import as_server, programme_on_s3

    url, pid = programme_on_s3(s3_env, fixture_dir)
    held = store.open_store(url, pid)
    project, period = picks[0]
    made = account(held.root, [project])
    sent = partners.submit(held, made, "s3.xlsx", corrected(held.root, project, period))
    assert sent.ok, sent.problems.to_frame()
    objects = remote.listing(held.remote)
    assert partners.ACCOUNTS in objects and f"{partners.submission_folder(sent.submission.id)}/s3.xlsx" in objects
    as_server(monkeypatch, tmp_path / "cache-b")  # another server sees the account and approves the return
    other = store.open_store(url, pid)
    assert other.root != held.root and partners.account(other, made.email) == made
    result = partners.approve(other, [sent.submission.id], "team@example.org")
    assert result.ok, result.summary()
    as_server(monkeypatch, tmp_path / "cache-a")
    assert store.open_store(url, pid).active().version == result.version
    assert partners.get(held, sent.submission.id).state == partners.APPROVED
