"""A programme, defined as data: identity, window, phases, vocabularies, indicators and reference figures.

Every extract carries its programme's definition as `programme.json` beside its tables. The
importer validates it (`parse` reports each problem with its field), checks the data against it,
and versions it with the tables; the app, the exports and the command line read vocabularies,
indicators, phases, titles and published figures from it. Nothing about any one programme is
written in code: the HPS is one definition among others (its definition is written by the
generator of the illustrative extracts).

The file, in short (see the data dictionary for every field)::

    {"id": "hps", "name": "...", "short_name": "...", "funder": "...", "managed_by": "...",
     "currency": "GBP", "start": "2011-07-01", "end": "2019-03-31", "illustrative": true,
     "phases": [{"name": "...", "first_day": "...", "last_day": "..."}],
     "vocabularies": {"theme": [{"value": "...", "description": "..."}], "gender": [...], ...},
     "indicators": [{"code": "...", "label": "...", "unit": "...", "aggregation": "sum",
                     "format": "count", "description": "...", "how_counted": "..."}],
     "reference_figures": [{"metric": "trainees", "value": 93112, "qualifier": "",
                            "as_of": "2019-03-31", "source": "..."}],
     "disaggregations": [{"key": "cadre_level", "label": "Cadre level", "tables": ["training"],
                          "iati_name": "seniority", "values": ["Junior", "Senior", ...]}]}
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path

from impact.model import calendar, i18n, iso639, iso4217
from impact.model.i18n import N_

FILE = "programme.json"
ID_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,31}$")  # URL-safe: ?programme=hps
AGGREGATIONS = ("sum", "ratio", "latest")
FORMATS = ("count", "percent", "money")
QUALIFIERS = ("", N_("over"), N_("more than"), N_("about"), N_("almost"), N_("a further"), N_("at least"))
BENEFITS = ("partner", "home", "")
# The vocabularies a definition gives (one per categorical column of the extract), and the roles a
# value can play in the metrics counted in code (women trained, trainers, cascade, days overseas...).
VOCABULARIES: dict[str, str] = {
    "theme": "Main health theme of a project (projects.theme).",
    "grant_type": "Kind of grant (projects.grant_type).",
    "region": "Region a country belongs to (countries.region).",
    "cadre": "Health-worker cadre of trainees (training.cadre).",
    "gender": "Gender of trainees (training.gender).",
    "training_type": "Kind of training (training.training_type).",
    "location": "Where volunteer time was given (volunteering.location).",
    "profession": "Profession of volunteers (volunteering.profession).",
    "institution_type": "Kind of partner institution (institutions.institution_type).",
    "principle": "Principle of partnership a project scores itself on (partnership_scores.principle).",
}
ROLES: dict[str, dict[str, str]] = {
    "gender": {"women": "counted as women (women trained, women's share)"},
    "training_type": {"trainers": "trainers trained (training of trainers)",
                      "cascade": "trained by trainers the partnership trained (cascade)"},
    "location": {"overseas": "days given in the partner country",
                 "home": "days given from the funder's country"},
}
TEXT_MAX = 300
# A disaggregation is a further breakdown of the fact tables the definition declares (age band, disability...):
# a column of each table it names, its values a vocabulary of its own. Its key is that column's name, a filter's
# key in links and a choice of the explorer's "by", so it may not be any name the product already gives a meaning.
DISAGGREGATION_TABLES = ("training", "volunteering", "outcomes")
DISAGGREGATION_KEY = re.compile(r"[a-z][a-z0-9_]{1,31}")
RESERVED_KEYS = frozenset({
    # the structural dimensions and the columns of the fact tables (and what the compile adds to them)
    "time", "slot", "phase", "region", "country", "theme", "grant_type", "cadre", "gender", "training_type",
    "location", "profession", "project_id", "iso3", "period", "next_period", "trainees", "volunteers",
    "volunteer_days", "indicator", "value", "category", "category2", "grouping", "filters",
    # the keys of the app's links
    "from", "to", "grant", "programme", "metric", "by", "split", "grain", "chart", "cmp", "a", "b", "q", "project",
    "map", "asof", "score", "years", "pregion", "pcountry", "deck", "slide", "version", "lang",
    # the other vocabularies (metric and indicator are above)
    *VOCABULARIES})
# How a definition's JSON is read (`loads`): its nesting, and the digits of a whole number, are bounded.
DEPTH_MAX = 64
DIGITS_MAX = 20
# How progress against a target is read (see `Results`): a milestone between two due dates.
READINGS = ("interpolate", "last due")
OPERATORS = ("<", "<=", "==", "!=", ">=", ">")
IMPORTANCES = ("high", "medium", "low")
RULE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
RULES_MAX = 200


class DefinitionError(ValueError):
    """A programme definition that cannot be used; `problems` lists (field, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]], file: str = FILE):
        self.problems = problems
        self.file = file
        shown = "; ".join(f"{where}: {message}" for where, message in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"{file}: {shown}{more}")


@dataclass(frozen=True, kw_only=True)
class Term:
    """One allowed value of a vocabulary, with an optional one-line description and role."""

    value: str
    description: str = ""
    role: str = ""


@dataclass(frozen=True, kw_only=True)
class Disaggregation:
    """A breakdown the programme declares for its results (e.g. age band on training): the column it is in, its
    label, the tables whose rows carry it and the IATI result dimension it is published as; its values are the
    vocabulary of the same name."""

    key: str
    label: str
    tables: tuple[str, ...]
    description: str = ""
    iati_name: str = ""  # the IATI result dimension's name ("" : the label)


@dataclass(frozen=True, kw_only=True)
class Phase:
    """A phase (funding round) of the programme: its name and its first and last day."""

    name: str
    first_day: dt.date
    last_day: dt.date

    def holds(self, day: dt.date) -> bool:
        """True when `day` falls inside the phase."""
        return self.first_day <= day <= self.last_day


@dataclass(frozen=True, kw_only=True)
class Indicator:
    """An outcome indicator: reported in `outcomes.indicator` (sum, latest) or computed (ratio)."""

    code: str
    label: str
    unit: str = "people"
    aggregation: str = "sum"  # sum of reported values; latest value per project and country; ratio of two
    fmt: str = "count"
    description: str = ""
    how_counted: str = ""
    numerator: str = ""  # for a ratio: the codes it divides
    denominator: str = ""
    headline: bool = True  # shown as a tile (False for the parts of a ratio)
    benefits: str = "partner"  # who gains: the partner country, or the funder's own country ("home")

    @property
    def reported(self) -> bool:
        """True when rows of `outcomes` carry this code (a ratio is computed, never reported)."""
        return self.aggregation != "ratio"


@dataclass(frozen=True, kw_only=True)
class ReferenceFigure:
    """A published number shown beside the live one (never used in a computation)."""

    metric: str
    value: float
    qualifier: str = ""  # "over", "more than", ...
    as_of: dt.date | None = None
    source: str = ""
    note: str = ""

    def text(self, formatted: str) -> str:
        """'over 1,500 by March 2020' given the value already formatted (in the active language)."""
        words = i18n.active()
        when = words.gettext(" by {month}").format(month=words.date(self.as_of, "MMMM y")) if self.as_of else ""
        head = f"{words.gettext(self.qualifier) if self.qualifier else ''} {formatted}".strip()
        return f"{head}{when}" + (f" ({self.note})" if self.note else "")


@dataclass(frozen=True, kw_only=True)
class Band:
    """A score of the annual review and the % achieved it covers: from `low` (held) up to `high` (not held)."""

    score: str
    low: float
    high: float | None = None  # None: no upper edge (the top band)
    meaning: str = ""

    def holds(self, percent: float) -> bool:
        """True when `percent` achieved falls in the band."""
        return self.low <= percent and (self.high is None or percent < self.high)


# The annual review's scores and the bands documented as the default (A covers 95 % up to 105 %).
DEFAULT_BANDS = (
    Band(score="C", low=0, high=75, meaning="substantially did not meet expectation"),
    Band(score="B", low=75, high=95, meaning="moderately did not meet expectation"),
    Band(score="A", low=95, high=105, meaning="met expectation"),
    Band(score="A+", low=105, high=125, meaning="moderately exceeded expectation"),
    Band(score="A++", low=125, high=None, meaning="substantially exceeded expectation"),
)


@dataclass(frozen=True, kw_only=True)
class Results:
    """How progress against targets is judged: the score bands and how a milestone between due dates is read."""

    bands: tuple[Band, ...] = DEFAULT_BANDS
    between_milestones: str = "interpolate"  # or "last due": the latest milestone due on or before the date

    def score(self, percent: float) -> Band:
        """The band holding `percent` achieved (below the lowest band: the lowest)."""
        return next((b for b in self.bands if b.holds(percent)), self.bands[0])


@dataclass(frozen=True)
class Reporting:
    """When partners report: the grain of a return (a quarter) and the days after a quarter's end by which its
    return is due; a return received later is "reported late". No deadline: due when the quarter ends, never late.
    `remind_days_before`: how many days before its due date a partner is reminded of a return by e-mail (none: no
    reminder before it is late)."""

    grain: str = "quarter"
    deadline_days: int | None = None
    remind_days_before: int | None = None

    def due_on(self, quarter_end: dt.date) -> dt.date:
        """The last day on which the return of a quarter ending on `quarter_end` is on time."""
        return quarter_end + dt.timedelta(days=self.deadline_days or 0)


