"""The metric explorer's model: any metric by any dimension, an optional split, a time grain, a chart
type and a comparison of two periods or phases.

A `View` is validated on the way in (from the URL or a deck's options), turns into the bound
parameters of one named query (`<source>_by_dimension`), and `shape` turns that query's long
result into the table a chart draws: one row per category, one column per series.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from impact.model import calendar, i18n, metrics
from impact.model.i18n import N_
from impact.model.i18n import gettext as _
from impact.model.metrics import metric
from impact.query import dimensions


class ViewError(ValueError):
    """An explorer choice that cannot be drawn (says which and why)."""


BREAKDOWNS = dimensions.BY_KEY  # the structural dimensions; `breakdowns()` adds the programme's disaggregations
GRAINS = {"year": N_("Year"), "quarter": N_("Quarter"), "phase": N_("Phase")}
CHART_TYPES = {"bar": N_("Bar"), "line": N_("Line"), "area": N_("Area"), "table": N_("Table")}
COMPARISONS = {"": N_("No comparison"), "phase": N_("Two phases"), "period": N_("Two periods")}
QUERIES = {
    "training": "training_by_dimension",
    "volunteering": "volunteering_by_dimension",
    "outcomes": "outcomes_by_dimension",
    "projects": "projects_by_dimension",
    "project_partners": "institutions_by_dimension",
}
MAX_SERIES = 8  # more split values than this are folded into "Other" (or left out for ratios)
OPTION_KEYS = ("metric", "by", "split", "grain", "chart", "cmp", "a", "b")
_NO_DATE = dt.date(1990, 1, 1)  # compared-period bounds when nothing is compared (matches no row)


def source(metric_key: str) -> str:
    """The table a metric is counted from: training, volunteering, outcomes, projects or project_partners."""
    return metric(metric_key).source


def breakdowns() -> dict[str, dimensions.Dimension]:
    """Every dimension a metric can be grouped by in the current context: the structural ones and the active
    programme's disaggregations."""
    return dimensions.by_key(metrics.active_programme())


def breakdowns_for(metric_key: str) -> list[str]:
    """The dimensions metric `metric_key` can be grouped by."""
    where = source(metric_key)
    return [key for key, b in breakdowns().items() if where in b.sources]


