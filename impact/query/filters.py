"""The shared filter model: what is selected, to and from the URL, and as bound SQL parameters.

URL values are checked against the allowed values (from the schema and the data);
anything unknown, malformed or oversized is dropped with a notice and never reaches SQL.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, fields, replace

from impact.query.dimensions import FILTERS

_QUARTER = re.compile(r"^(\d{4})[- ]?Q([1-4])$", re.ASCII)  # ASCII: no full-width or other digits
MAX_VALUE_LENGTH = 80
MAX_VALUES = 64


def quarter_label(day: dt.date) -> str:
    """'2016Q3' for any date in the third quarter of 2016."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def parse_quarter(text: str) -> dt.date | None:
    """The first day of the quarter written as '2016Q3' (or '2016-Q3'), else None."""
    match = _QUARTER.match(text.strip()) if isinstance(text, str) and len(text) <= 8 else None
    if not match:
        return None
    year, q = int(match.group(1)), int(match.group(2))
    return dt.date(year, (q - 1) * 3 + 1, 1) if 1990 <= year <= 2100 else None


def quarter_range(first: dt.date, last: dt.date) -> list[dt.date]:
    """Quarter starts from `first` to `last` inclusive."""
    out, day = [], dt.date(first.year, (first.month - 1) // 3 * 3 + 1, 1)
    while day <= last:
        out.append(day)
        day = dt.date(day.year + 1, 1, 1) if day.month == 10 else dt.date(day.year, day.month + 3, 1)
    return out


DIMENSIONS = FILTERS  # the shared filters, in sidebar order (impact.query.dimensions defines them)
URL_KEYS = ("from", "to") + tuple(d.filter for d in DIMENSIONS)


@dataclass(frozen=True)
class Choices:
    """Allowed filter values: vocabularies from the programme's definition, countries and periods from the data."""

    countries: dict[str, str]  # iso3 -> name
    first_period: dt.date
    last_period: dt.date
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def from_frame(cls, frame, programme) -> Choices:
        """Build from the `filter_choices` query result and the programme's definition."""
        countries = dict(zip(frame["iso3"], frame["country"]))
        if len(frame) and frame["first_period"].notna().any():
            first = _as_date(frame["first_period"].iloc[0])
            last = _as_date(frame["last_period"].iloc[0])
        else:  # no results yet: the programme's whole window
            first = dt.date(programme.start.year, (programme.start.month - 1) // 3 * 3 + 1, 1)
            last = dt.date(programme.end.year, (programme.end.month - 1) // 3 * 3 + 1, 1)
        regions = set(frame["region"])
        values = {dim.filter: programme.values(dim.vocabulary) for dim in DIMENSIONS if dim.vocabulary}
        values["phase"] = programme.phase_names
        values["region"] = tuple(r for r in programme.values("region") if r in regions)
        values["country"] = tuple(countries)
        return cls(countries, first, last, values)

    @property
    def quarters(self) -> list[dt.date]:
        """Every quarter from the first to the last in the data."""
        return quarter_range(self.first_period, self.last_period)


def _as_date(value) -> dt.date:
    return value.date() if hasattr(value, "date") and callable(value.date) else value


@dataclass(frozen=True)
class Filters:
    """The active filters; empty tuples mean 'all'."""

    period_from: dt.date | None = None
    period_to: dt.date | None = None
    phase: tuple[str, ...] = ()
    region: tuple[str, ...] = ()
    country: tuple[str, ...] = ()
    theme: tuple[str, ...] = ()
    grant: tuple[str, ...] = ()
    cadre: tuple[str, ...] = ()
    gender: tuple[str, ...] = ()

    def params(self, choices: Choices | None = None) -> dict:
        """Bound parameters for the filter macros (all periods when no range is set)."""
        first = self.period_from or (choices.first_period if choices else dt.date(1990, 1, 1))
        last = self.period_to or (choices.last_period if choices else dt.date(2100, 1, 1))
        out = {"period_from": first, "period_to": last}
        for dim in DIMENSIONS:
            out[dim.param] = list(getattr(self, dim.filter))
        return out

    def to_query_params(self, choices: Choices | None = None) -> dict[str, list[str]]:
        """URL query parameters for this selection (defaults omitted)."""
        out: dict[str, list[str]] = {}
        if self.period_from and (not choices or self.period_from != choices.first_period):
            out["from"] = [quarter_label(self.period_from)]
        if self.period_to and (not choices or self.period_to != choices.last_period):
            out["to"] = [quarter_label(self.period_to)]
        for dim in DIMENSIONS:
            if getattr(self, dim.filter):
                out[dim.filter] = list(getattr(self, dim.filter))
        return out

    @property
    def is_default(self) -> bool:
        """True when nothing is filtered."""
        return self == Filters()

    def describe(self, choices: Choices | None = None) -> str:
        """The selection in words, for subtitles and speaker notes."""
        parts = []
        if self.period_from or self.period_to:
            start = quarter_label(self.period_from) if self.period_from else "start"
            end = quarter_label(self.period_to) if self.period_to else "end"
            parts.append(f"{start}–{end}")
        for dim in DIMENSIONS:
            chosen = getattr(self, dim.filter)
            if chosen:
                names = [choices.countries.get(v, v) for v in chosen] if (choices and dim.filter == "country") else chosen
                parts.append(f"{dim.label}: {', '.join(names)}")
        return "; ".join(parts) if parts else "All projects, countries and periods"

    def with_values(self, **changes) -> Filters:
        """A copy with some fields replaced."""
        return replace(self, **changes)


def from_query_params(query: dict, choices: Choices) -> tuple[Filters, list[str]]:
    """Filters from URL query parameters, and a notice for each value that was ignored."""
    notices: list[str] = []
    chosen: dict = {}
    for key in ("from", "to"):
        raw = _values(query, key)
        if not raw:
            continue
        day = parse_quarter(raw[-1])
        if day is None or not choices.first_period <= day <= choices.last_period:
            notices.append(f"Ignored the period '{_shorten(raw[-1])}' in the link: use a quarter such as "
                           f"{quarter_label(choices.first_period)} to {quarter_label(choices.last_period)}.")
            continue
        chosen["period_from" if key == "from" else "period_to"] = day
    if chosen.get("period_from") and chosen.get("period_to") and chosen["period_from"] > chosen["period_to"]:
        notices.append("Ignored the period in the link: it ends before it starts.")
        chosen.pop("period_from"), chosen.pop("period_to")
    for dim in DIMENSIONS:
        allowed = choices.values.get(dim.filter, ())
        good, bad = [], []
        for value in _values(query, dim.filter)[:MAX_VALUES]:
            (good if value in allowed and value not in good else bad).append(value)
        if len(_values(query, dim.filter)) > MAX_VALUES:
            bad.append("…")
        if bad:
            shown = ", ".join(f"'{_shorten(v)}'" for v in bad[:3])
            notices.append(f"Ignored unknown {dim.label.lower()} value(s) in the link: {shown}.")
        if good:
            chosen[dim.filter] = tuple(good)
    return Filters(**chosen), notices


def _values(query: dict, key: str) -> list[str]:
    raw = query.get(key, [])
    if isinstance(raw, str):
        raw = [raw]
    return [v for v in raw if isinstance(v, str)]


def _shorten(text: str) -> str:
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= 24 else text[:21] + "…"


FILTER_FIELDS = tuple(f.name for f in fields(Filters))
