"""What a run reads once (impact.app.run_memo): the secrets and the store's programmes once a run, seen afresh by the
next run; the request's cookies and Accept-Language once a session."""

from __future__ import annotations

import shutil

import streamlit as st
from streamlit.runtime.secrets import Secrets

from impact.app import auth, language
from impact.storage import store
from tests.conftest import ROOT, make_app


def test_the_secrets_are_read_once_a_run_and_again_by_the_next(monkeypatch):
    reads = []
    real = Secrets.to_dict
    monkeypatch.setattr(Secrets, "to_dict", lambda self: reads.append(1) or real(self))
    at = make_app("pages/data.py")  # the Data page asks whether an administrator or a provider is configured
    assert not at.exception
    runs = len(reads)
    at.run()
    assert len(reads) - runs == 1  # one read for the run, however many checks asked


def test_a_password_configured_between_two_runs_is_seen_by_the_second(monkeypatch):
    monkeypatch.delenv(auth.HASH_ENV, raising=False)
    at = make_app("pages/data.py")
    assert any("Importing is switched off" in i.value for i in at.info)
    at.secrets["admin_password_hash"] = auth.hash_password("a long enough password")
    at.run()
    assert not any("Importing is switched off" in i.value for i in at.info)
    assert at.text_input(key="admin_password") is not None


def test_a_programme_added_between_two_runs_is_in_the_chooser_on_the_next(tmp_path, monkeypatch):
    top = tmp_path / "data"
    shutil.copytree(ROOT / "data", top, ignore=shutil.ignore_patterns("programmes"))
    monkeypatch.setenv("IMPACT_DATA_DIR", str(top))
    st.cache_data.clear()
    st.cache_resource.clear()
    at = make_app()
    assert not [s for s in at.sidebar.selectbox if s.key == "f_programme"]  # one programme: no chooser
    shutil.copytree(ROOT / "data" / "programmes", top / "programmes")
    at.run()
    chooser = next(s for s in at.sidebar.selectbox if s.key == "f_programme")
    assert len(chooser.options) == len(store.programmes(top)) == 2  # the options show the programmes' names
    st.cache_data.clear()
    st.cache_resource.clear()


def test_the_browser_language_is_read_once_a_session(monkeypatch):
    reads = []
    real = language.accept_language
    monkeypatch.setattr(language, "accept_language", lambda: reads.append(1) or real())
    at = make_app()
    at.run()
    at.run()
    assert len(reads) == 1
