"""Every dimension results can be sliced by, defined once: its name, label, the tables that carry it,
the programme vocabulary of its values, and — for the shared filters — its URL key and the bound
parameter of the filter macros (`queries/setup/01`–`04`).

The sidebar filters (`impact.query.filters`), the explorer's "group by" and "split by" (`impact.query.explore`) and
the grouping macro `dimension_value` all read this table; a dimension's values come from the
programme's definition (or, for countries and time, from the data).
"""

from __future__ import annotations

from dataclasses import dataclass

FACTS = frozenset({"training", "volunteering", "outcomes", "projects", "project_partners"})


@dataclass(frozen=True, kw_only=True)
class Dimension:
    """A dimension: grouped by in the explorer (`key`), and with `filter` set a shared sidebar filter."""

    key: str  # its name in the explorer, its links and the SQL (a column of the facts)
    label: str
    sources: frozenset[str]  # the tables whose rows carry it
    vocabulary: str = ""  # the programme vocabulary holding its values ("" when they come from the data)
    filter: str = ""  # the URL key of its sidebar filter ("" when it is not a shared filter)
    param: str = ""  # the filter macros' bound parameter for it

    @property
    def training_only(self) -> bool:
        """True for dimensions of trainees only (cadre, gender): their filter applies to training figures."""
        return self.sources == frozenset({"training"})


DIMENSIONS: tuple[Dimension, ...] = (
    Dimension(key="time", label="Time", sources=FACTS),
    Dimension(key="phase", label="Phase", sources=FACTS, filter="phase", param="phases"),
    Dimension(key="region", label="Region", sources=FACTS, vocabulary="region", filter="region", param="regions"),
    Dimension(key="country", label="Country", sources=FACTS, filter="country", param="countries"),
    Dimension(key="theme", label="Theme", sources=FACTS, vocabulary="theme", filter="theme", param="themes"),
    Dimension(key="grant_type", label="Grant type", sources=FACTS, vocabulary="grant_type", filter="grant",
              param="grant_types"),
    Dimension(key="cadre", label="Cadre", sources=frozenset({"training"}), vocabulary="cadre", filter="cadre",
              param="cadres"),
    Dimension(key="gender", label="Gender", sources=frozenset({"training"}), vocabulary="gender", filter="gender",
              param="genders"),
    Dimension(key="training_type", label="Training type", sources=frozenset({"training"}),
              vocabulary="training_type"),
    Dimension(key="location", label="Volunteer location", sources=frozenset({"volunteering"}), vocabulary="location"),
    Dimension(key="profession", label="Volunteer profession", sources=frozenset({"volunteering"}),
              vocabulary="profession"),
)
BY_KEY: dict[str, Dimension] = {d.key: d for d in DIMENSIONS}
FILTERS: tuple[Dimension, ...] = tuple(d for d in DIMENSIONS if d.filter)