ORG_PREFIXED = re.compile(r"^[A-Z]{2}-[A-Za-z0-9]+-\S")  # an organisation identifier's start: XM-DAC-7-…, NL-1-…


def is_org_prefixed(identifier: str) -> bool:
    """True when `identifier` starts as an IATI organisation identifier does (a registration agency's country or
    XI/XM, a hyphen, the agency's code, a hyphen): an identifier published by an organisation, not a local id."""
    return bool(ORG_PREFIXED.match(identifier or ""))


LEAD_ROLES = ("implementing", "accountable", "reporting")  # the default order a project's lead is looked for in
SECTOR_VOCABULARIES = {"1": "DAC 5-digit purpose code", "2": "DAC 3-digit sector",
                       "98": "the reporting organisation's own (2)", "99": "the reporting organisation's own"}
IATI_CHOICES: dict[str, str] = {  # the mapping choices of the iati section, as the data dictionary shows them
    "lead_roles": "Which organisations lead a project, in order: any of implementing, accountable, reporting "
                  "(default: implementing, then accountable, then the reporting organisation).",
    "partner_required": "true: an activity needs a lead on each side (home and partner country); default false: "
                        "a project with one known organisation imports, its side from its country or its "
                        "reference's country prefix, else not known.",
    "several_countries": "An activity with several recipient countries: largest (default: the country with the "
                         "largest percentage, the first on a tie) or refuse.",
    "hierarchy": "The hierarchy level imported (1 = parent activities, 2 = their children...); default: the lowest "
                 "level present in the file (the largest number), said in the import's report.",
    "sector_themes": "Sectors to themes, per sector vocabulary: {\"1\": {DAC 5-digit code: theme}, \"2\": {DAC "
                     "3-digit code: theme}, \"99\": {publisher's own code: theme}}; checked before sectors.",
    "fallback_theme": "The theme of an activity whose sectors map to no theme (empty: such an activity is refused).",
    "amounts": "A project's grant value: budgets-or-commitments (default: the original budgets, else the revised "
               "ones, else the commitments, transaction type 2) or budgets.",
    "exchange_rates": "Yearly rates to the programme's currency: {\"USD\": {\"2019\": 0.78}} (one USD is 0.78 of "
                      "the programme's currency in 2019). An amount in another currency without its year's rate "
                      "refuses its activity; amounts are never added up across currencies.",
}


@dataclass(frozen=True)
class ValidationRule:
    """A check on one project's return for one quarter, as DHIS2 has them: left side, operator, right side. A side
    is a number, or the sum of one or more names — a return metric (trainees, women_trained, volunteer_days, …) or a
    reported indicator's code — over the project's rows for the quarter."""

    id: str
    left: tuple  # names (str) added up, or one number (float)
    operator: str
    right: tuple
    message: str
    importance: str = "medium"

    @property
    def names(self) -> tuple[str, ...]:
        """The metrics and indicators the rule reads."""
        return tuple(dict.fromkeys(n for n in (*self.left, *self.right) if isinstance(n, str)))

    def text(self) -> str:
        """The rule in one line: women_trained <= trainees."""
        def side(parts):
            return " + ".join(f"{p:g}" if isinstance(p, float) else p for p in parts)
        return f"{side(self.left)} {self.operator} {side(self.right)}"


@dataclass(frozen=True)
class Outliers:
    """How a value is flagged as unusual against the project's own history: a robust z-score (0.6745 × distance
    from the median of its earlier quarters ÷ their median absolute deviation) above `threshold`, once it has
    `min_history` earlier quarters; and `bounds` per name (lowest, highest) for any quarter."""

    threshold: float = 3.5
    min_history: int = 4
    names: tuple[str, ...] = ()  # the metrics and indicators looked at; empty: every one a return carries
    bounds: tuple[tuple[str, float | None, float | None], ...] = ()


@dataclass(frozen=True, kw_only=True)
class Iati:
    """What publishing the programme to IATI needs: organisation identifiers, types and the sectors of themes."""

    reporting_org_ref: str  # e.g. GB-CHC-1113226; also the prefix of every activity identifier
    reporting_org_type: str = "21"  # IATI OrganisationType code (21: international NGO)
    funder_ref: str = ""
    funder_type: str = "10"  # 10: government
    activity_prefix: str = ""  # default: reporting_org_ref
    language: str = "en"
    sectors: dict[str, str] | None = None  # theme -> DAC 5-digit purpose code
    # How a file's activities are read (see IATI_CHOICES; empty: the default)
    lead_roles: tuple[str, ...] = ()  # the participating-org roles a project's lead is taken from, in order
    partner_required: bool = False  # True: a project needs a lead on each side
    several_countries: str = ""  # "largest" (default): the country with the largest share; "refuse"
    hierarchy: int = 0  # the hierarchy level imported; 0: the lowest level present in the file
    sector_themes: dict[str, dict[str, str]] | None = None  # sector vocabulary -> code -> theme
    fallback_theme: str = ""  # the theme of an activity no sector maps (empty: such an activity is refused)
    amounts: str = ""  # "budgets-or-commitments" (default), "budgets"
    exchange_rates: dict[str, dict[str, float]] | None = None  # currency -> year -> programme currency per unit

    @property
    def leads(self) -> tuple[str, ...]:
        """The organisation roles a project's lead is taken from, in order of preference."""
        return self.lead_roles or LEAD_ROLES

    @property
    def prefix(self) -> str:
        """The identifier prefix of the programme's activities."""
        return self.activity_prefix or self.reporting_org_ref

    def activity_id(self, project_id: str) -> str:
        """The IATI identifier of a project: the prefix, a hyphen and the project id — or the project id itself when
        it is another publisher's identifier, read from their file and kept as published (`is_org_prefixed`)."""
        return project_id if is_org_prefixed(project_id) else f"{self.prefix}-{project_id}"


# The project fields a public site may show (project_detail's columns); project_id is always shown, it names the page.
PUBLIC_PROJECT_FIELDS = ("title", "theme", "grant_type", "phase", "country", "region", "uk_lead", "overseas_lead",
                         "start_date", "end_date", "budget_gbp", "trainees", "women_trained", "volunteer_days",
                         "volunteers")
DEFAULT_PUBLIC_FIELDS = ("title", "theme", "grant_type", "phase", "country", "region", "start_date", "end_date",
                         "trainees", "volunteer_days")
SUPPRESS_MAX = 1000


@dataclass(frozen=True, kw_only=True)
class Publish:
    """What a public site may show: the project fields marked public, the licence its figures are published under
    and the small-cell threshold (counts of people or days from 1 to `suppress_below` - 1 are shown as "fewer than
    N" and left out of every download; 0 or 1: nothing is suppressed)."""

    project_fields: tuple[str, ...] = DEFAULT_PUBLIC_FIELDS
    licence: str = ""
    suppress_below: int = 5


TRANSLATED_FIELDS = ("name", "short_name", "description")  # a programme's own texts a translation may give
INDICATOR_TEXTS = ("label", "description", "how_counted")  # an indicator's texts a translation may give


@dataclass(frozen=True, kw_only=True)
class Translation:
    """A programme's content in one language: its name (and short name and description), the labels of its
    vocabularies' values (the stored values stay the canonical codes) and its indicators' texts."""

    name: str = ""
    short_name: str = ""
    description: str = ""
    terms: dict[str, dict[str, str]] = field(default_factory=dict)  # vocabulary -> value -> label
    indicators: dict[str, dict[str, str]] = field(default_factory=dict)  # code -> label/description/how_counted
    disaggregations: dict[str, str] = field(default_factory=dict)  # a breakdown's key -> its label


