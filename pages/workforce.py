"""Health workforce: who was trained — cadre, gender, theme, training type, country and time —
and cascade training (trainers trained, and the health workers they went on to train)."""

import streamlit as st

from impact.app import drawing, navigation, session, sidebar
from impact.app.text import plain
from impact.charts import captions
from impact.model import i18n
from impact.model.i18n import gettext as _
from impact.model.metrics import format_metric, is_metric, metric
from impact.query import explore

navigation.ensure_navigation()
st.title(_("Health workforce: who was trained"))
st.caption(plain(sidebar.filter_summary()))

totals = session.query("training_by_dimension", {**sidebar.filter_params(), **explore.totals_params()})
# No training under the filters is no row: each figure is then its value over no rows (0 trained, no women's share).
row = totals.iloc[0] if len(totals) else {c: metric(c).over_no_rows for c in totals.columns if is_metric(c)}
drawing.kpi_tiles(row, ["trainees", "women_trained", "women_share", "countries_trained"], published=True)

st.header(_("Cascade training"))
trainers, cascade = row.get("trainers_trained", 0), row.get("cascade_trainees", 0)
drawing.kpi_tiles(row, ["trainers_trained", "cascade_trainees"], columns=3)
if trainers:
    st.caption(plain(_(
        "Each trainer trained went on to train {average} health workers on average ({cascade} by cascade from "
        "{trainers} trainers); cascade training is {share} of all training.").format(
        average=i18n.active().number(cascade / trainers, 1), cascade=format_metric("cascade_trainees", cascade),
        trainers=format_metric("trainers_trained", trainers), share=captions.share(cascade, row.get("trainees", 0)))))

cadre, share = st.columns(2)
with cadre:
    drawing.chart("explore", {"by": "cadre", "split": "gender"})
with share:
    drawing.chart("explore", {"metric": "women_share", "by": "cadre"})
kind, time = st.columns(2)
with kind:
    drawing.chart("explore", {"by": "training_type"})
with time:
    drawing.chart("explore", {"by": "time", "split": "training_type", "chart": "area"})
theme, country = st.columns(2)
with theme:
    drawing.chart("explore", {"by": "theme", "split": "gender"})
with country:
    drawing.chart("explore", {"by": "country"})
