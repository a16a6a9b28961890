"""The trail: every step recorded (who, when, what, from where) from the places that do it — the command line and
the app alike — as hash-chained JSON lines that show an edited, a deleted or a cut-off line; the administrator's
view with filters and CSV; `python -m impact audit`; and partner accounts from the command line."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sys

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from impact import cli
from impact.app import auth
from impact.reporting import partners
from impact.storage import audit, store
from tests.conftest import make_app
from tests.test_partners import ADMIN_PASSWORD, PARTNER_PASSWORD, _serve, account, corrected
from tests.test_returns import write


def _lines(root) -> list[dict]:
    """The trail read independently: plain json over the file's lines."""
    return [json.loads(line) for line in (root / audit.TRAIL).read_text(encoding="utf-8").splitlines()]


def _independent_hash(entry: dict) -> str:
    fields = {k: v for k, v in entry.items() if k != "hash"}
    return hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def _walk(data_store, picks, tmp_path, capsys) -> None:
    """A season of work: accounts, a return sent, sent back, sent again, approved, an import, a rollback, a deletion."""
    (project, period), (other, other_period) = picks[0], picks[1]
    partner = account(data_store, [project])
    held = store.open_store(data_store)
    first = partners.submit(held, partner, "first.xlsx", corrected(data_store, project, period)).submission
    partners.send_back(held, first.id, "Volunteer days look doubled.", "team@example.org")
    second = partners.submit(held, partner, "second.xlsx", corrected(data_store, project, period, 1)).submission
    assert partners.approve(held, [second.id], "team@example.org").ok
    path = write(tmp_path / "in", "cli.xlsx", corrected(data_store, other, other_period))
    assert cli.main(["return", "import", str(path), "--data-dir", str(data_store)]) == 0
    imported = held.active().version
    assert cli.main(["rollback", "base", "--data-dir", str(data_store)]) == 0
    assert cli.main(["delete-version", imported, "--data-dir", str(data_store)]) == 0
    partners.remove_account(held, partner.email, "team@example.org")
    capsys.readouterr()


def test_every_step_is_recorded_with_who_what_and_where_and_chained(data_store, picks, tmp_path, capsys):
    _walk(data_store, picks, tmp_path, capsys)
    lines = _lines(data_store)
    assert [e["action"] for e in lines] == [
        "account-saved", "return-submitted", "return-sent-back", "return-submitted", "import", "return-approved",
        "import", "rollback", "version-deleted", "account-removed"]
    assert [e["seq"] for e in lines] == list(range(1, len(lines) + 1))
    previous = audit.GENESIS
    for entry in lines:  # the chain, recomputed independently
        assert entry["prev"] == previous and entry["hash"] == _independent_hash(entry)
        previous = entry["hash"]
    assert json.loads((data_store / audit.HEAD).read_text()) == {"seq": len(lines), "hash": previous}
    by_action = {e["action"]: e for e in lines}
    project = picks[0][0]
    assert by_action["return-sent-back"]["who"] == "team@example.org"
    assert by_action["return-sent-back"]["details"]["note"] == "Volunteer days look doubled."
    assert by_action["return-submitted"]["who"] == "nurse.lead@example.org"
    assert by_action["return-submitted"]["what"].startswith(project)
    assert by_action["account-saved"]["details"] == {"change": "created", "projects": [project], "password": "set",
                                                    "language": "en"}
    assert "(command line)" in by_action["rollback"]["who"] and by_action["rollback"]["details"]["version"] == "base"
    assert all(e["address"].startswith("command line on ") for e in lines)  # no browser in these steps
    assert (data_store / audit.TRAIL).stat().st_mode & 0o077 == 0
    assert audit.verify(store.open_store(data_store)) == []


def _rewrite(root, change) -> None:
    path = root / audit.TRAIL
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(change(lines)), encoding="utf-8")


def _edited(lines):
    entry = json.loads(lines[2])
    entry["who"] = "someone else"
    return [*lines[:2], json.dumps(entry, sort_keys=True) + "\n", *lines[3:]]


def _edited_and_rehashed(lines):  # a forger who recomputes the line's own hash still breaks the next line's prev
    entry = json.loads(lines[2])
    entry["details"]["note"] = "All fine."
    entry["hash"] = _independent_hash(entry)
    return [*lines[:2], json.dumps(entry, sort_keys=True) + "\n", *lines[3:]]


@pytest.mark.parametrize("change, line, words", [
    (_edited, 3, "was edited"),
    (_edited_and_rehashed, 4, "does not follow"),
    (lambda lines: lines[:3] + lines[4:], 4, "does not follow"),  # a line deleted in the middle
    (lambda lines: lines[:-1], None, "entries at its end were deleted"),  # the last line deleted
], ids=["edited", "edited-and-rehashed", "deleted", "cut-off"])
def test_the_chain_shows_an_edited_or_deleted_line(data_store, picks, tmp_path, capsys, change, line, words):
    _walk(data_store, picks, tmp_path, capsys)
    _rewrite(data_store, change)
    problems = audit.verify(store.open_store(data_store))
    assert any(words in p and (line is None or p.startswith(f"line {line}:")) for p in problems), problems
    assert cli.main(["audit", "--verify", "--data-dir", str(data_store)]) == 1
    err = capsys.readouterr().err
    assert "changed after it was written" in err and words in err


