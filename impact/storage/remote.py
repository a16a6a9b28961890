"""Objects of a data store on S3-compatible object storage (IMPACT_DATA_DIR=s3://bucket/prefix).

The store keeps the layout of a local one (impact.storage.store), as object keys under the prefix:
`ACTIVE`, `programme.json`, the shipped tables, `versions/<version>/…`, `programmes/<id>/…`. This module
only moves objects: it names keys, lists, downloads, uploads, deletes, and holds the writers' lock
object. How a store is mirrored into a local folder and when objects are written is impact.storage.store's.

Connection: the endpoint is IMPACT_S3_ENDPOINT, else AWS_ENDPOINT_URL, else AWS itself; credentials and
region come from the usual AWS variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
AWS_REGION) or any other source boto3 reads (a profile, an instance role). Addressing is path-style, which
every S3-compatible server (MinIO, moto, Ceph) accepts.

The lock is an object (`.lock`) created with a conditional write (If-None-Match: *), which AWS S3, MinIO
and moto honour: only one writer at a time, across machines. A lock older than LOCK_STALE_SECONDS is
taken to be left by a crashed writer and broken.
"""

from __future__ import annotations

import functools
import json
import os
import socket
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

SCHEME = "s3://"
LOCK_STALE_SECONDS = 600


class RemoteError(RuntimeError):
    """The object store could not be reached, or refused an operation."""


def is_url(value) -> bool:
    """True for an `s3://bucket[/prefix]` address (a string; a Path never is one)."""
    return isinstance(value, str) and value.startswith(SCHEME)


@dataclass(frozen=True)
class Location:
    """A store's place in a bucket: `key("ACTIVE")` is the object holding its pointer."""

    bucket: str
    prefix: str  # "" or "some/prefix/" (always ending in "/")

    @property
    def url(self) -> str:
        return f"{SCHEME}{self.bucket}/{self.prefix}".rstrip("/")

    def key(self, relative: str) -> str:
        return self.prefix + relative

    def child(self, relative: str) -> Location:
        """The location of a store inside this one (e.g. "programmes/gsp")."""
        return Location(self.bucket, self.prefix + relative.strip("/") + "/")


def parse(url: str) -> Location:
    """The bucket and prefix of `s3://bucket/prefix` (ValueError if it is not one)."""
    if not is_url(url):
        raise ValueError(f"not an s3:// address: {url!r}")
    bucket, _, prefix = url[len(SCHEME):].partition("/")
    if not bucket:
        raise ValueError(f"no bucket in {url!r}")
    prefix = prefix.strip("/")
    return Location(bucket, prefix + "/" if prefix else "")


def endpoint() -> str | None:
    """The S3 endpoint to use (None: AWS's own)."""
    return os.environ.get("IMPACT_S3_ENDPOINT") or os.environ.get("AWS_ENDPOINT_URL") or None


@functools.cache
def _client(endpoint_url: str | None, region: str):
    import boto3
    from botocore.config import Config

    config = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 4, "mode": "standard"},
                    max_pool_connections=32, connect_timeout=5, read_timeout=30)
    return boto3.session.Session().client("s3", endpoint_url=endpoint_url, region_name=region, config=config)