@dataclass(frozen=True, kw_only=True)
class Programme:
    """A whole programme definition."""

    id: str
    name: str
    short_name: str
    funder: str
    managed_by: str
    currency: str
    start: dt.date
    end: dt.date
    phases: tuple[Phase, ...]
    vocabularies: dict[str, tuple[Term, ...]]
    indicators: tuple[Indicator, ...] = ()
    reference_figures: tuple[ReferenceFigure, ...] = ()
    illustrative: bool = False
    description: str = ""
    results: Results = Results()
    reporting: Reporting = Reporting()
    iati: Iati | None = None
    disaggregations: tuple[Disaggregation, ...] = ()
    fiscal_year_start: int = 1  # the month the programme's financial year starts in (4: April; 1: the calendar year)
    publish: Publish = Publish()
    validation_rules: tuple[ValidationRule, ...] = ()
    outliers: Outliers = Outliers()
    translations: dict[str, Translation] = field(default_factory=dict)  # language code -> its content

    # ---- what the rest of the product asks -----------------------------------------------------

    def values(self, vocabulary: str) -> tuple[str, ...]:
        """The allowed values of `vocabulary`, in their order."""
        return tuple(t.value for t in self.vocabularies.get(vocabulary, ()))

    def role(self, vocabulary: str, role: str) -> str | None:
        """The value playing `role` in `vocabulary` (e.g. the gender counted as women), if any."""
        return next((t.value for t in self.vocabularies.get(vocabulary, ()) if t.role == role), None)

    def disaggregations_of(self, table: str) -> tuple[Disaggregation, ...]:
        """The disaggregations the rows of `table` carry, in the definition's order."""
        return tuple(d for d in self.disaggregations if table in d.tables)

    @property
    def phase_names(self) -> tuple[str, ...]:
        """The phases' names in order."""
        return tuple(p.name for p in self.phases)

    def phase(self, name: str) -> Phase | None:
        """The phase called `name`."""
        return next((p for p in self.phases if p.name == name), None)

    def indicator(self, code: str) -> Indicator | None:
        """The indicator with `code`."""
        return next((i for i in self.indicators if i.code == code), None)

    @property
    def reported_codes(self) -> tuple[str, ...]:
        """The indicator codes rows of `outcomes` may carry."""
        return tuple(i.code for i in self.indicators if i.reported)

    def headline_indicators(self, benefits: str | None = None) -> list[str]:
        """Codes of the indicators shown as tiles (optionally only those benefiting one side)."""
        return [i.code for i in self.indicators if i.headline and (benefits is None or i.benefits == benefits)]

    def reference(self, metric: str) -> ReferenceFigure | None:
        """The published figure for `metric`, if the definition has one."""
        return next((r for r in self.reference_figures if r.metric == metric), None)

    def vocabulary_frame(self):
        """Every vocabulary value as a table: vocabulary, position, value, role, description."""
        import pandas as pd

        rows = [{"vocabulary": name, "position": n + 1, "value": t.value, "role": t.role,
                 "description": t.description}
                for name, terms in self.vocabularies.items() for n, t in enumerate(terms)]
        return pd.DataFrame(rows, columns=["vocabulary", "position", "value", "role", "description"])

    # ---- in the reader's language (the definition's translations; English where one is missing) --------

    def _translation(self, language: str | None) -> Translation | None:
        return self.translations.get(language or i18n.active().language)

    def name_in(self, language: str | None = None) -> str:
        """The programme's name in `language` (default: the active one)."""
        return (found := self._translation(language)) and found.name or self.name

    def short_name_in(self, language: str | None = None) -> str:
        """The programme's short name in `language` (default: the active one)."""
        return (found := self._translation(language)) and found.short_name or self.short_name

    def label(self, vocabulary: str, value: str, language: str | None = None) -> str:
        """How a vocabulary's value is shown in `language` (default: the active one); the value itself is what is
        stored, filtered on and imported."""
        found = self._translation(language)
        return (found.terms.get(vocabulary, {}).get(value) if found else None) or value

    def disaggregation_label(self, key: str, language: str | None = None) -> str:
        """The label of the programme's own breakdown `key` in `language` (default: the active one)."""
        found = self._translation(language)
        own = next((d.label for d in self.disaggregations if d.key == key), key)
        return (found.disaggregations.get(key) if found else None) or own

    def indicator_texts(self, code: str, language: str | None = None) -> dict[str, str]:
        """The translated texts of indicator `code` in `language`: some of label, description, how_counted."""
        found = self._translation(language)
        return dict(found.indicators.get(code, {})) if found else {}

    def missing_translations(self) -> dict[str, list[str]]:
        """Per shipped language, the definition's texts with no translation (shown in English), as field paths."""
        out = {}
        for language in i18n.TRANSLATED:
            found = self.translations.get(language) or Translation()
            missing = [f"translations.{language}.name"] if not found.name else []
            for vocabulary, terms in self.vocabularies.items():
                labels = found.terms.get(vocabulary, {})
                missing += [f"translations.{language}.terms.{vocabulary}: {t.value!r}" for t in terms
                            if t.value not in labels]
            for indicator in self.indicators:
                texts = found.indicators.get(indicator.code, {})
                missing += [f"translations.{language}.indicators.{indicator.code}.{name}" for name in INDICATOR_TEXTS
                            if getattr(indicator, name) and name not in texts]
            missing += [f"translations.{language}.disaggregations.{d.key}" for d in self.disaggregations
                        if d.key not in found.disaggregations]
            out[language] = missing
        return out

    # ---- to and from JSON ----------------------------------------------------------------------

    def to_dict(self) -> dict:
        """The definition as the JSON object `programme.json` holds."""
        out = {key: value for key, value in asdict(self).items()
               if key not in ("phases", "vocabularies", "indicators", "reference_figures", "results", "reporting",
                              "iati", "disaggregations", "fiscal_year_start", "publish",
                              "validation_rules", "outliers", "translations")}
        if self.fiscal_year_start != 1:  # the default is left unwritten, so existing definitions read back unchanged
            out["fiscal_year_start"] = self.fiscal_year_start
        out["start"], out["end"] = self.start.isoformat(), self.end.isoformat()
        out["phases"] = [{"name": p.name, "first_day": p.first_day.isoformat(), "last_day": p.last_day.isoformat()}
                         for p in self.phases]
        def listed(terms):
            return [{k: v for k, v in asdict(t).items() if v or k == "value"} if (t.description or t.role) else t.value
                    for t in terms]

        own = {d.key for d in self.disaggregations}
        out["vocabularies"] = {name: listed(terms) for name, terms in self.vocabularies.items() if name not in own}
        out["indicators"] = []
        for i in self.indicators:
            item = {k: v for k, v in asdict(i).items() if k != "fmt"}
            item["format"] = i.fmt
            if i.aggregation != "ratio":
                item.pop("numerator"), item.pop("denominator")
            out["indicators"].append(item)
        out["reference_figures"] = [
            {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in asdict(r).items()
             if v not in ("", None) or k in ("metric", "value")}
            for r in self.reference_figures]
        out["results"] = {"between_milestones": self.results.between_milestones,
                          "bands": [{"score": b.score, "from": b.low, "to": b.high, "meaning": b.meaning}
                                    for b in self.results.bands]}
        if self.reporting != Reporting():
            out["reporting"] = {k: v for k, v in asdict(self.reporting).items() if v is not None}
        if self.iati is not None:
            out["iati"] = {k: v for k, v in asdict(self.iati).items() if v}
        if self.publish != Publish():
            out["publish"] = {"project_fields": list(self.publish.project_fields), "licence": self.publish.licence,
                              "suppress_below": self.publish.suppress_below}
        if self.validation_rules:
            def side(parts):
                return parts[0] if len(parts) == 1 else list(parts)
            out["validation_rules"] = [{"id": r.id, "left": side(r.left), "operator": r.operator,
                                        "right": side(r.right), "message": r.message, "importance": r.importance}
                                       for r in self.validation_rules]
        if self.outliers != Outliers():
            out["outliers"] = {"threshold": self.outliers.threshold, "min_history": self.outliers.min_history,
                               **({"metrics": list(self.outliers.names)} if self.outliers.names else {}),
                               **({"bounds": {n: {k: v for k, v in (("min", lo), ("max", hi)) if v is not None}
                                              for n, lo, hi in self.outliers.bounds}} if self.outliers.bounds else {})}
        if self.disaggregations:
            out["disaggregations"] = [
                {**{k: (list(v) if k == "tables" else v) for k, v in asdict(d).items() if v},
                 "values": listed(self.vocabularies[d.key])}
                for d in self.disaggregations]
        if self.translations:
            out["translations"] = {
                language: {**{k: v for k, v in asdict(t).items() if v and k in TRANSLATED_FIELDS},
                           **({"terms": t.terms} if t.terms else {}),
                           **({"indicators": t.indicators} if t.indicators else {}),
                           **({"disaggregations": t.disaggregations} if t.disaggregations else {})}
                for language, t in self.translations.items()}
        return out

    def to_json(self) -> str:
        """`programme.json`'s text."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def write(self, folder: str | Path) -> Path:
        """Write `programme.json` into `folder`."""
        path = Path(folder) / FILE
        path.write_text(self.to_json(), encoding="utf-8")
        return path


# ---- reading and checking a definition ----------------------------------------------------------

class _Checker:
    """Collects (field, message) problems while reading a definition."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def add(self, where: str, message: str) -> None:
        self.problems.append((where, message))

    def text(self, data: dict, key: str, where: str, *, required: bool = True, default: str = "",
             exact: bool = False) -> str:
        """A text field, stripped; `exact` (values, codes, ids): compared as written, so a space around it is refused."""
        value = data.get(key, None)
        if value is None or value == "":
            if required:
                self.add(f"{where}{key}", "is missing; give it as text")
            return default
        if not isinstance(value, str):
            self.add(f"{where}{key}", f"must be text, not {type(value).__name__}")
            return default
        if len(value) > TEXT_MAX or any(not ch.isprintable() for ch in value):
            self.add(f"{where}{key}", f"must be one line of at most {TEXT_MAX} printable characters")
            return default
        if exact and value != value.strip():
            self.add(f"{where}{key}", f"{value[:40]!r} has a space at its start or end; remove it")
            return default
        return value.strip()

    def day(self, data: dict, key: str, where: str, *, required: bool = True) -> dt.date | None:
        value = data.get(key)
        if value in (None, ""):
            if required:
                self.add(f"{where}{key}", "is missing; write the date as YYYY-MM-DD")
            return None
        try:
            if not isinstance(value, str) or len(value) != 10:
                raise ValueError
            day = dt.date.fromisoformat(value)
        except ValueError:
            self.add(f"{where}{key}", f"{str(value)[:30]!r} is not a date; write it as YYYY-MM-DD")
            return None
        first_year, last_year = calendar.YEARS
        if not first_year <= day.year <= last_year:
            self.add(f"{where}{key}", f"{value} is outside the years {first_year} to {last_year} a programme's dates "
                                      "fall in")
            return None
        return day

    def items(self, data: dict, key: str, where: str = "") -> list:
        value = data.get(key, [])
        if not isinstance(value, list):
            self.add(f"{where}{key}", "must be a list")
            return []
        return value


