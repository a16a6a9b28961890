"""A home for each partner: the thread of comments per return (kept with the return, append-only, in the trail, a
partner only on its own projects' returns), the team's follow-up marks on flagged values and the flags CSV, the
`flags` command, and the My projects page (a partner's projects with their figures against targets, what is due,
returns sent back, history and comments), checked against independent computations."""

from __future__ import annotations

import csv
import io
import json

import pytest

from impact import cli
from impact.reporting import comments, follow_up, partners
from impact.storage import audit
from tests.data_helpers import snapshot
from tests.test_checks import _flagged_pick, _unusual
from tests.test_partners import account, corrected


def _csv_rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


# ---- comments ------------------------------------------------------------------------------------------

def test_a_thread_of_comments_is_kept_with_its_return_in_order_and_in_the_trail(data_store, picks):
    project, period = picks[0]
    partner = account(data_store, [project])
    sent = partners.submit(data_store, partner, "ours.xlsx", corrected(data_store, project, period)).submission
    first = comments.post_by_partner(data_store, partner, sent.id, "  Is the <b>cadre</b> list right?\r\nThanks  ")
    reply = comments.post_by_team(data_store, sent.id, "=HYPERLINK(\"x\") yes, *it is*", "team@example.org")
    assert first.text == "Is the <b>cadre</b> list right?\nThanks" and first.role == comments.PARTNER
    thread = comments.thread(data_store, sent.id)
    assert [(c.who, c.role, c.text) for c in thread] == [
        (partner.email, "partner", "Is the <b>cadre</b> list right?\nThanks"),
        ("team@example.org", "team", "=HYPERLINK(\"x\") yes, *it is*")]
    assert comments.partner_thread(data_store, partner, sent.id) == thread
    kept = json.loads((data_store / partners.SUBMISSIONS / sent.id / comments.COMMENTS).read_text())
    assert [c["text"] for c in kept["comments"]] == [c.text for c in thread] and thread[0].when <= thread[1].when
    logged = [e for e in audit.entries(data_store) if e["action"] == audit.COMMENTED]
    assert [(e["who"], e["details"]["id"], e["details"]["role"]) for e in logged] == [
        (partner.email, sent.id, "partner"), ("team@example.org", sent.id, "team")]
    assert audit.verify(data_store) == []
    with pytest.raises(partners.PartnerError, match="empty"):
        comments.post_by_partner(data_store, partner, sent.id, " \x00\x07 \n ")
    assert len(comments.thread(data_store, sent.id)) == 2
    long = comments.post_by_team(data_store, sent.id, "x" * 5000, "team")
    assert len(long.text) == comments.COMMENT_MAX
    assert comments.counts(data_store, [sent.id]) == {sent.id: 3}


def test_a_partner_reads_and_comments_only_on_its_own_projects_returns(data_store, picks):
    (project, period), (other, other_period) = picks[0], picks[1]
    mine = account(data_store, [project])
    theirs = account(data_store, [other], email="other.lead@example.org")
    their_return = partners.submit(data_store, theirs, "theirs.xlsx", corrected(data_store, other, other_period))
    my_return = partners.submit(data_store, mine, "mine.xlsx", corrected(data_store, project, period))
    comments.post_by_partner(data_store, theirs, their_return.submission.id, "Our own business")
    assert [s.id for s in comments.account_submissions(data_store, mine)] == [my_return.submission.id]
    before = snapshot(data_store)
    for asked in (their_return.submission.id, "no-such-return-2015q1-00000000", "../../partners/accounts", ""):
        with pytest.raises(partners.PartnerError, match="among your projects' returns") as refused:
            comments.post_by_partner(data_store, mine, asked, "let me in")
        assert "Our own business" not in str(refused.value) and other not in str(refused.value)
        with pytest.raises(partners.PartnerError, match="among your projects' returns"):
            comments.partner_thread(data_store, mine, asked)
    assert snapshot(data_store) == before  # nothing written, not even a trail entry
    both = account(data_store, [project, other], email="both@example.org")
    assert [c.text for c in comments.partner_thread(data_store, both, their_return.submission.id)] == [
        "Our own business"]


