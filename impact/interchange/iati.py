"""IATI activity XML: the shipped 2.03 schema, reading a 2.0x file safely, and importing its activities.

IATI (the International Aid Transparency Initiative) is the standard behind DevTracker and d-portal. The
official 2.03 schema ships unchanged in `schemas/iati-2.03/`; `xsd()` loads it offline and `check`
validates a document against it. Publishing the programme (one activity per project, with its results
against targets) needs the query layer's actuals, so it lives there (`impact.query.iati`); this module
reads a file back.

`import_iati` reads a file of any 2.0x version (2.01, 2.02, 2.03; the version per activity when the root
has none) one activity at a time (`stream`: lxml iterparse, each element freed once mapped, so a large file
stays small in memory), checks each activity against the 2.03 schema on its own, and maps it onto the
programme's projects, partner institutions, project partners and countries by the rules in `_Mapper` and the
definition's `iati` choices. Every activity gets an outcome (`Outcome`): it maps, or it is refused with every
reason (its identifier, the element, the line and why), or it is left out (another hierarchy level). With any
activity refused nothing is written unless the manager accepts importing the ones that map (`accept_valid`);
then they are imported through `extract_io.import_extract`, like every import: validated, one new version.
Projects and project partners are replaced by the file's activities; countries and institutions are the ones
in use, updated and added to from the file; training, volunteering, outcomes, self-assessments and targets
are kept, so they must still refer to projects in the file.

What IATI has no place for travels in attributes of the dashboard's own namespace (`NS`; the schema
allows attributes of another namespace on these elements), so that export then import gives back the same
projects: a project's grant type (on `iati-activity`), a country's programme region (on `recipient-country`)
and a partner's institution id, type, country and role (on `participating-org`). The theme travels as a
sector of the reporting organisation's own vocabulary (99) beside its DAC purpose code. A file without
these attributes (published by another tool) is read by the rules in `_Mapper`.

What an activity says that those tables have no place for — its identifier, publisher, status, planned and actual
dates, every recipient country, budget, sector and participating organisation as published — is kept in the
`schema.IATI_TABLES` (`_Mapper.kept_rows`), so that publishing the programme again writes the same activities.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import re
import tempfile
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from impact.ingest import extract_io, readers, validate
from impact.model import calendar, cells, i18n, iso3166, metrics, schema
from impact.model import programme as programmes
from impact.model.i18n import N_
from impact.model.i18n import gettext as _
from impact.storage import store

SCHEMA_DIR = store.PROJECT_ROOT / "schemas" / "iati-2.03"
SCHEMA_FILE = "iati-activities-schema.xsd"
VERSION = "2.03"
NS = "urn:partnership-impact-dashboard:iati"  # a name for the dashboard's own attributes, not an address
NS_PREFIX = "impact"
FROM_DATES = "from-dates"  # on activity-status: the status and dates were the dashboard's, computed from the data
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# IATI codelists (the values used here)
FUNDING, ACCOUNTABLE, EXTENDING, IMPLEMENTING = "1", "2", "3", "4"  # OrganisationRole
PLANNED_START, ACTUAL_START, PLANNED_END, ACTUAL_END = "1", "2", "3", "4"  # ActivityDateType
PIPELINE, IMPLEMENTATION, FINALISATION, CLOSED = "1", "2", "3", "4"  # ActivityStatus
DAC_SECTOR, OWN_SECTOR = "1", "99"  # SectorVocabulary: DAC 5-digit; the reporting organisation's own
ORIGINAL_BUDGET, REVISED_BUDGET = "1", "2"  # BudgetType
COMMITTED = "2"  # BudgetStatus
OUTPUT = "1"  # ResultType
COMMITMENT = "2"  # TransactionType
OUTCOME_MAX = 10_000_000  # the largest value of one outcomes row (schema)
UNIT, PERCENTAGE = "1", "2"  # IndicatorMeasure

# what an IATI import replaces: the projects' tables, and what the activities say beyond them, kept as published
TABLES = ("countries", "institutions", "projects", "project_partners", *schema.IATI_TABLES)
KEPT = ("training", "volunteering", "outcomes", "partnership_scores", "targets")  # rows that name projects
RULES = {  # every problem an IATI import names, and what it means
    "iati-not-xml": "the file is not XML, or not UTF-8 (the line of the first error is named)",
    "iati-unsafe": "the file declares a DOCTYPE or entities, which IATI files never do",
    "iati-not-iati": "XML whose root is not iati-activities",
    "iati-version": "IATI 1.x (a converter is named), a version other than 2.01, 2.02, 2.03, or none on the root "
                    "and the activity",
    "iati-schema": "the activity breaks the IATI 2.03 schema (2.01 and 2.02 activities are checked against it too)",
    "iati-no-activities": "the file holds no activity",
    "iati-nothing-maps": "no activity of the file can be imported",
    "iati-hierarchy": "the activity is of another hierarchy level than the one imported (left out, not refused)",
    "iati-duplicate-activity": "two activities with the same project id",
    "iati-unmapped-sector": "no sector of the activity names a theme of the programme, and there is no fallback theme",
    "iati-ambiguous-sector": "the DAC purpose code is given to several themes",
    "iati-no-country": "no recipient country (a region only), or several when iati.several_countries is refuse",
    "iati-unknown-country": "a recipient country that is not an ISO 3166-1 alpha-2 code",
    "iati-unknown-region": "a country new to the programme whose region cannot be known",
    "iati-missing-date": "no start date",
    "iati-outside-programme": "the activity starts before the programme or ends after it",
    "iati-no-phase": "the start date falls in no phase of the programme",
    "iati-budget": "no budget (nor commitment) with a value",
    "iati-currency": "an amount in another currency without the definition's rate for its year",
    "iati-partners": "no organisation to take as the project's partner, or (iati.partner_required) no lead on a side",
    "iati-institution-conflict": "one institution id given two names or countries",
    "iati-removes-project": "a project in use, with rows that name it, is not in the file",
    "iati-new-programme": "a programme cannot be started from the file (no publisher, no dates)",
    "iati-no-home": "a programme started from the file needs its home country, and neither the file's publisher nor its "
                    "funders say one (a multilateral's file), or the home given is not a list of country codes, or a "
                    "home is given to a programme that exists",
}
NO_SECTION = N_(
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
        raise ValueError(_(NO_SECTION).format(file=programmes.FILE))
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
        raise SchemaError(_("the IATI schema in {folder} cannot be loaded: {detail}").format(
            folder=folder, detail=error)) from None
    if refused:
        raise SchemaError(_("the IATI schema in {folder} refers to files outside it: {files}").format(
            folder=folder, files=", ".join(refused)))
    return built, loaded


def check(document) -> list[tuple[int, str]]:
    """Where and why `document` (an lxml tree or element) breaks the 2.03 schema: (line, message) pairs."""
    validator = xsd()
    if validator.validate(document):
        return []
    return [(error.line, error.message) for error in validator.error_log]


# ---- reading a file safely, one activity at a time ------------------------------------------------

READ = ("2.01", "2.02", "2.03")  # the versions read; 2.01 and 2.02 activities are checked against the 2.03 schema
SCHEMA_MESSAGES = 10  # schema messages kept per activity (the rest are counted), so a broken file stays bounded
CONVERTER = N_("IATI 1.x files must be converted to 2.0x before they can be read: the IATI Datastore "
             "(datastore.iatistandard.org) serves every publisher's activities as IATI 2.03 (download the "
             "publisher's activities from it), and IATI's guide \"Migrating from versions 1.x to version 2.01\" "
             "lists every change for a publisher converting their own file.")


def parser():
    """An lxml parser for files from outside: no entities, no DTD, no network, no huge trees."""
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
                           dtd_validation=False, remove_comments=True, remove_pis=True)


@dataclass
class Activity:
    """One activity as read: its element (under a root of its own, checked), version, identifier and line."""

    element: object
    version: str
    identifier: str
    line: int
    hierarchy: int
    schema_errors: list[tuple[int, str]]
    schema_more: int = 0  # schema messages beyond SCHEMA_MESSAGES, counted only


def stream(path: Path, report: validate.Report, shown: str, limits: readers.Limits = readers.LIMITS):
    """Each activity of the IATI 2.0x file at `path`, read one at a time (lxml iterparse; each element is freed
    once used) and checked against the 2.03 schema on its own; problems of the whole file go to `report` (its
    file, line and rule) and stop the reading."""
    from lxml import etree

    size = path.stat().st_size
    if size > limits.file_bytes:
        report.add(shown, None, "", "", "iati-not-xml", _("The file is {size} bytes; the limit is {limit}. Split it "
                                                          "by activity.").format(size=_n(size),
                                                                                 limit=_n(limits.file_bytes)))
        return
    events = etree.iterparse(str(path), events=("start", "end"), resolve_entities=False, no_network=True,
                             load_dtd=False, dtd_validation=False, huge_tree=False, remove_comments=True,
                             remove_pis=True)
    root, version, depth = None, "", 0
    try:
        for event, element in events:
            if event == "start":
                depth += 1
                if root is None:
                    root = element
                    version = _root(root, report, shown)
                    if version is None:
                        return
                continue
            depth -= 1
            if depth != 1:
                continue
            if element.tag == "iati-activity":
                yield _checked(element, root, version)
            element.clear()
            while element.getprevious() is not None:  # whatever came before is done with
                del root[0]
    except etree.XMLSyntaxError as error:
        line, column = error.position if error.position and error.position[0] else (error.lineno or 1, 0)
        _not_xml(report, shown, path, line, column, error.msg or _("unreadable"))
    except OSError as error:  # libxml2 reports some encoding errors as a read error, without the line
        _not_xml(report, shown, path, None, 0, str(error))
    else:
        if root is None:
            _not_xml(report, shown, path, 1, 0, _("the file is empty"))


def _not_xml(report: validate.Report, shown: str, path: Path, line: int | None, column: int, reason: str) -> None:
    bad = _bad_utf8(path)
    if bad is not None and ("encoding" in reason.casefold() or "utf-8" in reason.casefold() or line is None):
        line, column, byte = bad
        report.add(shown, line, "", "", "iati-not-xml",
                   _("The file is not UTF-8: line {line}, column {column} has the byte 0x{byte}, which UTF-8 does not "
                     "allow (often a character saved in Latin-1 or Windows-1252, such as é). Save the file as UTF-8 "
                     "(or declare its encoding in <?xml … encoding=\"…\"?>) and import it again.").format(
                       line=line, column=column, byte=f"{byte:02X}"))
        return
    reason = re.sub(r",? line \d+, column \d+.*$", "", reason)  # the XML parser's words (quoted as they are)
    report.add(shown, line, "", "", "iati-not-xml",
               _("The file is not XML: line {line}, column {column}: {detail}. An IATI file is an XML document whose "
                 "root is <iati-activities version=\"{version}\">.").format(line=line or 1, column=column,
                                                                           detail=reason, version=VERSION))


def _bad_utf8(path: Path) -> tuple[int, int, int] | None:
    """(line, column, byte) of the first byte that is not UTF-8 in a file that declares UTF-8 or nothing."""
    import codecs

    with open(path, "rb") as f:
        head = f.read(200)
        declared = re.match(rb"<\?xml[^>]*encoding=[\"']([A-Za-z0-9._-]+)", head.lstrip(b"\xef\xbb\xbf"))
        if declared and declared.group(1).decode().casefold().replace("_", "-") not in ("utf-8", "utf8"):
            return None
        f.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        line, offset_of_line, offset = 1, 0, 0
        while chunk := f.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                at = error.start
                before = chunk[:at]
                newlines = before.count(b"\n")
                start = before.rfind(b"\n") + 1 if newlines else None
                column = at - start + 1 if start is not None else offset + at - offset_of_line + 1
                return line + newlines, column, chunk[at]
            newlines = chunk.count(b"\n")
            if newlines:
                line += newlines
                offset_of_line = offset + chunk.rfind(b"\n") + 1
            offset += len(chunk)
    return None


def _root(root, report: validate.Report, shown: str) -> str | None:
    """The file's version from its root ('' when the root gives none: then each activity's), or None when the file
    cannot be read (the reason in `report`)."""
    from lxml import etree

    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None:
        report.add(shown, 1, "", "", "iati-unsafe",
                   _("The file declares a DOCTYPE; IATI files have none, and its entities are not read. Remove it."))
        return None
    tag = etree.QName(root)
    if tag.namespace or tag.localname != "iati-activities":
        kind = (_("an IATI organisation file (iati-organisations), not an activity file")
                if tag.localname == "iati-organisations" else _("not an IATI activity file"))
        said = (_("The root element is <{element}> in the namespace {namespace}: {kind}. An IATI activity file's root "
                  "is <iati-activities version=\"{version}\">.") if tag.namespace else
                _("The root element is <{element}>: {kind}. An IATI activity file's root is <iati-activities "
                  "version=\"{version}\">."))
        report.add(shown, root.sourceline, "", tag.localname, "iati-not-iati",
                   said.format(element=tag.localname, namespace=tag.namespace, kind=kind, version=VERSION))
        return None
    version = (root.get("version") or "").strip()
    if version and version not in READ:
        report.add(shown, root.sourceline, "version", version, "iati-version", _version_message(version))
        return None
    return version


def _version_message(version: str) -> str:
    if version.startswith("1."):
        return _("The file is IATI version {version} (1.x). {converter}").format(version=version,
                                                                                converter=_(CONVERTER))
    return _("The file says it is IATI version {version}; this import reads IATI {versions} (the 2.0x "
             "versions).").format(version=repr(version[:20]), versions=", ".join(READ))


def _checked(element, root, file_version: str) -> Activity:
    """The activity moved under a root of its own and checked against the 2.03 schema. 2.01 and 2.02 activities are
    checked against it too: IATI's decimal upgrades (2.01 to 2.02 to 2.03) only added optional elements and
    attributes and allowed more occurrences (the standard's changelogs), so what is valid 2.01 or 2.02 is valid 2.03
    once the version says so. A version on the activity itself (the IATI Datastore's downloads, whose root has none)
    is the activity's and is taken off before the check, as the schema has no such attribute."""
    from lxml import etree

    identifier = _clean(element.findtext("iati-identifier"))
    line = element.sourceline or 0
    own = (element.attrib.pop("version", "") or "").strip()
    version = own or file_version
    try:
        hierarchy = int(element.get("hierarchy") or 1)
    except ValueError:
        hierarchy = 1
    wrapper = etree.Element("iati-activities", nsmap=root.nsmap)
    for key, value in root.attrib.items():
        wrapper.set(key, value)
    wrapper.set("version", VERSION)
    wrapper.append(element)  # leaves the file's tree: nothing of it stays in memory once mapped
    errors: list[tuple[int, str]] = []
    more = 0
    if version in READ:
        validator = xsd()
        if not validator.validate(wrapper):
            for error in validator.error_log:
                if len(errors) < SCHEMA_MESSAGES:
                    errors.append((error.line, error.message))
                else:
                    more += 1
    return Activity(element, version, identifier, line, hierarchy, errors, more)


# ---- mapping activities onto the programme's tables -----------------------------------------------

MAPS, IMPORTED, REFUSED, LEFT_OUT = "maps", "imported", "refused", "left out"  # what became of an activity
NOT_KNOWN = "not known"  # the side of an organisation whose country nobody can tell
ROLE_CODES = {"implementing": IMPLEMENTING, "accountable": ACCOUNTABLE}


@dataclass
class Row:
    """One row built for a table, with where it came from: the activity and the line of its element."""

    values: dict
    activity: str
    line: int
    what: str = ""  # the element it came from, when not the activity itself


@dataclass
class Reason:
    """Why an activity cannot be imported (or, for one that can, a choice made reading it): element, line, rule."""

    element: str
    line: int | None
    rule: str
    message: str


@dataclass
class Outcome:
    """What became of one activity: it maps (then imported), refused with every reason, or left out (another
    hierarchy level); `notes` are the choices made reading it (a country of several, a rate, an open end...)."""

    identifier: str
    line: int
    hierarchy: int
    version: str
    status: str = MAPS
    reasons: list[Reason] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows: dict[str, list[Row]] = field(default_factory=dict)
    project_id: str = ""


@dataclass
class Mapped:
    """The tables an IATI file maps to, row by row, and what became of every activity."""

    rows: dict[str, list[Row]] = field(default_factory=lambda: {name: [] for name in TABLES})
    activities: int = 0
    countries_added: list[str] = field(default_factory=list)
    institutions_added: int = 0
    outcomes: list[Outcome] = field(default_factory=list)
    proposed: dict[str, tuple[str, str]] = field(default_factory=dict)  # new indicators: code -> (title, result)
    hierarchy: int | None = None  # the level imported
    levels: tuple[int, ...] = ()  # the levels present

    def count(self, status: str) -> int:
        """How many activities have that outcome."""
        return sum(1 for o in self.outcomes if o.status == status)


def _attr(name: str) -> str:
    return f"{{{NS}}}{name}"


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def _language(code: str) -> str:
    """A language code as compared: codes are case-insensitive (a funder's "EN" is "en") and "en-GB" is English."""
    return code.strip().casefold().split("-")[0]


class _Mapper:
    """Reads each activity into a project, its partners and its country, by these rules and the definition's
    `iati` choices (`programmes.IATI_CHOICES`):

    - project_id: the identifier without the definition's prefix and a hyphen; an identifier with another prefix
      (another publisher's) is kept whole, as published; title: the title's narrative in the definition's
      language, matched case-insensitively ("EN" is "en"), else the first narrative;
    - theme: a sector of vocabulary 99 naming a theme, then `iati.sector_themes` (DAC 5-digit, DAC 3-digit, the
      publisher's own vocabularies 99/98), then the DAC sector (the largest share) whose purpose code `iati.sectors`
      gives to exactly one theme, else `iati.fallback_theme` (said in the report), else refused;
    - dates: planned start, else actual start; planned end, else actual end, else open (the project is taken to run
      to the programme's end, said in the report); phase: the phase holding the start;
    - grant type: the activity's own attribute, else the definition's first grant type (IATI has no grant types);
    - country: the recipient country (alpha-2 to alpha-3), of several the one with the largest percentage (or
      refused, `iati.several_countries`; with split, every one of them must be a country the programme has or can
      add, and the pages split the budget across them: `impact.query.macros.split_projects_macro`); a region only
      is refused (the programme counts projects by country);
      a country new to the programme needs its region (the dashboard's own attribute);
    - budget: the original budgets (else the revised ones, else the commitments, transaction type 2) added up,
      each converted to the programme's currency with its year's rate (`iati.exchange_rates`); an amount in a
      currency without its year's rate refuses the activity (never added up across currencies);
    - partners: the organisations of the first of `iati.lead_roles` present (implementing, accountable, the
      reporting organisation). An institution is known by the dashboard's own id attribute, else its @ref, else
      its name among the institutions in use, else a new id made from its name (IATI-<hash>: an organisation
      without @ref is kept by name); its country by the attribute, the institution in use, or the country of its
      @ref (GB-… is the UK), else not known; its side from its country (in one of the definition's home countries
      or not: `Home.side_of`); its role by the attribute, else the first of each side leads. A partner on each side is needed only with `iati.partner_required`.
    """

    def __init__(self, definition: programmes.Programme, current: dict, default_region: str = "",
                 results: bool = False, add_indicators: bool = False):
        self.definition = definition
        self.default_region = default_region  # a new programme's only region, for every country it meets
        self.iati = section(definition)
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
        self.new_countries: dict[str, Row] = {}
        self.outcome: Outcome | None = None
        self.partner_orgs: list[tuple[object, str]] = []  # the activity's organisations taken as partners
        # result indicators read as the programme's metrics and outcome indicators: by `iati.indicators` (an IATI
        # indicator's ref or title -> a key), else by an indicator's label (a new programme's are made from the
        # file's titles); one that matches none is proposed as a new indicator, created with `add_indicators`
        self.results = results
        self.add_indicators = add_indicators
        self.indicator_codes = {i.label.casefold(): i.code for i in definition.indicators if i.aggregation == "sum"}
        # then the metrics a target can be set for, by their label as the definition gives it (English, whatever the
        # reader's language: the file is matched the same way in every language)
        with metrics.using(definition), i18n.using(i18n.SOURCE):
            for key in metrics.targetable():
                self.indicator_codes.setdefault(metrics.metric(key).label.casefold(), key)
        self.indicator_map = {k.casefold(): v for k, v in (self.iati.indicators or {}).items()}
        self.reported = {i.code for i in definition.indicators if i.reported and i.aggregation == "sum"}
        with metrics.using(definition):
            self.targetable = set(metrics.targetable())
        self.proposed = self.out.proposed  # new indicators: code -> (title, result title)
        self.by_dimension = definition.disaggregations_of("outcomes")  # the outcomes' own breakdowns

    def problem(self, line: int | None, element: str, rule: str, message: str) -> None:
        self.outcome.reasons.append(Reason(element, line, rule, message))

    # -- one activity --

    def activity(self, read: Activity) -> Outcome:
        element, identifier, line = read.element, read.identifier, read.line
        self.outcome = outcome = Outcome(identifier, line, read.hierarchy, read.version)
        self.out.outcomes.append(outcome)
        self.out.activities += 1
        name = (_("Activity {identifier}").format(identifier=identifier) if identifier else
                _("Activity on line {line}").format(line=line))
        if read.version not in READ:
            said = (_("{activity} is IATI version {version} (1.x). {converter}") if read.version.startswith("1.")
                    else _("{activity} says it is IATI version {version}; the versions read are {versions}")
                    if read.version else
                    _("{activity} does not say which IATI version it is: neither the file's root (iati-activities) "
                      "nor the activity has a version attribute, as IATI 1.x files may leave out. A 2.0x file says "
                      "its version on its root (or, from the IATI Datastore, on each activity)."))
            self.problem(line, "iati-activity", "iati-version", said.format(
                activity=name, version=read.version if read.version.startswith("1.") else repr(read.version[:20]),
                converter=_(CONVERTER), versions=", ".join(READ)))
            return self._done()
        for error_line, message in read.schema_errors:  # the schema validator's words, quoted as they are
            self.problem(error_line, "iati-activity", "iati-schema",
                         _("{activity}: not valid IATI {version} (checked against the IATI {schema} schema, which "
                           "accepts every valid 2.0x activity): {detail}").format(
                             activity=name, version=read.version, schema=VERSION, detail=message))
        if read.schema_more:
            self.problem(None, "iati-activity", "iati-schema",
                         _("{activity}: {count} more schema problem(s) in this activity, not listed.").format(
                             activity=name, count=_n(read.schema_more)))
        if read.schema_errors:
            return self._done()
        prefix = f"{self.iati.prefix}-"
        project_id = identifier[len(prefix):] if identifier.startswith(prefix) else identifier
        outcome.project_id = project_id
        if project_id in self.seen_projects:
            self.problem(line, "iati-identifier", "iati-duplicate-activity",
                         _("{activity} is the project {project}, like the activity on line {line}; each project is one "
                           "activity.").format(activity=name, project=project_id,
                                               line=self.seen_projects[project_id]))
            return self._done()
        self.seen_projects[project_id] = line
        self.partner_orgs = []
        theme = self.theme(element, name)
        start, end = self.dates(element, name)
        phase = self.phase(start, end, line, name)
        iso3 = self.country(element, name, identifier)
        budget = self.budget(element, name)
        partners = self.partners(element, name, identifier)
        if outcome.reasons:
            return self._done()
        grant = element.get(_attr("grant-type")) or self.definition.values("grant_type")[0]
        leads = {role: inst for inst, role, _line in partners}
        outcome.rows["projects"] = [Row({
            "project_id": project_id, "title": self.narrative(element.find("title")), "theme": theme,
            "grant_type": grant, "phase": phase, "iso3": iso3,
            "uk_lead_id": leads.get(self.definition.home.lead("home")),
            "overseas_lead_id": leads.get(self.definition.home.lead("overseas")), "start_date": start, "end_date": end,
            "budget": budget,
        }, identifier, line)]
        outcome.rows["project_partners"] = [
            Row({"project_id": project_id, "institution_id": institution_id, "role": role}, identifier, org_line,
                _("participating organisation {institution}").format(institution=institution_id))
            for institution_id, role, org_line in partners]
        outcome.rows.update(self.kept_rows(element, project_id, identifier, theme, budget))
        if self.results and element.get(_attr("grant-type")) is None:
            outcome.rows["targets"], outcome.rows["outcomes"] = self.result_rows(element, project_id, iso3,
                                                                                 identifier)
        elif element.find("result") is not None:  # the dashboard's own file: its results are the programme's figures
            outcome.notes.append(_("results not read: the activity was published by this dashboard (its own "
                                   "attributes), whose results are the programme's own figures"))
        return self._done()

    def indicator_key(self, indicator, title: str, result_title: str) -> str | None:
        """The metric or outcome indicator a result indicator is read as: `iati.indicators` by its ref, then by its
        title; an indicator's label; else a new indicator proposed (its code from the title), taken only when the
        manager asked for new indicators to be created (`add_indicators`), else said in the notes."""
        ref = (indicator.get("ref") or "").strip()
        for ref_el in indicator.findall("reference"):
            ref = ref or (ref_el.get("code") or "").strip()
        key = (self.indicator_map.get(ref.casefold()) if ref else None) or self.indicator_map.get(title.casefold()) \
            or self.indicator_codes.get(title.casefold())
        if key is not None:
            return key
        if not title:
            return None
        taken = {*self.targetable, *(i.code for i in self.definition.indicators)}
        known = next((code for code, (t, _result) in self.proposed.items() if t.casefold() == title.casefold()), None)
        code = known or next(c for c in _indicator_codes({title.casefold(): (title, result_title)},
                                                         taken | set(self.proposed)))
        self.proposed.setdefault(code, (title, result_title))
        if self.add_indicators:
            self.outcome.notes.append(_("result indicator {title}: a new indicator {code} (created)").format(
                title=repr(title[:60]), code=code))
            return code
        self.outcome.notes.append(_("result indicator {title} not imported: no indicator of the programme matches it; "
                                    "proposed as a new indicator {code} (add it with --add-indicators, or map it in "
                                    "iati.indicators)").format(title=repr(title[:60]), code=code))
        return None

    def kept_rows(self, element, project_id: str, identifier: str, theme: str, budget: int) -> dict[str, list[Row]]:
        """What the activity says that the programme's tables have no place for, as published (`schema.IATI_TABLES`):
        its identifier, publisher, status and dates; every budget; every sector with its percentage; every
        participating organisation with its ref and type, and the institution those taken as partners became."""
        def row(values: dict, source, what: str) -> Row:
            return Row({"project_id": project_id, **values}, identifier, source.sourceline or 0, what)

        dates: dict[str, dt.date] = {}
        for d in element.findall("activity-date"):
            with contextlib.suppress(ValueError):
                dates.setdefault(d.get("type") or "", dt.date.fromisoformat((d.get("iso-date") or "")[:10]))
        reporting = element.find("reporting-org")
        status = element.find("activity-status")
        if status is not None and status.get(_attr(FROM_DATES)) == "true":
            # the dashboard's own file: its status and dates were computed from the project and the data, and are
            # computed again at each export (they move on with the data), so none is kept as published
            status, dates = None, {}
        region = None if element.find("recipient-country") is not None else max(
            element.findall("recipient-region"), key=lambda r: _decimal(r.get("percentage"), Decimal(0)), default=None)
        activity = row({
            "iati_identifier": identifier,
            "recipient_region": _or_none(region.get("code")) if region is not None else None,
            "region_vocabulary": (_or_none(region.get("vocabulary")) or "1") if region is not None else None,
            "reporting_org_ref": _or_none(reporting.get("ref") if reporting is not None else None),
            "reporting_org_type": _or_none(reporting.get("type") if reporting is not None else None),
            "reporting_org_name": _or_none(self.narrative(reporting)),
            "status": _or_none(status.get("code") if status is not None else None),
            "planned_start": dates.get(PLANNED_START), "actual_start": dates.get(ACTUAL_START),
            "planned_end": dates.get(PLANNED_END), "actual_end": dates.get(ACTUAL_END),
            "imported_theme": theme, "grant_value": budget}, element, "")
        default = _or_none(element.get("default-currency"))
        budgets = []
        for n, b in enumerate(element.findall("budget"), start=1):
            value, start, end = b.find("value"), b.find("period-start"), b.find("period-end")
            amount = _decimal(value.text if value is not None else None, None)
            try:
                first = dt.date.fromisoformat((start.get("iso-date") or "")[:10])
                last = dt.date.fromisoformat((end.get("iso-date") or "")[:10])
            except (AttributeError, ValueError):
                continue  # the schema requires both; a date with a time zone is cut to its day above
            value_date = None
            with contextlib.suppress(AttributeError, ValueError):
                value_date = dt.date.fromisoformat((value.get("value-date") or "")[:10])
            if amount is None:
                continue
            budgets.append(row({
                "position": n, "budget_type": b.get("type") or ORIGINAL_BUDGET, "budget_status": _or_none(b.get("status")),
                "period_start": first, "period_end": last, "amount": float(amount),
                "currency": _or_none(value.get("currency")) or default, "value_date": value_date},
                b, _("budget {first} to {last}").format(first=first, last=last)))
        sectors, seen = [], set()
        for s in element.findall("sector"):
            key = (s.get("vocabulary") or DAC_SECTOR, (s.get("code") or "").strip())
            if not key[1] or key in seen:
                continue  # one sector per vocabulary and code (the schema requires the code)
            seen.add(key)
            share = _decimal(s.get("percentage"), None)
            sectors.append(row({"vocabulary": key[0], "code": key[1],
                                "percentage": float(share) if share is not None else None,
                                "name": _or_none(self.narrative(s))}, s, _("sector {code}").format(code=key[1])))
        partners = {id(org): iid for org, iid in self.partner_orgs}
        organisations = [row({
            "position": n, "org_role": org.get("role") or "", "ref": _or_none((org.get("ref") or "").strip()),
            "org_type": _or_none(org.get("type")), "name": _or_none(self.narrative(org)),
            "institution_id": partners.get(id(org))}, org, _("participating organisation {institution}").format(
                institution=n))
            for n, org in enumerate(element.findall("participating-org"), start=1)]
        countries, seen = [], set()
        for c in element.findall("recipient-country"):
            code = (c.get("code") or "").strip().upper()
            iso3 = iso3166.from_alpha2(code)
            if iso3 is None or code in seen:
                continue
            seen.add(code)
            share = _decimal(c.get("percentage"), None)
            countries.append(row({"code": code, "iso3": iso3, "percentage": float(share) if share is not None else None},
                                 c, _("recipient country {code}").format(code=code)))
        return {"iati_activities": [activity], "iati_countries": countries, "iati_budgets": budgets,
                "iati_sectors": sectors,
                "iati_organisations": [o for o in organisations if o.values["org_role"] in (FUNDING, ACCOUNTABLE,
                                                                                          EXTENDING, IMPLEMENTING)]}

    def result_rows(self, element, project_id: str, iso3: str, identifier: str) -> tuple[list[Row], list[Row]]:
        """The activity's result indicators (measure 1, units) as the project's targets and outcomes: each period's
        target added up to its end (a target is cumulative here), each period's actual reported in the quarter its
        period ends; the indicator's baseline kept beside each target. Other indicators are said in the notes."""
        targets: dict[tuple[str, dt.date], Row] = {}
        actuals: dict[tuple[str, dt.date], Row] = {}
        first, last = self.definition.start, self.definition.end
        for result in element.findall("result"):
            for indicator in result.findall("indicator"):
                title = self.narrative(indicator.find("title"))
                if (indicator.get("measure") or UNIT) != UNIT:
                    self.outcome.notes.append(_("result indicator {title} not imported (not counted in units)").format(
                        title=repr(title[:60])))
                    continue
                code = self.indicator_key(indicator, title, self.narrative(result.find("title")))
                if code is None:
                    continue
                created = code in self.proposed
                takes_actuals = created or code in self.reported
                if not created and code not in self.targetable:
                    self.outcome.notes.append(_("result indicator {title} not imported: {code} (iati.indicators) is "
                                                "not a metric a target can be set for").format(title=repr(title[:60]),
                                                                                               code=code))
                    continue
                if not takes_actuals and indicator.find("period/actual") is not None:
                    self.outcome.notes.append(_("the actuals of {title} not imported: the programme counts {code} from "
                                                "its own rows (its targets are imported)").format(
                                                    title=repr(title[:60]), code=code))
                baseline = next((_decimal(b.get("value"), None) for b in indicator.findall("baseline")
                                 if b.find("dimension") is None), None)
                total = Decimal(0)
                periods = sorted(indicator.findall("period"), key=lambda p: (p.find("period-end").get("iso-date") or ""))
                for period in periods:
                    try:
                        end = dt.date.fromisoformat((period.find("period-end").get("iso-date") or "")[:10])
                    except ValueError:
                        continue
                    if not first <= end <= last:
                        self.outcome.notes.append(_("a period of {title} ends on {end}, outside the programme").format(
                            title=repr(title[:60]), end=end))
                        continue
                    target = _whole(period, "target")
                    if target is not None:
                        total += target
                        targets[(code, end)] = Row({
                            "scope": "project", "project_id": project_id, "metric": code, "due_date": end,
                            "target": float(total), "baseline": float(baseline) if baseline is not None else None,
                            "note": f"IATI result: {self.narrative(result.find('title'))[:120]}"},
                            identifier, period.sourceline, _("result period ending {end}").format(end=end))
                    if not takes_actuals:
                        continue
                    quarter = calendar.quarter_start(end)
                    for part, actual in self.actual_parts(period, title, end):
                        if not 0 <= actual <= OUTCOME_MAX:
                            self.outcome.notes.append(_("the actual {actual} of {title} ({end}) is outside 0 to "
                                                        "{maximum}: not imported").format(
                                actual=_n(actual), title=repr(title[:60]), end=end, maximum=_n(OUTCOME_MAX)))
                            continue
                        row = actuals.setdefault((code, quarter, *part.values()), Row({
                            "project_id": project_id, "iso3": iso3, "period": quarter, "indicator": code, **part,
                            "value": 0}, identifier, period.sourceline,
                            _("result period ending {end}").format(end=end)))
                        row.values["value"] += int(actual.quantize(Decimal(1), rounding=ROUND_HALF_UP))
        shares = self.country_shares(element, iso3)
        if len(shares) > 1 and actuals:
            self.outcome.notes.append(_("its results' actuals split across its countries as its budget"))
        return list(targets.values()), [part for row in actuals.values() for part in _split(row, shares)]

    def country_shares(self, element, iso3: str) -> list[tuple[str, Decimal]]:
        """The countries a project's outcomes are split across and their shares, as its budget is on the pages
        (`iati.several_countries` split: the recipient countries' percentages made to add up to 1, equal shares
        when one is not given); else its own country, whole (largest: the largest share's)."""
        if self.iati.several_countries != "split":
            return [(iso3, Decimal(1))]
        given: dict[str, Decimal | None] = {}
        for c in element.findall("recipient-country"):
            code = iso3166.from_alpha2((c.get("code") or "").strip().upper())
            if code is not None and code not in given:
                given[code] = _decimal(c.get("percentage"), None)
        if len(given) < 2 or iso3 not in given:
            return [(iso3, Decimal(1))]
        total = sum(v for v in given.values() if v is not None)
        if None in given.values() or total <= 0:
            return [(code, Decimal(1) / len(given)) for code in given]
        return [(code, v / total) for code, v in given.items()]

    def actual_parts(self, period, title: str, end: dt.date) -> list[tuple[dict, Decimal]]:
        """A period's actual as outcomes values: ({}, the total) when the programme's outcomes have no breakdown of
        their own; when they have (`disaggregations` on outcomes), the actuals whose IATI `dimension`s give a value
        of each — matched by the disaggregation's `iati_name`, label or key, and its values, case-insensitively —
        as ({key: value}, actual); a period whose actuals give none of them is said in the notes."""
        if not self.by_dimension:
            total = _whole(period, "actual")
            return [({}, total)] if total is not None else []
        parts = []
        for actual in period.findall("actual"):
            dims = {(d.get("name") or "").strip().casefold(): (d.get("value") or "").strip()
                    for d in actual.findall("dimension")}
            part = {}
            for d in self.by_dimension:
                given = next((dims[n] for n in {(d.iati_name or "").casefold(), d.label.casefold(), d.key.casefold()}
                              if n and n in dims), None)
                value = next((v for v in self.definition.values(d.key) if given and v.casefold() == given.casefold()),
                             None)
                if value is None:
                    break
                part[d.key] = value
            amount = _decimal(actual.get("value"), None)
            if len(part) == len(self.by_dimension) and amount is not None:
                parts.append((part, amount))
        if not parts and period.find("actual") is not None:
            names = ", ".join(d.iati_name or d.label for d in self.by_dimension)
            self.outcome.notes.append(_("the actual of {title} ({end}) not imported: the programme's outcomes are by "
                                        "{names}, and no actual of the period gives a value of each (dimension)").format(
                                            title=repr(title[:60]), end=end, names=names))
        return parts

    def _done(self) -> Outcome:
        outcome = self.outcome
        if outcome.reasons:
            outcome.status = REFUSED
            outcome.rows = {}
        return outcome

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
        ranked = sorted(sectors, key=lambda s: -_decimal(s.get("percentage"), Decimal(100)))
        by_vocabulary = self.iati.sector_themes or {}
        for s in ranked:
            theme = by_vocabulary.get(s.get("vocabulary") or DAC_SECTOR, {}).get(s.get("code", ""))
            if theme:
                return theme
        dac = [s for s in ranked if (s.get("vocabulary") or DAC_SECTOR) == DAC_SECTOR]
        line = (dac[0] if dac else element).sourceline
        code = dac[0].get("code", "") if dac else ""
        themes = self.by_code.get(code, [])
        if len(themes) == 1:
            return themes[0]
        if len(themes) > 1:
            self.problem(line, "sector", "iati-ambiguous-sector",
                         _("{activity} has the DAC sector {code}, which iati.sectors gives to {count} themes ({themes}); "
                           "add a sector of vocabulary 99 whose code is the theme.").format(
                             activity=name, code=code, count=_n(len(themes)), themes=", ".join(themes)))
            return None
        given = ", ".join(_("{code} (vocabulary {vocabulary})").format(code=s.get("code", ""),
                                                                       vocabulary=s.get("vocabulary") or DAC_SECTOR)
                          for s in ranked)
        if self.iati.fallback_theme:
            self.outcome.notes.append(_("theme {theme}, the definition's fallback: no sector maps to a theme "
                                        "({sectors})").format(theme=repr(self.iati.fallback_theme),
                                                              sectors=given or _("no sector")))
            return self.iati.fallback_theme
        example = f'"iati": {{"sector_themes": {{"1": {{"{code or "12181"}": "<theme>"}}}}}}'
        said = (_("{activity} has the sectors {sectors}, which iati.sectors and iati.sector_themes in {file} give to "
                  "no theme, so its theme cannot be known. Map the code to a theme (e.g. {example}), or declare "
                  "iati.fallback_theme.") if given else
                _("{activity} has no sector, which iati.sectors and iati.sector_themes in {file} give to no theme, so "
                  "its theme cannot be known. Map the code to a theme (e.g. {example}), or declare "
                  "iati.fallback_theme."))
        self.problem(line, "sector", "iati-unmapped-sector",
                     said.format(activity=name, sectors=given, file=programmes.FILE, example=example))
        return None

    def dates(self, element, name: str) -> tuple[dt.date | None, dt.date | None]:
        found: dict[str, dt.date] = {}
        for d in element.findall("activity-date"):
            try:
                found[d.get("type")] = dt.date.fromisoformat(d.get("iso-date", "")[:10])
            except ValueError:  # the schema has checked the date; a time zone suffix is cut off above
                continue
        start = found.get(PLANNED_START) or found.get(ACTUAL_START)
        if start is None:
            self.problem(element.sourceline, "activity-date", "iati-missing-date",
                         _("{activity} has no start date (activity-date of type {planned}, planned, or {actual}, "
                           "actual); a project needs one.").format(activity=name, planned=PLANNED_START,
                                                                   actual=ACTUAL_START))
        end = found.get(PLANNED_END) or found.get(ACTUAL_END)
        if end is None:
            end = self.definition.end
            self.outcome.notes.append(_("no end date: open, taken to run to the programme's end ({end})").format(
                end=end))
        return start, end

    def phase(self, start: dt.date | None, end: dt.date | None, line: int, name: str) -> str | None:
        if start is None:
            return None
        if start < self.definition.start or (end is not None and end > self.definition.end):
            self.problem(line, "activity-date", "iati-outside-programme",
                         _("{activity} runs from {start} to {end}, outside the programme ({first} to {last}, start and "
                           "end in {file}).").format(activity=name, start=start, end=end, first=self.definition.start,
                                                     last=self.definition.end, file=programmes.FILE))
            return None
        phase = next((p.name for p in self.definition.phases if p.holds(start)), None)
        if phase is None:
            spans = "; ".join(_("{phase}: {first} to {last}").format(phase=p.name, first=p.first_day, last=p.last_day)
                              for p in self.definition.phases)
            self.problem(line, "activity-date", "iati-no-phase",
                         _("{activity} starts on {start}, in no phase of the programme ({phases}); a project belongs "
                           "to the phase in which it starts.").format(activity=name, start=start, phases=spans))
        return phase

    def country(self, element, name: str, identifier: str) -> str | None:
        countries = element.findall("recipient-country")
        if not countries:
            return self.region_only(element, name, identifier)
        chosen = countries[0]
        several = self.iati.several_countries or "largest"
        if len(countries) > 1:
            codes = ", ".join(f"{c.get('code', '')} ({c.get('percentage') or '?'} %)" for c in countries)
            if several == "refuse":
                self.problem(element.sourceline, "recipient-country", "iati-no-country",
                             _("{activity} has {count} recipient countries ({codes}); iati.several_countries is "
                               "refuse.").format(activity=name, count=_n(len(countries)), codes=codes))
                return None
            chosen = max(countries, key=lambda c: _decimal(c.get("percentage"), Decimal(0)))  # first on a tie
            if several == "split":
                even = any(c.get("percentage") is None for c in countries)
                self.outcome.notes.append(
                    (_("country {code}, the largest share of {codes}; its budget split across them equally (a "
                       "percentage is not given)") if even else
                     _("country {code}, the largest share of {codes}; its budget split across them by their "
                       "percentages")).format(code=chosen.get("code", ""), codes=codes))
                others = [c for c in countries if c is not chosen]
                if any(self.known_country(c, name, identifier) is None for c in others):
                    return None
            else:
                self.outcome.notes.append(_("country {code}, the largest share of {codes}").format(
                    code=chosen.get("code", ""), codes=codes))
        return self.known_country(chosen, name, identifier)

    def region_only(self, element, name: str, identifier: str) -> str | None:
        """The code of the country not known in the region of an activity that names a region and no country (the
        largest share of several): its region is `iati.regions`' for the IATI region's code (a programme started
        from the file maps each region it names to a region of its own); one country row per region, "Country not
        known"."""
        regions = element.findall("recipient-region")
        if not regions:
            self.problem(element.sourceline, "recipient-country", "iati-no-country",
                         _("{activity} has no recipient country and no recipient region; a project is "
                           "somewhere.").format(activity=name))
            return None
        chosen = max(regions, key=lambda r: _decimal(r.get("percentage"), Decimal(0)))  # first on a tie
        code = (chosen.get("code") or "").strip()
        region = (self.iati.regions or {}).get(code)
        if region is None:
            self.problem(chosen.sourceline, "recipient-region", "iati-no-country",
                         _("{activity} has no recipient country, only the region {code}, which iati.regions in {file} "
                           "gives to no region of the programme; add it (e.g. {example}) to import the project with "
                           "its country not known.").format(
                             activity=name, code=code, file=programmes.FILE,
                             example=f'"iati": {{"regions": {{"{code}": "<a region of vocabularies.region>"}}}}'))
            return None
        self.outcome.notes.append(_("no recipient country: the country is not known, the region {region} (IATI region "
                                    "{code})").format(region=repr(region), code=code))
        taken = {**self.countries, **self.new_countries}
        iso3 = next((c for c, row in taken.items() if iso3166.is_not_known(c)
                     and _values(row)["region"] == region), None)
        if iso3 is None:
            iso3 = iso3166.not_known_code(taken)
            self.new_countries[iso3] = Row({"iso3": iso3, "name": iso3166.NOT_KNOWN_NAME, "region": region},
                                           identifier, chosen.sourceline,
                                           _("recipient region {code}").format(code=code))
        return iso3

    def known_country(self, chosen, name: str, identifier: str) -> str | None:
        """The alpha-3 code of a recipient country the programme has, or can add (a new country needs its region);
        None, with the reason, when it cannot."""
        code = chosen.get("code", "").strip().upper()
        iso3 = iso3166.from_alpha2(code)
        line = chosen.sourceline
        if iso3 is None:
            self.problem(line, "recipient-country", "iati-unknown-country",
                         _("{activity}: the recipient country {code} is not an ISO 3166-1 alpha-2 code.").format(
                             activity=name, code=repr(code)))
            return None
        if iso3 not in self.countries and iso3 not in self.new_countries:
            region = chosen.get(_attr("region"), "") or self.default_region
            if region not in self.definition.values("region"):
                why = (_("its region {region} is not one of vocabularies.region in {file}").format(
                    region=repr(region), file=programmes.FILE) if region else
                    _("its region cannot be known from IATI"))
                self.problem(line, "recipient-country", "iati-unknown-region",
                             _("{activity}: {country} ({code}) is not among the programme's countries, and {why}. "
                               "Import a countries table with its region first (python -m impact import "
                               "countries.csv), then this file again.").format(
                                 activity=name, country=i18n.active().country(iso3, iso3166.ALPHA3[iso3]), code=iso3,
                                 why=why))
                return None
            self.new_countries[iso3] = Row({"iso3": iso3, "name": iso3166.ALPHA3[iso3], "region": region},
                                           identifier, line, _("recipient country {code}").format(code=code))
        return iso3

    def budget(self, element, name: str) -> int | None:
        """The activity's grant value in the programme's currency (see the class's rules)."""
        default = element.get("default-currency", "")
        budgets: dict[str, list] = {ORIGINAL_BUDGET: [], REVISED_BUDGET: []}
        for b in element.findall("budget"):
            budgets.setdefault(b.get("type") or ORIGINAL_BUDGET, []).append(
                (b.find("value"), b.find("period-start")))
        chosen, what = budgets[ORIGINAL_BUDGET] or budgets[REVISED_BUDGET], "budget"
        if not chosen and (self.iati.amounts or "budgets-or-commitments") == "budgets-or-commitments":
            chosen = [(t.find("value"), t.find("transaction-date")) for t in element.findall("transaction")
                      if t.find("transaction-type") is not None and t.find("transaction-type").get("code") == COMMITMENT]
            what = "commitment"
            if chosen:
                self.outcome.notes.append(_("grant value from {count} commitment(s) (transaction type 2): the "
                                            "activity has no budget").format(count=_n(len(chosen))))
        if not chosen:
            self.problem(element.sourceline, "budget", "iati-budget",
                         (_("{activity} has no budget with a value (budget of type 1, original, or 2, revised); a "
                            "project needs its grant value.") if self.iati.amounts == "budgets" else
                          _("{activity} has no budget with a value (budget of type 1, original, or 2, revised) and no "
                            "commitment (transaction type 2); a project needs its grant value.")).format(
                             activity=name))
            return None
        total = Decimal(0)
        for value, when in chosen:
            amount = _decimal(value.text if value is not None else None, None)
            if amount is None:
                self.problem(value.sourceline if value is not None else element.sourceline, what, "iati-budget",
                             (_("{activity} has a budget without a value.") if what == "budget" else
                              _("{activity} has a commitment without a value.")).format(activity=name))
                return None
            converted = self.convert(amount, value, when, default, name, what)
            if converted is None:
                return None
            total += converted
        return int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP))

    def convert(self, amount: Decimal, value, when, default: str, name: str, what: str) -> Decimal | None:
        """`amount` in the programme's currency: as it is, or converted with its year's rate."""
        currency = self.definition.currency
        used = (value.get("currency") or default or "").strip()
        if used == currency:
            return amount
        day = (value.get("value-date") or (when.get("iso-date") if when is not None else "") or "")[:4]
        rate = (self.iati.exchange_rates or {}).get(used, {}).get(day)
        if rate is None:
            amount_said = (f"{_n(amount)} {used}" if used else
                           _("{amount} in no currency").format(amount=_n(amount)))
            if day:
                amount_said += f" ({day})"
            rate_said = _("<{currency} per {unit}>").format(currency=currency, unit=used or _("unit"))
            example = f'"iati": {{"exchange_rates": {{"{used or "USD"}": {{"{day or "2019"}": {rate_said}}}}}}}'
            said = (_("{activity} has a budget of {amount}; the programme's amounts are in {currency}, and {file} gives "
                      "no rate for {used} in {year} ({example}). Amounts are never added up across currencies.")
                    if what == "budget" else
                    _("{activity} has a commitment of {amount}; the programme's amounts are in {currency}, and {file} "
                      "gives no rate for {used} in {year} ({example}). Amounts are never added up across currencies."))
            self.problem(value.sourceline, what, "iati-currency", said.format(
                activity=name, amount=amount_said, currency=currency, file=programmes.FILE, used=used or _("it"),
                year=day or _("that year"), example=example))
            return None
        self.outcome.notes.append(_("{amount} {used} converted at the {year} rate {rate} {currency} per {used}").format(
            amount=_n(amount), used=used, year=day, rate=_rate(rate), currency=currency))
        return amount * Decimal(str(rate))

    def partners(self, element, name: str, identifier: str) -> list[tuple[str, str, int]]:
        """(institution id, role, line) of each organisation taking part, leads first as given."""
        orgs = []
        for role in self.iati.leads:
            if role == "reporting":
                orgs = element.findall("reporting-org")
            else:
                orgs = [o for o in element.findall("participating-org") if o.get("role") == ROLE_CODES[role]]
            orgs = [o for o in orgs if self.narrative(o) or o.get("ref")]
            if orgs:
                if role != self.iati.leads[0]:  # the roles are iati.lead_roles' codes, as the definition has them
                    self.outcome.notes.append(_("no {roles} organisation: the {role} one(s) taken as the project's "
                                                "partners").format(
                        roles=_(" or ").join(self.iati.leads[:self.iati.leads.index(role)]), role=role))
                break
        if not orgs:
            self.problem(element.sourceline, "participating-org", "iati-partners",
                         _("{activity} names no organisation with a name or @ref among its {roles} organisations "
                           "(iati.lead_roles), so it has no partner.").format(activity=name,
                                                                               roles=", ".join(self.iati.leads)))
            return []
        found = [(self.institution(org, name, identifier), org) for org in orgs]
        self.partner_orgs = [(org, iid) for iid, org in found]  # the elements stay alive: their ids stay theirs
        if any(institution is None for institution, _org in found):
            return []  # each is named already
        sides = {iid: self.seen_institutions[iid].values["side"] for iid, _org in found}
        given_roles = [org.get(_attr("role")) for _iid, org in found]
        if all(r in self.definition.home.roles for r in given_roles):
            roles = given_roles
        else:
            roles, led = [], set()
            for iid, _org in found:
                side = sides[iid]
                kind = "partner" if side in led else "lead"
                roles.append(f"{side} {kind}" if side != NOT_KNOWN else f"{kind.capitalize()} (side not known)")
                led.add(side)
        if self.iati.partner_required:
            for side in (self.definition.home.home, self.definition.home.overseas):
                lead = f"{side} lead"
                if roles.count(lead) != 1:  # the roles ("UK lead") are the definition's values, as they are
                    self.problem(element.sourceline, "participating-org", "iati-partners",
                                 (_("{activity} has no {role} among its organisations, and iati.partner_required is "
                                    "true: a project has one {role}.") if not roles.count(lead) else
                                  _("{activity} has {count} organisations as {role}, and iati.partner_required is "
                                    "true: a project has one {role}.")).format(
                                     activity=name, count=_n(roles.count(lead)), role=lead))
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
        if iso3 and not iso3166.is_alpha3(iso3):
            iso3 = None
        where = _("{activity}, organisation {name}").format(activity=name, name=repr(label))
        values = {"institution_id": institution_id, "name": label, "side": self.definition.home.side_of(iso3),
                  "institution_type": org.get(_attr("institution-type")) or (known or {}).get("institution_type")
                  or self.definition.values("institution_type")[0], "iso3": iso3}
        seen = self.seen_institutions.get(institution_id)
        if seen is not None:
            if (seen.values["name"], seen.values["iso3"]) != (label, iso3):
                self.problem(org.sourceline, "participating-org", "iati-institution-conflict",
                             _("{where}: the institution {institution} is {name} ({country}) in activity {activity} "
                               "(line {line}); one id, one institution.").format(
                                 where=where, institution=institution_id, name=repr(seen.values["name"]),
                                 country=seen.values["iso3"] or _("country not known"), activity=seen.activity,
                                 line=seen.line))
                return None
            return institution_id
        self.seen_institutions[institution_id] = Row(values, identifier, org.sourceline,
                                                     _("participating organisation {institution}").format(
                                                         institution=repr(label)))
        return institution_id

    # -- the whole file --

    def finish(self, level: int = 0) -> None:
        """Choose the hierarchy level (the definition's, else the lowest present) and leave the others out."""
        candidates = [o for o in self.out.outcomes if o.status != REFUSED or o.version in READ]
        levels = sorted({o.hierarchy for o in candidates}) or [1]
        chosen = level or self.iati.hierarchy or levels[-1]
        self.out.levels, self.out.hierarchy = tuple(levels), chosen
        if len(levels) == 1 and chosen == levels[0]:
            return
        for o in self.out.outcomes:
            if o.hierarchy != chosen:
                o.status, o.rows = LEFT_OUT, {}
                o.reasons = [Reason("iati-activity", o.line, "iati-hierarchy",
                                    (_("hierarchy level {level}; level {chosen} is imported (iati.hierarchy)")
                                     if level or self.iati.hierarchy else
                                     _("hierarchy level {level}; level {chosen} is imported (the lowest level in the "
                                       "file)")).format(level=o.hierarchy, chosen=chosen))]

    def tables(self, current: dict) -> dict[str, list[Row]]:
        """Every table to import: the projects and partners of the activities that map; countries and institutions
        in use, updated and added to with those they name."""
        rows = {name: [] for name in (*TABLES, "targets", "outcomes")}
        for o in self.out.outcomes:
            if o.status == MAPS:
                for name, built in o.rows.items():
                    rows[name].extend(built)
        named = {r.values["institution_id"] for r in rows["project_partners"]}
        added = {iid: row for iid, row in self.seen_institutions.items() if iid in named}
        rows["institutions"] = [added.pop(row["institution_id"], None) or Row(row, "", 0)
                                for row in current["institutions"].to_pylist()] + list(added.values())
        self.out.institutions_added = len(added)
        used = {r.values["iso3"] for r in rows["projects"]}
        if self.iati.several_countries == "split":  # every country a budget is split across is one of the programme's
            used |= {r.values["iso3"] for r in rows["iati_countries"]}
        new = [row for iso3, row in self.new_countries.items() if iso3 in used]
        self.out.countries_added = [row.values["iso3"] for row in new]
        rows["countries"] = [Row(row, "", 0) for row in current["countries"].to_pylist()] + new
        self.out.rows = rows
        return rows


