"""Deterministic, seeded generator of the illustrative HPS extract.

At scale 1 it writes the shipped extract, calibrated so that the published
figures of the Health Partnership Scheme come out exactly (see `CALIBRATION`);
at scale N it writes an extract of the same shape with N times the projects and
results, for the benchmark. Integer totals are split over rows by largest
remainder apportionment, so the sums are exact whatever the random weights.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from impact.demo import generate_translations as translations
from impact.model import calendar, schema
from impact.model import programme as programmes

SEED = 2011
ILLUSTRATIVE_TARGET = "Illustrative target (generated, not a real logframe)"

# ---- the HPS's definition: only this module knows it ----------------------------------------------
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
_SOURCE_2019 = "THET, Celebrating Impact - The Health Partnership Scheme (April 2019)"
_SOURCE_2017 = "THET, Health Partnerships Symposium report (Dar es Salaam, 2017)"
_ROLES = {"gender": {"Female": "women"},
          "training_type": {"Training of trainers": "trainers", "Cascade": "cascade"},
          "location": {"Overseas": "overseas", "UK": "home"}}
_DESCRIPTIONS = {
    "training_type": {"In-service": "Health workers in post, trained directly.",
                      "Pre-service": "Students trained before they start work.",
                      "Training of trainers": "Health workers trained to train others.",
                      "Cascade": "Health workers trained by the trainers a partnership trained."},
    "location": {"Overseas": "Days spent working in the partner country.",
                 "UK": "Days given remotely from the UK: teaching, mentoring, preparation."},
}


# Each theme's DAC 5-digit purpose code, for IATI.
HPS_SECTORS = dict(zip(THEMES, ("13020", "12340", "12191", "12191", "12220", "12250", "12350", "12110", "12181",
                                "12191", "12191")))


# The validation rules over the structural metrics that both illustrative programmes declare.
STRUCTURAL_RULES = (
    programmes.ValidationRule("women-within-trained", ("women_trained",), "<=", ("trainees",),
                              "Women trained cannot be more than all health workers trained.", "high"),
    programmes.ValidationRule("days-per-placement", ("volunteer_days",), ">=", ("volunteers",),
                              "Each volunteer placement gives at least one day: volunteer days cannot be fewer than "
                              "placements.", "high"),
)


def hps_definition() -> programmes.Programme:
    """The Health Partnership Scheme's definition, written with the illustrative HPS extract."""
    vocab = {"theme": THEMES, "grant_type": GRANT_TYPES, "region": REGIONS, "cadre": CADRES, "gender": GENDERS,
             "training_type": TRAINING_TYPES, "location": LOCATIONS, "profession": PROFESSIONS,
             "institution_type": INSTITUTION_TYPES, "principle": PRINCIPLES}
    terms = {name: tuple(programmes.Term(value=v, description=_DESCRIPTIONS.get(name, {}).get(v, ""),
                                         role=_ROLES.get(name, {}).get(v, "")) for v in values)
             for name, values in vocab.items()}
    ind = programmes.Indicator
    indicators = (
        ind(code="uk_volunteers_improved_skills", label="UK volunteers with better skills", benefits="home",
            description="Returned UK volunteers evidencing improved clinical and leadership skills.",
            how_counted="Returned volunteers evidencing better clinical and leadership skills."),
        ind(code="uk_volunteers_surveyed", label="UK volunteers surveyed", headline=False, benefits="home",
            description="Returned UK volunteers who answered the survey on what they brought back.",
            how_counted="Returned volunteers surveyed, added up."),
        ind(code="uk_volunteers_new_approaches", label="Volunteers who brought back new approaches",
            headline=False, benefits="home",
            description="Surveyed returned volunteers who brought new approaches back to the NHS.",
            how_counted="Surveyed volunteers reporting new approaches, added up."),
        ind(code="new_approaches_share", label="Volunteers bringing back new ideas", unit="share",
            aggregation="ratio", fmt="percent", numerator="uk_volunteers_new_approaches",
            denominator="uk_volunteers_surveyed", benefits="home",
            description="Share of surveyed returned volunteers who brought new approaches back to the NHS.",
            how_counted="Share of surveyed returned volunteers who brought new approaches home."),
        ind(code="institutions_improved_quality", label="Institutions with better services", unit="institutions",
            description="LMIC institutions showing higher quality of the services a project targeted.",
            how_counted="Facilities with measurably better targeted services, partners or not."),
        ind(code="patients_improved_services", label="Patients using improved services",
            description="Patients who used services a partnership improved.",
            how_counted="Patients using services a partnership improved."),
    )
    end = dt.date(2019, 3, 31)
    ref = programmes.ReferenceFigure
    figures = (
        ref(metric="trainees", value=93_112, as_of=end, source=_SOURCE_2019),
        ref(metric="women_trained", value=46_600, qualifier="over", source="THET, the scheme's pages",
            note="of the 93,112 trained"),
        ref(metric="countries_trained", value=30, as_of=end, source=_SOURCE_2019),
        ref(metric="projects", value=210, as_of=end, source=_SOURCE_2019),
        ref(metric="volunteer_days_overseas", value=90_000, qualifier="over", as_of=end, source=_SOURCE_2019),
        ref(metric="volunteer_days_uk", value=12_000, qualifier="a further", as_of=end, source=_SOURCE_2019),
        ref(metric="uk_volunteers_improved_skills", value=5_653, as_of=end, source=_SOURCE_2019),
        ref(metric="new_approaches_share", value=0.74, as_of=end, source=_SOURCE_2019),
        ref(metric="institutions_improved_quality", value=765, as_of=end, source=_SOURCE_2019),
        ref(metric="patients_improved_services", value=499_568, source="THET, the scheme's pages"),
        ref(metric="countries_active", value=32, as_of=dt.date(2017, 2, 28), source=_SOURCE_2017),
    )
    return programmes.Programme(
        id="hps", name="Health Partnership Scheme", short_name="HPS",
        funder="UK Department for International Development (DFID)",
        managed_by="Tropical Health and Education Trust (THET)", currency="GBP",
        start=dt.date.fromisoformat(PROGRAMME_START), end=dt.date.fromisoformat(PROGRAMME_END),
        phases=(programmes.Phase(name=PHASES[0], first_day=dt.date(2011, 7, 1), last_day=dt.date(2016, 12, 31)),
                programmes.Phase(name=PHASES[1], first_day=dt.date(2017, 1, 1), last_day=end)),
        vocabularies=terms, indicators=indicators, reference_figures=figures, illustrative=True,
        reporting=programmes.Reporting(grain="quarter", deadline_days=30),  # illustrative: a month after the quarter
        validation_rules=(
            *STRUCTURAL_RULES,
            programmes.ValidationRule("new-approaches-within-surveyed", ("uk_volunteers_new_approaches",), "<=",
                                      ("uk_volunteers_surveyed",), "UK volunteers bringing back new approaches are "
                                      "among those surveyed: they cannot be more.", "high"),
        ),
        outliers=programmes.Outliers(threshold=3.5, min_history=4, names=("trainees", "volunteer_days"),
                                     bounds=(("trainees", 0.0, 5000.0), ("volunteer_days", 0.0, 5000.0))),
        iati=programmes.Iati(reporting_org_ref="GB-CHC-1113101", funder_ref="GB-GOV-1", sectors=HPS_SECTORS),
        home=programmes.Home(countries=("GBR",), home="UK", overseas="Overseas", in_sentence="the UK"),
        translations=translations.translations(translations.HPS, translations.RULES["hps"]),
        description="£30m from DFID, 2011-2019, managed by THET: partnerships between UK and overseas health "
                    "institutions that trained health workers and strengthened services.",
    )