@dataclass(frozen=True)
class View:
    """What the explorer draws. Empty `split` means no split; empty `compare` means no comparison."""

    metric: str = "trainees"
    by: str = "theme"
    split: str = ""
    grain: str = "year"
    chart: str = "bar"
    compare: str = ""
    a: str = ""  # a phase, or a period '2012Q1:2013Q4'
    b: str = ""

    # ---- checking ---------------------------------------------------------------------------

    def checked(self, quarters: list[dt.date] | None = None) -> View:
        """This view if it can be drawn, with comparison defaults filled in; ViewError says why not."""
        if not metrics.is_metric(self.metric):
            raise ViewError(f"unknown metric {_short(self.metric)!r}")
        allowed = breakdowns_for(self.metric)
        label = metric(self.metric).label
        known = breakdowns()
        if self.by not in known:
            raise ViewError(f"unknown dimension {_short(self.by)!r}")
        if self.by not in allowed:
            raise ViewError(f"{label} cannot be broken down by {known[self.by].label.lower()}")
        if self.split and self.split not in allowed:
            raise ViewError(f"{label} cannot be split by {_short(self.split)!r}")
        if self.split and self.split == self.by:
            raise ViewError("the split must differ from the dimension")
        if self.grain not in GRAINS:
            raise ViewError(f"unknown time grain {_short(self.grain)!r}")
        if self.chart not in CHART_TYPES:
            raise ViewError(f"unknown chart type {_short(self.chart)!r}")
        if self.compare not in COMPARISONS:
            raise ViewError(f"unknown comparison {_short(self.compare)!r}")
        view = self
        if self.compare:
            if self.by == "time" or (self.by == "phase" and self.compare == "phase"):
                raise ViewError("a comparison needs a dimension other than time; choose one in 'Group by'")
            view = replace(self, split="")
        if self.compare == "phase":
            phases = _phases()
            if len(phases) < 2:
                raise ViewError("the programme has only one phase; compare two periods instead")
            a, b = self.a or phases[0], self.b or phases[-1]
            if a not in phases or b not in phases or a == b:
                raise ViewError(f"compare two different phases of {', '.join(phases)}")
            view = replace(view, a=a, b=b)
        elif self.compare == "period":
            default_a, default_b = _halves(quarters)
            a = calendar.parse_span(self.a) if self.a else default_a
            b = calendar.parse_span(self.b) if self.b else default_b
            if not a or not b:
                raise ViewError("write each compared period as two quarters, e.g. 2012Q1:2013Q4")
            if a[0] <= b[1] and b[0] <= a[1]:
                raise ViewError("the two compared periods overlap")
            view = replace(view, a=calendar.span_text(a), b=calendar.span_text(b))
        else:
            view = replace(view, a="", b="")
        return view

    # ---- what it is -------------------------------------------------------------------------

    @property
    def query(self) -> str:
        """The named query that computes this view."""
        return QUERIES[source(self.metric)]

    @property
    def category_column(self) -> str:
        """The name of the category column in the shaped table ('year', 'theme', ...)."""
        return self.grain if self.by == "time" else self.by

    @property
    def over_time(self) -> bool:
        """True when categories are periods (drawn left to right, in order)."""
        return self.by == "time"

    @property
    def series_labels(self) -> tuple[str, str]:
        """The two compared series' names (A, B)."""
        if self.compare == "period":
            return calendar.span_label(calendar.parse_span(self.a)), calendar.span_label(calendar.parse_span(self.b))
        return self.a, self.b

    @property
    def kind(self) -> str:
        """How exports draw it: column, bar, line or area (a table exports as bars)."""
        if self.chart in ("line", "area"):
            return self.chart
        return "column" if self.over_time else "bar"

    @property
    def title(self) -> str:
        """The chart title in words."""
        m = metric(self.metric).label
        if self.by == "time":
            head = _("{metric} per {grain}").format(metric=m, grain=_(GRAINS[self.grain]).lower())
        else:
            head = _("{metric} by {dimension}").format(metric=m, dimension=_noun(self.by))
        if self.compare:
            a, b = self.series_labels
            return _("{head}: {a} and {b} compared").format(head=head, a=a, b=b)
        if self.split:
            return _("{head} and {dimension}").format(head=head, dimension=_noun(self.split))
        return head

    def params(self) -> dict:
        """The query's own bound parameters: its `$grouping`, and the parts of the shared filters it overrides
        (`filters.phase`, `filters.period_from`...: see `impact.query.filters.apply`)."""
        grouping = {"dimension": self.by, "dimension2": self.split, "grain": self.grain,
                    "a_from": _NO_DATE, "a_to": _NO_DATE, "b_from": _NO_DATE, "b_to": _NO_DATE}
        out: dict = {"grouping": grouping}
        if self.compare == "phase":
            grouping.update(dimension2="phase")
            out["filters.phase"] = [self.a, self.b]
        elif self.compare == "period":
            a, b = calendar.parse_span(self.a), calendar.parse_span(self.b)
            grouping.update(dimension2="slot", a_from=a[0], a_to=a[1], b_from=b[0], b_to=b[1])
            out.update({"filters.period_from": min(a[0], b[0]), "filters.period_to": max(a[1], b[1])})
        return out

    # ---- to and from options (the URL, a deck) ---------------------------------------------

    def to_options(self) -> dict[str, str]:
        """The view as options, defaults left out."""
        default = View()
        names = dict(zip(OPTION_KEYS, ("metric", "by", "split", "grain", "chart", "compare", "a", "b")))
        return {key: getattr(self, attr) for key, attr in names.items() if getattr(self, attr) != getattr(default, attr)}

    @classmethod
    def from_options(cls, options: dict | None) -> View:
        """A view from options (unknown keys ignored; values not yet checked)."""
        options = options or {}
        values = {attr: str(options[key]) for key, attr in zip(
            OPTION_KEYS, ("metric", "by", "split", "grain", "chart", "compare", "a", "b")) if key in options}
        return cls(**values)


def totals_params(dimension: str = "", dimension2: str = "") -> dict:
    """Parameters for a `*_by_dimension` query grouped by fixed dimensions ('' for one total row)."""
    return {"grouping": {**View().params()["grouping"], "dimension": dimension, "dimension2": dimension2}}


def from_query_params(query: dict, quarters: list[dt.date]) -> tuple[View, list[str]]:
    """The explorer view in a URL, and a notice for each choice that was dropped."""
    notices: list[str] = []
    view = View()
    for key in OPTION_KEYS:
        raw = query.get(key)
        raw = raw[-1] if isinstance(raw, list) and raw else raw
        if not isinstance(raw, str):
            continue
        candidate = View.from_options({**view.to_options(), key: raw})
        try:
            candidate.checked(quarters)
        except ViewError as error:
            notices.append(f"Ignored '{_short(raw)}' for {key} in the link: {error}.")
            continue
        view = candidate
    return view.checked(quarters), notices