# Letters of these scripts look alike (Latin a, Cyrillic а, Greek α): a word may use one of them, not two.
LOOK_ALIKE_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")
# Cyrillic and Greek letters drawn like a Latin one, folded to it when looking for near-duplicate values.
_LOOK_ALIKE = str.maketrans("асеорхуіјѕԁһӏАВЕКМНОРСТХІЈЅΑΒΕΖΗΙΚΜΝΟΡΤΥΧοι",
                            "aceopxyijsdhlABEKMHOPCTXIJSABEZHIKMNOPTYXoi")


def _fold(value: str) -> str:
    """What near-duplicate values have in common: NFKC form, look-alike letters as Latin, case folded, and runs of
    spaces as one ("Child  health", "CHILD HEALTH" and "Сhild health" with a Cyrillic С all fold alike)."""
    return " ".join(unicodedata.normalize("NFKC", value).translate(_LOOK_ALIKE).casefold().split())


def _mixed_script(value: str) -> tuple[str, list[str]] | None:
    """The first word of `value` with letters of more than one look-alike script, and those scripts."""
    for word in value.split():
        scripts = {unicodedata.name(ch, "").split(" ")[0] for ch in word if ch.isalpha()} & set(LOOK_ALIKE_SCRIPTS)
        if len(scripts) > 1:
            return word, sorted(s.title() for s in scripts)
    return None


def _terms(check: _Checker, name: str, raw, where: str = "") -> tuple[Term, ...]:
    where = where or f"vocabularies.{name}"
    if not isinstance(raw, list) or not raw:
        check.add(where, "must be a non-empty list of values")
        return ()
    terms, seen, folded = [], set(), {}
    for n, item in enumerate(raw):
        spot = f"{where}[{n}]"
        item = {"value": item} if isinstance(item, str) else item
        if not isinstance(item, dict):
            check.add(spot, "must be a value (text) or an object with 'value'")
            continue
        value = check.text(item, "value", f"{spot}.", exact=True)
        if not value:
            continue
        if value in seen:
            check.add(f"{spot}.value", f"{value!r} is listed twice")
            continue
        if _fold(value) in folded:
            check.add(f"{spot}.value", f"{value!r} and {folded[_fold(value)]!r} differ only in case, spacing, Unicode "
                                       "form or look-alike letters; keep one of them")
            continue
        mixed = _mixed_script(value)
        if mixed:
            check.add(f"{spot}.value", f"{value!r} mixes {' and '.join(mixed[1])} letters in the word {mixed[0]!r} "
                                       "(a look-alike letter?); write each word in one script")
            continue
        seen.add(value)
        folded[_fold(value)] = value
        role = check.text(item, "role", f"{spot}.", required=False, exact=True)
        if role and role not in ROLES.get(name, {}):
            known = ", ".join(ROLES.get(name, {})) or "none"
            check.add(f"{spot}.role", f"{role!r} is not a role of {name} (roles: {known})")
            role = ""
        terms.append(Term(value=value, description=check.text(item, "description", f"{spot}.", required=False),
                          role=role))
    for role in ROLES.get(name, {}):
        holders = [t.value for t in terms if t.role == role]
        if len(holders) > 1:
            check.add(f"{where}", f"the role {role!r} is given to {len(holders)} values ({', '.join(holders)}); "
                                  "give it to one")
    return tuple(terms)


def _disaggregations(check: _Checker, raw: list) -> tuple[tuple[Disaggregation, ...], dict[str, tuple[Term, ...]]]:
    """The disaggregations section: each breakdown's key, label, tables and values (its vocabulary)."""
    out: list[Disaggregation] = []
    values: dict[str, tuple[Term, ...]] = {}
    for n, item in enumerate(raw):
        spot = f"disaggregations[{n}]"
        if not isinstance(item, dict):
            check.add(spot, "must be an object with key, label, tables and values")
            continue
        for extra in item:
            if extra not in ("key", "label", "tables", "description", "iati_name", "values"):
                check.add(f"{spot}.{str(extra)[:40]}", "is not a field of a disaggregation; the fields are "
                                                       "key, label, tables, description, iati_name, values")
        key = check.text(item, "key", f"{spot}.")
        if key and (not DISAGGREGATION_KEY.fullmatch(key) or key.endswith("_role")):
            check.add(f"{spot}.key", f"{key[:40]!r} must be 2 to 32 lower-case letters, digits and _, starting with a "
                                     "letter (it names a column and a link's key, e.g. age_band)")
            key = ""
        elif key in RESERVED_KEYS:
            check.add(f"{spot}.key", f"{key!r} already has a meaning in the dashboard; choose another key")
            key = ""
        elif key in values:
            check.add(f"{spot}.key", f"{key!r} is declared twice")
            key = ""
        label = check.text(item, "label", f"{spot}.")
        tables = item.get("tables")
        if not isinstance(tables, list) or not tables or any(t not in DISAGGREGATION_TABLES for t in tables) \
                or len(set(tables)) != len(tables):
            check.add(f"{spot}.tables", f"must list the tables whose rows carry it, each once, from "
                                        f"{', '.join(DISAGGREGATION_TABLES)}")
            tables = []
        terms = _terms(check, key or "?", item.get("values"), f"{spot}.values")
        if not key or not label or not tables or not terms:
            continue
        values[key] = terms
        out.append(Disaggregation(key=key, label=label, tables=tuple(tables),
                                  description=check.text(item, "description", f"{spot}.", required=False),
                                  iati_name=check.text(item, "iati_name", f"{spot}.", required=False)))
    return tuple(out), values


def _phases(check: _Checker, raw: list, start: dt.date | None, end: dt.date | None) -> tuple[Phase, ...]:
    phases: list[Phase] = []
    if not raw:
        check.add("phases", "must list at least one phase")
    names = set()
    for n, item in enumerate(raw):
        spot = f"phases[{n}]"
        if not isinstance(item, dict):
            check.add(spot, "must be an object with name, first_day and last_day")
            continue
        name = check.text(item, "name", f"{spot}.", exact=True)
        first, last = check.day(item, "first_day", f"{spot}."), check.day(item, "last_day", f"{spot}.")
        if not name or not first or not last:
            continue
        if name in names:
            check.add(f"{spot}.name", f"{name!r} is listed twice")
            continue
        names.add(name)
        if last < first:
            check.add(f"{spot}.last_day", f"{last} is before the phase's first day {first}")
            continue
        if start and end and (first < start or last > end):
            check.add(spot, f"{name} ({first} to {last}) falls outside the programme ({start} to {end})")
        for other in phases:
            if first <= other.last_day and other.first_day <= last:
                check.add(spot, f"{name} ({first} to {last}) overlaps {other.name} "
                                f"({other.first_day} to {other.last_day})")
        phases.append(Phase(name=name, first_day=first, last_day=last))
    return tuple(phases)


def _indicators(check: _Checker, raw: list, structural: set[str]) -> tuple[Indicator, ...]:
    out: list[Indicator] = []
    codes: set[str] = set()
    for n, item in enumerate(raw):
        spot = f"indicators[{n}]"
        if not isinstance(item, dict):
            check.add(spot, "must be an object with code, label and aggregation")
            continue
        code = check.text(item, "code", f"{spot}.", exact=True)
        if code and not re.fullmatch(r"[a-z][a-z0-9_]{0,47}", code):
            check.add(f"{spot}.code", f"{code!r} must be lower-case letters, digits and _ (e.g. patients_seen)")
            code = ""
        if code in codes:
            check.add(f"{spot}.code", f"{code!r} is used twice")
            code = ""
        if code in structural:
            check.add(f"{spot}.code", f"{code!r} is already a metric counted by the dashboard; choose another code")
            code = ""
        aggregation = item.get("aggregation", "sum")
        if aggregation not in AGGREGATIONS:
            check.add(f"{spot}.aggregation", f"{str(aggregation)[:30]!r} is not an aggregation; use one of "
                                             f"{', '.join(AGGREGATIONS)}")
            aggregation = ""
        fmt = item.get("format", "percent" if aggregation == "ratio" else "count")
        if fmt not in FORMATS:
            check.add(f"{spot}.format", f"{str(fmt)[:30]!r} is not a number format; use one of {', '.join(FORMATS)}")
            fmt = "count"
        benefits = item.get("benefits", "partner")
        if benefits not in BENEFITS:
            check.add(f"{spot}.benefits", f"{str(benefits)[:30]!r} must be 'partner' or 'home'")
            benefits = "partner"
        headline = item.get("headline", True)
        if not isinstance(headline, bool):
            check.add(f"{spot}.headline", "must be true or false")
            headline = True
        label = check.text(item, "label", f"{spot}.")
        numerator = check.text(item, "numerator", f"{spot}.", required=aggregation == "ratio", exact=True)
        denominator = check.text(item, "denominator", f"{spot}.", required=aggregation == "ratio", exact=True)
        if not code or not aggregation or not label:
            continue
        codes.add(code)
        out.append(Indicator(code=code, label=label, unit=check.text(item, "unit", f"{spot}.", required=False,
                                                                      default="people"),
                             aggregation=aggregation, fmt=fmt,
                             description=check.text(item, "description", f"{spot}.", required=False),
                             how_counted=check.text(item, "how_counted", f"{spot}.", required=False),
                             numerator=numerator if aggregation == "ratio" else "",
                             denominator=denominator if aggregation == "ratio" else "",
                             headline=headline, benefits=benefits))
    reported = {i.code for i in out if i.reported}
    for n, i in enumerate(out):
        for part in (i.numerator, i.denominator):
            if part and part not in reported:
                check.add(f"indicators[{n}]", f"the ratio {i.code} names {part!r}, which is not a reported "
                                              f"indicator code of this definition ({', '.join(sorted(reported))})")
    return tuple(out)