# The programme's own targets: the published one (13,000 trained by the end of 2015), and illustrative end
# targets for its other main results, labelled so.
HPS_PROGRAMME_TARGETS = (
    {"metric": "trainees", "due_date": dt.date(2015, 12, 31), "target": 13_000,
     "note": "Published target: THET, the scheme's pages (38,701 trained by 2015 against a target of 13,000)"},
    {"metric": "volunteer_days", "due_date": dt.date(2019, 3, 31), "target": 100_000, "note": ILLUSTRATIVE_TARGET},
    {"metric": "patients_improved_services", "due_date": dt.date(2019, 3, 31), "target": 450_000,
     "note": ILLUSTRATIVE_TARGET},
    {"metric": "institutions_improved_quality", "due_date": dt.date(2017, 3, 31), "target": 400,
     "note": ILLUSTRATIVE_TARGET},
    {"metric": "institutions_improved_quality", "due_date": dt.date(2019, 3, 31), "target": 800,
     "note": ILLUSTRATIVE_TARGET},
)

# Published figures the scale-1 extract reproduces (PRODUCT.md; seeds 002, 003, 004).
# "early 2017" is taken as results reported up to the end of December 2016.
CALIBRATION = {
    "trainees_total": 93_112,  # end of scheme, March 2019
    "trainees_by_2015": 38_701,  # cumulative to December 2015 (target was 13,000)
    "trainees_by_2016": 50_412,  # "over 50,000" in early 2017
    "women_trained": 46_688,  # "over 46,600"
    "volunteer_days_overseas": 90_417,  # "over 90,000"
    "volunteer_days_uk": 12_000,  # "a further 12,000"
    "volunteer_days_by_2016": 60_530,  # "over 60,000" UK health-worker days, early 2017
    "uk_volunteers_improved_skills": 5_653,
    "uk_volunteers_surveyed": 2_950,
    "uk_volunteers_new_approaches": 2_183,  # 74.0% of those surveyed
    "institutions_improved_quality": 765,
    "patients_improved_services": 499_568,
    "budget_gbp": 30_000_000,
    "projects": 210,
    "projects_phase_2": 58,
}

