"""The descriptions of the programme definition's JSON Schema (impact/model/programme.schema.json) as messages for
the catalogues: pybabel reads Python, not JSON, so this module holds each description once more, marked with N_(),
for `pybabel extract` to find. The data dictionary translates a key's description through the catalogue.

Generated from the schema, never edited by hand: after changing a description in programme.schema.json, run
`.venv/bin/python -m impact.model.schema_text` (then extract, update and translate as README.md's "Languages" says);
tests/test_dictionary_languages.py fails while this file is not the schema's.
"""

from __future__ import annotations

import json
from pathlib import Path

from impact.model.i18n import N_

SCHEMA_FILE = Path(__file__).with_name("programme.schema.json")


def descriptions(node=None) -> list[str]:
    """Every `description` in the schema, once each, in the order the file gives them."""
    node = json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) if node is None else node
    found: list[str] = []
    if isinstance(node, dict):
        if isinstance(node.get("description"), str) and node["description"]:
            found.append(node["description"])
        for key, value in node.items():
            if not (key == "description" and isinstance(value, str)):  # a property named description is a node
                found += descriptions(value)
    elif isinstance(node, list):
        for item in node:
            found += descriptions(item)
    return list(dict.fromkeys(found))


def _wrapped(text: str, width: int = 110) -> str:
    """A description as Python string literals of at most `width` characters, one after the other (joined by
    Python, as pybabel reads them)."""
    parts, part = [], ""
    for word in text.split(" "):
        word = word if not part else " " + word
        if part and len(json.dumps(part + word, ensure_ascii=False)) > width:
            parts.append(part)
            part = word
        else:
            part += word
    parts.append(part)
    return "\n       ".join(json.dumps(p, ensure_ascii=False) for p in parts)


def source() -> str:
    """This module's text for the schema as it is now."""
    head, _marker, _rest = Path(__file__).read_text(encoding="utf-8").partition("MESSAGES = (\n")
    body = "".join(f"    N_({_wrapped(text)}),\n" for text in descriptions())
    return head + "MESSAGES = (\n" + body + ")\n"


if __name__ == "__main__":
    Path(__file__).write_text(source(), encoding="utf-8")
    print(f"wrote {Path(__file__).name}: {len(descriptions())} descriptions")

