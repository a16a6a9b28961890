"""Metrics, defined once: label, unit, aggregation, number format and how each is counted.

Two kinds: the structural metrics every programme has (health workers trained, volunteer days,
projects, institutions, countries, funding), defined here; and a programme's outcome indicators,
defined in its `programme.json` and made metrics by `activate(programme)` for the work at hand
(one page run, one export) — a context variable, so two sessions on two programmes never mix.
KPI tiles, chart axes, hover labels, exports and the data dictionary all read these definitions;
query result columns are named after the metric keys.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import functools
import math
from collections.abc import Iterator
from dataclasses import dataclass, replace

from impact.model import i18n
from impact.model.i18n import N_


@dataclass(frozen=True)
class NumberFormat:
    """One number format preset in every form a medium needs."""

    excel: str  # Excel and PowerPoint number format code
    d3: str  # Plotly's tick and hover format
    app: str  # Streamlit's NumberColumn format


NUMBER_FORMATS: dict[str, NumberFormat] = {  # "{symbol}": the programme's currency symbol
    "count": NumberFormat(excel="#,##0", d3=",.0f", app="localized"),
    "percent": NumberFormat(excel="0%", d3=".0%", app="percent"),
    "money": NumberFormat(excel='"{symbol}"#,##0', d3=",.3s", app="localized"),
}
SYMBOLS = {"GBP": "£", "USD": "$", "EUR": "€", "JPY": "¥", "INR": "₹"}


def currency_symbol() -> str:
    """The active programme's currency as people write it before an amount: £, $, €, or 'CHF '."""
    programme = _PROGRAMME.get()
    code = programme.currency if programme is not None else "GBP"
    return SYMBOLS.get(code, f"{code} ")


@dataclass(frozen=True, kw_only=True)
class Metric:
    """One measure of the programme's results."""

    key: str
    label: str
    unit: str  # people, days, projects, countries, institutions, share, GBP
    aggregation: str  # how rows combine: sum, count distinct, ratio, latest
    fmt: str  # number format preset: count, percent, money (in the programme's currency)
    description: str
    how_counted: str
    source: str  # table it comes from
    # Its SQL: the aggregate over the rows of `source` under the filters, as `<source>_by_dimension` computes it
    # (macros of queries/setup/07_metric_aggregates.sql; tests/test_metrics.py checks every query says the same).
    sql: str = ""
    # For a ratio: the metrics it divides (the parts a cumulative value is built from).
    numerator: str = ""
    denominator: str = ""

    @property
    def over_no_rows(self) -> int | None:
        """Its value when no rows match: what is added up, counted or latest is 0; a ratio has nothing to divide
        by, so it is missing (shown as "—")."""
        return None if self.aggregation == "ratio" else 0