# 32 countries with partnership activity; the last two have no training results,
# so 30 countries trained health workers (the 2019 count) and 32 had partnerships (2017).
COUNTRIES = (
    # iso3, name, region, weight, towns
    ("UGA", "Uganda", "East Africa", 9, ("Kampala", "Gulu", "Mbarara")),
    ("TZA", "Tanzania", "East Africa", 8, ("Dar es Salaam", "Moshi", "Mwanza")),
    ("ZMB", "Zambia", "Southern Africa", 8, ("Lusaka", "Ndola", "Livingstone")),
    ("ETH", "Ethiopia", "East Africa", 7, ("Addis Ababa", "Gondar", "Jimma")),
    ("MWI", "Malawi", "Southern Africa", 6, ("Lilongwe", "Blantyre", "Zomba")),
    ("MMR", "Myanmar", "South-East Asia", 6, ("Yangon", "Mandalay")),
    ("SOM", "Somalia", "East Africa", 5, ("Hargeisa", "Borama", "Burao")),
    ("SLE", "Sierra Leone", "West Africa", 5, ("Freetown", "Bo", "Kenema")),
    ("KEN", "Kenya", "East Africa", 5, ("Nairobi", "Eldoret", "Kisumu")),
    ("GHA", "Ghana", "West Africa", 4, ("Accra", "Kumasi", "Tamale")),
    ("NGA", "Nigeria", "West Africa", 4, ("Lagos", "Ibadan", "Kano")),
    ("RWA", "Rwanda", "East Africa", 3, ("Kigali", "Butare")),
    ("ZWE", "Zimbabwe", "Southern Africa", 3, ("Harare", "Bulawayo")),
    ("NPL", "Nepal", "South Asia", 3, ("Kathmandu", "Pokhara")),
    ("MOZ", "Mozambique", "Southern Africa", 2, ("Maputo", "Beira")),
    ("SSD", "South Sudan", "East Africa", 2, ("Juba", "Wau")),
    ("SDN", "Sudan", "East Africa", 2, ("Khartoum", "Omdurman")),
    ("LBR", "Liberia", "West Africa", 2, ("Monrovia", "Gbarnga")),
    ("GMB", "Gambia", "West Africa", 1, ("Banjul", "Farafenni")),
    ("CMR", "Cameroon", "Central Africa", 2, ("Yaounde", "Bamenda")),
    ("COD", "DR Congo", "Central Africa", 1, ("Kinshasa", "Bukavu")),
    ("BDI", "Burundi", "East Africa", 1, ("Bujumbura", "Gitega")),
    ("BWA", "Botswana", "Southern Africa", 1, ("Gaborone", "Francistown")),
    ("LSO", "Lesotho", "Southern Africa", 1, ("Maseru", "Leribe")),
    ("SWZ", "Eswatini", "Southern Africa", 1, ("Mbabane", "Manzini")),
    ("MDG", "Madagascar", "Southern Africa", 1, ("Antananarivo", "Toamasina")),
    ("BGD", "Bangladesh", "South Asia", 2, ("Dhaka", "Sylhet")),
    ("PAK", "Pakistan", "South Asia", 1, ("Lahore", "Karachi")),
    ("LKA", "Sri Lanka", "South Asia", 1, ("Colombo", "Kandy")),
    ("KHM", "Cambodia", "South-East Asia", 1, ("Phnom Penh", "Battambang")),
    ("ZAF", "South Africa", "Southern Africa", 1, ("Cape Town", "Durban")),
    ("IND", "India", "South Asia", 1, ("Vellore", "Pune")),
)
NO_TRAINING = {"ZAF", "IND"}

UK_CITIES = (
    "Leeds", "Sheffield", "Bristol", "Manchester", "Liverpool", "Newcastle", "Birmingham",
    "Nottingham", "Cambridge", "Oxford", "Brighton", "Cardiff", "Glasgow", "Edinburgh",
    "Southampton", "Leicester", "Norfolk", "Exeter", "Plymouth", "Dundee", "Aberdeen",
    "Belfast", "Hull", "Derby", "York", "Swansea", "Coventry", "Bradford", "Lancaster", "Kent",
)
UK_TEMPLATES = (
    ("{c} Teaching Hospitals NHS Trust", "NHS trust"),
    ("University of {c}", "University"),
    ("{c} Community Health NHS Trust", "NHS trust"),
    ("{c} Children's Hospital NHS Foundation Trust", "NHS trust"),
    ("{c} School of Nursing and Midwifery", "University"),
)
UK_NATIONAL = (
    ("Royal College of Obstetricians and Gynaecologists", "Royal college"),
    ("Royal College of Psychiatrists", "Royal college"),
    ("Royal College of Anaesthetists", "Royal college"),
    ("Royal College of Midwives", "Royal college"),
    ("Royal College of Paediatrics and Child Health", "Royal college"),
    ("Royal College of Surgeons of Edinburgh", "Royal college"),
    ("Association of Anaesthetists", "Professional association"),
    ("British Society for Haematology", "Professional association"),
    ("College of Paramedics", "Professional association"),
    ("Tropical Health Volunteers UK", "NGO"),
)
OVERSEAS_TEMPLATES = (
    ("{t} Regional Referral Hospital", "Hospital"),
    ("{t} Teaching Hospital", "Hospital"),
    ("{t} School of Nursing and Midwifery", "Training college"),
    ("{t} College of Health Sciences", "University"),
    ("{t} District Health Centre", "Health centre"),
    ("Ministry of Health, {n}", "Ministry of health"),
    ("{t} Mental Health Hospital", "Hospital"),
    ("{n} Midwives Association", "NGO"),
)
TITLE_TEMPLATES = (
    "Strengthening {th} in {t}, {n}",
    "{th}: building skills and systems in {n}",
    "Improving {th} services at {t}",
    "Training the trainers in {th}, {n}",
    "Quality improvement in {th} across {n}",
    "Sustainable {th} education in {t}",
)

