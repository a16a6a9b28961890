"""Quarterly returns: the reporting workbook (dropdowns from the definition, locked cells protected, a marker),
returns filled by code from the fixture's rows and imported back (one version per batch, exactly a project's
quarter replaced, the change summary equal to an independent diff), bad returns refused with their location
and the store byte-identical, --accept-valid, confirmed removals, the command line and the pages."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pytest
import streamlit as st

from impact import cli
from impact.app import auth
from impact.ingest import extract_io, template
from impact.model import calendar, schema
from impact.reporting import returns
from impact.storage import store
from tests.conftest import make_app
from tests.data_helpers import results_sql, snapshot

KINDS = {k.table: k for k in returns.KINDS}


def rows_of(folder: Path, project: str, period: dt.date) -> dict[str, list[dict]]:
    """The rows of one project and quarter in each table of a version folder (plain DuckDB)."""
    out = {}
    for name in returns.TABLES:
        kind = KINDS[name]
        out[name] = duckdb.execute(
            f"select * from read_parquet('{folder / (name + '.parquet')}') where project_id = $p and period = $d "
            f"order by {', '.join(kind.dimensions)}", {"p": project, "d": period}).df().to_dict("records")
    return out


def fill(book: bytes, rows: dict[str, list[dict]]) -> bytes:
    """A partner's return: the numbers of `rows` typed into the workbook's rows of their combinations."""
    wb = openpyxl.load_workbook(io.BytesIO(book))
    for name, records in rows.items():
        kind, sheet = KINDS[name], wb[name]
        where = {}
        for number in range(returns.HEADER_ROW + 1, sheet.max_row + 1):
            combo = tuple(sheet.cell(row=number, column=i + 1).value for i in range(len(kind.dimensions)))
            where[combo] = number
        for record in records:
            number = where[tuple(record[d] for d in kind.dimensions)]
            for offset, measure in enumerate(kind.measures, start=len(kind.dimensions) + 1):
                sheet.cell(row=number, column=offset, value=int(record[measure]))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def edit(book: bytes, change) -> bytes:
    """The workbook after `change(workbook)` (what a person might do to it in Excel)."""
    wb = openpyxl.load_workbook(io.BytesIO(book))
    change(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def write(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return folder / name


def original_return(data_store, project, period) -> bytes:
    return fill(returns.workbook(project, period, store.open_store(data_store)), rows_of(data_store, project, period))


# ---- the workbook ---------------------------------------------------------------------------

def test_the_workbook_has_dropdowns_from_the_definition_and_its_locked_cells_protected(data_store, picks, definition):
    project, period = picks[0]
    wb = openpyxl.load_workbook(io.BytesIO(returns.workbook(project, period, store.open_store(data_store))))
    assert wb.sheetnames == [returns.INSTRUCTIONS, template.LISTS, "training", "volunteering", "outcomes",
                             returns.REFERENCE, returns.MARKER]
    assert wb[returns.MARKER].sheet_state == "veryHidden" and wb[template.LISTS].sheet_state == "hidden"
    lists = wb[template.LISTS]
    for kind in returns.KINDS:
        sheet = wb[kind.table]
        spec = schema.table(kind.table)
        assert sheet.protection.sheet
        assert [sheet[c].value for c in ("B1", "B2", "B4")] == [project, calendar.quarter_label(period), definition.id]
        assert all(sheet[c].protection.locked for c in ("B1", "B2", "B3", "B4", "A6"))
        wanted = [tuple(schema.allowed(spec.column(d), definition)) for d in kind.dimensions]
        combos = list(itertools.product(*wanted))
        first = returns.HEADER_ROW + 1
        assert sheet.max_row == returns.HEADER_ROW + len(combos)
        shown = [tuple(sheet.cell(row=r, column=i + 1).value for i in range(len(kind.dimensions)))
                 for r in range(first, first + len(combos))]
        assert shown == combos  # one row per valid combination
        assert not sheet.cell(row=first, column=len(kind.dimensions) + 1).protection.locked  # numbers are typed
        checks = {str(v.sqref).split(":")[0][0]: v for v in sheet.data_validations.dataValidation}
        for index, dimension in enumerate(kind.dimensions):
            check = checks["ABC"[index]]
            assert check.type == "list" and check.allow_blank and check.formula1.startswith(f"{template.LISTS}!")
            letter, rows = check.formula1.split("!")[1].replace("$", "").split(":")[0][0], check.formula1
            values = [c.value for c in lists[letter][1:] if c.value is not None]
            assert tuple(values) == wanted[index], (dimension, rows)
        for index, measure in enumerate(kind.measures, start=len(kind.dimensions)):
            check = checks["ABCDE"[index]]
            column = spec.column(measure)
            assert (check.type, check.operator, check.formula1, check.formula2) == (
                "whole", "between", str(int(column.minimum)), str(int(column.maximum)))
    marker = {r[0]: r[1] for r in wb[returns.MARKER].iter_rows(values_only=True)}
    assert (marker["project"], marker["period"], marker["programme"]) == (
        project, calendar.quarter_label(period), definition.id)
    assert len(marker["signature"]) == 64
    before = duckdb.execute(f"select sum(n) from (select count(*) as n from read_parquet('{data_store}/training.parquet') "
                            "where project_id = $p union all select count(*) * 2 from "
                            f"read_parquet('{data_store}/volunteering.parquet') where project_id = $p union all "
                            f"select count(*) from read_parquet('{data_store}/outcomes.parquet') where project_id = $p)",
                            {"p": project}).fetchone()[0]
    assert wb[returns.REFERENCE].max_row - 1 == before  # one line per figure reported before


def test_a_workbook_outside_the_projects_dates_is_refused(data_store, picks):
    project, _ = picks[0]
    with pytest.raises(ValueError, match="outside"):
        returns.workbook(project, "2030Q1", store.open_store(data_store))
    with pytest.raises(ValueError, match="not a quarter"):
        returns.workbook(project, "2018-07", store.open_store(data_store))


# ---- round trip and batches -------------------------------------------------------------------

def test_template_filled_and_imported_gives_back_the_same_rows(data_store, picks, fixture_dir, tmp_path):
    project, period = picks[0]
    path = write(tmp_path / "in", "return.xlsx", original_return(data_store, project, period))
    result = returns.import_returns([path], store.open_store(data_store))
    assert result.ok, result.report.to_text()
    assert result.changes[["added", "changed", "removed"]].to_numpy().sum() == 0
    out = tmp_path / "out"
    extract_io.export_extract("parquet", out, store.open_store(data_store))
    conn = results_sql({**{f"old_{n}": fixture_dir / f"{n}.parquet" for n in schema.TABLE_NAMES},
                 **{f"new_{n}": out / f"{n}.parquet" for n in schema.TABLE_NAMES}})
    for name in schema.TABLE_NAMES:
        old, new = conn.table(f"old_{name}").df(), conn.table(f"new_{name}").df()
        keys = list(schema.table(name).key)
        assert old.sort_values(keys).reset_index(drop=True).equals(new.sort_values(keys).reset_index(drop=True)), name
    assert rows_of(out, project, period) == rows_of(fixture_dir, project, period)
    assert sum(len(v) for v in rows_of(out, project, period).values()) > 3


def _changed_rows(rows: dict[str, list[dict]], seed: int) -> dict[str, list[dict]]:
    """A corrected return: one number changed, one row dropped, and (training) one combination added."""
    out = {name: [dict(r) for r in records] for name, records in rows.items()}
    out["training"][0]["trainees"] += 7 + seed
    out["volunteering"].pop()
    return out


def test_a_batch_of_returns_is_one_version_whose_summary_equals_an_independent_diff(data_store, picks, tmp_path,
                                                                                      definition):
    base = snapshot(data_store)
    files = []
    for seed, (project, period) in enumerate(picks[:3]):
        rows = _changed_rows(rows_of(data_store, project, period), seed)
        used = {tuple(r[d] for d in KINDS["training"].dimensions) for r in rows["training"]}
        spare = next(c for c in returns.combinations(KINDS["training"], definition) if c not in used)
        rows["training"].append(dict(zip(KINDS["training"].dimensions, spare, strict=True)) | {"trainees": 11})
        files.append(write(tmp_path / "batch", f"{project}.xlsx",
                           fill(returns.workbook(project, period, store.open_store(data_store)), rows)))
    result = returns.import_returns([tmp_path / "batch"], store.open_store(data_store), confirm_removals=True)
    assert result.ok, result.report.to_text()
    versions = [v.version for v in store.open_store(data_store).versions()]
    assert versions == [result.version, "base"]  # one new version for the batch
    new = store.open_store(data_store).version_path(result.version)
    conn = duckdb.connect()
    for kind in returns.KINDS:
        key = ["project_id", "iso3", "period", *kind.dimensions]
        same = " and ".join(f"o.{k} = n.{k}" for k in key)
        old_file, new_file = data_store / f"{kind.table}.parquet", new / f"{kind.table}.parquet"
        for project, period in picks[:3]:
            where = {"p": project, "d": period}
            scope = "where project_id = $p and period = $d"
            old = f"(select * from read_parquet('{old_file}') {scope})"
            fresh = f"(select * from read_parquet('{new_file}') {scope})"
            added = conn.execute(f"select count(*) from {fresh} n anti join {old} o on {same}", where).fetchone()[0]
            removed = conn.execute(f"select count(*) from {old} o anti join {fresh} n on {same}", where).fetchone()[0]
            differs = " or ".join(f"o.{m} <> n.{m}" for m in kind.measures)
            changed = conn.execute(f"select count(*) from {old} o join {fresh} n on {same} where {differs}",
                                   where).fetchone()[0]
            mine = result.changes[(result.changes["project"] == project) & (result.changes["table"] == kind.table)
                                  & (result.changes["quarter"] == calendar.quarter_label(period))]
            row = mine
            assert len(row) == 1
            row = row.iloc[0]
            assert (row["added"], row["changed"], row["removed"]) == (added, changed, removed), (kind.table, project)
            for measure in kind.measures if kind.table != "outcomes" else ():
                total = result.totals.query("project == @project and table == @kind.table and measure == @measure")
                before = conn.execute(f"select coalesce(sum({measure}), 0) from {old}", where).fetchone()[0]
                after = conn.execute(f"select coalesce(sum({measure}), 0) from {fresh}", where).fetchone()[0]
                assert (total["before"].item(), total["after"].item()) == (before, after)
        assert result.changes.query("table == 'training'")["added"].tolist() == [1, 1, 1]
        assert result.changes.query("table == 'volunteering'")["removed"].tolist() == [1, 1, 1]
        assert result.changes.query("table == 'training'")["changed"].tolist() == [1, 1, 1]
        others = " and ".join(f"not (project_id = '{p}' and period = DATE '{d}')" for p, d in picks[:3])
        for a, b in ((old_file, new_file), (new_file, old_file)):
            assert conn.execute(f"select count(*) from (select * from read_parquet('{a}') where {others} except all "
                                f"select * from read_parquet('{b}') where {others})").fetchone()[0] == 0
    for name in set(schema.TABLE_NAMES) - set(returns.TABLES):
        assert store.sha256(new / f"{name}.parquet") == store.sha256(data_store / f"{name}.parquet")
    manifest = store.read_manifest(new)
    assert [r["project"] for r in manifest["returns"]] == [p for p, _ in picks[:3]]
    store.open_store(data_store).rollback("base")
    assert store.open_store(data_store).active().version == "base"
    after = snapshot(data_store)
    assert {k: v for k, v in after.items() if k in base} == base  # the shipped version byte for byte


def test_a_zip_of_returns_is_taken_in(data_store, picks, tmp_path):
    chosen = [p for p, d in picks if d == picks[0][1]] or [picks[0][0]]
    data = returns.zip_workbooks(chosen, picks[0][1], store.open_store(data_store))
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert names == [returns.file_name(p, picks[0][1]) for p in chosen]
    result = returns.import_returns([write(tmp_path, "returns.zip", data)], store.open_store(data_store))
    assert result.needs_confirmation and not result.ok  # blank workbooks for quarters with results
    assert set(result.removals["file"]) == {f"returns.zip/{n}" for n in names}


# ---- removals, bad returns, accept-valid --------------------------------------------------------

def test_removing_rows_reported_before_needs_confirmation(data_store, picks, tmp_path):
    project, period = picks[1]
    reported = rows_of(data_store, project, period)
    path = write(tmp_path, "blank.xlsx", returns.workbook(project, period, store.open_store(data_store)))
    before = snapshot(data_store)
    refused = returns.import_returns([path], store.open_store(data_store))
    assert refused.needs_confirmation and not refused.ok
    assert len(refused.removals) == sum(len(v) for v in reported.values())
    assert "remove" in refused.summary()
    assert snapshot(data_store) == before
    done = returns.import_returns([path], store.open_store(data_store), confirm_removals=True)
    assert done.ok
    assert rows_of(store.open_store(data_store).active().path, project, period) == {name: [] for name in returns.TABLES}


def _locked_period(wb):
    wb["training"]["B2"] = "2099Q1"


def _heading(wb):
    wb["outcomes"]["A6"] = "indicatr"


def _marker(wb):
    sheet = wb[returns.MARKER]
    for row in sheet.iter_rows():
        if row[0].value == "project":
            row[1].value = "HPS-999"


def _negative(wb):
    wb["training"]["D7"] = -3


def _words(wb):
    wb["volunteering"]["C8"] = "many"


BAD = {
    "locked-period": (_locked_period, "locked-changed", "training", 2),
    "headings": (_heading, "locked-changed", "outcomes", 6),
    "marker": (_marker, "not-a-return", None, None),
    "negative": (_negative, "below-minimum", "training", 7),
    "words": (_words, "not-a-number", "volunteering", 8),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_a_bad_return_is_refused_with_its_location_and_nothing_changes(data_store, picks, tmp_path, case):
    change, rule, sheet, row = BAD[case]
    project, period = picks[0]
    path = write(tmp_path, "bad.xlsx", edit(original_return(data_store, project, period), change))
    before = snapshot(data_store)
    result = returns.import_returns([path], store.open_store(data_store))
    assert not result.ok and result.report.total >= 1
    problem = next(p for p in result.report.problems if rule in p.rule)
    assert problem.file == ("bad.xlsx" if sheet is None else f"bad.xlsx › {sheet}")
    assert problem.row == row
    assert problem.message
    assert snapshot(data_store) == before


def test_foreign_workbooks_are_not_returns(data_store, definition, tmp_path):
    template.workbook(definition, tmp_path / "extract.xlsx")  # the programme's extract workbook
    plain = openpyxl.Workbook()
    plain.save(tmp_path / "plain.xlsx")
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    before = snapshot(data_store)
    result = returns.import_returns([tmp_path / "extract.xlsx", tmp_path / "plain.xlsx", tmp_path / "broken.xlsx"], store.open_store(data_store))
    rules = {(p.file, p.rule) for p in result.report.problems}
    assert {("extract.xlsx", "not-a-return"), ("plain.xlsx", "not-a-return"), ("broken.xlsx", "unreadable")} <= rules
    assert snapshot(data_store) == before


def test_a_second_return_for_the_same_quarter_and_one_outside_the_project_are_refused(data_store, picks, tmp_path,
                                                                                    monkeypatch):
    project, period = picks[0]
    book = original_return(data_store, project, period)
    first, second = write(tmp_path, "a.xlsx", book), write(tmp_path, "b.xlsx", book)
    start = store.read_table(data_store, "projects").to_pandas().set_index("project_id").loc[project, "start_date"]
    monkeypatch.setattr(returns, "_check_due", lambda *args: None)  # as if the workbook had been made elsewhere
    early = calendar.quarter_range(dt.date(start.year - 1, 1, 1), dt.date(start.year - 1, 1, 1))[0]
    outside = write(tmp_path, "early.xlsx", returns.workbook(project, early, store.open_store(data_store)))
    before = snapshot(data_store)
    result = returns.import_returns([first, second, outside], store.open_store(data_store))
    rules = {(p.file, p.rule) for p in result.report.problems}
    assert ("b.xlsx", "duplicate-return") in rules and ("early.xlsx", "period-outside-project") in rules
    assert not any(p.file.startswith("a.xlsx") for p in result.report.problems)
    assert snapshot(data_store) == before
    assert result.rejected == ["b.xlsx", "early.xlsx"]


def test_with_accept_valid_only_the_valid_returns_land(data_store, picks, tmp_path):
    (good_project, good_period), (bad_project, bad_period) = picks[0], picks[1]
    rows = _changed_rows(rows_of(data_store, good_project, good_period), 0)
    good = write(tmp_path / "in", "good.xlsx", fill(returns.workbook(good_project, good_period, store.open_store(data_store)), rows))
    write(tmp_path / "in", "bad.xlsx", edit(original_return(data_store, bad_project, bad_period), _negative))
    bad_before = rows_of(data_store, bad_project, bad_period)
    assert not returns.import_returns([tmp_path / "in"], store.open_store(data_store), confirm_removals=True).ok
    result = returns.import_returns([tmp_path / "in"], store.open_store(data_store), accept_valid=True, confirm_removals=True)
    assert result.ok and result.accepted == [good.name] and result.rejected == ["bad.xlsx"]
    assert "1 refused" in result.summary()
    now = store.open_store(data_store).active().path
    assert rows_of(now, good_project, good_period) == {
        name: sorted(v, key=lambda r: tuple(r[d] for d in KINDS[name].dimensions)) for name, v in rows.items()}
    assert rows_of(now, bad_project, bad_period) == bad_before


# ---- the command line -------------------------------------------------------------------------

def test_the_commands_write_a_workbook_and_import_it(data_store, picks, tmp_path, capsys):
    project, period = picks[2]
    out = tmp_path / "r.xlsx"
    assert cli.main(["return", "template", "--project", project, "--period", calendar.quarter_label(period),
                     "--data-dir", str(data_store), "--out", str(out)]) == 0
    assert openpyxl.load_workbook(out)["training"]["B1"].value == project
    assert cli.main(["return", "template", "--project", project, "--period", "2030Q1",
                     "--data-dir", str(data_store), "--out", str(tmp_path / "x.xlsx")]) == 2
    assert "outside" in capsys.readouterr().err
    assert cli.main(["return", "import", str(out), "--data-dir", str(data_store)]) == 1
    assert "--confirm-removals" in capsys.readouterr().out
    assert store.open_store(data_store).active().version == "base"
    assert cli.main(["return", "import", str(out), "--data-dir", str(data_store), "--confirm-removals"]) == 0
    shown = capsys.readouterr().out
    assert "is now active (was base)" in shown and project in shown


# ---- the pages ----------------------------------------------------------------------------------

def test_the_project_page_says_when_it_last_reported_and_offers_its_workbook_to_its_partners_only(app_data, independent):
    project = store.read_table(app_data, "projects")["project_id"][0].as_py()
    at = make_app("pages/partnerships.py", {"project": project})
    assert "Download the reporting workbook" not in [b.label for b in at.get("download_button")]  # a public viewer
    assert any(e.label == "Partner sign-in" for e in at.expander)
    last = independent.scalar("select max(period) from (select period from training where project_id = $p union all "
                              "select period from volunteering where project_id = $p union all select period from "
                              "outcomes where project_id = $p)", {"p": project})
    assert any(f"Last quarter with figures: {calendar.quarter_label(last)}." in m.value.replace("\\", "") for m in at.markdown)


PASSWORD = "returns are due on the fifteenth"


def test_an_administrator_uploads_returns_on_the_data_page(data_store, picks, monkeypatch):
    project, period = picks[0]
    rows = _changed_rows(rows_of(data_store, project, period), 0)
    book = fill(returns.workbook(project, period, store.open_store(data_store)), rows)
    monkeypatch.setenv("IMPACT_DATA_DIR", str(data_store))
    monkeypatch.setenv(auth.HASH_ENV, auth.hash_password(PASSWORD))
    st.cache_data.clear()
    st.cache_resource.clear()
    at = make_app("pages/data.py")
    assert not at.get("file_uploader")
    at.text_input(key="admin_password").input(PASSWORD)
    next(b for b in at.button if b.label == "Sign in").click()
    at.run()
    assert "Download the workbooks" in " ".join(b.label for b in at.get("download_button"))
    at.file_uploader(key="return_uploads").set_value(("return.xlsx", book, returns_xlsx()))
    at.run()
    next(b for b in at.button if b.label == "Check and import returns").click()
    at.run()
    assert not at.exception
    assert store.open_store(data_store).active().version == "base"  # a volunteering row would go: not confirmed
    assert any("remove" in e.value for e in at.error)
    at.checkbox(key="returns_confirm").check()
    at.run()
    next(b for b in at.button if b.label == "Check and import returns").click()
    at.run()
    assert not at.exception
    assert any("1 return(s) imported" in s.value.replace("\\", "") for s in at.success)
    assert store.open_store(data_store).active().version != "base"
    at.switch_page("pages/partnerships.py")
    at.query_params["project"] = project
    at.run()
    assert any(f"Last return imported: {calendar.quarter_label(period)}" in m.value.replace("\\", "")
               for m in at.markdown), [m.value for m in at.markdown]
    assert rows_of(store.open_store(data_store).active().path, project, period)["training"][0]["trainees"] == \
        sorted(rows["training"], key=lambda r: tuple(r[d] for d in KINDS["training"].dimensions))[0]["trainees"]
    st.cache_data.clear()
    st.cache_resource.clear()


def returns_xlsx() -> str:
    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ---- who has reported -----------------------------------------------------------------------------

def independent_statuses(folder: Path, as_of: dt.date, deadline_days: int,
                         arrived: dict | None = None) -> dict[tuple[str, dt.date], str]:
    """Each project quarter's status, from the projects' dates, the fact rows, the deadline and when returns
    arrived ((project, quarter) -> date), in plain Python."""
    reported = set()
    for name in returns.TABLES:
        table = store.read_table(folder, name)
        reported |= set(zip(table["project_id"].to_pylist(), table["period"].to_pylist(), strict=True))
    out = {}
    for p in store.read_table(folder, "projects").to_pylist():
        for quarter in calendar.quarter_range(p["start_date"], p["end_date"]):
            end = calendar.quarter_end(quarter)
            due = end + dt.timedelta(days=deadline_days)
            came = (arrived or {}).get((p["project_id"], quarter))
            if (p["project_id"], quarter) in reported and end < as_of and (came is None or came <= as_of):
                out[p["project_id"], quarter] = "reported late" if came and came > due else "reported"
            else:
                out[p["project_id"], quarter] = "missing" if due < as_of else "not yet due"
    return out


def _independent_rates(folder: Path, as_of: dt.date, deadline_days: int) -> tuple[dict, dict]:
    """Due and received returns per quarter and per country."""
    projects = {r["project_id"]: r["iso3"] for r in store.read_table(folder, "projects").to_pylist()}
    countries = {r["iso3"]: r["name"] for r in store.read_table(folder, "countries").to_pylist()}
    per_quarter, per_country = {}, {}
    for (project, quarter), state in independent_statuses(folder, as_of, deadline_days).items():
        if state == "not yet due":
            continue
        for bucket, key in ((per_quarter, calendar.quarter_label(quarter)), (per_country, countries[projects[project]])):
            due, received = bucket.get(key, (0, 0))
            bucket[key] = (due + 1, received + (state != "missing"))
    return per_quarter, per_country


def test_reporting_rates_equal_an_independent_count(data_store, picks, tmp_path):
    from impact.query import db, reporting

    for project, period in picks[:2]:  # two returns go missing
        path = write(tmp_path / f"blank-{project}", "blank.xlsx", returns.workbook(project, period, store.open_store(data_store)))
        assert returns.import_returns([path], store.open_store(data_store), confirm_removals=True).ok
    folder = store.open_store(data_store).active().path
    database = db.open_database(folder, "returns-test")
    deadline = database.programme.reporting.deadline_days or 0
    as_of = max(calendar.quarter_end(d) for _, d in picks[:2]) + dt.timedelta(days=deadline + 1)
    frame = reporting.status(database, as_of)
    per_quarter, per_country = _independent_rates(folder, as_of, deadline)
    got = reporting.rates(frame, "period").set_index("period")
    assert {k: (int(r.due), int(r.received)) for k, r in got.iterrows()} == per_quarter
    got = reporting.rates(frame, "country").set_index("country")
    assert {k: (int(r.due), int(r.received)) for k, r in got.iterrows()} == per_country
    statuses = independent_statuses(folder, as_of, deadline)
    assert dict(zip(zip(frame["project_id"], frame["quarter"].dt.date, strict=True), frame["status"], strict=True)) \
        == statuses
    assert list(statuses.values()).count("not yet due") > 0
    chase = reporting.missing(frame)
    assert set(zip(chase["project_id"], chase["period"], strict=True)) == {
        (p, calendar.quarter_label(d)) for p, d in picks[:2]}
    sheet = openpyxl.load_workbook(io.BytesIO(reporting.workbook(chase))).active
    assert sheet.max_row == len(chase) + 1


def test_the_reporting_view_shows_the_rate(app_data):
    at = make_app("pages/data.py")
    assert "Reporting rate" not in [m.label for m in at.metric], "the closed Reporting tab is not built"
    at.session_state["data_tabs"] = "Reporting"
    at.run()
    shown = {m.label: m.value for m in at.metric}
    assert shown["Missing"] == "0" and shown["Reporting rate"] == "100%"  # the generator reports every quarter
    assert "Download the missing returns (Excel)" in [b.label for b in at.get("download_button")]
    assert "Returns by project and quarter" in " ".join(str(c.proto.spec) for c in at.get("plotly_chart"))


def test_the_reporting_view_chooses_a_country_by_its_code_and_shows_its_name(app_data, independent):
    at = make_app("pages/data.py")
    at.session_state["data_tabs"] = "Reporting"
    at.run()
    names = dict(independent.rows("select iso3, name from countries where iso3 in (select iso3 from projects)"))
    place = at.selectbox(key="reporting_country")
    assert place.options == ["every country", *sorted(names.values())]  # names shown
    code = min(names, key=names.get)
    place.set_value(code).run()  # the value chosen: the code
    spec = " ".join(str(c.proto.spec) for c in at.get("plotly_chart"))
    assert f"{names[code]}, as of" in spec
    per_country = next(d.value for d in at.dataframe if "country" in d.value.columns and "rate" in d.value.columns)
    due = dict(zip(per_country["country"], per_country["due"]))
    assert set(due) == set(names.values()) and all(n > 0 for n in due.values())


def test_text_from_the_data_never_becomes_a_formula_in_the_workbook(data_store, picks):
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    project, period = picks[0]
    table = pq.read_table(data_store / "projects.parquet")
    hostile = '=HYPERLINK("http://example.invalid","click")'
    titles = pc.if_else(pc.equal(table["project_id"], project), hostile, table["title"])
    pq.write_table(table.set_column(table.schema.get_field_index("title"), "title", titles.cast(pa.string())),
                   data_store / "projects.parquet")
    wb = openpyxl.load_workbook(io.BytesIO(returns.workbook(project, period, store.open_store(data_store))))
    formulas = [c.coordinate for s in wb.worksheets for row in s.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    assert wb["training"]["C1"].value == "'" + hostile


def test_when_a_return_arrived_comes_from_the_versions_manifests(data_store, picks, tmp_path):
    from impact.query import db, reporting

    project, period = picks[0]
    first = returns.import_returns([write(tmp_path / "1", "r.xlsx", original_return(data_store, project, period))], store.open_store(data_store))
    other, other_period = picks[1]
    second = returns.import_returns([write(tmp_path / "2", "s.xlsx", original_return(data_store, other, other_period))], store.open_store(data_store))
    found = returns.arrivals(store.open_store(data_store))
    held = store.open_store(data_store)
    manifests = {v: store.read_manifest(held.version_path(v)) for v in (first.version, second.version)}
    assert found.to_dict("records") == [
        {"project_id": other, "period": other_period.isoformat(), "arrived": manifests[second.version]["created_at"],
         "version": second.version, "file": "s.xlsx"},
        {"project_id": project, "period": period.isoformat(), "arrived": manifests[first.version]["created_at"],
         "version": first.version, "file": "r.xlsx"}]
    folder = store.open_store(data_store).active().path
    frame = reporting.status(db.open_database(folder, "arrivals-test"), dt.date(2030, 1, 1), found)
    assert frame["arrived"].notna().sum() == 2
    store.open_store(data_store).rollback(first.version)  # the rolled-back return is no longer in the lineage
    assert returns.arrivals(store.open_store(data_store))["project_id"].tolist() == [project]


def test_the_heatmap_of_a_large_programme_keeps_the_projects_with_the_most_missing_returns():
    import pandas as pd

    from impact.query import reporting

    frame = pd.DataFrame({"project_id": ["P-1"] * 2 + ["P-2"] * 2 + ["P-3"] * 2, "period": ["2018Q1", "2018Q2"] * 3,
                          "status": [reporting.REPORTED, reporting.MISSING, reporting.MISSING, reporting.MISSING,
                                     reporting.LATE, reporting.REPORTED]})
    assert reporting.most_missing(frame, 3) is frame
    assert list(reporting.most_missing(frame, 2)["project_id"].unique()) == ["P-1", "P-2"]
    assert list(reporting.most_missing(frame, 1)["project_id"].unique()) == ["P-2"]


def test_the_reporting_heatmap_colours_each_project_quarter_by_its_status():
    import pandas as pd

    from impact.charts import figures, theme

    frame = pd.DataFrame({"project_id": ["P-2", "P-2", "P-1", "P-1"], "period": ["2018Q1", "2018Q2"] * 2,
                          "status": ["reported", "missing", "not yet due", "reported"]})
    fig = figures.reporting_heatmap(frame)
    heat = fig.data[0]
    assert list(heat.y) == ["P-1", "P-2"] and list(heat.x) == ["2018Q1", "2018Q2"]
    assert heat.customdata.tolist() == [["not yet due", "reported"], ["reported", "missing"]]
    colours = dict(heat.colorscale)
    assert theme.COLORS["positive"] in colours.values() and theme.COLORS["negative"] in colours.values()
