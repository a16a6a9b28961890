"""Bringing data in and out as tables: the safe readers (CSV, Excel, Parquet, zip), validation with located
messages, the import and export of extracts, and the blank programme template. It writes through storage."""
