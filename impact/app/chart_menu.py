"""Streamlit glue under every chart and the deck of this session: the Download menu and "Add to deck".

The session's deck lives in the session (and, once edited or opened from a link, in the URL as a
validated token, so a deck can be shared as a link); it starts as the programme's default deck.
`drawing.show_chart` draws the menu under every chart; the Present page shows and edits the deck.
Of the other glue it imports only `text` and `language`, so the arrows point one way:
pages -> present -> drawing -> sidebar -> here.
"""

from __future__ import annotations

import streamlit as st

from impact.app import language
from impact.app.text import plain
from impact.charts import catalog, deck, export
from impact.model import i18n
from impact.model.i18n import N_
from impact.model.i18n import gettext as _

_DECK = "_deck"
BUILT_DECK = "_deck_file"  # session state: the deck file last built (its signature, format, bytes)
DECK_PARAM = "deck"


def current_deck() -> deck.Deck:
    """This session's deck: as edited, else from the link (validated), else the shipped default."""
    if _DECK not in st.session_state:
        token = st.query_params.get(DECK_PARAM)
        chosen = None
        if token:
            try:
                chosen = deck.from_token(token)
            except deck.DeckError as error:
                st.session_state["_deck_notice"] = _("The deck in the link was not loaded: {error}").format(error=error)
        # A button's callback runs before the page activates the programme: name it (set by session.programme_id).
        st.session_state[_DECK] = chosen or deck.default_deck(st.session_state.get("_programme"))
    return st.session_state[_DECK]


def set_deck(new: deck.Deck, *, in_url: bool = True) -> None:
    """Replace this session's deck (and its copy in the URL)."""
    st.session_state[_DECK] = new
    st.session_state.pop(BUILT_DECK, None)
    if in_url:
        st.query_params[DECK_PARAM] = new.to_token()


def forget_default_deck(programme_id: str | None) -> None:
    """Forget this session's deck while it is still `programme_id`'s default (not edited), so that another
    programme's own default deck replaces it."""
    if st.session_state.get(_DECK) == deck.default_deck(programme_id):
        st.session_state.pop(_DECK, None)


def add_to_deck(chart_id: str, options: dict | None = None) -> None:
    """Append a chart to this session's deck (a button callback)."""
    current = current_deck()
    try:
        set_deck(current.add(deck.Slide(chart_id, dict(options or {}))), in_url=False)
    except deck.DeckError as error:
        st.toast(plain(str(error)), icon=":material/error:")
        return
    st.toast(_("Added to the deck '{deck}': slide {slide}").format(deck=plain(current.name),
                                                                   slide=len(current.slides) + 1),
             icon=":material/slideshow:")


IMAGE_CHOICES = (
    ("PNG (1920×1080)", "png", 1, ":material/image:"),
    ("PNG 2× (3840×2160)", "png", 2, ":material/image:"),
    ("SVG", "svg", 1, ":material/draw:"),
    ("PDF", "pdf", 1, ":material/picture_as_pdf:"),
    (N_("CSV (numbers)"), "csv", 1, ":material/table:"),
    (N_("Excel (numbers)"), "xlsx", 1, ":material/table_view:"),
)


def chart_actions(spec: catalog.ChartSpec, frame, options: dict | None, key: str, *,
                  provenance: export.Provenance, deck: bool = True) -> None:
    """The download menu (files built only when clicked) and, with `deck`, "Add to deck" for one chart."""
    _menu(spec, frame, options, key, provenance, deck)


@st.fragment
def _menu(spec: catalog.ChartSpec, frame, options: dict | None, key: str, prov: export.Provenance,
          deck: bool) -> None:
    # A fragment: opening or closing the menu, or Add to deck, reruns this row only, not the page.
    # The menu's files are drawn only while it is open, so a page run sends one button per chart, not seven.
    words = language.current()  # a fragment's rerun: app.py has not set the session's language
    row = st.container(horizontal=True)
    menu = row.popover(_("Download"), icon=":material/download:", key=f"{key}_downloads", on_change="rerun")
    with menu:
        if menu.open:
            for label, fmt, scale, icon in IMAGE_CHOICES:
                st.download_button(
                    words.gettext(label), data=deferred_file(spec, frame, prov, fmt, scale, options, words.language),
                    file_name=export.file_name(spec.id, fmt, scale), mime=export.MIME_TYPES[fmt], icon=icon,
                    on_click="ignore", key=f"{key}_dl_{fmt}_{scale}", width="stretch",
                )
            st.caption(_("Images carry the title, the filters and the source; built when you click."))
    if deck:
        row.button(_("Add to deck"), icon=":material/slideshow:", key=f"{key}_add_to_deck",
                   on_click=add_to_deck, args=(spec.id, options))


def deferred_file(spec, frame, prov, fmt, scale, options, language: str = i18n.SOURCE):
    """A chart's file, built when clicked (outside the page's run) in the session's `language`."""
    def build() -> bytes:
        with i18n.using(language):
            return export.chart_bytes(spec, frame, prov, fmt, scale=scale, chart_options=options)

    return build
