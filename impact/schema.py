"""The extract's schema: every table, column, type, meaning and allowed value.

This is the single source for the data dictionary page, the generator, the
importer's validation and the export of an extract. Nothing here reads data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PROGRAMME_START = "2011-07-01"
PROGRAMME_END = "2019-03-31"

REGIONS = (
    "East Africa",
    "Southern Africa",
    "West Africa",
    "Central Africa",
    "South Asia",
    "South-East Asia",
)
THEMES = (
    "Maternal and newborn health",
    "Mental health",
    "Surgery and anaesthesia",
    "Emergency and critical care",
    "Child health",
    "Infectious diseases",
    "Non-communicable diseases",
    "Leadership and management",
    "Nursing and midwifery education",
    "Laboratory and diagnostics",
    "Disability and rehabilitation",
)
GRANT_TYPES = (
    "Small grant",
    "Large grant",
    "Long-term partnership",
    "Strategic volunteering",
    "Country programme",
)
PHASES = ("2011-2017", "2017-2019")
CADRES = (
    "Nurse",
    "Midwife",
    "Doctor",
    "Clinical officer",
    "Community health worker",
    "Allied health professional",
    "Laboratory staff",
    "Health manager",
)
GENDERS = ("Female", "Male", "Not recorded")
TRAINING_TYPES = ("In-service", "Pre-service", "Training of trainers", "Cascade")
LOCATIONS = ("Overseas", "UK")
PROFESSIONS = (
    "Doctor",
    "Nurse",
    "Midwife",
    "Allied health professional",
    "Health manager",
    "Scientist",
)
SIDES = ("UK", "Overseas")
INSTITUTION_TYPES = (
    "NHS trust",
    "University",
    "Royal college",
    "Professional association",
    "Hospital",
    "Ministry of health",
    "Training college",
    "Health centre",
    "NGO",
)
PARTNER_ROLES = ("UK lead", "Overseas lead", "UK partner", "Overseas partner")
OUTCOME_INDICATORS = (
    "uk_volunteers_improved_skills",
    "uk_volunteers_surveyed",
    "uk_volunteers_new_approaches",
    "institutions_improved_quality",
    "patients_improved_services",
)
PRINCIPLES = (
    "Strategic",
    "Harmonised and aligned",
    "Effective and sustainable",
    "Respectful and reciprocal",
    "Organised and accountable",
    "Responsible",
    "Flexible, resourceful and innovative",
    "Committed to joint learning",
)


@dataclass(frozen=True)
class Column:
    """One column: its name, DuckDB type, meaning and constraints."""

    name: str
    type: str  # VARCHAR, DATE, BIGINT, DOUBLE
    description: str
    allowed: tuple[str, ...] | None = None
    references: str | None = None  # "table.column" this column must exist in
    minimum: float | None = None
    maximum: float | None = None
    nullable: bool = False


@dataclass(frozen=True)
class Table:
    """One table of the extract: its grain, key and columns."""

    name: str
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...] = field(default_factory=tuple)

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
        "Countries where partnerships worked, one row per country.",
        ("iso3",),
        (
            Column("iso3", "VARCHAR", "ISO 3166-1 alpha-3 code, e.g. UGA."),
            Column("name", "VARCHAR", "Country name as shown in the dashboard."),
            Column("region", "VARCHAR", "Programme region.", allowed=REGIONS),
        ),
    ),
    Table(
        "institutions",
        "Partner institutions on both sides of a partnership, one row per institution.",
        ("institution_id",),
        (
            Column("institution_id", "VARCHAR", "Stable identifier, e.g. INS-0001."),
            Column("name", "VARCHAR", "Institution name."),
            Column("side", "VARCHAR", "UK or overseas partner.", allowed=SIDES),
            Column("institution_type", "VARCHAR", "Kind of institution.", allowed=INSTITUTION_TYPES),
            Column("iso3", "VARCHAR", "Country of the institution (GBR for UK partners)."),
        ),
    ),
    Table(
        "projects",
        "Funded projects (grants), one row per project.",
        ("project_id",),
        (
            Column("project_id", "VARCHAR", "Stable identifier, e.g. HPS-001."),
            Column("title", "VARCHAR", "Project title."),
            Column("theme", "VARCHAR", "Main health theme.", allowed=THEMES),
            Column("grant_type", "VARCHAR", "Kind of grant.", allowed=GRANT_TYPES),
            Column("phase", "VARCHAR", "Programme phase the grant belongs to.", allowed=PHASES),
            Column("iso3", "VARCHAR", "Country where the project works.", references="countries.iso3"),
            Column("uk_lead_id", "VARCHAR", "UK lead institution.", references="institutions.institution_id"),
            Column(
                "overseas_lead_id",
                "VARCHAR",
                "Overseas lead institution.",
                references="institutions.institution_id",
            ),
            Column("start_date", "DATE", "First day of the grant."),
            Column("end_date", "DATE", "Last day of the grant."),
            Column("budget_gbp", "BIGINT", "Grant value in pounds sterling.", minimum=0, maximum=50_000_000),
        ),
    ),
    Table(
        "project_partners",
        "Which institutions take part in which project, one row per project and institution.",
        ("project_id", "institution_id"),
        (
            Column("project_id", "VARCHAR", "The project.", references="projects.project_id"),
            Column("institution_id", "VARCHAR", "The institution.", references="institutions.institution_id"),
            Column("role", "VARCHAR", "The institution's role in the project.", allowed=PARTNER_ROLES),
        ),
    ),
    Table(
        "training",
        "Health workers trained: one row per project, country, quarter, cadre, gender and training type.",
        ("project_id", "iso3", "period", "cadre", "gender", "training_type"),
        (
            Column("project_id", "VARCHAR", "The project that trained them.", references="projects.project_id"),
            Column("iso3", "VARCHAR", "Country where the training took place.", references="countries.iso3"),
            Column("period", "DATE", "First day of the quarter in which the training was completed."),
            Column("cadre", "VARCHAR", "Health-worker cadre.", allowed=CADRES),
            Column("gender", "VARCHAR", "Gender of the trainees.", allowed=GENDERS),
            Column(
                "training_type",
                "VARCHAR",
                "Training of trainers = trainers trained; Cascade = health workers trained by those "
                "trainers; In-service and Pre-service = trained directly.",
                allowed=TRAINING_TYPES,
            ),
            Column("trainees", "BIGINT", "Number of health workers trained.", minimum=0, maximum=_COUNT_MAX),
        ),
    ),
    Table(
        "volunteering",
        "Volunteer time: one row per project, country, quarter, location and profession.",
        ("project_id", "iso3", "period", "location", "profession"),
        (
            Column("project_id", "VARCHAR", "The project.", references="projects.project_id"),
            Column("iso3", "VARCHAR", "Partner country the time was given to.", references="countries.iso3"),
            Column("period", "DATE", "First day of the quarter."),
            Column(
                "location",
                "VARCHAR",
                "Overseas = days spent in the partner country; UK = days contributed from the UK.",
                allowed=LOCATIONS,
            ),
            Column("profession", "VARCHAR", "Profession of the UK volunteers.", allowed=PROFESSIONS),
            Column("volunteers", "BIGINT", "Volunteer placements started.", minimum=0, maximum=_COUNT_MAX),
            Column("volunteer_days", "BIGINT", "Days volunteered.", minimum=0, maximum=_COUNT_MAX),
        ),
    ),
    Table(
        "outcomes",
        "Reported outcomes: one row per project, country, quarter and indicator.",
        ("project_id", "iso3", "period", "indicator"),
        (
            Column("project_id", "VARCHAR", "The project.", references="projects.project_id"),
            Column("iso3", "VARCHAR", "Partner country.", references="countries.iso3"),
            Column("period", "DATE", "First day of the quarter in which it was reported."),
            Column("indicator", "VARCHAR", "Outcome indicator code (see Metrics).", allowed=OUTCOME_INDICATORS),
            Column("value", "BIGINT", "Count reported for the indicator.", minimum=0, maximum=10_000_000),
        ),
    ),
    Table(
        "partnership_scores",
        "THET Principles of Partnership self-assessment: one row per project and principle (1 = weak, 5 = strong).",
        ("project_id", "principle"),
        (
            Column("project_id", "VARCHAR", "The project.", references="projects.project_id"),
            Column("principle", "VARCHAR", "One of THET's eight Principles of Partnership.", allowed=PRINCIPLES),
            Column("score", "BIGINT", "Self-assessed score, 1 to 5.", minimum=1, maximum=5),
        ),
    ),
)

TABLE_NAMES = tuple(t.name for t in TABLES)
FACT_TABLES = ("training", "volunteering", "outcomes")


def table(name: str) -> Table:
    """The table definition called `name`."""
    return next(t for t in TABLES if t.name == name)