def _halves(quarters: list[dt.date] | None) -> tuple[tuple[dt.date, dt.date], tuple[dt.date, dt.date]]:
    if not quarters:
        programme = metrics.active_programme()
        quarters = calendar.quarter_range(programme.start, programme.end) if programme is not None else []
    if not quarters:
        raise ViewError("there are no quarters to compare")
    middle = max(1, len(quarters) // 2)
    return (quarters[0], quarters[middle - 1]), (quarters[min(middle, len(quarters) - 1)], quarters[-1])


def _phases() -> tuple[str, ...]:
    """The active programme's phases."""
    programme = metrics.active_programme()
    return programme.phase_names if programme is not None else ()


def _noun(dimension: str) -> str:
    """A dimension as a title says it: 'grant type', 'profession', 'time' (in another language, its label)."""
    if i18n.active().language != i18n.SOURCE:
        found = next((d for d in dimensions.of(metrics.active_programme()) if d.key == dimension), None)
        if found is not None:
            label = found.shown_label
            return label[:1].lower() + label[1:]
    return dimension.replace("_", " ")


def _short(text) -> str:
    text = "".join(ch if ch.isprintable() else "?" for ch in str(text))
    return text if len(text) <= 24 else text[:21] + "…"


# ---- the table a chart draws ------------------------------------------------------------------

CHANGE, PCT_CHANGE = "change", "pct_change"


def labels(frame: pd.DataFrame, codes: str = "category", names: str = "label") -> dict:
    """What a person reads for each group of a `*_by_dimension` result: {code: label}. A group is its code (a
    country's ISO-3 code) and its label its name (the query's `label`, `label2`; a frame without them: the code).
    Two codes that share a label are told apart by their code, 'Congo (COG)' and 'Congo (COD)': still two groups."""
    present = frame[frame[codes].notna()]
    if names not in present.columns:
        return {code: str(code) for code in present[codes].unique()}
    return dimensions.distinct_labels(dict(zip(present[codes], present[names].where(present[names].notna(), None))))


def shape(frame: pd.DataFrame, view: View) -> pd.DataFrame:
    """One row per category and one column per series, in the order a reader expects: grouped by the groups' codes,
    shown by their labels (`labels`: a country's name)."""
    column, value = view.category_column, view.metric
    data = frame[frame["category"].notna()]
    additive = metric(value).aggregation == "sum"
    names = labels(data)
    if not view.split and not view.compare:
        out = pd.DataFrame({column: data["category"].map(names), value: data[value]})
        return ordered(out, view, [value])
    data = data[data["category2"].notna()]
    wide = data.pivot(index="category", columns="category2", values=value)
    wide.index = pd.Index([names.get(c, str(c)) for c in wide.index], name="category")
    if view.compare:
        first, second = view.series_labels
        keys = ("A", "B") if view.compare == "period" else (view.a, view.b)
        wide = wide.reindex(columns=list(keys)).fillna(0 if additive else float("nan"))
        wide.columns = [first, second]
        wide[CHANGE] = wide[second] - wide[first]
        wide[PCT_CHANGE] = wide[CHANGE] / wide[first].where(wide[first] != 0)
        out = wide.reset_index().rename(columns={"category": column})
        return ordered(out, view, [first, second])
    if additive:
        wide = wide.fillna(0)
        totals = wide.sum().sort_values(ascending=False)
    else:
        totals = wide.count().sort_values(ascending=False)
    series = labels(data, "category2", "label2")
    order = [series.get(c, str(c)) for c in totals.index]
    wide.columns = [series.get(c, str(c)) for c in wide.columns]
    if len(order) > MAX_SERIES:
        kept, rest = order[: MAX_SERIES - 1], order[MAX_SERIES - 1 :]
        if additive:
            wide["Other"] = wide[rest].sum(axis=1)
            kept = kept + ["Other"]
        order = kept
    out = wide[order].reset_index().rename(columns={"category": column})
    out.columns.name = None
    return ordered(out, view, order)


def series_columns(shaped: pd.DataFrame, view: View) -> list[str]:
    """The shaped table's value columns that are drawn as series (not the category or the change)."""
    return [c for c in shaped.columns if c not in (view.category_column, CHANGE, PCT_CHANGE)]


def ordered(out: pd.DataFrame, view: View, values: list[str]) -> pd.DataFrame:
    """The rows in reading order: over time by period; otherwise the largest first (the sum of the series, or
    the second period's value when two are compared; a row with none last), ties by name. A shaped table has
    a few dozen rows: a Python sort of their indices is far cheaper than pandas' sort of a frame with a rank column."""
    column = view.category_column
    labels = [str(v) for v in out[column].tolist()]
    if view.over_time:
        order = sorted(range(len(labels)), key=labels.__getitem__)
    else:
        numbers = out[values[-1:] if view.compare else values].to_numpy(dtype="float64", na_value=np.nan)
        missing = np.isnan(numbers).all(axis=1)
        ranks = np.where(missing, 0.0, np.nansum(numbers, axis=1)).tolist()
        order = sorted(range(len(labels)), key=lambda i: (bool(missing[i]), -ranks[i], labels[i]))
    ordered = out.iloc[order].reset_index(drop=True)
    ordered[column] = pd.Series([labels[i] for i in order], dtype="str")
    return ordered
