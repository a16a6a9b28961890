"""A home for each partner: the thread of comments per return (kept with the return, append-only, in the trail, a
partner only on its own projects' returns), the team's follow-up marks on flagged values and the flags CSV, the
`flags` command, and the My projects page (a partner's projects with their figures against targets, what is due,
returns sent back, history and comments), checked against independent computations."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest

from impact import cli
from impact.reporting import comments, follow_up, partners
from impact.storage import audit, store
from tests.data_helpers import snapshot
from tests.test_checks import _flagged_pick, _unusual
from tests.test_partners import account, corrected


def _csv_rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


# ---- comments ------------------------------------------------------------------------------------------

def test_a_thread_of_comments_is_kept_with_its_return_in_order_and_in_the_trail(data_store, picks):
    project, period = picks[0]
    partner = account(data_store, [project])
    sent = partners.submit(store.open_store(data_store), partner, "ours.xlsx", corrected(data_store, project, period)).submission
    first = comments.post_by_partner(store.open_store(data_store), partner, sent.id, "  Is the <b>cadre</b> list right?\r\nThanks  ")
    comments.post_by_team(store.open_store(data_store), sent.id, "=HYPERLINK(\"x\") yes, *it is*", "team@example.org")
    assert first.text == "Is the <b>cadre</b> list right?\nThanks" and first.role == comments.PARTNER
    thread = comments.thread(store.open_store(data_store), sent.id)
    assert [(c.who, c.role, c.text) for c in thread] == [
        (partner.email, "partner", "Is the <b>cadre</b> list right?\nThanks"),
        ("team@example.org", "team", "=HYPERLINK(\"x\") yes, *it is*")]
    assert comments.partner_thread(store.open_store(data_store), partner, sent.id) == thread
    kept = json.loads((data_store / partners.SUBMISSIONS / sent.id / comments.COMMENTS).read_text())
    assert [c["text"] for c in kept["comments"]] == [c.text for c in thread] and thread[0].when <= thread[1].when
    logged = [e for e in audit.entries(store.open_store(data_store)) if e["action"] == audit.COMMENTED]
    assert [(e["who"], e["details"]["id"], e["details"]["role"]) for e in logged] == [
        (partner.email, sent.id, "partner"), ("team@example.org", sent.id, "team")]
    assert audit.verify(store.open_store(data_store)) == []
    with pytest.raises(partners.PartnerError, match="empty"):
        comments.post_by_partner(store.open_store(data_store), partner, sent.id, " \x00\x07 \n ")
    assert len(comments.thread(store.open_store(data_store), sent.id)) == 2
    long = comments.post_by_team(store.open_store(data_store), sent.id, "x" * 5000, "team")
    assert len(long.text) == comments.COMMENT_MAX
    assert comments.counts(store.open_store(data_store), [sent.id]) == {sent.id: 3}


def test_a_partner_reads_and_comments_only_on_its_own_projects_returns(data_store, picks):
    (project, period), (other, other_period) = picks[0], picks[1]
    mine = account(data_store, [project])
    theirs = account(data_store, [other], email="other.lead@example.org")
    their_return = partners.submit(store.open_store(data_store), theirs, "theirs.xlsx", corrected(data_store, other, other_period))
    my_return = partners.submit(store.open_store(data_store), mine, "mine.xlsx", corrected(data_store, project, period))
    comments.post_by_partner(store.open_store(data_store), theirs, their_return.submission.id, "Our own business")
    assert [s.id for s in comments.account_submissions(store.open_store(data_store), mine)] == [my_return.submission.id]
    before = snapshot(data_store)
    for asked in (their_return.submission.id, "no-such-return-2015q1-00000000", "../../partners/accounts", ""):
        with pytest.raises(partners.PartnerError, match="among your projects' returns") as refused:
            comments.post_by_partner(store.open_store(data_store), mine, asked, "let me in")
        assert "Our own business" not in str(refused.value) and other not in str(refused.value)
        with pytest.raises(partners.PartnerError, match="among your projects' returns"):
            comments.partner_thread(store.open_store(data_store), mine, asked)
    assert snapshot(data_store) == before  # nothing written, not even a trail entry
    both = account(data_store, [project, other], email="both@example.org")
    assert [c.text for c in comments.partner_thread(store.open_store(data_store), both, their_return.submission.id)] == [
        "Our own business"]


# ---- follow-up marks and the flags CSV -------------------------------------------------------------------

def _flagged_return(data_store, picks):
    project, period = _flagged_pick(data_store, picks)
    partner = account(data_store, [project])
    book = _unusual(data_store, project, period)
    flags = partners.submit(store.open_store(data_store), partner, "big.xlsx", book).flags
    explained = {f.key: f"Campaign: =1+1 for {f.key}" for f in flags}
    sent = partners.submit(store.open_store(data_store), partner, "big.xlsx", book, explanations=explained)
    assert sent.ok
    return sent.submission, partner


def test_the_team_marks_a_flag_for_follow_up_lists_it_clears_it_and_exports_every_flag(data_store, picks):
    item, _ = _flagged_return(data_store, picks)
    keys = [f["key"] for f in item.flags]
    assert "outlier:trainees" in keys
    with pytest.raises(partners.PartnerError, match="note is empty"):
        follow_up.mark(store.open_store(data_store), item.id, "outlier:trainees", "   ", "team")
    with pytest.raises(partners.PartnerError, match="has no flag 'outlier:nothing'"):
        follow_up.mark(store.open_store(data_store), item.id, "outlier:nothing", "check", "team")
    assert follow_up.marked_rows(store.open_store(data_store)) == []
    follow_up.mark(store.open_store(data_store), item.id, "outlier:trainees", "Ask for the  attendance\nsheets", "team@example.org")
    [listed] = follow_up.marked_rows(store.open_store(data_store))
    assert (listed["return"], listed["key"], listed["follow_up_note"], listed["follow_up_by"]) == (
        item.id, "outlier:trainees", "Ask for the attendance sheets", "team@example.org")

    rows = _csv_rows(follow_up.flags_csv(store.open_store(data_store)))
    assert len(rows) == len(item.flags)
    by_key = {f["key"]: f for f in item.flags}
    for row in rows:  # every flag: its own fields, the explanation (neutralised: it starts no formula) and the mark
        flag = by_key[next(k for k in by_key if row["names"] == by_key[k]["names"] and row["kind"] == by_key[k]["kind"])]
        assert row["project"] == item.project and row["quarter"] == item.quarter and row["return"] == item.id
        assert row["value"] == flag["value"] and row["message"] == flag["message"]
        assert row["explanation"] == flag["explanation"] == f"Campaign: =1+1 for {flag['key']}"
        marked = flag["key"] == "outlier:trainees"
        assert row["follow_up"] == ("yes" if marked else "")
        assert row["follow_up_note"] == ("Ask for the attendance sheets" if marked else "")
    actions = [e["action"] for e in audit.entries(store.open_store(data_store))]
    assert actions.count(audit.FOLLOW_UP) == 1

    follow_up.clear(store.open_store(data_store), item.id, "outlier:trainees", "team@example.org")
    assert follow_up.marked_rows(store.open_store(data_store)) == []
    assert {r["follow_up"] for r in _csv_rows(follow_up.flags_csv(store.open_store(data_store)))} == {""}
    with pytest.raises(partners.PartnerError, match="not marked"):
        follow_up.clear(store.open_store(data_store), item.id, "outlier:trainees", "team")
    assert [e["action"] for e in audit.entries(store.open_store(data_store))].count(audit.FOLLOW_UP_CLEARED) == 1


def test_a_formula_in_a_note_or_explanation_is_neutralised_in_the_csv(data_store, picks):
    item, _ = _flagged_return(data_store, picks)
    follow_up.mark(store.open_store(data_store), item.id, item.flags[0]["key"], "=cmd|' /C calc'!A0", "@team")
    text = follow_up.flags_csv(store.open_store(data_store)).decode("utf-8-sig")
    assert "'=cmd|' /C calc'!A0" in text and "'@team" in text
    row = next(r for r in _csv_rows(follow_up.flags_csv(store.open_store(data_store))) if r["follow_up"])
    assert row["follow_up_note"] == "'=cmd|' /C calc'!A0"


def test_the_flags_command_writes_every_flag_with_its_mark(data_store, picks, tmp_path, capsys):
    item, _ = _flagged_return(data_store, picks)
    follow_up.mark(store.open_store(data_store), item.id, "outlier:trainees", "Visit in May", "team")
    out = tmp_path / "flags.csv"
    assert cli.main(["flags", "--out", str(out), "--data-dir", str(data_store)]) == 0
    assert f"{len(item.flags)} flag(s)" in capsys.readouterr().out
    rows = _csv_rows(out.read_bytes())
    assert len(rows) == len(item.flags)
    assert [(r["return"], r["names"], r["follow_up_note"]) for r in rows if r["follow_up"]] == [
        (item.id, "trainees", "Visit in May")]
    assert cli.main(["flags", "--out", str(out), "--data-dir", str(data_store)]) == cli.INPUT_ERROR  # never overwrites
    assert "already exists" in capsys.readouterr().err


# ---- what is due ----------------------------------------------------------------------------------------

def _project_dates(folder) -> dict:
    import duckdb

    rows = duckdb.execute(f"select project_id, start_date, end_date from read_parquet('{folder}/projects.parquet')")
    return {p: (s, e) for p, s, e in rows.fetchall()}


def _has_rows(folder, project, period) -> bool:
    import duckdb

    return any(duckdb.execute(f"select count(*) from read_parquet('{folder}/{name}.parquet') "
                              "where project_id = $p and period = $d", {"p": project, "d": period}).fetchone()[0]
               for name in ("training", "volunteering", "outcomes"))


def _expected_due(folder, project, as_of):
    """The quarter due on `as_of` (the one before as_of's), its due date and status, computed by hand."""
    import datetime as dt

    deadline = json.loads((folder / "programme.json").read_text()).get("reporting", {}).get("deadline_days") or 0
    first_of_this = dt.date(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1)
    last_day = first_of_this - dt.timedelta(days=1)
    quarter = dt.date(last_day.year, 3 * ((last_day.month - 1) // 3) + 1, 1)
    due_by = last_day + dt.timedelta(days=deadline)
    start, end = _project_dates(folder)[project]
    if not (dt.date(start.year, 3 * ((start.month - 1) // 3) + 1, 1) <= quarter <= end):
        return None  # the project does not report for that quarter
    status = "received" if _has_rows(folder, project, quarter) else "due" if as_of <= due_by else "late"
    return f"{quarter.year}Q{(quarter.month - 1) // 3 + 1}", due_by, status


def test_the_return_due_now_is_the_last_quarters_with_its_due_date_and_status(data_store, picks):
    import datetime as dt

    from impact.reporting import due

    project, period = picks[0]
    partner = account(data_store, [project])
    as_of = period + dt.timedelta(days=100)  # in the next quarter: `period`'s return is due
    [found] = due.due_now(store.open_store(data_store), [project], as_of)
    label, due_by, status = _expected_due(data_store, project, as_of)
    assert (found.quarter, found.due, found.status) == (period, due_by, status) == (period, due_by, "received")
    assert f"{period.year}Q" in label
    start, end = _project_dates(data_store)[project]
    before = due.due_now(store.open_store(data_store), [project], start - dt.timedelta(days=1))[0]
    assert before.status == due.NOT_STARTED and before.quarter == dt.date(start.year, 3 * ((start.month - 1) // 3) + 1, 1)
    after = due.due_now(store.open_store(data_store), [project], end + dt.timedelta(days=400))[0]
    assert after.status == due.ENDED and "last quarter was" in after.sentence(end)
    sent = partners.submit(store.open_store(data_store), partner, "ours.xlsx", corrected(data_store, project, period)).submission
    assert due.due_now(store.open_store(data_store), [project], as_of)[0].status == due.WAITING
    partners.send_back(store.open_store(data_store), sent.id, "Please check the cadres.", "team")
    again = due.due_now(store.open_store(data_store), [project], as_of)[0]
    assert again.status == due.SENT_BACK and "send it again" in again.sentence(as_of)


# ---- the page -------------------------------------------------------------------------------------------

def _independent_tiles(folder, project) -> dict[str, str]:
    import duckdb

    def total(table, column):
        return duckdb.execute(f"select coalesce(sum({column}), 0) from read_parquet('{folder}/{table}.parquet') "
                              "where project_id = $p", {"p": project}).fetchone()[0]

    return {"Health workers trained": f"{int(total('training', 'trainees')):,}",
            "Volunteer days": f"{int(total('volunteering', 'volunteer_days')):,}"}


def _trained_by(folder, project, day) -> int:
    import duckdb

    return int(duckdb.execute(f"select coalesce(sum(trainees), 0) from read_parquet('{folder}/training.parquet') "
                              "where project_id = $p and period <= $d", {"p": project, "d": day}).fetchone()[0])


def _target_metrics(folder, project) -> set[str]:
    import duckdb

    return {m for (m,) in duckdb.execute(f"select distinct metric from read_parquet('{folder}/targets.parquet') "
                                         "where project_id = $p", {"p": project}).fetchall()}


def test_a_partner_of_two_projects_lands_on_my_projects_and_sees_both_and_not_a_third(data_store, picks, monkeypatch):
    import datetime as dt

    import streamlit as st

    from impact.app import partner_home
    from tests.conftest import make_app
    from tests.test_partners import _partner_signs_in, _serve

    (first, period), (second, _), (third, third_period) = picks[0], picks[1], picks[2]
    partner = account(data_store, [first, second])
    stranger = account(data_store, [third], email="third.lead@example.org")
    theirs = partners.submit(store.open_store(data_store), stranger, "theirs.xlsx", corrected(data_store, third, third_period)).submission
    comments.post_by_partner(store.open_store(data_store), stranger, theirs.id, "Private to the third project")
    mine = partners.submit(store.open_store(data_store), partner, "ours.xlsx", corrected(data_store, first, period)).submission
    partners.send_back(store.open_store(data_store), mine.id, "Volunteer days look doubled: <b>check</b> *them*", "team@example.org")
    as_of = period + dt.timedelta(days=100)
    monkeypatch.setattr(partner_home, "today", lambda: as_of)
    _serve(data_store, monkeypatch)

    assert make_app(None).title[0].value != "My projects"  # not signed in: the app opens on its Overview
    at = make_app("pages/my_projects.py")  # its link: the sign-in, nothing of any project
    assert not at.metric and not at.dataframe
    _partner_signs_in(at, partner.email)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "My projects"

    from streamlit.testing.v1 import AppTest

    from impact.app import auth
    from impact.reporting import sessions
    from tests.conftest import ROOT

    cookie = sessions.issue(store.open_store(data_store), partner, 1).value  # a new visit with the partner's cookie (AppTest has none)
    monkeypatch.setattr(auth, "partner_cookie", lambda: cookie)
    landing = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    landing.run()
    assert not landing.exception and landing.title[0].value == "My projects"  # signed in, the app opens on it

    # both projects, with the project page's figures (independent sums over the Parquet files)
    tiles = [(m.label, m.value) for m in at.metric]
    for project, shown in ((first, tiles[:4]), (second, tiles[4:8])):
        expected = _independent_tiles(data_store, project)
        assert {k: v for k, v in shown if k in expected} == expected, (project, shown)
    assert len(tiles) == 8
    headers = [h.value for h in at.header]
    assert len(headers) == 2
    targeted = [d.value for d in at.dataframe if "score" in d.value.columns]
    with_targets = [p for p in (first, second) if _target_metrics(data_store, p)]
    assert len(targeted) == len(with_targets)
    checked = 0
    for project, table in zip(with_targets, targeted, strict=True):  # trainees against target: the actual by hand
        trained = table[table["indicator"] == "Health workers trained"]
        if "trainees" in _target_metrics(data_store, project):
            day = pd.Timestamp(trained["judged_at"].iloc[0]).date()
            assert int(trained["actual"].iloc[0]) == _trained_by(data_store, project, day)
            checked += 1
    assert checked >= 1

    # what is due, and when
    owed = next(d.value for d in at.dataframe if "quarter due" in d.value.columns)
    assert owed["project"].tolist() == [first, second]
    label, due_by, _ = _expected_due(data_store, first, as_of)
    row = owed.iloc[0]
    assert (row["quarter due"], row["due by"], row["status"]) == (label, f"{due_by.day} {due_by:%b %Y}", "sent back")
    assert owed["returns sent back"].tolist() == [1, 0]
    expected_second = _expected_due(data_store, second, as_of)
    if expected_second is not None:
        assert tuple(owed.iloc[1][["quarter due", "due by", "status"]]) == (
            expected_second[0], f"{expected_second[1].day} {expected_second[1]:%b %Y}", expected_second[2])
    else:
        assert owed.iloc[1]["status"] in ("ended", "not started")

    # the return sent back, with the team's note as text
    assert any(f"the return for {label}" in w.value.replace("\\", "") for w in at.warning)
    texts = [t.value for t in at.text]
    assert "Volunteer days look doubled: <b>check</b> *them*" in texts
    history = next(d.value for d in at.dataframe if "last step (UTC)" in d.value.columns)
    assert history[["quarter", "state", "file", "return"]].values.tolist() == [[label, "returned", "ours.xlsx", mine.id]]
    assert {b.label for b in at.get("download_button")} == {"Download the reporting workbook"}
    assert len(at.get("file_uploader")) == 2

    # nothing of the third project
    everything = " ".join([*texts, *headers, *(c.value for c in at.caption), *(m.value for m in at.markdown),
                           *(d.value.to_csv() for d in at.dataframe)])
    assert third not in everything and theirs.id not in everything and "Private to the third project" not in everything

    # a comment on the return sent back, kept, in the trail, and on the page as text
    at.text_area(key=f"comment_{mine.id}").input("We counted *two* sites <script>alert(1)</script>")
    next(b for b in at.button if b.key == f"comment_{mine.id}_post").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [c.text for c in comments.thread(store.open_store(data_store), mine.id)] == ["We counted *two* sites <script>alert(1)</script>"]
    assert "We counted *two* sites <script>alert(1)</script>" in [t.value for t in at.text]
    assert [e["who"] for e in audit.entries(store.open_store(data_store)) if e["action"] == audit.COMMENTED][-1] == partner.email

    next(b for b in at.button if b.label == "Sign out").click()  # signed out: the sign-in again, no project
    at.run()
    assert not at.exception and not at.metric and at.text_input(key="partner_email") is not None
    st.cache_data.clear()
    st.cache_resource.clear()


def test_the_team_reads_the_thread_replies_and_marks_a_flag_for_follow_up_on_the_data_page(data_store, picks,
                                                                                          monkeypatch):
    import streamlit as st

    from tests.conftest import make_app
    from tests.test_partners import ADMIN_PASSWORD, _serve

    item, partner = _flagged_return(data_store, picks)
    comments.post_by_partner(store.open_store(data_store), partner, item.id, "The campaign trained <i>many</i>")
    _serve(data_store, monkeypatch)
    admin = make_app("pages/data.py")
    admin.text_input(key="admin_password").input(ADMIN_PASSWORD)
    next(b for b in admin.button if b.label == "Sign in").click()
    admin.run()
    assert not admin.exception, [e.value for e in admin.exception]
    assert admin.selectbox(key="team_comment_id").value == item.id
    assert "The campaign trained <i>many</i>" in [t.value for t in admin.text]
    admin.text_area(key="team_comment_text").input("Thank you: we will visit.")
    next(b for b in admin.button if b.key == "team_comment_post").click()
    admin.run()
    assert [(c.role, c.text) for c in comments.thread(store.open_store(data_store), item.id)] == [
        ("partner", "The campaign trained <i>many</i>"), ("team", "Thank you: we will visit.")]
    assert comments.thread(store.open_store(data_store), item.id)[1].who == "administrator (password)"

    admin.selectbox(key="follow_up_flag").set_value(f"{item.id}|outlier:trainees")
    admin.text_input(key="follow_up_note").input("Ask for the attendance sheets")
    admin.run()
    next(b for b in admin.button if b.label == "Mark for follow-up").click()
    admin.run()
    assert not admin.exception, [e.value for e in admin.exception]
    listed = next(d.value for d in admin.dataframe if "follow_up_note" in d.value.columns)
    assert listed[["return", "names", "follow_up_note"]].values.tolist() == [
        [item.id, "trainees", "Ask for the attendance sheets"]]
    queue = next(d.value for d in admin.dataframe if "explanation" in d.value.columns and "follow_up" in d.value.columns)
    assert queue.loc[queue["names"] == "trainees", "follow_up"].tolist() == ["yes"]
    label = next(b.label for b in admin.get("download_button") if b.label.startswith("Download every flag"))
    assert f"({len(item.flags)}, CSV)" in label
    admin.selectbox(key="follow_up_clear_choice").set_value(f"{item.id}|outlier:trainees")
    admin.run()
    next(b for b in admin.button if b.label == "Clear the mark").click()
    admin.run()
    assert follow_up.marked_rows(store.open_store(data_store)) == []
    assert any("No flagged value is marked" in c.value for c in admin.caption)
    st.cache_data.clear()
    st.cache_resource.clear()


def _comment_as(email: str, submission_id: str) -> None:
    """A session signed in as `email` asks the server for a return's thread and comments on it (no page, no button)."""
    import streamlit as st

    from impact.app import auth
    from impact.reporting import comments, partners
    from impact.storage import store

    root = store.open_store()
    auth.start_partner_session(root, partners.account(root, email))  # as a password sign-in leaves it
    try:
        comments.post_by_partner(root, auth.partner(root), submission_id, "let me in")
        st.write(f"granted: {len(comments.partner_thread(root, auth.partner(root), submission_id))}")
    except partners.PartnerError as error:
        st.write(f"refused: {error}")


def test_the_server_refuses_a_session_another_projects_thread_whatever_it_asks(data_store, picks, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from tests.test_partners import _serve

    (project, period), (other, other_period) = picks[0], picks[1]
    mine = account(data_store, [project])
    theirs = account(data_store, [other], email="other.lead@example.org")
    their_return = partners.submit(store.open_store(data_store), theirs, "theirs.xlsx", corrected(data_store, other, other_period))
    my_return = partners.submit(store.open_store(data_store), mine, "mine.xlsx", corrected(data_store, project, period))
    _serve(data_store, monkeypatch)
    for asked, expected in ((their_return.submission.id, "refused: There is no return"),
                            (my_return.submission.id, "granted: 1")):
        at = AppTest.from_function(_comment_as, args=(mine.email, asked), default_timeout=60).run()
        assert not at.exception, [e.value for e in at.exception]
        assert at.markdown[0].value.replace("\\", "").startswith(expected), at.markdown[0].value
    assert comments.thread(store.open_store(data_store), their_return.submission.id) == []
    st.cache_data.clear()
    st.cache_resource.clear()
