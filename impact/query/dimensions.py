"""Every dimension results can be sliced by, declared once: its key, label, the tables that carry it, the
programme vocabulary of its values, its column, and — for the shared filters — its URL key.

Everything else is made from these declarations: the `Filters` model and its URL keys (`impact.query.filters`),
the filter and grouping macros of the compiled database and of every rollup (`impact.query.macros`), the rollups'
choice of columns, the explorer's "group by" and "split by" (`impact.query.explore`). A programme adds its own
dimensions as data — the disaggregations its definition declares (age band, disability...) — and `of(programme)`
lists them after the structural ones; a dimension's values come from the programme's definition (or, for
countries and time, from the data).

A dimension is grouped and filtered by its `column`, its code; what a person reads is its label. A country is its
ISO-3 code everywhere (`?country=UGA`, `Filters(country=("UGA",))`, the explorer's and the rollups' groups) and its
name only a label, from one place: the compiled `country_labels` table (the extract's countries' names, the
ISO 3166 short name for a code the extract does not list), read by the generated `category_label` macro
(`impact.query.macros`). Two codes that share a name stay two groups; a renamed country stays one.
"""

from __future__ import annotations

from dataclasses import dataclass

from impact.model import i18n, metrics
from impact.model.i18n import N_

FACTS = frozenset({"training", "volunteering", "outcomes", "projects", "project_partners"})


@dataclass(frozen=True, kw_only=True)
class Dimension:
    """A dimension: grouped by in the explorer (`key`), and with `filter` set a shared sidebar filter."""

    key: str  # its name in the explorer, its links, the filters' struct and the facts' column it groups by
    label: str
    sources: frozenset[str]  # the tables whose rows carry it
    vocabulary: str = ""  # the programme vocabulary holding its values ("" when they come from the data)
    filter: str = ""  # the URL key of its sidebar filter ("" when it is not a shared filter)
    code: str = ""  # the column grouped by and filtered on when it is not `key` (a country's ISO-3 code)
    labels: str = ""  # the compiled table (code, name) labelling its values ("": a value is its own label)
    declared: bool = False  # one of the programme's own disaggregations (not a structural dimension)

    @property
    def column(self) -> str:
        """The column of the facts it is grouped by and a filter on it tests (a code, for a labelled dimension)."""
        return self.code or self.key

    @property
    def shown_label(self) -> str:
        """Its label in the active language: the catalogue's, or for a programme's own breakdown its definition's."""
        if self.declared:
            programme = metrics.active_programme()
            own = programme is not None and any(d.key == self.key for d in programme.disaggregations)
            return programme.disaggregation_label(self.key) if own else self.label
        return i18n.active().gettext(self.label)

    @property
    def training_only(self) -> bool:
        """True for dimensions of trainees only (cadre, gender): their filter applies to training figures."""
        return self.sources == frozenset({"training"})

    @property
    def of_projects(self) -> bool:
        """True for a dimension every project has (phase, region, country, theme, grant type)."""
        return "projects" in self.sources


DIMENSIONS: tuple[Dimension, ...] = (
    Dimension(key="time", label=N_("Time"), sources=FACTS),
    Dimension(key="phase", label=N_("Phase"), sources=FACTS, filter="phase"),
    Dimension(key="region", label=N_("Region"), sources=FACTS, vocabulary="region", filter="region"),
    Dimension(key="country", label=N_("Country"), sources=FACTS, filter="country", code="iso3",
              labels="country_labels"),
    Dimension(key="theme", label=N_("Theme"), sources=FACTS, vocabulary="theme", filter="theme"),
    Dimension(key="grant_type", label=N_("Grant type"), sources=FACTS, vocabulary="grant_type", filter="grant"),
    Dimension(key="cadre", label=N_("Cadre"), sources=frozenset({"training"}), vocabulary="cadre", filter="cadre"),
    Dimension(key="gender", label=N_("Gender"), sources=frozenset({"training"}), vocabulary="gender", filter="gender"),
    Dimension(key="training_type", label=N_("Training type"), sources=frozenset({"training"}),
              vocabulary="training_type"),
    Dimension(key="location", label=N_("Volunteer location"), sources=frozenset({"volunteering"}), vocabulary="location"),
    Dimension(key="profession", label=N_("Volunteer profession"), sources=frozenset({"volunteering"}),
              vocabulary="profession"),
)
BY_KEY: dict[str, Dimension] = {d.key: d for d in DIMENSIONS}
FILTERS: tuple[Dimension, ...] = tuple(d for d in DIMENSIONS if d.filter)


def declared(programme) -> tuple[Dimension, ...]:
    """The programme's own disaggregations as dimensions: grouped by and filtered on like any other."""
    if programme is None:
        return ()
    return tuple(Dimension(key=d.key, label=d.label, sources=frozenset(d.tables), vocabulary=d.key, filter=d.key,
                           declared=True) for d in programme.disaggregations)


def of(programme) -> tuple[Dimension, ...]:
    """Every dimension of a programme: the structural ones, then its disaggregations."""
    return DIMENSIONS + declared(programme)


def filters_of(programme) -> tuple[Dimension, ...]:
    """The shared filters of a programme, in sidebar order."""
    return tuple(d for d in of(programme) if d.filter)


def by_key(programme) -> dict[str, Dimension]:
    """A programme's dimensions by key."""
    return {d.key: d for d in of(programme)}


def distinct_labels(names: dict) -> dict:
    """{code: label} from {code: name}: a code with no name reads as itself, and two codes that share a name are told
    apart by their code ('Congo (COG)', 'Congo (COD)'), so that two groups never read as one."""
    named = {code: name if isinstance(name, str) and name else str(code) for code, name in names.items()}
    seen: dict[str, int] = {}
    for name in named.values():
        seen[name] = seen.get(name, 0) + 1
    return {code: f"{name} ({code})" if seen[name] > 1 and name != str(code) else name for code, name in named.items()}
