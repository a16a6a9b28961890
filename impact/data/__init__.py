"""The data model and its import: the calendar (quarters and years), the extract's schema, a programme's definition
(with the ISO country, currency and language codes it may use) and the metrics counted from them; readers, spreadsheet
cell safety and validation; the versioned store (a folder or S3) and the import transaction; import and export of
extracts, IATI activity files, partners' quarterly returns with partner accounts and their trail; the blank template,
the data dictionary and the generators of the illustrative extracts. Nothing here knows about queries, charts or
Streamlit."""
