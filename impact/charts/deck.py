"""Decks: a named, ordered list of slides (chart, its options, title, note), and the slides with their data.

A deck is plain data, saved as a small JSON file (`decks/*.json`) or packed into a URL token;
both are validated on the way in (known charts, known options, bounded text). `prepare` gives each
slide its query result; the key number, series and speaker notes every medium shows are here. The
writers (`deck_writers`: PowerPoint, PDF, one self-contained HTML file) build on this module and it
imports none of them. The Present page shows the same slides.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from impact.charts import catalog, export
from impact.model.i18n import gettext as _
from impact.model.metrics import format_metric, is_metric, metric
from impact.storage import store

DECK_DIR = store.PROJECT_ROOT / "decks"
DEFAULT_DECK = DECK_DIR / "default.json"  # a programme's own default deck is decks/<programme id>.json
MAX_SLIDES = 60
MAX_NAME = 120
MAX_TITLE = 160
MAX_NOTE = 4000
MAX_OPTION = 120
MAX_TOKEN = 12_000  # characters of a deck packed into a URL

Progress = Callable[[int, int, str], None]  # (done, total, what is being built)


class DeckError(ValueError):
    """A deck file, token or edit that is not valid; the message says what is wrong."""


@dataclass(frozen=True)
class Slide:
    """One slide: a catalogued chart, its own options, an optional title override and a note."""

    chart: str
    options: dict = field(default_factory=dict)
    title: str = ""
    note: str = ""

    @property
    def spec(self) -> catalog.ChartSpec:
        """The chart this slide shows."""
        return catalog.chart(self.chart, self.options)

    @property
    def heading(self) -> str:
        """The slide title: its own, else the chart's."""
        return self.title or self.spec.title

    def to_dict(self) -> dict:
        """The slide as JSON-ready data (empty fields left out)."""
        out: dict = {"chart": self.chart}
        if self.options:
            out["options"] = dict(self.options)
        if self.title:
            out["title"] = self.title
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class Deck:
    """A named, ordered list of slides."""

    name: str
    slides: tuple[Slide, ...] = ()

    def to_dict(self) -> dict:
        """The deck as JSON-ready data."""
        return {"name": self.name, "slides": [s.to_dict() for s in self.slides]}

    def to_json(self) -> str:
        """The deck as an indented JSON document."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def to_token(self) -> str:
        """The deck packed for a URL query parameter (compressed JSON, base64url)."""
        raw = json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False).encode()
        return base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")

    def add(self, slide: Slide) -> Deck:
        """A copy with `slide` appended."""
        if len(self.slides) >= MAX_SLIDES:
            raise DeckError(f"a deck holds at most {MAX_SLIDES} slides")
        return replace(self, slides=self.slides + (validate_slide(slide.to_dict(), len(self.slides) + 1),))

    def remove(self, index: int) -> Deck:
        """A copy without the slide at `index` (0-based)."""
        self._check(index)
        return replace(self, slides=self.slides[:index] + self.slides[index + 1 :])

    def move(self, index: int, offset: int) -> Deck:
        """A copy with the slide at `index` moved by `offset` places (clamped to the ends)."""
        self._check(index)
        target = max(0, min(len(self.slides) - 1, index + offset))
        slides = list(self.slides)
        slides.insert(target, slides.pop(index))
        return replace(self, slides=tuple(slides))

    def renamed(self, name: str) -> Deck:
        """A copy with another name."""
        return replace(self, name=_text(name, "deck name", MAX_NAME, required=True))

    def _check(self, index: int) -> None:
        if not 0 <= index < len(self.slides):
            raise DeckError(f"no slide {index + 1}: the deck has {len(self.slides)}")


# ---- validation, files and URL tokens ------------------------------------------------------

def _text(value, what: str, limit: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise DeckError(f"{what} must be text")
    value = "".join(ch for ch in value if ch.isprintable() or ch in "\n\t").strip()
    if required and not value:
        raise DeckError(f"{what} is empty")
    if len(value) > limit:
        raise DeckError(f"{what} is longer than {limit} characters")
    return value


def validate_slide(data, number: int) -> Slide:
    """A Slide from JSON data, checked: known chart, known options with short scalar values."""
    where = f"slide {number}"
    if not isinstance(data, dict):
        raise DeckError(f"{where} is not an object")
    unknown = set(data) - {"chart", "options", "title", "note"}
    if unknown:
        raise DeckError(f"{where} has unknown field(s): {', '.join(sorted(map(str, unknown)))[:80]}")
    chart_id = data.get("chart")
    if not isinstance(chart_id, str) or chart_id not in catalog.CHARTS:
        shown = chart_id if isinstance(chart_id, str) and len(chart_id) < 60 else "?"
        raise DeckError(f"{where}: unknown chart {shown!r}; known: {', '.join(catalog.CHARTS)}")
    spec = catalog.CHARTS[chart_id]
    options = data.get("options") or {}
    if not isinstance(options, dict):
        raise DeckError(f"{where}: options must be an object")
    clean = {}
    for key, value in options.items():
        if key not in spec.options:
            allowed = ", ".join(spec.options) or "none"
            raise DeckError(f"{where}: chart {chart_id!r} has no option {str(key)[:40]!r} (options: {allowed})")
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise DeckError(f"{where}: option {key!r} must be text or a number")
        clean[key] = _text(value, f"{where} option {key!r}", MAX_OPTION) if isinstance(value, str) else value
    try:
        catalog.chart(chart_id, clean)
    except ValueError as error:
        raise DeckError(f"{where}: {error}") from None
    return Slide(
        chart_id, clean,
        _text(data.get("title"), f"{where} title", MAX_TITLE),
        _text(data.get("note"), f"{where} note", MAX_NOTE),
    )


def from_dict(data) -> Deck:
    """A Deck from JSON data, every field checked (DeckError says what is wrong)."""
    if not isinstance(data, dict):
        raise DeckError("a deck is a JSON object with 'name' and 'slides'")
    unknown = set(data) - {"name", "slides"}
    if unknown:
        raise DeckError(f"unknown deck field(s): {', '.join(sorted(map(str, unknown)))[:80]}")
    slides = data.get("slides")
    if not isinstance(slides, list):
        raise DeckError("'slides' must be a list")
    if len(slides) > MAX_SLIDES:
        raise DeckError(f"a deck holds at most {MAX_SLIDES} slides")
    name = _text(data.get("name"), "deck name", MAX_NAME, required=True)
    return Deck(name, tuple(validate_slide(s, i) for i, s in enumerate(slides, start=1)))


def from_json(text: str | bytes) -> Deck:
    """A Deck from a JSON document."""
    if isinstance(text, bytes):
        if len(text) > 1_000_000:
            raise DeckError("the deck file is too large")
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DeckError("the deck file is not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise DeckError(f"the deck is not valid JSON: {error.msg} (line {error.lineno})") from None
    return from_dict(data)


def from_token(token: str) -> Deck:
    """A Deck from a URL token made by `Deck.to_token` (validated like a file)."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN:
        raise DeckError("the deck in the link is empty or too long")
    try:
        packed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        inflater = zlib.decompressobj()
        raw = inflater.decompress(packed, 200_000)
        if inflater.unconsumed_tail:
            raise DeckError("the deck in the link is too large")
        return from_json(raw)
    except (binascii.Error, zlib.error, ValueError) as error:
        if isinstance(error, DeckError):
            raise
        raise DeckError("the deck in the link is damaged") from None


