"""The return door's defects, each shut: the workbook's marker signed with a key only the store holds, a formula
cell taken at its saved value (and said so) or refused with its cell named, a number too large named as such,
account e-mails compared after Unicode normalisation (invisible characters refused), a very long file name kept
readable, and the same return imported twice changing nothing."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
import zipfile

import openpyxl
import pytest

from impact import cli
from impact.reporting import partners, returns
from impact.storage import store
from tests.data_helpers import snapshot
from tests.test_partners import PARTNER_PASSWORD, account, corrected
from tests.test_returns import edit, original_return, rows_of, write


def _marker_of(book: bytes) -> dict:
    wb = openpyxl.load_workbook(io.BytesIO(book))
    return {row[0].value: row[1].value for row in wb[returns.MARKER].iter_rows() if row[0].value}


def _forge(book: bytes, project: str, iso3: str, sign) -> bytes:
    """The workbook with its marker and locked cells rewritten for `project`, the marker re-signed by `sign`."""
    def rewrite(wb):
        sheet = wb[returns.MARKER]
        marker = {row[0].value: row[1].value for row in sheet.iter_rows() if row[0].value}
        locked = json.loads(marker["locked"]) | {"B1": project, "B3": iso3}
        fields = {"format": marker["format"], "programme": marker["programme"], "project": project,
                  "period": marker["period"], "locked": locked, "headings": json.loads(marker["headings"])}
        for row in sheet.iter_rows():
            if row[0].value == "project":
                row[1].value = project
            elif row[0].value == "locked":
                row[1].value = json.dumps(locked)
            elif row[0].value in ("checksum", "signature"):
                row[1].value = sign(json.dumps(fields, sort_keys=True).encode("utf-8"))
        for name in returns.TABLES:
            wb[name]["B1"], wb[name]["B3"] = project, iso3
    return edit(book, rewrite)


def test_a_marker_rewritten_for_another_project_is_refused(data_store, picks):
    (project, period), (other, _) = picks[0], picks[1]
    book = original_return(data_store, project, period)
    held = store.open_store(data_store)
    other_iso3 = store.read_table(held.active().path, "projects").to_pandas().set_index(
        "project_id").loc[other, "iso3"]
    unkeyed = _forge(book, other, other_iso3, lambda text: hashlib.sha256(text).hexdigest())
    guessed = _forge(book, other, other_iso3, lambda text: hmac.new(b"a guess", text, hashlib.sha256).hexdigest())
    partner = account(data_store, [project, other])  # a partner of both projects
    before = snapshot(data_store)
    for forged in (unkeyed, guessed):
        sent = partners.submit(held, partner, "forged.xlsx", forged)
        assert not sent.ok and sent.problems.to_frame()["rule"].tolist() == ["not-a-return"]
    assert snapshot(data_store) == before
    assert partners.submit(held, partner, "own.xlsx", corrected(data_store, project, period)).ok


def test_the_key_lives_in_the_stores_partner_folder_once_and_never_in_the_workbook(data_store, picks):
    project, period = picks[0]
    held = store.open_store(data_store)
    first = returns.workbook(project, period, held)
    key_file = data_store / returns.KEY
    assert key_file.parent == data_store / "partners" and key_file.stat().st_mode & 0o077 == 0
    key = key_file.read_bytes()
    assert len(key) >= 32
    returns.workbook(project, period, held)
    assert key_file.read_bytes() == key  # made once
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        everything = b"".join(archive.read(n) for n in archive.namelist())
    assert key not in everything and key.hex().encode() not in everything
    marker = _marker_of(first)
    assert "checksum" not in marker and re.fullmatch(r"[0-9a-f]{64}", marker["signature"])


def _formula(wb):
    wb["training"]["D7"] = "=1+1"


def _with_saved_value(book: bytes, sheet_name: str, cell: str, value: str) -> bytes:
    """The workbook with a saved (cached) value written next to the formula in `cell` (as Excel saves it)."""
    source = zipfile.ZipFile(io.BytesIO(book))
    wb = openpyxl.load_workbook(io.BytesIO(book))
    index = wb.sheetnames.index(sheet_name) + 1
    part = f"xl/worksheets/sheet{index}.xml"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == part:
                text = data.decode("utf-8")
                text, n = re.subn(rf'(<c r="{cell}"[^>]*>)<f>([^<]*)</f>(<v\s*/>|<v></v>)?',
                                  rf"\1<f>\2</f><v>{value}</v>", text)
                assert n == 1, text[:500]
                data = text.encode("utf-8")
            target.writestr(item, data)
    return out.getvalue()


def test_a_formula_without_a_saved_value_is_refused_with_its_cell_named(data_store, picks, tmp_path):
    project, period = picks[0]
    book = edit(original_return(data_store, project, period), _formula)
    before = snapshot(data_store)
    result = returns.import_returns([write(tmp_path, "formula.xlsx", book)], store.open_store(data_store))
    assert not result.ok
    [problem] = [p for p in result.report.problems if p.rule == "formula"]
    assert (problem.file, problem.row, problem.column) == ("formula.xlsx › training", 7, "trainees")
    assert "D7" in problem.message and "=1+1" in problem.message
    assert snapshot(data_store) == before


def test_a_formula_with_a_saved_value_is_taken_at_that_value_and_said_so(data_store, picks, tmp_path):
    project, period = picks[0]
    book = _with_saved_value(edit(original_return(data_store, project, period), _formula), "training", "D7", "2")
    held = store.open_store(data_store)
    found, report = returns.check_return(write(tmp_path, "saved.xlsx", book), "saved.xlsx", held)
    assert report.ok, report.to_frame()
    assert any("D7" in note and "saved value" in note and "2" in note for note in report.notes)
    result = returns.import_returns([tmp_path / "saved.xlsx"], held, confirm_removals=True)
    assert result.ok, result.summary()
    sheet = openpyxl.load_workbook(io.BytesIO(book))["training"]
    combo = tuple(sheet.cell(row=7, column=i).value for i in (1, 2, 3))
    landed = {(r["cadre"], r["gender"], r["training_type"]): r["trainees"]
              for r in rows_of(held.active().path, project, period)["training"]}
    assert landed[combo] == 2  # the row is there, at the formula's saved value
    assert "D7" in result.report.to_text()


def test_a_number_too_large_is_named_as_too_large(data_store, picks, tmp_path):
    project, period = picks[0]

    def huge(wb):
        wb["training"]["D7"] = 1e15
        wb["training"]["D8"] = 1e22

    result = returns.import_returns([write(tmp_path, "huge.xlsx", edit(original_return(data_store, project, period),
                                                                      huge))], store.open_store(data_store))
    problems = [p for p in result.report.problems if p.row in (7, 8) and p.file.endswith("training")]
    assert len(problems) == 2
    for problem in problems:
        assert problem.rule == "above-maximum" and "larger than" in problem.message
        assert "not a number" not in problem.message


def test_account_e_mails_are_compared_after_normalisation_and_invisible_characters_refused(data_store, picks):
    project = picks[0][0]
    made = account(data_store, [project], email="partner-a@example.org")
    for invisible in ("partner-a\u200b@example.org", "partner-a@exam\u2060ple.org", "\ufeffpartner-a@example.org",
                      "partner-a\u00ad@example.org"):
        with pytest.raises(partners.PartnerError, match="invisible"):
            account(data_store, [project], email=invisible)
    same = "ＰＡＲＴＮＥＲ-A@EXAMPLE.ORG"  # full-width letters: the same address after NFKC
    held = store.open_store(data_store)
    assert partners.account(held, same) == made
    assert account(data_store, [project, picks[1][0]], email=same).email == made.email
    assert [a.email for a in partners.accounts(held)] == ["partner-a@example.org"]
    assert partners.account(held, "partner-a\u200b@example.org") is None


def test_a_very_long_file_name_keeps_working(data_store, picks):
    project, period = picks[0]
    partner = account(data_store, [project])
    name = "return-" + "x" * 300 + ".xlsx"
    sent = partners.submit(store.open_store(data_store), partner, name, corrected(data_store, project, period))
    assert sent.ok, sent.problems.to_frame()
    assert sent.submission.file.endswith(".xlsx") and len(sent.submission.file) <= 120
    assert (data_store / "returns" / sent.submission.id / sent.submission.file).is_file()


def test_the_same_return_imported_twice_changes_nothing_the_second_time(data_store, picks, tmp_path, capsys):
    project, period = picks[0]
    path = write(tmp_path / "in", "again.xlsx", corrected(data_store, project, period))
    assert cli.main(["return", "import", str(path), "--data-dir", str(data_store)]) == 0
    capsys.readouterr()
    held = store.open_store(data_store)
    versions = [v.version for v in held.versions()]
    assert cli.main(["return", "import", str(path), "--data-dir", str(data_store)]) == 0
    out = capsys.readouterr().out
    assert "nothing changed" in out.lower()
    assert [v.version for v in held.versions()] == versions
    assert [s.state for s in partners.submissions(held, project)] == [partners.APPROVED]


def test_approving_the_same_return_again_makes_no_version(data_store, picks):
    project, period = picks[0]
    partner = account(data_store, [project], password=PARTNER_PASSWORD)
    book = corrected(data_store, project, period)
    held = store.open_store(data_store)
    first = partners.submit(held, partner, "same.xlsx", book).submission
    assert partners.approve(held, [first.id], "team@example.org").ok
    versions = [v.version for v in held.versions()]
    again = partners.submit(held, partner, "same.xlsx", book).submission
    result = partners.approve(held, [again.id], "team@example.org")
    assert result.nothing_changed and not result.ok and "nothing changed" in result.summary().lower()
    assert [v.version for v in held.versions()] == versions
    found = partners.get(held, again.id)
    assert found.state == partners.APPROVED and "nothing changed" in found.events[-1]["note"]
    assert found.events[-1]["version"] == versions[0]


def test_a_first_return_with_the_figures_already_in_use_still_lands_as_an_arrival(data_store, picks, tmp_path):
    project, period = picks[0]
    held = store.open_store(data_store)
    result = returns.import_returns([write(tmp_path, "first.xlsx", original_return(data_store, project, period))], held)
    assert result.ok and result.changes[["added", "changed", "removed"]].to_numpy().sum() == 0
    assert (project, period.isoformat()) in set(zip(returns.arrivals(held)["project_id"],
                                                   returns.arrivals(held)["period"], strict=True))