def _split(row: Row, shares: list[tuple[str, Decimal]]) -> list[Row]:
    """An outcomes row split across countries by their shares, in whole counts that add up to its value (each the
    floor of its exact share, the units left over given to the largest remainders, the first on a tie); a part of
    nothing is left out. One share: the row itself."""
    value = row.values["value"]
    if len(shares) == 1 or not value:  # an actual of nothing stays in the project's own country
        return [row]
    exact = [value * share for _code, share in shares]
    parts = [int(e) for e in exact]  # floors: the values are not negative
    for n in sorted(range(len(shares)), key=lambda n: -(exact[n] - parts[n]))[:value - sum(parts)]:
        parts[n] += 1
    return [Row({**row.values, "iso3": code, "value": part}, row.activity, row.line, f"{row.what}, {code}")
            for (code, _share), part in zip(shares, parts) if part]


def _whole(period, tag: str) -> Decimal | None:
    """A result period's total target or actual: the values of its `tag` elements without a dimension, added up."""
    values = [_decimal(e.get("value"), None) for e in period.findall(tag) if e.find("dimension") is None]
    values = [v for v in values if v is not None]
    return sum(values, Decimal(0)) if values else None


def _values(row) -> dict:
    """A country row's values, whether in use (a dict) or read from the file (a Row)."""
    return row.values if isinstance(row, Row) else row


