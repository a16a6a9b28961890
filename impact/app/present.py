"""Streamlit glue for the Present page: its slides, navigation, deck editor and deck exports.

The session's deck itself (and "Add to deck" under every chart) is `impact.app.chart_menu`'s.
"""

from __future__ import annotations

import hashlib

import streamlit as st

from impact.app import drawing, session, sidebar
from impact.app.chart_menu import BUILT_DECK, DECK_PARAM, current_deck, set_deck
from impact.app.text import plain
from impact.charts import catalog, deck, deck_writers, export, theme
from impact.model import i18n
from impact.model.i18n import gettext as _

SLIDE_PARAM = "slide"
_SLIDE = "_slide"  # session state: the index of the slide shown
DECK_FORMATS = (("pptx", "PowerPoint"), ("pdf", "PDF"), ("html", "HTML"))  # format, button label
_BUILD_REQUEST = "_deck_build_request"

PROJECTOR_CSS = f"""
<style>
[data-testid="stAppViewContainer"], [data-testid="stMain"], [data-testid="stHeader"] {{
  background: {theme.PROJECTOR["background"]};
}}
[data-testid="stMain"] .block-container {{ padding-top: 4rem; padding-bottom: 1rem; max-width: 100%; }}
[data-testid="stMain"] h1, [data-testid="stMain"] h2, [data-testid="stMain"] h3,
[data-testid="stMain"] p, [data-testid="stMain"] li, [data-testid="stMain"] label,
[data-testid="stMain"] [data-testid="stMetricValue"], [data-testid="stMain"] [data-testid="stMetricLabel"],
[data-testid="stMain"] summary {{ color: {theme.PROJECTOR["text"]}; }}
[data-testid="stMain"] [data-testid="stCaptionContainer"] {{ color: {theme.PROJECTOR["muted"]}; opacity: 1; }}
[data-testid="stMain"] [data-testid="stMetricValue"] {{ font-size: 3.4rem; }}
[data-testid="stMain"] [data-testid="stMetricValue"] * {{ color: {theme.PROJECTOR["primary"]}; }}
[data-testid="stMain"] button {{
  background: {theme.PROJECTOR["grid"]}; border-color: {theme.PROJECTOR["grid"]}; color: {theme.PROJECTOR["text"]};
}}
[data-testid="stMain"] button:disabled {{ opacity: 0.35; }}
[data-testid="stMain"] button p, [data-testid="stMain"] button span {{ color: {theme.PROJECTOR["text"]}; }}
[data-testid="stMain"] [data-testid="stExpander"] details {{ border-color: {theme.PROJECTOR["grid"]}; }}
[data-testid="stMain"] [data-testid="stExpander"] summary,
[data-testid="stMain"] [data-testid="stExpander"] summary:hover {{ background: transparent; }}
[data-testid="stMain"] [data-testid="stExpander"] summary *,
[data-testid="stMain"] [data-testid="stText"], [data-testid="stMain"] [data-testid="stText"] * {{
  color: {theme.PROJECTOR["text"]};
}}
</style>
"""


def slide_index(current: deck.Deck) -> int:
    """The slide on screen (0-based), from the session or the URL, kept within the deck."""
    if _SLIDE not in st.session_state:
        raw = st.query_params.get(SLIDE_PARAM, "1")
        st.session_state[_SLIDE] = int(raw) - 1 if raw.isdigit() and len(raw) < 4 else 0
    index = max(0, min(st.session_state[_SLIDE], len(current.slides) - 1))
    st.session_state[_SLIDE] = index
    return index


def go_to(index: int) -> None:
    """Show slide `index` (a button callback)."""
    st.session_state[_SLIDE] = index
    st.query_params[SLIDE_PARAM] = str(index + 1)


def share_in_url(current: deck.Deck) -> None:
    """Keep a deck other than the default one in the URL, so the page's link opens it."""
    token = current.to_token()
    if st.query_params.get(DECK_PARAM) != token and (DECK_PARAM in st.query_params or current != deck.default_deck()):
        st.query_params[DECK_PARAM] = token


