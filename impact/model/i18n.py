"""Languages: the interface's message catalogues (gettext) and numbers, percentages, money and dates per locale
(Babel), for every room — pages, charts, exports, workbooks and e-mails read the same translator.

One `Translator` per language, built once per process from `impact/locale/<lang>/LC_MESSAGES/impact.mo` (never
`gettext.install`, which one process would share across sessions). The language of the work at hand — one page
run of one session, one export, one e-mail — is a context variable set by `activate`/`using`, so two sessions
in two languages never mix; `gettext` (imported as `_`) translates through it. English is the source language:
a message missing from a catalogue is shown in English.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import functools
import gettext as gettext_module
import math
from collections.abc import Iterator
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel import lists as babel_lists
from babel import numbers as babel_numbers

from impact.model import calendar, iso3166

DOMAIN = "impact"
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
SOURCE = "en"
# The shipped languages, each named in itself (as a person looking for their language reads it).
LANGUAGES: dict[str, str] = {"en": "English", "fr": "Français", "pt": "Português", "es": "Español"}
TRANSLATED = tuple(code for code in LANGUAGES if code != SOURCE)  # the catalogues a test keeps complete


class Translator:
    """One language: its messages (gettext) and its ways of writing numbers and dates (Babel's locale data)."""

    def __init__(self, language: str):
        self.language = language
        self.locale = Locale.parse(language)
        self._messages = (gettext_module.NullTranslations() if language == SOURCE else
                          gettext_module.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True))

    def __repr__(self) -> str:
        return f"Translator({self.language!r})"

    # ---- messages ----------------------------------------------------------------------------------
    def gettext(self, message: str) -> str:
        """`message` in this language (English when the catalogue lacks it)."""
        return self._messages.gettext(message) if message else message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The singular or plural form of a message for `n`, in this language."""
        return self._messages.ngettext(singular, plural, n)

    # ---- numbers and dates -------------------------------------------------------------------------
    def number(self, value: float | int, decimals: int = 0) -> str:
        """A number with this language's digit grouping and decimal mark: 12,345 (en), 12 345 (fr), 12.345 (pt)."""
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        return babel_numbers.format_decimal(value, format=pattern, locale=self.locale)

    def decimal(self, value: float) -> str:
        """A number with as many decimals as it has (up to three): 12.5 (en), 12,5 (fr)."""
        return babel_numbers.format_decimal(value, locale=self.locale)

    def percent(self, ratio: float, *, exact: bool = False) -> str:
        """A ratio as a whole percentage: 74% (en), 74 % (fr); `exact`: with the decimals it has (12.5%)."""
        return babel_numbers.format_percent(ratio, format=None if not exact else self._exact_percent,
                                            locale=self.locale)

    @property
    def _exact_percent(self) -> str:
        return self.locale.percent_formats[None].pattern.replace("0", "0.###", 1) if "." not in \
            self.locale.percent_formats[None].pattern else self.locale.percent_formats[None].pattern

    def money(self, value: float, currency: str) -> str:
        """An amount in `currency`, shortened as this language writes it: £30M (en), 30 M £GB (fr), £ 30 mi (pt)."""
        return babel_numbers.format_compact_currency(value, currency, locale=self.locale, fraction_digits=1)

    def currency_symbol(self, currency: str) -> str:
        """How this language writes `currency` before or after an amount (£, $, €, £GB…)."""
        return babel_numbers.get_currency_symbol(currency, locale=self.locale)

    def date(self, day: dt.date, form: str = "medium") -> str:
        """A day as this language writes it: 31 Dec 2016 (en), 31 déc. 2016 (fr) — Babel's `form` (short, medium,
        long: 31 December 2016, 31 décembre 2016) or a CLDR pattern such as 'MMMM y'."""
        if self.language == SOURCE and form in ("medium", "long"):  # the product's English style, as published
            return f"{day.day} {day:%b %Y}" if form == "medium" else f"{day.day} {day:%B %Y}"
        return babel_dates.format_date(day, format=form, locale=self.locale)

    def day(self, day: dt.date) -> str:
        """A day written out in full, as a letter or a workbook writes it: 01 July 2018 (en, the product's style),
        1 juillet 2018 (fr), 1 de julho de 2018 (pt)."""
        if self.language == SOURCE:
            return f"{day:%d %B %Y}"
        return babel_dates.format_date(day, format="long", locale=self.locale)

    def listing(self, items: list[str]) -> str:
        """Items joined as this language lists them: a, b and c (en), a, b et c (fr)."""
        if self.language == SOURCE:
            return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""
        return babel_lists.format_list(list(items), locale=self.locale)

    def month(self, day: dt.date) -> str:
        """A month and its year, short, as this language writes it: Jul 2016 (en), juil. 2016 (fr), jul. de 2016 (pt)."""
        return _skeleton(str(self.locale), "yMMM", day.year, day.month)

    def quarter(self, day: dt.date) -> str:
        """The quarter holding `day`: 2016Q3 (en, the product's code-like label), T3 2016 (fr, es), T3 de 2016 (pt)."""
        if self.language == SOURCE:
            return calendar.quarter_label(day)
        return _skeleton(str(self.locale), "yQQQ", day.year, day.month)

    def country(self, iso3: str, english: str) -> str:
        """A country's name in this language (CLDR's, through Babel), else its English name as the data gives it."""
        if self.language == SOURCE:
            return english
        code = iso3166.alpha2(iso3) if isinstance(iso3, str) else None
        return self.locale.territories.get(code, english) if code else english

    @property
    def plotly_separators(self) -> str:
        """Plotly's `layout.separators`: this language's decimal mark then its group separator."""
        return (babel_numbers.get_decimal_symbol(self.locale) + babel_numbers.get_group_symbol(self.locale))

    @property
    def direction(self) -> str:
        """'ltr' or 'rtl': the direction this language is written in (room for a right-to-left language)."""
        return "rtl" if self.locale.character_order == "right-to-left" else "ltr"


