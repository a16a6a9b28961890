"""The one calendar (impact.model.calendar): every spelling of a quarter is read the same way by a link, the
command line's --period, a returns workbook and the explorer's compared periods; quarters step and round-trip."""

from __future__ import annotations

import datetime as dt
import re

import openpyxl
import pytest

from impact import cli
from impact.model import calendar
from impact.query import explore
from impact.query.filters import Choices, Filters, from_query_params
from impact.reporting import returns
from impact.storage import store
from tests.conftest import ROOT, make_app

SPELLINGS = ("{y}Q{q}", "{y}q{q}", "{y}-Q{q}", "{y} Q{q}", "Q{q} {y}", "q{q} {y}", "Q{q}-{y}", " {y}Q{q} ")
REFUSED = ("2018Q5", "2018Q0", "18Q3", "2018Q", "Q3", "2018", "2018-07", "2018-07-01", "2018 - Q3", "2018/Q3",
           "Q32018", "2018Q3Q3", "2018Q3; DROP TABLE x", "２０１８Q3", "2018Ｑ3", "١٢٣٤Q1", "2018\u00a0Q3",
           "1899Q4", "2201Q1", "9999Q1", "1066Q1", "", "  ", "2018Q" + "3" * 5000)


def _spellings(day: dt.date) -> list[str]:
    q = (day.month - 1) // 3 + 1
    return [s.format(y=day.year, q=q) for s in SPELLINGS]


@pytest.fixture
def choices() -> Choices:
    """A link's allowed periods: wide enough that only the spelling decides."""
    return Choices(countries={}, first_period=dt.date(1900, 1, 1), last_period=dt.date(2200, 10, 1))


# ---- reading and writing ----------------------------------------------------------------------

def test_every_accepted_spelling_is_the_same_quarter():
    for text in _spellings(dt.date(2018, 7, 1)):
        assert calendar.parse_quarter(text) == dt.date(2018, 7, 1), text
        assert calendar.require_quarter(text) == dt.date(2018, 7, 1), text
        assert calendar.normal_quarter(text) == "2018Q3", text
    assert calendar.quarter_label(dt.date(2018, 9, 30)) == "2018Q3"
    assert calendar.parse_quarter("1900Q1") == calendar.FIRST_QUARTER == dt.date(1900, 1, 1)
    assert calendar.parse_quarter("2200Q4") == calendar.LAST_QUARTER == dt.date(2200, 10, 1)


@pytest.mark.parametrize("text", REFUSED)
def test_refused_spellings_are_refused_by_the_calendar(text):
    assert calendar.parse_quarter(text) is None
    assert calendar.normal_quarter(text) == text
    with pytest.raises(ValueError, match="not a quarter"):
        calendar.require_quarter(text)
    assert calendar.parse_span(f"{text}:2019Q1") is None and calendar.parse_span(f"2011Q1:{text}") is None


def test_text_that_is_not_a_string_is_not_a_quarter():
    for value in (None, 2018, dt.date(2018, 7, 1), b"2018Q3", ["2018Q3"]):
        assert calendar.parse_quarter(value) is None
        assert calendar.parse_span(value) is None


def test_a_span_of_quarters_reads_writes_and_names_itself():
    span = (dt.date(2012, 1, 1), dt.date(2013, 10, 1))
    assert calendar.span_text(span) == "2012Q1:2013Q4"
    assert calendar.span_label(span) == "2012Q1–2013Q4"
    assert calendar.span_label((span[0], span[0])) == "2012Q1"
    for text in ("2012Q1:2013Q4", "2012q1:2013q4", "Q1 2012:Q4 2013", "2012-Q1:2013 Q4"):
        assert calendar.parse_span(text) == span, text
    assert calendar.parse_span("2013Q4:2012Q1") is None  # ends before it starts
    assert calendar.parse_span("2012Q1") is None
    assert calendar.parse_span("2012Q1:2013Q4:2014Q1") is None


# ---- stepping -----------------------------------------------------------------------------------

