"""IATI activity XML 2.03: the shipped schema, reading a file safely, and importing its activities.

IATI (the International Aid Transparency Initiative) is the standard behind DevTracker and d-portal. The
official 2.03 schema ships unchanged in `schemas/iati-2.03/`; `xsd()` loads it offline and `check`
validates a document against it. Publishing the programme (one activity per project, with its results
against targets) needs the query layer's actuals, so it lives there (`impact.query.iati`); this module
reads a file back.

`import_iati` maps a file's activities onto the programme's projects, partner institutions, project
partners and countries and imports them through `extract_io.import_extract`, like every import: validated,
a new version when all is well, nothing changed when anything cannot be mapped — every activity that
cannot is named with its identifier, its line and the reason. Projects and project partners are replaced
by the file's activities; countries and institutions are the ones in use, updated and added to from the
file; training, volunteering, outcomes, self-assessments and targets are kept, so they must still refer to
projects in the file.

What IATI has no place for travels in attributes of the dashboard's own namespace (`NS`; the schema
allows attributes of another namespace on these elements), so that export then import gives back the same
projects: a project's grant type (on `iati-activity`), a country's programme region (on `recipient-country`)
and a partner's institution id, type, country and role (on `participating-org`). The theme travels as a
sector of the reporting organisation's own vocabulary (99) beside its DAC purpose code. A file without
these attributes (published by another tool) is read by the rules in `_Mapper`.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import tempfile
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from impact.ingest import extract_io, readers, validate
from impact.model import iso3166, schema
from impact.storage import store
from impact.model import programme as programmes

SCHEMA_DIR = store.PROJECT_ROOT / "schemas" / "iati-2.03"
SCHEMA_FILE = "iati-activities-schema.xsd"
VERSION = "2.03"
NS = "urn:partnership-impact-dashboard:iati"  # a name for the dashboard's own attributes, not an address
NS_PREFIX = "impact"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# IATI codelists (the values used here)
FUNDING, EXTENDING, IMPLEMENTING = "1", "3", "4"  # OrganisationRole (2 is Accountable)
PLANNED_START, ACTUAL_START, PLANNED_END, ACTUAL_END = "1", "2", "3", "4"  # ActivityDateType
PIPELINE, IMPLEMENTATION, FINALISATION, CLOSED = "1", "2", "3", "4"  # ActivityStatus
DAC_SECTOR, OWN_SECTOR = "1", "99"  # SectorVocabulary: DAC 5-digit; the reporting organisation's own
ORIGINAL_BUDGET, REVISED_BUDGET = "1", "2"  # BudgetType
COMMITTED = "2"  # BudgetStatus
OUTPUT = "1"  # ResultType
UNIT, PERCENTAGE = "1", "2"  # IndicatorMeasure

TABLES = ("countries", "institutions", "projects", "project_partners")  # what an IATI import replaces
KEPT = ("training", "volunteering", "outcomes", "partnership_scores", "targets")  # rows that name projects
RULES = {  # every problem an IATI import names, and what it means
    "iati-not-xml": "the file is not XML (the line of the first error is named)",
    "iati-unsafe": "the file declares a DOCTYPE or entities, which IATI files never do",
    "iati-not-iati": "XML whose root is not iati-activities",
    "iati-version": "IATI 1.x, 2.01 or 2.02, or no version: only 2.03 is read",
    "iati-schema": "the file breaks the IATI 2.03 schema",
    "iati-no-activities": "the file holds no activity",
    "iati-duplicate-activity": "two activities with the same project id",
    "iati-unmapped-sector": "no sector of the activity names a theme of the programme",
    "iati-ambiguous-sector": "the DAC purpose code is given to several themes",
    "iati-no-country": "no recipient country, or several",
    "iati-unknown-country": "a recipient country that is not an ISO 3166-1 alpha-2 code",
    "iati-unknown-region": "a country new to the programme whose region cannot be known",
    "iati-missing-date": "no start or no end date",
    "iati-no-phase": "the start date falls in no phase of the programme",
    "iati-budget": "no budget, or a budget in another currency",
    "iati-partners": "no implementing organisations, no UK or no overseas one, or one whose country is unknown",
    "iati-institution-conflict": "one institution id given two names or countries",
    "iati-removes-project": "a project in use, with rows that name it, is not in the file",
}
NO_SECTION = (
    "the programme's definition ({file}) has no \"iati\" section, which publishing to and reading from IATI needs. "
    "Add one, e.g. \"iati\": {{\"reporting_org_ref\": \"GB-CHC-1234567\", \"reporting_org_type\": \"21\", "
    "\"funder_ref\": \"GB-GOV-1\", \"funder_type\": \"10\", \"language\": \"en\", \"sectors\": {{\"<a theme>\": "
    "\"12181\"}}}}: reporting_org_ref (the managing organisation's IATI identifier, also the prefix of every "
    "activity identifier) is required; sectors map themes to DAC 5-digit purpose codes. Then import the "
    "definition (python -m impact export-extract, edit programme.json, python -m impact import)."
)


class SchemaError(RuntimeError):
    """The shipped schema cannot be loaded (a file is missing or was changed), or tried to load another file."""


def section(definition: programmes.Programme) -> programmes.Iati:
    """The definition's IATI section (ValueError, saying what to add, when it has none)."""
    if definition.iati is None or not definition.iati.reporting_org_ref:
        raise ValueError(NO_SECTION.format(file=programmes.FILE))
    return definition.iati