def _figures(check: _Checker, raw: list, metrics: set[str]) -> tuple[ReferenceFigure, ...]:
    out = []
    for n, item in enumerate(raw):
        spot = f"reference_figures[{n}]"
        if not isinstance(item, dict):
            check.add(spot, "must be an object with metric and value")
            continue
        metric = check.text(item, "metric", f"{spot}.", exact=True)
        if metric and metric not in metrics:
            check.add(f"{spot}.metric", f"{metric!r} is not a metric of this programme")
            metric = ""
        value = item.get("value")
        if not _finite(value):
            check.add(f"{spot}.value", "must be a finite number")
            value = None
        qualifier = item.get("qualifier", "")
        if qualifier not in QUALIFIERS:
            check.add(f"{spot}.qualifier", f"{str(qualifier)[:30]!r} must be one of "
                                           f"{', '.join(repr(q) for q in QUALIFIERS)}")
            qualifier = ""
        as_of = check.day(item, "as_of", f"{spot}.", required=False)
        source = check.text(item, "source", f"{spot}.", required=False)
        note = check.text(item, "note", f"{spot}.", required=False)
        if metric and value is not None:
            out.append(ReferenceFigure(metric=metric, value=value, qualifier=qualifier, as_of=as_of, source=source,
                                       note=note))
    return tuple(out)


def _number(check: _Checker, item: dict, key: str, where: str, *, required: bool = True) -> float | None:
    value = item.get(key)
    if value is None:
        if required:
            check.add(f"{where}{key}", "is missing; give it as a number")
        return None
    if not _finite(value):
        check.add(f"{where}{key}", f"{str(value)[:30]!r} must be a finite number")
        return None
    return float(value)


def _finite(value) -> bool:
    """True for a number a definition can hold: not a bool, NaN or an infinity, and within a float's range."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond a float's range
        return False


GRAINS = ("quarter",)


def _reporting(check: _Checker, raw) -> Reporting:
    """The reporting section: the grain of a return and the deadline, whole days after the period's end (0-366)."""
    if raw is None:
        return Reporting()
    if not isinstance(raw, dict):
        check.add("reporting", "must be an object with grain and deadline_days")
        return Reporting()
    for extra in raw:
        if extra not in ("grain", "deadline_days", "remind_days_before"):
            check.add(f"reporting.{str(extra)[:40]}",
                      "is not a field of reporting; the fields are deadline_days, grain, remind_days_before")
    grain = raw.get("grain", "quarter")
    if grain not in GRAINS:
        check.add("reporting.grain", f"{str(grain)[:30]!r} must be one of {', '.join(repr(g) for g in GRAINS)} "
                                     "(the grain of the results tables)")
        grain = "quarter"
    days = raw.get("deadline_days")
    if days is not None and (isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 366):
        check.add("reporting.deadline_days", f"{str(days)[:30]!r} must be a whole number of days from 0 to 366")
        days = None
    remind = raw.get("remind_days_before")
    if remind is not None and (isinstance(remind, bool) or not isinstance(remind, int) or not 1 <= remind <= 366):
        check.add("reporting.remind_days_before",
                  f"{str(remind)[:30]!r} must be a whole number of days from 1 to 366 (how long before its due date "
                  "a partner is reminded of a return)")
        remind = None
    return Reporting(grain=grain, deadline_days=days, remind_days_before=remind)


def _side(check: _Checker, raw, where: str, known: set[str]) -> tuple:
    """One side of a rule: a number, a name, or a list of names added up."""
    if _finite(raw):
        return (float(raw),)
    names = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) and raw else None
    if names is None or len(names) > 20:
        check.add(where, "must be a number, a metric or indicator name, or a list of up to 20 names to add up")
        return ()
    for n, name in enumerate(names):
        spot = where if isinstance(raw, str) else f"{where}[{n}]"
        if not isinstance(name, str) or name not in known:
            check.add(spot, f"{str(name)[:40]!r} is not a metric of a return or a reported indicator; the names are "
                            f"{', '.join(sorted(known))[:400]}")
            return ()
    return tuple(names)


def _rules(check: _Checker, raw: list, known: set[str]) -> tuple[ValidationRule, ...]:
    """The validation rules: each an id, two sides over known names, an operator, a message and an importance."""
    rules, seen = [], set()
    if len(raw) > RULES_MAX:
        check.add("validation_rules", f"has {len(raw)} rules; a definition holds at most {RULES_MAX}")
        return ()
    for n, item in enumerate(raw):
        where = f"validation_rules[{n}]"
        if not isinstance(item, dict):
            check.add(where, "must be an object with id, left, operator, right, message and importance")
            continue
        for extra in item:
            if extra not in ("id", "left", "operator", "right", "message", "importance"):
                check.add(f"{where}.{str(extra)[:40]}", "is not a field of a rule; the fields are id, importance, left, "
                                                         "message, operator, right")
        rule_id = item.get("id")
        if not isinstance(rule_id, str) or not RULE_ID.fullmatch(rule_id):
            check.add(f"{where}.id", f"{str(rule_id)[:40]!r} is not a rule id: lower-case letters, digits, - and _")
        elif rule_id in seen:
            check.add(f"{where}.id", f"{rule_id!r} is the id of an earlier rule; each rule has its own")
        seen.add(rule_id)
        left = _side(check, item.get("left"), f"{where}.left", known)
        right = _side(check, item.get("right"), f"{where}.right", known)
        operator = item.get("operator")
        if operator not in OPERATORS:
            check.add(f"{where}.operator", f"{str(operator)[:10]!r} must be one of {', '.join(OPERATORS)}")
        if left and right and not any(isinstance(p, str) for p in (*left, *right)):
            check.add(where, "compares two numbers; a rule reads at least one metric or indicator")
        message = check.text(item, "message", f"{where}.")
        importance = item.get("importance", "medium")
        if importance not in IMPORTANCES:
            check.add(f"{where}.importance", f"{str(importance)[:20]!r} must be one of {', '.join(IMPORTANCES)}")
        if left and right and operator in OPERATORS and message and importance in IMPORTANCES and isinstance(rule_id, str):
            rules.append(ValidationRule(rule_id, left, operator, right, message, importance))
    return tuple(rules)


def _outliers(check: _Checker, raw, known: set[str]) -> Outliers:
    """The outlier settings: a threshold above 0, the earlier quarters needed (2-40), the names and the bounds."""
    if raw is None:
        return Outliers()
    if not isinstance(raw, dict):
        check.add("outliers", "must be an object with threshold, min_history, metrics and bounds")
        return Outliers()
    for extra in raw:
        if extra not in ("threshold", "min_history", "metrics", "bounds"):
            check.add(f"outliers.{str(extra)[:40]}", "is not a field of outliers; the fields are bounds, metrics, "
                                                      "min_history, threshold")
    threshold = raw.get("threshold", Outliers.threshold)
    if not _finite(threshold) or not 0 < threshold <= 100:
        check.add("outliers.threshold", f"{str(threshold)[:30]!r} must be a number above 0 (3.5 is usual)")
        threshold = Outliers.threshold
    history = raw.get("min_history", Outliers.min_history)
    if isinstance(history, bool) or not isinstance(history, int) or not 2 <= history <= 40:
        check.add("outliers.min_history", f"{str(history)[:30]!r} must be a whole number of quarters from 2 to 40")
        history = Outliers.min_history
    names = raw.get("metrics", [])
    if not isinstance(names, list) or any(n not in known for n in names):
        wrong = [str(n)[:40] for n in names if n not in known] if isinstance(names, list) else [str(names)[:40]]
        check.add("outliers.metrics", f"{', '.join(wrong)} is not a metric of a return or a reported indicator")
        names = []
    bounds = []
    given = raw.get("bounds", {})
    if not isinstance(given, dict):
        check.add("outliers.bounds", "must be an object: name -> {min, max}")
        given = {}
    for name, limits in given.items():
        where = f"outliers.bounds.{str(name)[:40]}"
        if name not in known:
            check.add(where, "is not a metric of a return or a reported indicator")
            continue
        if not isinstance(limits, dict) or not limits or set(limits) - {"min", "max"}:
            check.add(where, "must be an object with min and/or max")
            continue
        low, high = (_number(check, limits, k, f"{where}.", required=False) for k in ("min", "max"))
        if low is not None and high is not None and high < low:
            check.add(f"{where}.max", f"{high:g} is below min {low:g}")
            continue
        bounds.append((name, low, high))
    return Outliers(threshold=float(threshold), min_history=history, names=tuple(names), bounds=tuple(bounds))


