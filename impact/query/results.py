"""Results against targets: the actual of a target's metric at any date, what its milestones expect by
then, % achieved and the annual review's score.

A target belongs to the programme or to one project (`targets` table). The latest due date of a scope
and metric is its end target, the earlier ones its milestones; the programme's definition says how a
date between two due dates is read (`interpolate` or `last due`) and which score each % achieved earns
(`results.bands`). The actual at a date counts every row up to that date's quarter — cumulative for a
metric that is added up, each project and country's latest value for a `latest` indicator, and the
ratio of the two cumulative parts for a ratio — the same rules as the headline figures.
% achieved is (actual - baseline) / (expected - baseline) x 100, from zero when no baseline is given.
A target past due is judged at its due date: once a date is past a scope and metric's end target, the actual is
the one at the end target's due date, not the results that came later (before then, a date past a milestone is
judged on the way to the next target, as the definition reads it).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd

from impact.model import calendar, i18n, metrics
from impact.model.i18n import N_
from impact.query import db, filters

NO_MILESTONE = "no milestone due yet"
NO_TARGET = "no target set"
TABLE_COLUMNS = ["scope", "project_id", "title", "country", "metric", "indicator", "baseline", "judged_at", "actual",
                 "expected", "percent", "score", "end_target", "end_due", "percent_of_end", "how"]


# ---- the actual: cumulative values on a grid of quarters ---------------------------------------

def _aggregation(key: str) -> str:
    return metrics.metric(key).aggregation if metrics.is_metric(key) else "sum"


def cumulative(parts: pd.DataFrame, grid: list[dt.date]) -> pd.DataFrame:
    """Each project's value of every metric as of each quarter of `grid` (columns: quarter starts).

    `parts` is `target_parts_by_quarter`'s result. Rows: (project_id, metric); ratios (such as women's
    share, or a ratio indicator) are added from their parts.
    """
    columns = pd.Index(grid)
    frames = []
    for how, group in parts.groupby(parts["metric"].map(_aggregation)):
        if how == "latest":  # each project and country's latest value, added up
            wide = group.pivot_table(index=["project_id", "iso3", "metric"], columns="period", values="value",
                                     aggfunc="sum")
            wide = wide.reindex(columns=columns).ffill(axis=1).fillna(0)
            frames.append(wide.groupby(level=["project_id", "metric"]).sum())
        else:
            wide = group.pivot_table(index=["project_id", "metric"], columns="period", values="value", aggfunc="sum")
            frames.append(wide.reindex(columns=columns).fillna(0).cumsum(axis=1))
    empty = pd.DataFrame(columns=columns, index=pd.MultiIndex.from_arrays([[], []], names=["project_id", "metric"]),
                         dtype="float64")
    values = pd.concat(frames) if frames else empty
    return pd.concat([values, _ratios(values, level="project_id")])


def _ratios(values: pd.DataFrame, level: str | None) -> pd.DataFrame:
    """The ratio metrics computed from their cumulative parts (nothing where a part is missing)."""
    out = []
    for key in metrics.targetable():
        m = metrics.metric(key)
        if m.aggregation != "ratio" or not m.numerator or not m.denominator:
            continue
        metric_level = values.index.get_level_values("metric")
        top, bottom = values[metric_level == m.numerator], values[metric_level == m.denominator]
        if top.empty or bottom.empty:
            continue
        if level is None:
            share = top.iloc[0] / bottom.iloc[0].replace(0, np.nan)
            out.append(pd.DataFrame([share.to_numpy()], columns=values.columns, index=pd.Index([key], name="metric")))
        else:
            top = top.droplevel("metric")
            bottom = bottom.droplevel("metric").reindex(top.index)
            share = top / bottom.replace(0, np.nan)
            share.index = pd.MultiIndex.from_arrays([share.index, [key] * len(share)], names=[level, "metric"])
            out.append(share)
    return pd.concat(out) if out else values.iloc[0:0]


def programme_cumulative(per_project: pd.DataFrame) -> pd.DataFrame:
    """The programme's value of every metric as of each quarter (rows: metric): projects added up, ratios
    recomputed from the added-up parts."""
    plain = per_project[~per_project.index.get_level_values("metric").isin(_ratio_keys())]
    summed = plain.groupby(level="metric").sum()
    return pd.concat([summed, _ratios(summed, level=None)])


def _ratio_keys() -> set[str]:
    return {k for k in metrics.targetable() if metrics.metric(k).aggregation == "ratio"}


def value_at(series: pd.Series | None, day: dt.date, metric: str) -> float:
    """A cumulative series' value as of `day` (every quarter starting on or before it)."""
    ratio = metrics.is_metric(metric) and metrics.metric(metric).aggregation == "ratio"
    if series is None or series.empty:
        return float("nan") if ratio else 0.0
    grid = list(series.index)
    position = int(np.searchsorted(np.array(grid, dtype="datetime64[D]"), np.datetime64(day, "D"), side="right")) - 1
    if position < 0:
        return float("nan") if ratio else 0.0
    return float(series.iloc[position])


