"""The portfolio: every programme of a data store side by side on what they all count.

Each programme keeps its own database and vocabularies; what they share is the structural metrics
(health workers trained, women trained, volunteer days overseas and from home, countries, projects,
funding). Each figure is the programme's own named query under a `Scope` that every programme can
apply (calendar years, regions and countries by name or code), so the portfolio's numbers are the
programmes' numbers added side by side, never re-derived. Money is the exception to adding up: each programme's
is in its own currency (its definition's), and only programmes sharing a currency are added together. Its charts
are the catalogue's (`impact.charts.catalog.PORTFOLIO`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from impact.model import calendar, metrics
from impact.model.i18n import gettext as _
from impact.query import db, explore
from impact.query.filters import Filters

SHARED = ("trainees", "women_trained", "women_share", "volunteer_days_overseas", "volunteer_days_uk",
          "countries_active", "projects", "budget_gbp")
PROGRAMME = "programme"
CURRENCY = "currency"
FUNDING = "grant_funding"  # a programme's grants in its own currency, in the table people read


@dataclass(frozen=True)
class Scope:
    """What the portfolio covers: calendar years (inclusive) and regions and countries (empty = all)."""

    first_year: int | None = None
    last_year: int | None = None
    regions: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()

    def params(self) -> dict:
        """Bound parameters for a programme's filter macros."""
        filters = Filters(period_from=calendar.year_quarters(self.first_year)[0] if self.first_year else None,
                          period_to=calendar.year_quarters(self.last_year)[1] if self.last_year else None,
                          region=self.regions, country=self.countries)
        return filters.params()

    def describe(self) -> str:
        """The scope in words."""
        parts = []
        if self.first_year or self.last_year:
            parts.append(f"{self.first_year or _('start')}–{self.last_year or _('end')}")
        if self.regions:
            parts.append(_("{dimension}: {values}").format(dimension=_("Region"), values=", ".join(self.regions)))
        if self.countries:
            parts.append(_("{dimension}: {values}").format(dimension=_("Country"), values=", ".join(self.countries)))
        return "; ".join(parts) if parts else _("All programmes, years, regions and countries")


def _name(database: db.Database) -> str:
    return database.programme.short_name or database.programme.id


def totals(databases: list[db.Database], scope: Scope) -> pd.DataFrame:
    """One row per programme: its name, window and the shared figures under `scope`."""
    rows = []
    for database in databases:
        row = db.run_query(database, "headline_totals", scope.params()).iloc[0]
        p = database.programme
        rows.append({PROGRAMME: _name(database), "name": p.name, "years": f"{p.start.year}–{p.end.year}",
                     CURRENCY: p.currency, **{key: row[key] for key in SHARED if key in row},
                     "women_share": row["women_trained"] / row["trainees"] if row["trainees"] else None})
    frame = pd.DataFrame(rows, columns=[PROGRAMME, "name", "years", CURRENCY, *SHARED])
    return frame.astype({"women_share": "float64"})


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """`totals` as a table people read: each programme's funding beside its currency, under a heading that names
    no currency (a money column would be headed with the currency of the programme on screen)."""
    return frame.rename(columns={"budget_gbp": FUNDING})


@dataclass(frozen=True)
class Funding:
    """The programmes' grant funding in words: added up within a currency, never across currencies."""

    total: str  # each currency's total: '£30m', or '£30m · $12m' for programmes paid in two currencies
    each: str  # each programme's own, in its currency: 'HPS: £30m · GSP: $12m'
    note: str  # why there is no single total ('' when there is one)


def money(value, programme) -> str:
    """An amount written in `programme`'s currency (£30m, $1.2m, CHF 999), whichever programme is on screen."""
    with metrics.using(programme):
        return metrics.format_metric("budget_gbp", value)


def funding(databases: list[db.Database], frame: pd.DataFrame) -> Funding:
    """The grant funding of `totals`' programmes (`frame`, in the order of `databases`), each in its currency."""
    programmes = [d.programme for d in databases]
    currencies = list(dict.fromkeys(p.currency for p in programmes))
    totals = [money(frame.loc[frame[CURRENCY] == c, "budget_gbp"].sum(), next(p for p in programmes
                                                                              if p.currency == c))
              for c in currencies]
    each = " · ".join(f"{name}: {money(value, p)}" for name, value, p in zip(frame[PROGRAMME], frame["budget_gbp"],
                                                                             programmes))
    note = (_("The programmes are paid in different currencies ({currencies}): each currency is added up on its own, "
              "never converted.").format(currencies=", ".join(currencies)) if len(currencies) > 1 else "")
    return Funding(total=" · ".join(totals), each=each, note=note)


def by_year(databases: list[db.Database], scope: Scope) -> pd.DataFrame:
    """One row per calendar year and programme: trainees, women trained and share, volunteer days, projects."""
    frames = []
    params = {**scope.params(), **explore.totals_params("time")}
    for database in databases:
        training = db.run_query(database, "training_by_dimension", params)[
            ["category", "trainees", "women_trained", "women_share"]]
        days = db.run_query(database, "volunteering_by_dimension", params)[
            ["category", "volunteer_days_overseas", "volunteer_days_uk", "volunteer_days"]]
        projects = db.run_query(database, "projects_by_dimension", params)[["category", "projects"]]
        year = training.merge(days, on="category", how="outer").merge(projects, on="category", how="outer")
        frames.append(year.assign(**{PROGRAMME: _name(database)}))
    if not frames:
        return pd.DataFrame(columns=["year", PROGRAMME, "trainees"])
    out = pd.concat(frames, ignore_index=True).rename(columns={"category": "year"})
    counts = ["trainees", "women_trained", "volunteer_days_overseas", "volunteer_days_uk", "volunteer_days", "projects"]
    out[counts] = out[counts].fillna(0)
    return out.sort_values(["year", PROGRAMME]).reset_index(drop=True)


def countries(databases: list[db.Database], scope: Scope) -> pd.DataFrame:
    """One row per country: the programmes that worked there and their health workers trained."""
    frames = []
    for database in databases:
        frame = db.run_query(database, "country_activity", scope.params())
        frames.append(frame.assign(**{PROGRAMME: _name(database)}))
    if not frames:
        return pd.DataFrame(columns=["iso3", "country", "region", "trainees", "projects", "programmes"])
    every = pd.concat(frames, ignore_index=True)
    grouped = every.groupby("iso3", as_index=False).agg(
        country=("country", "first"), region=("region", "first"), trainees=("trainees", "sum"),
        projects=("projects", "sum"), programmes=(PROGRAMME, lambda names: ", ".join(sorted(set(names)))))
    return grouped.sort_values(["trainees", "country"], ascending=[False, True]).reset_index(drop=True)


def wide(frame: pd.DataFrame, value: str) -> pd.DataFrame:
    """A by-year table with one column per programme for metric `value`."""
    if frame.empty:
        return pd.DataFrame(columns=["year"])
    table = frame.pivot_table(index="year", columns=PROGRAMME, values=value, aggfunc="sum")
    table.columns = [str(c) for c in table.columns]
    return table.reset_index()
