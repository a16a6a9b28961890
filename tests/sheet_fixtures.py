"""Sheets as programmes keep them, built by code from the fixture extract (seeded): a wide master sheet with a
merged title row, a blank row and a Total row, countries in French, "Q3 2018" periods, a column per cadre and
gender ("Nurses (F)"), and themes spelt a little differently from the definition."""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq

from impact.model import calendar, country_names

WIDE = ("Nurses (F)", "Nurses (M)", "Midwives (F)")  # each: cadre and gender, as the definition spells them
WIDE_VALUES = {"Nurses (F)": ("Nurse", "Female"), "Nurses (M)": ("Nurse", "Male"), "Midwives (F)": ("Midwife", "Female")}
HEADER = ("Projet", "Pays", "Trimestre", "Thème", *WIDE, "Notes")
TITLE = "Health workers trained — master sheet (M&E)"


def misspell(theme: str, near: bool) -> str:
    """The theme as an M&E officer types it: '&' for 'and', title case; `near`: a letter lost too."""
    text = theme.replace(" and ", " & ").title()
    if near:
        last = text.rsplit(" ", 1)
        word = last[-1]
        text = (last[0] + " " if len(last) > 1 else "") + word[:2] + word[3:]
    return text


@dataclass
class MasterSheet:
    """A master sheet: its rows as written (project, country, quarter label, theme, numbers, note)."""

    quarter: dt.date
    projects: list[dict]  # project_id, iso3, theme
    rows: list[list]


def pick(folder: Path, n: int = 3, quarters: int = 2) -> tuple[dt.date, list[dict]]:
    """A quarter and `n` projects of the fixture extract active in it and the quarters after it."""
    projects = pq.read_table(folder / "projects.parquet").to_pylist()
    for year in range(2016, 2012, -1):
        quarter = dt.date(year, 7, 1)
        last = quarter
        for _ in range(quarters - 1):
            last = calendar.next_quarter(last)
        active = [p for p in projects if p["start_date"] <= quarter and calendar.quarter_end(last) <= p["end_date"]
                  and p["iso3"] in country_names.NAMES]
        if len(active) >= n:
            return quarter, sorted(active, key=lambda p: p["project_id"])[:n]
    raise AssertionError("the fixture extract has no quarter with enough active projects")


def master_sheet(folder: Path, quarter: dt.date | None = None, projects: list[dict] | None = None,
                 seed: int = 42, near: tuple[int, ...] = (1, 2)) -> MasterSheet:
    """The master sheet's rows for one quarter: one row per project, its numbers drawn from a seeded generator;
    the projects listed in `near` have their theme misspelt beyond case and '&'."""
    if quarter is None or projects is None:
        quarter, projects = pick(folder)
    rng = random.Random(seed)
    rows = []
    for n, p in enumerate(projects):
        year, number = calendar.quarter_label(quarter).split("Q")
        label = f"Q{number} {year}"
        numbers = [rng.randint(0, 40) for _ in WIDE]
        numbers[2] = "" if n == 0 else numbers[2]  # an empty cell: nothing reported, no row
        rows.append([p["project_id"], country_names.NAMES[p["iso3"]][0], label, misspell(p["theme"], n in near),
                     *numbers, "vérifié" if n % 2 else ""])
    return MasterSheet(quarter, projects, rows)


def write_xlsx(sheet: MasterSheet, path: Path, total: bool = True, title: bool = True,
               header: tuple[str, ...] = HEADER) -> Path:
    """The master sheet as an M&E officer's workbook: a merged title row, a blank row, the header, the rows, a
    blank row and a Total row (its saved sums)."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Master"
    if title:
        ws.append([TITLE])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
        ws.append([])
    ws.append(list(header))
    for row in sheet.rows:
        ws.append(row)
    if total:
        ws.append([])
        sums = [sum(int(r[4 + k] or 0) for r in sheet.rows) for k in range(len(WIDE))]
        ws.append(["Total", "", "", "", *sums, ""])
    book.save(path)
    return path


def write_csv(sheet: MasterSheet, path: Path, header: tuple[str, ...] = HEADER) -> Path:
    """The master sheet as CSV (no title, no total)."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(sheet.rows)
    return path