def test_quarters_round_trip_from_2000_to_2030():
    quarters = calendar.quarter_range(dt.date(2000, 1, 1), dt.date(2030, 12, 31))
    assert len(quarters) == 31 * 4
    assert quarters[0] == dt.date(2000, 1, 1) and quarters[-1] == dt.date(2030, 10, 1)
    for first, following in zip(quarters, quarters[1:]):
        assert calendar.next_quarter(first) == following
        assert calendar.quarter_end(first) + dt.timedelta(days=1) == following
    for first in quarters:
        assert first.day == 1 and first.month in calendar.QUARTER_MONTHS
        assert calendar.parse_quarter(calendar.quarter_label(first)) == first
        for spelling in _spellings(first):
            assert calendar.parse_quarter(spelling) == first
    day = dt.date(2000, 1, 1)
    while day <= dt.date(2030, 12, 31):  # every day lies in exactly its quarter
        start, end = calendar.quarter_start(day), calendar.quarter_end(day)
        assert start <= day <= end and start in quarters
        assert calendar.quarter_start(end) == start and calendar.quarter_end(start) == end
        assert calendar.next_quarter(day) == end + dt.timedelta(days=1)
        assert calendar.quarter_label(day) == calendar.quarter_label(start)
        day += dt.timedelta(days=1)


def test_a_year_boundary():
    assert calendar.quarter_end(dt.date(2018, 10, 1)) == dt.date(2018, 12, 31)
    assert calendar.quarter_end(dt.date(2018, 12, 31)) == dt.date(2018, 12, 31)
    assert calendar.next_quarter(dt.date(2018, 11, 15)) == dt.date(2019, 1, 1)
    assert calendar.quarter_start(dt.date(2019, 1, 1)) == dt.date(2019, 1, 1)
    assert calendar.quarter_range(dt.date(2018, 11, 1), dt.date(2019, 2, 1)) == [dt.date(2018, 10, 1),
                                                                                  dt.date(2019, 1, 1)]
    assert calendar.quarter_range(dt.date(2019, 2, 1), dt.date(2018, 11, 1)) == []
    assert calendar.year_quarters(2019) == (dt.date(2019, 1, 1), dt.date(2019, 10, 1))
    assert calendar.parse_span("2018Q4:2019Q1") == (dt.date(2018, 10, 1), dt.date(2019, 1, 1))
    assert calendar.quarter_label(dt.date(2018, 12, 31)) == "2018Q4"
    assert calendar.quarter_label(dt.date(2019, 1, 1)) == "2019Q1"


# ---- the same text everywhere ---------------------------------------------------------------

def test_a_link_reads_every_spelling_and_refuses_the_rest(choices):
    for text in _spellings(dt.date(2018, 7, 1)):
        filters, notices = from_query_params({"from": [text], "to": [text]}, choices)
        assert (filters.period_from, filters.period_to, notices) == (dt.date(2018, 7, 1), dt.date(2018, 7, 1), []), text
        assert filters.to_query_params() == {"from": ["2018Q3"], "to": ["2018Q3"]}  # written back the one way
    for text in REFUSED:
        filters, notices = from_query_params({"from": [text]}, choices)
        assert filters == Filters() and len(notices) == 1, text


def test_a_compared_period_reads_every_spelling_and_refuses_the_rest():
    quarters = calendar.quarter_range(dt.date(2011, 7, 1), dt.date(2019, 1, 1))
    for first, last in zip(_spellings(dt.date(2012, 1, 1)), _spellings(dt.date(2013, 10, 1))):
        view = explore.View(compare="period", a=f"{first}:{last}", b="2015Q1:2016Q4").checked(quarters)
        assert (view.a, view.b) == ("2012Q1:2013Q4", "2015Q1:2016Q4")
        assert view.series_labels == ("2012Q1–2013Q4", "2015Q1–2016Q4")
    for text in REFUSED:
        with pytest.raises(explore.ViewError, match="two quarters"):
            explore.View(compare="period", a=f"{text}:2013Q4", b="2015Q1:2016Q4").checked(quarters)
    _, notices = explore.from_query_params({"cmp": ["period"], "a": ["2018-07:2018Q4"]}, quarters)
    assert any("2018-07" in n for n in notices)