def run_slide(spec: catalog.ChartSpec, options: dict):
    """A slide's data under the shared filters (cached like every query)."""
    return drawing.chart_frame(spec, options)


# ---- the Present page's parts --------------------------------------------------------------

def projector_style() -> None:
    """Dark, high-contrast page for a projector."""
    st.html(PROJECTOR_CSS)


def navigation(current: deck.Deck, index: int) -> None:
    """Previous / slide number / next; the arrow keys press the buttons."""
    total = len(current.slides)
    left, middle, right = st.columns([1, 4, 1], vertical_alignment="center")
    left.button(_("Previous"), icon=":material/arrow_back:", shortcut="Left", disabled=index == 0,
                on_click=go_to, args=(index - 1,), key="present_prev", width="stretch")
    words = i18n.active()
    where = _("Slide {number} of {total}").format(number=words.number(index + 1), total=words.number(total))
    middle.markdown(f"**{plain(where)}** · {plain(current.name)}  \n"
                    f":small[{plain(_('Arrow keys ← → move between slides · F11 for full screen'))}]",
                    text_alignment="center")
    right.button(_("Next"), icon=":material/arrow_forward:", icon_position="right", shortcut="Right",
                 disabled=index >= total - 1, on_click=go_to, args=(index + 1,), key="present_next",
                 width="stretch")


def show_slide(prepared: deck.PreparedSlide, height: int = 600) -> None:
    """One slide: large title, the key number, the filters, the chart in the projector theme."""
    spec, slide = prepared.spec, prepared.slide
    head, number = st.columns([4, 1], vertical_alignment="bottom")
    with head:
        st.title(plain(slide.heading), anchor=False)
        st.markdown(plain(sidebar.filter_summary()))
    key = prepared.key_number
    if key:
        number.metric(key[0], key[1])
    if prepared.frame.empty:
        st.info(plain(spec.when_empty or _("No results for these filters.")))
        return
    fig = theme.projector(spec.figure(prepared.frame, title="", subtitle="", options=slide.options))
    fig.update_layout(height=height, margin=dict(t=40))
    st.plotly_chart(fig, theme=None, config={**drawing.PLOTLY_CONFIG, "displayModeBar": False},
                    key=f"present_chart_{slide.chart}")
    if slide.note:
        with st.expander(_("Speaker note")):
            st.text(slide.note)


def deck_editor(current: deck.Deck) -> None:
    """Rename, reorder, remove and add slides; save the deck as JSON or load one."""
    name = st.text_input(_("Deck name"), current.name, max_chars=deck.MAX_NAME, key="deck_name")
    if name.strip() and name != current.name:
        set_deck(current.renamed(name))
        st.rerun()
    for i, slide in enumerate(current.slides):
        row = st.columns([8, 1, 1, 1], vertical_alignment="center")
        row[0].text(f"{i + 1}. {slide.heading}")
        row[1].button("", icon=":material/arrow_upward:", key=f"deck_up_{i}", disabled=i == 0,
                      help=_("Move up"), on_click=_edit, args=("move", i, -1))
        row[2].button("", icon=":material/arrow_downward:", key=f"deck_down_{i}", help=_("Move down"),
                      disabled=i == len(current.slides) - 1, on_click=_edit, args=("move", i, 1))
        row[3].button("", icon=":material/delete:", key=f"deck_remove_{i}", help=_("Remove"),
                      on_click=_edit, args=("remove", i, 0))
    add, title, go = st.columns([3, 3, 1], vertical_alignment="bottom")
    choices = {c: catalog.in_language(catalog.CHARTS[c]).title for c in catalog.standalone()} | _results_choices()
    chart_id = add.selectbox(_("Add a chart"), list(choices), key="deck_add_chart", format_func=choices.get)
    custom = title.text_input(_("Slide title (optional)"), key="deck_add_title", max_chars=deck.MAX_TITLE)
    go.button(_("Add"), icon=":material/add:", key="deck_add", on_click=_add, args=(chart_id, custom))
    save, load = st.columns(2)
    save.download_button(_("Save deck (JSON)"), current.to_json(), file_name=_file_stem(current) + ".json",
                         mime="application/json", icon=":material/save:", on_click="ignore", key="deck_save")
    upload = load.file_uploader(_("Load a deck (JSON)"), type=["json"], key="deck_upload")
    if upload is not None and st.session_state.get("_deck_loaded") != upload.file_id:
        st.session_state["_deck_loaded"] = upload.file_id
        try:
            set_deck(deck.from_json(upload.getvalue()))
            st.session_state[_SLIDE] = 0
            st.rerun()
        except deck.DeckError as error:
            st.error(plain(_("Could not load {file}: {error}").format(file=upload.name, error=str(error))))
    st.button(_("Back to the default deck"), key="deck_reset", on_click=_reset)


