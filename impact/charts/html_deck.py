"""Decks as one self-contained HTML file: live Plotly charts that need no server and no network.

The file holds plotly.js (from the plotly package) once, the world outlines from `static/` when a
slide draws a map, a title slide and one slide per chart in the projector theme, each with its
title, filters, key number, caption, source footer and speaker notes (the same functions as the
PowerPoint and PDF decks). A small script (`html_deck.js`) moves between slides with a clicker's
keys, keeps the slide number in the URL fragment, toggles full screen and a speaker view, and
draws each chart the first time it is shown (every chart before printing). The slide is laid out
at a fixed 16:9 size and scaled to the window, so a printed page and a projected slide match.

Text from data is escaped where it goes into markup, and JSON inside `<script>` has `<`, `>` and
`&` written as `\\u` escapes, so no title can close the element; a Content-Security-Policy refuses
every request the page might still try.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio

from impact.charts import deck as decks
from impact.charts import export, theme
from impact.model import i18n
from impact.model.i18n import gettext as _

SLIDE_WIDTH, SLIDE_HEIGHT = 1280, 720  # CSS px of a 13.333 × 7.5 in page, the PowerPoint deck's 16:9
GEO_TRACES = frozenset({"choropleth", "scattergeo"})  # traces drawn on the world outlines
WORLD = "world_110m"  # the outlines Plotly asks for on a world map at its default resolution
PLOTLY_CONFIG = {"displaylogo": False, "responsive": False}  # the slide, not the window, sizes a chart
CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
       "img-src data: blob:; font-src data:")
_HERE = Path(__file__).resolve().parent


def script_json(value) -> str:
    """JSON (or a JSON text) safe inside a `<script>` element: `<`, `>`, `&` and line separators escaped."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for raw, escaped in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    return text


def plotly_js() -> str:
    """plotly.js as the plotly package ships it, checked to be safe inside one `<script>` element."""
    from plotly.offline import get_plotlyjs

    code = get_plotlyjs()
    lowered = code.lower()
    if "</script" in lowered or "<!--" in lowered:
        raise ValueError("this plotly.js cannot be inlined: it contains '</script' or '<!--'")
    return code


def world_outlines() -> str:
    """The world topojson shipped in `static/`, as JSON text."""
    return (export.TOPOJSON_DIR / f"{WORLD}.json").read_text(encoding="utf-8")


def chart_figure(prepared: decks.PreparedSlide) -> go.Figure | None:
    """The slide's chart in the projector theme (legend on top when it has several series); None if empty."""
    if prepared.frame.empty:
        return None
    spec, slide = prepared.spec, prepared.slide
    fig = theme.projector(spec.figure(prepared.frame, title="", subtitle="", options=slide.options))
    legend = prepared.has_legend
    fig.update_layout(showlegend=legend, autosize=True, margin=dict(t=72 if legend else 32, b=24))
    if legend:
        fig.update_layout(legend=dict(orientation="h", x=0, xanchor="left", y=1.02, yanchor="bottom"))
    return fig


def draws_outlines(fig: go.Figure) -> bool:
    """Whether the figure needs the world outlines."""
    return any(trace.type in GEO_TRACES for trace in fig.data)


def _text(tag: str, css_class: str, text: str) -> str:
    return f'<{tag} class="{css_class}">{html.escape(text)}</{tag}>'


def _footer(provenance: export.Provenance, number: int, total: int) -> str:
    return (f'<footer>{_text("span", "source", provenance.footer)}'
            f'<span class="number">{number} / {total}</span></footer>')


def title_section(deck: decks.Deck, provenance: export.Provenance, slide_count: int) -> str:
    """The title slide: the deck's name, the filters, how many charts, the footer and cover notes."""
    total = slide_count + 1
    return (
        f'<section class="slide title" data-number="1" aria-label="Slide 1 of {total}">'
        f'<div class="cover">{_text("h1", "slide-title", deck.name)}{_text("p", "filters", provenance.filters)}'
        f'{_text("p", "count", f"{slide_count} charts")}</div>'
        f'{_footer(provenance, 1, total)}'
        f'{_text("aside", "notes", decks.cover_notes(deck, provenance, slide_count))}</section>'
    )


def chart_section(prepared: decks.PreparedSlide, provenance: export.Provenance, number: int, total: int,
                  fig: go.Figure | None) -> str:
    """One chart slide: title, filters, key number, the chart's place, caption, footer and speaker notes."""
    key = prepared.key_number
    key_html = (f'<div class="key">{_text("p", "key-value", key[1])}{_text("p", "key-label", key[0])}</div>'
                if key else "")
    outlines = f' data-outlines="{WORLD}"' if fig is not None and draws_outlines(fig) else ""
    body = (f'<div class="chart" data-figure="figure-{number}"{outlines}></div>' if fig is not None
            else _text("p", "empty", _("No results for these filters.")))
    caption = _text("p", "caption", prepared.caption) if prepared.caption else ""
    return (
        f'<section class="slide" data-number="{number}" aria-label="Slide {number} of {total}">'
        f'<header><div class="heading">{_text("h1", "slide-title", prepared.slide.heading)}'
        f'{_text("p", "filters", provenance.filters)}</div>{key_html}</header>'
        f'{body}{caption}{_footer(provenance, number, total)}'
        f'{_text("aside", "notes", decks.speaker_notes(prepared.slide, provenance))}</section>'
    )