def test_the_command_line_and_a_link_agree_on_2018q3(choices, data_store, picks, tmp_path, capsys):
    """`?from=2018q3` and `--period 2018q3` are both read as 2018Q3 (a link refused it, the command line took it)."""
    filters, notices = from_query_params({"from": ["2018q3"]}, choices)
    assert filters.period_from == calendar.parse_quarter("2018q3") == dt.date(2018, 7, 1) and notices == []
    project, period = picks[0]
    for n, text in enumerate(_spellings(period)):
        out = tmp_path / f"r{n}.xlsx"
        assert cli.main(["return", "template", "--project", project, "--period", text,
                         "--data-dir", str(data_store), "--out", str(out)]) == 0, text
        assert f"for {calendar.quarter_label(period)}" in capsys.readouterr().out
        sheet = openpyxl.load_workbook(out)["training"]
        assert (sheet["B1"].value, sheet["B2"].value) == (project, calendar.quarter_label(period))


@pytest.mark.parametrize("text", ["2018-07", "2018 - Q3", "2018Q5", "２０１８Q3", "1899Q4"])
def test_the_command_line_a_link_and_a_returns_workbook_refuse_the_same_text(text, choices, data_store, picks,
                                                                            tmp_path, capsys):
    project, _ = picks[0]
    out = tmp_path / "r.xlsx"
    assert cli.main(["return", "template", "--project", project, "--period", text,
                     "--data-dir", str(data_store), "--out", str(out)]) == 2
    assert "not a quarter" in capsys.readouterr().err and not out.exists()
    with pytest.raises(ValueError, match="not a quarter"):
        returns.workbook(project, text, store.open_store(data_store))
    with pytest.raises(ValueError, match="not a quarter"):
        returns.due_projects(text, store.open_store(data_store))
    filters, notices = from_query_params({"from": [text]}, choices)
    assert filters.period_from is None and notices


def test_a_returns_workbook_reads_any_spelling_of_its_quarter(data_store, picks):
    project, period = picks[1]
    label = calendar.quarter_label(period)
    due = returns.due_projects(period, store.open_store(data_store))
    for text in (_spellings(period)[1], _spellings(period)[4]):  # 2018q3, Q3 2018
        assert returns.due_projects(text, store.open_store(data_store)) == due and project in due
        assert returns.file_name(project, calendar.require_quarter(text)).endswith(f"-{label}.xlsx")


def test_the_pages_links_read_any_spelling_and_write_the_one(app_data):
    at = make_app("pages/explore.py", query={"cmp": ["period"], "a": ["q1 2012:2013q4"], "b": ["2015-Q1:Q4 2016"]})
    assert at.session_state["u_a_range"] == ("2012Q1", "2013Q4")
    assert at.session_state["u_b_range"] == ("2015Q1", "2016Q4")
    assert (at.query_params["a"], at.query_params["b"]) in ((["2012Q1:2013Q4"], ["2015Q1:2016Q4"]),
                                                            ("2012Q1:2013Q4", "2015Q1:2016Q4"))
    at = make_app("pages/results.py", query={"asof": ["q4 2015"]})
    assert at.selectbox(key="u_asof").value == "2015Q4"
    assert not [c for c in at.caption if "Ignored" in c.value]


# ---- one of each mechanism --------------------------------------------------------------------

QUARTER_ARITHMETIC = re.compile(r"month - 1\) ?// ?3|Q\(\[1-4\]\)|QuarterEnd|QuarterBegin|\.dt\.quarter\b"
                                r"|[\[(]1, 4, 7, 10[\])]")


def test_only_the_calendar_works_out_quarters():
    files = [p for folder in ("impact", "pages", "bench") for p in (ROOT / folder).rglob("*.py")] + [ROOT / "app.py"]
    found = [f"{p.relative_to(ROOT)}:{n}" for p in files if p.name != "calendar.py"
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
             if QUARTER_ARITHMETIC.search(line)]
    assert found == []