def load(path: str | Path) -> Deck:
    """Read a deck file."""
    return from_json(Path(path).read_bytes())


def save(deck: Deck, path: str | Path) -> None:
    """Write a deck file (JSON)."""
    Path(path).write_text(deck.to_json(), encoding="utf-8")


def default_deck(programme_id: str | None = None) -> Deck:
    """The default deck of a programme (default: the active one): its own `decks/<id>.json` if it has one,
    else the shipped generic deck."""
    from impact.model import metrics

    if programme_id is None and metrics.active_programme() is not None:
        programme_id = metrics.active_programme().id
    own = DECK_DIR / f"{programme_id}.json" if programme_id else None
    return load(own if own is not None and own.is_file() else DEFAULT_DECK)


# ---- slides with their data ----------------------------------------------------------------

@dataclass(frozen=True)
class PreparedSlide:
    """A slide with its query result: what every builder and the Present page draw."""

    slide: Slide
    frame: pd.DataFrame

    @property
    def spec(self) -> catalog.ChartSpec:
        """The slide's chart."""
        return self.slide.spec

    @property
    def key_number(self) -> tuple[str, str] | None:
        """The one number shown on the slide: (label, formatted value)."""
        return key_number(self.spec, self.frame)

    @property
    def caption(self) -> str:
        """The sentence under the chart, computed from the numbers it shows ('' if the chart has none)."""
        return self.spec.caption(self.spec.rows(self.frame)) if self.spec.caption else ""

    @property
    def has_legend(self) -> bool:
        """Whether the chart names its series in a legend: it draws more than one."""
        return len(series_columns(self.spec, self.spec.rows(self.frame))) > 1