THEME_WEIGHTS = (14, 9, 11, 8, 10, 8, 6, 7, 10, 5, 4)
CADRE_WEIGHTS = (30, 14, 12, 9, 14, 8, 6, 7)
TRAINING_TYPE_WEIGHTS = (50, 12, 10, 28)
PROFESSION_WEIGHTS = (34, 30, 10, 14, 7, 5)
GRANT_PHASE_1 = (("Small grant", 55), ("Large grant", 25), ("Long-term partnership", 8),
                 ("Strategic volunteering", 5), ("Country programme", 7))
GRANT_PHASE_2 = (("Small grant", 20), ("Large grant", 45), ("Long-term partnership", 20),
                 ("Strategic volunteering", 5), ("Country programme", 10))
GRANT_SIZE = {"Small grant": 1.0, "Large grant": 5.0, "Long-term partnership": 6.0,
              "Strategic volunteering": 3.0, "Country programme": 12.0}
# Share of trainees who are women, by cadre (nurses and midwives mostly women).
FEMALE_SHARE = (0.8, 0.97, 0.35, 0.4, 0.55, 0.5, 0.45, 0.4)


QUARTERS = calendar.quarter_range(dt.date(2011, 7, 1), dt.date(2019, 1, 1))
Q_INDEX = {d: i for i, d in enumerate(QUARTERS)}
Q_2016_END = Q_INDEX[dt.date(2016, 10, 1)]
Q_2015_END = Q_INDEX[dt.date(2015, 10, 1)]


def apportion(total: int, weights: np.ndarray) -> np.ndarray:
    """Split an integer `total` over `weights` exactly (largest remainder method)."""
    weights = np.asarray(weights, dtype=float)
    if total == 0 or len(weights) == 0:
        return np.zeros(len(weights), dtype=np.int64)
    if weights.sum() <= 0:
        raise ValueError("cannot apportion a positive total over zero weights")
    exact = weights / weights.sum() * total
    out = np.floor(exact).astype(np.int64)
    short = int(total - out.sum())
    if short:
        order = np.argsort(-(exact - out), kind="stable")
        out[order[:short]] += 1
    return out


def _pick(rng: np.random.Generator, options, weights=None):
    weights = np.asarray(weights if weights is not None else np.ones(len(options)), dtype=float)
    return options[int(rng.choice(len(options), p=weights / weights.sum()))]


def _make_institutions(rng, scale, first_copy=0, first_number=0):
    uk, overseas = [], {}
    n = first_number

    def add(name, kind, side, iso3):
        nonlocal n
        n += 1
        rows.append((f"INS-{n:05d}", name, side, kind, iso3))
        return f"INS-{n:05d}"

    rows: list[tuple] = []
    for copy in range(first_copy, first_copy + scale):
        suffix = "" if copy == 0 else f" ({copy + 1})"
        for name, kind in UK_NATIONAL:
            uk.append(add(name + suffix, kind, "UK", "GBR"))
        for city in UK_CITIES:
            for template, kind in UK_TEMPLATES[: 3 + int(rng.integers(0, 3))]:
                uk.append(add(template.format(c=city) + suffix, kind, "UK", "GBR"))
        for iso3, name, _region, weight, towns in COUNTRIES:
            pool = overseas.setdefault(iso3, [])
            k = 2 + weight
            for i in range(k):
                town = towns[i % len(towns)]
                template, kind = OVERSEAS_TEMPLATES[i % len(OVERSEAS_TEMPLATES)]
                pool.append(add(template.format(t=town, n=name) + suffix, kind, "Overseas", iso3))
    return rows, uk, overseas