# ---- DHIS2 data value sets --------------------------------------------------------------------------------------

DHIS2_ELEMENT = "Health workers trained"
DHIS2_COMBOS = {"Nurse, Female": ("Nurse", "Female"), "Nurse, Male": ("Nurse", "Male"),
                "Midwife, Female": ("Midwife", "Female")}


def dhis2_values(quarter: dt.date, projects: list[dict], seed: int = 42) -> list[dict]:
    """A data value set's values as DHIS2 exports them with idScheme=NAME: a data element, a monthly period, the
    org unit (the project's title: a partner hospital reporting into DHIS2), a category option combo, the default
    attribute option combo and the value (text, as DHIS2 writes it)."""
    rng = random.Random(seed)
    out = []
    for month in range(quarter.month, quarter.month + 3):
        for project in projects:
            for combo in DHIS2_COMBOS:
                out.append({"dataElement": DHIS2_ELEMENT, "period": f"{quarter.year}{month:02d}",
                            "orgUnit": project["title"], "categoryOptionCombo": combo,
                            "attributeOptionCombo": "default", "value": str(rng.randint(0, 15)),
                            "storedBy": "admin", "lastUpdated": f"{quarter.year}-{month:02d}-28T10:00:00.000"})
    return out


def iso_weeks(quarter: dt.date) -> list[str]:
    """Every ISO week that touches the quarter, as DHIS2 writes it ('2016W26'): the first and last may begin or
    end in the quarters beside it."""
    first = quarter - dt.timedelta(days=quarter.weekday())  # the Monday of the week holding the quarter's first day
    weeks = []
    while first <= calendar.quarter_end(quarter):
        year, week, _ = first.isocalendar()
        weeks.append(f"{year}W{week}")
        first += dt.timedelta(days=7)
    return weeks


def dhis2_weekly_values(quarter: dt.date, projects: list[dict], seed: int = 42,
                        attribute: dict[str, str] | None = None, combos: tuple[str, ...] = tuple(DHIS2_COMBOS),
                        org_unit: str = "title") -> list[dict]:
    """A weekly data value set (a surveillance-style data set): a value per ISO week touching the quarter, project
    and category option combo; `attribute` gives each project's attribute option combo (default: DHIS2's
    "default"); `org_unit`: the project's field written as the org unit."""
    rng = random.Random(seed)
    out = []
    for week in iso_weeks(quarter):
        for project in projects:
            for combo in combos:
                out.append({"dataElement": DHIS2_ELEMENT, "period": week, "orgUnit": project[org_unit],
                            "categoryOptionCombo": combo,
                            "attributeOptionCombo": (attribute or {}).get(project["project_id"], "default"),
                            "value": str(rng.randint(0, 9)), "storedBy": "admin",
                            "lastUpdated": f"{quarter.year}-{quarter.month:02d}-28T10:00:00.000"})
    return out


def write_dhis2_json(values: list[dict], path: Path) -> Path:
    """The data value set as DHIS2's API writes it (JSON)."""
    import json

    path.write_text(json.dumps({"dataSet": "", "completeDate": "", "dataValues": values}, indent=1), encoding="utf-8")
    return path


def write_dhis2_csv(values: list[dict], path: Path) -> Path:
    """The data value set as DHIS2's Import/Export app writes it (CSV, its columns in DHIS2's order)."""
    header = ["dataElement", "period", "orgUnit", "categoryOptionCombo", "attributeOptionCombo", "value", "storedBy",
              "lastUpdated"]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerows(values)
    return path


# ---- KoboToolbox / ODK exports ----------------------------------------------------------------------------------

KOBO_HEADER = ["start", "end", "group_session/project", "group_session/country", "group_session/session_date",
               "group_trainees/nurses_f", "group_trainees/nurses_m", "group_trainees/midwives_f", "topics",
               "topics/ipc", "topics/hand_hygiene", "_id", "_uuid", "_submission_time", "_index"]
