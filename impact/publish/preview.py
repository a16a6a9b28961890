"""What a built site holds and how it differs from the site published before: for the preview the Data page shows
before an administrator publishes, and the site as one .zip to download."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Contents:
    """A built site: its files (relative paths, `/`-separated, sorted), its pages (the .html files) and its size."""

    files: list[str]
    pages: list[str]
    bytes: int


@dataclass(frozen=True)
class Differences:
    """The pages a new site adds, changes (other bytes) and removes, against the site published in a folder."""

    added: list[str]
    changed: list[str]
    removed: list[str]
    unchanged: int


def _files(folder: Path) -> dict[str, Path]:
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.name.startswith(".")}


def contents(folder: str | Path) -> Contents:
    """The files, pages and size of the site in `folder` (hidden files, such as the site's marker, left out)."""
    found = _files(Path(folder))
    return Contents(files=list(found), pages=[f for f in found if f.endswith(".html")],
                    bytes=sum(p.stat().st_size for p in found.values()))


def differences(new: str | Path, published: str | Path) -> Differences | None:
    """The pages of the site in `new` against those of the site in the folder `published` (None when nothing is
    published there yet)."""
    published = Path(published)
    if not published.is_dir():
        return None
    ours = {k: v for k, v in _files(Path(new)).items() if k.endswith(".html")}
    theirs = {k: v for k, v in _files(published).items() if k.endswith(".html")}
    both = sorted(ours.keys() & theirs.keys())
    changed = [page for page in both if ours[page].read_bytes() != theirs[page].read_bytes()]
    return Differences(added=sorted(ours.keys() - theirs.keys()), changed=changed,
                       removed=sorted(theirs.keys() - ours.keys()), unchanged=len(both) - len(changed))


def bucket_differences(new: str | Path, url: str) -> Differences:
    """The pages of the site in `new` against the objects under `s3://bucket/prefix`: added and removed by name (a
    bucket's objects are not read, so `changed` is empty and `unchanged` counts the pages both hold)."""
    from impact.storage import remote

    ours = {k for k in _files(Path(new)) if k.endswith(".html")}
    theirs = {k for k in remote.listing(remote.parse(url)) if k.endswith(".html")}
    return Differences(added=sorted(ours - theirs), changed=[], removed=sorted(theirs - ours),
                       unchanged=len(ours & theirs))


def zipped(folder: str | Path, name: str = "site") -> bytes:
    """The site in `folder` as a .zip whose files sit under `name/` (unpack it and open name/index.html)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for relative, path in _files(Path(folder)).items():
            archive.write(path, f"{name}/{relative}")
    return buffer.getvalue()
