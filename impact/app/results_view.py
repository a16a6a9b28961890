"""Streamlit glue for results against targets: the cached judgement, the date chooser, the programme's
indicators, the projects-against-targets table and a project's own targets (the Results page, the
Overview tiles and each project's page share them)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from impact.app import drawing, navigation, session, sidebar, widgets
from impact.app.text import plain
from impact.charts import catalog
from impact.model import calendar, i18n, metrics
from impact.model.i18n import gettext as _
from impact.query import filters, results

AS_OF_PARAM = "asof"
SCORE_PARAM = "score"
EXPORT_COLUMNS = ["project_id", "title", "country", "indicator", "baseline", "end_target", "end_due", "judged_at",
                  "expected", "actual", "achieved", "score", "of_end", "how"]


ROW_LIMIT = 1_000  # project indicators drawn in the table; the counts, filters and downloads cover every one


@st.cache_data(ttl=3600, max_entries=50, show_spinner=False)
def _programme_picture(version: str, path: str) -> results.Picture:
    database = session.version_database(version, path)  # the cached connection of that version
    with metrics.using(database.programme), i18n.using(i18n.SOURCE):  # shared by every session: canonical texts
        return results.programme_picture(database)


def programme_picture() -> results.Picture:
    """The programme's own targets and actuals, and the latest data (cached per data version)."""
    active = session.active_version()
    return _programme_picture(active.version, str(active.path))


def target_count() -> int:
    """How many targets the data version holds (the programme's and its projects')."""
    return int(session.query("targets_count")["targets"].iloc[0])


def has_targets() -> bool:
    """True when the data version holds any target (the programme's or a project's)."""
    return target_count() > 0


EAGER_TARGETS = 50_000  # up to this many targets every project is judged as the page opens (under a second)


def projects_section(day: dt.date) -> None:
    """Every project against its targets: at once for a programme of ordinary size (or a link that picks scores);
    for a larger one, when the person opens it — judging hundreds of thousands of project targets takes seconds."""
    targets = target_count()
    if targets <= EAGER_TARGETS or st.query_params.get_all(SCORE_PARAM):
        projects_table(day)
        return
    count = i18n.active().number(targets)
    every = st.expander(_("Every project against its targets ({count} targets: a few seconds to judge)").format(
        count=count), key="results_projects", on_change="rerun")
    with every:
        if every.open:
            with st.spinner(_("Judging {count} targets, project by project…").format(count=count)):
                projects_table(day)


def _scope(params: dict | None) -> dict:
    """The filters that choose projects (a target covers every cadre and gender)."""
    return filters.of_projects(params or sidebar.filter_params(), session.programme())


def programme_judged(day: dt.date) -> pd.DataFrame:
    """The programme's own targets judged at `day` (one row per metric), cached like a query."""
    active = session.active_version()
    return _programme_judged(active.version, str(active.path), day)


@st.cache_data(ttl=3600, max_entries=200, show_spinner=False)
def _programme_judged(version: str, path: str, day: dt.date) -> pd.DataFrame:
    programme = session.version_database(version, path).programme
    with metrics.using(programme), i18n.using(i18n.SOURCE):  # shared by every session: canonical texts
        return results.progress(_programme_picture(version, path), day, programme.results, programme.start,
                                projects=False)


def project_judged(day: dt.date, *, params: dict | None = None, project_id: str = "") -> pd.DataFrame:
    """Every project and metric with a target under the filters (or `project_id`'s) judged at `day`, cached like
    a query (its % in floating point: `results.exact` for the rows shown)."""
    active = session.active_version()
    return cached_project_judged(active.version, str(active.path), _scope(params), day, project_id)


@st.cache_data(ttl=3600, max_entries=200, show_spinner=False)
def cached_project_judged(version: str, path: str, params: dict, day: dt.date, project_id: str) -> pd.DataFrame:
    database = session.version_database(version, path)
    with metrics.using(database.programme), i18n.using(i18n.SOURCE):  # shared by every session: canonical texts
        return results.project_progress(database, params, day, project_id)


def default_day(pic: results.Picture) -> dt.date:
    """The latest data, or the end of the filters' last quarter when that is earlier."""
    chosen = sidebar.current_filters().period_to
    return min(pic.latest, calendar.quarter_end(chosen)) if chosen else pic.latest