def test_the_audit_command_prints_filters_and_writes_csv(data_store, picks, tmp_path, capsys):
    _walk(data_store, picks, tmp_path, capsys)
    audit.record(store.open_store(data_store), audit.SIGN_IN_FAILED, "=HYPERLINK(\"http://x\")", "partner",
                 reason="wrong password")
    assert cli.main(["audit", "--verify", "--data-dir", str(data_store)]) == 0
    assert "the trail is intact: 11 entries" in capsys.readouterr().out
    assert cli.main(["audit", "--data-dir", str(data_store), "--action", "return-submitted"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 2 and all("return-submitted" in line for line in printed)
    out = tmp_path / "trail.csv"
    assert cli.main(["audit", "--data-dir", str(data_store), "--out", str(out), "--who", "team@"]) == 0
    table = pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    wanted = [e for e in _lines(data_store) if "team@" in e["who"]]
    assert table["seq"].astype(int).tolist() == [e["seq"] for e in reversed(wanted)]  # newest first
    assert table["hash"].tolist() == [e["hash"] for e in reversed(wanted)]
    assert cli.main(["audit", "--data-dir", str(data_store), "--out", str(tmp_path / "all.csv")]) == 0
    rows = list(csv.reader(io.StringIO((tmp_path / "all.csv").read_text(encoding="utf-8-sig"))))
    assert rows[1][2].startswith("'=HYPERLINK")  # a formula from the data never runs in a spreadsheet
    assert cli.main(["audit", "--data-dir", str(data_store), "--out", str(out)]) == 2  # never overwritten


def test_programme_creation_is_recorded_in_the_new_programmes_trail(fixture_dir, tmp_path):
    import shutil

    from impact.ingest import extract_io
    from impact.model import programme as programmes

    source = tmp_path / "source"
    shutil.copytree(fixture_dir, source)
    definition = json.loads((source / "programme.json").read_text())
    definition["id"] = "newprog"
    (source / "programme.json").write_text(json.dumps(definition))
    top = tmp_path / "top"
    top.mkdir()
    result = extract_io.import_extract(source, top, programme="newprog", new_programme=True, who="admin@example.org")
    assert result.ok, result.report.to_text()
    root = store.open_store(top, "newprog").root
    [entry] = _lines(root)
    assert (entry["action"], entry["who"], entry["details"]["version"]) == (
        "programme-created", "admin@example.org", result.version)
    assert programmes.read(root / store.VERSIONS / result.version / "programme.json").id == "newprog"


# ---- the pages -------------------------------------------------------------------------------------

def _admin(at: AppTest, password: str = ADMIN_PASSWORD) -> AppTest:
    at.text_input(key="admin_password").input(password)
    next(b for b in at.button if b.label == "Sign in").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _trail_table(at: AppTest):
    return next((df.value for df in at.dataframe if {"seq", "action", "hash"} <= set(df.value.columns)), None)


def test_the_trail_view_shows_sign_ins_filters_and_the_chain(data_store, picks, tmp_path, capsys, monkeypatch):
    _walk(data_store, picks, tmp_path, capsys)
    _serve(data_store, monkeypatch)
    at = make_app("pages/data.py")
    assert _trail_table(at) is None  # not for visitors
    _admin(at, "not the password")
    _admin(at)
    signs = [e for e in _lines(data_store) if e["action"].startswith("sign-in")]
    assert [(e["action"], e["who"]) for e in signs] == [("sign-in-failed", auth.ADMIN_BY_PASSWORD),
                                                       ("sign-in", auth.ADMIN_BY_PASSWORD)]
    assert not signs[0]["address"].startswith("command line")  # a browser's run, not the command line
    assert any("The trail is intact: 12 entries" in s.value.replace("\\", "") for s in at.success)
    shown = _trail_table(at)
    assert shown["seq"].tolist() == list(range(12, 0, -1))
    at.multiselect(key="trail_actions").set_value(["return-submitted", "return-sent-back"])
    at.run()
    shown = _trail_table(at)
    assert sorted(shown["action"]) == ["return-sent-back", "return-submitted", "return-submitted"]
    at.text_input(key="trail_who").input("team@")
    at.run()
    shown = _trail_table(at)
    assert shown["action"].tolist() == ["return-sent-back"]
    _rewrite(data_store, _edited)
    at.run()
    assert any("changed after it was written" in e.value.replace("\\", "") for e in at.error)
    assert any("line 3" in m.value and "edited" in m.value for m in at.markdown)


def test_a_sign_in_through_the_identity_provider_is_recorded_once_per_session(data_store, picks, monkeypatch):
    account(data_store, [picks[0][0]], password=None)
    _serve(data_store, monkeypatch)
    monkeypatch.setattr(auth, "oidc_user", lambda: "nurse.lead@example.org")
    at = make_app("pages/overview.py", {"lang": "pt"})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    entries = [e for e in _lines(data_store) if e["action"] == "sign-in"]
    assert [(e["who"], e["what"], e["details"]) for e in entries] == [
        ("nurse.lead@example.org", "partner", {"method": "organisation login", "projects": [picks[0][0]]})]
    # no language chosen for its e-mails: they follow the language it signed in in, once
    assert partners.account(store.open_store(data_store), "nurse.lead@example.org").language == "pt"
    assert [e["details"]["language"] for e in _lines(data_store) if e["action"] == "account-saved"] == ["en", "pt"]


# ---- accounts from the command line ------------------------------------------------------------------

def _stdin(monkeypatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


def test_accounts_are_managed_from_the_command_line(data_store, picks, monkeypatch, capsys):
    (project, _), (other, _), (third, _) = picks[0], picks[1], picks[2]
    base = ["--data-dir", str(data_store)]
    _stdin(monkeypatch, PARTNER_PASSWORD + "\n")
    assert cli.main(["accounts", "create", "Lead@Example.org", "--project", project, "--name", "Ward lead",
                     "--password-stdin", *base]) == 0
    out = capsys.readouterr().out
    assert PARTNER_PASSWORD not in out and "created lead@example.org" in out
    held = store.open_store(data_store)
    made = partners.account(held, "lead@example.org")
    assert made.projects == (project,) and auth.verify_password(PARTNER_PASSWORD, made.password_hash)
    _stdin(monkeypatch, PARTNER_PASSWORD + "\n")
    assert cli.main(["accounts", "create", "lead@example.org", "--project", project, "--password-stdin", *base]) == 2
    assert "already an account" in capsys.readouterr().err
    assert cli.main(["accounts", "create", "lead\u200b@example.org", "--project", project, "--no-password",
                     *base]) == 2
    assert "invisible" in capsys.readouterr().err
    assert cli.main(["accounts", "projects", "lead@example.org", "--add", other, "--add", third, "--drop", project,
                     *base]) == 0
    assert partners.account(held, "lead@example.org").projects == (other, third)
    assert cli.main(["accounts", "projects", "lead@example.org", "--project", "NOPE-1", *base]) == 2
    assert "There is no project NOPE-1" in capsys.readouterr().err
    _stdin(monkeypatch, "a new password for the ward\n")
    assert cli.main(["accounts", "reset-password", "LEAD@example.org", "--password-stdin", *base]) == 0
    changed = partners.account(held, "lead@example.org")
    assert auth.verify_password("a new password for the ward", changed.password_hash)
    assert not auth.verify_password(PARTNER_PASSWORD, changed.password_hash)
    _stdin(monkeypatch, "short\n")
    assert cli.main(["accounts", "reset-password", "lead@example.org", "--password-stdin", *base]) == 2
    capsys.readouterr()
    assert cli.main(["accounts", "list", *base]) == 0
    listed = capsys.readouterr().out
    assert "lead@example.org" in listed and f"{other}, {third}" in listed and "1 account(s)" in listed
    assert "scrypt$" not in listed
    assert cli.main(["accounts", "remove", "lead@example.org", *base]) == 0
    assert partners.accounts(held) == []
    assert cli.main(["accounts", "remove", "lead@example.org", *base]) == 2
    actions = [(e["action"], e["what"]) for e in _lines(data_store)]
    assert actions == [("account-saved", "lead@example.org"), ("account-saved", "lead@example.org"),
                       ("account-saved", "lead@example.org"), ("password-reset", "lead@example.org"),
                       ("account-removed", "lead@example.org")]


def test_a_prompted_password_is_read_without_echo(data_store, picks, monkeypatch, capsys):
    import getpass

    asked = []
    monkeypatch.setattr(getpass, "getpass", lambda prompt: asked.append(prompt) or PARTNER_PASSWORD)
    assert cli.main(["accounts", "create", "b@example.org", "--project", picks[0][0], "--data-dir",
                     str(data_store)]) == 0
    assert asked == ["Password for the account: ", "Again: "]
    assert PARTNER_PASSWORD not in capsys.readouterr().out


# ---- on an S3 store ------------------------------------------------------------------------------------

def test_the_trail_of_an_s3_store_is_one_chain_for_every_server(s3_env, fixture_dir, picks, tmp_path,  # noqa: F811
                                                                monkeypatch, compiled_imports):
    from impact.storage import remote
    from tests.s3_helpers import as_server, programme_on_s3

    url, pid = programme_on_s3(s3_env, fixture_dir)
    account(store.open_store(url, pid).root, [picks[0][0]])
    as_server(monkeypatch, tmp_path / "cache-b")
    other = store.open_store(url, pid)
    partners.remove_account(other, "nurse.lead@example.org", "team@example.org")
    text = remote.read_text(other.remote, audit.TRAIL)
    actions = [json.loads(line)["action"] for line in text.splitlines()]
    assert actions == ["programme-created", "account-saved", "account-removed"]
    assert audit.verify(other) == [] and not (other.root / audit.TRAIL).exists()  # kept on S3, not in the mirror


