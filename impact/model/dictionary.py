"""The data dictionary, written from the schema, the metric definitions and the programme-definition format
(the keys of `programme.json` and their descriptions from its JSON Schema, impact/model/programme.schema.json).

Everything is written in the active language (i18n.using / the page's run): the Data page's tables (`table_summary`,
`tables_frame`, `metrics_frame`, `definition_keys_frame`), the constraints in words (`column_rule`), a key's form
(`form`), the checks across tables (`cross_checks`), the programme's summary and the Markdown (`markdown`, with
`definition_markdown` and `recipe_markdown`): each paragraph is one message of the catalogues, its code, file names
and examples kept as they are in backticks and filled in as values; `HEADINGS` heads the tables' columns. The keys'
descriptions are translated through impact/model/schema_text.py (the schema's descriptions for pybabel).

`python -m impact dictionary [--lang CODE]` prints it; docs/DATA_DICTIONARY.md is its English output, and a test
keeps the two identical.
"""

from __future__ import annotations

import json

from impact.model import i18n, schema
from impact.model import programme as programmes
from impact.model.i18n import N_
from impact.model.i18n import gettext as _
from impact.model.metrics import METRICS, RETURN_METRICS, worded

# The dictionary tables' headings in the reader's language (the frames keep these names as their columns).
HEADINGS = {"table": N_("table"), "file name": N_("file name"), "one row is": N_("one row is"),
            "unique on": N_("unique on"), "column": N_("column"), "type": N_("type"), "key": N_("key"),
            "meaning": N_("meaning"), "rule": N_("rule"), "metric": N_("metric"), "unit": N_("unit"),
            "aggregation": N_("aggregation"), "how it is counted": N_("how it is counted"),
            "required": N_("required"), "form": N_("form"), "vocabulary": N_("vocabulary"),
            "position": N_("position"), "role": N_("role"), "description": N_("description")}


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def tables_frame(programme=None):
    """One row per table column: table, column, type, meaning, rule (for the Data page), with the
    allowed values of `programme`'s definition when one is given."""
    import pandas as pd

    rows = []
    for table in schema.tables(programme):
        for column in table.columns:
            rows.append({
                "table": table.name,
                "column": column.name,
                "type": column.type,
                "key": column.name in table.key,
                "meaning": _(column.description),
                "rule": column_rule(column, programme),
            })
    return pd.DataFrame(rows)


def column_rule(column: schema.Column, programme=None) -> str:
    """The constraint on a column in words, in the active language (with `programme`'s allowed values when one is
    given; the values themselves as they are stored)."""
    words = i18n.active()
    parts = []
    if column.name == "iso3":
        parts.append(_("ISO 3166-1 alpha-3 code"))
    allowed = schema.allowed(column, programme) if programme is not None else column.allowed
    if allowed:
        parts.append(_("one of: {values}").format(values="; ".join(allowed)))
    elif column.vocabulary == "phase":
        parts.append(_("one of the phase names in {file}").format(file=programmes.FILE))
    elif column.vocabulary == "indicator":
        parts.append(_("one of the reported indicator codes in {file}").format(file=programmes.FILE))
    elif column.vocabulary == "metric":
        parts.append(_("a metric counted from rows with a period, or an indicator code in {file}").format(
            file=programmes.FILE))
    elif column.vocabulary == schema.SIDE:
        parts.append(_("one of the two sides' labels in home.sides in {file} (HPS: UK; Overseas), or {not_known}")
                     .format(file=programmes.FILE, not_known=programmes.NOT_KNOWN))
    elif column.vocabulary == schema.ROLE:
        parts.append(_("a side's label from home.sides in {file} and lead or partner (HPS: UK lead; Overseas lead; UK "
                       "partner; Overseas partner), or Lead (side not known); Partner (side not known)").format(
            file=programmes.FILE))
    elif column.vocabulary:
        parts.append(_("one of vocabularies.{vocabulary} in {file}").format(vocabulary=column.vocabulary,
                                                                            file=programmes.FILE))
    if column.references:
        parts.append(_("must exist in {column}").format(column=column.references))
    if column.minimum is not None and column.maximum is not None:
        parts.append(_("{low} to {high}").format(low=words.number(column.minimum), high=words.number(column.maximum))
                     if column.type == "BIGINT" else
                     _("a number, at least {minimum}").format(minimum=f"{column.minimum:g}"))
    if column.type == "DATE" and column.name == "period":
        window = (_("{start} to {end}").format(start=programme.start, end=programme.end) if programme is not None
                  else _("within the programme's start and end"))
        parts.append(_("first day of a quarter, {window}").format(window=window))
    if not column.nullable:
        parts.append(_("required"))
    return "; ".join(parts)


