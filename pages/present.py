"""Present: symposium mode — one chart per slide, large type, projector colours, arrow keys to move."""

import streamlit as st

from impact.app import navigation, present
from impact.charts import deck
from impact.model.i18n import gettext as _

navigation.ensure_navigation()
present.projector_style()
current = present.current_deck()
present.share_in_url(current)
if notice := st.session_state.pop("_deck_notice", None):
    st.warning(notice)

if current.slides:
    index = present.slide_index(current)
    present.navigation(current, index)
    slides = deck.prepare(current, present.run_slide)
    present.show_slide(slides[index])
else:
    slides = []
    st.info(_("This deck has no slides yet: add charts below, or with “Add to deck” under any chart."))

with st.expander(_("Edit the deck"), icon=":material/edit:"):
    present.deck_editor(current)
with st.expander(_("Download the deck (PowerPoint, PDF or HTML)"), icon=":material/download:"):
    present.deck_downloads(current, slides)
