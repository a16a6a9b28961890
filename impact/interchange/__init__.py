"""Other standards' files: IATI 2.03 (the shipped schema, safe parsing, import-iati's mapping)."""