# ---- the schema -------------------------------------------------------------------------------

def _local_resolver(folder: Path, loaded: list[str], refused: list[str]):
    """An lxml resolver that serves the files of `folder` and refuses every other file or address (no network)."""
    from lxml import etree

    class LocalOnly(etree.Resolver):
        def resolve(self, url, pubid, context):
            local = "://" not in url or url.startswith("file://")
            path = Path(url.removeprefix("file://")).resolve() if local else None
            if path is None or path.parent != folder.resolve() or not path.is_file():
                refused.append(url)
                return self.resolve_string("<refused/>", context)
            loaded.append(path.name)
            return self.resolve_filename(str(path), context)

    return LocalOnly()


@functools.cache
def xsd():
    """The IATI 2.03 activity schema (lxml XMLSchema), loaded once from `schemas/iati-2.03/` and nowhere else."""
    return load_schema(SCHEMA_DIR)[0]


def load_schema(folder: Path):
    """The schema in `folder` and the names of the files it was built from; SchemaError if it reached for any
    file outside `folder` or any network address."""
    from lxml import etree

    loaded: list[str] = []
    refused: list[str] = []
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    parser.resolvers.add(_local_resolver(folder, loaded, refused))
    try:
        built = etree.XMLSchema(etree.parse(str(folder / SCHEMA_FILE), parser))
    except (OSError, etree.XMLSchemaParseError, etree.XMLSyntaxError) as error:
        raise SchemaError(f"the IATI schema in {folder} cannot be loaded: {error}") from None
    if refused:
        raise SchemaError(f"the IATI schema in {folder} refers to files outside it: {', '.join(refused)}")
    return built, loaded


def check(document) -> list[tuple[int, str]]:
    """Where and why `document` (an lxml tree or element) breaks the 2.03 schema: (line, message) pairs."""
    validator = xsd()
    if validator.validate(document):
        return []
    return [(error.line, error.message) for error in validator.error_log]


# ---- reading a file safely ----------------------------------------------------------------------

def parser():
    """An lxml parser for files from outside: no entities, no DTD, no network, no huge trees."""
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
                           dtd_validation=False, remove_comments=True, remove_pis=True)