def _make_projects(rng, scale, uk_pool, overseas_pool, first_project=0, wide_ids=None):
    n_projects = CALIBRATION["projects"] * scale
    n_phase2 = CALIBRATION["projects_phase_2"] * scale
    weights = np.array([c[3] for c in COUNTRIES], dtype=float)
    projects, partners = [], []
    for i in range(n_projects):
        phase2 = i >= n_projects - n_phase2
        # every country has at least one project in each copy of phase 1
        idx = i % len(COUNTRIES) if i % CALIBRATION["projects"] < len(COUNTRIES) else None
        if idx is None:
            idx = int(rng.choice(len(COUNTRIES), p=weights / weights.sum()))
        iso3, cname, _region, _w, towns = COUNTRIES[idx]
        theme = _pick(rng, THEMES, THEME_WEIGHTS)
        grants = GRANT_PHASE_2 if phase2 else GRANT_PHASE_1
        grant = _pick(rng, [g for g, _ in grants], [w for _, w in grants])
        if phase2:
            start = QUARTERS[Q_INDEX[dt.date(2017, 1, 1)] + int(rng.integers(0, 3))]
            end_q = len(QUARTERS) - 1
        else:
            start_i = int(rng.integers(0, Q_2015_END + 1))
            length = int(rng.integers(4, 17)) if grant != "Small grant" else int(rng.integers(3, 9))
            end_q = min(start_i + length, Q_INDEX[dt.date(2017, 4, 1)])
            start = QUARTERS[start_i]
        end = calendar.quarter_end(QUARTERS[end_q])
        town = towns[int(rng.integers(0, len(towns)))]
        title = TITLE_TEMPLATES[int(rng.integers(0, len(TITLE_TEMPLATES)))].format(
            th=theme.lower(), t=town, n=cname
        )
        title = title[0].upper() + title[1:]
        uk_lead = uk_pool[int(rng.integers(0, len(uk_pool)))]
        pool = overseas_pool[iso3]
        os_lead = pool[int(rng.integers(0, len(pool)))]
        wide = scale > 1 if wide_ids is None else wide_ids
        pid = f"HPS-{first_project + i + 1:06d}" if wide else f"HPS-{i + 1:03d}"
        projects.append([pid, title, theme, grant, PHASES[int(phase2)], iso3, uk_lead, os_lead,
                         start, end, GRANT_SIZE[grant] * rng.gamma(4.0, 0.25)])
        partners.append((pid, uk_lead, "UK lead"))
        partners.append((pid, os_lead, "Overseas lead"))
        taken = {uk_lead, os_lead}
        for _ in range(int(rng.integers(0, 3))):
            other = pool[int(rng.integers(0, len(pool)))]
            if other not in taken:
                taken.add(other)
                partners.append((pid, other, "Overseas partner"))
        if rng.random() < 0.3:
            other = uk_pool[int(rng.integers(0, len(uk_pool)))]
            if other not in taken:
                partners.append((pid, other, "UK partner"))
    budgets = apportion(CALIBRATION["budget_gbp"] * scale, np.array([p[10] for p in projects]))
    for p, b in zip(projects, budgets):
        p[10] = int(b)
    return projects, partners


def _project_quarters(projects):
    """Arrays (project index, quarter index) for every active quarter of every project."""
    pidx, qidx = [], []
    for i, p in enumerate(projects):
        q0, q1 = Q_INDEX[p[8]], Q_INDEX[calendar.quarter_start(p[9])]
        pidx.extend([i] * (q1 - q0 + 1))
        qidx.extend(range(q0, q1 + 1))
    return np.array(pidx), np.array(qidx)


def _segment(qidx):
    """0 = to December 2015, 1 = 2016, 2 = 2017 to March 2019."""
    return np.where(qidx <= Q_2015_END, 0, np.where(qidx <= Q_2016_END, 1, 2))


def _split_three(total_by_2015, total_by_2016, total):
    return [total_by_2015, total_by_2016 - total_by_2015, total - total_by_2016]


