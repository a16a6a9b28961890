"""The import transaction: the one way a new version enters a programme's store.

Every change of a programme's figures — a whole or partial extract (`extract_io.import_extract`, and the IATI
import through it), a batch of quarterly returns (`returns.import_returns`, and partners' returns approved) —
runs the same steps, in this order:

    lock -> validate -> manifest -> write the version -> prepare (compile) -> switch

    with transaction.begin(store, provisional=True) as txn:   # lock; txn.current is the version in use
        ...read and validate against txn.current; return to refuse...
        txn.commit(who=..., label=..., tables=..., definition=..., sources=..., ...)

`begin` holds the store's writer lock for the block (see `Store.locked`). `commit` keeps the programme's saved
recipes (`recipes.json`) of the version in use unless it is given others, builds the version's
manifest (`Transaction.manifest`: the only place one is made), writes the version (`Store.write_version`),
runs every preparer registered with `prepared_by` on it (the command line and the app register the query layer's
compile, so a version that does not compile is refused and readers find it ready), switches to it and records it
in the store's trail (`audit`: an import, or a programme's creation). A refusal (the block returns without committing) or a failure at any step changes nothing: a version
written but not made active is removed again, with the folders the transaction made for it, and a new
programme's folder is removed by the lock (`provisional`).
"""

from __future__ import annotations

import contextlib
import getpass
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from impact.storage import audit, store
from impact.storage.store import Store

if TYPE_CHECKING:
    from impact.model.programme import Programme

Prepare = Callable[[Path, str], None]
_log = logging.getLogger(__name__)
# What every new version goes through before it is made active, in order: registered by the program that imports
# (the command line and the app register the query layer's compile, `db.prepare`, so a version that does not
# compile is refused and readers find it ready), not passed down through every import function.
PREPARERS: list[Prepare] = []


def prepared_by(preparer: Prepare) -> None:
    """Register `preparer(folder, version)` to run on every new version before it is made active (once)."""
    if preparer not in PREPARERS:
        PREPARERS.append(preparer)


def default_user() -> str:
    """Who runs an import from the command line."""
    try:
        return f"{getpass.getuser()} (command line)"
    except (KeyError, OSError):
        return "command line"


def source(name: str, path: Path, table: str | None = None) -> dict:
    """A manifest's record of one file an import read: its name as shown, its table, SHA-256 and size."""
    return {"name": name, **({"table": table} if table is not None else {}), "sha256": store.sha256(path),
            "bytes": Path(path).stat().st_size}


@contextlib.contextmanager
def begin(target: Store, *, provisional: bool = False, timeout: float = 30.0) -> Iterator[Transaction]:
    """Lock the programme's store for one import; the block validates and then commits, or refuses by leaving
    without committing. `provisional`: the import may create the store (a new programme); if it ends without a
    version in use, the store's folder is removed (see `Store.locked`)."""
    with target.locked(timeout, provisional=provisional):
        yield Transaction(target)


class Transaction:
    """One import into a programme's store, under its writer lock (make it with `begin`)."""

    def __init__(self, target: Store):
        self.store = target
        in_use = target.active()
        self.current: store.ActiveVersion | None = in_use if target.is_complete(in_use.version) else None
        self.parent: dict = store.read_manifest(self.current.path) if self.current else {}
        self.version: str | None = None  # once committed
        self.written: dict = {}  # the manifest given to the version, once committed
        self._made = [folder for folder in (target.root / store.VERSIONS, target.root / store.STAGING)
                      if not folder.exists()]

    @property
    def previous(self) -> str:
        """The version in use when the transaction began ('' for a store with none)."""
        return self.current.version if self.current else ""

    def manifest(self, *, who: str | None, label: str, definition: Programme, replaced_tables: list[str],
                 sources: list[dict], definition_changed: bool = False, illustrative: bool | None = None,
                 returns: list[dict] | None = None) -> dict:
        """The manifest of the version this transaction makes (the store adds its id, time, checksums and rows).
        `illustrative`: None keeps the version in use's mark; `returns`: the quarterly returns it brings."""
        return {
            "label": label,
            "illustrative": bool(self.parent.get("illustrative")) if illustrative is None else bool(illustrative),
            "created_by": who or default_user(),
            "parent": self.previous,
            "programme": definition.id,
            "replaced_tables": list(replaced_tables),
            "definition_changed": bool(definition_changed),
            "sources": sources,
            **({"returns": returns} if returns is not None else {}),
        }

    def commit(self, *, tables: dict, definition: Programme, recipes: str | None = None, **manifest) -> str:
        """Write `tables` (name -> pyarrow Table, or the Path of a Parquet file to copy), the definition and the
        programme's saved recipes (`recipes.json`'s text; None keeps the version in use's as they are) as a new
        version with its manifest (`manifest`'s keywords), run the registered preparers on it and make it active;
        return its id. On any failure the version is removed again and the error raised."""
        if self.version is not None:
            raise store.StoreError("this import has already made its version")
        record = self.manifest(definition=definition, **manifest)
        if recipes is None:
            recipes = self.recipes_in_use()
        version = None
        try:
            version = self.store.write_version(tables, record, definition.to_json(), recipes)
            for prepare in PREPARERS:
                prepare(self.store.version_path(version), version)
            self.store.switch(version)
        except BaseException:
            self._undo(version)
            raise
        self.version, self.written = version, record
        audit.record(self.store, audit.IMPORTED if self.current else audit.PROGRAMME_CREATED, record["created_by"],
                     record["label"], version=version, parent=record["parent"] or None,
                     tables=record["replaced_tables"], sources=[s.get("name", "") for s in record["sources"]][:50])
        return version

    def recipes_in_use(self) -> str | None:
        """The text of the version in use's `recipes.json` (None when it has none): every new version keeps it
        unless the import brings recipes of its own, so a recipe is saved once and rolled back with its version."""
        path = self.current.path / store.RECIPES if self.current else None
        return path.read_text(encoding="utf-8") if path is not None and path.is_file() else None

    def _undo(self, version: str | None) -> None:
        """Remove what a failed commit left (a version not made active, folders made for it); never raises."""
        try:
            if version is not None:
                self.store.discard(version)
            for folder in reversed(self._made):
                with contextlib.suppress(OSError):
                    folder.rmdir()  # only when empty: nothing else was put there
        except Exception as error:  # the original failure is the one to report
            _log.warning("%s: version %s not removed after a failed import: %s", self.store.root, version, error)
