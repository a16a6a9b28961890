"""The data store: where extracts live, which version is active, and how versions are added and switched.

Layout of a data directory (IMPACT_DATA_DIR, default `data/`):
- the shipped extract's Parquet files at the top level (version "base");
- imported versions in `versions/<version>/`, each immutable once written: its Parquet files, its definition,
  the programme's saved recipes (`recipes.json`, when it has any: see impact.ingest.recipe) and `extract.json`
  (who, when, source files, per-file and overall SHA-256 checksums);
- `ACTIVE`, a one-line pointer naming the active version, replaced atomically.
A directory without `ACTIVE` serves its top-level extract. Every version carries its programme's
definition (`programme.json`, see impact.model.programme); an imported version without one (made before
definitions existed) uses the top-level extract's.

Several programmes share one data directory: the top-level store is the programme its own
`programme.json` names, and each other programme is a store of the same layout in
`programmes/<id>/` (its own versions, `ACTIVE` pointer, rollback and lock).

A programme's store is handled as one object, a `Store` (`open_store(location, programme)`; `programmes()`
lists them): its versions, its active version, its lock and its writes are its methods, so nothing passes
"a data directory and a programme id" around.

A new version is written completely in `.staging/`, fsynced, then renamed into `versions/`;
only then is the pointer switched (write a temporary file, fsync, `os.replace`, fsync the
directory). A reader therefore sees the old version or the new one, never a mix, and a crash
at any point leaves the previous version active. Writers hold an exclusive lock (`.lock`).

The store can also live on S3-compatible object storage (IMPACT_DATA_DIR=s3://bucket/prefix, the same
layout as object keys; impact.storage.remote moves the objects). Each process then works on a local mirror of
it, a folder in the cache directory (IMPACT_CACHE_DIR) marked with a `.remote` file, so every path-based
reader, the DuckDB compile and the import code stay as they are:
- reading: `open_store()` and `Store.active()` refresh the mirror at most every IMPACT_S3_POLL_SECONDS (default 1): it reads
  the `ACTIVE` object, downloads a version it has not got yet (once: versions are immutable) into a
  temporary folder, checks every file against the version's manifest, renames it into `versions/`, and
  only then moves the mirror's own `ACTIVE`. An unreachable store or a damaged version leaves the mirror on
  the version it had (a warning in the log, no reader error);
- writing: `Store.locked()` also takes the store's lock object (a conditional write, see impact.storage.remote)
  and refreshes the mirror; `Store.write_version()` builds the version in the mirror as for a local store, then
  uploads its files, the manifest last; `Store.switch()` checks the uploaded objects and replaces the `ACTIVE`
  object last, so no reader can follow a pointer to a version that is not completely uploaded.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import functools
import hashlib
import itertools
import json
import logging
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from impact.model.programme import INFERRED_ID, Programme, infer, read, read_json
from impact.storage import remote

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BASE_VERSION = "base"
POINTER = "ACTIVE"
MANIFEST = "extract.json"
VERSIONS = "versions"
STAGING = ".staging"
LOCK = ".lock"
PROGRAMMES = "programmes"
DEFINITION = "programme.json"
RECIPES = "recipes.json"  # a version's saved recipes (impact.ingest.recipe), versioned with its definition
REMOTE_MARK = ".remote"  # in a mirror of an S3 store: the s3:// address it mirrors
MIRROR_TMP = ".mirror"  # a mirror's downloads in progress
_log = logging.getLogger(__name__)
_VERSION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_PROGRAMME_ID = re.compile(r"^[a-z][a-z0-9-]{1,31}$")


class StoreError(ValueError):
    """A store operation that cannot be done (unknown version, active version, lock held, …)."""


@dataclass(frozen=True)
class ActiveVersion:
    """The version id in use and the folder holding its Parquet files."""

    version: str
    path: Path


@dataclass(frozen=True)
class VersionInfo:
    """One version of the store, as listed for people."""

    version: str
    path: Path
    active: bool
    manifest: dict

    @property
    def created_at(self) -> str:
        """When it was imported (UTC, ISO 8601), or '' for the shipped extract."""
        return self.manifest.get("created_at", "")


@dataclass(frozen=True)
class Store:
    """One programme's store: the handle every reader and writer of its versions takes (`open_store` gives it).

    `root` is the store's folder — in the data directory itself for the top-level programme, `programmes/<id>/` for
    the others — or, for a store on S3, that folder in the process's local mirror (`remote` is then where on S3 it
    lives, and `active()` refreshes the mirror at most every `poll_seconds()`)."""

    root: Path

    @property
    def top(self) -> Path:
        """The data directory this store belongs to (the root itself for the top-level programme)."""
        return _top_level(self.root)

    @property
    def id(self) -> str | None:
        """The programme this store holds (from its definition), or None for an empty one being created."""
        return _own_id(self.root)

    @property
    def remote(self) -> remote.Location | None:
        """Where on S3 this store lives; None for a local one."""
        return _remote_of(self.root)

    def active(self) -> ActiveVersion:
        """The version in use (an S3 store's mirror refreshed first when its last look is older than a poll)."""
        url = _mirrored_url(self.top)
        if url is not None:
            _mirror(url)
        return _active(self.root)

    def definition(self) -> Programme:
        """The programme's definition in the version in use."""
        return load_definition(self.active().path)

    def versions(self) -> list[VersionInfo]:
        """Every complete version, newest first, the shipped extract ("base") last."""
        return _versions(self.root)

    def version_path(self, version: str) -> Path:
        """The folder holding `version` (StoreError for a malformed id)."""
        return _version_path(self.root, version)

    def is_complete(self, version: str) -> bool:
        """True when the version's folder holds every table (and, for imports, its manifest)."""
        return _is_complete(self.root, version)

    def verify(self, version: str) -> list[str]:
        """Files of an imported version whose checksum no longer matches its manifest (empty = intact)."""
        return _verify(self.root, version)

    def locked(self, timeout: float = 30.0, *, provisional: bool = False):
        """The store's exclusive writer lock for a `with` block (see `_locked`)."""
        return _locked(self.root, timeout, provisional=provisional)

    def write_version(self, tables: dict, manifest: dict, definition: str | None = None,
                      recipes: str | None = None) -> str:
        """Write a new, complete version (not made active: `switch`); hold `locked()`. See `_write_version`."""
        return _write_version(self.root, tables, manifest, definition, recipes)

    def switch(self, version: str) -> None:
        """Make `version` active atomically (on S3, the ACTIVE object first). Hold `locked()`."""
        _switch(self.root, version)

    def discard(self, version: str) -> None:
        """Remove a version written but not made active (an import that failed after writing it). Hold `locked()`."""
        _discard(self.root, version)

    def rollback(self, version: str) -> None:
        """Make an existing, intact version active again (the shipped extract is "base")."""
        _rollback(self.root, version)

    def delete_version(self, version: str) -> None:
        """Delete an imported version that is not active (the shipped extract is never deleted)."""
        _delete_version(self.root, version)


def data_location(override: str | Path | None = None) -> str | Path:
    """Where the data directory is, as chosen: the argument, else IMPACT_DATA_DIR, else the project's `data/`
    (a folder, or an s3:// address)."""
    return override or os.environ.get("IMPACT_DATA_DIR") or PROJECT_ROOT / "data"


def open_store(location: str | Path | None = None, programme: str | None = None, *, create: bool = False) -> Store:
    """The store of `programme` (default: the top-level one) in the data directory at `location` (see
    `data_location`; an S3 store's mirror is refreshed first). StoreError for an unknown programme, unless `create`
    (a new programme's first import: its folder is made by the import's lock, and removed again if it is refused)."""
    chosen = data_location(location)
    top = _mirror(chosen) if remote.is_url(chosen) else _resolved(str(chosen))
    return Store(top if programme is None else _programme_root(top, programme, create=create))


@functools.lru_cache(maxsize=64)
def _resolved(folder: str) -> Path:
    """`folder` as an absolute path with its links resolved (asked on every query of every page run)."""
    return Path(folder).resolve()


def _top_level(root: Path) -> Path:
    """The data directory a programme's store belongs to (itself for the top-level store)."""
    return root.parent.parent if root.parent.name == PROGRAMMES else root


def _own_id(root: Path) -> str | None:
    """The programme id of a store (from its shipped definition, else its active version's: an import
    never changes a store's id, so either says the same)."""
    for folder in (root, _active_path(root)):
        path = folder / DEFINITION
        try:
            value = _definition_id(str(path), path.stat().st_mtime_ns)
        except OSError:
            continue
        if value:
            return value
    if _is_complete(root, BASE_VERSION) or (root / POINTER).is_file():
        return INFERRED_ID  # a store from before extracts carried their definition (impact.model.programme.infer)
    return None


@functools.lru_cache(maxsize=256)
def _definition_id(path: str, _mtime_ns: int) -> str | None:
    """The `id` of a definition file (cached per file and modification time; read strictly, as every definition is)."""
    try:
        value = read_json(path).get("id")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def programmes(location: str | Path | None = None) -> dict[str, Store]:
    """Every programme in the data directory: id -> its store, the top-level programme first."""
    top = open_store(location).root
    found: dict[str, Store] = {}
    own = _own_id(top)
    if own:
        found[own] = Store(top)
    folder = top / PROGRAMMES
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            # A folder with no version and no definition is not a programme (e.g. one a crash left mid-creation).
            if _PROGRAMME_ID.fullmatch(path.name) and path.name not in found and path.is_dir() and _own_id(path):
                found[path.name] = Store(path)
    return found


def default_programme(location: str | Path | None = None) -> str | None:
    """The programme shown when none is chosen: the top-level one, else the first."""
    return next(iter(programmes(location)), None)


def _programme_root(top: Path, programme: str, *, create: bool = False) -> Path:
    """The folder of programme `programme`'s store in the data directory `top` (StoreError if unknown)."""
    if not isinstance(programme, str) or not _PROGRAMME_ID.fullmatch(programme):
        raise StoreError(f"not a programme id: {str(programme)[:40]!r} (lower-case letters, digits and '-')")
    if _own_id(top) == programme:
        return top
    path = top / PROGRAMMES / programme
    if not path.is_dir() and not create:
        known = ", ".join(programmes(top)) or "none"
        raise StoreError(f"there is no programme {programme!r} in {top} (programmes: {known})")
    return path


def _active_path(root: Path) -> Path:
    """The folder of the active version of the store `root` (no checks)."""
    pointer = root / POINTER
    try:
        version = pointer.read_text(encoding="utf-8").strip() if pointer.is_file() else BASE_VERSION
        return _version_path(root, version or BASE_VERSION)
    except (OSError, StoreError):
        return root


def definition_file(folder: Path) -> Path:
    """The programme definition a version folder uses: its own, else its store's top-level one."""
    own = folder / DEFINITION
    if own.is_file() or folder.parent.name != VERSIONS:
        return own
    return folder.parent.parent / DEFINITION


def load_definition(folder: str | Path) -> Programme:
    """The definition a version folder uses: its own, or for older versions its store's; a store made
    before extracts carried a definition gets one inferred from its data (`programme.infer`)."""
    path = definition_file(Path(folder))
    return read(path) if path.is_file() else infer(folder)


def check_name(version: str) -> str:
    """`version` if it is a well-formed version id (no paths, no dots); else StoreError."""
    if not isinstance(version, str) or not _VERSION_NAME.fullmatch(version):
        raise StoreError(f"not a version id: {str(version)[:70]!r}")
    return version


def _version_path(root: Path, version: str) -> Path:
    """The folder holding `version` inside the store `root`."""
    return root if version == BASE_VERSION else root / VERSIONS / check_name(version)


def _active(root: Path) -> ActiveVersion:
    """The active version of the store `root`."""
    pointer = root / POINTER
    version = pointer.read_text(encoding="utf-8").strip() if pointer.is_file() else BASE_VERSION
    version = check_name(version or BASE_VERSION)
    return ActiveVersion(version, _version_path(root, version))


def read_manifest(folder: Path) -> dict:
    """The `extract.json` of a version folder ({} if it has none or it is unreadable)."""
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def sha256(path: Path) -> str:
    """The SHA-256 of a file, hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@contextlib.contextmanager
def atomic_file(path: Path, mode: int = 0o666) -> Iterator[Path]:
    """A temporary file beside `path` for the block to fill; then fsynced and renamed over `path` in one step
    (fsync of the folder after). If the block fails, the temporary file is removed and `path` is left as it
    was: a reader sees the old file or the new one, never part of one. `mode` is the new file's permission
    (less the umask), e.g. 0o600 for one only the server may read."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode))
    try:
        yield temporary
        _fsync_file(temporary)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def atomic_write(path: Path, data: bytes | str, mode: int = 0o666) -> None:
    """Replace the file `path` with `data` (text is written as UTF-8) atomically: see `atomic_file`."""
    with atomic_file(path, mode) as temporary:
        temporary.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


# ---- lock ---------------------------------------------------------------------------------

_BUSY = "another import or switch is running on this data store; try again in a minute"


@contextlib.contextmanager
def _locked(root: Path, timeout: float = 30.0, *, provisional: bool = False) -> Iterator[None]:
    """Hold the store's exclusive writer lock (imports, switches, deletions) for the block (on an S3 store
    also its lock object, and the mirror refreshed first).

    `provisional`: the block may be creating the store (a new programme's first import). If this call created its
    folder and the block leaves it with no active version (the import was refused, or failed before the switch),
    the folder is removed again, lock file and all, so that nothing is left behind."""
    created = list(itertools.takewhile(lambda folder: not folder.exists(), (root, *root.parents)))
    deadline = time.monotonic() + timeout
    with _take_lock(root, deadline) as fh:
        try:
            where = _remote_of(root)
            if where is None:
                yield
                return
            try:
                token = remote.acquire_lock(where, LOCK, max(1.0, deadline - time.monotonic()))
            except TimeoutError:
                raise StoreError(_BUSY) from None
            except remote.RemoteError as error:
                raise StoreError(str(error)) from error
            try:
                try:
                    _sync_store(root, where)  # write on top of the newest pointer, whoever moved it
                except StoreError as error:  # a damaged active version must not block the rollback that mends it
                    _log.warning("%s: %s", where.url, error)
                yield
            finally:
                remote.release_lock(where, LOCK, token)
        finally:
            try:
                if provisional and created and not _has_active_version(root):
                    _remove_created(created)
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _take_lock(root: Path, deadline: float):
    """The store's lock file, open and exclusively locked (StoreError when it stays busy past `deadline`)."""
    while True:
        root.mkdir(parents=True, exist_ok=True)
        fh = open(root / LOCK, "a+")
        try:
            while True:
                try:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise StoreError(_BUSY) from None
                    time.sleep(0.1)
            with contextlib.suppress(FileNotFoundError):
                if os.stat(root / LOCK).st_ino == os.fstat(fh.fileno()).st_ino:
                    return fh
        except BaseException:
            fh.close()
            raise
        fh.close()  # the holder removed the store it had created (see `locked`): take the lock of the store anew


def _has_active_version(root: Path) -> bool:
    """True when the store names an active version or ships an extract (a store worth keeping)."""
    return (root / POINTER).is_file() or _is_complete(root, BASE_VERSION)


def _remove_created(created: list[Path]) -> None:
    """Remove a store `locked` created (the lock held), then the folders made for it that are still empty."""
    store, *parents = created
    shutil.rmtree(store, ignore_errors=True)
    for folder in parents:
        try:
            folder.rmdir()
        except OSError:  # not empty: another programme's store was made in it meanwhile
            break


# ---- a mirror of an S3 store ------------------------------------------------------------------

_refreshed: dict[Path, float] = {}  # mirror -> time.monotonic() of its last refresh (per process)
_refreshing: dict[Path, threading.Lock] = {}
_registry = threading.Lock()


def poll_seconds() -> float:
    """How often a process looks at an S3 store's ACTIVE object at most (IMPACT_S3_POLL_SECONDS, default 1)."""
    try:
        return max(0.0, float(os.environ.get("IMPACT_S3_POLL_SECONDS", "1")))
    except ValueError:
        return 1.0


def mirror_dir(url: str) -> Path:
    """The local folder mirroring the S3 store `url` (in IMPACT_CACHE_DIR, one per endpoint and address)."""
    base = Path(os.environ.get("IMPACT_CACHE_DIR") or Path(tempfile.gettempdir()) / "impact-cache")
    key = hashlib.sha256(f"{remote.endpoint() or 'aws'}|{remote.parse(url).url}".encode()).hexdigest()[:16]
    return (base / "s3" / key).resolve()


def _mirrored_url(top: Path) -> str | None:
    """The s3:// address a data directory mirrors (None for a local one)."""
    try:
        return (top / REMOTE_MARK).read_text(encoding="utf-8").strip()
    except OSError:
        return None


def _remote_of(root: Path) -> remote.Location | None:
    """Where on S3 a mirrored store (the top-level one or a programme's) lives; None for a local store."""
    top = _top_level(Path(root))
    url = _mirrored_url(top)
    if url is None:
        return None
    where = remote.parse(url)
    return where if top == Path(root) else where.child(f"{PROGRAMMES}/{Path(root).name}")


def _mirror(url: str) -> Path:
    """The mirror of an S3 store, refreshed when the last refresh is older than `poll_seconds()`."""
    root = mirror_dir(url)
    with _registry:
        gate = _refreshing.setdefault(root, threading.Lock())
    ready = (root / REMOTE_MARK).is_file()
    if ready and time.monotonic() - _refreshed.get(root, float("-inf")) < poll_seconds():
        return root
    # One thread refreshes; the others serve what is mirrored meanwhile (or wait, when nothing is yet).
    if not gate.acquire(blocking=not ready):
        return root
    try:
        if time.monotonic() - _refreshed.get(root, float("-inf")) >= poll_seconds():
            try:
                refresh(root, url)
            except Exception as error:  # network, credentials, a damaged version: many kinds, one answer
                if not ready:
                    raise StoreError(f"the data store {url} cannot be read: {error}") from error
                _log.warning("data store %s not refreshed, still serving what is mirrored: %s", url, error)
            _refreshed[root] = time.monotonic()
    finally:
        gate.release()
    return root


def refresh(mirror: Path, url: str) -> None:
    """Bring `mirror`, the local mirror of the S3 data directory `url`, up to date: every programme's pointer and
    active version."""
    where = remote.parse(url)
    mirror.mkdir(parents=True, exist_ok=True)
    stores = [(mirror, where)] + [(mirror / PROGRAMMES / pid, where.child(f"{PROGRAMMES}/{pid}"))
                                  for pid in remote.folders(where, f"{PROGRAMMES}/") if _PROGRAMME_ID.fullmatch(pid)]
    for local, place in stores:
        try:
            _sync_store(local, place)
        except StoreError as error:  # that programme stays on what it had; the others, and writers, go on
            _log.warning("%s: %s", place.url, error)
    if not (mirror / REMOTE_MARK).is_file():  # written once the first refresh is complete: the mirror is ready
        atomic_write(mirror / REMOTE_MARK, where.url + "\n")


def _sync_store(root: Path, where: remote.Location) -> None:
    """Mirror one store: its top-level files (the shipped extract, its definition), then the version its
    ACTIVE object names, then (last) the mirror's own pointer."""
    top = remote.listing(where, recursive=False)
    pointer = remote.read_text(where, POINTER)
    shipped = {name: size for name, size in top.items() if name not in (POINTER, LOCK) and not name.startswith(".")}
    if not shipped and pointer is None:
        return  # nothing here yet (an import under way holds only the lock)
    root.mkdir(parents=True, exist_ok=True)
    for name, size in shipped.items():
        local = root / name
        if not local.is_file() or local.stat().st_size != size:
            with atomic_file(local) as partial:
                remote.download(where, name, partial)
    version = check_name((pointer or "").strip() or BASE_VERSION)
    if version != BASE_VERSION:
        _ensure_version(root, where, version)
    if pointer is None:
        (root / POINTER).unlink(missing_ok=True)
    elif (root / POINTER).is_file() and (root / POINTER).read_text(encoding="utf-8").strip() == version:
        return
    else:
        atomic_write(root / POINTER, version + "\n")


def _ensure_version(root: Path, where: remote.Location, version: str) -> None:
    """Download an S3 store's version into its mirror once (checked against its manifest); StoreError if it is
    not there completely or a file does not match."""
    check_name(version)
    if version == BASE_VERSION or _is_complete(root, version):
        return
    prefix = f"{VERSIONS}/{version}/"
    objects = remote.listing(where, prefix)
    if prefix + MANIFEST not in objects:
        raise StoreError(f"there is no complete version {version!r} in {where.url}")
    download = root / MIRROR_TMP / f"{version}-{uuid.uuid4().hex[:8]}"
    download.mkdir(parents=True)
    try:
        for key in objects:
            name = key[len(prefix):]
            if "/" not in name and not name.startswith("."):
                remote.download(where, key, download / name)
        damaged = _damaged(download)
        if damaged:
            raise StoreError(f"version {version} in {where.url} does not match its manifest ({', '.join(damaged)})")
        for path in download.iterdir():
            path.chmod(0o444)
        (root / VERSIONS).mkdir(exist_ok=True)
        try:
            os.rename(download, root / VERSIONS / version)
        except OSError:
            if not _is_complete(root, version):  # else another thread or process mirrored it first
                raise
    finally:
        shutil.rmtree(download, ignore_errors=True)


def _upload_version(root: Path, where: remote.Location, version: str) -> None:
    """Copy a version written in the mirror to S3: its files, the manifest last (it is what makes it complete)."""
    folder = _version_path(root, version)
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.name != MANIFEST) + [folder / MANIFEST]
    for path in files:
        remote.upload(where, f"{VERSIONS}/{version}/{path.name}", path)