# ---- what a target expects, and how it is judged ------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Judged:
    """One scope and metric judged at a date."""

    actual: float
    expected: float | None  # the value the milestones expect by the date (None: none due yet)
    percent: float | None  # of `expected`; None when it cannot be computed
    score: str | None  # the band's score; None when nothing is due yet or the actual is unknown
    end_target: float
    end_due: dt.date
    percent_of_end: float | None
    baseline: float | None


def expected_at(due: list[dt.date], values: list[float], start: dt.date, baseline: float | None, day: dt.date,
                reading: str) -> float | None:
    """The value a scope's milestones (`due`, `values`, sorted by date) expect by `day`.

    `interpolate`: a straight line from the baseline (or zero) at `start` to each milestone in turn, then the end
    target (None on or before `start`: nothing is due yet); `last due`: the latest milestone due on or before
    `day` (None before the first).
    """
    if reading == "last due":
        held = [v for d, v in zip(due, values) if d <= day]
        return held[-1] if held else None
    if day <= start < due[0]:
        return None  # not started: nothing is due yet
    points = ([(start, baseline or 0.0)] if start < due[0] else []) + list(zip(due, values))
    if day <= points[0][0]:
        return points[0][1]
    for (d0, v0), (d1, v1) in zip(points, points[1:]):
        if day <= d1:
            return v0 + (v1 - v0) * (day - d0).days / (d1 - d0).days
    return points[-1][1]


def percent_achieved(actual: float, target: float | None, baseline: float | None) -> Fraction | None:
    """(actual - baseline) / (target - baseline) x 100, exactly (so that 95 % is 95 % and scores A); None when
    it cannot be computed."""
    if target is None or actual is None or np.isnan(actual):
        return None
    return _percent(float(actual), float(target), float(baseline or 0.0))


@functools.lru_cache(maxsize=1 << 16)
def _percent(actual: float, target: float, base: float) -> Fraction | None:
    """`percent_achieved` of three numbers, remembered: a table judges the same figures on every run."""
    low, high = _exact(base), _exact(target)
    if high == low:
        return None
    return (_exact(actual) - low) * 100 / (high - low)


@functools.lru_cache(maxsize=1 << 16)
def _exact(value: float) -> Fraction:
    """A number as the decimal people wrote (0.7825 is 7825/10000, not its nearest binary fraction)."""
    return Fraction(repr(float(value)))


def score(actual: float, target: float | None, baseline: float | None, results) -> str | None:
    """The band's score for `actual` against `target` (results: the definition's `Results`).

    A target equal to its baseline (a target of zero) has no %: met (actual at or above it) scores the band
    holding 100 %, not met the lowest.
    """
    if target is None or actual is None or np.isnan(actual):
        return None
    percent = percent_achieved(actual, target, baseline)
    if percent is None:
        return results.score(100).score if actual >= target else results.bands[0].score
    return results.score(percent).score


def judged_on(day: dt.date, end_due: dt.date) -> dt.date:
    """The date a target is judged at when progress is asked for at `day`: that day, or its end target's due date
    once that has passed (a target is judged on the results by its due date, not on later ones)."""
    return min(day, end_due)


