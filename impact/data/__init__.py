"""The data model and its import: the extract's schema, a programme's definition and the metrics counted from
them, readers and validation, the versioned store, import and export of extracts, the blank template, the data
dictionary and the generators of the illustrative extracts. Nothing here knows about queries, charts or Streamlit."""
