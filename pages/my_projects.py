"""My projects: a signed-in partner's home — each of their projects against its targets, the return due this
quarter and when, the workbook, returns sent back with the team's note, what they sent and the comments."""

import streamlit as st

from impact.app import navigation, partner_home, session
from impact.model.i18n import gettext as _
from impact.reporting import due

navigation.ensure_navigation()
st.title(_("My projects"))
programme_store = session.programme_store()
account = partner_home.signed_in_partner(programme_store)
if account is None:
    st.caption(_("For the partners who report to the programme: your projects against their targets, the return "
                 "due this quarter, the returns sent back and your comments with the programme team. Sign in (an "
                 "administrator creates your account on the Data page)."))
    partner_home.sign_in(programme_store)
    st.stop()
as_of = partner_home.today()
owed = {d.project: d for d in due.due_now(programme_store, list(account.projects), as_of)}
partner_home.overview(programme_store, account, list(owed.values()), as_of)
partner_home.email_language(programme_store, account)
for project_id in account.projects:
    with st.container(border=True):
        partner_home.project_section(programme_store, account, project_id, owed.get(project_id), as_of)
