"""The programme team's e-mail digest (`python -m impact digest`): the headline figures, the returns of the
quarter most recently due (received, missing, waiting for approval), the indicators behind their milestones,
and the flags awaiting review (the flagged numbers of the returns waiting for approval, with the partners'
explanations, and the values the team marked for follow-up).

Every figure comes from the same queries as the pages: the Overview's headline figures (`headline_totals`,
the programme's indicators), who has reported (`impact.query.reporting`, as of the digest's date) and results
against targets (`impact.query.results`: the programme's own targets and every project's, judged at the date).
An indicator is *behind* when its actual is below what its milestones expect by the date (% achieved under 100).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from email.message import EmailMessage

import pandas as pd

from impact.model import i18n, metrics
from impact.model.i18n import gettext as _
from impact.query import db, filters, indicators, reporting, results
from impact.reporting import checks, mail, returns
from impact.storage import store

BEHIND_LISTED = 20  # the projects' indicators behind listed by name (the most behind first); all are counted
FLAGS_LISTED = 20  # the flags awaiting review listed one by one (the rest counted)
FLAG_COLUMNS = ["project", "quarter", "names", "value", "message", "explained"]


@dataclass
class Digest:
    """What the digest says, as plain values (the message is built from it)."""

    programme_id: str
    programme_name: str
    as_of: dt.date
    version: str
    headlines: list[tuple[str, str]]  # (label, value as people write it)
    quarter: str = ""  # the quarter most recently due ("" when none is due yet)
    due_on: dt.date | None = None
    received: pd.DataFrame = field(default_factory=pd.DataFrame)  # project_id, title, country, status, arrived
    missing: pd.DataFrame = field(default_factory=pd.DataFrame)  # project_id, title, country, due
    waiting: int = 0  # returns submitted by partners, not yet approved
    behind_programme: list[str] = field(default_factory=list)  # one sentence each
    behind_projects: pd.DataFrame = field(default_factory=pd.DataFrame)  # project_id, title, indicator, percent, score
    behind_total: int = 0
    flags: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=FLAG_COLUMNS))  # awaiting review
    follow_ups: int = 0  # flagged values the team marked for follow-up (in any return)


def gather(programme_store: store.Store, as_of: dt.date, waiting: int = 0, flagged: list[dict] | None = None,
           follow_ups: int = 0) -> Digest:
    """The digest of the programme in `programme_store` as of `as_of` (`waiting`: returns waiting for approval;
    `flagged`: their flags, as `follow_up.flag_rows` gives them; `follow_ups`: the values marked for follow-up), its
    labels, figures and sentences in the active language (`i18n.using`)."""
    active = programme_store.active()
    database = db.open_database(active.path, active.version)
    try:
        programme = database.programme
        with metrics.using(programme):
            everything = filters.everything(programme)
            row = db.run_query(database, "headline_totals", everything).iloc[0]
            figures = indicators.totals(db.run_query(database, "indicator_totals", everything), programme)
            values = {**row.to_dict(), **figures}
            keys = [*metrics.HEADLINES, *programme.headline_indicators()]
            headlines = [(metrics.metric(k).label, metrics.format_metric(k, values.get(k))) for k in keys]
            found = Digest(programme.id, programme.name_in(), as_of, active.version, headlines, waiting=waiting,
                           follow_ups=follow_ups)
            found.flags = _flags(flagged or [], programme)
            _returns(found, reporting.status(database, as_of, returns.arrivals(programme_store)), as_of)
            _behind(found, database, as_of)
        return found
    finally:
        database.connection.close()


def _flags(flagged: list[dict], programme) -> pd.DataFrame:
    """The flags awaiting review, each message said in the active language; `explained`: whether the partner gave
    an explanation (the explanation itself stays in the team's queue)."""
    rows = [{"project": f.get("project", ""), "quarter": f.get("quarter", ""), "names": f.get("names", ""),
             "value": checks.said_numbers(f)[0], "message": checks.say(f, programme),
             "explained": bool(str(f.get("explanation", "")).strip())} for f in flagged]
    return pd.DataFrame(rows, columns=FLAG_COLUMNS)


def _returns(found: Digest, status: pd.DataFrame, as_of: dt.date) -> None:
    """The quarter most recently due by `as_of`: its returns received and missing."""
    due = status[pd.to_datetime(status["due"]) <= pd.Timestamp(as_of)]
    if due.empty:
        return
    latest = due["quarter"].max()
    quarter = due[due["quarter"] == latest].sort_values("project_id")
    found.quarter = quarter["period"].iloc[0]
    found.due_on = quarter["due"].iloc[0]
    got = quarter[quarter["status"].isin(reporting.RECEIVED)]
    found.received = got[["project_id", "title", "country", "status", "arrived"]].reset_index(drop=True)
    gone = quarter[quarter["status"] == reporting.MISSING]
    found.missing = gone[["project_id", "title", "country", "due"]].reset_index(drop=True)


def _behind(found: Digest, database: db.Database, as_of: dt.date) -> None:
    """The programme's and the projects' indicators below what their milestones expect by `as_of`."""
    programme = database.programme
    own = results.progress(results.programme_picture(database), as_of, programme.results, programme.start,
                           projects=False)
    own = own[pd.to_numeric(own["percent"], errors="coerce") < 100]
    found.behind_programme = [results.sentence(r, as_of) for r in own.to_dict("records")]
    rows = results.project_progress(database, filters.everything(programme), as_of)
    percent = pd.to_numeric(rows["percent"], errors="coerce")
    behind = rows[percent < 100].assign(percent=percent[percent < 100])
    behind = behind.sort_values(["percent", "project_id", "metric"], kind="stable")
    found.behind_total = len(behind)
    found.behind_projects = behind[["project_id", "title", "indicator", "percent", "score"]].reset_index(drop=True)


def message(found: Digest, sender: str, to: list[str], language: str = i18n.SOURCE) -> EmailMessage:
    """The digest as an e-mail to the programme team, in `language` (gather it in the same language: its figures
    and sentences are written as `gather` found them)."""
    with i18n.using(language) as words:
        return _message(found, sender, to, words)


def _flags_section(found: Digest, words: i18n.Translator) -> mail.Section:
    """The flags of the returns waiting for approval (the first listed) and the values marked for follow-up."""
    count = len(found.flags)
    returns_flagged = found.flags[["project", "quarter"]].drop_duplicates().shape[0] if count else 0
    lines = [(_("{count} flagged number(s) in {returns} return(s) waiting for approval: rules broken or values unusual "
                "for their project; read the partners' explanations on the Data page before approving.").format(
                  count=words.number(count), returns=words.number(returns_flagged))
              if count else _("No flagged number in the returns waiting for approval."))]
    if count > FLAGS_LISTED:
        lines.append(_("The first {count}:").format(count=words.number(FLAGS_LISTED)))
    lines.append(_("{count} flagged value(s) marked for follow-up.").format(count=words.number(found.follow_ups)))
    listed = found.flags.head(FLAGS_LISTED)
    return mail.Section(_("Flags awaiting review"), tuple(lines),
                        columns=(_("project"), _("quarter"), _("what it checks"), _("value"), _("message"),
                                 _("explained")) if count else (),
                        rows=tuple((str(r.project), str(r.quarter), str(r.names), str(r.value), str(r.message),
                                    _("yes") if r.explained else _("no")) for r in listed.itertuples(index=False)))


def _message(found: Digest, sender: str, to: list[str], words: i18n.Translator) -> EmailMessage:
    waiting = _("{count} return(s) from partners waiting for approval (Data page, Quarterly returns).").format(
        count=words.number(found.waiting))
    sections = [mail.Section(_("Headline figures"), columns=(_("figure"), _("value")), rows=tuple(found.headlines))]
    if found.quarter:
        heading = _("Returns for {quarter} (due on {day})").format(quarter=found.quarter, day=words.day(found.due_on))
        total = len(found.received) + len(found.missing)
        late = int((found.received["status"] == reporting.LATE).sum()) if total else 0
        lines = (_("{received} of {total} due received ({late} late), {missing} missing.").format(
                     received=words.number(len(found.received)), total=words.number(total), late=words.number(late),
                     missing=words.number(len(found.missing))),
                 waiting)
        sections.append(mail.Section(heading, lines))
        if len(found.missing):
            sections.append(mail.Section(_("Missing returns for {quarter}").format(quarter=found.quarter),
                                         columns=(_("project"), _("title"), _("country")),
                                         rows=tuple(tuple(str(v) for v in r) for r in
                                                    found.missing[["project_id", "title", "country"]].itertuples(index=False))))
    else:
        sections.append(mail.Section(_("Returns"), (
            _("No quarter's return is due yet as of {day}.").format(day=words.day(found.as_of)), waiting)))
    own = tuple(found.behind_programme) or (_("None of the programme's own targets is behind."),)
    sections.append(mail.Section(_("The programme's targets behind their milestones"), own))
    listed = found.behind_projects.head(BEHIND_LISTED)
    count = _("{count} project indicator(s) below what their milestones expect by {day}").format(
        count=words.number(found.behind_total), day=words.day(found.as_of))
    count += (_("; the {count} most behind:").format(count=words.number(len(listed)))
              if found.behind_total > len(listed) else ":" if found.behind_total else ".")
    sections.append(mail.Section(_("Projects behind their milestones"), (count,),
                                 columns=(_("project"), _("title"), _("indicator"), _("% achieved"), _("score"))
                                 if len(listed) else (),
                                 rows=tuple((str(r.project_id), str(r.title), str(r.indicator),
                                             words.percent(r.percent / 100), str(r.score))
                                            for r in listed.itertuples(index=False))))
    sections.append(_flags_section(found, words))
    return mail.compose(sender, to, _("{programme}: digest for {day}").format(programme=found.programme_name,
                                                                            day=words.day(found.as_of)),
                        _("Hello,"), sections,
                        closing=_("Figures from data version {version}, as the dashboard shows them.").format(
                            version=found.version),
                        language=words.language, kind="digest")
