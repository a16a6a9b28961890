"""Charts and exports: the one theme, figure builders, the chart catalogue, captions, image and table exports and
decks. They draw what the query layer returns; nothing here imports Streamlit."""
