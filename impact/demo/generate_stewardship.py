"""Deterministic, seeded generator of a second, invented programme: the Global Stewardship Partnerships.

It exists to show (and test) that the dashboard serves any programme defined as data: its own
window inside 2019-2025 and phases, themes, cadres, grant types, regions the HPS never had, and its
own indicators (a latest-value count, a share computed from two reported codes, sums). Everything in
it is invented and it has no published figures; its definition says so (`illustrative`).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np

from impact.demo import generate_translations as translations
from impact.demo.generate import (
    ILLUSTRATIVE_TARGET,
    STRUCTURAL_RULES,
    apportion,
    illustrative_targets,
    write_tables,
)
from impact.model import calendar
from impact.model import programme as programmes

SEED = 2019
PROGRAMME_ID = "gsp"
START, END = dt.date(2019, 10, 1), dt.date(2025, 3, 31)
PHASES = (("Round 1", dt.date(2019, 10, 1), dt.date(2022, 3, 31)),
          ("Round 2", dt.date(2022, 4, 1), dt.date(2025, 3, 31)))
VOCABULARIES = {
    "theme": ("Antimicrobial stewardship", "Infection prevention and control", "Laboratory surveillance",
              "Water, sanitation and hygiene in hospitals", "Vaccination and prevention"),
    "grant_type": ("Seed grant", "Partnership grant", "Fellowship", "Regional network"),
    "region": ("Latin America", "Caribbean", "Middle East and North Africa", "Pacific", "Central Asia"),
    "cadre": ("Pharmacist", "Biomedical scientist", "Infection prevention nurse", "Physician", "Microbiologist",
              "Hospital manager"),
    "gender": ("Woman", "Man", "Prefer not to say"),
    "training_type": ("Workshop", "Online course", "Mentoring", "Train the trainer", "Peer-led"),
    "location": ("In country", "Remote"),
    "profession": ("Pharmacist", "Microbiologist", "Nurse", "Physician", "Data scientist"),
    "institution_type": ("NHS trust", "University", "Hospital", "Public health agency", "National laboratory", "NGO"),
    "principle": ("Shared goals", "Mutual accountability", "Local leadership", "Sustainability",
                  "Learning both ways"),
}
ROLES = {"gender": {"Woman": "women"}, "training_type": {"Train the trainer": "trainers", "Peer-led": "cascade"},
         "location": {"In country": "overseas", "Remote": "home"}}
COUNTRIES = (  # iso3, name, region, weight, towns
    ("PER", "Peru", "Latin America", 5, ("Lima", "Cusco")),
    ("BOL", "Bolivia", "Latin America", 3, ("La Paz", "Cochabamba")),
    ("COL", "Colombia", "Latin America", 4, ("Bogota", "Medellin")),
    ("JAM", "Jamaica", "Caribbean", 2, ("Kingston", "Montego Bay")),
    ("GUY", "Guyana", "Caribbean", 2, ("Georgetown", "Linden")),
    ("JOR", "Jordan", "Middle East and North Africa", 4, ("Amman", "Irbid")),
    ("EGY", "Egypt", "Middle East and North Africa", 5, ("Cairo", "Alexandria")),
    ("MAR", "Morocco", "Middle East and North Africa", 3, ("Rabat", "Marrakesh")),
    ("FJI", "Fiji", "Pacific", 2, ("Suva", "Lautoka")),
    ("PNG", "Papua New Guinea", "Pacific", 3, ("Port Moresby", "Lae")),
    ("KGZ", "Kyrgyzstan", "Central Asia", 2, ("Bishkek", "Osh")),
    ("TJK", "Tajikistan", "Central Asia", 2, ("Dushanbe", "Khujand")),
)
UK_PARTNERS = (("Leeds Teaching Hospitals NHS Trust", "NHS trust"), ("University of Bristol", "University"),
               ("Royal Free London NHS Foundation Trust", "NHS trust"), ("University of Liverpool", "University"),
               ("Guy's and St Thomas' NHS Foundation Trust", "NHS trust"), ("Stewardship Volunteers UK", "NGO"))
OVERSEAS_KINDS = (("{t} General Hospital", "Hospital"), ("National Public Health Laboratory, {n}", "National laboratory"),
                  ("University of {t}", "University"), ("{n} Institute of Public Health", "Public health agency"))


# The programme's targets (invented like the rest): a milestone at the end of Round 1 and an end target, a
# latest-value count, and a share measured from its baseline.
PROGRAMME_TARGETS = (
    {"metric": "trainees", "due_date": dt.date(2022, 3, 31), "target": 6_000, "note": ILLUSTRATIVE_TARGET},
    {"metric": "trainees", "due_date": dt.date(2025, 3, 31), "target": 14_000, "note": ILLUSTRATIVE_TARGET},
    {"metric": "facilities_with_stewardship", "due_date": dt.date(2025, 3, 31), "target": 300,
     "note": ILLUSTRATIVE_TARGET},
    {"metric": "prescribing_compliance", "due_date": dt.date(2025, 3, 31), "target": 0.65, "baseline": 0.45,
     "note": ILLUSTRATIVE_TARGET},
    {"metric": "volunteer_days", "due_date": dt.date(2025, 3, 31), "target": 9_000, "note": ILLUSTRATIVE_TARGET},
)


# Its own breakdowns of training, declared as data (the HPS declares none): the age band and the disability of
# trainees, as funders' annual reviews ask for them, each with a value for "not recorded".
DISAGGREGATIONS = (
    ("age_band", "Age band", "age", ("Under 25", "25-34", "35-49", "50 and over", "Not recorded"),
     (0.18, 0.38, 0.30, 0.10, 0.04)),
    ("disability", "Disability", "disability", ("Yes", "No", "Not recorded"), (0.05, 0.83, 0.12)),
)


def definition() -> programmes.Programme:
    """The invented programme's definition."""
    terms = {name: tuple(programmes.Term(value=v, role=ROLES.get(name, {}).get(v, "")) for v in values)
             for name, values in VOCABULARIES.items()}
    ind = programmes.Indicator
    indicators = (
        ind(code="facilities_with_stewardship", label="Facilities with a stewardship programme",
            unit="institutions", aggregation="latest",
            description="Health facilities running an antimicrobial stewardship programme.",
            how_counted="Each project and country's latest count, added up (a facility is not counted twice "
                        "over time)."),
        ind(code="prescriptions_audited", label="Prescriptions audited", headline=False,
            description="Antibiotic prescriptions audited against guidelines.",
            how_counted="Prescriptions audited each quarter, added up."),
        ind(code="prescriptions_compliant", label="Prescriptions following guidelines", headline=False,
            description="Audited prescriptions that followed the guidelines.",
            how_counted="Compliant prescriptions each quarter, added up."),
        ind(code="prescribing_compliance", label="Prescribing that follows guidelines", unit="share",
            aggregation="ratio", fmt="percent", numerator="prescriptions_compliant",
            denominator="prescriptions_audited",
            description="Share of audited antibiotic prescriptions that followed the guidelines.",
            how_counted="Compliant prescriptions divided by prescriptions audited."),
        ind(code="volunteers_new_skills", label="Volunteers reporting new skills", benefits="home",
            description="Volunteers who reported skills they brought home.",
            how_counted="Volunteers reporting new skills on return, added up."),
    )
    return programmes.Programme(
        id=PROGRAMME_ID, name="Global Stewardship Partnerships", short_name="GSP",
        funder="An invented funder (example data)", managed_by="An invented managing agent", currency="GBP",
        start=START, end=END,
        home=programmes.Home(countries=("GBR",), home="UK", overseas="Overseas", in_sentence="the UK"),
        phases=tuple(programmes.Phase(name=n, first_day=a, last_day=b) for n, a, b in PHASES),
        vocabularies={**terms, **{key: tuple(programmes.Term(value=v) for v in values)
                                  for key, _label, _iati, values, _shares in DISAGGREGATIONS}},
        disaggregations=tuple(programmes.Disaggregation(key=key, label=label, tables=("training",), iati_name=iati,
                                                        description=f"{label} of the trainees.")
                              for key, label, iati, _values, _shares in DISAGGREGATIONS),
        indicators=indicators, reference_figures=(), illustrative=True,
        translations=translations.translations(translations.GSP, translations.RULES["gsp"]),
        results=programmes.Results(between_milestones="last due"),
        reporting=programmes.Reporting(grain="quarter", deadline_days=45),
        validation_rules=(
            *STRUCTURAL_RULES,
            programmes.ValidationRule("compliant-within-audited", ("prescriptions_compliant",), "<=",
                                      ("prescriptions_audited",), "Compliant prescriptions are among those audited: "
                                      "they cannot be more.", "high"),
        ),
        outliers=programmes.Outliers(threshold=3.5, min_history=4, names=("trainees", "volunteer_days"),
                                     bounds=(("trainees", 0.0, 1000.0), ("volunteer_days", 0.0, 1000.0))),
        iati=programmes.Iati(reporting_org_ref="XI-EXAMPLE-GSP", funder_ref="XI-EXAMPLE-FUNDER",
                             sectors={VOCABULARIES["theme"][0]: "12250", VOCABULARIES["theme"][1]: "12250",
                                      VOCABULARIES["theme"][2]: "12250", VOCABULARIES["theme"][3]: "14030",
                                      VOCABULARIES["theme"][4]: "12250"}),
        description="An invented programme of antimicrobial-stewardship partnerships, generated to show that the "
                    "dashboard serves any programme defined as data. None of its figures are real.",
    )