def _head(*names: str) -> list[str]:
    """A Markdown table's heading row in the active language, and the row under it."""
    return ["| " + " | ".join(_(HEADINGS.get(name, name)) for name in names) + " |",
            "|" + "---|" * len(names)]


def _row(*cells: str) -> str:
    """A row of a Markdown table (the cells as they are)."""
    return "| " + " | ".join(cells) + " |"


def _codes(values) -> str:
    return ", ".join(f"`{v}`" for v in values)


# The dictionary's headings that are not the Data page's tables' (marked here for the catalogues).
_MORE_HEADINGS = (N_("label"), N_("SQL (over the filtered rows of its table)"), N_("field"), N_("choice"),
                  N_("roles a value can carry"))


def markdown() -> str:
    """The whole data dictionary as Markdown, in the active language (English: docs/DATA_DICTIONARY.md)."""
    language = i18n.active().language
    lines = [
        "# " + _("Data dictionary"),
        "",
        _("Generated by `python -m impact dictionary` from `impact/model/schema.py`, `impact/model/metrics.py`,\n"
          "`impact/model/programme.py` and `impact/model/programme.schema.json`.\n"
          "An extract is one file per table (`<table>.parquet`, `.csv` or `.xlsx`) with exactly these columns,\n"
          "and its programme's definition, `{file}` (below), which gives the allowed values of every\n"
          "categorical column, the programme's window and phases, its outcome indicators and its published "
          "figures.\nDates are ISO `YYYY-MM-DD`. Periods are quarters, stored as the first day of the quarter.")
          .format(file=programmes.FILE),
        "",
    ]
    for table in schema.TABLES:
        lines += [
            f"## `{table.name}`",
            "",
            _(table.description),
            "",
            _("Key: {columns}").format(columns=", ".join(f"`{k}`" for k in table.key)),
            "",
            *_head("column", "type", "meaning", "rule"),
        ]
        for column in table.columns:
            lines.append(f"| `{column.name}` | {column.type} | {_cell(_(column.description))} | "
                         f"{_cell(column_rule(column))} |")
        lines.append("")
    lines += ["## " + _("Checks across rows and tables"), "",
              _("Besides the rules above, an import is refused when any of these fails:"), ""]
    lines += [f"- {check}" for check in cross_checks()]
    lines += ["", _("(The sides and the country rule are those of the definition's `home` section; the words above "
                       "are the HPS's, a definition without one.)")]
    lines.append("")
    lines += [
        "## " + _("Metrics"),
        "",
        _("Every figure in the dashboard and its exports is one of these, defined once in `impact/model/metrics.py`."),
        "",
        *_head("key", "label", "unit", "aggregation", "how it is counted", "SQL (over the filtered rows of its table)"),
    ]
    for m in (METRICS if language == i18n.SOURCE else worded(language=language)).values():
        lines.append(f"| `{m.key}` | {_cell(m.label)} | {m.unit} | {m.aggregation} | {_cell(m.how_counted)} | "
                     f"`{_cell(m.sql)}` ({m.source}) |")
    lines += ["", _("The labels and texts are the HPS's: those that name a side follow the definition's `home` section "
                    "(\"UK institutions\", \"Volunteer days from the UK\"; a German programme's \"Germany "
                    "institutions\", \"Volunteer days from Germany\"), and funding is in its `currency`. The metric "
                    "keys (`institutions_uk`, `volunteer_days_uk`, `budget_gbp`) stay as they are in every programme: "
                    "links, decks and definitions name them.")]
    lines += ["", _("A programme's outcome indicators are metrics too, defined in its `programme.json` (below).")]
    lines += ["", *definition_markdown(), "", *recipe_markdown(),
        "## " + _("Reconciling published counts"),
        "",
        _("Published counts often disagree between sources (a programme's reports may give different numbers of\n"
          "countries or projects). The dashboard counts *countries with training* (trainees reported) apart from\n"
          "*countries with partnerships* (a project active there), counts each grant once, and shows each\n"
          "published figure from the definition's `reference_figures` beside the live one, never in its place."),
        "",
    ]
    return "\n".join(lines)


