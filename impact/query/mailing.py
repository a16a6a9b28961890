"""The e-mail commands: `remind` (partners' due and late returns) and `digest` (the programme team's summary),
each either sent over SMTP (`--send`) or written as .eml files (`--out DIR`) for a person to read first.

Without SMTP settings `--send` sends nothing, says so and exits 0: a deployment without e-mail is a supported
state, and a cron job on it is not an error. Settings that are there but unusable exit 2 (naming the file and
key); a server that cannot be reached, or refuses a message, exits 1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from dataclasses import dataclass
from email.message import EmailMessage

from impact.model import i18n
from impact.query import digest
from impact.reporting import follow_up, mail, notices, partners
from impact.storage import store

NOT_CONFIGURED = ("e-mail is not configured (no [smtp] section in {where}): nothing was sent. Add the settings "
                  "(README, E-mail) or write the messages with --out DIR instead.")
OUT_SENDER = "Partnership Impact Dashboard <noreply@localhost>"  # only in .eml files written with no [smtp] settings


def as_of(text: str | None) -> dt.date:
    """`--as-of YYYY-MM-DD` (default: today, UTC)."""
    if not text:
        return dt.datetime.now(dt.UTC).date()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--as-of {text[:40]!r}: write the date as YYYY-MM-DD, e.g. 2018-10-23") from None


def _settings(args: argparse.Namespace) -> mail.Settings | None:
    return mail.load_settings(args.secrets)


def _where(args: argparse.Namespace) -> str:
    return args.secrets or " or ".join(str(p) for p in mail.secrets_files())


def _deliver(args: argparse.Namespace, settings: mail.Settings | None, messages: list[EmailMessage],
             names: list[str], what: str) -> int:
    """Write the messages as .eml files (`--out`) or send them (`--send`); print what was done."""
    if args.out:
        written = mail.write_eml(messages, args.out, names)
        print(f"wrote {len(written)} {what} as .eml files to {args.out}")
        return 0
    if settings is None:
        print(NOT_CONFIGURED.format(where=_where(args)), file=sys.stderr)
        return 0
    try:
        outcome = mail.send(messages, settings)
    except mail.MailError as error:
        print(f"error: {error}; nothing was sent", file=sys.stderr)
        return 1
    print(f"sent {len(outcome.sent)} {what} through {settings.host}:{settings.port}")
    for to, why in outcome.failed:
        print(f"error: the server refused the message to {to}: {why}", file=sys.stderr)
    return 1 if outcome.failed else 0


@dataclass(frozen=True)
class _Run:
    """What both commands start from: the SMTP settings, the `--as-of` day, the programme's store and the returns
    waiting for the team's approval."""

    settings: mail.Settings | None
    day: dt.date
    programme_store: store.Store
    waiting: list[partners.Submission]


def _opened(args: argparse.Namespace) -> _Run | None:
    """The run of `remind` or `digest`; None (after saying so) for `--send` with no e-mail configured."""
    settings = _settings(args)
    if args.send and settings is None:
        print(NOT_CONFIGURED.format(where=_where(args)), file=sys.stderr)
        return None
    day = as_of(args.as_of)
    programme_store = store.open_store(args.data_dir, args.programme)
    return _Run(settings, day, programme_store, partners.submissions(programme_store, states=[partners.SUBMITTED]))


def remind(args: argparse.Namespace) -> int:
    """`python -m impact remind --send|--out DIR [--programme ID] [--as-of DATE]`: each partner's message in the
    language of its account."""
    run = _opened(args)
    if run is None:
        return 0
    settings, day, programme_store = run.settings, run.day, run.programme_store
    definition = programme_store.definition()
    found = notices.reminders(programme_store, partners.accounts(programme_store), day,
                              [(s.project, s.period) for s in run.waiting])
    sender = settings.sender if settings else OUT_SENDER
    messages = [notices.reminder_message(r, definition, sender, settings, as_of=day) for r in found]
    if not messages:
        ahead = definition.reporting.remind_days_before
        print(f"no reminders for {definition.id} on {day:%d %B %Y}: no partner account's project has a return "
              + (f"due in {ahead} days " if ahead else "") + "or late on a reminder day that has not arrived")
        return 0
    for r in found:
        print(f"{r.email}: " + ", ".join(f"{d.project} {d.quarter} {d.kind}" for d in r.items))
    return _deliver(args, settings, messages, [f"reminder-{r.email}" for r in found], "reminder(s)")


def send_digest(args: argparse.Namespace) -> int:
    """`python -m impact digest --send|--out DIR [--programme ID] [--as-of DATE] [--lang CODE]`: one message per
    language of the team's addresses (`[smtp.languages]`), or every one in `--lang`."""
    run = _opened(args)
    if run is None:
        return 0
    settings = run.settings
    programme_id = run.programme_store.definition().id
    team = list(settings.team_of(programme_id)) if settings else []
    if args.send and settings is not None and not team:
        raise mail.MailError(f"{settings.source}: [smtp] team: no address for the programme team of "
                             f"{programme_id}; add team = [\"...\"] (or [smtp.teams] {programme_id} = [...])")
    if getattr(args, "lang", None):  # one language for every address
        groups = {args.lang: team}
    else:  # each address in its own ([smtp.languages]; English by default)
        groups = settings.by_language(team) if settings and team else {i18n.SOURCE: team}
    messages, names = [], []
    for language, group in groups.items():
        with i18n.using(language):
            found = digest.gather(run.programme_store, run.day, len(run.waiting),
                                  follow_up.flag_rows(run.programme_store, run.waiting),
                                  len(follow_up.marked_rows(run.programme_store)))
        messages.append(digest.message(found, settings.sender if settings else OUT_SENDER, group, language))
        names.append(f"digest-{found.programme_id}" + (f"-{language}" if len(groups) > 1 else ""))
    return _deliver(args, settings, messages, names, "digest" if len(messages) == 1 else "digests")
