"""A programme's outcome indicators as metric columns, from the long results of the outcome queries.

`outcomes_by_dimension` and `indicator_totals` return one row per reported indicator code (and
category) with its total and its latest value; each indicator of the active programme's definition
becomes one column: a sum takes the total, a latest value takes the latest, and a ratio divides its
numerator's figure by its denominator's.
"""

from __future__ import annotations

import pandas as pd

from impact.data import metrics

VALUE_COLUMNS = ("total", "latest")


def _figure(table: pd.DataFrame, programme, code: str) -> pd.Series:
    """One indicator's figure per row of `table` (a wide table of totals and latest values)."""
    indicator = programme.indicator(code)
    if indicator.aggregation == "ratio":
        numerator = _figure(table, programme, indicator.numerator)
        denominator = _figure(table, programme, indicator.denominator)
        return numerator / denominator.where(denominator != 0)
    column = ("latest" if indicator.aggregation == "latest" else "total", code)
    return table[column] if column in table.columns else pd.Series(0.0, index=table.index)


def widen(frame: pd.DataFrame, keys: tuple[str, ...] = ("category", "category2"), programme=None) -> pd.DataFrame:
    """One row per `keys` combination, one column per indicator of the programme (sums and latest values
    of indicators with no rows are 0; a ratio with nothing to divide by is missing)."""
    programme = programme or metrics.active_programme()
    codes = [i.code for i in programme.indicators] if programme is not None else []
    keys = [k for k in keys if k in frame.columns]
    if frame.empty:
        return pd.DataFrame(columns=[*keys, *codes])
    index = [frame[k].fillna("\0") for k in keys] if keys else [pd.Series(0, index=frame.index)]
    table = frame.pivot_table(index=index, columns="indicator", values=list(VALUE_COLUMNS), aggfunc="sum",
                              fill_value=0)
    out = pd.DataFrame({code: _figure(table, programme, code).astype("float64") for code in codes},
                       index=table.index)
    out = out.reset_index()
    if keys:
        out.columns = [*keys, *codes]
        for k in keys:
            out[k] = out[k].replace("\0", None)
    else:
        out = out.drop(columns=out.columns[0])
    return out


def totals(frame: pd.DataFrame, programme=None) -> dict[str, float]:
    """Each indicator's figure from the one-row-per-code `indicator_totals` result."""
    programme = programme or metrics.active_programme()
    codes = [i.code for i in programme.indicators] if programme is not None else []
    if frame.empty:
        return {code: (float("nan") if programme.indicator(code).aggregation == "ratio" else 0.0) for code in codes}
    wide = widen(frame, (), programme)
    return {code: float(wide[code].iloc[0]) for code in codes}
