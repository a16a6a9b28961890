"""Metrics, defined once: label, unit, aggregation, number format and how each is counted.

KPI tiles, chart axes, hover labels, exports and the data dictionary all read these
definitions; query result columns are named after the metric keys.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    """One measure of the programme's results."""

    key: str
    label: str
    unit: str  # people, days, projects, countries, institutions, share, GBP
    aggregation: str  # how rows combine: sum, count distinct, ratio
    fmt: str  # number format preset: count, percent, gbp
    description: str
    how_counted: str
    source: str  # table it comes from


METRICS: dict[str, Metric] = {
    m.key: m
    for m in (
        Metric(
            "trainees", "Health workers trained", "people", "sum", "count",
            "Health workers who completed training delivered by a partnership.",
            "Trainees reported by projects each quarter, added up; a person trained twice counts twice.",
            "training",
        ),
        Metric(
            "women_trained", "Women trained", "people", "sum", "count",
            "Health workers trained who are women.",
            "Trainees recorded as female.",
            "training",
        ),
        Metric(
            "women_share", "Women's share of trainees", "share", "ratio", "percent",
            "Women as a share of all health workers trained.",
            "Women trained divided by all trainees (including gender not recorded).",
            "training",
        ),
        Metric(
            "trainers_trained", "Trainers trained", "people", "sum", "count",
            "Health workers trained as trainers (training of trainers), who go on to train others.",
            "Trainees whose training type is Training of trainers.",
            "training",
        ),
        Metric(
            "cascade_trainees", "Trained by cascade", "people", "sum", "count",
            "Health workers trained by the trainers a partnership trained (cascade training).",
            "Trainees whose training type is Cascade.",
            "training",
        ),
        Metric(
            "countries_trained", "Countries with training", "countries", "count distinct", "count",
            "Countries where health workers were trained.",
            "Countries with at least one trainee reported (the 2019 count).",
            "training",
        ),
        Metric(
            "countries_active", "Countries with partnerships", "countries", "count distinct", "count",
            "Countries where a funded partnership was active.",
            "Countries with an active project, including those with volunteering but no "
            "training results (the 2017 count).",
            "projects",
        ),
        Metric(
            "projects", "Projects", "projects", "count distinct", "count",
            "Funded projects (grants) active in the period.",
            "Grants active at some time in the period; each grant counts once.",
            "projects",
        ),
        Metric(
            "institutions", "Partner institutions", "institutions", "count distinct", "count",
            "UK and overseas institutions taking part in the projects.",
            "UK and overseas institutions named on an active project, each counted once.",
            "project_partners",
        ),
        Metric(
            "institutions_overseas", "Overseas institutions", "institutions", "count distinct", "count",
            "Partner institutions in low- and middle-income countries.",
            "Distinct overseas institutions on projects active in the period ('health institutions "
            "strengthened').",
            "project_partners",
        ),
        Metric(
            "institutions_uk", "UK institutions", "institutions", "count distinct", "count",
            "NHS trusts, universities, royal colleges and others in the UK.",
            "Distinct UK institutions on projects active in the period.",
            "project_partners",
        ),
        Metric(
            "volunteer_days_overseas", "Volunteer days overseas", "days", "sum", "count",
            "Days UK volunteers spent working in partner countries.",
            "Days UK volunteers spent in partner countries.",
            "volunteering",
        ),
        Metric(
            "volunteer_days_uk", "Volunteer days from the UK", "days", "sum", "count",
            "Days contributed remotely from the UK (teaching, mentoring, preparation).",
            "Days given from the UK: remote teaching, mentoring, preparation.",
            "volunteering",
        ),
        Metric(
            "volunteer_days", "Volunteer days", "days", "sum", "count",
            "All days given by UK health-worker volunteers, overseas and from the UK.",
            "Volunteer days overseas plus days given from the UK.",
            "volunteering",
        ),
        Metric(
            "volunteers", "Volunteer placements", "placements", "sum", "count",
            "Volunteer placements started; one person may make several.",
            "Placements started each quarter, added up.",
            "volunteering",
        ),
        Metric(
            "uk_volunteers_improved_skills", "UK volunteers with better skills", "people", "sum", "count",
            "Returned UK volunteers evidencing improved clinical and leadership skills.",
            "Returned volunteers evidencing better clinical and leadership skills.",
            "outcomes",
        ),
        Metric(
            "new_approaches_share", "Volunteers bringing back new ideas", "share", "ratio", "percent",
            "Share of surveyed returned volunteers who brought new approaches back to the NHS.",
            "Share of surveyed returned volunteers who brought new approaches home.",
            "outcomes",
        ),
        Metric(
            "institutions_improved_quality", "Institutions with better services", "institutions",
            "sum", "count",
            "LMIC institutions showing higher quality of the services a project targeted.",
            "Facilities with measurably better targeted services, partners or not.",
            "outcomes",
        ),
        Metric(
            "patients_improved_services", "Patients using improved services", "people", "sum", "count",
            "Patients who used services a partnership improved.",
            "Patients using services a partnership improved.",
            "outcomes",
        ),
        Metric(
            "budget_gbp", "Grant funding", "GBP", "sum", "gbp",
            "Value of the grants of projects active in the period.",
            "Sum of grant budgets of projects whose dates overlap the period.",
            "projects",
        ),
    )
}


# What THET published for the whole scheme (seeds 002-004), shown beside live figures for reference.
# Nothing is computed from these: every figure on a page comes from the data.
PUBLISHED: dict[str, str] = {
    "trainees": "93,112 by March 2019",
    "women_trained": "over 46,600 of the 93,112 trained",
    "women_share": "over 46,600 of 93,112, about half",
    "countries_trained": "30 countries by March 2019",
    "projects": "210 projects by March 2019",
    "volunteer_days_overseas": "over 90,000 by March 2019",
    "volunteer_days_uk": "a further 12,000 by March 2019",
    "uk_volunteers_improved_skills": "5,653 by March 2019",
    "new_approaches_share": "74% by March 2019",
    "institutions_improved_quality": "765 by March 2019",
    "patients_improved_services": "499,568",
}


def metric(key: str) -> Metric:
    """The metric called `key` (KeyError names it if unknown)."""
    try:
        return METRICS[key]
    except KeyError:
        raise KeyError(f"unknown metric {key!r}; known: {', '.join(METRICS)}") from None


def format_value(value: float | int | None, fmt: str = "count") -> str:
    """Write a number the way people do: 93,112; 74%; £30m; an em dash when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if fmt == "percent":
        return f"{value * 100:.0f}%"
    if fmt == "gbp":
        for size, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
            if abs(value) >= size:
                scaled = value / size
                text = f"{scaled:.1f}".rstrip("0").rstrip(".") if scaled < 100 else f"{scaled:.0f}"
                return f"£{text}{suffix}"
        return f"£{value:,.0f}"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def format_metric(key: str, value) -> str:
    """Format `value` with the number format of metric `key`."""
    return format_value(value, metric(key).fmt)


def d3_format(fmt: str) -> str:
    """The Plotly (d3) format string matching a number format preset."""
    return {"percent": ".0%", "gbp": "£,.3s"}.get(fmt, ",.0f")