def prepare(deck: Deck, run: Callable[[catalog.ChartSpec, dict], pd.DataFrame]) -> list[PreparedSlide]:
    """Each slide with its data; `run(spec, options)` queries under the active filters."""
    return [PreparedSlide(s, run(s.spec, s.options)) for s in deck.slides]


def key_number(spec: catalog.ChartSpec, frame: pd.DataFrame) -> tuple[str, str] | None:
    """The chart's key number: its own, else the total of an additive headline metric, else the top value."""
    if spec.key_number:
        return spec.key_number(frame)
    head = spec.values[0] if spec.values else None
    if frame.empty or not is_metric(head) or head not in frame:
        return None
    m = metric(head)
    if m.aggregation == "sum":
        return (_("{label}, total").format(label=m.label), format_metric(head, frame[head].sum()))
    top = frame.sort_values(head, ascending=False).iloc[0]
    if spec.category in frame:
        return (_("{label}, highest ({where})").format(label=m.label, where=top[spec.category]),
                format_metric(head, top[head]))
    return (_("{label}, highest").format(label=m.label), format_metric(head, top[head]))


def series_columns(spec: catalog.ChartSpec, rows: pd.DataFrame) -> list[str]:
    """The value columns a deck draws as series: every series, except a pie's single one."""
    columns = spec.series(rows)
    return columns[:1] if spec.kind == "pie" else columns


def cover_notes(deck: Deck, provenance: export.Provenance, slide_count: int) -> str:
    """Speaker notes of the title slide: the deck, the filters, source, data version and date."""
    return "\n".join([_("{deck}: {count} chart slides").format(deck=deck.name, count=slide_count),
                      *_provenance_lines(provenance)])


def _provenance_lines(provenance: export.Provenance) -> list[str]:
    """The filters, source, data version and export date, one line each, in the active language."""
    return [_("Filters: {filters}").format(filters=provenance.filters),
            _("Source: {source}").format(source=provenance.source),
            _("Data version: {version}").format(version=provenance.version),
            _("Exported: {day}").format(day=provenance.day.isoformat())]


def speaker_notes(slide: Slide, provenance: export.Provenance) -> str:
    """Speaker notes: the slide's note, then the filters, source, data version and date."""
    lines = [slide.note] if slide.note else []
    lines += _provenance_lines(provenance)
    if slide.spec.description:
        lines.append(_("About this chart: {description}").format(description=slide.spec.description))
    return "\n".join(lines)
