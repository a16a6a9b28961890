"""Who has reported: every active project x quarter as reported, reported late, missing or not yet due, and
reporting rates.

Expected returns come from the projects' dates (each quarter from a project's start to its end, the query
`reporting_expected`). A quarter's return is due `deadline_days` after the quarter ends (the programme's
definition, `reporting`; no deadline: when the quarter ends). As of a date, a quarter is:
- *not yet due* before its due date, unless its return has arrived;
- *reported* when the project has rows for it in training, volunteering or outcomes in the version in use
  and its return arrived on or before the due date (or the rows came in a whole extract, whose arrival is
  not known);
- *reported late* when its return first arrived after the due date;
- *missing* when it is due and nothing arrived by the date.
A return arrives when it was submitted by a partner, or else imported (from the versions' manifests). The
reporting rate is the share of due returns received by the date, the measure health information systems
publish; the on-time rate counts only those received by their due date.
"""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd

from impact.model import calendar, cells
from impact.query import db, dimensions

REPORTED, LATE, MISSING, NOT_DUE = "reported", "reported late", "missing", "not yet due"
STATUSES = (REPORTED, LATE, MISSING, NOT_DUE)
RECEIVED = (REPORTED, LATE)


_ARRIVALS = ["project_id", "period", "arrived", "version", "file"]


def status(database: db.Database, as_of: dt.date, arrivals: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every project x quarter it reports for, with its due date, when its return arrived and its status as of
    `as_of` (`arrivals`: project_id, period, arrived, version, as `returns.arrivals` gives them)."""
    frame = db.run_query(database, "reporting_expected", {})
    frame["quarter"] = pd.to_datetime(frame["quarter"])
    arrivals = pd.DataFrame(columns=_ARRIVALS) if arrivals is None else arrivals
    came = arrivals.assign(quarter=pd.to_datetime(arrivals["period"]))[["project_id", "quarter", "arrived", "version"]]
    frame = frame.merge(came, on=["project_id", "quarter"], how="left")
    days = database.programme.reporting.deadline_days or 0
    ends = pd.to_datetime(frame["quarter"].dt.date.map(calendar.quarter_end))
    due = ends + pd.Timedelta(days=days)
    day = pd.Timestamp(as_of)
    arrived = pd.to_datetime(frame["arrived"], utc=True, errors="coerce").dt.tz_localize(None).dt.normalize()
    known = arrived.notna()
    has_rows = frame["rows_reported"] > 0
    received = has_rows & (ends < day) & (~known | (arrived <= day))
    late = received & known & (arrived > due)
    frame["due"] = due.dt.date
    frame["status"] = NOT_DUE
    frame.loc[(due < day) & ~received, "status"] = MISSING
    frame.loc[received, "status"] = REPORTED
    frame.loc[late, "status"] = LATE
    frame["period"] = frame["quarter"].dt.date.map(calendar.quarter_label)
    return frame


def rates(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """Returns due, received and the reporting rate per `by` ("period" or "country"). A country is counted by its
    code (`iso3`) and shown by its name (two codes that share a name told apart by their code), in name order."""
    due = frame[frame["status"] != NOT_DUE]
    key = "iso3" if by == "country" else by
    flags = pd.DataFrame({key: due[key], "due": 1, "received": due["status"].isin(RECEIVED).astype(int),
                          "on time": (due["status"] == REPORTED).astype(int)})
    out = flags.groupby(key, sort=True)[["due", "received", "on time"]].sum()
    out["rate"] = out["received"] / out["due"]
    out["on-time rate"] = out["on time"] / out["due"]
    out = out.reset_index()
    if by == "country":
        names = country_labels(frame)
        out.insert(0, "country", out.pop("iso3").map(names))
        out = out.sort_values("country", kind="stable").reset_index(drop=True)
    return out


def country_labels(frame: pd.DataFrame) -> dict[str, str]:
    """{iso3: what a person reads} for the countries of a `status` frame (their names, told apart when shared)."""
    return dimensions.distinct_labels(dict(zip(frame["iso3"], frame["country"])))


def summary(frame: pd.DataFrame) -> dict[str, float]:
    """Returns due, received, missing and the overall reporting rate."""
    due = frame[frame["status"] != NOT_DUE]
    received = int(due["status"].isin(RECEIVED).sum())
    late = int((due["status"] == LATE).sum())
    return {"due": len(due), "received": received, "late": late, "missing": len(due) - received,
            "rate": received / len(due) if len(due) else float("nan"),
            "on_time_rate": (received - late) / len(due) if len(due) else float("nan")}


def most_missing(frame: pd.DataFrame, limit: int) -> pd.DataFrame:
    """The rows of the `limit` projects with the most missing returns (then the most late ones, then by id): every
    project when there are no more than `limit`."""
    if frame["project_id"].nunique() <= limit:
        return frame
    counts = (frame.assign(missing=frame["status"] == MISSING, late=frame["status"] == LATE)
              .groupby("project_id")[["missing", "late"]].sum().reset_index()
              .sort_values(["missing", "late", "project_id"], ascending=[False, False, True]))
    return frame[frame["project_id"].isin(counts["project_id"].head(limit))]


def missing(frame: pd.DataFrame) -> pd.DataFrame:
    """The missing returns, to chase: project, title, country, quarter."""
    gone = frame[frame["status"] == MISSING]
    return gone[["project_id", "title", "country", "period", "due"]].reset_index(drop=True)


def workbook(frame: pd.DataFrame, sheet: str = "Missing returns") -> bytes:
    """A table as an .xlsx (text cells neutralised, so nothing runs as a formula)."""
    from openpyxl import Workbook

    book = Workbook()
    page = book.active
    page.title = sheet
    page.append([str(c) for c in frame.columns])
    for row in frame.itertuples(index=False):
        page.append([cells.neutralise(v) if isinstance(v, str) else v for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