def translator(language: str) -> Translator:
    """The translator of `language` (a shipped one; any other gives English), built once per process."""
    return _built(language if language in LANGUAGES else SOURCE)


@functools.lru_cache(maxsize=4096)
def _skeleton(locale: str, skeleton: str, year: int, month: int) -> str:
    """A CLDR skeleton of a month (its first day) written by Babel, remembered: a chart's hovers and ticks ask for
    the same few months again and again."""
    return babel_dates.format_skeleton(skeleton, dt.date(year, month, 1), locale=locale)


@functools.cache
def _built(language: str) -> Translator:
    return Translator(language)


_ACTIVE: contextvars.ContextVar[Translator | None] = contextvars.ContextVar("impact_language", default=None)


def activate(language: str) -> Translator:
    """Make `language` the one of the work at hand (this thread's context): one page run, one export."""
    chosen = translator(language)
    _ACTIVE.set(chosen)
    return chosen


def active() -> Translator:
    """The translator of the work at hand (English unless `activate`/`using` chose another)."""
    return _ACTIVE.get() or translator(SOURCE)


@contextlib.contextmanager
def using(language: str) -> Iterator[Translator]:
    """Do the work inside the block in `language` (an export or an e-mail in its recipient's language)."""
    token = _ACTIVE.set(translator(language))
    try:
        yield _ACTIVE.get()
    finally:
        _ACTIVE.reset(token)


def gettext(message: str) -> str:
    """`message` translated into the active language. Modules import it as `_` (`from impact.model.i18n import
    gettext as _`), the name pybabel extracts the messages of."""
    return active().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a message for `n`, in the active language."""
    return active().ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark `message` for the catalogue without translating it now (a constant, translated where it is shown)."""
    return message


def negotiate(preferences: str | None) -> str | None:
    """The shipped language a browser prefers: from an Accept-Language header ('fr-FR,fr;q=0.9,en;q=0.8') or a
    navigator language ('pt-BR'); None when it names none of them."""
    wanted = []
    for n, part in enumerate((preferences or "").split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and tag != "*" and math.isfinite(quality) and quality > 0:
            wanted.append((-quality, n, tag.replace("_", "-")))
    tags = [tag for *_order, tag in sorted(wanted)]
    try:
        found = Locale.negotiate(tags, list(LANGUAGES), sep="-") if tags else None
    except (UnknownLocaleError, ValueError):
        return None
    return str(found) if found is not None else None
