"""A store's own small files — partner accounts, returns and their records, the return key, the trail — read and
written where the store lives: its folder, or its objects on S3 (`IMPACT_DATA_DIR=s3://…`), where every server
sees them at once.

Each function takes the programme's store handle (`store.Store`, from `store.open_store` or `store.programmes`):
its folder, or on S3 its `remote` address. Paths are relative to the store. Files written here are readable by
the server's user alone.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from impact.storage import remote, store


def read_text(programme_store: store.Store, relative: str) -> str | None:
    """The text of a store file (None when there is none)."""
    where = programme_store.remote
    if where is not None:
        return remote.read_text(where, relative)
    path = programme_store.root / relative
    return path.read_text(encoding="utf-8") if path.is_file() else None


def write(programme_store: store.Store, relative: str, data: bytes) -> None:
    """Create or replace a store file in one step (readers see the old file or the new one)."""
    where = programme_store.remote
    if where is not None:
        remote.write_bytes(where, relative, data)
    else:
        store.atomic_write(programme_store.root / relative, data, mode=0o600)  # readable by the server's user alone


def listing(programme_store: store.Store, folder: str) -> list[str]:
    """Every file under `folder` (relative to the store, recursively), sorted."""
    where = programme_store.remote
    if where is not None:
        return sorted(remote.listing(where, f"{folder.rstrip('/')}/"))
    root = programme_store.root
    base = root / folder
    return sorted(str(p.relative_to(root)) for p in base.rglob("*") if p.is_file()) if base.is_dir() else []


def address(programme_store: store.Store, relative: str) -> str:
    """Where a store file is, for people: its path, or its s3:// address on a store on S3."""
    where = programme_store.remote
    return f"{where.url}/{relative}" if where is not None else str(programme_store.root / relative)


def fetch(programme_store: store.Store, relative: str, target: Path) -> None:
    """Copy a store file into the local file `target`."""
    where = programme_store.remote
    if where is not None:
        remote.download(where, relative, target)
    else:
        shutil.copyfile(programme_store.root / relative, target)


def secret(programme_store: store.Store, relative: str, size: int = 32, *, create: bool = True) -> bytes | None:
    """The store's secret at `relative` (`size` random bytes, hex in the file), made the first time it is asked
    for (when two servers ask at once, one makes it and both get that one); without `create`, None while there is
    none."""
    where = programme_store.remote
    made = secrets.token_hex(size).encode("ascii")
    if where is not None:
        if create:
            remote.create_once(where, relative, made)
        text = remote.read_text(where, relative)
        if text is None:
            return None
    else:
        path = programme_store.root / relative
        if not create and not path.is_file():
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(handle, made)
                os.fsync(handle)
            finally:
                os.close(handle)
        text = path.read_text(encoding="ascii")
        for _ in range(50):  # another process made it a moment ago and is still writing it
            if len(text.strip()) >= 2 * size:
                break
            time.sleep(0.02)
            text = path.read_text(encoding="ascii")
    key = bytes.fromhex(text.strip())
    if len(key) < size:
        raise store.StoreError(f"{relative} in the data store is damaged (too short to be a key)")
    return key


@contextlib.contextmanager
def locked(programme_store: store.Store, name: str, timeout: float = 30.0) -> Iterator[None]:
    """Hold a small lock of the store's own (`name`, a file next to what it guards) for the block: a lock file in
    the store's folder, and on S3 a lock object too. Not the import lock: an import may hold that one meanwhile."""
    path = programme_store.root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout
    with open(path, "a+") as handle:
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise store.StoreError(f"{name} in the data store stays locked; try again in a minute") from None
                time.sleep(0.05)
        try:
            where = programme_store.remote
            if where is None:
                yield
                return
            try:
                token = remote.acquire_lock(where, name, max(1.0, deadline - time.monotonic()))
            except TimeoutError:
                raise store.StoreError(f"{name} in the data store stays locked; try again in a minute") from None
            try:
                yield
            finally:
                remote.release_lock(where, name, token)
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