def generate(out_dir: str | Path, scale: int = 1, seed: int = SEED) -> dict[str, int]:
    """Write the invented programme's extract and definition to `out_dir`; return rows per table."""
    rng = np.random.default_rng(seed)
    quarters = calendar.quarter_range(START, dt.date(2025, 1, 1))
    institutions, uk_pool, overseas = [], [], {}
    for name, kind in UK_PARTNERS:
        uk_pool.append(f"GSP-INS-{len(institutions) + 1:04d}")
        institutions.append((uk_pool[-1], name, "UK", kind, "GBR"))
    for iso3, country, _region, _weight, towns in COUNTRIES:
        for i, (template, kind) in enumerate(OVERSEAS_KINDS):
            overseas.setdefault(iso3, []).append(f"GSP-INS-{len(institutions) + 1:04d}")
            institutions.append((overseas[iso3][-1], template.format(t=towns[i % len(towns)], n=country),
                                 "Overseas", kind, iso3))
    weights = np.array([c[3] for c in COUNTRIES], dtype=float)
    projects, partners = [], []
    for i in range(36 * scale):
        country = COUNTRIES[i % len(COUNTRIES)] if i < len(COUNTRIES) else \
            COUNTRIES[int(rng.choice(len(COUNTRIES), p=weights / weights.sum()))]
        second = i % 3 == 2
        first_q = quarters.index(dt.date(2022, 4, 1)) if second else 0
        start_i = first_q + int(rng.integers(0, 4))
        end_i = min(len(quarters) - 1, start_i + int(rng.integers(6, 13)))
        theme = VOCABULARIES["theme"][int(rng.integers(0, len(VOCABULARIES["theme"])))]
        grant = VOCABULARIES["grant_type"][int(rng.integers(0, len(VOCABULARIES["grant_type"])))]
        pid = f"GSP-{i + 1:03d}"
        uk_lead = uk_pool[int(rng.integers(0, len(uk_pool)))]
        os_lead = overseas[country[0]][int(rng.integers(0, len(overseas[country[0]])))]
        title = f"{theme} partnership in {country[4][int(rng.integers(0, 2))]}, {country[1]}"
        budget = int(round(float(rng.gamma(3.0, 60_000)), -3)) + 20_000
        projects.append((pid, title, theme, grant, PHASES[int(second)][0], country[0], uk_lead, os_lead,
                         quarters[start_i], calendar.quarter_end(quarters[end_i]), budget))
        partners += [(pid, uk_lead, "UK lead"), (pid, os_lead, "Overseas lead")]
        other = overseas[country[0]][(overseas[country[0]].index(os_lead) + 1) % len(overseas[country[0]])]
        partners.append((pid, other, "Overseas partner"))
    training = {k: [] for k in ("project_id", "iso3", "period", "cadre", "gender", "training_type", "trainees",
                                *(d[0] for d in DISAGGREGATIONS))}
    breakdowns = np.random.default_rng(seed + 1)  # its own stream: the other tables are as they were without it
    volunteering = {k: [] for k in ("project_id", "iso3", "period", "location", "profession", "volunteers",
                                    "volunteer_days")}
    outcomes = {k: [] for k in ("project_id", "iso3", "period", "indicator", "value")}
    facilities: dict[str, int] = {}
    for pid, _title, _theme, _grant, _phase, iso3, *_rest in projects:
        start, end = _rest[2], _rest[3]
        active = [q for q in quarters if start <= q <= end]
        cadres = rng.choice(len(VOCABULARIES["cadre"]), size=3, replace=False)
        for q in active:
            for c in cadres:
                kind = VOCABULARIES["training_type"][int(rng.integers(0, len(VOCABULARIES["training_type"])))]
                total = int(rng.integers(2, 30))
                for gender, count in zip(VOCABULARIES["gender"], apportion(total, np.array([0.55, 0.42, 0.03]))):
                    for (age, disability), part in _disaggregated(breakdowns, int(count)):
                        _append(training, pid, iso3, q, cadre=VOCABULARIES["cadre"][int(c)], gender=gender,
                                training_type=kind, trainees=part, age_band=age, disability=disability)
            for location, stay in zip(VOCABULARIES["location"], (10, 3)):
                profession = VOCABULARIES["profession"][int(rng.integers(0, len(VOCABULARIES["profession"])))]
                volunteers = int(rng.integers(1, 4))
                _append(volunteering, pid, iso3, q, location=location, profession=profession, volunteers=volunteers,
                        volunteer_days=volunteers * int(rng.integers(stay // 2 + 1, stay + 4)))
            audited = int(rng.integers(40, 200))
            compliant = int(audited * min(0.95, 0.45 + 0.03 * active.index(q) + float(rng.uniform(0, 0.1))))
            facilities[pid] = min(12, facilities.get(pid, 0) + int(rng.integers(0, 2)))
            for code, value in (("prescriptions_audited", audited), ("prescriptions_compliant", compliant),
                                ("facilities_with_stewardship", facilities[pid]),
                                ("volunteers_new_skills", int(rng.integers(0, 3)))):
                if value:
                    _append(outcomes, pid, iso3, q, indicator=code, value=value)
    scores = {"project_id": [], "principle": [], "score": []}
    for p in projects:
        for principle in VOCABULARIES["principle"]:
            scores["project_id"].append(p[0])
            scores["principle"].append(principle)
            scores["score"].append(int(rng.integers(2, 6)))
    tables = {
        "countries": {"iso3": [c[0] for c in COUNTRIES], "name": [c[1] for c in COUNTRIES],
                      "region": [c[2] for c in COUNTRIES]},
        "institutions": dict(zip(("institution_id", "name", "side", "institution_type", "iso3"),
                                 map(list, zip(*institutions)))),
        "projects": dict(zip(("project_id", "title", "theme", "grant_type", "phase", "iso3", "uk_lead_id",
                              "overseas_lead_id", "start_date", "end_date", "budget"), map(list, zip(*projects)))),
        "project_partners": dict(zip(("project_id", "institution_id", "role"), map(list, zip(*partners)))),
        "training": training, "volunteering": volunteering, "outcomes": outcomes, "partnership_scores": scores,
    }
    tables["targets"] = illustrative_targets(tables, definition(), seed, PROGRAMME_TARGETS)
    out = Path(out_dir)
    counts = write_tables(out, tables, definition())
    manifest = {"label": "Invented example programme (not real data)", "illustrative": True,
                "generator": {"programme": PROGRAMME_ID, "seed": seed, "scale": scale}, "rows": counts}
    (out / "extract.json").write_text(json.dumps(manifest, indent=2) + "\n")
    definition().write(out)
    return counts


def _disaggregated(rng: np.random.Generator, count: int) -> list[tuple[tuple[str, str], int]]:
    """`count` trainees drawn one by one into age bands, then each band's into disability (as a register of
    individual trainees would add up); the parts that are not zero. The total stays `count`."""
    (_, _, _, ages, age_shares), (_, _, _, statuses, status_shares) = DISAGGREGATIONS
    out = []
    for age, in_band in zip(ages, rng.multinomial(count, age_shares)):
        for status, part in zip(statuses, rng.multinomial(int(in_band), status_shares)):
            if part:
                out.append(((age, status), int(part)))
    return out


def _append(columns: dict, project_id: str, iso3: str, period: dt.date, **values) -> None:
    columns["project_id"].append(project_id)
    columns["iso3"].append(iso3)
    columns["period"].append(period)
    for key, value in values.items():
        columns[key].append(value)