def definition_markdown() -> list[str]:
    """The format of `programme.json`, in Markdown lines, in the active language."""
    lines = [
        "## " + _("The programme definition: `{file}`").format(file=programmes.FILE),
        "",
        _("One JSON object, declared by the JSON Schema `impact/model/{schema}` (Draft 2020-12;\n"
          "`python -m impact programme schema` prints it, and an editor such as VS Code checks a `programme.json`\n"
          "with it). Every key it declares, with its form and meaning (a key not declared is refused with its "
          "place):").format(schema=programmes.SCHEMA_FILE.name),
        "",
        *_head("key", "required", "form", "meaning"),
        *[f"| `{path}` | {_('yes') if required else ''} | {_cell(form(declared))} | "
          f"{_cell(_(declared.get('description', '')))} |"
          for path, declared, required in programmes.declared_keys()],
        "",
        _("`[]` is an item of a list, `*` a key a map names. After the schema, a definition is checked for what a\n"
          "schema cannot say:"),
        "",
        *[f"- {_(check.says)}" for check in programmes.SEMANTIC_CHECKS],
        "",
        _("Home (the two sides of a partnership):"),
        "",
        *_head("field", "meaning"),
        *[f"| `{name}` | {_cell(_(meaning))} |" for name, meaning in programmes.HOME_FIELDS.items()],
        "",
        _("The sides' labels are the values of `institutions.side` (with `not known`) and make the project roles of "
          "`project_partners.role`: `<label> lead`, `<label> partner`, `Lead (side not known)`, `Partner (side not "
          "known)`. The template's dropdowns, the import's checks, the metrics counted per side and the listings "
          "follow them; the stored labels are the values, so a change of label is a change of the data (as for a "
          "vocabulary value)."),
        "",
        _("Translations: for each of the interface's other languages ({languages}), the programme's `name`, "
          "`short_name` and `description`, the labels of vocabulary values (`terms`: vocabulary → value → label; "
          "the value stays what is stored, filtered on and imported, so a French workbook imports to the same "
          "rows) and indicators' texts (`indicators`: code → `{texts}`), each optional and naming only "
          "vocabularies, values and codes the definition has. A text with no translation is shown in English, and "
          "`python -m impact programme check` lists every one, language by language. For example `{example}`.")
          .format(languages=_codes(i18n.TRANSLATED), texts="{" + ", ".join(programmes.INDICATOR_TEXTS) + "}",
          example="{\"fr\": {\"name\": \"Programme de santé scolaire\", \"terms\": {\"theme\": {\"Eye health\": "
                  "\"Santé oculaire\"}}, \"indicators\": {\"clinics_opened\": {\"label\": \"Cliniques "
                  "ouvertes\"}}}}"),
        "",
        _("Vocabularies (each a column's allowed values):"),
        "",
        *_head("vocabulary", "column", "roles a value can carry"),
    ]
    for name, meaning in programmes.VOCABULARIES.items():
        roles = "; ".join(f"`{role}`: {_(what)}" for role, what in programmes.ROLES.get(name, {}).items()) or "—"
        lines.append(f"| `{name}` | {_cell(_(meaning))} | {_cell(roles)} |")
    bands = "; ".join(f"`{b.score}` " + (f"{b.low:g}–{b.high:g} %" if b.high is not None else
                                         _("{low} % and above").format(low=f"{b.low:g}"))
                      for b in programmes.DEFAULT_BANDS)
    lines += [
        "",
        _("Indicators: `aggregation` is one of {aggregations} — `sum` adds the\n"
          "values reported; `latest` takes each project and country's value in its latest quarter and adds those;\n"
          "`ratio` divides the figure of the indicator `numerator` by that of `denominator` (both reported codes;\n"
          "a ratio is computed, never reported). `format` is one of {formats}; `headline: false` keeps an\n"
          "indicator off the tiles (e.g. the parts of a ratio); `benefits` is `partner` (the partner country "
          "gains)\nor `home` (the volunteers' own country gains). Rows of `outcomes` carry the reported codes.")
          .format(aggregations=_codes(programmes.AGGREGATIONS), formats=_codes(programmes.FORMATS)),
        "",
        _("Reference figures: `metric` is a metric key or an indicator code; `qualifier` one of {qualifiers} "
          "(or none).").format(qualifiers=_codes(q for q in programmes.QUALIFIERS if q)),
        "",
        _("Results: `bands` is a list of `{fields}`, in % achieved: a band holds its `from` and not\n"
          "its `to`; the bands start at 0, follow on without gap or overlap, and the highest has no `to`. Below 0 "
          "%\n(an actual under its baseline) scores the lowest band. The default, when `results` or `bands` is left "
          "out,\nis the annual review's: {bands}.\n"
          "`between_milestones` is `interpolate` (the value expected at a date runs in a straight line from the\n"
          "baseline, or zero, at the start to each milestone in turn; after the end target, the end target) or\n"
          "`last due` (the latest milestone due on or before the date; none before the first). % achieved is\n"
          "(actual − baseline) ÷ (expected − baseline) × 100, from zero when there is no baseline; a target equal "
          "to\nits baseline (a target of zero) has no % and scores the band holding 100 % when met, the lowest when "
          "not.").format(fields="{score, from, to, meaning}", bands=bands),
        "",
        _("IATI: `reporting_org_ref` is the organisation identifier (e.g. `GB-CHC-…`) and, unless `activity_prefix`\n"
          "is given, the prefix of every activity identifier (`<prefix>-<project_id>`); the `_type` fields are IATI\n"
          "OrganisationType codes (two digits) of the managing organisation and the funder; `language` is the\n"
          "activities' language (`xml:lang`, default `en`); `sectors` maps a theme to its DAC 5-digit purpose code.\n"
          "`python -m impact export iati` writes each project's code beside the theme itself (sector vocabulary 99);\n"
          "`python -m impact import-iati` reads a code back as the one theme it is given to (a code given to several\n"
          "themes needs the theme's own sector). Without an `iati` section neither command runs."),
        "",
        _("Reading an IATI file (`import-iati`, the Data page): files of IATI 2.01, 2.02 and 2.03 are read (the\n"
          "version per activity when the root has none; 1.x is refused, naming a converter). Each activity maps to\n"
          "a project or is refused with its reason; the choices below, all optional, say how:"),
        "",
        *_head("field", "choice"),
        *[f"| `iati.{key}` | {_cell(_(meaning))} |" for key, meaning in programmes.IATI_CHOICES.items()],
        "",
        _("Always: an identifier is kept as published (another publisher's prefix is not replaced); a narrative is\n"
          "taken in `language` matched case-insensitively (`EN` is `en`), else the first one; dates are the planned\n"
          "start (else the actual start) and the planned end (else the actual end) — an activity with no end date is\n"
          "open and taken to run to the programme's end (said in the report); an organisation without `@ref` is kept\n"
          "by its name; an activity with a recipient region and no country is refused (the programme counts\n"
          "projects by country). A programme started from a file alone (`import-iati FILE --programme NEW`) has\n"
          "its definition read from the file and its results (indicators counted in units) as outcome\n"
          "indicators, targets and outcomes; training, volunteering and partnership scores may then have no rows."),
        "",
        _("Disaggregations: each declares a further breakdown of the fact tables it names (`training`, "
          "`volunteering`,\n`outcomes`), e.g. `{example}\n{example_end}`. Its `key` is a column of\n"
          "each of those tables (after their own breakdowns, and part of their key), its `values` that column's\n"
          "allowed values (text, or `{value_form}`), in order. Nothing else is needed: it becomes a sidebar\n"
          "filter (its key in links: `?cadre_level=Senior`), a choice of the explorer's *group by* and *split by*,\n"
          "a column of the template workbook, of exports and of the rollups, and an IATI result `dimension` named\n"
          "`iati_name` (default: the label). The key is 2 to 32 lower-case letters, digits and `_`, and may not be\n"
          "a name the dashboard already uses (a dimension, a column, a link's key). A programme that declares\n"
          "none has none.")
          .format(example="{\"key\": \"cadre_level\", \"label\": \"Cadre level\", \"tables\": [\"training\"],",
          example_end="\"iati_name\": \"seniority\", \"values\": [\"Junior\", \"Senior\", \"Unrecorded\"]}",
          value_form="{value, description}"),
        "",
        _("Publish: `project_fields` lists the project fields a project's public page shows (`project_id` always): "
          "any of {fields}; default {defaults} (no budget, no lead institutions).\n"
          "`licence` is the licence the figures are published under (e.g. `CC BY 4.0`), named on every page and "
          "in\nevery chart's metadata (default: none stated). `suppress_below` (a whole number, 0 to {most}, "
          "default {suppress}) is the small-cell\nthreshold: a count of people or days from 1 to `suppress_below` − "
          "1 is shown as \"fewer than N\" and left out\nof every CSV and JSON the site holds (0 or 1: nothing is "
          "suppressed).").format(fields=_codes(programmes.PUBLIC_PROJECT_FIELDS),
          defaults=_codes(programmes.DEFAULT_PUBLIC_FIELDS), most=programmes.SUPPRESS_MAX,
          suppress=programmes.Publish().suppress_below),
        "",
        _("Validation rules (as DHIS2 has them): `left` and `right` are each a number, a name or a list of names "
          "added\nup; a name is a return metric ({metrics}) or a reported\nindicator's code, its value the "
          "project's total for the quarter. `operator` is one of {operators}; `message` says what is wrong\n"
          "in plain words; `importance` is {importances} (default `medium`).\n"
          "A rule is checked on every return that carries every name it reads, e.g. `{example}\n{example_end}`.")
          .format(metrics=_codes(RETURN_METRICS), operators=_codes(programmes.OPERATORS),
          importances=_codes(programmes.IMPORTANCES),
          example="{\"id\": \"women-within-trained\",",
          example_end="\"left\": \"women_trained\", \"operator\": \"<=\", \"right\": \"trainees\", \"message\": "
                         "\"…\", \"importance\": \"high\"}"),
        "",
        _("Outliers: a value is unusual when its robust z-score against the project's earlier quarters,\n"
          "0.6745 × (value − median) ÷ MAD, is above `threshold` (default 3.5); it is judged once the project has\n"
          "`min_history` earlier quarters with it (default 4, from 2 to 40). `metrics` lists the names looked at\n"
          "(default: every one the return carries); `bounds` maps a name to `{bounds}` for any one quarter.\n"
          "A partner explains each broken rule and unusual value to send a return; the team sees them when "
          "approving.").format(bounds="{min, max}"),
        "",
        _("A definition that cannot be used is refused with its file, field and a plain message, and nothing\n"
          "changes: unknown aggregations, duplicate or empty codes or values, overlapping phases or phases outside "
          "the\n"
          "window, a ratio naming codes that do not exist, a vocabulary that drops a value the data uses, an id\n"
          "that is not URL-safe or (for a new programme) already taken, score bands that overlap or leave gaps."),
    ]
    return lines


