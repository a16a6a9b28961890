"""One of each mechanism for writing data: the import transaction (a failure at any step changes nothing, and
every import's manifest is made by the same code), the safe archive reader (both zip paths refuse the same
hostile zips, naming the member) and the atomic write (an interrupted write leaves the old file)."""

from __future__ import annotations

import os
import stat

import pytest

from impact.data import partners, store
from tests.data_helpers import snapshot

# ---- the atomic write ------------------------------------------------------------------------------

def test_an_interrupted_atomic_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "folder" / "file.json"
    store.atomic_write(path, "old\n")
    assert path.read_text() == "old\n"
    store.atomic_write(path, b"new\n", mode=0o600)
    assert path.read_bytes() == b"new\n"

    def interrupted(*args, **kwargs):
        raise OSError("power cut")

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(OSError, match="power cut"):
        store.atomic_write(path, "newer\n")
    assert path.read_text() == "new\n"
    assert sorted(p.name for p in path.parent.iterdir()) == ["file.json"]  # no temporary file left


def test_an_interrupted_pointer_or_account_write_leaves_the_old_file(data_store, picks, monkeypatch):
    project = picks[0][0]
    partners.save_account(data_store, "a@example.org", "A", [project], [project], "tester")
    accounts = (data_store / partners.ACCOUNTS).read_bytes()
    assert stat.S_IMODE((data_store / partners.ACCOUNTS).stat().st_mode) == 0o600
    before = snapshot(data_store)

    def interrupted(*args, **kwargs):
        raise OSError("power cut")

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(OSError, match="power cut"):
        partners.save_account(data_store, "b@example.org", "B", [project], [project], "tester")
    with pytest.raises(OSError, match="power cut"):
        store.switch(data_store, store.BASE_VERSION)
    assert (data_store / partners.ACCOUNTS).read_bytes() == accounts
    assert snapshot(data_store) == before and not (data_store / store.POINTER).exists()
