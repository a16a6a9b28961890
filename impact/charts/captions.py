"""Chart captions: one or two sentences computed from the numbers a chart shows, never typed by hand.

Every function takes the table the chart draws (its rows) and returns plain text; pages show it as
text (never Markdown or HTML), exports may put it in notes.
"""

from __future__ import annotations

import math

import pandas as pd

from impact.model import i18n, metrics
from impact.model.i18n import gettext as _
from impact.model.metrics import format_metric, format_value, metric
from impact.query import dimensions

_PLURALS = {"midwife": "midwives", "laboratory staff": "laboratory staff", "staff": "staff"}


def share(part: float, whole: float) -> str:
    """`part` as a share of `whole`, written as people do: '9%', '<1%', '—' when there is no whole."""
    if not whole or _missing(part) or _missing(whole):
        return "—"
    ratio = part / whole
    return _("<1%") if 0 < ratio < 0.005 else format_value(ratio, "percent")


def plural(noun: str) -> str:
    """'Nurse' -> 'nurses', 'Midwife' -> 'midwives', 'Support staff' -> 'support staff'."""
    word = noun.lower()
    return _PLURALS.get(word, word if word.endswith("s") else word + "s")


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _phrase(key: str) -> str:
    label = metric(key).label
    return label[0].lower() + label[1:]


def _additive(key: str) -> bool:
    return metric(key).aggregation == "sum"


def ranking(rows: pd.DataFrame, category: str, value: str) -> str:
    """Which category leads, by how much, and its share of the total (when shares add up)."""
    data = rows[[category, value]].dropna()
    if data.empty:
        return _("No results for these filters.")
    data = data.sort_values(value, ascending=False)
    top, top_value = str(data[category].iloc[0]), data[value].iloc[0]
    if len(data) == 1:
        return _("{top}: {value} {metric}.").format(top=top, value=format_metric(value, top_value),
                                                    metric=_phrase(value))
    if _additive(value):
        total = data[value].sum()
        sentence = _("{top} leads with {value} {metric}, {share} of the {total} shown; next is {next} ({next_value}).")
        return sentence.format(
            top=top, value=format_metric(value, top_value), metric=_phrase(value), share=share(top_value, total),
            total=format_metric(value, total), next=data[category].iloc[1],
            next_value=format_metric(value, data[value].iloc[1]))
    low, low_value = str(data[category].iloc[-1]), data[value].iloc[-1]
    return _("{metric}: highest for {top} ({value}), lowest for {low} ({low_value}).").format(
        metric=metric(value).label, top=top, value=format_metric(value, top_value), low=low,
        low_value=format_metric(value, low_value))


def over_time(rows: pd.DataFrame, period: str, value: str) -> str:
    """The total over the periods shown and the peak (or, for shares and counts, the range)."""
    data = rows[[period, value]].dropna()
    if data.empty:
        return _("No results for these filters.")
    first, last = str(data[period].iloc[0]), str(data[period].iloc[-1])
    span = first if first == last else _("{first} to {last}").format(first=first, last=last)
    peak, low = data[value].idxmax(), data[value].idxmin()
    if _additive(value):
        total = data[value].sum()
        return _("{total} {metric} from {span}; the most in {peak} ({peak_value}).").format(
            total=format_metric(value, total), metric=_phrase(value), span=span, peak=data[period][peak],
            peak_value=format_metric(value, data[value][peak]))
    return _("{metric} ranged from {low_value} ({low}) to {peak_value} ({peak}), {span}.").format(
        metric=metric(value).label, low_value=format_metric(value, data[value][low]), low=data[period][low],
        peak_value=format_metric(value, data[value][peak]), peak=data[period][peak], span=span)


def split(rows: pd.DataFrame, category: str, columns: list[str], value: str, split_label: str) -> str:
    """Which series is largest across all categories, and which category is largest overall."""
    data = rows[[category, *columns]]
    if data.empty or not columns:
        return _("No results for these filters.")
    if _additive(value):
        totals = data[columns].sum().sort_values(ascending=False)
        grand = totals.sum()
        by_row = data.set_index(category)[columns].sum(axis=1).sort_values(ascending=False)
        return _("Of {total} {metric}, {top} account for {value} ({share}); the largest {dimension} is {largest} "
                 "({largest_value}).").format(
            total=format_metric(value, grand), metric=_phrase(value), top=totals.index[0],
            value=format_metric(value, totals.iloc[0]), share=share(totals.iloc[0], grand),
            dimension=_dimension(category), largest=by_row.index[0], largest_value=format_metric(value, by_row.iloc[0]))
    stacked = data.melt(id_vars=category, value_vars=columns, var_name="series").dropna()
    if stacked.empty:
        return _("No results for these filters.")
    top = stacked["value"].idxmax()
    return _("{metric} is highest for {top}, {split} {series} ({value}).").format(
        metric=metric(value).label, top=stacked[category][top], split=split_label.lower(),
        series=stacked["series"][top], value=format_metric(value, stacked["value"][top]))


def _dimension(column: str) -> str:
    """A dimension's column as a caption says it: 'grant type' (in another language, its label)."""
    if i18n.active().language != i18n.SOURCE:
        label = dimensions.BY_KEY[column].shown_label if column in dimensions.BY_KEY else None
        if label:
            return label[:1].lower() + label[1:]
    return column.replace("_", " ")


def comparison(rows: pd.DataFrame, category: str, first: str, second: str, value: str) -> str:
    """The change between two compared periods or phases, and where it was largest."""
    data = rows[[category, first, second]]
    if data.empty:
        return _("No results for these filters.")
    change = data[second] - data[first]
    if _additive(value):
        before, after = data[first].sum(), data[second].sum()
        pct = f" ({(after - before) / before:+.0%})".replace("-", "−") if before else ""
        mover = change.abs().idxmax()
        direction = "rise" if change[mover] >= 0 else "fall"
        return (f"{metric(value).label}: {format_metric(value, before)} in {first} and "
                f"{format_metric(value, after)} in {second}{pct}; the largest {direction} was in "
                f"{data[category][mover]} ({_signed(value, change[mover])}).")
    known = change.dropna()
    higher = int((known > 0).sum())
    return (f"{metric(value).label} was higher in {second} than in {first} for {higher} of {len(known)} "
            f"{plural(category.replace('_', ' '))} compared.")


def _signed(key: str, value: float) -> str:
    text = format_metric(key, abs(value))
    return ("+" if value >= 0 else "−") + text


def country_profile(name: str, trainees: float, programme_total: float, cadres: pd.DataFrame | None = None) -> str:
    """'Uganda trained 8,412 health workers, 9% of the programme total, most of them nurses.'"""
    if not trainees:
        return _("{country} has no health workers trained under these filters.").format(country=name)
    text = _("{country} trained {trained} health workers, {share} of the programme total").format(
        country=name, trained=format_metric("trainees", trainees), share=share(trainees, programme_total))
    if cadres is not None and not cadres.empty:
        ordered = cadres.sort_values("trainees", ascending=False)
        count, value = ordered["trainees"].iloc[0], str(ordered["cadre"].iloc[0])
        programme = metrics.active_programme()
        # English says the cadre in the plural ('nurses'); another language its label, as the definition gives it.
        cadre = (plural(value) if i18n.active().language == i18n.SOURCE or programme is None
                 else programme.label("cadre", value))
        text += (_(", most of them {cadre}").format(cadre=cadre) if count / trainees > 0.5
                 else _("; {cadre} were the largest group ({share})").format(cadre=cadre, share=share(count, trainees)))
    return text + "."