KOBO_WIDE = {"group_trainees/nurses_f": ("Nurse", "Female"), "group_trainees/nurses_m": ("Nurse", "Male"),
             "group_trainees/midwives_f": ("Midwife", "Female")}


def kobo_rows(quarter: dt.date, projects: list[dict], seed: int = 42) -> list[list]:
    """A KoboToolbox export of a training-session form: two sessions per project in the quarter (grouped
    questions, a select-multiple with its choice columns, the submission's _uuid)."""
    rng = random.Random(seed)
    rows = []
    for n, project in enumerate(projects):
        for session in range(2):
            day = quarter + dt.timedelta(days=10 + 30 * session)
            topics = rng.choice(["ipc", "hand_hygiene", "ipc hand_hygiene"])
            rows.append([f"{day}T09:00:00.000+03:00", f"{day}T09:20:00.000+03:00", project["project_id"],
                         country_names.NAMES[project["iso3"]][2], day.isoformat(),
                         *[rng.randint(0, 20) for _ in KOBO_WIDE], topics, int("ipc" in topics.split()),
                         int("hand_hygiene" in topics.split()), 1000 + len(rows),
                         f"{seed:04d}{n:04d}-{session:04d}-4000-8000-{len(rows):012d}", f"{day}T12:00:00",
                         len(rows) + 1])
    return rows


def write_kobo_csv(rows: list[list], path: Path) -> Path:
    """The export as KoboToolbox writes CSV (its default ';' separator)."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(KOBO_HEADER)
        writer.writerows(rows)
    return path


KOBO_TYPES = {"in_service": "In-service", "pre_service": "Pre-service", "training_of_trainers": "Training of trainers"}
KOBO_SELECT = "group_session/training_types"  # a select-multiple question: its joined column, then one per choice


def kobo_select_rows(quarter: dt.date, projects: list[dict], seed: int = 42, several: bool = True,
                     first: int = 0) -> tuple[list[str], list[list]]:
    """A KoboToolbox XLSX export of a training-session form with a select-multiple question — the training types of
    the session — exported both ways, joined (`in_service pre_service`) and split (a 0/1 column per choice), beside
    the counts of trainees; `several`: some sessions choose two types. `first`: the number of the first
    submission (a later export holds the earlier submissions and new ones). (header, rows)."""
    header = ["start", "end", "group_session/project", "group_session/country", "group_session/session_date",
              KOBO_SELECT, *[f"{KOBO_SELECT}/{c}" for c in KOBO_TYPES], *KOBO_WIDE, "_id", "_uuid",
              "_submission_time", "_index"]
    rng = random.Random(seed)
    rows = []
    for n, project in enumerate(projects):
        for session in range(3):
            day = quarter + dt.timedelta(days=5 + 25 * session + n)
            choices = rng.sample(list(KOBO_TYPES), 2 if several and (n + session) % 3 == 0 else 1)
            number = first + len(rows)
            rows.append([f"{day}T09:00:00.000+03:00", f"{day}T09:20:00.000+03:00", project["project_id"],
                         country_names.NAMES[project["iso3"]][1], day.isoformat(), " ".join(choices),
                         *[int(c in choices) for c in KOBO_TYPES], *[rng.randint(1, 20) for _ in KOBO_WIDE],
                         5000 + number, f"a1b2c3d4-{n:04d}-4{session:03d}-8000-{number:012d}", f"{day}T12:00:00",
                         number + 1])
    return header, rows


def write_kobo_xlsx(header: list[str], rows: list[list], path: Path, drop: tuple[str, ...] = ()) -> Path:
    """The export as KoboToolbox writes XLSX (one sheet named after the form; numbers as numbers); `drop` leaves
    columns out (an export of the split choice columns only, say)."""
    keep = [i for i, h in enumerate(header) if h not in drop]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Training sessions"
    sheet.append([header[i] for i in keep])
    for row in rows:
        sheet.append([row[i] for i in keep])
    book.save(path)
    return path