def client():
    """A boto3 S3 client for the configured endpoint (shared; boto3 clients are thread-safe)."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return _client(endpoint(), region)


def _missing(error) -> bool:
    code = getattr(error, "response", {}).get("Error", {}).get("Code", "")
    return code in ("NoSuchKey", "404", "NotFound")


def _code(error) -> str:
    return getattr(error, "response", {}).get("Error", {}).get("Code", "")


def read_text(where: Location, relative: str) -> str | None:
    """The text of an object (None if there is none)."""
    from botocore.exceptions import ClientError

    try:
        body = client().get_object(Bucket=where.bucket, Key=where.key(relative))["Body"].read()
    except ClientError as error:
        if _missing(error):
            return None
        raise RemoteError(f"{where.url}/{relative}: {error}") from error
    return body.decode("utf-8")


def write_bytes(where: Location, relative: str, data: bytes) -> None:
    """Create or replace one object (a single PUT: readers see the old object or the new one)."""
    client().put_object(Bucket=where.bucket, Key=where.key(relative), Body=data)


def create_once(where: Location, relative: str, data: bytes) -> bool:
    """Create an object only when there is none (a conditional write); False when it was already there."""
    from botocore.exceptions import ClientError

    try:
        client().put_object(Bucket=where.bucket, Key=where.key(relative), Body=data, IfNoneMatch="*")
    except ClientError as error:
        if _code(error) in ("PreconditionFailed", "ConditionalRequestConflict"):
            return False
        raise RemoteError(f"{where.url}/{relative}: {error}") from error
    return True


def listing(where: Location, relative: str = "", *, recursive: bool = True) -> dict[str, int]:
    """Objects under `relative` (relative to the store) -> their size; without `recursive`, only the
    objects directly in it (folders aside)."""
    paginator = client().get_paginator("list_objects_v2")
    found: dict[str, int] = {}
    options = {} if recursive else {"Delimiter": "/"}
    for page in paginator.paginate(Bucket=where.bucket, Prefix=where.key(relative), **options):
        for item in page.get("Contents", []):
            found[item["Key"][len(where.prefix):]] = item["Size"]
    return found


def folders(where: Location, relative: str) -> list[str]:
    """The names of the "folders" directly under `relative` (common prefixes)."""
    paginator = client().get_paginator("list_objects_v2")
    out = []
    base = where.key(relative)
    for page in paginator.paginate(Bucket=where.bucket, Prefix=base, Delimiter="/"):
        out += [p["Prefix"][len(base):].rstrip("/") for p in page.get("CommonPrefixes", [])]
    return out


def download(where: Location, relative: str, target: Path) -> None:
    """Copy one object into a local file."""
    client().download_file(where.bucket, where.key(relative), str(target))


def upload(where: Location, relative: str, source: Path, *, content_type: str = "", cache_control: str = "",
           content_encoding: str = "") -> None:
    """Copy one local file into an object (with the Content-Type, Cache-Control and Content-Encoding a web server
    sends, if given)."""
    extra = {k: v for k, v in (("ContentType", content_type), ("CacheControl", cache_control),
                               ("ContentEncoding", content_encoding)) if v}
    client().upload_file(str(source), where.bucket, where.key(relative), ExtraArgs=extra or None)


def delete(where: Location, relatives: list[str]) -> None:
    """Delete objects (missing ones are no error)."""
    for relative in relatives:
        client().delete_object(Bucket=where.bucket, Key=where.key(relative))


def acquire_lock(where: Location, name: str, timeout: float) -> str:
    """Create the lock object `name` (conditional write), waiting up to `timeout` s; return its token.

    Raises TimeoutError when another writer holds it."""
    from botocore.exceptions import ClientError

    token = uuid.uuid4().hex
    body = json.dumps({"token": token, "host": socket.gethostname(), "pid": os.getpid(), "at": time.time()})
    deadline = time.monotonic() + timeout
    while True:
        try:
            client().put_object(Bucket=where.bucket, Key=where.key(name), Body=body.encode(), IfNoneMatch="*")
            return token
        except ClientError as error:
            if _code(error) not in ("PreconditionFailed", "ConditionalRequestConflict"):
                raise RemoteError(f"{where.url}: the lock object cannot be written ({error}); the store needs "
                                  "conditional writes (If-None-Match), as AWS S3, MinIO and moto have") from error
        held = read_text(where, name)
        try:
            since = time.time() - float(json.loads(held or "{}").get("at", 0))
        except (ValueError, TypeError, AttributeError):
            since = LOCK_STALE_SECONDS + 1
        if held is not None and since > LOCK_STALE_SECONDS:  # left by a writer that crashed
            delete(where, [name])
            continue
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{where.url}/{name} is held")
        time.sleep(0.25)


def release_lock(where: Location, name: str, token: str) -> None:
    """Delete the lock object if it is still ours."""
    held = read_text(where, name)
    try:
        ours = held is not None and json.loads(held).get("token") == token
    except ValueError:
        ours = False
    if ours:
        delete(where, [name])
