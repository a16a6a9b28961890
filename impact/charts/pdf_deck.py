"""Decks as PDF: a title page, then one 16:9 page per chart (vector, drawn by Kaleido), joined with pypdf."""

from __future__ import annotations

import io

from impact.charts import deck as decks
from impact.charts import export, theme
from impact.model.i18n import gettext as _


def title_figure(deck: decks.Deck, provenance: export.Provenance, slide_count: int):
    """The deck's title page as a figure (same fonts and colours as the charts)."""
    import plotly.graph_objects as go

    theme.register()
    fig = go.Figure()
    fig.update_layout(xaxis=dict(visible=False), yaxis=dict(visible=False), margin=dict(l=48, r=48, t=48, b=48))
    lines = (
        (0.62, f"<b>{export.escape_markup(deck.name)}</b>", 44, theme.COLORS["text"]),
        (0.45, export.escape_markup(provenance.filters), 20, theme.COLORS["muted"]),
        (0.36, _("{count} charts").format(count=slide_count), 16, theme.COLORS["muted"]),
        (0.0, export.escape_markup(provenance.footer), 12, theme.COLORS["muted"]),
    )
    for y, text, size, color in lines:
        fig.add_annotation(text=text, x=0, y=y, xref="paper", yref="paper", xanchor="left", yanchor="bottom",
                           showarrow=False, align="left", font=dict(size=size, color=color))
    return fig


def build_pdf(deck: decks.Deck, slides: list[decks.PreparedSlide], provenance: export.Provenance,
              progress: decks.Progress | None = None) -> bytes:
    """The deck as a PDF: a title page, then one 16:9 page per chart (vector, drawn by Kaleido)."""
    from pypdf import PdfReader, PdfWriter

    total = len(slides) + 1
    report = progress or (lambda done, total, what: None)
    writer = PdfWriter()
    report(0, total, "Title page")
    pages = [export.render(title_figure(deck, provenance, len(slides)), "pdf")]
    for number, prepared in enumerate(slides, start=1):
        report(number, total, f"Slide {number}: {prepared.slide.heading}")
        fig = export.slide_figure(prepared.spec, prepared.frame, provenance, title=prepared.slide.heading,
                                  chart_options=prepared.slide.options, key_number=prepared.key_number)
        pages.append(export.render(fig, "pdf"))
    for page in pages:
        writer.append(PdfReader(io.BytesIO(page)))
    writer.add_metadata({"/Title": deck.name, "/Subject": provenance.filters, "/Creator": provenance.footer})
    report(total, total, "Done")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
