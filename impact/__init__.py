"""Partnership Impact Dashboard: the core package (data, queries, filters, charts, export)."""
