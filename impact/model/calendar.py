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