def read(path: Path, report: validate.Report, shown: str, limits: readers.Limits = readers.LIMITS):
    """The parsed IATI 2.03 activity file at `path`, or None with the reason in `report` (its file, line and rule)."""
    from lxml import etree

    size = path.stat().st_size
    if size > limits.file_bytes:
        report.add(shown, None, "", "", "iati-not-xml", f"The file is {size:,} bytes; the limit is "
                                                        f"{limits.file_bytes:,}. Split it by activity.")
        return None
    try:
        tree = etree.parse(str(path), parser())
    except etree.XMLSyntaxError as error:
        line, column = error.position if error.position else (error.lineno or 1, 0)
        reason = re.sub(r", line \d+, column \d+$", "", error.msg or "unreadable")
        report.add(shown, line, "", "", "iati-not-xml",
                   f"The file is not XML: line {line}, column {column}: {reason}. An IATI file is an XML document "
                   f"whose root is <iati-activities version=\"{VERSION}\">.")
        return None
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        report.add(shown, 1, "", "", "iati-unsafe",
                   "The file declares a DOCTYPE; IATI files have none, and its entities are not read. Remove it.")
        return None
    root = tree.getroot()
    tag = etree.QName(root)
    if tag.namespace or tag.localname != "iati-activities":
        kind = ("an IATI organisation file (iati-organisations), not an activity file"
                if tag.localname == "iati-organisations" else "not an IATI activity file")
        report.add(shown, root.sourceline, "", tag.localname, "iati-not-iati",
                   f"The root element is <{tag.localname}>{f' in the namespace {tag.namespace}' if tag.namespace else ''}: "
                   f"{kind}. An IATI activity file's root is <iati-activities version=\"{VERSION}\">.")
        return None
    version = (root.get("version") or "").strip()
    if version != VERSION:
        report.add(shown, root.sourceline, "version", version, "iati-version", _version_message(version))
        return None
    problems = check(tree)
    for line, message in problems:
        report.add(shown, line, "", "", "iati-schema", f"Not valid IATI {VERSION}: {message}")
    return None if problems else tree


def _version_message(version: str) -> str:
    if not version:
        return (f"The file does not say which IATI version it is (iati-activities has no version attribute, which "
                f"IATI 1.x files may leave out). It must be IATI {VERSION}: convert it and import again.")
    if version.startswith("1."):
        return (f"The file is IATI version {version} (1.x). It must be converted to IATI {VERSION} before it can be "
                "imported: IATI 2.01 changed, among other things, how text is written (narrative elements) and the "
                "organisation role codes.")
    if version in ("2.01", "2.02"):
        return (f"The file is IATI version {version}; this import reads IATI {VERSION}, the version the dashboard "
                f"publishes. Convert it to {VERSION} (or publish it again as {VERSION}) and import again.")
    return f"The file says it is IATI version {version[:20]!r}; this import reads IATI {VERSION} only."


# ---- mapping activities onto the programme's tables -----------------------------------------------

@dataclass
class Row:
    """One row built for a table, with where it came from: the activity and the line of its element."""

    values: dict
    activity: str
    line: int
    what: str = ""  # the element it came from, when not the activity itself


@dataclass
class Mapped:
    """The tables an IATI file maps to, row by row, and the activities read."""

    rows: dict[str, list[Row]] = field(default_factory=lambda: {name: [] for name in TABLES})
    activities: int = 0
    countries_added: list[str] = field(default_factory=list)
    institutions_added: int = 0


def _attr(name: str) -> str:
    return f"{{{NS}}}{name}"


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def _language(code: str) -> str:
    """A language code as compared: codes are case-insensitive (a funder's "EN" is "en") and "en-GB" is English."""
    return code.strip().casefold().split("-")[0]