# The structural metrics as declared: texts about the two sides of a partnership name them with {home} (the
# definition's home side label, "UK"), {overseas} (its overseas side label) and {place} (the home side in a
# sentence, "the UK"), and money with {currency}; `worded` fills them in for a programme.
_DECLARED: dict[str, Metric] = {
    m.key: m
    for m in (
        Metric(
            key="trainees", label=N_("Health workers trained"), unit="people",
            aggregation="sum", fmt="count", source="training",
            description=N_("Health workers who completed training delivered by a partnership."),
            how_counted=N_("Trainees reported by projects each quarter, added up; a person trained twice counts twice."),
            sql="sum(trainees)",
        ),
        Metric(
            key="women_trained", label=N_("Women trained"), unit="people",
            aggregation="sum", fmt="count", source="training",
            description=N_("Health workers trained who are women."),
            how_counted=N_("Trainees whose gender has the role 'women' in the programme's definition."),
            sql="women_trained(gender_role, trainees)",
        ),
        Metric(
            key="women_share", label=N_("Women's share of trainees"), unit="share",
            aggregation="ratio", fmt="percent", source="training",
            description=N_("Women as a share of all health workers trained."),
            how_counted=N_("Women trained divided by all trainees (including gender not recorded)."),
            sql="women_share(gender_role, trainees)", numerator="women_trained", denominator="trainees",
        ),
        Metric(
            key="trainers_trained", label=N_("Trainers trained"), unit="people",
            aggregation="sum", fmt="count", source="training",
            description=N_("Health workers trained as trainers (training of trainers), who go on to train others."),
            how_counted=N_("Trainees whose training type has the role 'trainers' in the programme's definition."),
            sql="trainers_trained(training_type_role, trainees)",
        ),
        Metric(
            key="cascade_trainees", label=N_("Trained by cascade"), unit="people",
            aggregation="sum", fmt="count", source="training",
            description=N_("Health workers trained by the trainers a partnership trained (cascade training)."),
            how_counted=N_("Trainees whose training type has the role 'cascade' in the programme's definition."),
            sql="cascade_trainees(training_type_role, trainees)",
        ),
        Metric(
            key="countries_trained", label=N_("Countries with training"), unit="countries",
            aggregation="count distinct", fmt="count", source="training",
            description=N_("Countries where health workers were trained."),
            how_counted=N_("Countries with at least one trainee reported."),
            sql="countries_trained(iso3, trainees)",
        ),
        Metric(
            key="countries_active", label=N_("Countries with partnerships"), unit="countries",
            aggregation="count distinct", fmt="count", source="projects",
            description=N_("Countries where a funded partnership was active."),
            how_counted=N_("Countries with an active project, including those with volunteering but no training results "
                           "(a project whose country is not known, a region only, counts in no country)."),
            sql="count(distinct iso3) filter (where iso3 not like 'X%')",  # XAA-XZZ: a country not known
        ),
        Metric(
            key="projects", label=N_("Projects"), unit="projects",
            aggregation="count distinct", fmt="count", source="projects",
            description=N_("Funded projects (grants) active in the period."),
            how_counted=N_("Grants active at some time in the period; each grant counts once."),
            sql="count(*)",
        ),
        Metric(
            key="institutions", label=N_("Partner institutions"), unit="institutions",
            aggregation="count distinct", fmt="count", source="project_partners",
            description=N_("{home} and overseas institutions taking part in the projects."),
            how_counted=N_("{home} and overseas institutions named on an active project, each counted once."),
            sql="count(distinct pp.institution_id)",
        ),
        Metric(
            key="institutions_overseas", label=N_("{overseas} institutions"), unit="institutions",
            aggregation="count distinct", fmt="count", source="project_partners",
            description=N_("Partner institutions in low- and middle-income countries."),
            how_counted=N_("Distinct overseas institutions on projects active in the period ('health institutions strengthened')."),
            sql="institutions_on_side(pp.institution_id, i.side_role, 'overseas')",
        ),
        Metric(
            key="institutions_uk", label=N_("{home} institutions"), unit="institutions",
            aggregation="count distinct", fmt="count", source="project_partners",
            description=N_("Partner institutions on the {home} side of the partnerships."),
            how_counted=N_("Distinct {home} institutions on projects active in the period."),
            sql="institutions_on_side(pp.institution_id, i.side_role, 'home')",
        ),
        Metric(
            key="volunteer_days_overseas", label=N_("Volunteer days overseas"), unit="days",
            aggregation="sum", fmt="count", source="volunteering",
            description=N_("Days {home} volunteers spent working in partner countries."),
            how_counted=N_("Days {home} volunteers spent in partner countries."),
            sql="volunteer_days_at(location_role, volunteer_days, 'overseas')",
        ),
        Metric(
            key="volunteer_days_uk", label=N_("Volunteer days from {place}"), unit="days",
            aggregation="sum", fmt="count", source="volunteering",
            description=N_("Days contributed remotely from {place} (teaching, mentoring, preparation)."),
            how_counted=N_("Days given from {place}: remote teaching, mentoring, preparation."),
            sql="volunteer_days_at(location_role, volunteer_days, 'home')",
        ),
        Metric(
            key="volunteer_days", label=N_("Volunteer days"), unit="days",
            aggregation="sum", fmt="count", source="volunteering",
            description=N_("All days given by {home} health-worker volunteers, overseas and from {place}."),
            how_counted=N_("Volunteer days overseas plus days given from {place}."),
            sql="sum(volunteer_days)",
        ),
        Metric(
            key="volunteers", label=N_("Volunteer placements"), unit="placements",
            aggregation="sum", fmt="count", source="volunteering",
            description=N_("Volunteer placements started; one person may make several."),
            how_counted=N_("Placements started each quarter, added up."),
            sql="sum(volunteers)",
        ),
        Metric(
            key="budget_gbp", label=N_("Grant funding"), unit="{currency}",
            aggregation="sum", fmt="money", source="projects",
            description=N_("Value of the grants of projects active in the period."),
            how_counted=N_("Sum of grant budgets of projects whose dates overlap the period."),
            sql="sum(budget)",
        ),
    )
}


