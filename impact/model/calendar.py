"""The calendar: quarters and years, read from text, written as text and stepped — once, for every room.

A period is a calendar quarter, held as its first day (a `datetime.date`: 2018-07-01 is 2018Q3). This module
is the only place that knows how a quarter is written and read, which years are sane, and how to go from a day
to its quarter's first or last day, to the next quarter, or over a range of quarters. A link's `from`/`to`,
the command line's `--period`, a returns workbook, the explorer's compared periods and the generator all use
it, so the same text is accepted or refused the same way everywhere.

Written: always '2018Q3' (`quarter_label`); a span of quarters as '2012Q1:2013Q4' (`span_text`).
Read (`parse_quarter`): '2018Q3', '2018q3', '2018-Q3', '2018 Q3' and 'Q3 2018' (also 'Q3-2018', any case),
surrounding spaces ignored; ASCII digits only, at most `MAX_QUARTER_TEXT` characters, a year within `YEARS`.
Anything else is None (`require_quarter` raises ValueError saying how to write it instead).
"""

from __future__ import annotations

import datetime as dt
import re

YEARS = (1900, 2200)  # the years a date may fall in: a programme's dates and every quarter written as text
QUARTER_MONTHS = (1, 4, 7, 10)  # the months a quarter starts in
FIRST_QUARTER, LAST_QUARTER = dt.date(YEARS[0], 1, 1), dt.date(YEARS[1], 10, 1)  # every period lies between them
MAX_QUARTER_TEXT = 8  # the longest text read as a quarter ('2018-Q3' is 7): a bound before any matching
_QUARTER_TEXT = re.compile(r"(\d{4})[- ]?Q([1-4])|Q([1-4])[- ](\d{4})", re.ASCII | re.IGNORECASE)
_SPAN_SEPARATOR = ":"


def quarter_start(day: dt.date) -> dt.date:
    """The first day of `day`'s quarter."""
    return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def next_quarter(day: dt.date) -> dt.date:
    """The first day of the quarter after `day`'s."""
    first = quarter_start(day)
    return dt.date(first.year + 1, 1, 1) if first.month == 10 else dt.date(first.year, first.month + 3, 1)


def quarter_end(day: dt.date) -> dt.date:
    """The last day of `day`'s quarter."""
    return next_quarter(day) - dt.timedelta(days=1)


def quarter_range(first: dt.date, last: dt.date) -> list[dt.date]:
    """The first days of the quarters from `first`'s quarter to `last`'s, inclusive (empty when last < first)."""
    out, day = [], quarter_start(first)
    while day <= last:
        out.append(day)
        day = next_quarter(day)
    return out


def year_quarters(year: int) -> tuple[dt.date, dt.date]:
    """The first days of a year's first and last quarters."""
    return dt.date(year, QUARTER_MONTHS[0], 1), dt.date(year, QUARTER_MONTHS[-1], 1)