def _check_uploaded(root: Path, where: remote.Location, version: str) -> None:
    """StoreError unless every file of the mirrored version is on S3 at its size."""
    folder = _version_path(root, version)
    prefix = "" if version == BASE_VERSION else f"{VERSIONS}/{version}/"
    objects = remote.listing(where, prefix, recursive=version != BASE_VERSION)
    names = [f"{n}.parquet" for n in _required()] if version == BASE_VERSION else [p.name for p in folder.iterdir()]
    wrong = [n for n in names if objects.get(prefix + n) != (folder / n).stat().st_size]
    if wrong:
        raise StoreError(f"version {version} is not completely in {where.url} ({', '.join(wrong)}); it was not made active")


def _required() -> tuple[str, ...]:
    from impact.model import schema

    return tuple(schema.REQUIRED_TABLES)


# ---- versions -----------------------------------------------------------------------------

def table_files(folder: Path) -> dict[str, Path]:
    """The Parquet file of each schema table in a version folder."""
    from impact.model import schema

    return {name: folder / f"{name}.parquet" for name in schema.TABLE_NAMES}


def read_table(folder: Path, name: str):
    """Table `name` of a version folder as a pyarrow Table (an optional table left out reads as empty; a column
    stored under an older name reads under its name now)."""
    import pyarrow.parquet as pq

    from impact.model import schema

    path = Path(folder) / f"{name}.parquet"
    return schema.current_names(name, pq.read_table(path)) if path.is_file() else schema.empty(name)


