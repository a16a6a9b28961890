"""What to tell whom by e-mail about returns: reminders to partners (a return due in N days, a return late), a
return sent back (to its project's partners, with the team's note), a return arrived (to the programme team).

A return is due `reporting.deadline_days` after its quarter ends (the programme's definition). Run once a day
(`python -m impact remind --send`), the reminders go out on fixed days, so a daily run never repeats one:
- *due soon*: on the day that is `reporting.remind_days_before` days before the due date (no such key: none);
- *late*: on the day after the due date, then every `LATE_EVERY_DAYS` days while it is missing, for at most
  `LATE_FOR_DAYS` days.
A return counts as arrived when its project has figures for the quarter in the version in use, when a
return for it was imported or approved (`returns.arrivals`), or when one is waiting for the team's approval.

Each partner account gets one message about its own projects only; an e-mail never carries another account's
projects. Messages are English for now: every builder takes `language` (default "en") for the translations.
"""

from __future__ import annotations

import datetime as dt
import logging
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage

from impact.model import calendar
from impact.model import programme as programmes
from impact.reporting import mail, returns
from impact.storage import store

DUE, LATE = "due", "late"
LATE_EVERY_DAYS = 7
LATE_FOR_DAYS = 90
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Due:
    """One return a partner is reminded of: project, its title, the quarter, its due date and whether it is late."""

    project: str
    title: str
    quarter: str
    due: dt.date
    kind: str  # DUE or LATE


@dataclass(frozen=True)
class Reminder:
    """What one partner account is reminded of (only its own projects' returns)."""

    email: str
    name: str
    items: tuple[Due, ...]


def quarters_to_remind(as_of: dt.date, reporting: programmes.Reporting) -> list[tuple[dt.date, dt.date, str]]:
    """The quarters whose returns a run on `as_of` reminds of: (quarter's first day, due date, DUE or LATE)."""
    deadline = dt.timedelta(days=reporting.deadline_days or 0)
    days = [(reporting.remind_days_before, DUE)] if reporting.remind_days_before else []
    days += [(-late, LATE) for late in range(1, LATE_FOR_DAYS + 1, LATE_EVERY_DAYS)]
    out = []
    for ahead, kind in days:
        due = as_of + dt.timedelta(days=ahead)
        end = due - deadline
        if end == calendar.quarter_end(end):
            out.append((calendar.quarter_start(end), due, kind))
    return out


def arrived(programme_store: store.Store, waiting: Iterable[tuple[str, str]] = ()) -> set[tuple[str, str]]:
    """(project, quarter's first day ISO) of every return that has arrived: figures in the version in use,
    imported or approved returns, and `waiting` (returns submitted and not yet approved)."""
    folder = programme_store.active().path
    found = {(p, q) for p, q in waiting}
    for name in returns.TABLES:
        table = store.read_table(folder, name).select(["project_id", "period"])
        found |= {(p, d.isoformat()) for p, d in zip(table["project_id"].to_pylist(), table["period"].to_pylist())}
    found |= {(str(p), str(q)) for p, q in
              returns.arrivals(programme_store)[["project_id", "period"]].itertuples(index=False)}
    return found


def reminders(programme_store: store.Store, accounts, as_of: dt.date,
              waiting: Iterable[tuple[str, str]] = ()) -> list[Reminder]:
    """Who is reminded of what on `as_of`: each account with the due and late returns of its own projects
    (`accounts`: partner accounts with `email`, `name`, `projects`; `waiting`: (project, quarter ISO) submitted)."""
    definition = programme_store.definition()
    titles = _titles(programme_store)
    received = arrived(programme_store, waiting)
    due: list[Due] = []
    for quarter, day, kind in quarters_to_remind(as_of, definition.reporting):
        for project in returns.due_projects(quarter, programme_store):
            if (project, quarter.isoformat()) not in received:
                due.append(Due(project, titles.get(project, ""), calendar.quarter_label(quarter), day, kind))
    out = []
    for account in sorted(accounts, key=lambda a: a.email):
        mine = tuple(d for d in due if d.project in account.projects)
        if mine:
            out.append(Reminder(account.email, account.name, mine))
    return out


def _titles(programme_store: store.Store) -> dict[str, str]:
    table = store.read_table(programme_store.active().path, "projects").select(["project_id", "title"])
    return dict(zip(table["project_id"].to_pylist(), table["title"].to_pylist(), strict=True))


def project_link(settings: mail.Settings | None, programme_id: str, project: str) -> str:
    """The project's page in the app (empty when `app_url` is not set)."""
    if settings is None or not settings.app_url:
        return ""
    return f"{settings.app_url}/partnerships?" + urllib.parse.urlencode({"programme": programme_id, "project": project})


