"""The programme this session shows and the data version a run reads, with the cached queries over it.

`begin_run` (app.py) looks at the store once a run: every query, chart and total of the run, and of the
fragments rerun before the next full run, reads that one version. Functions cached per version take the
version's id and folder as their key, so a new version is picked up without a restart.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from impact.app import auth, language, run_memo
from impact.charts import catalog
from impact.model import i18n, metrics
from impact.model.i18n import gettext as _
from impact.query import db, indicators
from impact.query.filters import Choices
from impact.storage import audit, store

PROGRAMME_PARAM = "programme"
_RUN = "_run_opened"  # session state: (programme id, active version, database) as this run's first look found them
_SENT = "_sent_before_charts"  # session state: this run has sent what it drew before its first chart


@st.cache_resource(max_entries=8, show_spinner=False)
def _database(version: str, path: str) -> db.Database:
    return db.open_database(path, version)


def programme_id() -> str | None:
    """The programme chosen in this session (the link's ?programme=, else the store's first)."""
    chosen = st.session_state.get("_programme")
    if chosen is not None:  # checked when it was chosen
        return chosen
    known = programmes()
    wanted = st.query_params.get(PROGRAMME_PARAM)
    if wanted is not None and wanted not in known:
        st.session_state["_programme_notice"] = _("Ignored the programme '{asked}' in the link: there is no such "
                                                  "programme here ({known}).").format(asked=wanted[:32],
                                                                                      known=", ".join(known))
    chosen = wanted if wanted in known else next(iter(known), None)
    st.session_state["_programme"] = chosen
    return chosen


def programmes() -> dict[str, store.Store]:
    """Every programme in the store, the default first (`store.programmes`, looked at once a run)."""
    return run_memo.remembered("programmes", store.programmes)


def database() -> db.Database:
    """The open database of the chosen programme's active data version (picked up without a restart).

    Its programme's indicators become metrics for this run, whichever page asks first.
    """
    return _opened()[1]


def active_version() -> store.ActiveVersion:
    """The data version this run reads (its id and folder): the one `begin_run` found, whatever became active since,
    so that everything a run shows comes from one version. Functions cached per version take it as their key."""
    return _opened()[0]


def version_database(version: str, path: str) -> db.Database:
    """The open database of one data version (opened once, shared by every session): for a function cached per
    version, given the `active_version()` of the run that called it."""
    return _database(version, path)


def client_address() -> str | None:
    """Where this script run's browser connects from: its address, and the one a proxy says it forwards (as the
    proxy states it: a client can write that header too); None outside a browser's run."""
    from impact.app import streamlit_compat

    if streamlit_compat.session_id() is None:
        return None
    direct = st.context.ip_address or "unknown address"
    forwarded = (st.context.headers.get("X-Forwarded-For") or "").strip()
    return f"{direct} (forwarded for {forwarded[:100]})" if forwarded else direct


def begin_run() -> None:
    """Look at the store once for this run (app.py, after the programme is chosen): every query and chart of the
    run, and of the fragments rerun before the next full run, reads that version. A new version is picked up by
    the next run, as before, and a run never mixes two."""
    audit.address_from(client_address)
    st.session_state[_SENT] = False
    st.session_state.pop(_RUN, None)
    active, data = _opened()
    st.session_state[_RUN] = (programme_id(), active, data)
    auth.record_oidc_sign_in(programme_store())


def first_chart_of_run() -> bool:
    """True once a run begun by `begin_run`: the first time a chart asks (outside such a run, never)."""
    if st.session_state.get(_SENT, True):
        return False
    st.session_state[_SENT] = True
    return True


def _opened() -> tuple[store.ActiveVersion, db.Database]:
    """The active version and its open database (one look at the store for both, once a run)."""
    language.current()  # a fragment's rerun: the session's language, as app.py set it for a full run
    seen = st.session_state.get(_RUN)
    if seen is not None and seen[0] == programme_id():
        active, data = seen[1], seen[2]
    else:
        active = programme_store().active()
        data = _database(active.version, str(active.path))
    if metrics.active_programme() is not data.programme:
        metrics.activate(data.programme)
    return active, data


def programme_store() -> store.Store:
    """The store of the programme this session shows (its versions, and its partners' accounts and returns)."""
    return store.open_store(None, programme_id())


def programme():
    """The chosen programme's definition (impact.model.programme.Programme)."""
    return database().programme


def all_databases() -> list[db.Database]:
    """The active version of every programme in the store, top-level programme first (the chosen programme's is the
    version this run reads)."""
    out, chosen = [], programme_id()
    for pid, held in programmes().items():
        active = active_version() if pid == chosen else held.active()
        if held.is_complete(active.version):
            out.append(_database(active.version, str(active.path)))
    return out


@st.cache_data(ttl=3600, max_entries=2000, show_spinner=False)
def cached_query(version: str, path: str, name: str, params: dict) -> pd.DataFrame:
    """A named query's result on one data version, cached per version and parameters (shared by every session)."""
    with i18n.using(i18n.SOURCE):  # shared by every session: canonical, whatever the language of the first asker
        return db.run_query(_database(version, path), name, params)


def query(name: str, params: dict | None = None) -> pd.DataFrame:
    """Run a named query on the chosen programme's active version, cached per version and parameters."""
    active, _ = _opened()  # opens it (and makes its indicators metrics) on a run's first query
    return cached_query(active.version, str(active.path), name, params or {})


@st.cache_data(ttl=3600, max_entries=500, show_spinner=False)
def cached_compute(version: str, path: str, chart_id: str, options: dict, params: dict) -> pd.DataFrame:
    """A computed chart's table (one with no single query) on one data version, cached per version and parameters."""
    with i18n.using(i18n.SOURCE):  # shared by every session: its texts (if any) in the source language
        return catalog.chart(chart_id, options).fetch(_database(version, path), params, options)


def totals(params: dict) -> pd.Series:
    """The headline figures under `params`: the structural metrics and the programme's indicators."""
    active, _ = _opened()
    return cached_totals(active.version, str(active.path), params)


@st.cache_data(ttl=3600, max_entries=500, show_spinner=False)
def cached_totals(version: str, path: str, params: dict) -> pd.Series:
    """The headline figures of one data version under `params`, cached per version and parameters."""
    row = cached_query(version, path, "headline_totals", params).iloc[0]
    figures = indicators.totals(cached_query(version, path, "indicator_totals", params),
                                _database(version, path).programme)
    return pd.concat([row, pd.Series(figures, dtype="float64")])


def filter_choices() -> Choices:
    """Allowed filter values for the active data."""
    active, _ = _opened()
    return _cached_choices(active.version, str(active.path))


@st.cache_data(ttl=3600, max_entries=50, show_spinner=False)
def _cached_choices(version: str, path: str) -> Choices:
    return Choices.from_frame(cached_query(version, path, "filter_choices", {}), _database(version, path).programme)
