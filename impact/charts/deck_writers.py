"""The deck writers by format: the one place that knows them all, so that the deck model (`deck`) imports none of
them and each writer builds on the model alone. The file extension names the format."""

from __future__ import annotations

from impact.charts import deck as decks
from impact.charts import export, html_deck, pdf_deck, pptx_deck

WRITERS = {  # format -> (deck, prepared slides, provenance, progress) -> the file's bytes
    "pptx": pptx_deck.build_pptx,
    "pdf": pdf_deck.build_pdf,
    "html": html_deck.build_html,  # one self-contained file of live charts
}
FORMATS = tuple(WRITERS)


def build(deck: decks.Deck, slides: list[decks.PreparedSlide], provenance: export.Provenance, fmt: str,
          progress: decks.Progress | None = None) -> bytes:
    """The deck as 'pptx', 'pdf' or 'html' (one self-contained file of live charts)."""
    if fmt not in WRITERS:
        raise ValueError(f"unknown deck format {fmt!r}; use {', '.join(FORMATS)}")
    return WRITERS[fmt](deck, slides, provenance, progress)