def judge(due: list[dt.date], values: list[float], baseline: float | None, start: dt.date, actual: float,
          day: dt.date, results) -> Judged:
    """A scope and metric's targets (sorted by due date) judged at `day` against `actual`."""
    expected = expected_at(due, values, start, baseline, day, results.between_milestones)
    percent = percent_achieved(actual, expected, baseline)
    of_end = percent_achieved(actual, values[-1], baseline)
    return Judged(actual=actual, expected=expected, percent=None if percent is None else float(percent),
                  score=score(actual, expected, baseline, results), end_target=values[-1], end_due=due[-1],
                  percent_of_end=None if of_end is None else float(of_end), baseline=baseline)


def how_computed(metric: str, baseline: float | None) -> str:
    """How % achieved is computed for `metric`, in words."""
    m, words = metrics.metric(metric), i18n.active()
    value = {"sum": N_("cumulative total from the start"),
             "latest": N_("latest value (each project and country's, added up)"),
             "ratio": N_("ratio of the cumulative totals")}.get(m.aggregation, m.aggregation)
    if baseline is not None:
        return words.gettext("{value}; % achieved from the baseline {baseline}").format(
            value=words.gettext(value), baseline=metrics.format_value(baseline, m.fmt))
    return words.gettext("{value}; % achieved from zero").format(value=words.gettext(value))


# ---- the whole picture under the filters --------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Picture:
    """Every target's actual under the filters: targets, per-project and programme cumulative values, the grid."""

    targets: pd.DataFrame
    projects: pd.DataFrame  # the projects under the filters
    per_project: pd.DataFrame
    programme: pd.DataFrame
    grid: list[dt.date]
    latest: dt.date  # the last day of the latest quarter with data

    def series(self, scope: str, project_id: str | None, metric: str) -> pd.Series | None:
        """One scope and metric's cumulative values on the grid (None when it has no rows)."""
        if scope == "programme":
            return self.programme.loc[metric] if metric in self.programme.index else None
        key = (project_id, metric)
        return self.per_project.loc[key] if key in self.per_project.index else None


def picture(database: db.Database, params: dict) -> Picture:
    """Targets and actuals for the projects under the filters (`params`: the filters' bound parameters)."""
    programme = database.programme
    scope = filters.of_projects(params, programme)
    parts = _dates(db.run_query(database, "target_parts_by_quarter", filters.everything(programme)), "period")
    last = (max(parts["period"].max(), calendar.quarter_start(programme.start)) if len(parts)
            else calendar.quarter_start(programme.end))
    grid = calendar.quarter_range(min(programme.start, parts["period"].min()) if len(parts) else programme.start, last)
    per_project = cumulative(parts, grid)
    projects = _dates(db.run_query(database, "projects_in_scope", scope), "start_date", "end_date")
    targets = _dates(db.run_query(database, "targets_list"), "due_date", "start_date", "end_date")
    return Picture(targets=targets, projects=projects, per_project=per_project,
                   programme=programme_cumulative(per_project), grid=grid, latest=calendar.quarter_end(last))


def programme_picture(database: db.Database) -> Picture:
    """The programme's own targets and its actuals only (what the Overview's tiles are judged on), from the
    programme's quarterly totals rather than every project's: the same values as `picture(...).programme`
    unfiltered, without building a row per project (which at millions of rows takes seconds). Worked out once per
    open version (it depends on no filter): the Results page draws a chart per indicator from it. Read only."""
    if "programme_picture" not in database.memo:
        database.memo["programme_picture"] = _programme_picture(database)
    return database.memo["programme_picture"]