def _training(rng, scale, projects, pidx_q, qidx_q):
    cal = CALIBRATION
    trains = np.array([p[5] not in NO_TRAINING for p in projects])
    size = np.array([p[10] for p in projects], dtype=float) + 1.0
    keep = trains[pidx_q]
    pidx_q, qidx_q = pidx_q[keep], qidx_q[keep]
    # each project trains a profile of ~8 (cadre, type) combinations, each split by gender
    n_combo = len(CADRES) * len(TRAINING_TYPES)
    combo_w = np.outer(CADRE_WEIGHTS, TRAINING_TYPE_WEIGHTS).ravel().astype(float)
    profiles = np.array([rng.choice(n_combo, size=8, replace=False, p=combo_w / combo_w.sum())
                         for _ in projects])
    per = 8
    rows_p = np.repeat(pidx_q, per)
    rows_q = np.repeat(qidx_q, per)
    combo = profiles[rows_p, np.tile(np.arange(per), len(pidx_q))]
    cadre, ttype = combo // len(TRAINING_TYPES), combo % len(TRAINING_TYPES)
    base = size[rows_p] * combo_w[combo] * rng.gamma(1.2, 1.0, len(rows_p))
    # gender rows: female, male and a small "not recorded" share
    fshare = np.array(FEMALE_SHARE)[cadre]
    n = len(rows_p)
    g = np.repeat(np.arange(3)[None, :], n, axis=0).ravel()
    rp, rq = np.repeat(rows_p, 3), np.repeat(rows_q, 3)
    rc, rt = np.repeat(cadre, 3), np.repeat(ttype, 3)
    wf = np.stack([fshare, 1 - fshare - 0.03, np.full(n, 0.03)], axis=1).ravel()
    w = np.repeat(base, 3) * np.clip(wf, 0.001, None)
    seg = _segment(rq)
    totals = _split_three(cal["trainees_by_2015"], cal["trainees_by_2016"], cal["trainees_total"])
    totals = [t * scale for t in totals]
    women = apportion(cal["women_trained"] * scale, np.array(totals, dtype=float))
    female = g == 0
    trainees = np.zeros(len(g), dtype=np.int64)
    for s in range(3):
        m_f, m_o = (seg == s) & female, (seg == s) & ~female
        trainees[m_f] = apportion(int(women[s]), w[m_f])
        trainees[m_o] = apportion(int(totals[s] - women[s]), w[m_o])
    keep = trainees > 0
    return {
        "project_id": [projects[i][0] for i in rp[keep]],
        "iso3": [projects[i][5] for i in rp[keep]],
        "period": [QUARTERS[i] for i in rq[keep]],
        "cadre": np.array(CADRES, dtype=object)[rc[keep]],
        "gender": np.array(GENDERS, dtype=object)[g[keep]],
        "training_type": np.array(TRAINING_TYPES, dtype=object)[rt[keep]],
        "trainees": trainees[keep],
    }


def _volunteering(rng, scale, projects, pidx_q, qidx_q):
    cal = CALIBRATION
    size = np.array([p[10] for p in projects], dtype=float) + 1.0
    n_prof = len(PROFESSIONS)
    rp, rq = np.repeat(pidx_q, n_prof * 2), np.repeat(qidx_q, n_prof * 2)
    loc = np.tile(np.repeat([0, 1], n_prof), len(pidx_q))
    prof = np.tile(np.tile(np.arange(n_prof), 2), len(pidx_q))
    grant_boost = np.array([3.0 if p[3] == "Strategic volunteering" else 1.0 for p in projects])
    w = (size[rp] ** 0.6) * grant_boost[rp] * np.array(PROFESSION_WEIGHTS, dtype=float)[prof]
    w *= rng.gamma(0.6, 1.0, len(rp))
    seg = (rq > Q_2016_END).astype(int)  # 0 = to December 2016, 1 = 2017 onward
    total_over, total_uk = cal["volunteer_days_overseas"] * scale, cal["volunteer_days_uk"] * scale
    early = cal["volunteer_days_by_2016"] * scale
    early_over = round(early * total_over / (total_over + total_uk))
    totals = {0: (early_over, early - early_over), 1: (total_over - early_over, total_uk - (early - early_over))}
    days = np.zeros(len(rp), dtype=np.int64)
    for s in (0, 1):
        for place in (0, 1):
            mask = (seg == s) & (loc == place)
            days[mask] = apportion(int(totals[s][place]), w[mask])
    stay = np.where(loc == 0, rng.uniform(8, 21, len(rp)), rng.uniform(2, 5, len(rp)))
    volunteers = np.maximum(1, np.round(days / stay)).astype(np.int64)
    keep = days > 0
    return {
        "project_id": [projects[i][0] for i in rp[keep]],
        "iso3": [projects[i][5] for i in rp[keep]],
        "period": [QUARTERS[i] for i in rq[keep]],
        "location": np.array(LOCATIONS, dtype=object)[loc[keep]],
        "profession": np.array(PROFESSIONS, dtype=object)[prof[keep]],
        "volunteers": volunteers[keep],
        "volunteer_days": days[keep],
    }


def _outcomes(rng, scale, projects, pidx_q, qidx_q):
    size = np.array([p[10] for p in projects], dtype=float) + 1.0
    # outcomes are reported in the second half of each project, one row per indicator
    cols = {"project_id": [], "iso3": [], "period": [], "indicator": [], "value": []}
    last = np.zeros(len(projects), dtype=int)
    np.maximum.at(last, pidx_q, qidx_q)
    first = np.full(len(projects), 10_000)
    np.minimum.at(first, pidx_q, qidx_q)
    late = qidx_q >= (first[pidx_q] + last[pidx_q]) / 2
    rp, rq = pidx_q[late], qidx_q[late]
    for indicator in OUTCOME_INDICATORS:
        if indicator == "uk_volunteers_new_approaches":
            continue  # derived from the surveyed rows below
        w = size[rp] * rng.gamma(0.8, 1.0, len(rp))
        values = apportion(CALIBRATION[indicator] * scale, w)
        if indicator == "uk_volunteers_surveyed":
            surveyed = values
            approaches = np.minimum(surveyed, apportion(CALIBRATION["uk_volunteers_new_approaches"] * scale,
                                                        surveyed.astype(float) + 1e-9))
            _append_outcome(cols, projects, rp, rq, "uk_volunteers_new_approaches", approaches)
        _append_outcome(cols, projects, rp, rq, indicator, values)
    return cols