def _or_none(text: str | None) -> str | None:
    """Text as kept: stripped of outer blanks, None when empty."""
    text = _clean(text)
    return text or None


def _n(value) -> str:
    """A count or an amount in the active language's digits (12,345 in English, 12 345 in French), a Decimal with
    the decimals it was written with."""
    decimals = 0
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        decimals = min(-exponent, 6) if isinstance(exponent, int) and exponent < 0 else 0
    return i18n.active().number(value, decimals)


def _rate(rate: float) -> str:
    """An exchange rate as the definition gives it (1.25, 0.7812), in the active language's digits."""
    written = f"{rate:g}"
    if "e" in written:
        return written
    decimals = len(written.partition(".")[2])
    return i18n.active().number(rate, decimals) if i18n.active().language != i18n.SOURCE else written


def _decimal(text: str | None, default):
    try:
        return Decimal((text or "").strip().replace(",", ""))
    except InvalidOperation:
        return default


# The DAC members' donor codes (OECD DAC/CRS), which make the organisation identifiers XM-DAC-<code>[-<agency>] of
# IATI's OrganisationRegistrationAgency codelist: XM-DAC-5 is Germany's government, XM-DAC-5-7 one of its agencies.
# The other codes of that list (41xxx United Nations, 44xxx World Bank, 918 EU institutions...) are multilateral
# organisations and name no country.
DAC_DONORS = {
    "1": "AUT", "2": "BEL", "3": "DNK", "4": "FRA", "5": "DEU", "6": "ITA", "7": "NLD", "8": "NOR", "9": "PRT",
    "10": "SWE", "11": "CHE", "12": "GBR", "18": "FIN", "20": "ISL", "21": "IRL", "22": "LUX", "40": "GRC",
    "50": "ESP", "61": "SVN", "68": "CZE", "69": "SVK", "75": "HUN", "76": "POL", "82": "EST", "84": "LTU",
    "301": "CAN", "302": "USA", "701": "JPN", "742": "KOR", "801": "AUS", "820": "NZL",
}