def _programme_picture(database: db.Database) -> Picture:
    programme = database.programme
    latest = [key for key in metrics.targetable() if metrics.metric(key).aggregation == "latest"]
    parts = _dates(db.run_query(database, "programme_parts_by_quarter", {"latest": latest}), "period")
    last = (max(parts["period"].max(), calendar.quarter_start(programme.start)) if len(parts)
            else calendar.quarter_start(programme.end))
    grid = calendar.quarter_range(min(programme.start, parts["period"].min()) if len(parts) else programme.start, last)
    wide = parts.pivot_table(index="metric", columns="period", values="value", aggfunc="sum")
    summed = wide.reindex(columns=pd.Index(grid)).fillna(0).cumsum(axis=1) if len(parts) else \
        pd.DataFrame(columns=pd.Index(grid), index=pd.Index([], name="metric"), dtype="float64")
    summed = summed[~summed.index.isin(_ratio_keys())]
    targets = _dates(db.run_query(database, "programme_targets_list"), "due_date", "start_date", "end_date")
    none = pd.DataFrame(columns=["project_id"])
    per_project = pd.DataFrame(columns=pd.Index(grid), dtype="float64",
                               index=pd.MultiIndex.from_arrays([[], []], names=["project_id", "metric"]))
    return Picture(targets=targets, projects=none, per_project=per_project,
                   programme=pd.concat([summed, _ratios(summed, level=None)]), grid=grid, latest=calendar.quarter_end(last))


