"""Health workforce: who was trained — cadre, gender, theme, training type, country and time —
and cascade training (trainers trained, and the health workers they went on to train)."""

import streamlit as st

from impact.app import ui
from impact.charts import captions
from impact.model.metrics import format_metric, is_metric, metric
from impact.query import explore

ui.ensure_navigation()
st.title("Health workforce: who was trained")
st.caption(ui.plain(ui.filter_summary()))

totals = ui.query("training_by_dimension", {**ui.filter_params(), **explore.totals_params()})
# No training under the filters is no row: each figure is then its value over no rows (0 trained, no women's share).
row = totals.iloc[0] if len(totals) else {c: metric(c).over_no_rows for c in totals.columns if is_metric(c)}
ui.kpi_tiles(row, ["trainees", "women_trained", "women_share", "countries_trained"], published=True)

st.header("Cascade training")
trainers, cascade = row.get("trainers_trained", 0), row.get("cascade_trainees", 0)
ui.kpi_tiles(row, ["trainers_trained", "cascade_trainees"], columns=3)
if trainers:
    st.caption(ui.plain(
        f"Each trainer trained went on to train {cascade / trainers:.1f} health workers on average "
        f"({format_metric('cascade_trainees', cascade)} by cascade from {format_metric('trainers_trained', trainers)} "
        f"trainers); cascade training is {captions.share(cascade, row.get('trainees', 0))} of all training."))

cadre, share = st.columns(2)
with cadre:
    ui.chart("explore", {"by": "cadre", "split": "gender"})
with share:
    ui.chart("explore", {"metric": "women_share", "by": "cadre"})
kind, time = st.columns(2)
with kind:
    ui.chart("explore", {"by": "training_type"})
with time:
    ui.chart("explore", {"by": "time", "split": "training_type", "chart": "area"})
theme, country = st.columns(2)
with theme:
    ui.chart("explore", {"by": "theme", "split": "gender"})
with country:
    ui.chart("explore", {"by": "country"})
