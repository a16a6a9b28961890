"""The data store: where extracts live and which version is active.

Layout of a data directory (IMPACT_DATA_DIR, default `data/`):
- the shipped extract's Parquet files at the top level (version "base");
- imported versions in `versions/<version>/`, each immutable once written;
- `ACTIVE`, a one-line pointer naming the active version, replaced atomically.
A directory without `ACTIVE` serves its top-level extract.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BASE_VERSION = "base"
POINTER = "ACTIVE"


@dataclass(frozen=True)
class ActiveVersion:
    """The version id in use and the folder holding its Parquet files."""

    version: str
    path: Path


def data_dir(override: str | Path | None = None) -> Path:
    """The data directory: the argument, else IMPACT_DATA_DIR, else the project's `data/`."""
    chosen = override or os.environ.get("IMPACT_DATA_DIR") or PROJECT_ROOT / "data"
    return Path(chosen).resolve()


def version_path(root: Path, version: str) -> Path:
    """The folder holding `version` inside the data directory `root`."""
    return root if version == BASE_VERSION else root / "versions" / version


def active(override: str | Path | None = None) -> ActiveVersion:
    """The active version of the data directory."""
    root = data_dir(override)
    pointer = root / POINTER
    version = pointer.read_text(encoding="utf-8").strip() if pointer.is_file() else BASE_VERSION
    return ActiveVersion(version or BASE_VERSION, version_path(root, version or BASE_VERSION))
