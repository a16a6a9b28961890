"""The data model: the extract's schema, a programme's definition (programme.json: vocabularies, phases,
indicators, disaggregations, reference figures), the metrics counted from them, the one calendar of quarters,
the ISO code lists, spreadsheet-cell neutralising and the data dictionary. It imports no other room."""