# A key's kind and format in words (the schema's JSON types and formats).
_KINDS = {"string": N_("text"), "integer": N_("whole number"), "number": N_("number"), "boolean": N_("true or false"),
          "array": N_("list"), "object": N_("object")}
_FORMATS = {"date": N_("date YYYY-MM-DD"), "iso4217": N_("ISO 4217 currency code"),
            "iso639-1": N_("ISO 639-1 language code")}


def form(declared: dict) -> str:
    """A key's form in words, in the active language, from its schema: the type, the values allowed, the range and
    the default."""
    if "enum" in declared:
        text = _("one of {values}").format(values=_codes(v for v in declared["enum"] if v != ""))
    elif "anyOf" in declared:
        forms = list(dict.fromkeys(f for f in (form(programmes.resolve(b)) for b in declared["anyOf"]) if f))
        text = forms[0] if forms else ""
        for other in forms[1:]:
            text = _("{form} or {other}").format(form=text, other=other)
    else:
        kinds = declared.get("type", [])
        kind = next((k for k in (kinds if isinstance(kinds, list) else [kinds]) if k != "null"), "")
        text = _(_FORMATS.get(declared.get("format"), _KINDS.get(kind, kind)))
        if "pattern" in declared and declared["pattern"] != "^(\\S(.*\\S)?)?$":
            text = _("{form} matching {pattern}").format(form=text, pattern=f"`{declared['pattern']}`")
        if kind == "array" and "enum" in declared.get("items", {}):
            values = _codes(v for v in declared["items"]["enum"] if v != "")
            text = _("{form} of {values}").format(form=text, values=values)
        low = declared.get("minimum", declared.get("exclusiveMinimum"))
        high = declared.get("maximum", declared.get("exclusiveMaximum"))
        if low is not None and high is not None:
            said = (_("{form}, above {low} to {high}") if "exclusiveMinimum" in declared else
                    _("{form}, {low} to {high}"))
            text = said.format(form=text, low=f"{low:g}", high=f"{high:g}")
    if "default" in declared and declared["default"] not in ("", [], None):
        default = declared["default"]
        text = _("{form}; default {value}").format(form=text, value=_codes(default) if isinstance(default, list) else
                    f"`{json.dumps(default) if isinstance(default, bool) else default}`")
    return text


