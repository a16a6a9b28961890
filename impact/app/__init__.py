"""The Streamlit glue below the pages: shared state and filters, tiles and charts with their menu, the session's
deck and the Present page's parts, the Results page's parts, quarterly returns on a project's page and the Data page,
text made safe to show, administrators' and partners' sign-in. The only room that imports Streamlit."""