def _is_complete(root: Path, version: str) -> bool:
    """True when the version's folder holds every table (and, for imports, its manifest)."""
    from impact.model import schema

    folder = _version_path(root, version)
    if not folder.is_dir() or not all((folder / f"{name}.parquet").is_file() for name in schema.REQUIRED_TABLES):
        return False
    return version == BASE_VERSION or (folder / MANIFEST).is_file()


def _verify(root: Path, version: str) -> list[str]:
    """Files of an imported version whose checksum no longer matches its manifest (empty = intact)."""
    folder = _version_path(root, version)
    if version == BASE_VERSION:
        return [] if _is_complete(root, version) else ["missing tables"]
    return _damaged(folder)


def _damaged(folder: Path) -> list[str]:
    """Files of a version folder that do not match its manifest's checksums."""
    manifest = read_manifest(folder)
    files = manifest.get("files", {})
    if not files:
        return ["extract.json"]
    damaged = [f"{name}.parquet" for name, info in files.items()
               if not (folder / f"{name}.parquet").is_file() or sha256(folder / f"{name}.parquet") != info.get("sha256")]
    for name, key in ((DEFINITION, "definition"), (RECIPES, "recipes")):
        recorded = manifest.get(key)
        if recorded and (not (folder / name).is_file() or sha256(folder / name) != recorded.get("sha256")):
            damaged.append(name)
    return damaged