def definition_keys_frame():
    """One row per key the definition's schema declares: key, required, form, meaning (for the Data page; the form
    and meaning in the active language)."""
    import pandas as pd

    return pd.DataFrame([{"key": path, "required": required, "form": form(declared),
                          "meaning": _(declared.get("description", ""))}
                         for path, declared, required in programmes.declared_keys()],
                        columns=["key", "required", "form", "meaning"])


def programme_summary(programme) -> str:
    """One paragraph about a programme, in the active language: who, when, phases and indicators (its name and
    indicators as its definition translates them)."""
    language = i18n.active().language
    phases = "; ".join(_("{phase} ({first} to {last})").format(phase=p.name, first=p.first_day, last=p.last_day)
                       for p in programme.phases)
    indicators = (", ".join(programme.indicator_texts(i.code, language).get("label") or i.label
                            for i in programme.indicators) or _("none"))
    who = " · ".join(x for x in (programme.funder, programme.managed_by) if x)
    home = programme.home
    return _("{name} ({short}), {start} to {end}{who}. Sides: {home} ({countries}) and {overseas}. Budgets in "
             "{currency}. Phases: {phases}. Outcome indicators: {indicators}.").format(
        name=programme.name_in(language), short=programme.short_name, start=programme.start, end=programme.end,
        who=" · " + who if who else "", home=home.home, countries=home.country_names(), overseas=home.overseas,
        currency=programme.currency, phases=phases, indicators=indicators)


