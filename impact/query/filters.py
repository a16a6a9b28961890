"""The shared filter model: what is selected, to and from the URL, and as bound SQL parameters.

URL values are checked against the allowed values (from the schema and the data);
anything unknown, malformed or oversized is dropped with a notice and never reaches SQL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from impact.model import calendar, i18n, metrics
from impact.model.i18n import gettext as _
from impact.query import dimensions
from impact.query.dimensions import FILTERS

MAX_VALUE_LENGTH = 80
MAX_VALUES = 64


DIMENSIONS = FILTERS  # the structural shared filters, in sidebar order (impact.query.dimensions defines them)
URL_KEYS = ("from", "to") + tuple(d.filter for d in DIMENSIONS)  # a programme's disaggregations add their own keys


def url_keys(programme=None) -> tuple[str, ...]:
    """Every URL key of the shared filters of a programme (its disaggregations' keys included)."""
    return ("from", "to") + tuple(d.filter for d in dimensions.filters_of(programme))


@dataclass(frozen=True)
class Choices:
    """Allowed filter values: vocabularies from the programme's definition, countries and periods from the data."""

    countries: dict[str, str]  # iso3 -> name
    first_period: dt.date
    last_period: dt.date
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)  # dimension key -> values, in order
    dimensions: tuple[dimensions.Dimension, ...] = DIMENSIONS  # the programme's shared filters, in sidebar order

    @classmethod
    def from_frame(cls, frame, programme) -> Choices:
        """Build from the `filter_choices` query result and the programme's definition."""
        countries = dict(zip(frame["iso3"], frame["country"]))
        if len(frame) and frame["first_period"].notna().any():
            first = _as_date(frame["first_period"].iloc[0])
            last = _as_date(frame["last_period"].iloc[0])
        else:  # no results yet: the programme's whole window
            first, last = calendar.quarter_start(programme.start), calendar.quarter_start(programme.end)
        regions = set(frame["region"])
        shared = dimensions.filters_of(programme)
        values = {dim.key: programme.values(dim.vocabulary) for dim in shared if dim.vocabulary}
        values["phase"] = programme.phase_names
        values["region"] = tuple(r for r in programme.values("region") if r in regions)
        values["country"] = tuple(countries)
        return cls(countries, first, last, values, shared)

    @property
    def quarters(self) -> list[dt.date]:
        """Every quarter from the first to the last in the data."""
        return calendar.quarter_range(self.first_period, self.last_period)


def _as_date(value) -> dt.date:
    return value.date() if hasattr(value, "date") and callable(value.date) else value


_URL_ONLY = frozenset(d.filter for d in FILTERS if d.filter != d.key)  # 'grant' in a link is grant_type


class Filters:
    """The active filters: a period range and, per dimension key, the values chosen (none chosen: all).

    `Filters(country=("UGA",), theme=(...,))`, a disaggregation's key as any other; `filters.country` reads the values chosen of any dimension
    (() when none). Immutable and hashable; equal when they choose the same."""

    __slots__ = ("period_from", "period_to", "_chosen")

    def __init__(self, period_from: dt.date | None = None, period_to: dt.date | None = None,
                 **chosen: tuple[str, ...]) -> None:
        misspelt = set(chosen) & _URL_ONLY
        if misspelt:
            raise TypeError(f"Filters take a dimension's key, not its link's: {', '.join(sorted(misspelt))}")
        object.__setattr__(self, "period_from", period_from)
        object.__setattr__(self, "period_to", period_to)
        object.__setattr__(self, "_chosen", tuple((k, tuple(v)) for k, v in chosen.items() if v))

    def __setattr__(self, name, value):
        raise AttributeError("Filters are immutable: use replace()")

    def __getattr__(self, key: str) -> tuple[str, ...]:
        if key.startswith("_"):
            raise AttributeError(key)
        return dict(self._chosen).get(key, ())

    def __getstate__(self):
        return (self.period_from, self.period_to, self._chosen)

    def __setstate__(self, state) -> None:
        for name, value in zip(self.__slots__, state):
            object.__setattr__(self, name, value)

    def __eq__(self, other) -> bool:
        return isinstance(other, Filters) and (self.period_from, self.period_to, dict(self._chosen)) == (
            other.period_from, other.period_to, dict(other._chosen))

    def __hash__(self) -> int:
        return hash((self.period_from, self.period_to, frozenset(self._chosen)))

    def __repr__(self) -> str:
        parts = [f"{k}={v!r}" for k, v in (("period_from", self.period_from), ("period_to", self.period_to)) if v]
        return f"Filters({', '.join(parts + [f'{k}={v!r}' for k, v in self._chosen])})"

    @property
    def chosen(self) -> dict[str, tuple[str, ...]]:
        """Dimension key -> the values chosen, for the dimensions filtered on."""
        return dict(self._chosen)

    def replace(self, **changes) -> Filters:
        """A copy with some choices (or the period's ends) replaced."""
        merged = {"period_from": self.period_from, "period_to": self.period_to, **self.chosen, **changes}
        return Filters(**merged)

    def params(self, choices: Choices | None = None) -> dict:
        """Bound parameters for the filter macros: `$filters` (all periods when no range is set)."""
        first = self.period_from or (choices.first_period if choices else calendar.FIRST_QUARTER)
        last = self.period_to or (choices.last_period if choices else calendar.LAST_QUARTER)
        return {"filters": struct(first, last, self.chosen)}

    def to_query_params(self, choices: Choices | None = None) -> dict[str, list[str]]:
        """URL query parameters for this selection (defaults omitted)."""
        out: dict[str, list[str]] = {}
        if self.period_from and (not choices or self.period_from != choices.first_period):
            out["from"] = [calendar.quarter_label(self.period_from)]
        if self.period_to and (not choices or self.period_to != choices.last_period):
            out["to"] = [calendar.quarter_label(self.period_to)]
        for dim in _shared(choices):
            if getattr(self, dim.key):
                out[dim.filter] = list(getattr(self, dim.key))
        return out

    @property
    def is_default(self) -> bool:
        """True when nothing is filtered."""
        return self == Filters()

    def describe(self, choices: Choices | None = None) -> str:
        """The selection in words, for subtitles and speaker notes."""
        parts = []
        if self.period_from or self.period_to:
            start = calendar.quarter_label(self.period_from) if self.period_from else _("start")
            end = calendar.quarter_label(self.period_to) if self.period_to else _("end")
            parts.append(f"{start}–{end}")
        programme = metrics.active_programme()
        for dim in _shared(choices):
            chosen = getattr(self, dim.key)
            if chosen:
                if choices and dim.key == "country":
                    names = [i18n.active().country(v, choices.countries.get(v, v)) for v in chosen]
                elif programme is not None and dim.vocabulary:
                    names = [programme.label(dim.vocabulary, v) for v in chosen]
                else:
                    names = list(chosen)
                parts.append(_("{dimension}: {values}").format(dimension=dim.shown_label, values=", ".join(names)))
        return "; ".join(parts) if parts else _("All projects, countries and periods")


