"""First start of a deployment: make the bucket if it is missing, and put the shipped extracts (data/, as they
are: the top-level programme and data/programmes/*) into an empty store (IMPACT_DATA_DIR=s3://bucket/prefix),
so the servers have something to show — the same store as a fresh local data/ folder.

    python deploy/seed.py        # compose.yaml's "seed" service runs it once before the app servers start

A store that already holds a programme is left alone: later data arrives by `python -m impact import`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    from botocore.exceptions import ClientError

    from impact.storage import remote, store

    url = os.environ.get("IMPACT_DATA_DIR", "")
    if not remote.is_url(url):
        print("IMPACT_DATA_DIR is not an s3:// address: nothing to seed")
        return 0
    where = remote.parse(url)
    try:
        remote.client().head_bucket(Bucket=where.bucket)
    except ClientError:
        remote.client().create_bucket(Bucket=where.bucket)
        print(f"created bucket {where.bucket}")
    if store.programmes(url):
        print(f"{url} already holds {', '.join(store.programmes(url))}: left as it is")
        return 0
    shipped = ROOT / "data"
    count = 0
    for path in sorted(shipped.rglob("*")):  # the shipped extracts as they are: each programme's "base" version
        relative = path.relative_to(shipped)
        if path.is_file() and not any(part.startswith(".") or part in (store.VERSIONS, store.POINTER)
                                      for part in relative.parts):
            remote.upload(where, relative.as_posix(), path)
            count += 1
    print(f"{url}: the shipped extracts uploaded ({count} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