def table_summary(programme=None):
    """One row per table: name, file names, what a row is, and the columns that identify a row."""
    import pandas as pd

    return pd.DataFrame(
        [{"table": t.name, "file name": f"{t.name}.csv / .xlsx / .parquet", "one row is": _(t.description),
          "unique on": ", ".join(t.key)} for t in schema.tables(programme)]
    )


def metrics_frame(programme=None):
    """One row per metric: label, key, unit, how rows combine, meaning and how it is counted (in `programme`'s words:
    its sides' labels and currency)."""
    import pandas as pd

    language = i18n.active().language
    structural = (worded(language=language) if programme is None else
                  worded((home := programme.home_in(language)).home, home.overseas, home.in_sentence, programme.currency,
                         language))
    return pd.DataFrame(
        [{"metric": m.label, "key": m.key, "unit": m.unit, "aggregation": m.aggregation,
          "meaning": m.description, "how it is counted": m.how_counted, "SQL": m.sql} for m in structural.values()]
    )


def cross_checks(programme=None) -> list[str]:
    """The checks across rows and tables that the importer makes (impact.ingest.validate), in words (the sides as
    `programme`'s home section names them; the HPS's without one)."""
    home = programme.home if programme is not None else programmes.Home()
    countries = " or ".join(home.countries)
    return [
        _("Every project, institution and country a row refers to exists in its table."),
        _("Keys are unique (e.g. one training row per project, country, quarter, cadre, gender and type)."),
        _("Periods fall within the dates of the project they belong to."),
        _("A project ends on or after the day it starts, within the programme's window, and starts within its phase."),
        _("The numerator of a share indicator (a ratio in percent) is never more than its denominator (per project, "
          "country and quarter)."),
        _("Volunteer days are at least the number of placements."),
        _("{home} institutions are in {countries} and {overseas} ones are not; {home} leads and {home} roles are "
          "{home} institutions, {overseas} leads and roles {overseas} ones.").format(
            home=home.home, countries=countries, overseas=home.overseas.lower()),
        _("Counts are whole numbers, never negative, and no larger than one row could hold."),
        _("A project's target names its project and the programme's names none; a target falls due within the "
          "programme's window, is a number and never negative; there is one target per scope, project, metric and "
          "due date. The `targets` table may be left out of an extract (no targets set)."),
    ]


