"""The extract's schema: every table, column, type, meaning and allowed value.

This is the single source for the data dictionary page, the generator, the
importer's validation and the export of an extract. Nothing here reads data.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from impact.model.i18n import N_

# Every categorical column takes its allowed values from the programme's definition (`vocabulary=`; see
# impact.model.programme): the two sides of a partnership and the roles on a project from its `home` section
# (vocabularies "side" and "role": HPS "UK"/"Overseas", "UK lead"...), the others from its vocabularies.
SIDE, ROLE = "side", "role"  # the vocabularies the definition's home section gives
SCOPES = ("programme", "project")  # whose target: the whole programme's or one project's


@dataclass(frozen=True)
class Column:
    """One column: its name, DuckDB type, meaning and constraints."""

    name: str
    type: str  # VARCHAR, DATE, BIGINT, DOUBLE
    description: str
    allowed: tuple[str, ...] | None = None  # a fixed list, the same in every programme
    vocabulary: str | None = None  # the programme's vocabulary giving the allowed values (or phase, indicator)
    references: str | None = None  # "table.column" this column must exist in
    minimum: float | None = None
    maximum: float | None = None
    nullable: bool = False
    old_names: tuple[str, ...] = ()  # names it had before, still read from older extracts (renamed, and said so)


@dataclass(frozen=True)
class Table:
    """One table of the extract: its grain, key and columns."""

    name: str
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...] = field(default_factory=tuple)
    optional: bool = False  # an extract may leave it out (read as empty)

    @property
    def column_names(self) -> list[str]:
        """The column names in their defined order."""
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        """The column called `name`."""
        return next(c for c in self.columns if c.name == name)


_COUNT_MAX = 1_000_000  # no single row of a partnership report can be larger

TABLES: tuple[Table, ...] = (
    Table(
        "countries",
        N_("Countries where partnerships worked, one row per country."),
        ("iso3",),
        (
            Column("iso3", "VARCHAR", N_("ISO 3166-1 alpha-3 code, e.g. UGA: what every figure is grouped, filtered "
                                      "and linked by (?country=UGA).")),
            Column("name", "VARCHAR", N_("Country name as shown in the dashboard: the label of its code, given to "
                                      "charts, tables and exports after grouping (a renamed country stays one "
                                      "group; two codes with one name stay two, told apart by their code).")),
            Column("region", "VARCHAR", N_("Programme region."), vocabulary="region"),
        ),
    ),
    Table(
        "institutions",
        N_("Partner institutions on both sides of a partnership, one row per institution."),
        ("institution_id",),
        (
            Column("institution_id", "VARCHAR", N_("Stable identifier, e.g. INS-0001.")),
            Column("name", "VARCHAR", N_("Institution name.")),
            Column("side", "VARCHAR", N_("Home or overseas partner, labelled as the programme's definition names the "
                   "two sides (not known: an organisation read from IATI without its country)."),
                   vocabulary=SIDE),
            Column("institution_type", "VARCHAR", N_("Kind of institution."), vocabulary="institution_type"),
            Column("iso3", "VARCHAR", N_("Country of the institution (one of the programme's home countries for "
                   "partners on the home side); empty when not known. A code the countries table does not list reads "
                   "as its ISO 3166 short name (GBR: United Kingdom)."),
                   nullable=True),
        ),
    ),
    Table(
        "projects",
        N_("Funded projects (grants), one row per project."),
        ("project_id",),
        (
            Column("project_id", "VARCHAR", N_("Stable identifier, e.g. P-001.")),
            Column("title", "VARCHAR", N_("Project title.")),
            Column("theme", "VARCHAR", N_("Main health theme."), vocabulary="theme"),
            Column("grant_type", "VARCHAR", N_("Kind of grant."), vocabulary="grant_type"),
            Column("phase", "VARCHAR", N_("Programme phase the grant belongs to."), vocabulary="phase"),
            Column("iso3", "VARCHAR", N_("Country where the project works."), references="countries.iso3"),
            Column("uk_lead_id", "VARCHAR", N_("Lead institution on the home side (the column keeps its name in every "
                   "programme; empty: none known, e.g. a project read from IATI with one organisation)."), references="institutions.institution_id", nullable=True),
            Column(
                "overseas_lead_id",
                "VARCHAR",
                N_("Lead institution on the overseas side (empty: none known)."),
                references="institutions.institution_id",
                nullable=True,
            ),
            Column("start_date", "DATE", N_("First day of the grant.")),
            Column("end_date", "DATE", N_("Last day of the grant.")),
            Column("budget", "BIGINT", N_("Grant value in the programme's currency, a whole amount (no cap in any "
                   "currency: a grant read from IATI may be large, e.g. in Korean won; whole numbers stop at 15 digits). "
                   "Older extracts call it budget_gbp, still read."), minimum=0, maximum=10**15,
                   old_names=("budget_gbp",)),
        ),
    ),
    Table(
        "project_partners",
        N_("Which institutions take part in which project, one row per project and institution."),
        ("project_id", "institution_id"),
        (
            Column("project_id", "VARCHAR", N_("The project."), references="projects.project_id"),
            Column("institution_id", "VARCHAR", N_("The institution."), references="institutions.institution_id"),
            Column("role", "VARCHAR", N_("The institution's role in the project: a side's lead or partner, named "
                   "by the side's label and the word lead or partner, or a lead or partner whose side is not known."), vocabulary=ROLE),
        ),
    ),
    Table(
        "training",
        N_("Health workers trained: one row per project, country, quarter, cadre, gender and training type."),
        ("project_id", "iso3", "period", "cadre", "gender", "training_type"),
        (
            Column("project_id", "VARCHAR", N_("The project that trained them."), references="projects.project_id"),
            Column("iso3", "VARCHAR", N_("Country where the training took place."), references="countries.iso3"),
            Column("period", "DATE", N_("First day of the quarter in which the training was completed.")),
            Column("cadre", "VARCHAR", N_("Health-worker cadre."), vocabulary="cadre"),
            Column("gender", "VARCHAR", N_("Gender of the trainees."), vocabulary="gender"),
            Column(
                "training_type",
                "VARCHAR",
                N_("Kind of training; the programme's definition marks which value means trainers trained "
                "(role trainers) and which means health workers trained by them (role cascade)."),
                vocabulary="training_type",
            ),
            Column("trainees", "BIGINT", N_("Number of health workers trained."), minimum=0, maximum=_COUNT_MAX),
        ),
    ),
    Table(
        "volunteering",
        N_("Volunteer time: one row per project, country, quarter, location and profession."),
        ("project_id", "iso3", "period", "location", "profession"),
        (
            Column("project_id", "VARCHAR", N_("The project."), references="projects.project_id"),
            Column("iso3", "VARCHAR", N_("Partner country the time was given to."), references="countries.iso3"),
            Column("period", "DATE", N_("First day of the quarter.")),
            Column(
                "location",
                "VARCHAR",
                N_("Where the time was given; the definition marks the value for days in the partner country "
                "(role overseas) and for days given from home (role home)."),
                vocabulary="location",
            ),
            Column("profession", "VARCHAR", N_("Profession of the volunteers from the home side."), vocabulary="profession"),
            Column("volunteers", "BIGINT", N_("Volunteer placements started."), minimum=0, maximum=_COUNT_MAX),
            Column("volunteer_days", "BIGINT", N_("Days volunteered."), minimum=0, maximum=_COUNT_MAX),
        ),
    ),
    Table(
        "outcomes",
        N_("Reported outcomes: one row per project, country, quarter and indicator."),
        ("project_id", "iso3", "period", "indicator"),
        (
            Column("project_id", "VARCHAR", N_("The project."), references="projects.project_id"),
            Column("iso3", "VARCHAR", N_("Partner country."), references="countries.iso3"),
            Column("period", "DATE", N_("First day of the quarter in which it was reported.")),
            Column("indicator", "VARCHAR", N_("Outcome indicator code, one of the programme's reported indicators."), vocabulary="indicator"),
            Column("value", "BIGINT", N_("Count reported for the indicator."), minimum=0, maximum=10_000_000),
        ),
    ),
    Table(
        "partnership_scores",
        N_("Principles of Partnership self-assessment: one row per project and principle (1 = weak, 5 = strong)."),
        ("project_id", "principle"),
        (
            Column("project_id", "VARCHAR", N_("The project."), references="projects.project_id"),
            Column("principle", "VARCHAR", N_("A principle of partnership from the programme's list."), vocabulary="principle"),
            Column("score", "BIGINT", N_("Self-assessed score, 1 to 5."), minimum=1, maximum=5),
        ),
    ),
    Table(
        "targets",
        N_("Targets: milestones and end targets for the programme and for each project, one row per scope, "
        "project, metric and due date. The latest due date of a scope and metric is its end target, the "
        "earlier ones its milestones."),
        ("scope", "project_id", "metric", "due_date"),
        (
            Column("scope", "VARCHAR", N_("Whose target: the whole programme's, or one project's."), allowed=SCOPES),
            Column("project_id", "VARCHAR", N_("The project, for a project's target; empty for the programme's."),
                   references="projects.project_id", nullable=True),
            Column("metric", "VARCHAR", N_("The metric or outcome indicator the target is for (one counted from "
                   "rows with a period: training, volunteering or an outcome indicator)."), vocabulary="metric"),
            Column("due_date", "DATE", N_("When the value is due: a milestone, or the end target (the latest).")),
            Column("target", "DOUBLE", N_("The value promised by the due date: a cumulative count for a metric "
                   "that is added up, the level for a latest value, a share (0.5 = 50 %) for a ratio."),
                   minimum=0, maximum=1e12),
            Column("baseline", "DOUBLE", N_("The value at the start, where progress is measured from it; "
                   "empty: from zero."), minimum=0, maximum=1e12, nullable=True),
            Column("note", "VARCHAR", N_("Where the target comes from (logframe, grant agreement, published)."),
                   nullable=True),
        ),
        optional=True,
    ),
    # What an IATI activity says that the tables above have no place for, kept as published when a programme is read
    # from an IATI file (python -m impact import-iati), so that publishing it again (export iati) writes the same
    # activities. Optional: empty for a programme never read from IATI; an IATI import replaces them.
    Table(
        "iati_activities",
        N_("Projects read from IATI: one row per project, what its activity said as published (identifier, publisher, "
        "status, planned and actual dates). A project whose theme or grant value is changed later is published from "
        "its own values; while they are as imported, its sectors and budgets are published as read."),
        ("project_id",),
        (
            Column("project_id", "VARCHAR", N_("The project."), references="projects.project_id"),
            Column("iati_identifier", "VARCHAR", N_("The activity's iati-identifier, as published.")),
            Column("reporting_org_ref", "VARCHAR", N_("The publisher's organisation identifier (reporting-org/@ref)."),
                   nullable=True),
            Column("reporting_org_type", "VARCHAR", N_("The publisher's IATI OrganisationType code."), nullable=True),
            Column("reporting_org_name", "VARCHAR", N_("The publisher's name (its narrative)."), nullable=True),
            Column("status", "VARCHAR", N_("activity-status: IATI ActivityStatus code (1 pipeline, 2 implementation, 3 "
                   "finalisation, 4 closed, 5 cancelled, 6 suspended); empty: computed from the dates at each export (an "
                   "activity of the dashboard's own export, impact:from-dates, keeps none: nor its dates)."),
                   allowed=("1", "2", "3", "4", "5", "6"), nullable=True),
            Column("planned_start", "DATE", N_("activity-date of type 1 (planned start)."), nullable=True),
            Column("actual_start", "DATE", N_("activity-date of type 2 (actual start)."), nullable=True),
            Column("planned_end", "DATE", N_("activity-date of type 3 (planned end)."), nullable=True),
            Column("actual_end", "DATE", N_("activity-date of type 4 (actual end)."), nullable=True),
            Column("recipient_region", "VARCHAR", N_("The recipient-region code of an activity that names no country "
                   "(its project's country is not known), as published."), nullable=True),
            Column("region_vocabulary", "VARCHAR", N_("That region's vocabulary (1: OECD DAC regions)."), nullable=True),
            Column("imported_theme", "VARCHAR", N_("The theme the import gave the project (from its sectors)."),
                   nullable=True),
            Column("grant_value", "BIGINT", N_("The grant value the import gave the project (from its budgets), in the "
                   "programme's currency."), minimum=0, maximum=10**15, nullable=True),
        ),
        optional=True,
    ),
    Table(
        "iati_budgets",
        N_("Projects read from IATI: every budget of the activity as published (one per year or period), in its own "
        "currency. The project's grant value is their total in the programme's currency."),
        ("project_id", "position"),
        (
            Column("project_id", "VARCHAR", N_("The project."), references="projects.project_id"),
            Column("position", "BIGINT", N_("The budget's place among the activity's budgets (1, 2, ...)."), minimum=1,
                   maximum=100_000),
            Column("budget_type", "VARCHAR", N_("IATI BudgetType: 1 original, 2 revised."), allowed=("1", "2")),
            Column("budget_status", "VARCHAR", N_("IATI BudgetStatus: 1 indicative, 2 committed."), allowed=("1", "2"),
                   nullable=True),
            Column("period_start", "DATE", N_("First day of the budget's period.")),
            Column("period_end", "DATE", N_("Last day of the budget's period.")),
            Column("amount", "DOUBLE", N_("The budget's value as published, in `currency`."), minimum=-1e18,
                   maximum=1e18),
            Column("currency", "VARCHAR", N_("ISO 4217 code of the amount (the value's, else the activity's default)."),
                   nullable=True),
            Column("value_date", "DATE", N_("The value's value-date (the day an amount is converted at)."), nullable=True),
        ),
        optional=True,
    ),
    Table(
        "iati_countries",
        N_("Projects read from IATI: every recipient country of the activity as published, with its percentage. The "
        "project's own country (projects.iso3) is the one with the largest share."),
        ("project_id", "code"),
        (
            Column("project_id", "VARCHAR", N_("The project."), references="projects.project_id"),
            Column("code", "VARCHAR", N_("The recipient country's ISO 3166-1 alpha-2 code, as published.")),
            Column("iso3", "VARCHAR", N_("The same country's alpha-3 code.")),
            Column("percentage", "DOUBLE", N_("The activity's share in the country (empty: not given)."), minimum=0,
                   maximum=100, nullable=True),
        ),
        optional=True,
    ),
    Table(
        "iati_sectors",
        N_("Projects read from IATI: every sector of the activity as published, with its vocabulary and percentage."),
        ("project_id", "vocabulary", "code"),
        (
            Column("project_id", "VARCHAR", N_("The project."), references="projects.project_id"),
            Column("vocabulary", "VARCHAR", N_("IATI SectorVocabulary: 1 DAC 5-digit, 2 DAC 3-digit, 99 or 98 the "
                   "publisher's own, ...")),
            Column("code", "VARCHAR", N_("The sector's code in its vocabulary.")),
            Column("percentage", "DOUBLE", N_("The activity's share in the sector (empty: not given)."), minimum=0,
                   maximum=100, nullable=True),
            Column("name", "VARCHAR", N_("The sector's narrative, if any."), nullable=True),
        ),
        optional=True,
    ),
    Table(
        "iati_organisations",
        N_("Projects read from IATI: every participating organisation of the activity as published (funders, "
        "accountable, extending and implementing ones), in order; those taken as partners name their institution."),
        ("project_id", "position"),
        (
            Column("project_id", "VARCHAR", N_("The project."), references="projects.project_id"),
            Column("position", "BIGINT", N_("The organisation's place among the activity's participating-orgs (1, 2, ...)."),
                   minimum=1, maximum=100_000),
            Column("org_role", "VARCHAR", N_("IATI OrganisationRole: 1 funding, 2 accountable, 3 extending, 4 "
                   "implementing."), allowed=("1", "2", "3", "4")),
            Column("ref", "VARCHAR", N_("Its organisation identifier (@ref), as published; empty: none."), nullable=True),
            Column("org_type", "VARCHAR", N_("Its IATI OrganisationType code; empty: none."), nullable=True),
            Column("name", "VARCHAR", N_("Its name (the narrative in the programme's language)."), nullable=True),
            Column("institution_id", "VARCHAR", N_("The partner institution it was read as (empty: not a partner of the "
                   "project, e.g. a funder)."), references="institutions.institution_id", nullable=True),
        ),
        optional=True,
    ),
)

IATI_TABLES = ("iati_activities", "iati_countries", "iati_budgets", "iati_sectors", "iati_organisations")  # kept as published

TABLE_NAMES = tuple(t.name for t in TABLES)
REQUIRED_TABLES = tuple(t.name for t in TABLES if not t.optional)
FACT_TABLES = ("training", "volunteering", "outcomes")
# Tables a programme may hold with no rows: what it has not reported yet (a programme started from an IATI file)
MAY_BE_EMPTY = (*FACT_TABLES, "partnership_scores")


def table(name: str, programme=None) -> Table:
    """The table definition called `name`; under a programme, with a column for each disaggregation the programme
    declares on it (after the table's own breakdowns, part of its key; its values the disaggregation's vocabulary)."""
    spec = next(t for t in TABLES if t.name == name)
    own = programme.disaggregations_of(name) if programme is not None else ()
    if not own:
        return spec
    measures = [c for c in spec.columns if c.name not in spec.key]
    added = tuple(Column(d.key, "VARCHAR", d.description or f"{d.label} (declared by the programme's definition).",
                         vocabulary=d.key) for d in own)
    keyed = tuple(c for c in spec.columns if c.name in spec.key)
    return replace(spec, key=(*spec.key, *(d.key for d in own)), columns=(*keyed, *added, *measures))


def tables(programme=None) -> tuple[Table, ...]:
    """Every table of the extract, with the programme's disaggregations (see `table`)."""
    return tuple(table(t.name, programme) for t in TABLES)