class _Mapper:
    """Reads each activity into a project, its partners and its country, by these rules:

    - project_id: the identifier without the definition's prefix and a hyphen (the whole identifier when it
      has another prefix); title: the title's narrative in the definition's language (else the first);
    - theme: a sector of vocabulary 99 naming a theme, else the DAC sector (the largest share) whose purpose
      code `iati.sectors` gives to exactly one theme;
    - dates: actual start and end where given, else planned; phase: the phase holding the start;
    - grant type: the activity's own attribute, else the definition's first grant type (IATI has no grant types);
    - country: the one recipient country (alpha-2 to alpha-3); a country new to the programme needs its region
      (the dashboard's own attribute), its name comes from ISO 3166-1;
    - budget: the original budgets (else the revised ones) added up, rounded to whole units, in the programme's
      currency only;
    - partners: the implementing organisations (role 4). An institution is known by the dashboard's own id
      attribute, else its @ref, else its name among the institutions in use, else a new id made from its name
      (IATI-<hash>); its country by the attribute, the institution in use, or the country of its @ref (GB-… is
      the UK); its type by the attribute, the institution in use, else the definition's first institution type;
      its role by the attribute, else the first UK and the first overseas organisation lead, the others partner.
    """

    def __init__(self, definition: programmes.Programme, current: dict, report: validate.Report, shown: str):
        self.definition = definition
        self.iati = section(definition)
        self.report = report
        self.shown = shown
        self.language = self.iati.language or "en"
        self.themes = definition.values("theme")
        self.by_code: dict[str, list[str]] = {}
        for theme in self.themes:
            code = (self.iati.sectors or {}).get(theme)
            if code:
                self.by_code.setdefault(code, []).append(theme)
        self.countries = {row["iso3"]: row for row in current["countries"].to_pylist()}
        self.institutions = {row["institution_id"]: row for row in current["institutions"].to_pylist()}
        self.by_name = {row["name"].casefold(): row for row in self.institutions.values()}
        self.out = Mapped()
        self.seen_projects: dict[str, int] = {}
        self.seen_institutions: dict[str, Row] = {}

    def problem(self, line: int | None, column: str, value, rule: str, message: str) -> None:
        self.report.add(self.shown, line, column, value, rule, message)

    # -- one activity --

    def activity(self, element) -> None:
        identifier = _clean(element.findtext("iati-identifier"))
        line = element.sourceline
        prefix = f"{self.iati.prefix}-"
        project_id = identifier[len(prefix):] if identifier.startswith(prefix) else identifier
        name = f"Activity {identifier}"
        self.out.activities += 1
        if project_id in self.seen_projects:
            self.problem(line, "iati-identifier", identifier, "iati-duplicate-activity",
                         f"{name} is the project {project_id}, like the activity on line "
                         f"{self.seen_projects[project_id]}; each project is one activity.")
            return
        self.seen_projects[project_id] = line
        before = self.report.total
        theme = self.theme(element, name)
        start, end = self.dates(element, name)
        phase = self.phase(start, line, name)
        iso3 = self.country(element, name)
        budget = self.budget(element, name)
        partners = self.partners(element, name, identifier)
        if self.report.total > before:
            return
        grant = element.get(_attr("grant-type")) or self.definition.values("grant_type")[0]
        leads = {role: inst for inst, role, _ in partners if role in ("UK lead", "Overseas lead")}
        self.out.rows["projects"].append(Row({
            "project_id": project_id, "title": self.narrative(element.find("title")), "theme": theme,
            "grant_type": grant, "phase": phase, "iso3": iso3, "uk_lead_id": leads["UK lead"],
            "overseas_lead_id": leads["Overseas lead"], "start_date": start, "end_date": end, "budget_gbp": budget,
        }, identifier, line))
        for institution_id, role, org_line in partners:
            self.out.rows["project_partners"].append(Row({"project_id": project_id, "institution_id": institution_id,
                                                          "role": role}, identifier, org_line,
                                                         f"participating organisation {institution_id}"))

    def narrative(self, element) -> str:
        """The element's narrative in the definition's language, else its first. A narrative without xml:lang is in
        the nearest default around it (the activity's, else the file's), else in the definition's language."""
        if element is None:
            return ""
        narratives = element.findall("narrative")
        default = next((a.get(XML_LANG) for a in element.iterancestors() if a.get(XML_LANG)), None)
        wanted = _language(self.language)
        for n in narratives:
            if _language(n.get(XML_LANG) or default or self.language) == wanted:
                return _clean(n.text)
        return _clean(narratives[0].text) if narratives else ""

    def theme(self, element, name: str) -> str | None:
        sectors = element.findall("sector")
        for s in sectors:
            if s.get("vocabulary") == OWN_SECTOR and s.get("code") in self.themes:
                return s.get("code")
        dac = [s for s in sectors if (s.get("vocabulary") or DAC_SECTOR) == DAC_SECTOR]
        dac.sort(key=lambda s: -_decimal(s.get("percentage"), Decimal(100)))
        line = (dac[0] if dac else element).sourceline
        if not dac:
            self.problem(line, "sector", "", "iati-unmapped-sector",
                         f"{name} has no DAC sector and no sector of vocabulary 99 naming a theme, so its theme "
                         f"cannot be known. Give it a DAC purpose code that iati.sectors in {programmes.FILE} maps "
                         "to a theme.")
            return None
        code = dac[0].get("code", "")
        themes = self.by_code.get(code, [])
        if not themes:
            self.problem(line, "sector", code, "iati-unmapped-sector",
                         f"{name} has the DAC sector {code}, which iati.sectors in {programmes.FILE} gives to no "
                         f"theme; add it to the theme it stands for (e.g. \"<theme>\": \"{code}\").")
            return None
        if len(themes) > 1:
            self.problem(line, "sector", code, "iati-ambiguous-sector",
                         f"{name} has the DAC sector {code}, which iati.sectors gives to {len(themes)} themes "
                         f"({', '.join(themes)}); add a sector of vocabulary 99 whose code is the theme.")
            return None
        return themes[0]

    def dates(self, element, name: str) -> tuple[dt.date | None, dt.date | None]:
        found: dict[str, dt.date] = {}
        for d in element.findall("activity-date"):
            try:
                found[d.get("type")] = dt.date.fromisoformat(d.get("iso-date", "")[:10])
            except ValueError:  # the schema has checked the date; a time zone suffix is cut off above
                continue
        out = []
        for actual, planned, what in ((ACTUAL_START, PLANNED_START, "start"), (ACTUAL_END, PLANNED_END, "end")):
            day = found.get(actual) or found.get(planned)
            if day is None:
                self.problem(element.sourceline, "activity-date", "", "iati-missing-date",
                             f"{name} has no {what} date (activity-date of type {actual}, actual, or {planned}, "
                             "planned); a project needs both.")
            out.append(day)
        return out[0], out[1]

    def phase(self, start: dt.date | None, line: int, name: str) -> str | None:
        if start is None:
            return None
        phase = next((p.name for p in self.definition.phases if p.holds(start)), None)
        if phase is None:
            spans = "; ".join(f"{p.name}: {p.first_day} to {p.last_day}" for p in self.definition.phases)
            self.problem(line, "activity-date", start.isoformat(), "iati-no-phase",
                         f"{name} starts on {start}, in no phase of the programme ({spans}); a project belongs to "
                         "the phase in which it starts.")
        return phase

    def country(self, element, name: str) -> str | None:
        countries = element.findall("recipient-country")
        if len(countries) != 1:
            codes = ", ".join(c.get("code", "") for c in countries)
            self.problem(element.sourceline, "recipient-country", codes, "iati-no-country",
                         f"{name} has {len(countries) or 'no'} recipient countr{'y' if len(countries) == 1 else 'ies'}"
                         f"{f' ({codes})' if codes else ''}; a project works in one country.")
            return None
        code = countries[0].get("code", "").strip().upper()
        iso3 = iso3166.from_alpha2(code)
        line = countries[0].sourceline
        if iso3 is None:
            self.problem(line, "recipient-country", code, "iati-unknown-country",
                         f"{name}: the recipient country {code!r} is not an ISO 3166-1 alpha-2 code.")
            return None
        if iso3 not in self.countries:
            region = countries[0].get(_attr("region"), "")
            if region not in self.definition.values("region"):
                why = (f"its region {region!r} is not one of vocabularies.region in {programmes.FILE}" if region
                       else "its region cannot be known from IATI")
                self.problem(line, "recipient-country", code, "iati-unknown-region",
                             f"{name}: {iso3166.ALPHA3[iso3]} ({iso3}) is not among the programme's countries, and "
                             f"{why}. Import a countries table with its region first (python -m impact import "
                             "countries.csv), then this file again.")
                return None
            self.countries[iso3] = {"iso3": iso3, "name": iso3166.ALPHA3[iso3], "region": region}
            self.out.countries_added.append(iso3)
            self.out.rows["countries"].append(Row(self.countries[iso3], _clean(element.findtext("iati-identifier")),
                                                  line, f"recipient country {code}"))
        return iso3

    def budget(self, element, name: str) -> int | None:
        currency = self.definition.currency
        default = element.get("default-currency", "")
        budgets = {ORIGINAL_BUDGET: [], REVISED_BUDGET: []}
        for b in element.findall("budget"):
            value = b.find("value")
            if value is None:
                continue
            used = value.get("currency") or default
            if used != currency:
                self.problem(value.sourceline, "budget", used, "iati-budget",
                             f"{name} has a budget in {used or 'no currency'}; the programme's budgets are in "
                             f"{currency} and are not converted.")
                return None
            budgets.setdefault(b.get("type") or ORIGINAL_BUDGET, []).append(_decimal(value.text, None))
        chosen = budgets[ORIGINAL_BUDGET] or budgets[REVISED_BUDGET]
        if not chosen or any(v is None for v in chosen):
            self.problem(element.sourceline, "budget", "", "iati-budget",
                         f"{name} has no budget with a value (budget of type 1, original, or 2, revised); "
                         "a project needs its grant value.")
            return None
        return int(sum(chosen).quantize(Decimal(1), rounding=ROUND_HALF_UP))

    def partners(self, element, name: str, identifier: str) -> list[tuple[str, str, int]]:
        """(institution id, role, line) of each implementing organisation, leads first as given."""
        implementing = [org for org in element.findall("participating-org") if org.get("role") == IMPLEMENTING]
        if not implementing:
            self.problem(element.sourceline, "participating-org", "", "iati-partners",
                         f"{name} has no implementing organisation (participating-org role 4); a project's "
                         "partner institutions are its implementing organisations.")
            return []
        found = [(self.institution(org, name, identifier), org) for org in implementing]
        if any(institution is None for institution, _ in found):
            return []  # each is named already
        sides = {iid: self.seen_institutions[iid].values["side"] for iid, _ in found}
        roles = []
        given_roles = [org.get(_attr("role")) for _, org in found]
        if all(r in schema.PARTNER_ROLES for r in given_roles):
            roles = given_roles
        else:
            led = set()
            for iid, _ in found:
                side = sides[iid]
                roles.append(f"{'UK' if side == 'UK' else 'Overseas'} {'partner' if side in led else 'lead'}")
                led.add(side)
        for lead in ("UK lead", "Overseas lead"):
            if roles.count(lead) != 1:
                side = lead.split()[0]
                self.problem(element.sourceline, "participating-org", "", "iati-partners",
                             f"{name} has {roles.count(lead) or 'no'} {lead}s among its implementing organisations; "
                             f"a project has one {side} lead ({'an institution in the UK' if side == 'UK' else 'an institution outside the UK'}).")
                return []
        return [(iid, role, org.sourceline) for (iid, org), role in zip(found, roles)]

    def institution(self, org, name: str, identifier: str) -> str | None:
        label = self.narrative(org) or org.get("ref", "")
        ref = (org.get("ref") or "").strip()
        known = (self.institutions.get(org.get(_attr("institution-id"), "")) or self.institutions.get(ref)
                 or self.by_name.get(label.casefold()))
        institution_id = org.get(_attr("institution-id")) or (known or {}).get("institution_id") or ref \
            or f"IATI-{hashlib.sha256(label.casefold().encode()).hexdigest()[:8].upper()}"
        iso3 = org.get(_attr("country")) or (known or {}).get("iso3") or _ref_country(ref)
        where = f"{name}, implementing organisation {label!r}"
        if not label:
            self.problem(org.sourceline, "participating-org", ref, "iati-partners",
                         f"{name} has an implementing organisation with no name (narrative); an institution needs one.")
            return None
        if not iso3 or not iso3166.is_alpha3(iso3):
            self.problem(org.sourceline, "participating-org", label, "iati-partners",
                         f"{where}: its country cannot be known (no organisation identifier such as GB-CHC-… in "
                         "@ref, and not an institution of the programme), so neither can its side; give its @ref.")
            return None
        values = {"institution_id": institution_id, "name": label, "side": "UK" if iso3 == "GBR" else "Overseas",
                  "institution_type": org.get(_attr("institution-type")) or (known or {}).get("institution_type")
                  or self.definition.values("institution_type")[0], "iso3": iso3}
        seen = self.seen_institutions.get(institution_id)
        if seen is not None:
            if (seen.values["name"], seen.values["iso3"]) != (label, iso3):
                self.problem(org.sourceline, "participating-org", institution_id, "iati-institution-conflict",
                             f"{where}: the institution {institution_id} is {seen.values['name']!r} "
                             f"({seen.values['iso3']}) in activity {seen.activity} (line {seen.line}); one id, "
                             "one institution.")
                return None
            return institution_id
        row = Row(values, identifier, org.sourceline, f"participating organisation {label!r}")
        self.seen_institutions[institution_id] = row
        if institution_id not in self.institutions:
            self.out.institutions_added += 1
        return institution_id

    # -- the whole file --

    def tables(self, current: dict) -> dict[str, list[Row]]:
        """Every table to import: the file's projects and partners; countries and institutions in use, updated
        and added to."""
        rows = self.out.rows
        institutions = [self.seen_institutions.pop(row["institution_id"], None) or Row(row, "", 0)
                        for row in current["institutions"].to_pylist()]
        rows["institutions"] = institutions + list(self.seen_institutions.values())
        rows["countries"] = [Row(row, "", 0) for row in current["countries"].to_pylist()] + rows["countries"]
        return rows