def org_country(ref: str) -> tuple[str | None, str]:
    """The country an IATI organisation identifier says its organisation belongs to, and how it says it: the
    registration agency's country prefix (GB-GOV-1, GB-CHC-…: the UK; DE-1: Germany), or a DAC member's donor code
    (XM-DAC-5-…: Germany). None, with the reason, for a multilateral (XM-DAC-41…, XM-DAC-918), an international
    registration (XI-IATI-…, XM-OCHA-…) or an identifier that names no country."""
    ref = (ref or "").strip()
    dac = re.match(r"^XM-DAC-(\d+)(?:-|$)", ref)
    if dac:
        iso3 = DAC_DONORS.get(dac.group(1))
        if iso3:
            return iso3, _("{ref} is DAC member {code}, {country}").format(
                ref=ref, code=dac.group(1), country=i18n.active().country(iso3, iso3166.ALPHA3[iso3]))
        return None, _("{ref} is a multilateral organisation (DAC code {code}): it belongs to no country").format(
            ref=ref, code=dac.group(1))
    match = re.match(r"^([A-Z]{2})-", ref)
    iso3 = iso3166.from_alpha2(match.group(1)) if match else None
    if iso3:
        return iso3, _("{ref} is registered in {country} (the prefix {prefix})").format(
            ref=ref, country=i18n.active().country(iso3, iso3166.ALPHA3[iso3]), prefix=match.group(1))
    if match:
        return None, _("{ref} is registered internationally (the prefix {prefix}): it names no country").format(
            ref=ref, prefix=match.group(1))
    return None, _("{ref} does not start with a registration agency's code: it names no country").format(
        ref=repr(ref[:40]))


