"""Who has reported: every active project x quarter as reported, missing or not yet due, and reporting rates.

Expected returns come from the projects' dates (each quarter from a project's start to its end, the query
`reporting_expected`); a quarter is reported when the project has any row for it in training, volunteering
or outcomes in the version in use; a return is due once its quarter has ended (the programme's definition
sets no later deadline), and a quarter not yet ended is "not yet due" whatever it holds. The reporting rate is the share of due returns that were received, the measure
health information systems publish.
"""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd

from impact.data import cells
from impact.query import db

REPORTED, MISSING, NOT_DUE = "reported", "missing", "not yet due"
STATUSES = (REPORTED, MISSING, NOT_DUE)


def quarter_name(day) -> str:
    """A quarter's first day as 2018Q3."""
    day = pd.Timestamp(day)
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def status(database: db.Database, as_of: dt.date) -> pd.DataFrame:
    """Every project x quarter it reports for, with its status as of `as_of`."""
    frame = db.run_query(database, "reporting_expected", {})
    frame["quarter"] = pd.to_datetime(frame["quarter"])
    ends = frame["quarter"] + pd.offsets.QuarterEnd(0)
    due = ends.dt.date < as_of
    frame["status"] = NOT_DUE
    frame.loc[due & (frame["rows_reported"] == 0), "status"] = MISSING
    frame.loc[due & (frame["rows_reported"] > 0), "status"] = REPORTED
    frame["period"] = frame["quarter"].map(quarter_name)
    return frame


def with_arrivals(frame: pd.DataFrame, arrivals: pd.DataFrame) -> pd.DataFrame:
    """The status table with when each return arrived (blank for figures that came in a whole extract)."""
    arrived = arrivals.assign(quarter=pd.to_datetime(arrivals["period"]))[["project_id", "quarter", "arrived", "version"]]
    return frame.merge(arrived, on=["project_id", "quarter"], how="left")


def rates(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """Returns due, received and the reporting rate per `by` ("period" or "country")."""
    due = frame[frame["status"] != NOT_DUE]
    grouped = due.groupby(by, sort=True)["status"]
    out = pd.DataFrame({"due": grouped.size(), "received": grouped.apply(lambda s: int((s == REPORTED).sum()))})
    out["rate"] = out["received"] / out["due"]
    return out.reset_index()


def summary(frame: pd.DataFrame) -> dict[str, float]:
    """Returns due, received, missing and the overall reporting rate."""
    due = frame[frame["status"] != NOT_DUE]
    received = int((due["status"] == REPORTED).sum())
    return {"due": len(due), "received": received, "missing": len(due) - received,
            "rate": received / len(due) if len(due) else float("nan")}


def missing(frame: pd.DataFrame) -> pd.DataFrame:
    """The missing returns, to chase: project, title, country, quarter."""
    gone = frame[frame["status"] == MISSING]
    return gone[["project_id", "title", "country", "period"]].reset_index(drop=True)


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
