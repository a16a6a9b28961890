"""Charts and exports: the one theme, figure builders, the chart catalogue, captions, image and table exports, and
decks (the model, and its PowerPoint, PDF and HTML writers chosen by format). They draw what the query layer returns;
nothing here imports Streamlit."""