def _results(check: _Checker, raw) -> Results:
    """The results section: score bands that start at 0 %, follow on without gap or overlap, and end open."""
    if raw is None:
        return Results()
    if not isinstance(raw, dict):
        check.add("results", "must be an object with bands and between_milestones")
        return Results()
    reading = raw.get("between_milestones", "interpolate")
    if reading not in READINGS:
        check.add("results.between_milestones", f"{str(reading)[:30]!r} must be one of "
                                                f"{', '.join(repr(r) for r in READINGS)}")
        reading = "interpolate"
    if "bands" not in raw:
        return Results(between_milestones=reading)
    bands: list[Band] = []
    scores: set[str] = set()
    for n, item in enumerate(check.items(raw, "bands", "results.")):
        spot = f"results.bands[{n}]"
        if not isinstance(item, dict):
            check.add(spot, "must be an object with score, from and to")
            continue
        score = check.text(item, "score", f"{spot}.", exact=True)
        low = _number(check, item, "from", f"{spot}.")
        high = _number(check, item, "to", f"{spot}.", required=False)
        if score in scores:
            check.add(f"{spot}.score", f"{score!r} is listed twice")
            continue
        if low is not None and high is not None and high <= low:
            check.add(f"{spot}.to", f"{high:g} % is not above the band's 'from' ({low:g} %)")
            continue
        if score and low is not None:
            scores.add(score)
            bands.append(Band(score=score, low=low, high=high,
                              meaning=check.text(item, "meaning", f"{spot}.", required=False)))
    if not bands:
        check.add("results.bands", "must list at least one band (score, from, to)")
        return Results(between_milestones=reading)
    bands.sort(key=lambda b: b.low)
    if bands[0].low != 0:
        check.add("results.bands", f"the lowest band ({bands[0].score}) starts at {bands[0].low:g} %; "
                                   "the bands must start at 0 %")
    for before, after in zip(bands, bands[1:]):
        if before.high is None or before.high > after.low:
            check.add("results.bands", f"{before.score} and {after.score} overlap: {before.score} runs to "
                                       f"{'no upper edge' if before.high is None else f'{before.high:g} %'}, "
                                       f"{after.score} starts at {after.low:g} %")
        elif before.high < after.low:
            check.add("results.bands", f"there is a gap between {before.score} (to {before.high:g} %) and "
                                       f"{after.score} (from {after.low:g} %): a % achieved in it has no score")
    if bands[-1].high is not None:
        check.add("results.bands", f"the highest band ({bands[-1].score}) ends at {bands[-1].high:g} %; "
                                   "leave its 'to' out so that every % above it scores too")
    return Results(bands=tuple(bands), between_milestones=reading)


def _iati(check: _Checker, raw, themes: tuple[str, ...]) -> Iati | None:
    """The IATI section: organisation references and types, and a DAC purpose code for themes."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        check.add("iati", "must be an object with reporting_org_ref and sectors")
        return None
    where = "iati."
    ref = check.text(raw, "reporting_org_ref", where, exact=True)
    if ref and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.:/-]{2,99}", ref):
        check.add("iati.reporting_org_ref", f"{ref[:40]!r} is not an organisation identifier (e.g. GB-CHC-1113226)")
    codes = {}
    for key in ("reporting_org_type", "funder_type"):
        value = check.text(raw, key, where, required=False, exact=True)
        if value and not re.fullmatch(r"[0-9]{2}", value):
            check.add(f"iati.{key}", f"{value[:20]!r} is not an IATI OrganisationType code (two digits, e.g. 21)")
        codes[key] = value
    sectors_raw = raw.get("sectors", {})
    sectors: dict[str, str] = {}
    if not isinstance(sectors_raw, dict):
        check.add("iati.sectors", "must be an object: theme -> DAC 5-digit purpose code")
        sectors_raw = {}
    for theme, code in sectors_raw.items():
        if theme not in themes:
            check.add(f"iati.sectors.{str(theme)[:40]}", "is not a theme of vocabularies.theme")
        elif not isinstance(code, str) or not re.fullmatch(r"[0-9]{5}", code):
            check.add(f"iati.sectors.{theme}", f"{str(code)[:20]!r} is not a DAC 5-digit purpose code (e.g. 12181)")
        else:
            sectors[theme] = code
    language = check.text(raw, "language", where, required=False, default="en", exact=True)
    if not iso639.is_code(language):
        check.add("iati.language", f"{language[:20]!r} is not an ISO 639-1 language code: two lower-case letters "
                                   "(e.g. en, fr, pt)")
        language = "en"
    known = {"reporting_org_ref", "reporting_org_type", "funder_ref", "funder_type", "activity_prefix", "language",
             "sectors", *IATI_CHOICES}
    for extra in raw:
        if extra not in known:
            check.add(f"iati.{str(extra)[:40]}", f"is not a field of the IATI section; the fields are "
                                                 f"{', '.join(sorted(known))}")
    return Iati(reporting_org_ref=ref, reporting_org_type=codes["reporting_org_type"] or "21",
                funder_ref=check.text(raw, "funder_ref", where, required=False, exact=True),
                funder_type=codes["funder_type"] or "10",
                activity_prefix=check.text(raw, "activity_prefix", where, required=False, exact=True),
                language=language,
                sectors=sectors or None, **_iati_choices(check, raw, themes))


def _iati_choices(check: _Checker, raw: dict, themes: tuple[str, ...]) -> dict:
    """The IATI section's mapping choices (IATI_CHOICES), each checked where it is written."""
    out: dict = {}
    roles = raw.get("lead_roles", [])
    if not isinstance(roles, list) or any(r not in LEAD_ROLES for r in roles) or len(set(roles)) != len(roles):
        check.add("iati.lead_roles", f"must be a list of different roles among {', '.join(LEAD_ROLES)}")
    elif roles:
        out["lead_roles"] = tuple(roles)
    required = raw.get("partner_required", False)
    if not isinstance(required, bool):
        check.add("iati.partner_required", "must be true or false")
    else:
        out["partner_required"] = required
    for key, allowed in (("several_countries", ("largest", "refuse")), ("amounts", ("budgets-or-commitments",
                                                                                    "budgets"))):
        value = check.text(raw, key, "iati.", required=False, exact=True)
        if value and value not in allowed:
            check.add(f"iati.{key}", f"{value[:30]!r} is not one of {', '.join(allowed)}")
        elif value:
            out[key] = value
    level = raw.get("hierarchy", 0)
    if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= 9:
        check.add("iati.hierarchy", "must be a whole number from 1 to 9 (0 or absent: the lowest level in the file)")
    elif level:
        out["hierarchy"] = level
    fallback = check.text(raw, "fallback_theme", "iati.", required=False, exact=True)
    if fallback and fallback not in themes:
        check.add("iati.fallback_theme", f"{fallback[:40]!r} is not a theme of vocabularies.theme")
    elif fallback:
        out["fallback_theme"] = fallback
    mapped = raw.get("sector_themes", {})
    if not isinstance(mapped, dict):
        check.add("iati.sector_themes", "must be an object: sector vocabulary -> {code: theme}")
        mapped = {}
    sector_themes: dict[str, dict[str, str]] = {}
    for vocabulary, codes in mapped.items():
        spot = f"iati.sector_themes.{str(vocabulary)[:10]}"
        if vocabulary not in SECTOR_VOCABULARIES:
            check.add(spot, f"is not a sector vocabulary read here; they are "
                            f"{'; '.join(f'{k} ({v})' for k, v in SECTOR_VOCABULARIES.items())}")
            continue
        if not isinstance(codes, dict):
            check.add(spot, "must be an object: code -> theme")
            continue
        for code, theme in codes.items():
            if theme not in themes:
                check.add(f"{spot}.{str(code)[:20]}", f"{str(theme)[:40]!r} is not a theme of vocabularies.theme")
            elif vocabulary == "1" and not re.fullmatch(r"[0-9]{5}", code):
                check.add(f"{spot}.{code[:20]}", "is not a DAC 5-digit purpose code (e.g. 12181)")
            elif vocabulary == "2" and not re.fullmatch(r"[0-9]{3}", code):
                check.add(f"{spot}.{code[:20]}", "is not a DAC 3-digit sector code (e.g. 121)")
            else:
                sector_themes.setdefault(vocabulary, {})[code] = theme
    if sector_themes:
        out["sector_themes"] = sector_themes
    rates = raw.get("exchange_rates", {})
    if not isinstance(rates, dict):
        check.add("iati.exchange_rates", "must be an object: currency -> {year: rate}")
        rates = {}
    exchange: dict[str, dict[str, float]] = {}
    for currency, years in rates.items():
        spot = f"iati.exchange_rates.{str(currency)[:10]}"
        if not iso4217.is_code(currency):
            check.add(spot, "is not an ISO 4217 currency code (three capital letters, e.g. USD)")
            continue
        if not isinstance(years, dict) or not years:
            check.add(spot, "must be an object: year -> rate, e.g. {\"2019\": 0.78}")
            continue
        for year, rate in years.items():
            if not re.fullmatch(r"(19|20)[0-9]{2}", str(year)):
                check.add(f"{spot}.{str(year)[:10]}", "is not a year (four digits, e.g. 2019)")
            elif isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 < rate < 1e9 \
                    or not math.isfinite(rate):
                check.add(f"{spot}.{year}", f"{str(rate)[:20]!r} is not a rate: a number above 0")
            else:
                exchange.setdefault(currency, {})[str(year)] = float(rate)
    if exchange:
        out["exchange_rates"] = exchange
    return out