@functools.cache
def worded(home: str = "UK", overseas: str = "Overseas", place: str = "the UK",
           currency: str = "GBP", language: str = i18n.SOURCE) -> dict[str, Metric]:
    """The structural metrics in a programme's words: its sides' labels (home, overseas), the home side in a
    sentence (place: "Volunteer days from the UK") and its currency (the unit of funding)."""
    words = {"home": home, "overseas": overseas, "place": place, "currency": currency}
    said = i18n.translator(language)

    def fill(text: str) -> str:
        text = said.gettext(text) if text else text  # the catalogue's words, then the programme's
        return text.format(**words) if "{" in text else text

    return {key: replace(m, label=fill(m.label), unit=fill(m.unit), description=fill(m.description),
                         how_counted=fill(m.how_counted)) for key, m in _DECLARED.items()}


# The structural metrics in the HPS's words (the default of a definition without a home section): what is read
# without an active programme. `metric` and `known` read them in the active programme's words.
METRICS: dict[str, Metric] = worded()


# The structural headline figures, in the order the Overview's tiles (and the team's e-mail digest) show them.
HEADLINES = (
    "trainees", "women_trained", "countries_trained", "projects",
    "institutions", "volunteer_days_overseas", "volunteer_days_uk", "countries_active",
)
# The metrics one project's return for one quarter carries (added up over its training and volunteering rows): the
# names a definition's validation rules and outlier settings read, with the reported indicators' codes.
RETURN_METRICS = tuple(k for k, m in METRICS.items() if m.source in ("training", "volunteering") and m.aggregation == "sum")

_INDICATORS: contextvars.ContextVar[dict[str, Metric] | None] = contextvars.ContextVar("impact_indicators",
                                                                                       default=None)
_PROGRAMME: contextvars.ContextVar = contextvars.ContextVar("impact_programme", default=None)


def from_indicator(indicator) -> Metric:
    """A programme's outcome indicator (impact.model.programme.Indicator) as a metric."""
    return Metric(key=indicator.code, label=indicator.label, unit=indicator.unit, aggregation=indicator.aggregation,
                  fmt=indicator.fmt, source="outcomes", description=indicator.description,
                  how_counted=indicator.how_counted or indicator.description, numerator=indicator.numerator,
                  denominator=indicator.denominator)


def activate(programme) -> contextvars.Token:
    """Make `programme`'s indicators metrics for the current context (a page run, an export)."""
    indicators = {i.code: from_indicator(i) for i in programme.indicators} if programme is not None else {}
    _PROGRAMME.set(programme)
    return _INDICATORS.set(indicators)


def active_programme():
    """The programme whose indicators are metrics in the current context (None before `activate`)."""
    return _PROGRAMME.get()


@contextlib.contextmanager
def using(programme) -> Iterator[None]:
    """`activate(programme)` for the length of a block."""
    before = _PROGRAMME.get()
    token = activate(programme)
    try:
        yield
    finally:
        _INDICATORS.reset(token)
        _PROGRAMME.set(before)