def _append_outcome(cols, projects, rp, rq, indicator, values):
    keep = values > 0
    cols["project_id"] += [projects[i][0] for i in rp[keep]]
    cols["iso3"] += [projects[i][5] for i in rp[keep]]
    cols["period"] += [QUARTERS[i] for i in rq[keep]]
    cols["indicator"] += [indicator] * int(keep.sum())
    cols["value"] += values[keep].tolist()


def _scores(rng, projects):
    rows = {"project_id": [], "principle": [], "score": []}
    for p in projects:
        if rng.random() < 0.15:
            continue  # not every partnership completed the self-assessment
        level = rng.normal(3.7, 0.5)
        for principle in PRINCIPLES:
            rows["project_id"].append(p[0])
            rows["principle"].append(principle)
            rows["score"].append(int(np.clip(round(level + rng.normal(0, 0.7)), 1, 5)))
    return rows


def _arrow_table(name: str, columns: dict, definition: programmes.Programme | None = None) -> pa.Table:
    types = {"VARCHAR": pa.string(), "DATE": pa.date32(), "BIGINT": pa.int64(), "DOUBLE": pa.float64()}
    spec = schema.table(name, definition)
    arrays = [pa.array(columns[c.name], type=types[c.type]) for c in spec.columns]
    return pa.Table.from_arrays(arrays, names=spec.column_names)


# How far projects are from their targets (actual / target at the end) and how many are so: most on track,
# some ahead, some behind and a few far behind.
TARGET_PERFORMANCE = ((0.50, 0.95, 1.10), (0.20, 1.10, 1.60), (0.20, 0.75, 0.95), (0.10, 0.30, 0.70))


def _nice(value: float) -> float:
    """A target as a logframe writes it: two significant figures, at least 1."""
    if value < 10:
        return float(max(1, round(value)))
    digits = int(np.floor(np.log10(value))) - 1
    return float(round(value, -digits))


def _year_ends(first: dt.date, last: dt.date) -> list[dt.date]:
    """The 31 Marches (financial-year ends, when annual reviews fall) after `first` and before `last`."""
    return [dt.date(y, 3, 31) for y in range(first.year, last.year + 1) if first < dt.date(y, 3, 31) < last]


def illustrative_targets(tables: dict[str, dict], definition: programmes.Programme, seed: int,
                         programme_targets: tuple[dict, ...] = ()) -> dict[str, list]:
    """Targets for every project and its main metrics (trainees, volunteer days and each headline indicator
    added up), set from the project's own results so that some are ahead, some behind and a few far
    behind; a milestone at each financial-year end on a straight path to the end target at the project's
    end. `programme_targets` (scope programme) come first, as given."""
    import pandas as pd

    rng = np.random.default_rng([seed, 11])  # its own stream: the calibrated tables do not move
    projects = pd.DataFrame(tables["projects"])[["project_id", "start_date", "end_date"]]
    parts = [pd.DataFrame({"project_id": tables["training"]["project_id"], "metric": "trainees",
                           "value": tables["training"]["trainees"]}),
             pd.DataFrame({"project_id": tables["volunteering"]["project_id"], "metric": "volunteer_days",
                           "value": tables["volunteering"]["volunteer_days"]})]
    counted = {i.code for i in definition.indicators if i.headline and i.aggregation == "sum"}
    outcomes = pd.DataFrame(tables["outcomes"])
    parts.append(outcomes[outcomes["indicator"].isin(counted)].rename(columns={"indicator": "metric"})
                 [["project_id", "metric", "value"]])
    actual = pd.concat(parts).groupby(["project_id", "metric"], sort=False)["value"].sum()
    shares, lows, highs = (np.array(column) for column in zip(*TARGET_PERFORMANCE))
    out = {name: [] for name in schema.table("targets").column_names}

    def add(scope, project_id, metric, due, target, note, baseline=None):
        for name, value in zip(out, (scope, project_id, metric, due, float(target), baseline, note)):
            out[name].append(value)

    for row in programme_targets:
        add("programme", None, row["metric"], row["due_date"], row["target"], row["note"], row.get("baseline"))
    for project in projects.itertuples(index=False):
        band = int(rng.choice(len(shares), p=shares))
        performance = float(rng.uniform(lows[band], highs[band]))
        end = min(project.end_date, definition.end)
        for metric in ("trainees", "volunteer_days", *sorted(counted)):
            total = float(actual.get((project.project_id, metric), 0))
            if total <= 0:
                continue
            target = _nice(total / (performance * float(rng.uniform(0.95, 1.05))))
            span = (end - project.start_date).days
            for due in _year_ends(project.start_date, end):
                milestone = _nice(target * (due - project.start_date).days / span)
                if milestone < target:
                    add("project", project.project_id, metric, due, milestone, ILLUSTRATIVE_TARGET)
            add("project", project.project_id, metric, end, target, ILLUSTRATIVE_TARGET)
    return out



