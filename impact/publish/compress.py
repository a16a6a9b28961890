"""The site's precompressed copies: a `.gz` beside each text file worth compressing, for servers that send it as it is.

A reader's browser asks for `plotly.…min.js` with `Accept-Encoding: gzip`; nginx with `gzip_static on` (deploy/)
then sends `plotly.…min.js.gz` (1.5 MB instead of 4.8) with `Content-Encoding: gzip`, without compressing anything
while it serves. The `.gz` is gzip at its highest level (`gzip -9`), written once when the site is published, with
no name and no time in its header, so that the same site gives the same bytes; decompressed it is the file, byte for
byte. Opened from `file://` (a USB stick), the browser reads the plain files and the `.gz` copies are simply unused.

No Brotli copy: no Brotli package is installed with the project and Debian's nginx has no module to send one.
"""

from __future__ import annotations

import gzip
from pathlib import Path

SUFFIX = ".gz"
# The text files of the site; images other than SVG are compressed already.
TEXT = frozenset({".html", ".js", ".css", ".json", ".csv", ".svg", ".txt", ".xml"})
# Below this a compressed answer saves less than a network packet; nginx's `gzip_min_length` in deploy/ is the same.
MIN_BYTES = 1024


def worth_compressing(path: Path) -> bool:
    """A text file of the site of at least MIN_BYTES (a `.gz` copy itself never is)."""
    return path.suffix.lower() in TEXT and path.stat().st_size >= MIN_BYTES


def is_copy(path: str | Path) -> bool:
    """True for a precompressed copy (`….gz`) that stands beside its plain file."""
    path = Path(path)
    return path.suffix == SUFFIX and path.with_suffix("").suffix.lower() in TEXT


def gzipped(data: bytes) -> bytes:
    """`data` compressed as `gzip -9 -n` does: the highest level, no name and no time in the header."""
    return gzip.compress(data, compresslevel=9, mtime=0)


def precompress(site: Path, suffixes: frozenset[str] | set[str] = TEXT) -> int:
    """Write `<file>.gz` beside each file of the folder `site` worth compressing (when it comes out smaller) whose
    suffix is one of `suffixes` (default: every text file); return how many were written. (The build compresses its
    pages while the SVGs are still being drawn, then the SVGs.)"""
    written = 0
    for path in sorted(p for p in site.rglob("*") if p.is_file() and not p.name.startswith(".")):
        if path.suffix.lower() not in suffixes or not worth_compressing(path):
            continue
        data = path.read_bytes()
        packed = gzipped(data)
        if len(packed) < len(data):
            path.with_name(path.name + SUFFIX).write_bytes(packed)
            written += 1
    return written


def plain_files(site: Path) -> list[Path]:
    """The site's own files (its pages, data and assets), without the hidden marker and the `.gz` copies."""
    return sorted(p for p in site.rglob("*") if p.is_file() and not p.name.startswith(".") and not is_copy(p))