def _decimal(text: str | None, default):
    try:
        return Decimal((text or "").strip().replace(",", ""))
    except InvalidOperation:
        return default


def _ref_country(ref: str) -> str | None:
    """The country of an organisation identifier's registration agency (GB-CHC-… is the UK; XI-, XM-: none)."""
    match = re.match(r"^([A-Z]{2})-", ref or "")
    return iso3166.from_alpha2(match.group(1)) if match else None


# ---- the import ---------------------------------------------------------------------------------

@dataclass
class IatiImport:
    """What an IATI import did: the import's result, and what the file held."""

    result: extract_io.ImportResult
    mapped: Mapped | None = None

    @property
    def ok(self) -> bool:
        """True when a new version was written and made active."""
        return self.result.ok

    @property
    def report(self) -> validate.Report:
        """Every problem, named by the file, its line, the activity and the rule."""
        return self.result.report


def import_iati(path: str | Path, location: str | Path | None = None, programme: str | None = None,
                who: str | None = None, display: str | None = None) -> IatiImport:
    """Read the IATI 2.03 activity file at `path` into the programme's projects, partners, institutions and
    countries, and import them as a new version (nothing changes when any activity cannot be mapped)."""
    path = Path(path)
    shown = display or path.name
    report = validate.Report()
    report.row_label = "line"
    if not path.is_file():
        report.add(shown, None, "", "", "not-found", f"There is no file called {shown}.")
        return IatiImport(extract_io.ImportResult(report))
    current_version = store.open_store(location, programme).active()
    definition = store.load_definition(current_version.path)
    section(definition)
    tree = read(path, report, shown)
    if tree is None:
        return IatiImport(extract_io.ImportResult(report))
    current = {name: store.read_table(current_version.path, name) for name in schema.TABLE_NAMES}
    mapper = _Mapper(definition, current, report, shown)
    activities = tree.getroot().findall("iati-activity")
    if not activities:
        report.add(shown, tree.getroot().sourceline, "", "", "iati-no-activities", "The file holds no activity.")
    for element in activities:
        mapper.activity(element)
    if report.ok:
        _check_kept(current, {r.values["project_id"] for r in mapper.out.rows["projects"]}, report, shown)
    if not report.ok:
        return IatiImport(extract_io.ImportResult(report), mapper.out)
    rows = mapper.tables(current)
    with tempfile.TemporaryDirectory(prefix="impact-iati-") as work:
        folder = Path(work)
        for name in TABLES:
            _write(folder / f"{name}.parquet", name, rows[name])
        result = extract_io.import_extract(folder, location, who, display=shown, programme=definition.id,
                                           origin=path)
    result.report = _in_file_terms(result.report, rows, shown)
    return IatiImport(result, mapper.out)