def quarter_label(day: dt.date) -> str:
    """'2016Q3' for any date in the third quarter of 2016."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def parse_quarter(text: str) -> dt.date | None:
    """The first day of the quarter `text` writes ('2018Q3', '2018q3', '2018-Q3', '2018 Q3', 'Q3 2018'), else None."""
    if not isinstance(text, str) or len(text) > MAX_QUARTER_TEXT:
        return None
    match = _QUARTER_TEXT.fullmatch(text.strip())
    if not match:
        return None
    year, quarter = (match.group(1), match.group(2)) if match.group(1) else (match.group(4), match.group(3))
    year = int(year)
    return dt.date(year, QUARTER_MONTHS[int(quarter) - 1], 1) if YEARS[0] <= year <= YEARS[1] else None


def normal_quarter(text: str) -> str:
    """A quarter written any accepted way, written the one way ('q3 2018' -> '2018Q3'); other text unchanged."""
    day = parse_quarter(text)
    return quarter_label(day) if day else text


def require_quarter(text: str) -> dt.date:
    """The first day of the quarter `text` writes; ValueError saying how to write a quarter otherwise."""
    day = parse_quarter(text)
    if day is None:
        raise ValueError(f"{str(text)[:20]!r} is not a quarter; write it as YYYYQn, e.g. 2018Q3 "
                         f"(a year from {YEARS[0]} to {YEARS[1]})")
    return day


def parse_span(text: str) -> tuple[dt.date, dt.date] | None:
    """A span of quarters '2012Q1:2013Q4' as the first days of its first and last quarters, else None."""
    if not isinstance(text, str) or len(text) > 2 * MAX_QUARTER_TEXT + 1 or _SPAN_SEPARATOR not in text:
        return None
    first, last = (parse_quarter(part) for part in text.split(_SPAN_SEPARATOR, 1))
    return (first, last) if first and last and first <= last else None


def span_text(span: tuple[dt.date, dt.date]) -> str:
    """A span of quarters as a link writes it: '2012Q1:2013Q4'."""
    return f"{quarter_label(span[0])}{_SPAN_SEPARATOR}{quarter_label(span[1])}"


def span_label(span: tuple[dt.date, dt.date]) -> str:
    """A span of quarters in words: '2012Q1–2013Q4' (or one quarter, '2012Q1')."""
    first, last = quarter_label(span[0]), quarter_label(span[1])
    return first if first == last else f"{first}–{last}"


# ---- periods as sheets write them ------------------------------------------------------------------------
# An imported sheet (impact.ingest.mapping) writes its periods in many ways. These read them, each to the first
# day of a quarter, and nothing else does: '2018-07-01', '01/07/2018' (day or month first: asked, not guessed,
# when both read), the quarter forms above, 'Jul-Sep 2018' (months in English, French, Portuguese or Spanish)
# and 'FY2018/19 Q2' (a financial year starting in the programme's `fiscal_year_start` month).

MONTH_NAMES: dict[str, int] = {}  # a month's name or abbreviation, folded (lower case, no accents or dot) -> 1..12
for _number, _names in enumerate((
        "january jan janvier janv janeiro enero ene", "february feb fevrier fevr fev fevereiro febrero",
        "march mar mars marco marzo", "april apr avril avr abril abr", "may mai maio mayo",
        "june jun juin junho junio", "july jul juillet juil julho julio", "august aug aout agosto ago",
        "september sep sept septembre setembro set septiembre", "october oct octobre outubro out octubre",
        "november nov novembre novembro noviembre", "december dec decembre dezembro dez diciembre dic"), start=1):
    MONTH_NAMES.update({name: _number for name in _names.split()})
MAX_PERIOD_TEXT = 40  # the longest text read as a period label: a bound before any matching
_DAY_TEXT = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?", re.ASCII)
_SLASHED = re.compile(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})", re.ASCII)
_MONTH_SPAN = re.compile(r"([a-z]+)\.?\s*[-–—/]\s*([a-z]+)\.?\s*[-' ]?\s*(\d{4})", re.ASCII)
_DHIS2_MONTH = re.compile(r"(\d{4})(0[1-9]|1[0-2])", re.ASCII)  # DHIS2's monthly period: 201807
_DHIS2_YEARLY = re.compile(r"(\d{4})([a-z]+)?", re.ASCII)  # DHIS2's yearly and financial-year periods: 2018, 2018july
_DHIS2_WEEK = re.compile(r"(\d{4})w(\d{1,2})", re.ASCII)  # an ISO week: 2018W27
_DHIS2_BIWEEK = re.compile(r"(\d{4})biw(\d{1,2})", re.ASCII)  # two ISO weeks: 2018BiW3 is weeks 5 and 6
_DHIS2_BIMONTH = re.compile(r"(\d{4})(0[1-6])b", re.ASCII)  # two months: 201801B is January and February
_DHIS2_SIX_MONTHS = re.compile(r"(\d{4})([a-z]*)s([12])", re.ASCII)  # 2018S1 (Jan-Jun), 2018AprilS1 (Apr-Sep)
_FISCAL = re.compile(r"fy\s*(\d{4})(?:\s*[/-]\s*(\d{2}|\d{4}))?\s*[- ]?\s*q([1-4])", re.ASCII)


class AmbiguousDate(ValueError):
    """A date such as 03/04/2018 that reads as two different days: which comes first must be said."""


class NotAQuarter(ValueError):
    """A period across more than one quarter (a year, DHIS2's '2018', '2018July', '2018S1' or a two-month period
    across quarters, '201802B'): its numbers cannot be placed in one."""


def fold_text(text: str) -> str:
    """Lower case without accents, with surrounding space removed: the form period labels are matched in."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fiscal_quarter(year: int, quarter: int, fiscal_year_start: int = 1) -> dt.date:
    """The first day of quarter `quarter` (1-4) of the financial year that starts in `year`'s `fiscal_year_start`
    month: with April, FY2018/19 Q2 is 2018-07-01."""
    month = fiscal_year_start - 1 + 3 * (quarter - 1)
    return quarter_start(dt.date(year + month // 12, month % 12 + 1, 1))


def _months_after(first: dt.date, months: int) -> dt.date:
    """The last day of the `months` months from the first day `first`."""
    month = first.month - 1 + months
    return dt.date(first.year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)


def dhis2_span(text: str) -> tuple[dt.date, dt.date] | None:
    """The first and last day of a DHIS2 period longer than a month or not aligned with months: a week ('2018W27',
    ISO weeks from Monday), two weeks ('2018BiW3': ISO weeks 5 and 6), two months ('201801B': January and
    February), six months ('2018S1'; from April, '2018AprilS1', or November, '2018NovS1': November 2017 to April
    2018), a year ('2018') or a
    financial year ('2018April', '2018July', '2018Oct', '2018Nov': the twelve months from that month). None when
    `text` is none of these (or a week that does not exist)."""
    if not isinstance(text, str) or len(text) > MAX_PERIOD_TEXT:
        return None
    folded = fold_text(text)
    try:
        if match := _DHIS2_WEEK.fullmatch(folded):
            monday = dt.date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
            return monday, monday + dt.timedelta(days=6)
        if match := _DHIS2_BIWEEK.fullmatch(folded):
            year, number = int(match.group(1)), int(match.group(2))
            monday = dt.date.fromisocalendar(year, 2 * number - 1, 1)
            last = dt.date.fromisocalendar(year, 2 * number, 7)  # ValueError when the year has no such week
            return monday, last
    except ValueError:
        return None
    if match := _DHIS2_BIMONTH.fullmatch(folded):
        first = dt.date(int(match.group(1)), 2 * int(match.group(2)) - 1, 1)
        return first, _months_after(first, 2)
    if match := _DHIS2_SIX_MONTHS.fullmatch(folded):
        start = 1 if not match.group(2) else MONTH_NAMES.get(match.group(2))
        if start not in (1, 4, 11):
            return None
        year = int(match.group(1)) - (start == 11)  # 2018NovS1 is November 2017 to April 2018
        first = dt.date(year, start, 1)
        if match.group(3) == "2":
            first = _months_after(first, 6) + dt.timedelta(days=1)
        return first, _months_after(first, 6)
    if (match := _DHIS2_YEARLY.fullmatch(folded)) and (not match.group(2) or match.group(2) in MONTH_NAMES):
        first = dt.date(int(match.group(1)), MONTH_NAMES.get(match.group(2) or "", 1), 1)
        return first, _months_after(first, 12)
    return None


def quarters_of(first: dt.date, last: dt.date) -> list[dt.date]:
    """The first days of the quarters from `first`'s to `last`'s."""
    quarters = [quarter_start(first)]
    while quarters[-1] < quarter_start(last):
        quarters.append(next_quarter(quarters[-1]))
    return quarters


def period_span(text: str) -> tuple[dt.date, dt.date] | None:
    """The first and last day of a quarter ('2018Q3'), a DHIS2 month ('201807') or another DHIS2 period (see
    `dhis2_span`); None for anything else."""
    if (first := parse_quarter(text)) is not None:
        return first, quarter_end(first)
    if isinstance(text, str) and (match := _DHIS2_MONTH.fullmatch(text.strip())):
        first = dt.date(int(match.group(1)), int(match.group(2)), 1)
        return first, _months_after(first, 1)
    return dhis2_span(text)


def parse_day(text: str, day_first: bool | None = None) -> dt.date | None:
    """A day written '2018-07-01' or '01/07/2018' (dots too); None when `text` is not a day. When a slashed date
    reads both ways (03/04/2018) `day_first` decides, and without it AmbiguousDate is raised."""
    if not isinstance(text, str) or len(text) > 30:
        return None
    text = text.strip()
    try:
        if match := _DAY_TEXT.fullmatch(text):
            day = dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        elif match := _SLASHED.fullmatch(text):
            first, second, year = (int(g) for g in match.groups())
            if first > 12 or second > 12 or first == second:  # reads one way only
                day_first = first > 12 or first == second
            elif day_first is None:
                raise AmbiguousDate(f"{text} reads as {dt.date(year, second, first):%d %B %Y} (day first) or "
                                    f"{dt.date(year, first, second):%d %B %Y} (month first)")
            day = dt.date(year, second, first) if day_first else dt.date(year, first, second)
        else:
            return None
    except ValueError as error:
        if isinstance(error, AmbiguousDate):
            raise
        return None
    return day if YEARS[0] <= day.year <= YEARS[1] else None


def parse_period(text: str, fiscal_year_start: int = 1, day_first: bool | None = None) -> dt.date | None:
    """The first day of the quarter a sheet's period label writes, else None: a day (its quarter; see `parse_day`),
    a quarter ('2018Q3', 'Q3 2018'), three months 'Jul-Sep 2018' (in English, French, Portuguese or Spanish, the
    first and last month of one quarter), a financial year's quarter 'FY2018/19 Q2', a DHIS2 month '201807', a
    DHIS2 week '2018W27' (the quarter of its Thursday, as DHIS2 places a week) or another DHIS2 period inside one
    quarter (two weeks '2018BiW3', two months '201801B': see `dhis2_span`). AmbiguousDate for a day that reads
    both ways when `day_first` is not given; NotAQuarter for a period across quarters (a year '2018', DHIS2's
    financial year '2018July', six months '2018S1', two months '201802B')."""
    if not isinstance(text, str) or len(text) > MAX_PERIOD_TEXT:
        return None
    if (day := parse_quarter(text)) is not None:
        return day
    if (day := parse_day(text, day_first)) is not None:
        return quarter_start(day)
    folded = fold_text(text)
    if match := _DHIS2_MONTH.fullmatch(folded):
        year = int(match.group(1))
        return quarter_start(dt.date(year, int(match.group(2)), 1)) if YEARS[0] <= year <= YEARS[1] else None
    if span := dhis2_span(text):
        first, last = span
        if not YEARS[0] <= first.year <= YEARS[1]:
            return None
        if _DHIS2_WEEK.fullmatch(folded):  # a week is in the quarter of its Thursday, as DHIS2 places it
            return quarter_start(first + dt.timedelta(days=3))
        if quarter_start(first) == quarter_start(last):
            return quarter_start(first)
        quarters = quarters_of(first, last)
        raise NotAQuarter(f"{text} runs from {first:%d %B %Y} to {last:%d %B %Y}, across "
                          f"{', '.join(quarter_label(q) for q in quarters)}: its numbers cannot be split between "
                          "quarters (export the data value set by week, month or quarter, or place the period in one "
                          "quarter in the recipe's values of period)")
    if match := _MONTH_SPAN.fullmatch(folded):
        first, last, year = MONTH_NAMES.get(match.group(1)), MONTH_NAMES.get(match.group(2)), int(match.group(3))
        if first and last and first in QUARTER_MONTHS and last == first + 2 and YEARS[0] <= year <= YEARS[1]:
            return dt.date(year, first, 1)
        return None
    if match := _FISCAL.fullmatch(folded):
        year = int(match.group(1))
        if match.group(2):  # the second year must follow the first: FY2018/19, FY2018-2019
            following = int(match.group(2))
            if following != (year + 1) % (100 if len(match.group(2)) == 2 else 10_000):
                return None
        return fiscal_quarter(year, int(match.group(3)), fiscal_year_start) if YEARS[0] <= year <= YEARS[1] else None
    return None
