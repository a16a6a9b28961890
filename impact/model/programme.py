"""A programme, defined as data: identity, window, phases, vocabularies, indicators and reference figures.

Every extract carries its programme's definition as `programme.json` beside its tables. The
importer validates it (`parse` reports each problem with its field), checks the data against it,
and versions it with the tables; the app, the exports and the command line read vocabularies,
indicators, phases, titles and published figures from it. Nothing about any one programme is
written in code: the HPS is one definition among others (its definition is written by the
generator of the illustrative extracts).

Its format is declared once, in the JSON Schema beside this module (programme.schema.json: every key, its form and
its description); `parse` validates a definition against it, runs SEMANTIC_CHECKS (what a schema cannot say:
cross-references, unique values, phases in the window) and builds the Programme. The file, in short (see the
schema or the data dictionary for every key)::

    {"id": "hps", "name": "...", "short_name": "...", "funder": "...", "managed_by": "...",
     "currency": "GBP", "start": "2011-07-01", "end": "2019-03-31", "illustrative": true,
     "home": {"countries": ["GBR"], "sides": {"home": "UK", "overseas": "Overseas"}, "in_sentence": "the UK"},
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
import functools
import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from impact.model import calendar, i18n, iso639, iso3166, iso4217
from impact.model.i18n import N_

FILE = "programme.json"
# The definition's format, declared once: every key, its type, whether it is required, its allowed values, pattern
# or range and its description (what the data dictionary and editors show). `parse` validates a definition against
# it, then runs SEMANTIC_CHECKS (what a schema cannot say), then builds the Programme.
SCHEMA_FILE = Path(__file__).with_name("programme.schema.json")
SCHEMA: dict = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def declared(*path: str) -> dict:
    """The schema of the key at `path` in a definition ("iati", "lead_roles"; "indicators", "code" for a key of a
    list's items), its local `$ref` followed."""
    node = SCHEMA
    for key in path:
        node = resolve(node.get("items", node))["properties"][key]
    return resolve(node)


def resolve(node: dict) -> dict:
    """A schema with its `$ref` to the schema's own `$defs` followed (the keys beside the `$ref` kept over it)."""
    while "$ref" in node:
        target = SCHEMA
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def declared_keys() -> list[tuple[str, dict, bool]]:
    """Every key the schema declares, in its order, as (path, its schema with `$ref` followed, required): `indicators[].code` for a key
    of a list's items, `iati.sectors.*` for a key a map names; a form shared by several keys (a vocabulary's values)
    is walked into once."""
    rows: list[tuple[str, dict, bool]] = []
    seen: set[str] = set()

    def walk(node: dict, path: str) -> None:
        if node.get("$ref") in seen:
            return
        seen.add(node.get("$ref", ""))
        node = resolve(node)
        for key, child in node.get("properties", {}).items():
            rows.append((f"{path}.{key}" if path else key, resolve(child), key in node.get("required", ())))
            walk(child, f"{path}.{key}" if path else key)
        if isinstance(node.get("additionalProperties"), dict):
            rows.append((f"{path}.*", resolve(node["additionalProperties"]), False))
            walk(node["additionalProperties"], f"{path}.*")
        if isinstance(node.get("items"), dict):
            walk(node["items"], f"{path}[]")
        for branch in node.get("anyOf", ()):
            walk(branch, path)

    walk(SCHEMA, "")
    return rows


def _allowed(*path: str) -> tuple:
    schema = declared(*path)
    return tuple(schema.get("items", schema)["enum"])


ID_PATTERN = re.compile(declared("id")["pattern"])  # URL-safe: ?programme=hps
AGGREGATIONS = _allowed("indicators", "aggregation")
FORMATS = _allowed("indicators", "format")
QUALIFIERS = _allowed("reference_figures", "qualifier")
BENEFITS = _allowed("indicators", "benefits")
_QUALIFIER_WORDS = (N_("over"), N_("more than"), N_("about"), N_("almost"), N_("a further"), N_("at least"))  # shown
# in the reader's language (ReferenceFigure.text): the catalogue's words for QUALIFIERS
# The vocabularies a definition gives (one per categorical column of the extract), and the roles a
# value can play in the metrics counted in code (women trained, trainers, cascade, days overseas...).
VOCABULARIES: dict[str, str] = {name: item["description"]
                                for name, item in declared("vocabularies")["properties"].items()}
ROLES: dict[str, dict[str, str]] = {
    "gender": {"women": N_("counted as women (women trained, women's share)")},
    "training_type": {"trainers": N_("trainers trained (training of trainers)"),
                      "cascade": N_("trained by trainers the partnership trained (cascade)")},
    "location": {"overseas": N_("days given in the partner country"),
                 "home": N_("days given from the funder's country")},
}
TEXT_MAX = 300  # the `line` format of the schema: one line of at most this many printable characters
# A disaggregation is a further breakdown of the fact tables the definition declares (age band, disability...):
# a column of each table it names, its values a vocabulary of its own. Its key is that column's name, a filter's
# key in links and a choice of the explorer's "by", so it may not be any name the product already gives a meaning.
DISAGGREGATION_TABLES = _allowed("disaggregations", "tables")
RESERVED_KEYS = frozenset({
    # the structural dimensions and the columns of the fact tables (and what the compile adds to them)
    "time", "slot", "phase", "region", "country", "theme", "grant_type", "cadre", "gender", "training_type",
    "location", "profession", "project_id", "iso3", "period", "next_period", "trainees", "volunteers",
    "volunteer_days", "indicator", "value", "category", "category2", "label", "label2", "grouping", "filters",
    # the keys of the app's links
    "from", "to", "grant", "programme", "metric", "by", "split", "grain", "chart", "cmp", "a", "b", "q", "project",
    "map", "asof", "score", "years", "pregion", "pcountry", "deck", "slide", "version", "lang",
    # the other vocabularies (metric and indicator are above)
    *VOCABULARIES})
# How a definition's JSON is read (`loads`): its nesting, and the digits of a whole number, are bounded.
DEPTH_MAX = 64
DIGITS_MAX = 20
# How progress against a target is read (see `Results`): a milestone between two due dates.
READINGS = _allowed("results", "between_milestones")
OPERATORS = _allowed("validation_rules", "operator")
IMPORTANCES = _allowed("validation_rules", "importance")
RULES_MAX = SCHEMA["properties"]["validation_rules"]["maxItems"]


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


LEAD_ROLES = _allowed("iati", "lead_roles")  # the default order a project's lead is looked for in
SECTOR_VOCABULARIES = {key: item["description"] for key, item in declared("iati", "sector_themes")["properties"].items()}
IATI_CHOICES: dict[str, str] = {  # the mapping choices of the iati section, as the data dictionary shows them
    key: item["description"] for key, item in declared("iati")["properties"].items() if item.get("x-choice")}


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
    several_countries: str = ""  # "largest" (default): the country with the largest share; "split"; "refuse"
    hierarchy: int = 0  # the hierarchy level imported; 0: the lowest level present in the file
    sector_themes: dict[str, dict[str, str]] | None = None  # sector vocabulary -> code -> theme
    fallback_theme: str = ""  # the theme of an activity no sector maps (empty: such an activity is refused)
    regions: dict[str, str] | None = None  # IATI region code -> programme region (a region only: country not known)
    indicators: dict[str, str] | None = None  # IATI indicator reference code or title -> metric or indicator key
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


NOT_KNOWN = "not known"  # the side of an organisation read from IATI whose country nobody gives
SIDE_ROLES = ("home", "overseas")  # the two sides of a partnership, as the compiled data and the metrics name them
HOME_FIELDS: dict[str, str] = {  # the home section, as the data dictionary shows it
    key: item["description"] for key, item in declared("home")["properties"].items()}


@dataclass(frozen=True, kw_only=True)
class Home:
    """Who is "home": the programme's home country or countries and the labels of the two sides of a partnership.
    The labels are the values `institutions.side` holds and make the project roles ("UK lead"); a definition without
    a home section is the HPS's (GBR; "UK" and "Overseas"), so definitions written before it still read."""

    countries: tuple[str, ...] = ("GBR",)
    home: str = "UK"
    overseas: str = "Overseas"
    in_sentence: str = "the UK"

    @property
    def sides(self) -> tuple[str, ...]:
        """The values of institutions.side: the home label, the overseas label and not known."""
        return (self.home, self.overseas, NOT_KNOWN)

    def label(self, side_role: str) -> str:
        """The label of a side by its role (home, overseas)."""
        return self.home if side_role == "home" else self.overseas

    def lead(self, side_role: str) -> str:
        """The project role of a side's lead: "UK lead", "Overseas lead"."""
        return f"{self.label(side_role)} lead"

    def partner(self, side_role: str) -> str:
        """The project role of a side's other partners: "UK partner", "Overseas partner"."""
        return f"{self.label(side_role)} partner"

    @property
    def roles(self) -> tuple[str, ...]:
        """The values of project_partners.role, in the order listings show them."""
        return (self.lead("home"), self.lead("overseas"), self.partner("home"), self.partner("overseas"),
                "Lead (side not known)", "Partner (side not known)")

    def role_kinds(self) -> dict[str, str]:
        """Each project role and what it is: home lead, overseas lead, home partner, overseas partner, lead, partner."""
        return dict(zip(self.roles, ("home lead", "overseas lead", "home partner", "overseas partner", "lead",
                                     "partner")))

    def side_of(self, iso3: str | None) -> str:
        """The side label of an institution in country `iso3` (None: not known)."""
        if not iso3:
            return NOT_KNOWN
        return self.home if iso3 in self.countries else self.overseas

    def country_names(self) -> str:
        """The home countries' names, e.g. "United Kingdom" or "South Africa and Kenya"."""
        names = [iso3166.ALPHA3.get(c, c) for c in self.countries]
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# The project fields a public site may show (project_detail's columns); project_id is always shown, it names the page.
PUBLIC_PROJECT_FIELDS = _allowed("publish", "project_fields")
DEFAULT_PUBLIC_FIELDS = tuple(declared("publish", "project_fields")["default"])
SUPPRESS_MAX = declared("publish", "suppress_below")["maximum"]


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
    rules: dict[str, str] = field(default_factory=dict)  # a validation rule's id -> its message
    home: dict[str, str] = field(default_factory=dict)  # the sides' labels as read: home, overseas, in_sentence


# The home section's words a translation may give (the stored sides' values stay the definition's own).
HOME_TEXTS = ("home", "overseas", "in_sentence")


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
    home: Home = Home()
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

    def rule_message(self, rule_id: str, language: str | None = None) -> str:
        """The message of validation rule `rule_id` in `language` (default: the active one), else its own."""
        found = self._translation(language)
        own = next((r.message for r in self.validation_rules if r.id == rule_id), "")
        return (found.rules.get(rule_id) if found else None) or own

    def home_in(self, language: str | None = None) -> Home:
        """The home section in `language`'s words (default: the active one) for what people read — "depuis le
        Royaume-Uni"; the stored sides' values, matched on and imported, stay `self.home`'s."""
        found = self._translation(language)
        words = {k: v for k, v in (found.home if found else {}).items() if k in HOME_TEXTS and v}
        return replace(self.home, **words) if words else self.home

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
            missing += [f"translations.{language}.rules.{r.id}" for r in self.validation_rules if r.id not in found.rules]
            missing += [f"translations.{language}.home.{key}" for key in HOME_TEXTS if key not in found.home]
            out[language] = missing
        return out

    # ---- to and from JSON ----------------------------------------------------------------------

    def to_dict(self) -> dict:
        """The definition as the JSON object `programme.json` holds."""
        out = {key: value for key, value in asdict(self).items()
               if key not in ("phases", "vocabularies", "indicators", "reference_figures", "results", "reporting",
                              "iati", "disaggregations", "fiscal_year_start", "publish",
                              "validation_rules", "outliers", "home", "translations")}
        if self.fiscal_year_start != 1:  # the default is left unwritten, so existing definitions read back unchanged
            out["fiscal_year_start"] = self.fiscal_year_start
        out["start"], out["end"] = self.start.isoformat(), self.end.isoformat()
        out["home"] = {"countries": list(self.home.countries),
                       "sides": {"home": self.home.home, "overseas": self.home.overseas},
                       **({"in_sentence": self.home.in_sentence} if self.home.in_sentence != self.home.home else {})}
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
                           **({"disaggregations": t.disaggregations} if t.disaggregations else {}),
                           **({"rules": t.rules} if t.rules else {}),
                           **({"home": t.home} if t.home else {})}
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
# A definition is checked in two steps, each problem located by its key path (`indicators[3].target`): the schema
# (programme.schema.json, validated by jsonschema, its errors said in words), then SEMANTIC_CHECKS, what a schema
# cannot say. Only a definition with no problem is built into a Programme.