def _check_kept(current: dict, kept_projects: set[str], report: validate.Report, shown: str) -> None:
    """Projects in use that the file leaves out while rows of other tables still name them."""
    import pyarrow.compute as pc

    for project_id in current["projects"].column("project_id").to_pylist():
        if project_id in kept_projects:
            continue
        named = []
        for name in KEPT:
            ids = current[name].column("project_id")
            count = pc.sum(pc.equal(ids, project_id)).as_py() or 0
            if count:
                named.append(f"{count:,} {name} row{'s' if count != 1 else ''}")
        if named:
            report.add(shown, None, "project_id", project_id, "iati-removes-project",
                       f"The project {project_id} is in use but has no activity in {shown}, and the data in use has "
                       f"{', '.join(named)} for it. An IATI import replaces the programme's projects, so those rows "
                       "would refer to a project that no longer exists: add its activity to the file, or import "
                       "those tables without its rows first.")


def _write(path: Path, name: str, rows: list[Row]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    spec = schema.table(name)
    table = pa.table({c.name: pa.array([r.values.get(c.name) for r in rows], schema.arrow_schema(name).field(c.name).type)
                      for c in spec.columns})
    pq.write_table(table, path)


def _in_file_terms(report: validate.Report, rows: dict[str, list[Row]], shown: str) -> validate.Report:
    """The import's report with its problems in the IATI file's terms: its name, the line of the element a row
    came from and the activity's identifier (the tables built from the file are never seen by anyone)."""
    if report.ok:
        return report
    files = {f"{name}.parquet": name for name in TABLES}
    out = validate.Report()
    out.row_label = "line"
    out.files = dict(report.files)

    def where(problem: validate.Problem) -> tuple[str, int | None, str]:
        table = files.get(problem.file)
        message = problem.message
        for file in files:
            message = message.replace(f"in {file}", f"in {shown}")
        if table is None:
            return problem.file, problem.row, message
        if problem.row is None or not 0 < problem.row <= len(rows[table]):
            return shown, None, message
        row = rows[table][problem.row - 1]
        if not row.activity:  # a row in use, kept (a country or institution no activity names)
            return shown, None, f"{table} in use, {row.values.get(schema.table(table).key[0])}: {message}"
        what = f", {row.what}" if row.what else ""
        return shown, row.line, f"Activity {row.activity}{what}: {message}"

    detailed: dict[tuple, int] = {}
    for problem in report.problems:
        file, line, message = where(problem)
        out.add(file, line, problem.column, problem.value, problem.rule, message)
        key = (problem.file, problem.column, problem.rule)
        detailed[key] = detailed.get(key, 0) + 1
    for (file, column, rule), count in report.kinds.items():
        hidden = count - detailed.get((file, column, rule), 0)
        if hidden > 0:
            shown_file = shown if file in files else file
            out.total += hidden
            out.kinds[(shown_file, column, rule)] += hidden
    return out
