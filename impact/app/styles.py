"""The page's look every page shares: readable captions, text for screen readers only, keyboard focus into menus.

CSS and a constant script (no data in either) drawn once a run by `page_style`; colours come from the theme.
"""

from __future__ import annotations

import streamlit as st

from impact.charts import theme
from impact.model import i18n

# Streamlit draws captions in its text colour at 60% opacity (#767D83 on white, 4.2:1, and #717981 on the
# sidebar, 4.0:1): below WCAG's 4.5:1, and there is no theme option for it. The theme's muted colour,
# opaque, reaches 4.5:1 on both backgrounds (tests/test_theme_contrast.py).
# A chart's text alternative (`_description` in drawing.py) is read by screen readers but takes no room on screen.
ACCESSIBLE_CSS = f"""
<style>
[data-testid="stCaptionContainer"] {{ color: {theme.COLORS["muted"]}; opacity: 1; }}
[data-testid="stElementContainer"]:has(.impact-sr-only), .impact-sr-only {{
  position: absolute !important; width: 1px !important; height: 1px !important; margin: -1px !important;
  padding: 0 !important; overflow: hidden !important; clip: rect(0 0 0 0) !important; white-space: nowrap;
  border: 0 !important;
}}
</style>
"""


# Streamlit draws a popover's content (the Download menu) at the end of the page, so Tab from its button
# goes on through the page and reaches the menu only after everything else. This moves the focus into a
# popover when it opens, and back to its button on Escape or past either end of the menu. A constant
# script, no data in it.
POPOVER_FOCUS_JS = """
<script>
(() => {
  const doc = window.parent && window.parent.document ? window.parent.document : document;
  if (doc.defaultView.__impactPopoverFocus) return;
  doc.defaultView.__impactPopoverFocus = true;
  const focusable = 'button:not([disabled]), a[href], input:not([disabled]), [tabindex]:not([tabindex="-1"])';
  let opener = null;
  let handled = null;
  doc.addEventListener('focusin', (event) => {
    if (event.target.closest && event.target.closest('[data-testid="stPopoverButton"]')) opener = event.target;
  });
  new MutationObserver(() => {
    const body = doc.querySelector('[data-testid="stPopoverBody"]');
    if (!body) { handled = null; return; }
    const first = body.querySelector(focusable);
    if (first && body !== handled && opener && doc.activeElement === opener) {
      handled = body;
      setTimeout(() => first.focus(), 0);
    }
  }).observe(doc.body, {childList: true, subtree: true});
  doc.addEventListener('keydown', (event) => {
    const body = opener && event.target.closest && event.target.closest('[data-testid="stPopoverBody"]');
    if (!body) return;
    const items = [...body.querySelectorAll(focusable)];
    const back = opener;
    if (event.key === 'Escape') {
      setTimeout(() => back.focus(), 0);
    } else if (event.key === 'Tab' && event.target === items[event.shiftKey ? 0 : items.length - 1]) {
      // Leaving the menu's ends goes back to its button, whence Tab carries on through the page.
      event.preventDefault();
      back.focus();
    }
  }, true);
})();
</script>
"""


# A language written right to left lays the page out from the right (none ships yet; the room is left for one).
RIGHT_TO_LEFT_CSS = """
<style>
[data-testid="stAppViewContainer"], [data-testid="stSidebar"] { direction: rtl; text-align: right; }
</style>
"""


def direction_style(words: i18n.Translator) -> str:
    """The constant CSS a language's direction needs ('' for left to right)."""
    return RIGHT_TO_LEFT_CSS if words.direction == "rtl" else ""


def page_style() -> None:
    """Styles every page needs (readable captions, keyboard focus into menus, the language's direction); Present
    adds the projector's."""
    st.html(ACCESSIBLE_CSS + direction_style(i18n.active()))
    st.html(POPOVER_FOCUS_JS, unsafe_allow_javascript=True)