def _write_version(root: Path, tables: dict, manifest: dict, definition: str | None = None,
                   recipes: str | None = None) -> str:
    """Write a new, complete version from `tables` (name -> pyarrow Table, or Path to copy), the
    programme's definition (`programme.json`'s text) and its saved recipes (`recipes.json`'s text, or None for
    none); return its id.

    The version is built in `.staging/`, every file fsynced, then renamed into `versions/` in
    one step (on S3 then uploaded). The pointer is not touched: call `switch` afterwards. A failure leaves no
    trace of the version. Hold `_locked(root)`; `impact.storage.transaction` runs the whole import.
    """
    staging_root = root / STAGING
    _clean_staging(staging_root)
    staging = staging_root / uuid.uuid4().hex
    staging.mkdir(parents=True)
    try:
        version = _build_version(root, staging, tables, manifest, definition, recipes)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    where = _remote_of(root)
    if where is not None:
        try:
            _upload_version(root, where, version)
        except BaseException:
            with contextlib.suppress(Exception):
                _remove_version(root, version)
            raise
    return version


def _build_version(root: Path, staging: Path, tables: dict, manifest: dict, definition: str | None,
                   recipes: str | None = None) -> str:
    """Fill the folder `staging` with a version and rename it into `versions/`; return its id."""
    import pyarrow.parquet as pq

    from impact.model import schema

    files = {}
    for name, path in table_files(staging).items():
        source = tables.get(name)
        if source is None or (isinstance(source, Path) and not source.is_file()):
            source = schema.empty(name)  # an optional table the extract left out (required ones are checked)
        if isinstance(source, Path):
            shutil.copyfile(source, path)
        else:
            pq.write_table(source, path, compression="zstd")
        _fsync_file(path)
        files[name] = {"sha256": sha256(path), "bytes": path.stat().st_size,
                       "rows": pq.ParquetFile(path).metadata.num_rows}
    files_extra = {}
    for name, text in ((DEFINITION, definition), (RECIPES, recipes)):
        if text is not None:
            (staging / name).write_text(text, encoding="utf-8")
            _fsync_file(staging / name)
            files_extra[name] = {"sha256": sha256(staging / name), "bytes": (staging / name).stat().st_size}
    checksum = hashlib.sha256("".join(f"{n}:{f['sha256']}\n" for n, f in sorted({**files, **files_extra}.items()))
                              .encode()).hexdigest()
    now = dt.datetime.now(dt.UTC)
    version = f"{now:%Y%m%d-%H%M%S}-{checksum[:8]}"
    (root / VERSIONS).mkdir(exist_ok=True)
    suffix = 1
    while (root / VERSIONS / version).exists():
        suffix += 1
        version = f"{now:%Y%m%d-%H%M%S}-{checksum[:8]}-{suffix}"
    record = {
        **manifest,
        "version": version,
        "created_at": now.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "checksum": checksum,
        "files": files,
        **({"definition": files_extra[DEFINITION]} if DEFINITION in files_extra else {}),
        **({"recipes": files_extra[RECIPES]} if RECIPES in files_extra else {}),
        "rows": {n: f["rows"] for n, f in files.items()},
    }
    (staging / MANIFEST).write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    _fsync_file(staging / MANIFEST)
    for path in staging.iterdir():
        path.chmod(0o444)  # immutable from here on: read-only files, checksums in the manifest
    _fsync_dir(staging)
    os.rename(staging, root / VERSIONS / version)
    _fsync_dir(root / VERSIONS)
    return version