def _ref_country(ref: str) -> str | None:
    """The country of an organisation identifier (`org_country`): GB-CHC-… is the UK, XM-DAC-5-7 Germany; XI-: none."""
    return org_country(ref)[0]


# ---- the import ---------------------------------------------------------------------------------

REPORT_COLUMNS = ("activity", "line", "hierarchy", "version", "outcome", "element", "rule", "reason")
# The activity report's headings and outcomes as a reader sees them in another language (English keeps the codes,
# as the README and scripts read them); the identifiers, element names and rule codes stay as they are.
REPORT_HEADINGS = {"activity": N_("activity"), "line": N_("line"), "hierarchy": N_("hierarchy"),
                   "version": N_("version"), "outcome": N_("outcome"), "element": N_("element"), "rule": N_("rule"),
                   "reason": N_("reason")}
OUTCOME_WORDS = {MAPS: N_("maps"), IMPORTED: N_("imported"), REFUSED: N_("refused"), LEFT_OUT: N_("left out"),
                 "file": N_("file")}


def report_heading(column: str) -> str:
    """An activity report's heading in the active language: the column's name in English, the catalogue's otherwise."""
    if i18n.active().language == i18n.SOURCE or column not in REPORT_HEADINGS:
        return column
    return _(REPORT_HEADINGS[column])