# ---- follow-up marks and the flags CSV -------------------------------------------------------------------

def _flagged_return(data_store, picks):
    project, period = _flagged_pick(data_store, picks)
    partner = account(data_store, [project])
    book = _unusual(data_store, project, period)
    flags = partners.submit(data_store, partner, "big.xlsx", book).flags
    explained = {f.key: f"Campaign: =1+1 for {f.key}" for f in flags}
    sent = partners.submit(data_store, partner, "big.xlsx", book, explanations=explained)
    assert sent.ok
    return sent.submission, partner


def test_the_team_marks_a_flag_for_follow_up_lists_it_clears_it_and_exports_every_flag(data_store, picks):
    item, _ = _flagged_return(data_store, picks)
    keys = [f["key"] for f in item.flags]
    assert "outlier:trainees" in keys
    with pytest.raises(partners.PartnerError, match="note is empty"):
        follow_up.mark(data_store, item.id, "outlier:trainees", "   ", "team")
    with pytest.raises(partners.PartnerError, match="has no flag 'outlier:nothing'"):
        follow_up.mark(data_store, item.id, "outlier:nothing", "check", "team")
    assert follow_up.marked_rows(data_store) == []
    follow_up.mark(data_store, item.id, "outlier:trainees", "Ask for the  attendance\nsheets", "team@example.org")
    [listed] = follow_up.marked_rows(data_store)
    assert (listed["return"], listed["key"], listed["follow_up_note"], listed["follow_up_by"]) == (
        item.id, "outlier:trainees", "Ask for the attendance sheets", "team@example.org")

    rows = _csv_rows(follow_up.flags_csv(data_store))
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
    actions = [e["action"] for e in audit.entries(data_store)]
    assert actions.count(audit.FOLLOW_UP) == 1

    follow_up.clear(data_store, item.id, "outlier:trainees", "team@example.org")
    assert follow_up.marked_rows(data_store) == []
    assert {r["follow_up"] for r in _csv_rows(follow_up.flags_csv(data_store))} == {""}
    with pytest.raises(partners.PartnerError, match="not marked"):
        follow_up.clear(data_store, item.id, "outlier:trainees", "team")
    assert [e["action"] for e in audit.entries(data_store)].count(audit.FOLLOW_UP_CLEARED) == 1


def test_a_formula_in_a_note_or_explanation_is_neutralised_in_the_csv(data_store, picks):
    item, _ = _flagged_return(data_store, picks)
    follow_up.mark(data_store, item.id, item.flags[0]["key"], "=cmd|' /C calc'!A0", "@team")
    text = follow_up.flags_csv(data_store).decode("utf-8-sig")
    assert "'=cmd|' /C calc'!A0" in text and "'@team" in text
    row = next(r for r in _csv_rows(follow_up.flags_csv(data_store)) if r["follow_up"])
    assert row["follow_up_note"] == "'=cmd|' /C calc'!A0"


def test_the_flags_command_writes_every_flag_with_its_mark(data_store, picks, tmp_path, capsys):
    item, _ = _flagged_return(data_store, picks)
    follow_up.mark(data_store, item.id, "outlier:trainees", "Visit in May", "team")
    out = tmp_path / "flags.csv"
    assert cli.main(["flags", "--out", str(out), "--data-dir", str(data_store)]) == 0
    assert f"{len(item.flags)} flag(s)" in capsys.readouterr().out
    rows = _csv_rows(out.read_bytes())
    assert len(rows) == len(item.flags)
    assert [(r["return"], r["names"], r["follow_up_note"]) for r in rows if r["follow_up"]] == [
        (item.id, "trainees", "Visit in May")]
    assert cli.main(["flags", "--out", str(out), "--data-dir", str(data_store)]) == cli.INPUT_ERROR  # never overwrites
    assert "already exists" in capsys.readouterr().err