def _clean_staging(staging_root: Path) -> None:
    # Left-overs of a crashed import: never visible to readers, safe to remove under the lock.
    if staging_root.is_dir():
        for leftover in staging_root.iterdir():
            shutil.rmtree(leftover, ignore_errors=True)


def _switch(root: Path, version: str) -> None:
    """Make `version` active atomically: the ACTIVE pointer replaced by `atomic_write` (on S3, the object first)."""
    check_name(version)
    if not _is_complete(root, version):
        raise StoreError(f"there is no complete version {version!r} in {root}")
    where = _remote_of(root)
    if where is not None:  # the ACTIVE object is replaced last, once the version is there in full
        _check_uploaded(root, where, version)
        remote.write_bytes(where, POINTER, (version + "\n").encode())
    atomic_write(root / POINTER, version + "\n")


def _versions(root: Path) -> list[VersionInfo]:
    """Every complete version of the store `root`, newest first, the shipped extract ("base") last."""
    current = _active(root).version
    where = _remote_of(root)
    listed = None
    if where is not None:  # every version of an S3 store, mirrored once (a version deleted there is not listed)
        listed = {name for name in remote.folders(where, f"{VERSIONS}/") if _VERSION_NAME.fullmatch(name)}
        for name in listed:
            with contextlib.suppress(StoreError):
                _ensure_version(root, where, name)
    found = []
    folder = root / VERSIONS
    if folder.is_dir():
        for path in folder.iterdir():
            if listed is not None and path.name not in listed:
                continue
            if _VERSION_NAME.fullmatch(path.name) and _is_complete(root, path.name):
                found.append(VersionInfo(path.name, path, path.name == current, read_manifest(path)))
    found.sort(key=lambda v: (v.created_at, v.version), reverse=True)
    base = VersionInfo(BASE_VERSION, root, current == BASE_VERSION, read_manifest(root))
    return found + ([base] if _is_complete(root, BASE_VERSION) else [])