def reminder_message(reminder: Reminder, definition: programmes.Programme, sender: str,
                     settings: mail.Settings | None = None, language: str = "en", as_of: dt.date | None = None
                     ) -> EmailMessage:
    """The e-mail reminding one partner of its due and late returns."""
    as_of = as_of or dt.date.today()
    soon = [d for d in reminder.items if d.kind == DUE]
    late = [d for d in reminder.items if d.kind == LATE]
    if soon and late:
        subject = f"{definition.name}: quarterly returns due and late"
    elif soon:
        subject = f"{definition.name}: quarterly return due on {soon[0].due:%d %B %Y}"
    else:
        subject = f"{definition.name}: quarterly return late"

    def line(d: Due) -> str:
        days = (d.due - as_of).days
        when = f"in {days} days" if days > 0 else f"{-days} days ago" if days < 0 else "today"
        link = project_link(settings, definition.id, d.project)
        return (f"{d.project} ({d.title}), {d.quarter}: due on {d.due:%d %B %Y}, {when}."
                + (f" Its page: {link}" if link else ""))

    sections = []
    if soon:
        sections.append(mail.Section("Due soon", tuple(line(d) for d in soon)))
    if late:
        sections.append(mail.Section("Late: not received yet", tuple(line(d) for d in late)))
    how = ("On each project's page (Partnerships, then the project), sign in, open Quarterly return, download the "
           "workbook for the quarter, fill it in and send it back there.")
    return mail.compose(sender, [reminder.email], subject, f"Dear {reminder.name or reminder.email},", sections,
                        closing=f"{how} Thank you. The {definition.name} team.", language=language, kind="reminder")


def sent_back_message(item, note: str, recipients: list[str], definition: programmes.Programme, sender: str,
                      settings: mail.Settings | None = None, language: str = "en") -> EmailMessage:
    """The e-mail telling a project's partners that its return was sent back, with the team's note as text."""
    link = project_link(settings, definition.id, item.project)
    sections = [mail.Section("The team's note", (note,)),
                mail.Section("What to do", (
                    "Correct the workbook and send it again on the project's page (Quarterly return): the new one "
                    "replaces this one." + (f" Its page: {link}" if link else ""),
                    f"The file you sent: {item.file} (SHA-256 {item.sha256[:16]}…)."))]
    return mail.compose(sender, recipients, f"{definition.name}: your return for {item.project}, {item.quarter}, "
                        "was sent back", "Hello,", sections, closing=f"The {definition.name} team.",
                        language=language, kind="sent-back")


def arrived_message(item, recipients: Iterable[str], definition: programmes.Programme, sender: str,
                    replaced: Iterable[str] = (), language: str = "en") -> EmailMessage:
    """The e-mail telling the programme team that a return arrived and waits for approval."""
    first = item.events[0] if item.events else {}
    lines = [f"{item.project}, {item.quarter}: sent by {first.get('who', '')} on {first.get('when', '')}, "
             f"file {item.file} (SHA-256 {item.sha256[:16]}…).",
             "It changes no figure until it is approved: the Data page, Quarterly returns, Returns from partners."]
    replaced = list(replaced)
    if replaced:
        lines.append(f"It replaces the return that was waiting for the same quarter ({', '.join(replaced)}).")
    return mail.compose(sender, recipients, f"{definition.name}: return received from {item.project} for "
                        f"{item.quarter}", "Hello,", [mail.Section("A return arrived", tuple(lines))],
                        language=language, kind="arrived")


# ---- notices sent as a return moves on (partners.submit, partners.send_back) --------------------------

def _quietly_send(make, what: str) -> None:
    """Send the messages `make(settings, definition)` returns, if e-mail is configured; a notice that cannot be
    sent is logged, never raised: the step it tells of is done and must stay done."""
    try:
        settings = mail.load_settings()
        if settings is None:
            return
        messages = make(settings)
        outcome = mail.send(messages, settings) if messages else mail.Sent()
        for to, why in outcome.failed:
            log.warning("the %s notice to %s was refused: %s", what, to, why)
    except Exception as error:  # noqa: BLE001 — whatever mail does wrong, the return's step stands
        log.warning("the %s notice was not sent: %s", what, error)


def after_submit(programme_store: store.Store, item, replaced: Iterable[str] = ()) -> None:
    """Tell the programme team that a partner's return arrived (nothing when e-mail or the team is not set)."""
    def make(settings: mail.Settings) -> list[EmailMessage]:
        definition = programme_store.definition()
        team = settings.team_of(definition.id)
        return [arrived_message(item, team, definition, settings.sender, replaced)] if team else []

    _quietly_send(make, "return arrived")


def after_send_back(programme_store: store.Store, item, accounts) -> None:
    """Tell the partners of a return's project that the team sent it back, with the note."""
    def make(settings: mail.Settings) -> list[EmailMessage]:
        definition = programme_store.definition()
        recipients = sorted(a.email for a in accounts if item.project in a.projects)  # one message each
        return [sent_back_message(item, item.note, [to], definition, settings.sender, settings) for to in recipients]

    _quietly_send(make, "sent back")
