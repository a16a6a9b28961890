"""The query layer: the compiled DuckDB of a version, its rollups and its named queries, the dimensions and the filter
macros generated from them, the filter model, indicator figures, results against targets, who has reported, the
explorer's model, the portfolio's figures and a programme published as IATI activities. It reads the data room, never
the rooms above."""
