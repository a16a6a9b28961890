"""My projects: a signed-in partner's home — each of their projects against its targets, the return due this
quarter and when, the workbook, returns sent back with the team's note, what they sent and the comments."""

import streamlit as st

from impact.app import navigation, partner_home, session
from impact.reporting import due

navigation.ensure_navigation()
st.title("My projects")
root = session.programme_store().root
account = partner_home.signed_in_partner(root)
if account is None:
    st.info("Sign in as a partner (on your project's page, under Partnerships) to see your projects here.")
    st.stop()
as_of = partner_home.today()
owed = {d.project: d for d in due.due_now(root, list(account.projects), as_of)}
partner_home.overview(root, account, list(owed.values()), as_of)
for project_id in account.projects:
    with st.container(border=True):
        partner_home.project_section(root, account, project_id, owed.get(project_id), as_of)