def allowed(column: Column, programme) -> tuple[str, ...] | None:
    """The values `column` may hold under a programme definition (None: any value)."""
    if column.allowed:
        return column.allowed
    if column.vocabulary == SIDE:
        return programme.home.sides
    if column.vocabulary == ROLE:
        return programme.home.roles
    if column.vocabulary == "phase":
        return programme.phase_names
    if column.vocabulary == "indicator":
        return programme.reported_codes
    if column.vocabulary == "metric":
        from impact.model import metrics

        with metrics.using(programme):
            return tuple(metrics.targetable())
    if column.vocabulary:
        return programme.values(column.vocabulary)
    return None


ARROW_TYPES = {"VARCHAR": "string", "DATE": "date32", "BIGINT": "int64", "DOUBLE": "float64"}


def current_names(name: str, table):
    """A stored pyarrow `table` of table `name` with each column kept under an older name (budget_gbp) given its
    name now (budget), so a version stored before a rename reads as one stored after it."""
    spec = next(t for t in TABLES if t.name == name)
    now = {old: c.name for c in spec.columns for old in c.old_names if c.name not in table.column_names}
    if not now.keys() & set(table.column_names):
        return table
    return table.rename_columns([now.get(column, column) for column in table.column_names])


def arrow_schema(name: str, programme=None):
    """The pyarrow schema of table `name` (with the programme's disaggregations)."""
    import pyarrow as pa

    return pa.schema([(c.name, getattr(pa, ARROW_TYPES[c.type])()) for c in table(name, programme).columns])


def empty(name: str, programme=None):
    """Table `name` with no rows (an optional table an extract left out)."""
    return arrow_schema(name, programme).empty_table()