def project_progress(database: db.Database, params: dict, day: dt.date, project_id: str = "") -> pd.DataFrame:
    """Every project and metric with a target under the filters judged at `day` (TABLE_COLUMNS), at the grain
    it is shown: each project's actual as of `day`'s quarter (its end target's, once that is past due) and what its
    milestones expect by `day`, both from SQL, rather than every project's whole history on a grid of quarters.

    Its scores equal `progress(picture(...), day, ..., programme_scope=False)`'s exactly (a % within a hair of a
    band's edge is judged exactly); its `percent` and `percent_of_end` are the same figures in floating point,
    which `exact` makes those of `progress` for the rows that are shown or exported. `project_id`: only its rows.
    """
    programme = database.programme
    scope = filters.of_projects(params, programme) | {"project": project_id}
    latest = [key for key in metrics.targetable() if metrics.metric(key).aggregation == "latest"]
    pairs = db.run_query(database, "project_targets_at",
                         {**scope, "day": day, "reading": programme.results.between_milestones})
    known = [m for m in pairs["metric"].unique() if metrics.is_metric(m)]
    pairs = pairs[pairs["metric"].isin(known)].reset_index(drop=True)
    if pairs.empty:
        return pd.DataFrame(columns=TABLE_COLUMNS)
    end_due = pd.to_datetime(pairs["end_due"]).dt.date
    judged_at = pd.Series([judged_on(day, d) for d in end_due], dtype=object)
    keys = pd.MultiIndex.from_arrays([pairs["project_id"], pairs["metric"]])
    values = _actuals_at(database, {**scope, "as_of": calendar.quarter_start(day), "latest": latest}, set(pairs["metric"]))
    actual = values.reindex(keys).to_numpy(dtype="float64", copy=True)
    for as_of, here in _judged_earlier(database, scope, pairs["project_id"], judged_at, calendar.quarter_start(day)):
        values = _actuals_at(database, {**scope, "as_of": as_of, "latest": latest}, set(pairs["metric"][here]))
        actual[here] = values.reindex(keys[here]).to_numpy(dtype="float64")
    ratio = pairs["metric"].isin(_ratio_keys()).to_numpy()
    actual = np.where(np.isnan(actual) & ~ratio, 0.0, actual)
    baseline = pairs["baseline"].astype("float64").to_numpy()
    expected = pairs["expected"].astype("float64").to_numpy()
    end = pairs["end_target"].astype("float64").to_numpy()
    base = np.nan_to_num(baseline, nan=0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        percent = np.where(expected == base, np.nan, (actual - base) * 100 / (expected - base))
        of_end = np.where(end == base, np.nan, (actual - base) * 100 / (end - base))
    scores = _scores(actual, expected, baseline, percent, programme.results)
    kinds = pairs[["metric", "baseline"]].drop_duplicates()
    kinds["how"] = [how_computed(m, None if pd.isna(b) else float(b)) for m, b in zip(kinds["metric"],
                                                                                        kinds["baseline"])]
    hows = pairs[["metric", "baseline"]].merge(kinds, on=["metric", "baseline"], how="left")["how"]
    labels = {m: metrics.metric(m).label for m in known}
    frame = pd.DataFrame({
        "scope": "project", "project_id": pairs["project_id"], "title": pairs["title"], "country": pairs["country"],
        "metric": pairs["metric"], "indicator": pairs["metric"].map(labels), "baseline": _optional(baseline),
        "judged_at": judged_at, "actual": actual, "expected": _optional(expected), "percent": _optional(percent),
        "score": scores, "end_target": end, "end_due": end_due,
        "percent_of_end": _optional(of_end), "how": hows.to_numpy(),
    })
    return frame[TABLE_COLUMNS]


def _judged_earlier(database: db.Database, scope: dict, project_ids: pd.Series, judged_at: pd.Series,
                    quarter: dt.date) -> list[tuple[dt.date, np.ndarray]]:
    """The rows judged at an end target's due date in a quarter before `quarter` whose actual may differ from the
    one as of `quarter`, grouped by that earlier quarter (rows: a mask). Results never fall after their project's
    end (an import refuses them), so only a project still running after its end target's quarter can have later
    results; for the rest the actual as of `quarter` is the one at the due date."""
    earlier = judged_at.map(calendar.quarter_start)
    past = (earlier < quarter).to_numpy()
    if not past.any():
        return []
    projects = db.run_query(database, "projects_in_scope", scope)
    ends = pd.to_datetime(project_ids.map(projects.set_index("project_id")["end_date"])).dt.date
    went_on = past & np.array([pd.isna(end) or calendar.quarter_start(end) > q for end, q in zip(ends, earlier)])
    return [(q, went_on & (earlier == q).to_numpy()) for q in sorted(set(earlier[went_on]))]


def _actuals_at(database: db.Database, params: dict, wanted: set[str]) -> pd.Series:
    """Each project's value of the metrics `wanted` (a ratio from its parts) as of one quarter (`params`:
    project_actuals_at's), indexed by project and metric."""
    wanted = set(wanted)
    for key in list(wanted):
        m = metrics.metric(key)
        if m.aggregation == "ratio":
            wanted |= {m.numerator, m.denominator} - {None, ""}
    parts = db.run_query(database, "project_actuals_at", {**params, "metrics": sorted(wanted)})
    values = parts.set_index(["project_id", "metric"])[["value"]]
    return pd.concat([values, _ratios(values, level="project_id")])["value"]


def _optional(values: np.ndarray) -> pd.Series:
    """Floats with None for NaN, typed as `progress`'s rows make them (float when any is known)."""
    known = pd.Series(values, dtype="float64")
    return known if known.notna().any() else pd.Series([None] * len(values), dtype=object)


def _scores(actual: np.ndarray, expected: np.ndarray, baseline: np.ndarray, percent: np.ndarray,
            results) -> np.ndarray:
    """Each row's score (NO_MILESTONE when none is due or the actual is unknown): the band holding its % in
    floating point, and `score`'s exact judgement for a % within a hair of any band's edge or without a %."""
    out = np.full(len(actual), results.bands[0].score, dtype=object)
    placed = np.zeros(len(actual), dtype=bool)
    for band in results.bands:  # the first band holding the %, as Results.score
        holds = ~placed & (percent >= band.low) & ((percent < band.high) if band.high is not None else True)
        out[holds] = band.score
        placed |= holds
    edges = [b.low for b in results.bands] + [b.high for b in results.bands if b.high is not None]
    unknown = np.isnan(expected) | np.isnan(actual)
    out[unknown] = NO_MILESTONE
    none = ~unknown & np.isnan(percent)  # a target equal to its baseline: met, or not
    out[none & (actual >= expected)] = results.score(100).score
    out[none & ~(actual >= expected)] = results.bands[0].score
    doubtful = np.zeros(len(actual), dtype=bool)
    for edge in edges:
        doubtful |= np.abs(percent - edge) <= 1e-9 * max(1.0, abs(edge))
    for i in np.flatnonzero(doubtful):
        b = None if np.isnan(baseline[i]) else float(baseline[i])
        e = None if np.isnan(expected[i]) else float(expected[i])
        out[i] = score(float(actual[i]), e, b, results) or NO_MILESTONE
    return out


def exact(rows: pd.DataFrame, results) -> pd.DataFrame:
    """`project_progress` rows with `percent` and `percent_of_end` computed exactly, as `progress` does."""
    rows = rows.copy()
    percents, ends = [], []
    for actual, expected, end, baseline in zip(rows["actual"], rows["expected"], rows["end_target"],
                                               rows["baseline"]):
        expected, baseline = (None if pd.isna(v) else float(v) for v in (expected, baseline))
        p = percent_achieved(actual, expected, baseline)
        o = percent_achieved(actual, end, baseline)
        percents.append(None if p is None else float(p))
        ends.append(None if o is None else float(o))
    rows["percent"] = pd.Series(percents, index=rows.index)
    rows["percent_of_end"] = pd.Series(ends, index=rows.index)
    return rows


def _dates(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """`columns` as datetime.date values (DuckDB hands dates to pandas as timestamps)."""
    for column in columns:
        frame[column] = [None if pd.isna(v) else pd.Timestamp(v).date() for v in frame[column]]
    return frame


def is_filtered(params: dict) -> bool:
    """True when a filter other than the period is set (a programme's targets cannot be split by it)."""
    return filters.narrowed(params)


def progress(pic: Picture, day: dt.date, results, programme_start: dt.date, *, programme_scope: bool = True,
             projects: bool = True) -> pd.DataFrame:
    """Every scope and metric with a target, judged at `day` (a target past due at its due date): one row each
    (TABLE_COLUMNS)."""
    targets = pic.targets
    wanted = []
    if programme_scope:
        wanted.append(targets[targets["scope"] == "programme"])
    if projects:
        wanted.append(targets[(targets["scope"] == "project") & targets["project_id"].isin(pic.projects["project_id"])])
    chosen = pd.concat(wanted) if wanted else targets.iloc[0:0]
    rows = []
    for (scope, project_id, metric), group in chosen.groupby(["scope", chosen["project_id"].fillna(""), "metric"],
                                                             sort=False):
        if not metrics.is_metric(metric):
            continue
        group = group.sort_values("due_date")
        baselines = group["baseline"].dropna()
        baseline = float(baselines.iloc[0]) if len(baselines) else None
        start = group["start_date"].iloc[0] if scope == "project" else programme_start
        project = project_id or None
        on = judged_on(day, group["due_date"].iloc[-1])
        actual = value_at(pic.series(scope, project, metric), on, metric)
        # What the targets expect by `day` is the end target once it is past due: the same as by its due date.
        j = judge(list(group["due_date"]), [float(v) for v in group["target"]], baseline, start, actual, day,
                  results)
        rows.append({"scope": scope, "project_id": project, "title": group["title"].iloc[0],
                     "country": group["country"].iloc[0], "metric": metric, "indicator": metrics.metric(metric).label,
                     "baseline": baseline, "judged_at": on, "actual": j.actual, "expected": j.expected,
                     "percent": j.percent, "score": j.score or NO_MILESTONE, "end_target": j.end_target, "end_due": j.end_due,
                     "percent_of_end": j.percent_of_end, "how": how_computed(metric, baseline)})
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def timeline(pic: Picture, scope: str, project_id: str | None, metric: str, results,
             programme_start: dt.date) -> pd.DataFrame:
    """One scope and metric over time: each quarter's end (and each due date) with the cumulative actual,
    the value the milestones expect, and the target at its due date (columns: date, <metric>, expected, target)."""
    targets = pic.targets
    mine = targets[(targets["scope"] == scope) & (targets["metric"] == metric)]
    if scope == "project":
        mine = mine[mine["project_id"] == project_id]
    mine = mine.sort_values("due_date")
    columns = ["date", metric, "expected", "target"]
    if mine.empty:
        return pd.DataFrame(columns=columns)
    series = pic.series(scope, project_id, metric)
    baselines = mine["baseline"].dropna()
    baseline = float(baselines.iloc[0]) if len(baselines) else None
    start = mine["start_date"].iloc[0] if scope == "project" else programme_start
    due, values = list(mine["due_date"]), [float(v) for v in mine["target"]]
    first = calendar.quarter_start(start)
    last = max(pic.latest, due[-1]) if scope == "programme" else max(min(pic.latest, mine["end_date"].iloc[0]), due[-1])
    days = sorted({calendar.quarter_end(q) for q in calendar.quarter_range(first, last)} | set(due))
    rows = []
    for day in days:
        data = day <= pic.latest
        rows.append({"date": day, metric: value_at(series, day, metric) if data else float("nan"),
                     "expected": expected_at(due, values, start, baseline, day, results.between_milestones),
                     "target": values[due.index(day)] if day in due else float("nan")})
    frame = pd.DataFrame(rows, columns=columns)
    frame["expected"] = frame["expected"].astype("float64").round(0 if metrics.metric(metric).fmt == "count" else 4)
    return frame


def figure(value, metric: str) -> str:
    """A value of `metric` as people write it (a count expected by a date rounded to a whole number)."""
    fmt = metrics.metric(metric).fmt
    if fmt == "count" and value is not None and not pd.isna(value):
        value = round(float(value))
    return metrics.format_value(value, fmt)


def sentence(row: dict, day: dt.date) -> str:
    """The judgement in one sentence: 'Health workers trained: 38,701 by December 2015, 298% of the 13,000
    target: A++.'"""
    name = metrics.metric(row["metric"]).label if metrics.is_metric(row["metric"]) else row["indicator"]
    return i18n.active().gettext("{indicator}: {judgement}").format(indicator=name, judgement=judgement(row, day))


def judgement(row: dict, day: dt.date) -> str:
    """A `progress` row's judgement asked for at `day`, without its indicator's name, saying the date it is judged
    at (a target past due: its due date): '38,701 by December 2015, 298% of the 13,000 target: A++.'"""
    key = row["metric"]
    words = i18n.active()
    judged = row.get("judged_at")
    day = day if judged is None or pd.isna(judged) else judged
    head = words.gettext("{actual} by {month}").format(actual=figure(row["actual"], key), month=words.date(day, "MMMM y"))
    end = dict(end_target=figure(row["end_target"], key), end_month=words.date(row["end_due"], "MMMM y"))
    if row["expected"] is None or pd.isna(row["expected"]):
        return words.gettext("{head}; no milestone is due yet (the end target is {end_target} by {end_month}).").format(
            head=head, **end)
    expected = figure(row["expected"], key)
    if row["expected"] == row["end_target"] and day >= row["end_due"]:
        against = words.gettext("the {expected} target").format(expected=expected)
    else:
        against = words.gettext("the {expected} expected by then (on the way to {end_target} by {end_month})").format(
            expected=expected, **end)
    if row["percent"] is None or pd.isna(row["percent"]):
        return words.gettext("{head}, against {against}: {score}.").format(head=head, against=against,
                                                                           score=row["score"])
    percent = words.percent(row["percent"] / 100)
    baseline = row.get("baseline")
    if baseline is not None and not pd.isna(baseline):
        return words.gettext("{head}, {percent} of the way from the {baseline} baseline to {against}: {score}.").format(
            head=head, percent=percent, baseline=figure(baseline, key), against=against, score=row["score"])
    return words.gettext("{head}, {percent} of {against}: {score}.").format(head=head, percent=percent,
                                                                             against=against, score=row["score"])


def timeline_frame(database: db.Database, params: dict, metric: str, project_id: str | None = None) -> pd.DataFrame:
    """The milestone chart's table for the programme's (or one project's) targets for `metric`."""
    programme = database.programme
    if not project_id and is_filtered(params):  # the programme's targets cannot be split by the filters
        return pd.DataFrame(columns=["date", metric, "expected", "target"])
    with metrics.using(programme):
        pic = picture(database, params) if project_id else programme_picture(database)
        return timeline(pic, "project" if project_id else "programme", project_id or None, metric,
                        programme.results, programme.start)
