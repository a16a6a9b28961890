"""The reporting workbook in LibreOffice (headless, Debian's `libreoffice-calc-nogui`, installed by `./run.sh test`):
it converts without error, its dropdowns and whole-number rules survive as LibreOffice validations that show a
list, and a return filled in and saved by LibreOffice comes back as the same figures."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest

from impact.reporting import returns
from impact.storage import store
from tests.test_returns import fill, rows_of

SOFFICE = shutil.which("soffice")
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed (./run.sh test installs it)")


def convert(source: Path, to: str, out: Path, profile: Path) -> Path:
    """LibreOffice's headless conversion of `source` (its own user profile, so runs never share one)."""
    result = subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore", "--convert-to", to,
         "--outdir", str(out), str(source)],
        capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    made = out / f"{source.stem}.{to.split(':')[0]}"
    assert made.is_file(), (result.stdout, result.stderr)
    return made


def test_the_workbook_converts_and_keeps_its_dropdowns_in_libreoffice(data_store, picks, tmp_path):
    project, period = picks[0]
    source = tmp_path / "return.xlsx"
    source.write_bytes(returns.workbook(project, period, store.open_store(data_store)))
    ods = convert(source, "ods", tmp_path / "out", tmp_path / "profile")
    content = zipfile.ZipFile(ods).read("content.xml").decode("utf-8")
    validations = re.findall(r"<table:content-validation [^>]*>", content)
    lists = [v for v in validations if "cell-content-is-in-list" in v]
    wb = openpyxl.load_workbook(source)
    wanted_lists = {dv.formula1 for ws in wb.worksheets for dv in ws.data_validations.dataValidation
                    if dv.type == "list"}
    assert len(lists) == len(wanted_lists) > 0
    assert all('table:display-list="unsorted"' in v for v in lists)  # a dropdown is shown, not hidden
    wholes = [v for v in validations if "cell-content-is-whole-number()" in v]
    assert wholes and all("cell-content-is-between(0," in v for v in wholes)
    sheets = re.findall(r'<table:table table:name="([^"]+)"', content)
    assert {"Instructions", "training", "volunteering", "outcomes", returns.MARKER} <= set(sheets)


def test_a_return_filled_and_saved_in_libreoffice_comes_back_as_its_figures(data_store, picks, tmp_path):
    project, period = picks[1]
    rows = rows_of(data_store, project, period)
    filled = tmp_path / "filled" / "return.xlsx"
    filled.parent.mkdir()
    filled.write_bytes(fill(returns.workbook(project, period, store.open_store(data_store)), rows))
    saved = convert(filled, "xlsx:Calc MS Excel 2007 XML", tmp_path / "saved", tmp_path / "profile")
    assert saved.read_bytes() != filled.read_bytes()  # LibreOffice wrote its own file
    result = returns.import_returns([saved], store.open_store(data_store))
    assert result.ok, result.report.to_frame().to_dict("records")
    assert rows_of(store.open_store(data_store).active().path, project, period) == rows