def _is_integer(_checker, value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)  # 7.0 and true are not whole numbers here


def _finite(value) -> bool:
    """True for a number a definition can hold: not a bool, NaN or an infinity, and within a float's range."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond a float's range
        return False


def _line(value) -> bool:
    if isinstance(value, str) and (len(value) > TEXT_MAX or not value.isprintable()):
        raise ValueError(f"must be one line of at most {TEXT_MAX} printable characters")
    return True


def _date(value) -> bool:
    if isinstance(value, str) and value:
        _day(value, strict=True)
    return True


def _day(value, strict: bool = False) -> dt.date | None:
    """The date a definition writes as YYYY-MM-DD within calendar.YEARS (None, or ValueError when `strict`)."""
    try:
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError
        day = dt.date.fromisoformat(value)
    except ValueError:
        if strict:
            raise ValueError(f"{str(value)[:30]!r} is not a date; write it as YYYY-MM-DD") from None
        return None
    first_year, last_year = calendar.YEARS
    if not first_year <= day.year <= last_year:
        if strict:
            raise ValueError(f"{value} is outside the years {first_year} to {last_year} a programme's dates fall in")
        return None
    return day


@functools.cache
def _validator():
    """The schema's validator: whole numbers are ints (not 7.0, not true), numbers finite, and the formats line,
    date, iso4217 and iso639-1 checked as this module reads them."""
    import jsonschema

    base = jsonschema.Draft202012Validator
    types = base.TYPE_CHECKER.redefine_many({"integer": _is_integer, "number": lambda _checker, v: _finite(v)})
    formats = jsonschema.FormatChecker(formats=())
    formats.checks("line", raises=ValueError)(_line)
    formats.checks("date", raises=ValueError)(_date)
    formats.checks("iso4217")(lambda v: not isinstance(v, str) or iso4217.is_code(v))
    formats.checks("iso639-1")(lambda v: not isinstance(v, str) or iso639.is_code(v))
    formats.checks("iso3166-alpha3")(lambda v: not isinstance(v, str) or iso3166.is_alpha3(v))
    return jsonschema.validators.extend(base, type_checker=types)(_inlined(SCHEMA), format_checker=formats)


def _inlined(node):
    """The schema with each `$ref` to its `$defs` written in place as an `allOf` of one (the same checks and
    messages; resolving references took most of a validation's time)."""
    if isinstance(node, list):
        return [_inlined(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _inlined(value) for key, value in node.items() if key not in ("$ref", "$defs")}
    if "$ref" in node:
        out = {"allOf": [_inlined(resolve({"$ref": node["$ref"]}))], **out}
    return out


_WORDS = {"string": "text", "integer": "a whole number", "number": "a finite number", "boolean": "true or false",
          "array": "a list", "object": "an object", "null": "empty"}
_GENERIC = {  # what a broken keyword says when its schema has no x-message of its own
    "enum": "{value} is not one of {allowed}", "pattern": "{value} is not in the form {limit}",
    "minimum": "{value} must be at least {limit}", "maximum": "{value} must be at most {limit}",
    "exclusiveMinimum": "{value} must be above {limit}", "exclusiveMaximum": "{value} must be below {limit}",
    "minItems": "must list at least {limit}", "maxItems": "must list at most {limit}",
    "minLength": "is missing; give it as text", "minProperties": "must not be empty",
    "uniqueItems": "lists a value more than once", "additionalProperties": "is not a field of {title}; the fields "
                                                                         "are {fields}"}


def _shown(value) -> str:
    """A value as a message quotes it: text in quotes, cut to 40 characters; anything else as JSON writes it."""
    if isinstance(value, str):
        return repr(value[:40])
    try:
        return json.dumps(value)[:40]
    except (TypeError, ValueError):
        return repr(value)[:40]


def _kind(value) -> str:
    return next((word for kind, word in (((bool,), "true or false"), ((int, float), "a number"), ((str,), "text"),
                                         ((list,), "a list"), ((dict,), "an object")) if isinstance(value, kind)),
                "empty")


def _message(error, schema: dict, keyword: str) -> str:
    """The words for `error`: its schema's x-message for the keyword (or for all of them), else a generic one."""
    own = schema.get("x-message")
    template = own if isinstance(own, str) else (own or {}).get(keyword)
    if template is None and keyword == "format" and error.cause is not None:
        return str(error.cause)
    if template is None and keyword == "type":
        wanted = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        return f"must be {' or '.join(_WORDS.get(t, t) for t in wanted)}, not {_kind(error.instance)}"
    template = template or _GENERIC.get(keyword, error.message)
    items = schema.get("items", {})
    fields = schema.get("properties", {})
    given = {"value": _shown(error.instance), "limit": str(error.validator_value),
             "allowed": ", ".join(str(v) for v in schema.get("enum", ()) if v != ""),
             "allowed_items": ", ".join(str(v) for v in items.get("enum", ()) if v != ""),
             "fields": ", ".join(sorted(fields)), "title": schema.get("title", "this object"),
             "fields_described": "; ".join(f"{k} ({v.get('description', '')})" for k, v in fields.items())}
    for name, text in given.items():
        template = template.replace("{" + name + "}", text)
    return template


def _missing(schema: dict) -> str:
    """What a required key that is not given says, from its declaration."""
    declared_ = resolve(schema)
    for inner in declared_.get("allOf", ()):  # an inlined $ref
        declared_ = {**inner, **{k: v for k, v in declared_.items() if k != "allOf"}}
    types = declared_.get("type", [])
    if declared_.get("format") == "date":
        return "is missing; write the date as YYYY-MM-DD"
    if "string" in types or "enum" in declared_:
        return "is missing; give it as text"
    if "number" in types:
        return "is missing; give it as a number"
    return f"is missing ({schema['description']})" if schema.get("description") else "is missing"


def _enclosing(error) -> dict:
    """The object schema a `required` error was raised in (through `$ref`, `then` and the like)."""
    node = found = _validator().schema
    for part in list(error.absolute_schema_path)[:-1]:
        node = node[part]
        if isinstance(node, dict):
            node = resolve(node)
            if "properties" in node:
                found = node
    return found


def _schema_problems(error) -> list[tuple[list, str]]:
    """The (key path, message) problems one jsonschema error stands for."""
    path, keyword, schema = list(error.absolute_path), error.validator, resolve(error.schema)
    if keyword == "required":
        properties = _enclosing(error).get("properties", {})
        return [(path + [key], _missing(properties.get(key, {}))) for key in error.validator_value
                if isinstance(error.instance, dict) and key not in error.instance]
    if keyword == "additionalProperties" and schema.get("additionalProperties") is False:
        return [(path + [key], _message(error, schema, keyword)) for key in error.instance
                if key not in schema.get("properties", {})]
    if keyword in ("anyOf", "oneOf"):
        # the branch of the instance's own type says what is wrong inside it (a text, a list...), else the whole
        branches: dict = {}
        for inner in error.context:
            branches.setdefault(inner.relative_schema_path[0], []).append(inner)
        typed = [inner for inner in branches.values()
                 if not any(e.validator == "type" and not e.relative_path for e in inner)]
        if len(typed) == 1:
            shorthand = schema.get("x-shorthand") if isinstance(error.instance, str) else None
            return [(where + [shorthand] if shorthand else where, message)
                    for inner in typed[0] for where, message in _schema_problems(inner)]
    if "propertyNames" in error.absolute_schema_path:
        path = path + [error.instance]  # a key that is not allowed: located at the key itself
    wanted = error.validator_value if keyword == "type" else ()
    if error.instance is None and {"string", "number"} & set(wanted if isinstance(wanted, list) else [wanted]):
        return [(path, _missing(schema))]  # null for a text, a date or a number: as if left out
    return [(path, _message(error, schema, keyword))]


def _where(path: list) -> str:
    """A key path as messages write it: indicators[3].target (the file itself: "(file)")."""
    where = ""
    for part in path:
        where += f"[{part}]" if isinstance(part, int) else f".{str(part)[:40]}" if where else str(part)[:40]
    return where or "(file)"


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


# ---- what a schema cannot say ----------------------------------------------------------------------
# Each check reads the parsed JSON (already checked by the schema where it could be) and yields (field, message)
# problems. A check that cannot read its part of a definition the schema refused says nothing more about it.

@dataclass(frozen=True)
class SemanticCheck:
    """A check after the schema: what it makes sure of (the data dictionary lists it) and the function finding
    its problems in a definition's JSON, given the names the product counts (`Known`)."""

    says: str
    find: Callable[[dict, Known], Iterable[tuple[str, str]]]


@dataclass(frozen=True)
class Known:
    """The names a definition may refer to that it does not declare itself: the metrics counted in code."""

    metrics: frozenset
    return_metrics: frozenset


def _items(data, key: str) -> list[tuple[int, dict]]:
    """The objects of the list at `key`, with their positions (anything else in it the schema has refused)."""
    value = data.get(key) if isinstance(data, dict) else None
    return [(n, item) for n, item in enumerate(value) if isinstance(item, dict)] if isinstance(value, list) else []


def _section(data, key: str) -> dict:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


def _term_value(item):
    return item if isinstance(item, str) else item.get("value") if isinstance(item, dict) else None


def _reported(data) -> set[str]:
    return {i["code"] for _, i in _items(data, "indicators")
            if isinstance(i.get("code"), str) and i.get("aggregation", "sum") != "ratio"}


def _window(data, known):
    start, end = _day(data.get("start")), _day(data.get("end"))
    if start and end and end < start:
        yield "end", f"{end} is before the programme's start {start}"


def _phases(data, known):
    start, end = _day(data.get("start")), _day(data.get("end"))
    seen: list[tuple[str, dt.date, dt.date]] = []
    for n, item in _items(data, "phases"):
        name, first, last = item.get("name"), _day(item.get("first_day")), _day(item.get("last_day"))
        if not isinstance(name, str) or not first or not last:
            continue
        if name in [s[0] for s in seen]:
            yield f"phases[{n}].name", f"{name!r} is listed twice"
            continue
        if last < first:
            yield f"phases[{n}].last_day", f"{last} is before the phase's first day {first}"
            continue
        if start and end and (first < start or last > end):
            yield f"phases[{n}]", f"{name} ({first} to {last}) falls outside the programme ({start} to {end})"
        for other, other_first, other_last in seen:
            if first <= other_last and other_first <= last:
                yield f"phases[{n}]", f"{name} ({first} to {last}) overlaps {other} ({other_first} to {other_last})"
        seen.append((name, first, last))


def _values(data, known):
    lists = [(f"vocabularies.{name}", name, terms) for name, terms in _section(data, "vocabularies").items()]
    lists += [(f"disaggregations[{n}].values", item.get("key"), item.get("values"))
              for n, item in _items(data, "disaggregations")]
    for where, name, terms in lists:
        seen: set[str] = set()
        folded: dict[str, str] = {}
        roles: dict[str, list[str]] = {}
        for n, item in enumerate(terms if isinstance(terms, list) else []):
            value = _term_value(item)
            if not isinstance(value, str) or not value:
                continue
            spot = f"{where}[{n}].value"
            if value in seen:
                yield spot, f"{value!r} is listed twice"
                continue
            if _fold(value) in folded:
                yield spot, (f"{value!r} and {folded[_fold(value)]!r} differ only in case, spacing, Unicode form or "
                             "look-alike letters; keep one of them")
                continue
            mixed = _mixed_script(value)
            if mixed:
                yield spot, (f"{value!r} mixes {' and '.join(mixed[1])} letters in the word {mixed[0]!r} (a "
                             "look-alike letter?); write each word in one script")
                continue
            seen.add(value)
            folded[_fold(value)] = value
            role = item.get("role") if isinstance(item, dict) else None
            if role and isinstance(role, str):
                if role not in ROLES.get(name, {}):
                    yield f"{where}[{n}].role", (f"{role!r} is not a role of {name} (roles: "
                                                 f"{', '.join(ROLES.get(name, {})) or 'none'})")
                else:
                    roles.setdefault(role, []).append(value)
        for role, holders in roles.items():
            if len(holders) > 1:
                yield where, (f"the role {role!r} is given to {len(holders)} values ({', '.join(holders)}); "
                              "give it to one")


def _indicators(data, known):
    codes: set[str] = set()
    reported = _reported(data)
    for n, item in _items(data, "indicators"):
        code = item.get("code")
        if code in codes:
            yield f"indicators[{n}].code", f"{code!r} is used twice"
        elif code in known.metrics:
            yield f"indicators[{n}].code", f"{code!r} is already a metric counted by the dashboard; choose another code"
        codes.add(code)
        if item.get("aggregation") == "ratio":
            for part in (item.get("numerator"), item.get("denominator")):
                if isinstance(part, str) and part and part not in reported:
                    yield f"indicators[{n}]", (f"the ratio {code} names {part!r}, which is not a reported indicator "
                                               f"code of this definition ({', '.join(sorted(reported))})")


def _figures(data, known):
    metrics = set(known.metrics) | {i.get("code") for _, i in _items(data, "indicators")}
    for n, item in _items(data, "reference_figures"):
        metric = item.get("metric")
        if isinstance(metric, str) and metric and metric not in metrics:
            yield f"reference_figures[{n}].metric", f"{metric!r} is not a metric of this programme"


def _bands(data, known):
    bands, scores = [], set()
    for n, item in _items(_section(data, "results"), "bands"):
        score, low, high = item.get("score"), item.get("from"), item.get("to")
        if score in scores:
            yield f"results.bands[{n}].score", f"{score!r} is listed twice"
            continue
        if not isinstance(score, str) or not _finite(low) or not (high is None or _finite(high)):
            continue
        if high is not None and high <= low:
            yield f"results.bands[{n}].to", f"{high:g} % is not above the band's 'from' ({low:g} %)"
            continue
        scores.add(score)
        bands.append(Band(score=score, low=low, high=high))
    if not bands:
        return
    bands.sort(key=lambda b: b.low)
    if bands[0].low != 0:
        yield "results.bands", f"the lowest band ({bands[0].score}) starts at {bands[0].low:g} %; the bands must start at 0 %"
    for before, after in zip(bands, bands[1:]):
        if before.high is None or before.high > after.low:
            yield "results.bands", (f"{before.score} and {after.score} overlap: {before.score} runs to "
                                    f"{'no upper edge' if before.high is None else f'{before.high:g} %'}, "
                                    f"{after.score} starts at {after.low:g} %")
        elif before.high < after.low:
            yield "results.bands", (f"there is a gap between {before.score} (to {before.high:g} %) and {after.score} "
                                    f"(from {after.low:g} %): a % achieved in it has no score")
    if bands[-1].high is not None:
        yield "results.bands", (f"the highest band ({bands[-1].score}) ends at {bands[-1].high:g} %; leave its 'to' "
                                "out so that every % above it scores too")


def _disaggregation_keys(data, known):
    keys: set[str] = set()
    for n, item in _items(data, "disaggregations"):
        key = item.get("key")
        if key in RESERVED_KEYS:
            yield f"disaggregations[{n}].key", f"{key!r} already has a meaning in the dashboard; choose another key"
        elif key in keys:
            yield f"disaggregations[{n}].key", f"{key!r} is declared twice"
        keys.add(key)


def _iati_themes(data, known):
    themes = {_term_value(t) for t in _section(data, "vocabularies").get("theme") or ()}
    iati = _section(data, "iati")
    for theme in _section(iati, "sectors"):
        if theme not in themes:
            yield f"iati.sectors.{theme[:40]}", "is not a theme of vocabularies.theme"
    fallback = iati.get("fallback_theme")
    if isinstance(fallback, str) and fallback and fallback not in themes:
        yield "iati.fallback_theme", f"{fallback[:40]!r} is not a theme of vocabularies.theme"
    for vocabulary, codes in _section(iati, "sector_themes").items():
        for code, theme in (codes.items() if isinstance(codes, dict) else ()):
            if isinstance(theme, str) and theme not in themes:
                yield (f"iati.sector_themes.{vocabulary[:10]}.{code[:20]}",
                       f"{theme[:40]!r} is not a theme of vocabularies.theme")


def _iati_regions(data, known):
    regions = {_term_value(t) for t in _section(data, "vocabularies").get("region") or ()}
    for code, region in _section(_section(data, "iati"), "regions").items():
        if region not in regions:
            yield f"iati.regions.{str(code)[:10]}", f"{str(region)[:40]!r} is not a region of vocabularies.region"


def _home_sides(data, known):
    listed = _section(data, "home").get("countries")
    for n, code in enumerate(listed if isinstance(listed, list) else []):
        if isinstance(code, str) and code in listed[:n]:
            yield f"home.countries[{n}]", f"{code} is listed twice"
    sides = _section(_section(data, "home"), "sides")
    home, overseas = (sides.get(k) for k in SIDE_ROLES)
    for role, label in (("home", home), ("overseas", overseas)):
        if isinstance(label, str) and label.strip().lower() == NOT_KNOWN:
            yield f"home.sides.{role}", f"{label[:40]!r} cannot label a side: it is what a side not known is called"
    if isinstance(home, str) and isinstance(overseas, str) and home.strip().lower() == overseas.strip().lower():
        yield "home.sides.overseas", (f"{overseas[:40]!r} is also the home side's label; the two sides need labels "
                                      "of their own")


def _translated(data, known):
    vocabularies = dict(_section(data, "vocabularies"))
    for item in data.get("disaggregations") or ():
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            vocabularies[item["key"]] = item.get("values") or ()
    codes = {i.get("code") for i in data.get("indicators") or () if isinstance(i, dict)}
    own_keys = {d.get("key") for d in data.get("disaggregations") or () if isinstance(d, dict)}
    for language, given in _section(data, "translations").items():
        where = f"translations.{language}"
        for vocabulary, labels in _section(given, "terms").items():
            at = f"{where}.terms.{vocabulary[:40]}"
            if vocabulary not in vocabularies:
                yield at, f"is not a vocabulary of the programme; they are {', '.join(vocabularies)}"
                continue
            allowed = {_term_value(t) for t in vocabularies[vocabulary] or ()}
            for value in labels:
                if value not in allowed:
                    yield f"{at}.{value[:40]}", f"is not a value of the vocabulary {vocabulary}"
        for code in _section(given, "indicators"):
            if code not in codes:
                yield (f"{where}.indicators.{code[:40]}",
                       f"is not an indicator of the programme; they are {', '.join(sorted(map(str, codes))) or 'none'}")
        for key in _section(given, "disaggregations"):
            if key not in own_keys:
                yield f"{where}.disaggregations.{key[:40]}", "is not a disaggregation of the programme"
        rule_ids = {r.get("id") for r in data.get("validation_rules") or () if isinstance(r, dict)}
        for rule_id in _section(given, "rules"):
            if rule_id not in rule_ids:
                yield (f"{where}.rules.{rule_id[:40]}",
                       f"is not a validation rule of the programme; they are {', '.join(sorted(map(str, rule_ids))) or 'none'}")


def _public_fields(data, known):
    listed = _section(data, "publish").get("project_fields")
    for n, name in enumerate(listed if isinstance(listed, list) else []):
        if isinstance(name, str) and name in listed[:n]:
            yield f"publish.project_fields[{n}]", f"{name!r} is listed twice"


def _checkable(data, known) -> set[str]:
    return set(known.return_metrics) | _reported(data)


def _rules(data, known):
    checkable, seen = _checkable(data, known), set()
    for n, item in _items(data, "validation_rules"):
        where, rule_id = f"validation_rules[{n}]", item.get("id")
        if isinstance(rule_id, str) and rule_id in seen:
            yield f"{where}.id", f"{rule_id!r} is the id of an earlier rule; each rule has its own"
        seen.add(rule_id)
        sides = {side: item.get(side) for side in ("left", "right")}
        for side, raw in sides.items():
            names = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else []
            for k, name in enumerate(names):
                if isinstance(name, str) and name not in checkable:
                    yield (f"{where}.{side}" if isinstance(raw, str) else f"{where}.{side}[{k}]",
                           f"{name[:40]!r} is not a metric of a return or a reported indicator; the names are "
                           f"{', '.join(sorted(checkable))[:400]}")
                    break
        if all(_finite(raw) for raw in sides.values()):
            yield where, "compares two numbers; a rule reads at least one metric or indicator"


def _outlier_names(data, known):
    checkable, outliers = _checkable(data, known), _section(data, "outliers")
    names = outliers.get("metrics")
    wrong = [str(n)[:40] for n in (names if isinstance(names, list) else []) if n not in checkable]
    if wrong:
        yield "outliers.metrics", f"{', '.join(wrong)} is not a metric of a return or a reported indicator"
    for name, limits in _section(outliers, "bounds").items():
        if name not in checkable:
            yield f"outliers.bounds.{name[:40]}", "is not a metric of a return or a reported indicator"
        elif isinstance(limits, dict) and _finite(limits.get("min")) and _finite(limits.get("max")) \
                and limits["max"] < limits["min"]:
            yield f"outliers.bounds.{name[:40]}.max", f"{limits['max']:g} is below min {limits['min']:g}"


SEMANTIC_CHECKS: tuple[SemanticCheck, ...] = (
    SemanticCheck(N_("The programme ends on or after the day it starts."), _window),
    SemanticCheck(N_("Phases have different names, end on or after they start, fall inside the programme's window and "
                     "never overlap."), _phases),
    SemanticCheck(N_("The values of a vocabulary (and of a disaggregation) are different even when case, spacing, "
                     "Unicode form and look-alike letters are ignored; a word is written in one script; a role is one "
                     "of its vocabulary's roles and given to one value."), _values),
    SemanticCheck(N_("Indicator codes are different and not a metric the dashboard counts; a ratio divides reported "
                     "indicators of the definition."), _indicators),
    SemanticCheck(N_("A reference figure is of a metric or an indicator of the programme."), _figures),
    SemanticCheck(N_("Score bands have different scores, each runs up from its 'from', and together they start at 0 %, "
                     "follow on without gap or overlap and end open."), _bands),
    SemanticCheck(N_("A disaggregation's key is declared once and is not a name the dashboard already uses."),
                  _disaggregation_keys),
    SemanticCheck(N_("The IATI section's sectors, sector themes and fallback theme name themes of the vocabulary."),
                  _iati_themes),
    SemanticCheck(N_("The IATI section's regions map IATI region codes to regions of the vocabulary."), _iati_regions),
    SemanticCheck(N_("A home country is listed once; the two sides have labels of their own, neither of them "
                     "'not known'."), _home_sides),
    SemanticCheck(N_("A translation names only the programme's own vocabularies and values, indicators and "
                     "disaggregations."), _translated),
    SemanticCheck(N_("A public project field is listed once."), _public_fields),
    SemanticCheck(N_("Validation rules have different ids, read metrics of a return or reported indicators, and do not "
                     "compare two numbers."), _rules),
    SemanticCheck(N_("Outliers are looked for in metrics of a return or reported indicators; a bound's max is not "
                     "below its min."), _outlier_names),
)


def problems(data) -> list[tuple[str, str]]:
    """Every (field, message) problem of a definition's JSON: the schema's, then SEMANTIC_CHECKS', one per field."""
    from impact.model.metrics import METRICS, RETURN_METRICS  # the structural metrics counted in code

    found = [(_where(where), message) for error in _validator().iter_errors(data)
             for where, message in _schema_problems(error)]
    if not isinstance(data, dict):
        return found
    known = Known(metrics=frozenset(METRICS), return_metrics=frozenset(RETURN_METRICS))
    for check in SEMANTIC_CHECKS:
        try:
            found += list(check.find(data, known))
        except (TypeError, KeyError, AttributeError, ValueError):
            if not found:  # on a definition the schema took, a check that cannot read it is a bug
                raise
    first: dict[str, str] = {}
    for where, message in found:
        first.setdefault(where, message)  # one problem a field: the first said (a text's type before its form)
    return list(first.items())


def _translations(raw: dict | None) -> dict[str, Translation]:
    return {language: Translation(**{k: _text(given, k) for k in TRANSLATED_FIELDS},
                                  terms={v: dict(labels) for v, labels in given.get("terms", {}).items()},
                                  indicators={c: {k: t.strip() for k, t in item.items() if t and t.strip()}
                                              for c, item in given.get("indicators", {}).items()},
                                  disaggregations=dict(given.get("disaggregations", {})),
                                  rules={k: t.strip() for k, t in given.get("rules", {}).items()},
                                  home={k: t.strip() for k, t in given.get("home", {}).items()})
            for language, given in (raw or {}).items()}


def _home(raw: dict | None) -> Home:
    if raw is None:
        return Home()
    sides = raw["sides"]
    return Home(countries=tuple(raw["countries"]), home=sides["home"].strip(), overseas=sides["overseas"].strip(),
                in_sentence=_text(raw, "in_sentence", sides["home"].strip()))

def parse(data, file: str = FILE) -> Programme:
    """A programme from the JSON object of `programme.json`; DefinitionError lists every problem."""
    found = problems(data)
    if found:
        raise DefinitionError(found, file)
    return _build(data)


# ---- building the Programme of a definition the checks took -------------------------------------------

def _text(item: dict, key: str, default: str = "") -> str:
    return (item.get(key) or default).strip()


def _terms(raw: list) -> tuple[Term, ...]:
    return tuple(Term(value=t) if isinstance(t, str) else
                 Term(value=t["value"], description=_text(t, "description"), role=_text(t, "role")) for t in raw)


def _indicator(item: dict) -> Indicator:
    aggregation = item.get("aggregation", "sum")
    ratio = aggregation == "ratio"
    return Indicator(code=item["code"], label=_text(item, "label"), unit=_text(item, "unit", "people"),
                     aggregation=aggregation, fmt=item.get("format", "percent" if ratio else "count"),
                     description=_text(item, "description"), how_counted=_text(item, "how_counted"),
                     numerator=item["numerator"] if ratio else "", denominator=item["denominator"] if ratio else "",
                     headline=item.get("headline", True), benefits=item.get("benefits", "partner"))


def _results(raw: dict | None) -> Results:
    if raw is None:
        return Results()
    reading = raw.get("between_milestones", Results.between_milestones)
    if "bands" not in raw:
        return Results(between_milestones=reading)
    bands = [Band(score=b["score"], low=float(b["from"]), high=None if b.get("to") is None else float(b["to"]),
                  meaning=_text(b, "meaning")) for b in raw["bands"]]
    return Results(bands=tuple(sorted(bands, key=lambda b: b.low)), between_milestones=reading)


def _iati(raw: dict | None) -> Iati | None:
    if raw is None:
        return None
    choices = {key: raw[key] for key in ("several_countries", "hierarchy", "fallback_theme", "amounts") if raw.get(key)}
    choices.update({key: {str(k).strip(): v for k, v in raw[key].items()} for key in ("indicators", "regions")
                    if raw.get(key)})
    sector_themes = {vocabulary: dict(codes) for vocabulary, codes in raw.get("sector_themes", {}).items() if codes}
    rates = {currency: {str(year): float(rate) for year, rate in years.items()}
             for currency, years in raw.get("exchange_rates", {}).items()}
    return Iati(reporting_org_ref=raw["reporting_org_ref"], reporting_org_type=raw.get("reporting_org_type") or "21",
                funder_ref=raw.get("funder_ref") or "", funder_type=raw.get("funder_type") or "10",
                activity_prefix=raw.get("activity_prefix") or "", language=raw.get("language") or "en",
                sectors=dict(raw["sectors"]) if raw.get("sectors") else None,
                lead_roles=tuple(raw.get("lead_roles", ())), partner_required=raw.get("partner_required", False),
                sector_themes=sector_themes or None, exchange_rates=rates or None, **choices)


def _publish(raw: dict | None) -> Publish:
    if raw is None:
        return Publish()
    return Publish(project_fields=tuple(raw.get("project_fields", DEFAULT_PUBLIC_FIELDS)),
                   licence=_text(raw, "licence"), suppress_below=raw.get("suppress_below", Publish.suppress_below))


def _side(raw) -> tuple:
    return (float(raw),) if _finite(raw) else (raw,) if isinstance(raw, str) else tuple(raw)


def _outliers(raw: dict | None) -> Outliers:
    if raw is None:
        return Outliers()
    return Outliers(threshold=float(raw.get("threshold", Outliers.threshold)),
                    min_history=raw.get("min_history", Outliers.min_history), names=tuple(raw.get("metrics", ())),
                    bounds=tuple((name, *(None if limits.get(k) is None else float(limits[k]) for k in ("min", "max")))
                                 for name, limits in raw.get("bounds", {}).items()))


def _build(data: dict) -> Programme:
    """The Programme of a definition's JSON that has no problem (`problems`), the defaults filled in."""
    vocabularies = {name: _terms(data["vocabularies"][name]) for name in VOCABULARIES}
    disaggregations = []
    for item in data.get("disaggregations", ()):
        vocabularies[item["key"]] = _terms(item["values"])
        disaggregations.append(Disaggregation(key=item["key"], label=_text(item, "label"), tables=tuple(item["tables"]),
                                              description=_text(item, "description"),
                                              iati_name=_text(item, "iati_name")))
    reporting = data.get("reporting") or {}
    name = _text(data, "name")
    return Programme(
        id=data["id"], name=name, short_name=_text(data, "short_name", name), funder=_text(data, "funder"),
        managed_by=_text(data, "managed_by"), currency=data.get("currency") or "GBP",
        description=_text(data, "description"), start=_day(data["start"]), end=_day(data["end"]),
        phases=tuple(Phase(name=p["name"], first_day=_day(p["first_day"]), last_day=_day(p["last_day"]))
                     for p in data["phases"]),
        vocabularies=vocabularies, indicators=tuple(_indicator(i) for i in data.get("indicators", ())),
        reference_figures=tuple(ReferenceFigure(metric=f["metric"], value=f["value"], qualifier=f.get("qualifier", ""),
                                                as_of=_day(f.get("as_of")), source=_text(f, "source"),
                                                note=_text(f, "note"))
                                for f in data.get("reference_figures", ())),
        illustrative=data.get("illustrative", False), results=_results(data.get("results")),
        reporting=Reporting(grain=reporting.get("grain", "quarter"), deadline_days=reporting.get("deadline_days"),
                            remind_days_before=reporting.get("remind_days_before")),
        iati=_iati(data.get("iati")), disaggregations=tuple(disaggregations),
        fiscal_year_start=data.get("fiscal_year_start", 1), publish=_publish(data.get("publish")),
        validation_rules=tuple(ValidationRule(r["id"], _side(r["left"]), r["operator"], _side(r["right"]),
                                              _text(r, "message"), r.get("importance", "medium"))
                               for r in data.get("validation_rules", ())),
        outliers=_outliers(data.get("outliers")), home=_home(data.get("home")),
        translations=_translations(data.get("translations")))


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

