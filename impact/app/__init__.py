"""The Streamlit glue below the pages: shared state and filters, tiles and charts with their menu, the session's
deck and the Present page's parts, text made safe to show, administrators. The only room that imports Streamlit."""