def _edit(action: str, index: int, offset: int) -> None:
    current = current_deck()
    set_deck(current.move(index, offset) if action == "move" else current.remove(index))


def _results_choices() -> dict[str, str]:
    """'results:<metric>' for each metric the programme has its own targets for: its milestone chart."""
    keys = dict.fromkeys(session.query("programme_targets_list")["metric"])  # not every project's: millions at scale
    return {f"{RESULTS}:{key}": catalog.chart(RESULTS, {"metric": key}).title for key in keys}


RESULTS = "results"


def _add(chart_id: str, title: str) -> None:
    current = current_deck()
    chart_id, _, metric = chart_id.partition(":")
    try:
        set_deck(current.add(deck.Slide(chart_id, {"metric": metric} if metric else {},
                                        title.strip()[: deck.MAX_TITLE])))
    except deck.DeckError as error:
        st.toast(plain(str(error)), icon=":material/error:")


def _reset() -> None:
    set_deck(deck.default_deck())
    if DECK_PARAM in st.query_params:
        del st.query_params[DECK_PARAM]
    st.session_state[_SLIDE] = 0


def _file_stem(current: deck.Deck) -> str:
    stem = "".join(ch if ch.isalnum() else "_" for ch in current.name.lower()).strip("_")
    return stem[:60] or "deck"


def _request_build(fmt: str) -> None:
    # Kept in the session, not read from the button's return value: a press survives a rerun of the page
    # (e.g. `navigation.ensure_navigation` rerunning it through app.py), and the build still runs in place.
    st.session_state[_BUILD_REQUEST] = fmt


def deck_downloads(current: deck.Deck, prepared: list[deck.PreparedSlide]) -> None:
    """Build the deck as PowerPoint, PDF or one self-contained HTML file with a progress bar, then offer it."""
    prov = drawing.current_provenance()
    signature = hashlib.sha256(f"{current.to_token()}|{prov}".encode()).hexdigest()
    for column, (fmt, label) in zip(st.columns(len(DECK_FORMATS)), DECK_FORMATS, strict=True):
        column.button(_("Build {format}").format(format=label), icon=":material/build:", key=f"deck_build_{fmt}",
                      on_click=_request_build, args=(fmt,))
    fmt = st.session_state.pop(_BUILD_REQUEST, None)
    if fmt in dict(DECK_FORMATS):
        label = dict(DECK_FORMATS)[fmt]
        bar = st.progress(0.0, text=_("Building the {format} deck…").format(format=label))

        def progress(done: int, total: int, what: str) -> None:
            bar.progress(done / total, text=f"{label}: {what}")

        data = deck_writers.build(current, prepared, prov, fmt, progress=progress)
        st.session_state[BUILT_DECK] = (signature, fmt, data)
    st.caption(_("HTML: one file with live charts that opens in any browser with no server and no internet; "
                 "→ ← or a clicker move, F is full screen, S the speaker view, and it prints one slide a page."))
    built = st.session_state.get(BUILT_DECK)
    if built and built[0] == signature:
        fmt, data = built[1], built[2]
        st.download_button(_("Download {file}").format(file=f"{_file_stem(current)}.{fmt}"), data, file_name=f"{_file_stem(current)}.{fmt}",
                           mime=export.MIME_TYPES[fmt], icon=":material/download:", type="primary",
                           on_click="ignore", key="deck_download")
