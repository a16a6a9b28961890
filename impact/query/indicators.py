"""A programme's outcome indicators as metric columns, from the long results of the outcome queries.

`outcomes_by_dimension` and `indicator_totals` return one row per reported indicator code (and
category) with its total and its latest value; each indicator of the active programme's definition
becomes one column: a sum takes the total, a latest value takes the latest, and a ratio divides its
numerator's figure by its denominator's.
"""

from __future__ import annotations

import pandas as pd

from impact.model import metrics


def _figure(values: dict[str, tuple[float, float]], programme, code: str) -> float:
    """One indicator's figure from one group's {code: (total, latest)}."""
    indicator = programme.indicator(code)
    if indicator.aggregation == "ratio":
        numerator = _figure(values, programme, indicator.numerator)
        denominator = _figure(values, programme, indicator.denominator)
        return numerator / denominator if denominator else float("nan")
    total, latest = values.get(code, (0.0, 0.0))
    return float(latest if indicator.aggregation == "latest" else total)


def widen(frame: pd.DataFrame, keys: tuple[str, ...] = ("category", "category2", "label", "label2"),
          programme=None) -> pd.DataFrame:
    """One row per `keys` combination (those the frame has: a group's labels follow its codes), one column per
    indicator of the programme (sums and latest values of indicators with no rows are 0; a ratio with nothing to
    divide by is missing)."""
    programme = programme or metrics.active_programme()
    codes = [i.code for i in programme.indicators] if programme is not None else []
    keys = [k for k in keys if k in frame.columns]
    groups: dict[tuple, dict[str, tuple[float, float]]] = {}
    columns = [frame[k].tolist() for k in keys]
    for n, (code, total, latest) in enumerate(zip(frame["indicator"], frame["total"], frame["latest"])):
        key = tuple(None if pd.isna(column[n]) else column[n] for column in columns)
        groups.setdefault(key, {})[code] = (total, latest)
    rows = [[*key, *(_figure(values, programme, code) for code in codes)] for key, values in groups.items()]
    out = pd.DataFrame(rows, columns=[*keys, *codes])
    return out.astype({code: "float64" for code in codes})


def totals(frame: pd.DataFrame, programme=None) -> dict[str, float]:
    """Each indicator's figure from the one-row-per-code `indicator_totals` result."""
    programme = programme or metrics.active_programme()
    values = {code: (total, latest) for code, total, latest in zip(frame["indicator"], frame["total"], frame["latest"])}
    return {i.code: _figure(values, programme, i.code) for i in (programme.indicators if programme else ())}
