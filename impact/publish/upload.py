"""`publish --to s3://bucket/prefix`: a built site copied into a bucket that serves it (behind a CDN, say).

Files go up in the order that never leaves a page linking something missing: the content-hashed assets first,
then every other file, the pages last. Hashed assets are cached for a year (their name changes when they do),
everything else for minutes. Afterwards the objects under the prefix that the new site does not hold are removed,
except old assets: a page a reader (or a CDN) still holds from the previous site may link them.

Compression: a bucket sends an object as it is, whatever the reader's browser accepts, so the `.gz` copies publish
writes beside the text files (impact.publish.compress) are not uploaded as objects of their own. An asset's object is
its `.gz` body with `Content-Encoding: gzip`: the assets (plotly.js, the map outlines, the stylesheet and scripts) are
the bulk of a first visit and only browsers fetch them, which all decode gzip (plotly.js: 1.5 MB instead of 4.8,
from S3 alone or through CloudFront, which passes an object's encoding on). Pages, CSV and JSON stay plain: anyone may
fetch those (a script, an oEmbed consumer, curl without --compressed); a CDN in front compresses them for the
browsers that ask (CloudFront's "compress objects automatically").
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path

from impact.publish import compress
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


def sent_as(relative: str, path: Path) -> tuple[Path, str]:
    """The file whose bytes go into the object for the site's file `path`, and its Content-Encoding: an asset's
    `.gz` copy with "gzip" when publish wrote one, else the file itself with none."""
    copy = path.with_name(path.name + compress.SUFFIX)
    if relative.startswith(ASSETS) and copy.is_file():
        return copy, "gzip"
    return path, ""


def upload(site: Path, url: str) -> Uploaded:
    """Copy the site in the folder `site` to `s3://bucket/prefix` (ValueError if `url` is not one)."""
    where = remote.parse(url)
    files = {p.relative_to(site).as_posix(): p for p in compress.plain_files(site)}
    order = sorted(files, key=lambda rel: (not rel.startswith(ASSETS), rel.endswith(".html"), rel))
    before = remote.listing(where)
    for relative in order:
        body, encoding = sent_as(relative, files[relative])
        remote.upload(where, relative, body, content_type=content_type(files[relative]),
                      cache_control=cache_control(relative), content_encoding=encoding)
    stale = [rel for rel in before if rel not in files]
    kept = [rel for rel in stale if rel.startswith(ASSETS)]
    remote.delete(where, [rel for rel in stale if not rel.startswith(ASSETS)])
    return Uploaded(where.url, len(order), len(stale) - len(kept), len(kept))
