"""E-mail: the SMTP settings, messages as plain text with a simple HTML alternative, sending them, or writing
them as .eml files for a person (or a test) to read first.

The settings are the `[smtp]` section of Streamlit's secrets (`.streamlit/secrets.toml` in the folder the app
or the command runs from, over `~/.streamlit/secrets.toml`, as Streamlit reads them; the command line also takes
`--secrets FILE`). Without an `[smtp]` section nothing is sent. A message's text comes from data (project
titles, a team's note): the plain part carries it as it is, the HTML part only escaped, never as markup.
"""

from __future__ import annotations

import html
import re
import smtplib
import ssl
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path

from impact.model import i18n

SECURITY = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
TIMEOUT_SECONDS = 10  # a notice sent while a partner waits on the page must not hold them long
_ADDRESS = re.compile(r"^[^@\s<>\"]{1,64}@[^@\s<>\"]{1,190}\.[^@\s<>\"]{2,63}$")


class MailError(ValueError):
    """E-mail settings that cannot be used, or a server that cannot be reached: the message says which and where."""


@dataclass(frozen=True)
class Settings:
    """How to reach the SMTP server, who the messages are from, and the programme teams' addresses."""

    host: str
    port: int
    sender: str
    user: str = ""
    password: str = field(default="", repr=False)
    security: str = "starttls"
    team: tuple[str, ...] = ()
    teams: dict[str, tuple[str, ...]] = field(default_factory=dict)
    app_url: str = ""
    source: str = ""  # the file the settings came from, to name in messages
    languages: dict[str, str] = field(default_factory=dict)  # a team address (lower case) -> its language

    def team_of(self, programme_id: str) -> tuple[str, ...]:
        """The addresses of a programme's team: its own list (`[smtp.teams]`), else the shared `team`."""
        return self.teams.get(programme_id, self.team)

    def language_of(self, address: str) -> str:
        """The language a team address reads its e-mails in (`[smtp.languages]`; English by default)."""
        return self.languages.get(address.strip().lower(), i18n.SOURCE)

    def by_language(self, addresses) -> dict[str, list[str]]:
        """The addresses grouped by their language (each group gets one message, in its language)."""
        out: dict[str, list[str]] = {}
        for address in addresses:
            out.setdefault(self.language_of(address), []).append(address)
        return out


def secrets_files(cwd: Path | None = None) -> list[Path]:
    """Where Streamlit reads secrets from, in the order it merges them (the later wins)."""
    return [Path.home() / ".streamlit" / "secrets.toml", (cwd or Path.cwd()) / ".streamlit" / "secrets.toml"]


def load_settings(path: str | Path | None = None) -> Settings | None:
    """The `[smtp]` settings from `path`, else from Streamlit's secrets files; None when there is no `[smtp]`
    section (MailError when it is there but cannot be used, naming the file and the key)."""
    files = [Path(path)] if path is not None else [p for p in secrets_files() if p.is_file()]
    section, source = None, ""
    for file in files:
        try:
            raw = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise MailError(f"{file}: there is no such secrets file") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise MailError(f"{file}: is not a TOML file ({error})") from None
        if "smtp" in raw:
            section, source = raw["smtp"], str(file)
    return None if section is None else parse_settings(section, source)