def outcome_word(status: str) -> str:
    """What became of an activity in the active language: its code in English (maps, refused…), else the catalogue's."""
    if i18n.active().language == i18n.SOURCE or status not in OUTCOME_WORDS:
        return status
    return _(OUTCOME_WORDS[status])


@dataclass
class IatiImport:
    """What an IATI import did: the import's result, and what became of every activity of the file."""

    result: extract_io.ImportResult
    mapped: Mapped | None = None
    home: str = ""  # a new programme's home: the countries, where they were read from, the sides' labels

    @property
    def ok(self) -> bool:
        """True when a new version was written and made active."""
        return self.result.ok

    @property
    def report(self) -> validate.Report:
        """Every problem of the file, named by the file, its line, the activity and the rule."""
        return self.result.report

    @property
    def outcomes(self) -> list[Outcome]:
        """Every activity read, with what became of it."""
        return self.mapped.outcomes if self.mapped else []

    @property
    def proposed(self) -> dict[str, tuple[str, str]]:
        """The new indicators the file's results call for: code -> (the IATI indicator's title, its result's title)
        (created with `add_indicators`)."""
        return self.mapped.proposed if self.mapped else {}

    def counts(self) -> dict[str, int]:
        """How many activities map (or were imported), were refused, were left out."""
        return {status: self.mapped.count(status) if self.mapped else 0 for status in (MAPS, IMPORTED, REFUSED,
                                                                                        LEFT_OUT)}

    def activity_rows(self) -> list[dict]:
        """The activity report: one row per reason of each refused or left-out activity, one per activity that maps
        (with the choices made reading it) — every activity, none left off."""
        rows = []
        for o in self.outcomes:
            base = {"activity": o.identifier, "line": o.line, "hierarchy": o.hierarchy, "version": o.version,
                    "outcome": o.status}
            if o.reasons:
                rows += [{**base, "element": r.element, "rule": r.rule, "reason": r.message,
                          "line": r.line or o.line} for r in o.reasons]
            else:
                rows.append({**base, "element": "", "rule": "", "reason": "; ".join(o.notes)})
        return rows

    def activity_frame(self):
        """The activity report as a table (see `activity_rows`), its outcomes in the active language's words (the
        columns keep their names: `report_heading` heads them)."""
        import pandas as pd

        rows = [{**row, "outcome": outcome_word(row["outcome"])} for row in self.activity_rows()]
        return pd.DataFrame(rows, columns=list(REPORT_COLUMNS)).astype({"line": "Int64"})

    def activity_csv(self) -> bytes:
        """The activity report as CSV (UTF-8 with BOM; text that a spreadsheet would run as a formula neutralised),
        after the file's own problems, if any."""
        import csv
        import io

        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([report_heading(c) for c in REPORT_COLUMNS])
        named = {(o.identifier, r.rule) for o in self.outcomes for r in o.reasons}
        for p in self.report.ordered():
            if (p.value, p.rule) in named:
                continue  # an activity's own reason: it is in the activity's rows below
            writer.writerow([cells.neutralise(str(v)) for v in ("", p.row or "", "", "", outcome_word("file"), "",
                                                                p.rule, p.message)])
        for row in self.activity_rows():
            row = {**row, "outcome": outcome_word(row["outcome"])}
            writer.writerow([cells.neutralise(str(row[c])) if row[c] is not None else "" for c in REPORT_COLUMNS])
        return ("\ufeff" + out.getvalue()).encode("utf-8")

    def summary(self, home: bool = True) -> str:
        """One paragraph: what the file held, what maps, what was refused or left out, a new programme's home (unless
        `home` is false: shown apart), and what was done."""
        if not self.mapped or not self.mapped.outcomes:
            return self.report.summary()
        n = self.counts()
        level = ""
        if self.mapped.hierarchy is not None and len(self.mapped.levels) > 1:
            level = " " + (_("Hierarchy level {level} is imported (levels present: {levels}); {count} activity of "
                             "other levels left out.") if n[LEFT_OUT] == 1 else
                           _("Hierarchy level {level} is imported (levels present: {levels}); {count} activities of "
                             "other levels left out.")).format(
                level=self.mapped.hierarchy, levels=", ".join(map(str, self.mapped.levels)), count=_n(n[LEFT_OUT]))
        done = " " + (_("{count} imported as version {version}.").format(count=_n(n[IMPORTED]),
                                                                         version=self.result.version)
                      if self.ok else _("Nothing was imported and the data in use is unchanged."))
        home = f" {self.home}" if self.home and home else ""
        return _("{count} activities read: {maps} map to projects, {refused} cannot be imported.").format(
            count=_n(self.mapped.activities), maps=_n(n[MAPS] + n[IMPORTED]), refused=_n(n[REFUSED])) \
            + level + home + done