def choose_day(pic: results.Picture) -> dt.date:
    """The date progress is judged at: a quarter's end, in the link as `asof=2015Q4`."""
    programme = session.programme()
    days = [calendar.quarter_end(q) for q in calendar.quarter_range(programme.start, pic.latest)]
    labels = [calendar.quarter_label(d) for d in days]
    default = calendar.quarter_label(default_day(pic))
    words = i18n.active()
    named = {label: words.date(day, "d MMMM y") for label, day in zip(labels, days)}  # bound now, in the language
    chosen = widgets.url_choice(_("Progress as of"), labels, AS_OF_PARAM, default, format_func=named.get,
                                read=calendar.normal_quarter,
                                help=_("The end of the quarter whose results are counted: every result up to that "
                                       "day, against what the targets expect by then. Default: the latest data."))
    return days[labels.index(chosen)]


def reading_note() -> str:
    """How the definition reads a date between milestones and scores % achieved, in one line."""
    programme = session.programme()
    words = i18n.active()
    bands = "; ".join(f"{b.score} {words.decimal(b.low)}–{words.percent(b.high / 100, exact=True)}"
                      if b.high is not None else f"{b.score} {words.percent(b.low / 100, exact=True)}" + _(" and above")
                      for b in programme.results.bands)
    reading = (_("the milestones are joined by straight lines from the start (interpolated)")
               if programme.results.between_milestones == "interpolate"
               else _("the latest milestone due counts until the next (last due)"))
    return _("% achieved = (actual − baseline) ÷ (expected − baseline); between due dates {reading}; after the "
             "end target, it is judged at its due date (the results up to then, not later ones). Scores: {bands} (a "
             "band holds its lower edge).").format(reading=reading, bands=bands)


def programme_indicators(day: dt.date) -> None:
    """The programme's own targets: each indicator's sentence, score, how it is counted and its chart."""
    rows = programme_judged(day)
    if rows.empty:
        st.info(_("The programme has no targets of its own in this data version."))
        return
    rows = rows.assign(indicator=[metrics.metric(m).label if metrics.is_metric(m) else name
                                  for m, name in zip(rows["metric"], rows["indicator"])])
    for row in rows.to_dict("records"):  # the chart beside its judgement: wide enough for its title and dates
        with st.container(border=True):
            judgement, chart = st.columns([1, 2])
            with judgement:
                st.metric(row["indicator"], row["score"], help=_("The annual review's score at the date chosen."))
                st.markdown(plain(results.sentence(row, day)))
                how = results.how_computed(row["metric"], None if pd.isna(row["baseline"]) else float(row["baseline"]))
                st.caption(plain(_("How: {how}.").format(how=how)))
            with chart:
                drawing.chart("results", {"metric": row["metric"]}, key=f"results_{row['metric']}", height=380)