def _rollback(root: Path, version: str) -> None:
    """Make an existing, intact version of the store `root` active again."""
    check_name(version)
    with _locked(root):
        where = _remote_of(root)
        if where is not None:
            with contextlib.suppress(StoreError):
                _ensure_version(root, where, version)
        if not _is_complete(root, version):
            raise StoreError(f"there is no version {version!r}; run 'python -m impact versions' to list them")
        damaged = _verify(root, version)
        if damaged:
            raise StoreError(f"version {version} is damaged ({', '.join(damaged)} changed since import); "
                             "it was not made active")
        _switch(root, version)


def _delete_version(root: Path, version: str) -> None:
    """Delete an imported version of the store `root` that is not active."""
    check_name(version)
    if version == BASE_VERSION:
        raise StoreError("the shipped extract (base) cannot be deleted")
    with _locked(root):
        if _active(root).version == version:
            raise StoreError(f"version {version} is active; make another version active before deleting it")
        if not _remove_version(root, version):
            raise StoreError(f"there is no version {version!r}")


def _discard(root: Path, version: str) -> None:
    """Remove a version an import wrote but did not make active (it failed after writing it), so the store is
    as it was before. A version either pointer names (the local one, or on S3 the ACTIVE object) is kept.
    Hold `_locked(root)`."""
    check_name(version)
    where = _remote_of(root)
    named = {_active(root).version, *([(remote.read_text(where, POINTER) or "").strip()] if where is not None else [])}
    if version != BASE_VERSION and version not in named:
        _remove_version(root, version)


def _remove_version(root: Path, version: str) -> bool:
    """Remove an imported version's files (on S3 its objects first, the manifest first of all); False when there
    was none. Hold `_locked(root)` and check it is not active."""
    folder = _version_path(root, version)
    where = _remote_of(root)
    if where is not None:
        objects = sorted(remote.listing(where, f"{VERSIONS}/{version}/"), key=lambda k: not k.endswith(MANIFEST))
        if not objects and not folder.is_dir():
            return False
        remote.delete(where, objects)  # the manifest first: from then on it is incomplete, never listed
        if not folder.is_dir():
            return True
    if not folder.is_dir():
        return False
    trash = root / STAGING / f"deleted-{version}-{uuid.uuid4().hex[:6]}"
    trash.parent.mkdir(exist_ok=True)
    os.rename(folder, trash)  # gone from listings in one step; the files are removed after
    _fsync_dir(root / VERSIONS)
    shutil.rmtree(trash, ignore_errors=True)
    return True