def _publish(check: _Checker, raw) -> Publish:
    """The publish section: the project fields a public site shows, its licence and its small-cell threshold."""
    if raw is None:
        return Publish()
    if not isinstance(raw, dict):
        check.add("publish", "must be an object with project_fields, licence and suppress_below")
        return Publish()
    for extra in raw:
        if extra not in ("project_fields", "licence", "suppress_below"):
            check.add(f"publish.{str(extra)[:40]}", "is not a field of publish; the fields are licence, project_fields, "
                                                    "suppress_below")
    fields = DEFAULT_PUBLIC_FIELDS
    if "project_fields" in raw:
        listed = raw["project_fields"]
        if not isinstance(listed, list):
            check.add("publish.project_fields", f"must be a list of project fields ({', '.join(PUBLIC_PROJECT_FIELDS)})")
            listed = []
        kept = []
        for n, name in enumerate(listed):
            if name not in PUBLIC_PROJECT_FIELDS:
                check.add(f"publish.project_fields[{n}]", f"{str(name)[:40]!r} is not a project field a site can show; "
                                                          f"use {', '.join(PUBLIC_PROJECT_FIELDS)}")
            elif name in kept:
                check.add(f"publish.project_fields[{n}]", f"{name!r} is listed twice")
            else:
                kept.append(name)
        fields = tuple(kept)
    licence = check.text(raw, "licence", "publish.", required=False)
    threshold = raw.get("suppress_below", Publish().suppress_below)
    if isinstance(threshold, bool) or not isinstance(threshold, int) or not 0 <= threshold <= SUPPRESS_MAX:
        check.add("publish.suppress_below", f"{str(threshold)[:30]!r} must be a whole number from 0 to {SUPPRESS_MAX}"
                                            " (counts below it are shown as 'fewer than N'; 0: none)")
        threshold = Publish().suppress_below
    return Publish(project_fields=fields, licence=licence, suppress_below=threshold)