def import_iati(path: str | Path, location: str | Path | None = None, programme: str | None = None,
                who: str | None = None, display: str | None = None, accept_valid: bool = False,
                check_only: bool = False, add_indicators: bool = False, home=None) -> IatiImport:
    """Read the IATI 2.0x activity file at `path` into the programme's projects, partners, institutions and
    countries, and import them as one new version. Every activity that cannot be mapped is listed with its reason
    (`IatiImport.outcomes`); with any such activity nothing is imported unless `accept_valid`, which imports the
    activities that map. `check_only`: read and report, write nothing. Result indicators become targets and outcomes
    (`_Mapper.result_rows`), replacing those of the file's projects for the same metrics; one that matches no metric
    or indicator of the programme is proposed as a new indicator (`IatiImport.proposed`), created in the definition
    with `add_indicators`. `home`: a new programme's home countries (ISO 3166-1 alpha-3), instead of the one the file's
    publisher or funder belongs to (`proposed_home`)."""
    path = Path(path)
    shown = display or path.name
    report = validate.Report()
    report.row_label = "line"
    if not path.is_file():
        report.add(shown, None, "", "", "not-found", _("There is no file called {file}.").format(file=shown))
        return IatiImport(extract_io.ImportResult(report))
    new = programme is not None and programme not in store.programmes(location)
    if new and not programmes.ID_PATTERN.match(programme):
        report.add(shown, None, "programme", programme, "iati-new-programme",
                   _("{id} cannot be a new programme's id: 2 to 32 lower-case letters, digits and -, starting with a "
                     "letter (it is in every link, ?programme=ID).").format(id=repr(programme[:40])))
        return IatiImport(extract_io.ImportResult(report))
    if home and not new:
        report.add(shown, None, "home", ", ".join(home), "iati-no-home",
                   (_("A home is given only to a programme started from the file; {programme} exists, and its home is "
                      "its definition's (the home section of {file}).") if programme else
                    _("A home is given only to a programme started from the file; the programme exists, and its home "
                      "is its definition's (the home section of {file}).")).format(programme=programme,
                                                                                  file=programmes.FILE))
        return IatiImport(extract_io.ImportResult(report))
    said: list[str] = []
    if new:  # a programme started from the file alone: its definition read from the file, every table empty
        definition = starting_definition(path, programme, report, shown, home, said)
        if definition is None:
            return IatiImport(extract_io.ImportResult(report))
        current = {name: schema.empty(name, definition) for name in schema.TABLE_NAMES}
    else:
        current_version = store.open_store(location, programme).active()
        definition = store.load_definition(current_version.path)
        current = {name: store.read_table(current_version.path, name) for name in schema.TABLE_NAMES}
    section(definition)
    mapper = _Mapper(definition, current, NEW_REGION if new else "", results=True, add_indicators=add_indicators)
    for activity in stream(path, report, shown):
        mapper.activity(activity)
    done = IatiImport(extract_io.ImportResult(report), mapper.out, " ".join(said))
    if not report.ok:
        return done
    if not mapper.out.outcomes:
        report.add(shown, None, "", "", "iati-no-activities", _("The file holds no activity."))
        return done
    mapper.finish()
    rows = mapper.tables(current)
    refused = [o for o in mapper.out.outcomes if o.status == REFUSED]
    kept = {r.values["project_id"] for r in rows["projects"]}
    if not accept_valid:  # the refused activities are named
        for o in refused:
            for r in o.reasons:
                report.add(shown, r.line, r.element, o.identifier, r.rule, r.message)
    if not accept_valid and not check_only:  # a refused activity's project is not taken as left out of the file
        kept |= {o.project_id for o in refused if o.project_id}
    if not rows["projects"]:
        if report.ok:
            report.add(shown, None, "", "", "iati-nothing-maps",
                       _("None of the {count} activities can be imported; the report lists each with its "
                         "reason.").format(count=_n(mapper.out.activities)))
        return done
    _check_kept(current, kept, report, shown)
    if not report.ok or check_only:
        return done
    changed = False
    if mapper.proposed and add_indicators and not new:  # the new indicators the manager asked for, in the definition
        definition = _with_indicators(definition, mapper.proposed)
        changed = True
    with tempfile.TemporaryDirectory(prefix="impact-iati-") as work:
        folder = Path(work)
        for name in TABLES:
            _write(folder / f"{name}.parquet", name, rows[name])
        if new:  # nothing reported yet but the file's results: outcomes and targets from them, the rest empty
            for name in schema.MAY_BE_EMPTY:
                _write(folder / f"{name}.parquet", name, rows.get(name, []), definition)
            if rows["targets"]:
                _write(folder / "targets.parquet", "targets", rows["targets"])
            definition.write(folder)
        elif rows["targets"] or rows["outcomes"]:  # the file's results replace those of its projects, metric by metric
            given = {(r.values["project_id"], r.values.get("metric") or r.values.get("indicator"))
                     for r in rows["targets"] + rows["outcomes"]}
            for name, column in (("targets", "metric"), ("outcomes", "indicator")):
                kept_rows = [Row(r, "", 0) for r in current[name].to_pylist()
                             if (r.get("project_id"), r[column]) not in given]
                rows[name] = kept_rows + rows[name]
                _write(folder / f"{name}.parquet", name, rows[name], definition)
            if changed:
                definition.write(folder)
        result = extract_io.import_extract(folder, location, who, display=shown, programme=definition.id,
                                           origin=path, new_programme=new)
    result.report = _in_file_terms(result.report, rows, shown)
    if result.ok:
        for o in mapper.out.outcomes:
            if o.status == MAPS:
                o.status = IMPORTED
    return IatiImport(result, mapper.out, " ".join(said))


def _with_indicators(definition: programmes.Programme, proposed: dict[str, tuple[str, str]]) -> programmes.Programme:
    """The definition with an outcome indicator for each result indicator proposed (as a new programme's are)."""
    raw = definition.to_dict()
    raw["indicators"] = [*raw.get("indicators", []), *(_new_indicator(code, title, result)
                                                        for code, (title, result) in proposed.items())]
    return programmes.parse(raw)


def _new_indicator(code: str, title: str, result: str) -> dict:
    """An outcome indicator made from an IATI result indicator: counted in units, added up, not a headline tile."""
    return {"code": code, "label": title[:TEXT_NAME], "unit": "units", "aggregation": "sum", "format": "count",
            "headline": False, "description": f"IATI result: {result}"[:TEXT_NAME],
            "how_counted": "Each result period's actual in the IATI file, reported in the quarter the period ends, "
                           "added up; targets added up to each period's end."}


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
                named.append((_("{count} {table} row") if count == 1 else _("{count} {table} rows")).format(
                    count=_n(count), table=name))
        if named:
            report.add(shown, None, "project_id", project_id, "iati-removes-project",
                       _("The project {project} is in use but has no activity in {file}, and the data in use has "
                         "{rows} for it. An IATI import replaces the programme's projects, so those rows would refer "
                         "to a project that no longer exists: add its activity to the file, or import those tables "
                         "without its rows first.").format(project=project_id, file=shown, rows=", ".join(named)))


def _write(path: Path, name: str, rows: list[Row], definition: programmes.Programme | None = None) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    spec = schema.table(name, definition)  # with the programme's own breakdowns of the table
    types = schema.arrow_schema(name, definition)
    table = pa.table({c.name: pa.array([r.values.get(c.name) for r in rows], types.field(c.name).type)
                      for c in spec.columns})
    pq.write_table(table, path)


def _in_file_terms(report: validate.Report, rows: dict[str, list[Row]], shown: str) -> validate.Report:
    """The import's report with its problems in the IATI file's terms: its name, the line of the element a row
    came from and the activity's identifier (the tables built from the file are never seen by anyone)."""
    if report.ok:
        return report
    files = {f"{name}.parquet": name for name in (*TABLES, "targets", "outcomes")}
    out = validate.Report()
    out.row_label = "line"
    out.files = dict(report.files)

    def where(problem: validate.Problem) -> tuple[str, int | None, str]:
        table = files.get(problem.file)
        message = problem.message
        # the tables built from the file are named by the file, whatever the message's language (the longest names
        # first: iati_countries.parquet holds countries.parquet)
        for file in sorted(files, key=len, reverse=True):
            message = message.replace(file, shown)
        if table is None:
            return problem.file, problem.row, message
        if problem.row is None or not 0 < problem.row <= len(rows[table]):
            return shown, None, message
        row = rows[table][problem.row - 1]
        if not row.activity:  # a row in use, kept (a country or institution no activity names)
            return shown, None, _("{table} in use, {key}: {message}").format(
                table=table, key=row.values.get(schema.table(table).key[0]), message=message)
        if row.what:
            return shown, row.line, _("Activity {identifier}, {what}: {message}").format(
                identifier=row.activity, what=row.what, message=message)
        return shown, row.line, _("Activity {identifier}: {message}").format(identifier=row.activity, message=message)

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


# ---- a programme started from an IATI file alone -------------------------------------------------

NEW_REGION = "Region not given"  # IATI has no programme regions: a new programme's one, until a countries table
UNCLASSIFIED = "Not classified"  # a new programme's fallback theme
TEXT_NAME = 120  # the longest name a new programme's definition is given (a theme's, the programme's)


