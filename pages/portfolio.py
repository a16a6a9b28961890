"""Portfolio: every programme in the store side by side on what they all count — health workers trained,
women's share, volunteer days overseas and from home, countries, projects and funding (each in its own currency,
added up only where programmes share one) — per calendar year and in total, with a map of where each worked. Its
own filters (years, regions, countries) apply to every programme; the sidebar's filters belong to one programme
and do not apply here."""

import datetime as dt

import streamlit as st

from impact.app import drawing, navigation, session, widgets
from impact.app.text import plain
from impact.charts import catalog, export
from impact.charts.catalog import PORTFOLIO as CHARTS
from impact.model import i18n
from impact.model.i18n import N_
from impact.model.i18n import gettext as _
from impact.model.metrics import format_metric
from impact.query import portfolio
from impact.query.portfolio import Scope

navigation.ensure_navigation()
databases = session.all_databases()
st.title(_("Portfolio: the programmes side by side"))
st.caption(_("Each programme's own figures, from its own data and definition. The sidebar's filters belong to one "
             "programme; the choices below apply to all of them."))

years = sorted({y for d in databases for y in range(d.programme.start.year, d.programme.end.year + 1)})
labels = [str(y) for y in years]
regions = sorted({r for d in databases for r in d.programme.values("region")})
every = portfolio.countries(databases, Scope())
names = {iso3: i18n.active().country(iso3, name) for iso3, name in zip(every["iso3"], every["country"])}
span, where, which = st.columns([2, 2, 2])
with span:
    first, last = (widgets.url_range(_("Years"), labels, "years", (labels[0], labels[-1])) if len(labels) > 1
                   else (labels[0],) * 2)
with where:
    chosen_regions = widgets.url_multi(_("Regions"), regions, "pregion", placeholder=_("All"))
with which:
    chosen_countries = widgets.url_multi(_("Countries"), sorted(names, key=names.get), "pcountry", placeholder=_("All"),
                                         format_func=names.get)
scope = Scope(int(first), int(last), tuple(chosen_regions), tuple(chosen_countries))
st.caption(plain(scope.describe()))
source = export.Provenance(_("Portfolio of {count} programmes").format(count=len(databases)), ", ".join(
    f"{d.programme.short_name} {d.version}" for d in databases), dt.date.today(), scope.describe())

totals = portfolio.totals(databases, scope)
tiles = st.columns(4)
for column, (key, label) in zip(tiles, (("trainees", N_("Health workers trained")), ("volunteer_days_overseas",
                                        N_("Volunteer days overseas")), ("projects", N_("Projects")))):
    with column.container(border=True):
        st.metric(_(label), format_metric(key, totals[key].sum()),
                  help=_("All programmes added up; the table below gives each programme's own figure."))
        st.caption(plain(" · ".join(f"{p}: {format_metric(key, v)}" for p, v in zip(totals["programme"], totals[key]))))
money = portfolio.funding(databases, totals)  # each programme in its own currency, added up only within one
with tiles[3].container(border=True):
    st.metric(_("Grant funding"), money.total,
              help=_("Programmes paid in the same currency added up (one total per currency); the table below gives "
                     "each programme's own figure and currency."))
    st.caption("  \n".join(plain(line) for line in (money.each, money.note) if line))
st.header(_("Each programme in total"))
drawing.table(portfolio.readable(totals))

by_year = portfolio.by_year(databases, scope)
for chart_id in ("portfolio_trainees", "portfolio_volunteer_days", "portfolio_women_share"):
    drawing.show_chart(catalog.in_language(CHARTS[chart_id]), by_year, key=chart_id, subtitle=scope.describe(), provenance=source,
                       deck=False)
places = portfolio.countries(databases, scope)
drawing.show_chart(catalog.in_language(CHARTS["portfolio_map"]), places, key="portfolio_map", subtitle=scope.describe(), provenance=source,
                   deck=False, height=560)
st.header(_("Where each programme worked"))
drawing.table(places)
