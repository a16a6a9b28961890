"""Countries: a map of one metric by country; a click on a country (or a link such as ?country=UGA)
opens that country's profile — its figures, trend, themes, cadres, projects and partners."""

import streamlit as st

from impact.app import drawing, navigation, session, sidebar, widgets
from impact.app.text import plain
from impact.charts import captions, catalog
from impact.model import i18n
from impact.model.i18n import N_
from impact.model.i18n import gettext as _
from impact.model.metrics import format_metric, metric
from impact.query import explore
from impact.query.filters import with_filters

navigation.ensure_navigation()
filters = sidebar.current_filters()
opts = session.filter_choices()

if len(filters.country) == 1:
    iso3 = filters.country[0]
    name = i18n.active().country(iso3, opts.countries.get(iso3, iso3))
    params = sidebar.filter_params()
    here = session.totals(params)
    programme = session.totals(with_filters(params, country=[]))
    cadres = session.query("training_by_dimension", {**params, **explore.totals_params("cadre")})

    st.button(_("All countries"), icon=":material/arrow_back:", on_click=navigation.choose_country, args=(None,),
              key="country_back")
    st.title(plain(name), anchor=False)
    st.markdown(plain(captions.country_profile(name, here["trainees"], programme["trainees"],
                                               cadres.rename(columns={"category": "cadre"}))))
    st.caption(plain(sidebar.filter_summary()))
    drawing.kpi_tiles(here, ["trainees", "women_trained", "projects", "volunteer_days_overseas",
                             "institutions_overseas", "institutions_uk", "volunteer_days_uk",
                             *session.programme().headline_indicators()[:1]])
    share = st.columns(4)
    shares = {"trainees": N_("Share of all health workers trained"),
              "volunteer_days": N_("Share of all volunteer days"),
              "projects": N_("Share of all projects"), "budget_gbp": N_("Share of all grant funding")}
    for column, (key, what) in zip(share, shares.items()):
        with column.container(border=True):
            st.metric(_(what), captions.share(here[key], programme[key]),
                      help=_("{part} of {whole} under the other filters").format(
                          part=format_metric(key, here[key]), whole=format_metric(key, programme[key])))
            st.caption(_("Of the whole programme under the other filters."))

    trend, themes = st.columns([3, 2])
    with trend:
        drawing.chart("trainees_trend")
    with themes:
        drawing.chart("explore", {"by": "theme"})
    cadre, gender = st.columns(2)
    with cadre:
        drawing.chart("explore", {"by": "cadre", "split": "gender"})
    with gender:
        drawing.chart("explore", {"metric": "volunteer_days", "by": "profession", "split": "location"})

    st.header(_("Projects and partner institutions in {country}").format(country=plain(name)))
    listed = {**params, "search": ""}
    # Each list is built when its tab is open (at scale each reads every project's partners).
    home = session.programme().home_in()  # the sides' labels in the reader's words
    projects_tab, institutions_tab = st.tabs([_("Projects"), _("Partner institutions: {home} side and overseas").format(
        home=home.home)],
                                             key="country_lists", on_change="rerun")
    if projects_tab.open:
        with projects_tab:
            drawing.projects_listing(listed, "country_projects", then=_("Select a row to open the project's page."))
    if institutions_tab.open:
        with institutions_tab:
            drawing.institutions_listing(listed, "country_institutions")
else:
    st.title(_("Countries"))
    st.caption(_("Click a country on the map to open its profile.") + " " + plain(sidebar.filter_summary()))
    shown = widgets.url_choice(_("Show on the map"), list(catalog.MAP_METRICS), "map", "trainees",
                               format_func={key: metric(key).label for key in catalog.MAP_METRICS}.get,
                               widget=st.segmented_control)
    drawing.chart("country_map", {"metric": shown}, key="country_map", height=620,
                  on_select=navigation.choose_country_on_map, selection_mode="points")
    ranked = session.query("country_metrics", sidebar.filter_params())
    named = {code: i18n.active().country(code, opts.countries.get(code, code)) for code in ranked["iso3"]}
    st.selectbox(_("Or open a country's profile"), list(named), index=None, placeholder=_("Choose a country"),
                 format_func=named.get, key="country_pick",
                 on_change=navigation.choose_country_from_state, args=("country_pick",))
    st.header(_("All countries"))
    drawing.table(ranked)