def _translations(check: _Checker, raw, vocabularies: dict[str, tuple[Term, ...]], indicators: tuple[Indicator, ...],
                  own_keys: set[str]) -> dict[str, Translation]:
    """The `translations` section: language -> {name, short_name, description, terms: {vocabulary: {value: label}},
    indicators: {code: {label, description, how_counted}}, disaggregations: {key: label}}, each naming only what the
    definition has."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        check.add("translations", "must be an object: language code (fr, pt, es) -> the programme's texts in it")
        return {}
    codes = {i.code: i for i in indicators}
    out = {}
    for language, given in raw.items():
        where = f"translations.{str(language)[:16]}"
        if language not in i18n.TRANSLATED:
            check.add(where, f"is not a language the interface is translated into; they are {', '.join(i18n.TRANSLATED)}")
            continue
        if not isinstance(given, dict):
            check.add(where, "must be an object with name, short_name, description, terms and indicators")
            continue
        for extra in sorted(map(str, set(given) - {*TRANSLATED_FIELDS, "terms", "indicators", "disaggregations"})):
            check.add(f"{where}.{extra[:40]}", "is not a field of a translation; they are "
                                              f"{', '.join(TRANSLATED_FIELDS)}, terms, indicators, disaggregations")
        texts = {name: check.text(given, name, f"{where}.", required=False) for name in TRANSLATED_FIELDS}
        terms: dict[str, dict[str, str]] = {}
        raw_terms = given.get("terms", {})
        if not isinstance(raw_terms, dict):
            check.add(f"{where}.terms", "must be an object: vocabulary -> {value: label}")
            raw_terms = {}
        for vocabulary, labels in raw_terms.items():
            at = f"{where}.terms.{str(vocabulary)[:40]}"
            if vocabulary not in vocabularies:
                check.add(at, f"is not a vocabulary of the programme; they are {', '.join(vocabularies)}")
                continue
            if not isinstance(labels, dict):
                check.add(at, "must be an object: value -> its label in this language")
                continue
            allowed = {t.value for t in vocabularies[vocabulary]}
            terms[vocabulary] = {}
            for value in labels:
                if value not in allowed:
                    check.add(f"{at}.{str(value)[:40]}", f"is not a value of the vocabulary {vocabulary}")
                    continue
                terms[vocabulary][value] = check.text(labels, value, f"{at}.")
        found: dict[str, dict[str, str]] = {}
        raw_indicators = given.get("indicators", {})
        if not isinstance(raw_indicators, dict):
            check.add(f"{where}.indicators", "must be an object: indicator code -> {label, description, how_counted}")
            raw_indicators = {}
        for code, item in raw_indicators.items():
            at = f"{where}.indicators.{str(code)[:40]}"
            if code not in codes:
                check.add(at, f"is not an indicator of the programme; they are {', '.join(codes) or 'none'}")
                continue
            if not isinstance(item, dict) or set(item) - set(INDICATOR_TEXTS):
                check.add(at, f"must be an object with some of {', '.join(INDICATOR_TEXTS)}")
                continue
            found[code] = {name: text for name in INDICATOR_TEXTS
                           if (text := check.text(item, name, f"{at}.", required=False))}
        breakdowns = {}
        raw_breakdowns = given.get("disaggregations", {})
        if not isinstance(raw_breakdowns, dict):
            check.add(f"{where}.disaggregations", "must be an object: a breakdown's key -> its label")
            raw_breakdowns = {}
        for key in raw_breakdowns:
            if key not in own_keys:
                check.add(f"{where}.disaggregations.{str(key)[:40]}", "is not a disaggregation of the programme")
            else:
                breakdowns[key] = check.text(raw_breakdowns, key, f"{where}.disaggregations.")
        out[language] = Translation(**texts, terms=terms, indicators=found, disaggregations=breakdowns)
    return out


def parse(data, file: str = FILE) -> Programme:
    """A programme from the JSON object of `programme.json`; DefinitionError lists every problem."""
    from impact.model.metrics import METRICS, RETURN_METRICS  # the structural metrics counted in code

    check = _Checker()
    if not isinstance(data, dict):
        raise DefinitionError([("(file)", "must hold one JSON object")], file)
    pid = data.get("id")
    if not isinstance(pid, str) or not ID_PATTERN.fullmatch(pid):
        check.add("id", f"{str(pid)[:40]!r} is not a programme id: 2 to 32 lower-case letters, digits or '-', "
                        "starting with a letter (it appears in links: ?programme=hps)")
    name = check.text(data, "name", "")
    start, end = check.day(data, "start", ""), check.day(data, "end", "")
    if start and end and end < start:
        check.add("end", f"{end} is before the programme's start {start}")
        end = None
    vocabularies_raw = data.get("vocabularies", {})
    vocabularies: dict[str, tuple[Term, ...]] = {}
    if not isinstance(vocabularies_raw, dict):
        check.add("vocabularies", "must be an object: vocabulary name -> list of values")
        vocabularies_raw = {}
    for vocab in VOCABULARIES:
        if vocab not in vocabularies_raw:
            check.add(f"vocabularies.{vocab}", f"is missing ({VOCABULARIES[vocab]})")
            continue
        vocabularies[vocab] = _terms(check, vocab, vocabularies_raw[vocab])
    for extra in vocabularies_raw:
        if extra not in VOCABULARIES:
            check.add(f"vocabularies.{str(extra)[:40]}", f"is not a vocabulary; the vocabularies are "
                                                         f"{', '.join(VOCABULARIES)}")
    indicators = _indicators(check, check.items(data, "indicators"), set(METRICS))
    figures = _figures(check, check.items(data, "reference_figures"), set(METRICS) | {i.code for i in indicators})
    illustrative = data.get("illustrative", False)
    if not isinstance(illustrative, bool):
        check.add("illustrative", "must be true or false")
    disaggregations, own_values = _disaggregations(check, check.items(data, "disaggregations"))
    vocabularies.update(own_values)
    known = {"id", "name", "short_name", "funder", "managed_by", "currency", "start", "end", "phases",
             "vocabularies", "indicators", "reference_figures", "illustrative", "description", "results", "reporting",
             "iati", "disaggregations", "fiscal_year_start", "publish",
             "validation_rules", "outliers", "translations"}
    fiscal_year_start = data.get("fiscal_year_start", 1)
    if isinstance(fiscal_year_start, bool) or not isinstance(fiscal_year_start, int) or not 1 <= fiscal_year_start <= 12:
        check.add("fiscal_year_start", f"{str(fiscal_year_start)[:20]!r} is not a month: write the month the financial "
                                       "year starts in as a whole number from 1 (January) to 12 (4: April)")
        fiscal_year_start = 1
    for extra in data:
        if extra not in known:
            check.add(str(extra)[:40], f"is not a field of a programme definition; the fields are {', '.join(sorted(known))}")
    programme_fields = dict(
        short_name=check.text(data, "short_name", "", required=False, default=name),
        funder=check.text(data, "funder", "", required=False),
        managed_by=check.text(data, "managed_by", "", required=False),
        currency=check.text(data, "currency", "", required=False, default="GBP", exact=True),
        description=check.text(data, "description", "", required=False),
    )
    if not iso4217.is_code(programme_fields["currency"]):
        check.add("currency", f"{programme_fields['currency'][:30]!r} is not an ISO 4217 currency code: three capital "
                              "letters (e.g. GBP, USD, EUR)")
    phases = _phases(check, check.items(data, "phases"), start, end)
    results = _results(check, data.get("results"))
    reporting = _reporting(check, data.get("reporting"))
    iati = _iati(check, data.get("iati"), tuple(t.value for t in vocabularies.get("theme", ())))
    publish = _publish(check, data.get("publish"))
    checkable = set(RETURN_METRICS) | {i.code for i in indicators if i.reported}
    rules = _rules(check, check.items(data, "validation_rules"), checkable)
    outliers = _outliers(check, data.get("outliers"), checkable)
    translations = _translations(check, data.get("translations"), vocabularies, indicators,
                                 {d.key for d in disaggregations})
    if check.problems:
        raise DefinitionError(check.problems, file)
    return Programme(id=pid, name=name, start=start, end=end, phases=phases, vocabularies=vocabularies,
                     indicators=indicators, reference_figures=figures, illustrative=bool(illustrative),
                     results=results, reporting=reporting, iati=iati, disaggregations=disaggregations,
                     fiscal_year_start=fiscal_year_start, publish=publish,
                     validation_rules=rules, outliers=outliers, translations=translations, **programme_fields)


def read(path: str | Path) -> Programme:
    """Read and check a `programme.json` (DefinitionError, naming the file, when it cannot be used)."""
    return parse(read_json(path), Path(path).name)


def read_json(path: str | Path):
    """The JSON value of a `programme.json` file, read as `loads` reads it (at most 2 MB of UTF-8 text)."""
    path = Path(path)
    if path.stat().st_size > 2_000_000:
        raise DefinitionError([("(file)", "is larger than 2 MB; a definition is a few kilobytes")], path.name)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise DefinitionError([("(file)", "is not UTF-8 text")], path.name) from None
    return loads(text, path.name)


# ---- reading a definition's JSON strictly -------------------------------------------------------
# Every reader of a programme.json (`read`, and the store reading a definition's id) goes through `loads`, so
# no definition reaches `parse` nested deeper than DEPTH_MAX, with a key given twice in one object, with NaN,
# an infinity or a float beyond range (1e400), or with a whole number of more than DIGITS_MAX digits.

_BRACKET_OR_QUOTE = re.compile(r'["\[\]{}]')
_STRING_REST = re.compile(r'[^"\\]*+(?:\\.[^"\\]*+)*+"', re.DOTALL)  # possessive: each string scanned once


class _Refused:
    """A number `loads` does not take, left in its place so that the walk after parsing can name its field."""

    def __init__(self, why: str):
        self.why = why


class _Repeated(dict):
    """A JSON object that gave a key more than once (`repeated` lists those keys)."""

    repeated: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, object]]) -> dict:
    from collections import Counter

    out = dict(pairs)
    if len(out) == len(pairs):
        return out
    marked = _Repeated(out)
    marked.repeated = tuple(key for key, times in Counter(key for key, _ in pairs).items() if times > 1)
    return marked


def _float(text: str):
    value = float(text)
    return value if math.isfinite(value) else _Refused(f"{text[:30]} is beyond the range of a number; "
                                                       "give a finite number")


def _int(text: str):
    digits = len(text.lstrip("-"))
    if digits > DIGITS_MAX:
        return _Refused(f"is a whole number of {digits:,} digits; a definition's numbers have at most {DIGITS_MAX}")
    return int(text)


def _constant(text: str):
    return _Refused(f"{text} is not a finite number; give a number")


def _too_deep(text: str) -> int | None:
    """Where in `text` the JSON opens its (DEPTH_MAX + 1)th nested level, if it does."""
    depth, at = 0, 0
    while (found := _BRACKET_OR_QUOTE.search(text, at)) is not None:
        at = found.end()
        if found.group() == '"':
            rest = _STRING_REST.match(text, at)
            if rest is None:
                return None  # an unterminated string: json says where
            at = rest.end()
        elif found.group() in "[{":
            depth += 1
            if depth > DEPTH_MAX:
                return found.start()
        else:
            depth -= 1
    return None


def _walk(value, where: str, problems: list[tuple[str, str]]) -> None:
    """Add the refused numbers and repeated keys of a parsed value to `problems`, each with its field."""
    if isinstance(value, _Refused):
        problems.append((where or "(file)", value.why))
    elif isinstance(value, dict):
        for key in getattr(value, "repeated", ()):
            problems.append((f"{where}.{key[:40]}" if where else key[:40],
                             f"the key {key[:40]!r} is given more than once in the same object; give it once"))
        for key, item in value.items():
            _walk(item, f"{where}.{key[:40]}" if where else key[:40], problems)
    elif isinstance(value, list):
        for n, item in enumerate(value):
            _walk(item, f"{where}[{n}]", problems)


def loads(text: str, file: str = FILE):
    """The JSON value of a definition's text, read strictly: DefinitionError, with the line and column or the
    field, for text that is not JSON, nests deeper than DEPTH_MAX levels, gives a key twice in one object, or holds
    NaN, an infinity, a float beyond range or a whole number of more than DIGITS_MAX digits."""
    deep = _too_deep(text)
    if deep is not None:
        line = text.count("\n", 0, deep) + 1
        column = deep - text.rfind("\n", 0, deep)
        raise DefinitionError([(f"line {line}, column {column}", f"is nested more than {DEPTH_MAX} levels deep; "
                                                                 "a definition is a few levels deep")], file)
    try:
        data = json.loads(text, object_pairs_hook=_object, parse_float=_float, parse_int=_int,
                          parse_constant=_constant)
    except json.JSONDecodeError as error:
        raise DefinitionError([(f"line {error.lineno}, column {error.colno}", f"is not valid JSON: {error.msg}")],
                              file) from None
    except (ValueError, RecursionError) as error:  # guarded against above; kept so that no reader sees a traceback
        raise DefinitionError([("(file)", f"cannot be read: {str(error)[:100]}")], file) from None
    problems: list[tuple[str, str]] = []
    _walk(data, "", problems)
    if problems:
        raise DefinitionError(problems, file)
    return data


INFERRED_ID = "main"  # the id of a store made before extracts carried their definition


def infer(folder: str | Path) -> Programme:
    """A definition read off an extract that has none: every value the data uses, in alphabetical order,
    its periods' window, its projects' phases (from their start dates) and its outcome codes as sums.

    It keeps stores from before programme definitions working unchanged; `export-extract` writes it out
    as `programme.json`, to be edited and imported like any definition.
    """
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from impact.model import schema

    folder = Path(folder)

    def column(table: str, name: str):
        return pq.read_table(folder / f"{table}.parquet", columns=[name]).column(name)

    vocabularies = {}
    for table in schema.TABLES:
        for col in table.columns:
            if col.vocabulary in VOCABULARIES:
                values = sorted(v for v in pc.unique(column(table.name, col.name)).to_pylist() if v)
                vocabularies[col.vocabulary] = tuple(Term(value=v) for v in values) or (Term(value="(none)"),)
    days = [d for t in schema.FACT_TABLES for d in pc.unique(column(t, "period")).to_pylist() if d]
    starts = column("projects", "start_date").to_pylist()
    ends = column("projects", "end_date").to_pylist()
    start = min([*days, *starts], default=dt.date(2000, 1, 1))
    latest = max([*days, *ends], default=start)
    end = calendar.quarter_end(latest)
    by_phase: dict[str, list[dt.date]] = {}
    for phase, day in zip(column("projects", "phase").to_pylist(), starts):
        by_phase.setdefault(phase, []).append(day)
    ordered = sorted(by_phase, key=lambda name: min(by_phase[name]))
    phases = []
    for n, name in enumerate(ordered):
        first = start if n == 0 else min(by_phase[name])
        last = (min(by_phase[ordered[n + 1]]) - dt.timedelta(days=1)) if n + 1 < len(ordered) else end
        phases.append(Phase(name=name, first_day=first, last_day=max(first, last)))
    codes = sorted(v for v in pc.unique(column("outcomes", "indicator")).to_pylist() if v)
    indicators = tuple(Indicator(code=c, label=c.replace("_", " ").capitalize(), how_counted="Values reported, added up.")
                       for c in codes)
    return Programme(id=INFERRED_ID, name="Programme", short_name="Programme", funder="", managed_by="",
                     currency="GBP", start=start, end=end, phases=tuple(phases), vocabularies=vocabularies,
                     indicators=indicators,
                     description=f"Inferred from the data: this extract has no {FILE} yet. Export it with "
                                 "python -m impact export-extract, edit programme.json and import it.")


def load(folder: str | Path) -> Programme:
    """The definition stored with an extract folder (FileNotFoundError if it has none)."""
    path = Path(folder) / FILE
    if not path.is_file():
        raise FileNotFoundError(f"{Path(folder)} has no {FILE}: every extract carries its programme's definition")
    return read(path)