def _shared(choices: Choices | None) -> tuple[dimensions.Dimension, ...]:
    return choices.dimensions if choices is not None else DIMENSIONS


def struct(period_from: dt.date, period_to: dt.date, chosen: dict[str, tuple[str, ...] | list[str]]) -> dict:
    """The `$filters` struct the generated macros read: the window and a map of the dimensions filtered on."""
    kept = {k: list(v) for k, v in chosen.items() if v}
    return {"period_from": period_from, "period_to": period_to,
            "chosen": {"key": list(kept), "value": list(kept.values())}}


def chosen_of(params: dict) -> dict[str, list[str]]:
    """The dimensions the bound `$filters` of `params` filter on, and their values."""
    chosen = params["filters"]["chosen"]
    return dict(zip(chosen["key"], chosen["value"]))


def with_filters(params: dict, **changes) -> dict:
    """`params` with parts of its `$filters` replaced: period_from, period_to, or a dimension's values."""
    current = params["filters"]
    chosen = {**chosen_of(params), **{k: v for k, v in changes.items() if k not in ("period_from", "period_to")}}
    return {**params, "filters": struct(changes.get("period_from", current["period_from"]),
                                        changes.get("period_to", current["period_to"]), chosen)}


def apply(params: dict) -> dict:
    """`params` with the changes to the shared filters that a chart binds as `filters.<part>` keys (the explorer's
    compared phases or periods) folded into its `$filters`."""
    changes = {k.split(".", 1)[1]: v for k, v in params.items() if k.startswith("filters.")}
    kept = {k: v for k, v in params.items() if not k.startswith("filters.")}
    return with_filters(kept, **changes) if changes and "filters" in kept else kept


def of_projects(params: dict, programme=None) -> dict:
    """`params` keeping only the filters every project answers (phase, region, country, theme, grant type): the
    scope of a project's targets, which a trainee's cadre or a disaggregation does not narrow."""
    kept = {d.key for d in dimensions.filters_of(programme) if d.of_projects}
    current = params["filters"]
    return {**params, "filters": struct(current["period_from"], current["period_to"],
                                        {k: v for k, v in chosen_of(params).items() if k in kept})}


def everything(programme) -> dict:
    """Parameters for the programme's whole window with nothing filtered."""
    return {"filters": struct(programme.start, programme.end, {})}


def narrowed(params: dict) -> bool:
    """True when the bound `$filters` filter on some dimension."""
    return any(chosen_of(params).values())


def from_query_params(query: dict, choices: Choices) -> tuple[Filters, list[str]]:
    """Filters from URL query parameters, and a notice for each value that was ignored."""
    notices: list[str] = []
    chosen: dict = {}
    for key in ("from", "to"):
        raw = _values(query, key)
        if not raw:
            continue
        day = calendar.parse_quarter(raw[-1])
        if day is None or not choices.first_period <= day <= choices.last_period:
            notices.append(f"Ignored the period '{_shorten(raw[-1])}' in the link: use a quarter such as "
                           f"{calendar.quarter_label(choices.first_period)} to "
                           f"{calendar.quarter_label(choices.last_period)}.")
            continue
        chosen["period_from" if key == "from" else "period_to"] = day
    if chosen.get("period_from") and chosen.get("period_to") and chosen["period_from"] > chosen["period_to"]:
        notices.append("Ignored the period in the link: it ends before it starts.")
        chosen.pop("period_from"), chosen.pop("period_to")
    for dim in choices.dimensions:
        allowed = choices.values.get(dim.key, ())
        good, bad = [], []
        for value in _values(query, dim.filter)[:MAX_VALUES]:
            (good if value in allowed and value not in good else bad).append(value)
        if len(_values(query, dim.filter)) > MAX_VALUES:
            bad.append("…")
        if bad:
            shown = ", ".join(f"'{_shorten(v)}'" for v in bad[:3])
            notices.append(f"Ignored unknown {dim.label.lower()} value(s) in the link: {shown}.")
        if good:
            chosen[dim.key] = tuple(good)
    return Filters(**chosen), notices


def _values(query: dict, key: str) -> list[str]:
    raw = query.get(key, [])
    if isinstance(raw, str):
        raw = [raw]
    return [v for v in raw if isinstance(v, str)]


def _shorten(text: str) -> str:
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= 24 else text[:21] + "…"

