"""The query layer: the compiled DuckDB of a version and its named queries, the dimensions, the filter model,
indicator figures, the explorer's model and the portfolio's figures. It reads the data room, never the rooms above."""
