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
projects. Each message is written in its recipient's language: a partner's account's own (`Account.language`), the
team's as the `[smtp] languages` setting gives each address (English by default); its dates and numbers too.
"""

from __future__ import annotations

import datetime as dt
import logging
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage

from impact.model import calendar, i18n
from impact.model import programme as programmes
from impact.model.i18n import gettext as _
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
    language: str = i18n.SOURCE  # the account's: what the message is written in


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
            out.append(Reminder(account.email, account.name, mine, getattr(account, "language", i18n.SOURCE)))
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
                     settings: mail.Settings | None = None, language: str | None = None, as_of: dt.date | None = None
                     ) -> EmailMessage:
    """The e-mail reminding one partner of its due and late returns, in `language` (default: the account's)."""
    with i18n.using(language or reminder.language) as words:
        return _reminder(reminder, definition, sender, settings, words, as_of or dt.date.today())


def _reminder(reminder: Reminder, definition: programmes.Programme, sender: str, settings: mail.Settings | None,
              words: i18n.Translator, as_of: dt.date) -> EmailMessage:
    name = definition.name_in(words.language)
    soon = [d for d in reminder.items if d.kind == DUE]
    late = [d for d in reminder.items if d.kind == LATE]
    if soon and late:
        subject = _("{programme}: quarterly returns due and late").format(programme=name)
    elif soon:
        subject = _("{programme}: quarterly return due on {day}").format(programme=name, day=words.day(soon[0].due))
    else:
        subject = _("{programme}: quarterly return late").format(programme=name)

    def line(d: Due) -> str:
        days = (d.due - as_of).days
        count = words.number(abs(days))
        # one day or several (the shipped languages' plural rules agree from 1 up; no catalogue needs plural forms)
        when = (_("tomorrow") if days == 1 else _("in {count} days").format(count=count) if days > 1 else
                _("yesterday") if days == -1 else _("{count} days ago").format(count=count) if days < 0 else
                _("today"))
        link = project_link(settings, definition.id, d.project)
        return (_("{project} ({title}), {quarter}: due on {day}, {when}.").format(
            project=d.project, title=d.title, quarter=d.quarter, day=words.day(d.due), when=when)
                + (" " + _("Its page: {link}").format(link=link) if link else ""))

    sections = []
    if soon:
        sections.append(mail.Section(_("Due soon"), tuple(line(d) for d in soon)))
    if late:
        sections.append(mail.Section(_("Late: not received yet"), tuple(line(d) for d in late)))
    how = _("On each project's page (Partnerships, then the project), sign in, open Quarterly return, download the "
            "workbook for the quarter, fill it in and send it back there.")
    return mail.compose(sender, [reminder.email], subject,
                        _("Dear {name},").format(name=reminder.name or reminder.email), sections,
                        closing=_("{how} Thank you. The {programme} team.").format(how=how, programme=name),
                        language=words.language, kind="reminder")


def sent_back_message(item, note: str, recipients: list[str], definition: programmes.Programme, sender: str,
                      settings: mail.Settings | None = None, language: str = i18n.SOURCE) -> EmailMessage:
    """The e-mail telling a project's partners that its return was sent back, with the team's note as text, in
    `language`."""
    with i18n.using(language) as words:
        name = definition.name_in(words.language)
        link = project_link(settings, definition.id, item.project)
        sections = [mail.Section(_("The team's note"), (note,)),
                    mail.Section(_("What to do"), (
                        _("Correct the workbook and send it again on the project's page (Quarterly return): the new "
                          "one replaces this one.") + (" " + _("Its page: {link}").format(link=link) if link else ""),
                        _("The file you sent: {file} (SHA-256 {sha}…).").format(file=item.file,
                                                                                sha=item.sha256[:16])))]
        return mail.compose(sender, recipients,
                            _("{programme}: your return for {project}, {quarter}, was sent back").format(
                                programme=name, project=item.project, quarter=item.quarter),
                            _("Hello,"), sections, closing=_("The {programme} team.").format(programme=name),
                            language=words.language, kind="sent-back")


def arrived_message(item, recipients: Iterable[str], definition: programmes.Programme, sender: str,
                    replaced: Iterable[str] = (), language: str = i18n.SOURCE) -> EmailMessage:
    """The e-mail telling the programme team that a return arrived and waits for approval, in `language`."""
    with i18n.using(language) as words:
        first = item.events[0] if item.events else {}
        lines = [_("{project}, {quarter}: sent by {who} on {when}, file {file} (SHA-256 {sha}…).").format(
                     project=item.project, quarter=item.quarter, who=first.get("who", ""), when=first.get("when", ""),
                     file=item.file, sha=item.sha256[:16]),
                 _("It changes no figure until it is approved: the Data page, Quarterly returns, Returns from "
                   "partners.")]
        replaced = list(replaced)
        if replaced:
            lines.append(_("It replaces the return that was waiting for the same quarter ({returns}).").format(
                returns=", ".join(replaced)))
        return mail.compose(sender, recipients,
                            _("{programme}: return received from {project} for {quarter}").format(
                                programme=definition.name_in(words.language), project=item.project,
                                quarter=item.quarter),
                            _("Hello,"), [mail.Section(_("A return arrived"), tuple(lines))],
                            language=words.language, kind="arrived")


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
        return [arrived_message(item, group, definition, settings.sender, replaced, language)
                for language, group in settings.by_language(team).items()]

    _quietly_send(make, "return arrived")


def after_send_back(programme_store: store.Store, item, accounts) -> None:
    """Tell the partners of a return's project that the team sent it back, with the note."""
    def make(settings: mail.Settings) -> list[EmailMessage]:
        definition = programme_store.definition()
        recipients = sorted((a for a in accounts if item.project in a.projects), key=lambda a: a.email)
        return [sent_back_message(item, item.note, [a.email], definition, settings.sender, settings,  # one each
                                  getattr(a, "language", i18n.SOURCE)) for a in recipients]

    _quietly_send(make, "sent back")