def export_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The judged rows as the table people sort and take to Excel (% as fractions, numbers as numbers)."""
    out = rows.assign(achieved=rows["percent"] / 100, of_end=rows["percent_of_end"] / 100)
    return out[EXPORT_COLUMNS].reset_index(drop=True)


def projects_table(day: dt.date) -> None:
    """Every project and indicator with a target under the filters: filter by score, sort, open a project."""
    rows = project_judged(day)
    rows = rows.assign(indicator=[metrics.metric(m).label if metrics.is_metric(m) else name
                                  for m, name in zip(rows["metric"], rows["indicator"])])
    missing = session.query("projects_without_targets", _scope(None))
    counts = rows["score"].value_counts()
    programme = session.programme()
    order = [b.score for b in reversed(programme.results.bands)] + [results.NO_MILESTONE]
    words = i18n.active()
    st.caption(plain(_("{projects} projects under the filters have targets ({indicators} project indicators: "
                       "{scores}); {missing} have no target set.").format(
        projects=words.number(rows["project_id"].nunique()), indicators=words.number(len(rows)),
        scores=", ".join(f"{words.number(counts[s])} {s}" for s in order if s in counts),
        missing=words.number(len(missing)))))
    chosen = widgets.url_multi(_("Show scores"), [s for s in order if s in counts], SCORE_PARAM,
                               placeholder=_("Every score"), help=_("For example, only B and C: the projects behind."))
    shown = rows[rows["score"].isin(chosen)] if chosen else rows
    results_def = programme.results
    table = export_frame(results.exact(shown.head(ROW_LIMIT), results_def))
    if len(shown) > ROW_LIMIT:
        st.caption(_("The first {shown} of {count} project indicators in the table (by project); the CSV and Excel "
                     "files hold every one.").format(shown=words.number(ROW_LIMIT), count=words.number(len(shown))))
    event = drawing.table(table, formats=dict(catalog.RESULTS_TABLE.formats), key="results_table", on_select="rerun",
                          selection_mode="single-row")
    st.caption(_("Select a row to open the project; click a heading to sort."))
    selected = event.selection.rows if event is not None else []
    if selected:
        navigation.open_project(str(table["project_id"].iloc[selected[0]]))
    downloads(lambda: export_frame(results.exact(shown, results_def)) if len(shown) > ROW_LIMIT else table)
    if len(missing):
        with st.expander(_("Projects with no target set ({count})").format(count=words.number(len(missing)))):
            drawing.table(missing[["project_id", "title", "country"]])


def downloads(table) -> None:
    """The table (a frame, or what builds it when a file is clicked) as CSV and Excel."""
    drawing.table_downloads(catalog.RESULTS_TABLE, table if callable(table) else (lambda: table), key="results")


def project_targets(project_id: str) -> None:
    """One project's indicators against its targets (at the latest data), with each milestone chart."""
    everything = filters.everything(session.programme())
    pic = programme_picture()
    rows = results.exact(project_judged(pic.latest, params=everything, project_id=project_id),
                         session.programme().results)
    st.header(_("Against its targets"))
    if rows.empty:
        st.info(_("No target set for this project."))
        return
    st.caption(plain(_("As of the latest data, {day}. {note}").format(day=i18n.active().date(pic.latest, "d MMMM y"),
                                                                      note=reading_note())))
    rows = rows.assign(indicator=[metrics.metric(m).label if metrics.is_metric(m) else name
                                  for m, name in zip(rows["metric"], rows["indicator"])])
    drawing.table(export_frame(rows).drop(columns=["project_id", "title", "country"]),
                  formats=dict(catalog.RESULTS_TABLE.formats))
    for row in rows.to_dict("records"):
        st.markdown(plain(results.sentence(row, pic.latest)))
    metric = st.selectbox(_("Indicator"), list(rows["metric"]),
                          format_func=lambda m: rows.loc[rows["metric"] == m, "indicator"].iloc[0],
                          key="project_target_metric")
    drawing.chart("results", {"metric": metric, "project_id": project_id}, params=everything)


def tile_notes() -> dict[str, str]:
    """'38,701 by December 2015, 298% of the 13,000 target: A++.' for each headline metric with a programme target
    (none under filters)."""
    if not sidebar.current_filters().is_default:  # tiles then count a part of the programme, its targets the whole
        return {}
    active = session.active_version()
    return _tile_notes(active.version, str(active.path), _scope(None), i18n.active().language)


@st.cache_data(ttl=3600, max_entries=50, show_spinner=False)
def _tile_notes(version: str, path: str, params: dict, language: str) -> dict[str, str]:
    """The notes under unfiltered tiles, judged at the latest data, in `language` (cached per data version)."""
    database = session.version_database(version, path)
    with metrics.using(database.programme), i18n.using(language):
        pic = _programme_picture(version, path)
        rows = results.progress(pic, pic.latest, database.programme.results, database.programme.start,
                                programme_scope=True, projects=False)
    notes = {}
    for row in rows.to_dict("records"):
        if row["percent"] is None or pd.isna(row["percent"]):
            continue
        # The tile counts everything to the latest data; a target past due is judged at its due date, and says so.
        notes[row["metric"]] = results.judgement(row, pic.latest)
    return notes


def iati_download() -> None:
    """The programme's projects and results as an IATI 2.03 activity file, built when clicked."""
    from impact.interchange import iati as iati_data
    from impact.query import iati

    database = session.database()
    try:
        iati_data.section(database.programme)
    except ValueError as error:
        st.info(plain(str(error)))
        return

    def build() -> bytes:
        published = iati.publish(database)
        if not published.valid:  # never hand a funder a file that breaks the standard
            raise ValueError(f"the IATI file breaks the 2.03 schema: {published.problems[:3]}")
        return published.xml

    st.download_button(_("Download IATI 2.03 XML"), build, file_name=f"{database.programme.id}_iati.xml",
                       mime="application/xml", icon=":material/public:", on_click="ignore", key="iati_download")
    st.caption(_("One iati-activity per project: identifier, title, description, organisations, country, dates, "
                 "status, sector, budget and results (per period the target and the actual shown here), checked "
                 "against the official IATI 2.03 schema before it is offered. The whole programme, whatever the "
                 "filters. The same file: python -m impact export iati --out FILE.xml."))
