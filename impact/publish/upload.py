"""`publish --to s3://bucket/prefix`: a built site copied into a bucket that serves it (behind a CDN, say).

Files go up in the order that never leaves a page linking something missing: the content-hashed assets first,
then every other file, the pages last. Hashed assets are cached for a year (their name changes when they do),
everything else for minutes. Afterwards the objects under the prefix that the new site does not hold are removed,
except old assets: a page a reader (or a CDN) still holds from the previous site may link them.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path

from impact.storage import remote

ASSETS = "assets/"
LONG = "public, max-age=31536000, immutable"
SHORT = "public, max-age=300"
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".json": "application/json", ".csv": "text/csv; charset=utf-8",
         ".svg": "image/svg+xml"}


@dataclass(frozen=True)
class Uploaded:
    """What an upload did: objects written, old ones removed, old assets kept."""

    url: str
    written: int
    removed: int
    kept_assets: int


def content_type(path: Path) -> str:
    """The Content-Type a web server would send for a file of the site."""
    return TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def cache_control(relative: str) -> str:
    """A year for the content-hashed assets, minutes for everything else."""
    return LONG if relative.startswith(ASSETS) else SHORT


def upload(site: Path, url: str) -> Uploaded:
    """Copy the site in the folder `site` to `s3://bucket/prefix` (ValueError if `url` is not one)."""
    where = remote.parse(url)
    files = {p.relative_to(site).as_posix(): p for p in sorted(site.rglob("*")) if p.is_file()
             and not p.name.startswith(".")}
    order = sorted(files, key=lambda rel: (not rel.startswith(ASSETS), rel.endswith(".html"), rel))
    before = remote.listing(where)
    for relative in order:
        remote.upload(where, relative, files[relative], content_type=content_type(files[relative]),
                      cache_control=cache_control(relative))
    stale = [rel for rel in before if rel not in files]
    kept = [rel for rel in stale if rel.startswith(ASSETS)]
    remote.delete(where, [rel for rel in stale if not rel.startswith(ASSETS)])
    return Uploaded(where.url, len(order), len(stale) - len(kept), len(kept))