def _style() -> str:
    colours = {"background": theme.PROJECTOR["background"], "text": theme.PROJECTOR["text"],
               "grid": theme.PROJECTOR["grid"], "primary": theme.PROJECTOR["primary"]}
    variables = "".join(f"--{name}:{value};" for name, value in colours.items())
    variables += f"--font:{theme.FONT};--slide-width:{SLIDE_WIDTH}px;--slide-height:{SLIDE_HEIGHT}px;"
    css = (_HERE / "html_deck.css").read_text(encoding="utf-8")
    return f"<style>:root{{{variables}}}\n@page{{size:{SLIDE_WIDTH}px {SLIDE_HEIGHT}px;margin:0}}\n{css}</style>"


def _speaker() -> str:
    """The speaker view's frame, in the active language."""
    return ('<div id="speaker" hidden role="dialog" aria-label="' + html.escape(_("Speaker view")) + '">'
            '<div class="now"><p class="label" id="speaker-position"></p><h2 id="speaker-title"></h2>'
            '<p id="speaker-notes"></p></div>'
            '<div class="next"><p class="label">' + html.escape(_("Next")) + '</p><h2 id="speaker-next-title"></h2>'
            '<div class="preview" id="speaker-preview"></div></div>'
            '<p class="hint">' + html.escape(_("S or Esc: back to the slides · → ← Space PageDown PageUp Home End: "
                                               "move · F: full screen")) + '</p></div>')


def _controls() -> str:
    """The slide controls, labelled in the active language."""
    def button(attribute: str, label: str, text: str) -> str:
        return f'<button type="button" {attribute} aria-label="{html.escape(label)}">{text}</button>'

    return ('<nav class="controls" aria-label="' + html.escape(_("Slides")) + '">'
            + button('data-go="-1"', _("Previous slide"), "‹") + button('data-go="1"', _("Next slide"), "›")
            + button('data-key="s"', _("Speaker view (S)"), "S") + button('data-key="f"', _("Full screen (F)"), "F")
            + '</nav>')


def page(name: str, sections: list[str], figures: dict[int, go.Figure]) -> str:
    """The whole document: slides, controls, speaker view, figure JSON, outlines, the deck script, plotly.js."""
    blocks = "".join(f'<script type="application/json" id="figure-{number}">'
                     f'{script_json(pio.to_json(fig, validate=False))}</script>' for number, fig in figures.items())
    outlines = ""
    if any(draws_outlines(fig) for fig in figures.values()):
        outlines = f'<script type="application/json" id="outlines-{WORLD}">{script_json(world_outlines())}</script>'
    settings = script_json({"width": SLIDE_WIDTH, "height": SLIDE_HEIGHT, "config": PLOTLY_CONFIG})
    script = (_HERE / "html_deck.js").read_text(encoding="utf-8")
    return (
        f'<!DOCTYPE html>\n<html lang="{i18n.active().language}" dir="{i18n.active().direction}"><head>'
        '<meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{html.escape(name)}</title><link rel="icon" href="data:,">{_style()}</head>\n<body>'
        f'<main class="deck">{"".join(sections)}</main>{_controls()}{_speaker()}\n'
        f'<script type="application/json" id="deck-settings">{settings}</script>\n{blocks}\n{outlines}\n'
        f'<script>{script}</script>\n<script>{plotly_js()}</script>\n</body></html>\n'
    )


def build_html(deck: decks.Deck, slides: list[decks.PreparedSlide], provenance: export.Provenance,
               progress: decks.Progress | None = None) -> bytes:
    """The deck as one self-contained HTML file (UTF-8): a title slide, then one live chart per slide."""
    total = len(slides) + 1
    report = progress or (lambda done, total, what: None)
    report(0, total, "Title slide")
    sections = [title_section(deck, provenance, len(slides))]
    figures: dict[int, go.Figure] = {}
    for number, prepared in enumerate(slides, start=2):
        report(number - 1, total, f"Slide {number - 1}: {prepared.slide.heading}")
        fig = chart_figure(prepared)
        if fig is not None:
            figures[number] = fig
        sections.append(chart_section(prepared, provenance, number, total, fig))
    document = page(deck.name, sections, figures)
    report(total, total, "Done")
    return document.encode("utf-8")