def write_tables(out: Path, tables: dict[str, dict], definition: programmes.Programme | None = None) -> dict[str, int]:
    """Write each table's columns as `<table>.parquet` in `out` (with the definition's disaggregations); return
    rows per table."""
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, columns in tables.items():
        table = _arrow_table(name, {k: list(v) if isinstance(v, tuple) else v for k, v in columns.items()},
                             definition)
        pq.write_table(table, out / f"{name}.parquet", compression="zstd", row_group_size=1_000_000)
        counts[name] = table.num_rows
    _write_empty(out, tables, definition)
    return counts


def _write_empty(out: Path, written, definition: programmes.Programme | None = None) -> None:
    """Every table of the schema the generator has no rows for (what an IATI file keeps), written empty."""
    for name in schema.TABLE_NAMES:
        if name not in written:
            pq.write_table(schema.empty(name, definition), out / f"{name}.parquet", compression="zstd")


# A larger scale is written in blocks of this many copies, one after another, so that the generator holds one
# block in memory (about 10M training rows, 3.5 GB), not the whole extract. Block 0 is what a scale up to this
# one writes; every further block has a seed of its own and its own share of the calibrated totals (sums exact).
BLOCK_SCALE = 520


def _block(seed: int, scale: int, first_copy: int = 0, first_institution: int = 0, first_project: int = 0,
           wide_ids: bool | None = None, programme_targets: tuple[dict, ...] = HPS_PROGRAMME_TARGETS
           ) -> dict[str, dict]:
    """The tables of `scale` copies of the HPS, numbered on from the given copy, institution and project."""
    rng = np.random.default_rng(seed)
    institutions, uk_pool, overseas_pool = _make_institutions(rng, scale, first_copy, first_institution)
    projects, partners = _make_projects(rng, scale, uk_pool, overseas_pool, first_project, wide_ids)
    pidx_q, qidx_q = _project_quarters(projects)
    tables = {
        "countries": dict(zip(("iso3", "name", "region"), zip(*[c[:3] for c in COUNTRIES]))),
        "institutions": dict(zip(schema.table("institutions").column_names, zip(*institutions))),
        "projects": dict(zip(schema.table("projects").column_names, zip(*projects))),
        "project_partners": dict(zip(("project_id", "institution_id", "role"), zip(*partners))),
        "training": _training(rng, scale, projects, pidx_q, qidx_q),
        "volunteering": _volunteering(rng, scale, projects, pidx_q, qidx_q),
        "outcomes": _outcomes(rng, scale, projects, pidx_q, qidx_q),
        "partnership_scores": _scores(rng, projects),
    }
    tables["targets"] = illustrative_targets(tables, hps_definition(), seed, programme_targets)
    return tables


def _write_blocks(out: Path, seed: int, scale: int) -> dict[str, int]:
    """Write the extract block by block (BLOCK_SCALE copies each), appending row groups to each table's file."""
    out.mkdir(parents=True, exist_ok=True)
    writers: dict[str, pq.ParquetWriter] = {}
    counts: dict[str, int] = {}
    institutions = 0
    try:
        for first in range(0, scale, BLOCK_SCALE):
            block = _block(seed if first == 0 else seed + 7919 * (first // BLOCK_SCALE), min(BLOCK_SCALE, scale - first),
                           first, institutions, CALIBRATION["projects"] * first, True,
                           HPS_PROGRAMME_TARGETS if first == 0 else ())
            institutions += len(block["institutions"]["institution_id"])
            if first:
                del block["countries"]  # one row per country, written once
            for name, columns in block.items():
                table = _arrow_table(name, {k: list(v) if isinstance(v, tuple) else v for k, v in columns.items()})
                if name not in writers:
                    writers[name] = pq.ParquetWriter(out / f"{name}.parquet", table.schema, compression="zstd")
                writers[name].write_table(table, row_group_size=1_000_000)
                counts[name] = counts.get(name, 0) + table.num_rows
            del block, table
    finally:
        for writer in writers.values():
            writer.close()
    _write_empty(out, writers)
    return counts


def generate(out_dir: str | Path, scale: int = 1, seed: int | None = None) -> dict[str, int]:
    """Write the illustrative HPS extract with its definition to `out_dir`; return the row count of each table
    (the other illustrative programmes: `impact.demo.generators`)."""
    if scale < 1:
        raise ValueError("scale must be a whole number of at least 1")
    seed = SEED if seed is None else seed
    out = Path(out_dir)
    if scale <= BLOCK_SCALE:
        counts = write_tables(out, _block(seed, scale))
    else:
        counts = _write_blocks(out, seed, scale)
    definition = hps_definition()
    manifest = {
        "label": "Illustrative HPS extract (calibrated to published totals)",
        "illustrative": True,
        "generator": {"seed": seed, "scale": scale},
        "rows": counts,
    }
    (out / "extract.json").write_text(json.dumps(manifest, indent=2) + "\n")
    definition.write(out)
    return counts