MESSAGES = (
    N_("programme.json: a health-partnership grant programme defined as data (its identity, window, phases,"
       " vocabularies, indicators, published figures and the settings of results, reporting, IATI, the public site,"
       " return checks and outliers). Checked by impact.model.programme; what a schema cannot say (cross-references,"
       " unique values, phases inside the window) is checked after it, see SEMANTIC_CHECKS there. The x-message"
       " keywords are this project's own: the message given when a value breaks the keyword (or any keyword of its"
       " schema)."),
    N_("the schema an editor checks the file with (e.g. a path to impact/model/programme.schema.json); ignored by"
       " the dashboard"),
    N_("URL-safe id, 2 to 32 lower-case letters, digits or `-`, starting with a letter (links say `?programme=ID`)"),
    N_("the programme's name, in titles"),
    N_("its short form (default: the name)"),
    N_("who funds it"),
    N_("who manages it"),
    N_("the ISO 4217 code of the currency of its budgets (default `GBP`)"),
    N_("one paragraph about the programme"),
    N_("the programme's first day (YYYY-MM-DD): every period falls between start and end"),
    N_("the programme's last day (YYYY-MM-DD), not before its start"),
    N_("true for invented or generated data (the app says so)"),
    N_("the month (1–12) the programme's financial year starts in, for periods written as `FY2018/19 Q2` in imported"
       " sheets (4: April, so FY2018/19 Q2 is July–September 2018); default 1"),
    N_("the phases (funding rounds) in order: inside the window, never overlapping; a project starts in its phase"),
    N_("the phase's name, as a project's `phase` gives it"),
    N_("its first day (YYYY-MM-DD)"),
    N_("its last day (YYYY-MM-DD), not before its first"),
    N_("for each vocabulary, the allowed values of its column in order: text, or `{value, description, role}`"),
    N_("Main health theme of a project (projects.theme)."),
    N_("Kind of grant (projects.grant_type)."),
    N_("Region a country belongs to (countries.region)."),
    N_("Health-worker cadre of trainees (training.cadre)."),
    N_("Gender of trainees (training.gender)."),
    N_("Kind of training (training.training_type)."),
    N_("Where volunteer time was given (volunteering.location)."),
    N_("Profession of volunteers (volunteering.profession)."),
    N_("Kind of partner institution (institutions.institution_type)."),
    N_("Principle of partnership a project scores itself on (partnership_scores.principle)."),
    N_("the programme's outcome indicators (metrics like any other)"),
    N_("the code rows of `outcomes.indicator` carry: lower-case letters, digits and `_`, not a metric the dashboard"
       " counts"),
    N_("its name on tiles, axes and tables"),
    N_("what it counts (default `people`)"),
    N_("`sum` adds the values reported; `latest` takes each project and country's value in its latest quarter and"
       " adds those; `ratio` divides the figure of `numerator` by that of `denominator` (computed, never reported)"),
    N_("how its numbers are written (default `count`; `percent` for a ratio)"),
    N_("what it means"),
    N_("how it is counted, shown beside its figure"),
    N_("for a ratio: the reported code it divides"),
    N_("for a ratio: the reported code it divides by"),
    N_("false keeps it off the tiles (e.g. the parts of a ratio); default true"),
    N_("who gains: `partner` (the partner country, the default) or `home` (the volunteers' own country)"),
    N_("published numbers shown beside the live ones, never used in a computation"),
    N_("a metric key or an indicator code of this programme"),
    N_("the published number"),
    N_("how it was written: `over`, `more than`, `about`, `almost`, `a further`, `at least` (or none)"),
    N_("the day it was true (YYYY-MM-DD)"),
    N_("where it was published"),
    N_("a note shown after it"),
    N_("how progress against the `targets` table is judged: `{between_milestones, bands}`"),
    N_("`interpolate` (a straight line from the baseline to each milestone in turn) or `last due` (the latest"
       " milestone due on or before the date)"),
    N_("the scores and the % achieved each covers, from 0 % up, without gap or overlap, the highest without `to`"
       " (default: the annual review's)"),
    N_("the score (e.g. A++)"),
    N_("the % achieved it starts at (held)"),
    N_("the % achieved it runs up to (not held); none for the highest band"),
    N_("what the score says"),
    N_("when partners report: the grain of a return and the whole days after a quarter ends by which its return is"
       " due (a return that first arrives later is reported late; with no deadline a return is due when its quarter"
       " ends)"),
    N_("the grain of a return: `quarter` (the grain of the results tables)"),
    N_("whole days after a quarter's end by which its return is due (0 to 366)"),
    N_("how many days (1 to 366) before the due date `python -m impact remind` e-mails a partner whose return has"
       " not arrived (without it, partners are reminded only once a return is late)"),
    N_("publishing to and reading from IATI: organisation identifiers and types, the activities' language, the"
       " sectors of themes, and how an IATI file's activities are read"),
    N_("the reporting organisation's identifier (e.g. GB-CHC-1113226); also the prefix of every activity identifier"
       " unless `activity_prefix` is given"),
    N_("IATI OrganisationType code of the managing organisation (two digits; default 21)"),
    N_("the funder's organisation identifier"),
    N_("IATI OrganisationType code of the funder (two digits; default 10)"),
    N_("the prefix of activity identifiers (`<prefix>-<project_id>`; default: reporting_org_ref)"),
    N_("the activities' language (`xml:lang`), an ISO 639-1 code; default `en`"),
    N_("a theme -> its DAC 5-digit purpose code"),
    N_("a theme of vocabularies.theme -> its DAC 5-digit purpose code"),
    N_("Which organisations lead a project, in order: any of implementing, accountable, reporting (default:"
       " implementing, then accountable, then the reporting organisation)."),
    N_("true: an activity needs a lead on each side (home and partner country); default false: a project with one"
       " known organisation imports, its side from its country or its reference's country prefix, else not known."),
    N_("An activity with several recipient countries: largest (default: the project is in the country with the"
       " largest percentage, the first on a tie), split (the project is counted once, in that country, and its"
       " budget is split across its countries by their percentages on the country pages and filters) or refuse."),
    N_("The hierarchy level imported (1 = parent activities, 2 = their children...); default: the lowest level"
       " present in the file (the largest number), said in the import's report."),
    N_("Sectors to themes, per sector vocabulary: {\"1\": {DAC 5-digit code: theme}, \"2\": {DAC 3-digit code:"
       " theme}, \"99\": {publisher's own code: theme}}; checked before sectors."),
    N_("DAC 5-digit purpose code"),
    N_("DAC 3-digit sector"),
    N_("the reporting organisation's own (2)"),
    N_("the reporting organisation's own"),
    N_("Result indicators to the programme's metrics and outcome indicators: {IATI indicator reference code or"
       " title: key}, e.g. {\"Health workers trained\": \"trainees\"}; checked before an indicator's label. Results"
       " go to targets (each period's target, added up) and, for an outcome indicator, outcomes (each period's"
       " actual, in the quarter it ends); a metric counted from the programme's own rows (trainees, volunteer"
       " days...) takes the targets only. An indicator matching none is proposed as a new one (created with"
       " import-iati --add-indicators)."),
    N_("an IATI indicator's reference code or title -> a metric or indicator key"),
    N_("An activity with a recipient region and no country: {IATI region code: region of vocabularies.region}, e.g."
       " {\"289\": \"<a region>\"}; the project's country is then not known (a country row \"Country not known\" in"
       " that region). Default: none, such an activity is refused (a programme started from the file keeps the IATI"
       " region as a region of its own)."),
    N_("an IATI region code -> a region of vocabularies.region"),
    N_("The theme of an activity whose sectors map to no theme (empty: such an activity is refused)."),
    N_("A project's grant value: budgets-or-commitments (default: the original budgets, else the revised ones, else"
       " the commitments, transaction type 2) or budgets."),
    N_("Yearly rates to the programme's currency: {\"USD\": {\"2019\": 0.78}} (one USD is 0.78 of the programme's"
       " currency in 2019). An amount in another currency without its year's rate refuses its activity; amounts are"
       " never added up across currencies."),
    N_("an ISO 4217 currency -> its rates by year"),
    N_("a year (four digits) -> how much of the programme's currency one unit is worth that year"),
    N_("the programme's own breakdowns of its results (e.g. age band on training): `{key, label, tables,"
       " description, iati_name, values}`"),
    N_("the column it is in, and its key in links: 2 to 32 lower-case letters, digits and `_`, not a name the"
       " dashboard already uses"),
    N_("its name in the sidebar, captions and tables"),
    N_("the fact tables whose rows carry it: `training`, `volunteering`, `outcomes`"),
    N_("the IATI result dimension's name (default: the label)"),
    N_("its allowed values in order: text, or `{value, description}`"),
    N_("who is home: `{countries, sides: {home, overseas}, in_sentence}`; default, when left out, the HPS's:"
       " `{\"countries\": [\"GBR\"], \"sides\": {\"home\": \"UK\", \"overseas\": \"Overseas\"}, \"in_sentence\":"
       " \"the UK\"}`"),
    N_("The programme's home country or countries, ISO 3166-1 alpha-3 codes (HPS: [\"GBR\"]; a South-South programme"
       " may name several): an institution on the home side is in one of them, one on the overseas side in none."),
    N_("The labels of the two sides: {\"home\": \"UK\", \"overseas\": \"Overseas\"} (a German programme:"
       " \"Germany\", \"Partner country\"). They are the values of institutions.side and name the lead roles (\"UK"
       " lead\", \"Overseas partner\") and the metrics counted per side (\"UK institutions\")."),
    N_("the home side's label (e.g. UK)"),
    N_("the other side's label (e.g. Overseas)"),
    N_("How a sentence names the home side after \"from\" (\"Volunteer days from the UK\"); default: the home side's"
       " label."),
    N_("the programme's content in the interface's other languages: `{LANG: {name, short_name, description, terms:"
       " {vocabulary: {value: label}}, indicators: {code: {label, description, how_counted}}, disaggregations: {key:"
       " label}, rules: {rule id: message}, home: {home, overseas, in_sentence}}}`; stored values stay the canonical"
       " codes, and a missing text is shown in English (`programme check` lists them)"),
    N_("a language code -> the programme's texts in it"),
    N_("the programme's name in this language"),
    N_("its short name in this language"),
    N_("its description in this language"),
    N_("vocabulary -> {value: its label in this language}"),
    N_("a vocabulary -> its values' labels"),
    N_("a value -> its label in this language"),
    N_("indicator code -> {label, description, how_counted} in this language"),
    N_("an indicator's texts in this language"),
    N_("its label"),
    N_("its description"),
    N_("how it is counted"),
    N_("a breakdown's key -> its label in this language"),
    N_("a breakdown's key -> its label"),
    N_("the home section's words in this language, for what people read: `{home, overseas, in_sentence}` (the sides'"
       " labels and the home side in a sentence, as after \"from\" or \"in\"); the values `institutions.side` holds"
       " stay the definition's own"),
    N_("the home side's label"),
    N_("the overseas side's label"),
    N_("the home side in a sentence"),
    N_("a validation rule's id -> its message in this language (shown to a partner whose return breaks it)"),
    N_("a rule's id -> its message in this language"),
    N_("what `python -m impact publish` may put on the public site: `{project_fields, licence, suppress_below}`"),
    N_("the project fields a project's public page shows (`project_id` always)"),
    N_("the licence the figures are published under (e.g. CC BY 4.0), named on every page and in every chart's"
       " metadata"),
    N_("the small-cell threshold (0 to 1000, default 5): a count of people or days from 1 to `suppress_below` − 1 is"
       " shown as \"fewer than N\" and left out of every download (0 or 1: nothing is suppressed)"),
    N_("checks on one project's return for one quarter, as DHIS2 has them: `{id, left, operator, right, message,"
       " importance}`"),
    N_("the rule's own id: lower-case letters, digits, - and _"),
    N_("a number, a name (a return metric or a reported indicator's code) or a list of names added up"),
    N_("how the sides compare"),
    N_("a number, a name or a list of names added up"),
    N_("what is wrong, in plain words"),
    N_("`high`, `medium` (default) or `low`"),
    N_("unusual values against the project's own history: `{threshold, min_history, metrics, bounds}`"),
    N_("the robust z-score above which a value is unusual (above 0, at most 100; default 3.5)"),
    N_("the earlier quarters a value is judged against once there are that many (2 to 40, default 4)"),
    N_("the names looked at: return metrics or reported indicator codes (default: every one a return carries)"),
    N_("a name -> `{min, max}` for any one quarter"),
    N_("a return metric or a reported indicator's code -> the values it is expected between in one quarter"),
    N_("the lowest value expected"),
    N_("the highest value expected, not below min"),
    N_("one allowed value: text, or an object with its value, a one-line description and a role"),
    N_("the value as the data writes it (the values of every vocabulary and disaggregation are written alike)"),
    N_("the role it plays in the metrics counted in code (e.g. `women` in gender)"),
    N_("a sector code -> the theme of vocabularies.theme it is read as"),
)