def _indicator_codes(indicators: dict[str, tuple[str, str]], taken=frozenset()) -> dict[str, tuple[str, str]]:
    """A code for each result indicator (from its title: iati_ and its words, made unique, none of `taken`), in the
    file's order."""
    import unicodedata

    out: dict[str, tuple[str, str]] = {}
    for title, result in indicators.values():
        words = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().casefold()
        stem = "iati_" + (re.sub(r"[^a-z0-9]+", "_", words).strip("_")[:36] or "indicator")
        code, n = stem, 1
        while code in out or code in taken:
            n += 1
            code = f"{stem}_{n}"
        out[code] = (title, result)
    return out


OVERSEAS_SIDE = "Partner country"  # the other side's label of a programme whose home is not the UK
THE = ("United ", "Netherlands", "Czech", "Philippines", "Republic", "Holy See")  # names a sentence says with "the"


def home_section(countries) -> dict:
    """The definition's `home` section for these home countries (ISO 3166-1 alpha-3): the UK's is the HPS's ("UK",
    "Overseas", "the UK"); another's sides are its name and "Partner country" ("Germany", "Partner country"), a
    sentence says "from Germany", "from the Netherlands"; several countries' home side is their names ("South Africa
    and Kenya"), or "Home" when those do not make a label."""
    countries = list(dict.fromkeys(countries))
    if countries == ["GBR"]:
        default = programmes.Home()
        return {"countries": countries, "sides": {"home": default.home, "overseas": default.overseas},
                "in_sentence": default.in_sentence}
    names = [iso3166.ALPHA3[c] if "," not in iso3166.ALPHA3[c] else c for c in countries]
    label = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    if "," in label or len(label) > 60:
        label = "Home"
    sentence = f"the {label}" if label.startswith(THE) else label
    return {"countries": countries, "sides": {"home": label, "overseas": OVERSEAS_SIDE},
            **({"in_sentence": sentence} if sentence != label else {})}


def proposed_home(publisher: str, funders) -> tuple[tuple[str, ...], str]:
    """The home country a programme started from a file takes, and why: the publisher's (its reporting-org
    identifier's country, `org_country`), else the first funder's that names one (a funding participating-org, a
    transaction's provider-org); () and why not when none does (a multilateral's file: the manager names it)."""
    country, why = org_country(publisher)
    if country:
        return (country,), _("the reporting organisation: {why}").format(why=why)
    for ref in funders:
        funder, how = org_country(ref)
        if funder:
            return (funder,), _("the funder ({how}); the reporting organisation names none ({why})").format(how=how,
                                                                                                            why=why)
    if funders:
        return (), _("the reporting organisation names no country ({why}) nor do its funders ({funders})").format(
            why=why, funders=", ".join(list(funders)[:3]))
    return (), _("the reporting organisation names no country ({why})").format(why=why)


def starting_definition(path: Path, programme_id: str, report: validate.Report,
                        shown: str, home=None, said: list[str] | None = None) -> programmes.Programme | None:
    """The definition of a programme started from the IATI file at `path` alone (None, with the reason in `report`,
    when the file cannot start one): named after its publisher, its window the years its activities span, one
    phase, a theme per sector the file uses (mapped in `iati.sector_themes`, the rest to "Not classified"), the
    publisher's identifier as `reporting_org_ref` (so identifiers are kept as published), the activities' most
    common currency, its home the countries `home` names (ISO 3166-1 alpha-3), else the one the file's publisher or
    funder belongs to (`proposed_home`; refused when neither says one: the manager names it). Training,
    volunteering, outcomes and scores start empty; the vocabularies they need are the starter template's, to be
    edited when the programme reports them. `said`: where the home came from is added to it."""
    import collections

    from impact.ingest import template

    publisher, funder, language = None, None, ""
    funders: dict[str, None] = {}  # every funder's identifier, in the file's order
    currencies: collections.Counter = collections.Counter()
    days: list[dt.date] = []
    sectors: dict[tuple[str, str], str] = {}
    regions: dict[str, str] = {}  # the recipient regions of activities that name no country: code -> its narrative
    indicators: dict[str, tuple[str, str]] = {}  # a result indicator's title, by its title folded: (title, result)
    seen = validate.Report()
    for activity in stream(path, seen, shown):
        element = activity.element
        org = element.find("reporting-org")
        if publisher is None and org is not None and org.get("ref"):
            publisher = (org.get("ref"), _clean(org.findtext("narrative")) or org.get("ref"), org.get("type") or "")
        for party in element.findall("participating-org"):
            if funder is None and party.get("role") == FUNDING:
                funder = (party.get("ref") or "", _clean(party.findtext("narrative")), party.get("type") or "")
            if party.get("role") == FUNDING and (party.get("ref") or "").strip():
                funders.setdefault(party.get("ref").strip())
        for provider in element.iterfind("transaction/provider-org"):
            if (provider.get("ref") or "").strip():
                funders.setdefault(provider.get("ref").strip())
        language = language or (element.get(XML_LANG) or "").casefold()[:2]
        if element.get("default-currency"):
            currencies[element.get("default-currency")] += 1
        for d in element.findall("activity-date"):
            with contextlib.suppress(ValueError):
                days.append(dt.date.fromisoformat((d.get("iso-date") or "")[:10]))
        for sector in element.findall("sector"):
            key = (sector.get("vocabulary") or DAC_SECTOR, sector.get("code") or "")
            if key[1] and key[0] in programmes.SECTOR_VOCABULARIES:
                sectors.setdefault(key, _clean(sector.findtext("narrative")))
        if element.find("recipient-country") is None:
            for region in element.findall("recipient-region"):
                if (region.get("code") or "").strip():
                    regions.setdefault(region.get("code").strip(), _clean(region.findtext("narrative")))
        for result in element.findall("result"):
            for indicator in result.findall("indicator"):
                title = _clean(indicator.findtext("title/narrative"))
                if title and (indicator.get("measure") or UNIT) == UNIT:
                    indicators.setdefault(title.casefold(), (title, _clean(result.findtext("title/narrative"))))
                for end in indicator.iterfind("period/period-end"):
                    with contextlib.suppress(ValueError):
                        days.append(dt.date.fromisoformat((end.get("iso-date") or "")[:10]))
    if not seen.ok:
        for p in seen.problems:
            report.add(p.file, p.row, p.column, p.value, p.rule, p.message)
        return None
    why = (_("no activity names its publisher (reporting-org with a ref)") if publisher is None else
           _("no activity has a date (activity-date)") if not days else "")
    if why:
        report.add(shown, None, "", programme_id, "iati-new-programme",
                   _("A programme cannot be started from {file}: {why}.").format(file=shown, why=why))
        return None
    if home:
        countries = tuple(dict.fromkeys(c.strip().upper() for c in home if c.strip()))
        wrong = [c for c in countries if not iso3166.is_alpha3(c)]
        if wrong or not countries:
            report.add(shown, None, "home", ", ".join(wrong), "iati-no-home",
                       _("The home given ({home}) is not a list of ISO 3166-1 alpha-3 country codes (e.g. DEU, or "
                         "ZAF,KEN for several).").format(home=", ".join(wrong)[:60] or _("nothing")))
            return None
        source = _("as given")
    else:
        countries, source = proposed_home(publisher[0], funders)
        if not countries:
            report.add(shown, None, "home", publisher[0], "iati-no-home",
                       _("A programme started from {file} needs its home country, and the file does not say it: "
                         "{why}. Name the home country or countries (ISO 3166-1 alpha-3, e.g. DEU): --home on the "
                         "command line, Home country on the Data page.").format(file=shown, why=source))
            return None
        source = _("read from {source}").format(source=source)
    home_raw = home_section(countries)
    if said is not None:
        words = i18n.active()
        said.append(_("Home: {countries}, {source}; the two sides are called {home} and {overseas}.").format(
            countries=", ".join(f"{words.country(c, iso3166.ALPHA3[c])} ({c})" for c in countries), source=source,
            home=repr(home_raw["sides"]["home"]), overseas=repr(home_raw["sides"]["overseas"])))
    names: dict[tuple[str, str], str] = {}
    for (vocabulary, code), text in sorted(sectors.items()):
        kind = {"1": "DAC", "2": "DAC", "98": "own", "99": "own"}[vocabulary]
        name = f"{text} ({kind} {code})" if text else f"Sector {code} ({kind})"
        names[(vocabulary, code)] = name[:TEXT_NAME]
    themes = sorted(set(names.values())) + [UNCLASSIFIED]
    region_names = {code: (f"{text} (IATI region {code})" if text else f"IATI region {code}")[:TEXT_NAME]
                    for code, text in sorted(regions.items())}
    start, end = min(days), max(days)
    raw = template.starter().to_dict()
    raw.update({
        "id": programme_id, "name": f"{publisher[1]} (from IATI)"[:TEXT_NAME], "short_name": programme_id,
        "funder": (funder[1] or funder[0]) if funder else publisher[1], "managed_by": publisher[1],
        "currency": currencies.most_common(1)[0][0] if currencies else "USD",
        "start": dt.date(start.year, 1, 1).isoformat(), "end": dt.date(end.year, 12, 31).isoformat(),
        "phases": [{"name": f"{start.year} to {end.year}", "first_day": dt.date(start.year, 1, 1).isoformat(),
                    "last_day": dt.date(end.year, 12, 31).isoformat()}],
        "illustrative": False, "reference_figures": [], "home": home_raw,
        "indicators": [_new_indicator(code, title, result)
                       for code, (title, result) in _indicator_codes(indicators).items()],
        "description": f"Started from the IATI file {shown}: its activities are the projects. Training, "
                       "volunteering, outcomes and partnership scores are not reported yet.",
        "iati": {"reporting_org_ref": publisher[0], "language": language if re.fullmatch("[a-z]{2}", language) else "en",
                 **({"reporting_org_type": publisher[2]} if re.fullmatch("[0-9]{2}", publisher[2]) else {}),
                 **({"funder_ref": funder[0]} if funder and funder[0] else {}),
                 **({"funder_type": funder[2]} if funder and re.fullmatch("[0-9]{2}", funder[2]) else {}),
                 "fallback_theme": UNCLASSIFIED,
                 **({"regions": region_names} if region_names else {}),
                 **({"sector_themes": {v: {c: names[(v, c)] for (vv, c) in names if vv == v}
                                       for v in {v for v, _code in names}}} if names else {})},
    })
    raw["vocabularies"].update({"theme": themes, "region": [NEW_REGION, *sorted(set(region_names.values()))],
                                "grant_type": ["Grant"],
                                "institution_type": ["Not given"]})
    try:
        return programmes.parse(raw)
    except programmes.DefinitionError as error:
        report.add(shown, None, "", programme_id, "iati-new-programme",
                   _("A programme cannot be started from {file}: its definition would not be valid: {detail}").format(
                       file=shown, detail=error))
        return None