def parse_settings(raw, source: str = "secrets") -> Settings:
    """`[smtp]` read strictly: host, port, user, password, from, starttls or ssl, team, teams, app_url."""
    def where(key: str) -> str:
        return f"{source}: [smtp] {key}"

    if not isinstance(raw, dict):
        raise MailError(f"{source}: [smtp] must be a table of settings (host, port, from, ...)")
    known = {"host", "port", "user", "password", "from", "starttls", "ssl", "team", "teams", "app_url", "languages"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise MailError(f"{where(unknown[0][:40])}: is not an e-mail setting; the settings are {', '.join(sorted(known))}")
    host = raw.get("host")
    if not isinstance(host, str) or not host.strip():
        raise MailError(f"{where('host')}: the SMTP server's name is missing")
    for key in ("starttls", "ssl"):
        if key in raw and not isinstance(raw[key], bool):
            raise MailError(f"{where(key)}: must be true or false")
    if raw.get("starttls") and raw.get("ssl"):
        raise MailError(f"{where('ssl')}: choose starttls or ssl, not both")
    security = "ssl" if raw.get("ssl") else "starttls" if raw.get("starttls", True) else "none"
    port = raw.get("port", DEFAULT_PORTS[security])
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise MailError(f"{where('port')}: {str(port)[:20]!r} must be a port number (1 to 65535)")
    sender = raw.get("from")
    if not isinstance(sender, str) or not _ADDRESS.match(parseaddr(sender)[1]) or "\n" in sender or "\r" in sender:
        raise MailError(f"{where('from')}: {str(sender)[:80]!r} must be the sender's address, e.g. "
                        "\"Impact dashboard <noreply@example.org>\"")
    for key in ("user", "password", "app_url"):
        if not isinstance(raw.get(key, ""), str):
            raise MailError(f"{where(key)}: must be text")
    teams_raw = raw.get("teams", {})
    if not isinstance(teams_raw, dict):
        raise MailError(f"{where('teams')}: must be a table of programme id = [addresses]")
    teams = {str(k): _addresses(v, where(f"teams.{k}")) for k, v in teams_raw.items()}
    languages_raw = raw.get("languages", {})
    if not isinstance(languages_raw, dict):
        raise MailError(f"{where('languages')}: must be a table of \"address\" = \"language\", e.g. "
                        "\"equipe@example.org\" = \"fr\"")
    for address, code in languages_raw.items():
        if not _ADDRESS.match(str(address).strip()):
            raise MailError(f"{where('languages')}: {str(address)[:80]!r} is not an e-mail address")
        if code not in i18n.LANGUAGES:
            raise MailError(f"{where(f'languages.{str(address)[:80]}')}: {str(code)[:20]!r} is not a language of the "
                            f"dashboard; use one of {', '.join(i18n.LANGUAGES)}")
    return Settings(host=host.strip(), port=port, sender=sender.strip(), user=raw.get("user", ""),
                    password=raw.get("password", ""), security=security,
                    team=_addresses(raw.get("team", []), where("team")), teams=teams,
                    app_url=raw.get("app_url", "").rstrip("/"), source=source,
                    languages={str(k).strip().lower(): v for k, v in languages_raw.items()})


def _addresses(value, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and _ADDRESS.match(v.strip()) for v in value):
        raise MailError(f"{where}: must be a list of e-mail addresses, e.g. [\"m-and-e@example.org\"]")
    return tuple(v.strip() for v in value)


# ---- messages -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Section:
    """Part of a message: a heading, then lines (one paragraph or list item each) and/or a table."""

    heading: str
    lines: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()


def one_line(text: str, limit: int = 200) -> str:
    """Text made safe for a header: whitespace (line breaks included) collapsed, cut to `limit` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def compose(sender: str, to: Iterable[str], subject: str, greeting: str, sections: Iterable[Section],
            closing: str = "", language: str = "en", kind: str = "") -> EmailMessage:
    """A message with a plain-text body and an HTML alternative of the same content (every piece escaped)."""
    sections = list(sections)
    message = EmailMessage()
    message["Subject"] = one_line(subject)
    message["From"] = sender
    recipients = [r for r in to if r]
    if recipients:
        message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].partition("@")[2] or None)
    if kind:
        message["X-Impact-Notice"] = kind  # what the message is (reminder, sent-back, arrived, digest), for filters
    message.set_content(_text(greeting, sections, closing))
    message.add_alternative(_html(subject, greeting, sections, closing, language), subtype="html")
    message["Content-Language"] = language  # after the body: setting content clears the Content-* headers
    return message


def _text(greeting: str, sections: list[Section], closing: str) -> str:
    out = [greeting, ""] if greeting else []
    for section in sections:
        out += [section.heading, "-" * min(len(section.heading), 72)]
        out += list(section.lines)
        if section.columns:
            out.append(" | ".join(section.columns))
            out += [" | ".join(row) for row in section.rows]
        out.append("")
    if closing:
        out.append(closing)
    return "\n".join(out).rstrip() + "\n"


def _html(subject: str, greeting: str, sections: list[Section], closing: str, language: str) -> str:
    e = html.escape
    parts = [f'<!DOCTYPE html><html lang="{e(language)}"><head><meta charset="utf-8"><title>{e(one_line(subject))}'
             '</title></head><body style="font-family: sans-serif; line-height: 1.4">']
    if greeting:
        parts.append(f"<p>{e(greeting)}</p>")
    for section in sections:
        parts.append(f"<h2 style=\"font-size: 1.1em\">{e(section.heading)}</h2>")
        parts += [f'<p style="white-space: pre-wrap">{e(line)}</p>' for line in section.lines]
        if section.columns:
            head = "".join(f'<th style="text-align: left; padding: 2px 8px">{e(c)}</th>' for c in section.columns)
            body = "".join("<tr>" + "".join(f'<td style="padding: 2px 8px">{e(v)}</td>' for v in row) + "</tr>"
                           for row in section.rows)
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    if closing:
        parts.append(f"<p>{e(closing)}</p>")
    parts.append("</body></html>")
    return "".join(parts) + "\n"


# ---- sending, or writing .eml files ----------------------------------------------------------------

@dataclass
class Sent:
    """What sending a batch did: the messages accepted by the server, and the refused ones with the reason."""

    sent: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def send(messages: list[EmailMessage], settings: Settings) -> Sent:
    """Send every message over one connection to the SMTP server (MailError when it cannot be reached or
    refuses the sign-in; a message it refuses is listed, the others still go)."""
    outcome = Sent()
    if not messages:
        return outcome
    context = ssl.create_default_context()
    server = f"{settings.host}:{settings.port}"
    try:
        if settings.security == "ssl":
            client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=TIMEOUT_SECONDS, context=context)
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_SECONDS)
    except (OSError, smtplib.SMTPException) as error:
        raise MailError(f"could not reach the SMTP server {server} ([smtp] in {settings.source}): {error}") from None
    with client:
        try:
            if settings.security == "starttls":
                client.starttls(context=context)
            if settings.user:
                client.login(settings.user, settings.password)
        except (OSError, smtplib.SMTPException) as error:
            raise MailError(f"the SMTP server {server} refused the connection's set-up (STARTTLS or sign-in "
                            f"as {settings.user or 'nobody'}): {error}") from None
        for message in messages:
            to = message.get("To", "")
            try:
                client.send_message(message)
                outcome.sent.append(to)
            except smtplib.SMTPException as error:
                outcome.failed.append((to, str(error)[:300]))
    return outcome


def write_eml(messages: list[EmailMessage], folder: str | Path, names: list[str]) -> list[Path]:
    """Each message as `<folder>/<name>.eml` (RFC 5322, as it would be sent)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for number, (message, name) in enumerate(zip(messages, names, strict=True), start=1):
        slug = re.sub(r"[^A-Za-z0-9@._-]+", "_", name)[:100].strip("._") or "message"
        path = folder / f"{number:03d}-{slug}.eml"
        path.write_bytes(message.as_bytes())
        written.append(path)
    return written
