"""The documentation stays true: the data dictionary matches the schema, settings are documented."""

from __future__ import annotations

import re

from impact.model import schema
from impact.model.dictionary import markdown, tables_frame
from impact.model.metrics import METRICS
from tests.conftest import ROOT


def test_committed_data_dictionary_is_current():
    committed = (ROOT / "docs" / "DATA_DICTIONARY.md").read_text(encoding="utf-8")
    assert committed == markdown(), "run: python -m impact dictionary --out docs/DATA_DICTIONARY.md"


def test_dictionary_names_every_table_column_and_metric():
    text = markdown()
    for table in schema.TABLES:
        assert f"## `{table.name}`" in text
        for column in table.columns:
            assert f"| `{column.name}` |" in text
    for key in METRICS:
        assert f"| `{key}` |" in text
    frame = tables_frame()
    assert len(frame) == sum(len(t.columns) for t in schema.TABLES)


def test_every_environment_setting_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    code = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "impact").rglob("*.py"))
    code += (ROOT / "app.py").read_text(encoding="utf-8")
    settings = set(re.findall(r"\bIMPACT_[A-Z_]+\b", code))
    assert "IMPACT_DATA_DIR" in settings
    missing = sorted(s for s in settings if s not in readme)
    assert not missing, f"settings not documented in README.md: {missing}"


def test_readme_has_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "./run.sh app" in readme and "./run.sh test" in readme
