"""What a project owes now: the return of the quarter that falls due this quarter, its due date and where it stands,
and the earlier quarters still without a return (a partner's My projects page).

A partner reports a quarter once it has ended: on a day in one quarter, the return due is that of the quarter
before (the *reporting quarter*), due `reporting.deadline_days` after it ends (the programme's definition; none:
when it ends). A return has arrived when the version in use has figures for it, or a return for it was imported,
approved or is waiting for approval (`notices.arrived`), as the reminders count it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from impact.model import calendar, i18n
from impact.model.i18n import N_
from impact.model.i18n import gettext as _
from impact.reporting import notices, partners
from impact.storage import store

DUE, LATE, WAITING, SENT_BACK, RECEIVED, NOT_STARTED, ENDED = (
    N_("due"), N_("late"), N_("waiting for approval"), N_("sent back"), N_("received"), N_("not started"), N_("ended"))
STATUSES = (DUE, LATE, WAITING, SENT_BACK, RECEIVED, NOT_STARTED, ENDED)


def reporting_quarter(as_of: dt.date) -> dt.date:
    """The first day of the quarter whose return falls due in the quarter holding `as_of` (the one before it)."""
    return calendar.quarter_start(calendar.quarter_start(as_of) - dt.timedelta(days=1))


@dataclass(frozen=True)
class ReturnDue:
    """One project's return due now: the quarter (its first day; None when the project has ended), the due date, its
    status, and the earlier quarters due without a return."""

    project: str
    quarter: dt.date | None
    due: dt.date | None
    status: str
    missing: tuple[dt.date, ...] = ()
    last_quarter: dt.date | None = None

    def sentence(self, as_of: dt.date) -> str:
        """Where the return stands, in one sentence for the partner (in the active language)."""
        words = i18n.active()
        label = calendar.quarter_label(self.quarter) if self.quarter else ""
        when = words.date(self.due, "long") if self.due else ""
        if self.status == DUE:
            days = (self.due - as_of).days
            text = (_("Due this quarter: the return for {quarter}, by {day} (today).") if days == 0 else
                    _("Due this quarter: the return for {quarter}, by {day} (in {days} days).")).format(
                quarter=label, day=when, days=words.number(days))
        elif self.status == LATE:
            text = _("Late: the return for {quarter} was due on {day} and has not arrived.").format(quarter=label,
                                                                                                     day=when)
        elif self.status == WAITING:
            text = _("The return for {quarter} (due {day}) was sent and waits for the programme team's approval."
                     ).format(quarter=label, day=when)
        elif self.status == SENT_BACK:
            text = _("The return for {quarter} (due {day}) came back from the programme team: correct it and send it "
                     "again.").format(quarter=label, day=when)
        elif self.status == RECEIVED:
            text = _("The return for {quarter} (due {day}) is in.").format(quarter=label, day=when)
        elif self.status == NOT_STARTED:
            text = _("Nothing due yet: the first return, for {quarter}, is due on {day}.").format(quarter=label,
                                                                                                  day=when)
        elif self.last_quarter:
            text = _("No return falls due this quarter: the project's last quarter was {quarter}.").format(
                quarter=calendar.quarter_label(self.last_quarter))
        else:
            text = _("No return falls due this quarter: the project's last quarter was before this quarter.")
        if self.missing:
            shown = ", ".join(calendar.quarter_label(q) for q in self.missing[:8])
            if len(self.missing) > 8:
                shown = _("{quarters} and {count} more").format(quarters=shown,
                                                                 count=words.number(len(self.missing) - 8))
            text += " " + _("Earlier quarters without a return: {count} ({quarters}).").format(
                count=words.number(len(self.missing)), quarters=shown)
        return text


def due_now(programme_store: store.Store, project_ids: list[str], as_of: dt.date) -> list[ReturnDue]:
    """For each of `project_ids`, the return due in the quarter holding `as_of` and where it stands."""
    active = programme_store.active()
    definition = store.load_definition(active.path)
    table = store.read_table(active.path, "projects").select(["project_id", "start_date", "end_date"]).to_pylist()
    dates = {r["project_id"]: (r["start_date"], r["end_date"]) for r in table}
    sent = [s for s in partners.submissions(programme_store) if s.project in set(project_ids)]
    waiting = [(s.project, s.period) for s in sent if s.state == partners.SUBMITTED]
    arrived = notices.arrived(programme_store, waiting)
    latest = {}
    for item in sorted(sent, key=lambda s: s.submitted_at):  # the newest return of each quarter that counts
        if item.state != partners.REPLACED:
            latest[(item.project, item.period)] = item.state
    quarter = reporting_quarter(as_of)
    out = []
    for project in project_ids:
        if project not in dates:
            continue
        quarters = calendar.quarter_range(*dates[project])
        due_on = {q: definition.reporting.due_on(calendar.quarter_end(q)) for q in quarters}
        missing = tuple(q for q in quarters if q < quarter and due_on[q] < as_of
                        and (project, q.isoformat()) not in arrived)
        last = quarters[-1] if quarters else None
        if quarter in due_on:
            state = latest.get((project, quarter.isoformat()))
            status = (WAITING if state == partners.SUBMITTED else SENT_BACK if state == partners.RETURNED
                      else RECEIVED if (project, quarter.isoformat()) in arrived
                      else DUE if as_of <= due_on[quarter] else LATE)
            out.append(ReturnDue(project, quarter, due_on[quarter], status, missing, last))
        elif quarters and quarter < quarters[0]:
            out.append(ReturnDue(project, quarters[0], due_on[quarters[0]], NOT_STARTED, missing, last))
        else:
            out.append(ReturnDue(project, None, None, ENDED, missing, last))
    return out
