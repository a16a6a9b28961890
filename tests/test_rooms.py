"""The core's rooms and their arrows: app (Streamlit glue) -> charts (and exports) -> query -> data. A module
imports only from its own room or the rooms below it, anywhere in the file; only the app room imports Streamlit."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

ORDER = ["data", "query", "charts", "app"]  # each room may import the rooms before it


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


MODULES = sorted((ROOT / "impact").glob("*/*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(ROOT / "impact")) for p in MODULES])
def test_a_module_imports_only_its_own_room_and_those_below(path):
    room = path.parent.name
    allowed = set(ORDER[: ORDER.index(room) + 1])
    above = {name for name in _imports(path) if name.startswith("impact.")
             and name.split(".")[1] in ORDER and name.split(".")[1] not in allowed}
    assert above == set(), f"{room} must not import {sorted(above)}"
    if room != "app":
        assert not any(name == "streamlit" or name.startswith("streamlit.") for name in _imports(path))


def test_every_module_lives_in_a_room():
    loose = {p.name for p in (ROOT / "impact").glob("*.py")} - {"__init__.py", "__main__.py", "cli.py"}
    assert loose == set()