def recipe_markdown() -> list[str]:
    """The format of a recipe (impact.ingest.recipe: importing a sheet in its own shape), in Markdown lines, in the
    active language."""
    return [
        "## " + _("Recipes: importing a sheet in its own shape"),
        "",
        _("A recipe says how a spreadsheet kept in its own shape (a programme's master sheet: one row per project and "
        "quarter, a column per cadre and gender, countries by name) becomes rows of one table above. The Data page's "
        "*Import a spreadsheet* and `python -m impact mapping propose` write one; the import that confirms it saves it "
        "under a name (`--save-recipe NAME`) and *Import with recipe* and `python -m impact import FILE --recipe NAME` "
        "use it."),
        "",
        _("Saved recipes are versioned with the programme's definition: each version of the programme carries all of "
        "them in one file beside its `programme.json`, `recipes.json` — `{example}` —, which every later import "
        "keeps. Making an earlier version active brings back "
        "the recipes as they were in it; `export-extract` writes `recipes.json` beside `programme.json`, and an "
        "extract imported with a `recipes.json` replaces the programme's recipes with its own (one left out keeps "
        "them). `python -m impact mapping recipes` lists them and `mapping show NAME --out RECIPE.json` writes one "
        "out to edit. A store from before (`recipes/NAME.json` in the programme's folder) is read as it is until "
        "the next recipe is saved, which moves them into the new version. The programme's own recipes are listed "
        "on the Data page's *Data dictionary* tab.")
        .format(example="{\"format\": \"impact-recipes/1\", \"recipes\": {NAME: recipe}}"),
        "",
        *_head("field", "meaning"),
        "| `format` | `impact-recipe/1` |",
        _row("`name`, `programme`", _(
            "the recipe's name and the programme it maps into")),
        _row("`sheets[].sheet`", _(
            "the worksheet's name (empty for a CSV file)")),
        _row("`sheets[].table`", _(
            "the table its rows go to: `training`, `volunteering` or `outcomes`")),
        _row("`sheets[].header_rows`", _(
            "the row numbers (from 1) of the sheet's header; two rows when a merged heading stands over "
            "sub-headings (`Nurses` over `F` and `M` reads `Nurses F`); rows above are titles, left out")),
        _row("`sheets[].columns[]`", _(
            "one per column of the sheet, in order: `{header, role, column, measure, dimensions}`. `role` is `key` "
            "(`project_id`, `iso3` or `period`), `dimension` (a breakdown column, e.g. `cadre`), `measure` (a "
            "number column), `value` (a wide column: its numbers are `measure` for the `dimensions` its header "
            "names, e.g. `Nurses (F)` → `{\"cadre\": \"Nurse\", \"gender\": \"Female\"}`, one row each), "
            "`attribute` (a column of the project: `theme`, `grant_type`); for a DHIS2 data value set `element` "
            "(the data element: `values[\"(element)\"]` maps each to a measure, e.g. `trainees`, or `value: "
            "indicator=CODE`), `combo` (the category option combo: `values[\"(combo)\"]` maps each to breakdown "
            "values, e.g. `gender=Female, age_band=25-34`; `(none)` for `default`) and `amount` (the value); "
            "`default` (DHIS2's `attributeOptionCombo` as proposed: every value must be `default`, else its row is "
            "refused — map it instead as a second `combo`, its values naming breakdown values too, or as a `key` "
            "to `project_id`, each attribute option combo a project); `submission` (a KoboToolbox/ODK export's "
            "`_uuid`: several submissions for one project, quarter and breakdown are added up, one submission "
            "twice is refused); `choice` (one of the 0/1 columns `group/question/choice` a KoboToolbox/ODK "
            "select-multiple question is also exported as: the rows with 1 choose that choice — its name, mapped "
            "through `values` — as their value of `column`); or `ignore`. A `dimension` column of a "
            "select-multiple question (its choices space-separated: `in_service pre_service`) and `choice` columns "
            "say `multiple`: `one` (a row choosing several is refused, with its row: its numbers would be counted "
            "once per choice) or `each` (the row is counted once for each choice: a total over them counts it more "
            "than once, and the import says so). The joined column and the choice columns of one question are "
            "never both mapped (refused: counted twice); as proposed, the joined column is read and its choice "
            "columns are left out with a notice")),
        _row("`sheets[].constants`", _(
            "a breakdown the sheet does not hold, one value for every row (`training_type`)")),
        _row("`sheets[].values`", _(
            "the sheet's own spellings mapped to the definition's values, per column: `{text: {to, match, "
            "confirmed}}`; `match` is `exact`, `same` (ignoring case, spaces, accents, &/and, and `_` or `-` "
            "between words), `country` (an ISO code or a name in English, French, Portuguese or Spanish), "
            "`project` (a project's title), `near` (a proposal: imported only once `confirmed`), `manual` or "
            "`none`; under `period`, a period across quarters placed in one by hand: `{\"2018S1\": {\"to\": "
            "\"2018Q2\", \"match\": \"manual\"}}` (the Data page asks which quarter; `mapping propose` lists them)")),
        _row("`sheets[].day_first`", _(
            "how a date such as 03/04/2018 reads: `true` (3 April), `false` (4 March); `null` when no date in the "
            "sheet is ambiguous")),
        "",
        _("Rows: blank rows and total rows (a first cell such as `Total` or `Sub-total`, or key cells empty and "
          "numbers that are the sums of the rows above) are left out with a notice; an empty number cell is no "
          "row; periods may be written `2018-07-01`, `01/07/2018`, `2018Q3`, `Q3 2018`, `Jul-Sep 2018`, "
          "`FY2018/19 Q2` (the definition's `fiscal_year_start`) or in DHIS2's forms: a month `201807`, a week "
          "`2018W27` (in the quarter of its Thursday, as DHIS2 places a week), two weeks `2018BiW3` or two "
          "months `201801B` inside one quarter (a data value set's periods are added up into their quarter). A "
          "period across quarters — six months `2018S1`, `2018AprilS1`, `2018NovS1`, a year `2018`, a financial "
          "year `2018April`, `2018July`, `2018Oct`, two months `201802B` or two weeks across a quarter's end — "
          "is refused with its row unless the recipe places it in one quarter (`values.period`), and values of "
          "one breakdown whose periods overlap (a week and its month) are refused as counted twice. A sheet "
          "whose headers are no longer the recipe's is refused with the columns added and missing. The sheet's "
          "rows replace the table's rows of each project and quarter it holds."),
        "",
    ]