def structural() -> dict[str, Metric]:
    """The structural metrics in the words of the programme active in the current context (the sides' labels,
    its currency); METRICS when none is."""
    programme, language = _PROGRAMME.get(), i18n.active().language
    if programme is None:
        return METRICS if language == i18n.SOURCE else worded(language=language)
    home = programme.home_in(language)  # the sides in the reader's words, as the definition translates them
    return worded(home.home, home.overseas, home.in_sentence, programme.currency, language)


def known() -> dict[str, Metric]:
    """Every metric in the current context: the structural ones, then the programme's indicators."""
    return {**structural(), **{key: in_language(m) for key, m in (_INDICATORS.get() or {}).items()}}


def is_metric(key) -> bool:
    """True when `key` names a metric in the current context."""
    return isinstance(key, str) and (key in METRICS or key in (_INDICATORS.get() or {}))


TARGET_SOURCES = ("training", "volunteering", "outcomes")  # the tables whose rows carry a period


def targetable() -> list[str]:
    """The metrics a target can be set for in the current context: those counted from rows with a period
    (added up, latest value or a ratio of two such), so that an actual exists at every date."""
    return [key for key, m in known().items()
            if m.source in TARGET_SOURCES and m.aggregation in ("sum", "latest", "ratio")]


class UnknownName(KeyError, ValueError):
    """A name someone gave (a metric, a chart id) that is not known. A failed lookup, so `except KeyError` still
    catches it, and bad input (ValueError), so the command line prints its message as a one-line error."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def metric(key: str) -> Metric:
    """The metric called `key` (UnknownName, a KeyError, names it if unknown)."""
    found = structural().get(key) or (_INDICATORS.get() or {}).get(key)
    if found is None:
        raise UnknownName(f"unknown metric {key!r}; known: {', '.join(known())}")
    return in_language(found)


def in_language(found: Metric) -> Metric:
    """`found` with its label, description and how it is counted in the active language: the catalogue's for a
    structural metric, the programme definition's translations for an indicator (English where either lacks one)."""
    words = i18n.active()
    if words.language == i18n.SOURCE:
        return found
    if found.key in METRICS:  # worded in the active language already (structural)
        return found
    else:
        programme = _PROGRAMME.get()
        texts = programme.indicator_texts(found.key, words.language) if programme is not None else {}
        if "how_counted" not in texts and "description" in texts and found.how_counted == found.description:
            texts["how_counted"] = texts["description"]
    return dataclasses.replace(found, **texts) if texts else found


def format_value(value: float | int | None, fmt: str = "count") -> str:
    """Write a number the way people of the active language do: 12,345 (en), 12 345 (fr); 74%, 74 % (fr); £30m;
    an em dash when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    words = i18n.active()
    if fmt == "percent":
        return words.percent(value)
    if fmt == "money":
        if words.language != i18n.SOURCE:
            programme = _PROGRAMME.get()
            return words.money(value, programme.currency if programme is not None else "GBP")
        symbol = currency_symbol()
        for size, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
            if abs(value) >= size:
                scaled = value / size
                text = f"{scaled:.1f}".rstrip("0").rstrip(".") if scaled < 100 else f"{scaled:.0f}"
                return f"{symbol}{text}{suffix}"
        return f"{symbol}{value:,.0f}"
    if isinstance(value, float) and not value.is_integer():
        return words.number(value, 1)
    return words.number(int(value))


def format_metric(key: str, value) -> str:
    """Format `value` with the number format of metric `key`."""
    return format_value(value, metric(key).fmt)


def d3_format(fmt: str) -> str:
    """The Plotly (d3) format string matching a number format preset."""
    return NUMBER_FORMATS.get(fmt, NUMBER_FORMATS["count"]).d3


def excel_format(fmt: str | None) -> str:
    """The Excel / PowerPoint number format code of a preset ('General' for none)."""
    return NUMBER_FORMATS[fmt].excel.format(symbol=currency_symbol().strip()) if fmt in NUMBER_FORMATS else "General"
