"""Streamlit glue for publishing the public site (impact.publish) from the Data page, for administrators.

Where the site goes is the server's choice, in its secrets, never typed on the page:

    [publish]
    out = "/srv/site"              # a folder a web server serves (replaced whole, as `publish --out` does)
    to = "s3://bucket/prefix"      # and/or a bucket (uploaded as `publish --to` does)
    # programmes = ["hps"]         # default: every programme in the store
    # svg = true                   # pre-render each chart's SVG (slower); default: the tables only without JS
    # base_url = "https://example.org/impact"

"Build a preview" builds the site into a temporary folder and shows what would be published; "Publish" publishes
that very folder, refused when a programme's data version changed since. The .zip of the site is always offered.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import streamlit as st
from botocore.exceptions import BotoCoreError, ClientError

from impact.app import auth, session
from impact.app.text import plain
from impact.model import i18n
from impact.model.i18n import N_
from impact.model.i18n import gettext as _
from impact.publish import preview, site, upload
from impact.storage import audit, remote, store

PREVIEW = "publish_preview_site"  # session state: this session's Preview (its folder, what it holds)
PREFIX = "impact-site-preview-"  # a preview's temporary folder
_OUTCOME = "_publish_outcome"  # session state: (ok, message) of the last publish
HOW_TO_CONFIGURE = N_("""No place to publish is configured on this server. An operator adds it to the server's
`.streamlit/secrets.toml`:

```toml
[publish]
out = "/srv/site"            # a folder a web server serves
to = "s3://bucket/prefix"    # and/or a bucket (credentials as for the data store)
```

Meanwhile, build a preview and download the site as a .zip: it works from any folder or static host.""")


@dataclass(frozen=True)
class Settings:
    """The `[publish]` section of the server's secrets."""

    out: str = ""
    to: str = ""
    programmes: list[str] = field(default_factory=list)
    svg: bool = False
    base_url: str = ""


@dataclass
class Preview:
    """A site built for a look before publishing: its folder, what it holds and the data versions it shows."""

    folder: Path
    built: site.Built
    contents: preview.Contents
    versions: dict[str, str]
    when: str


def settings() -> Settings:
    """The server's `[publish]` secrets; ValueError names a value that cannot be used."""
    try:
        raw = st.secrets.to_dict().get("publish") or {}
    except Exception:  # no secrets.toml: Streamlit raises its own not-found error
        raw = {}
    if not isinstance(raw, dict):
        raise ValueError("secrets: [publish] must be a section (out = \"/srv/site\" and/or to = \"s3://…\")")
    out, to, base_url = (raw.get(key, "") for key in ("out", "to", "base_url"))
    for key, value in (("out", out), ("to", to), ("base_url", base_url)):
        if not isinstance(value, str):
            raise ValueError(f"secrets: [publish] {key} must be text")
    if to and not remote.is_url(to):
        raise ValueError(f"secrets: [publish] to = {to[:60]!r} is not an s3://bucket/prefix address")
    if to:
        remote.parse(to)
    programmes = raw.get("programmes") or []
    if not isinstance(programmes, list) or not all(isinstance(p, str) for p in programmes):
        raise ValueError("secrets: [publish] programmes must be a list of programme ids")
    return Settings(out=out.strip(), to=to.strip(), programmes=programmes, svg=bool(raw.get("svg", False)),
                    base_url=base_url.strip())


def active_versions(programmes: list[str]) -> dict[str, str]:
    """The data version each programme uses now."""
    return {pid: store.open_store(None, pid).active().version for pid in programmes}


def build_preview(chosen: Settings) -> Preview:
    """Build the site into a new temporary folder (the previous preview's folder removed)."""
    auth.require_admin()
    _forget()
    sweep()
    folder = Path(tempfile.mkdtemp(prefix=PREFIX))
    try:
        built = site.build(folder / "site", programmes=chosen.programmes or None, base_url=chosen.base_url,
                           svg=chosen.svg, languages=None)  # every language, as the command publishes by default
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return Preview(folder=built.out, built=built, contents=preview.contents(built.out),
                   versions={f["programme"]: f["version"] for f in built.facts},
                   when=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"))


def sweep(hours: float = 24, folder: str | Path | None = None) -> int:
    """Remove the previews older than `hours` in the temporary folder (of sessions gone since); how many."""
    cutoff = time.time() - hours * 3600
    gone = 0
    for old in Path(folder or tempfile.gettempdir()).glob(f"{PREFIX}*"):
        if old.is_dir() and old.stat().st_mtime < cutoff:
            shutil.rmtree(old, ignore_errors=True)
            gone += 1
    return gone


def _forget() -> None:
    old = st.session_state.pop(PREVIEW, None)
    if old is not None:
        shutil.rmtree(old.folder.parent, ignore_errors=True)


def publish(shown: Preview, chosen: Settings) -> str:
    """Publish the previewed site to the configured folder and/or bucket and record it in each programme's trail;
    what was written, in a sentence. ValueError (nothing written) when a data version changed since the preview."""
    auth.require_admin()
    if not chosen.out and not chosen.to:
        raise ValueError("no place to publish is configured on this server (secrets: [publish] out or to)")
    now = active_versions(list(shown.versions))
    moved = [f"{pid} now uses version {now[pid]}, the preview shows {v}" for pid, v in shown.versions.items()
             if now[pid] != v]
    if moved:
        raise ValueError("The data changed since the preview (" + "; ".join(moved) + "). Nothing was published: "
                         "build a new preview and publish that.")
    done = []
    if chosen.out:
        where = site.install(shown.folder, chosen.out)
        _record(shown, str(where))
        done.append(f"{len(shown.contents.files):,} files to the folder {where}")
    if chosen.to:
        sent = upload.upload(shown.folder, chosen.to)
        _record(shown, sent.url)
        done.append(f"{sent.written:,} files to {sent.url} ({sent.removed} objects the new site does not hold "
                    f"removed, {sent.kept_assets} old assets kept)")
    return (f"Published the site of {', '.join(shown.versions)} ({shown.built.pages:,} pages): "
            + "; ".join(done) + ".")


def _record(shown: Preview, where: str) -> None:
    """One entry in each published programme's trail, as soon as a place holds the site (a folder written before
    an upload fails is recorded)."""
    for pid, version in shown.versions.items():
        audit.record(store.open_store(None, pid), audit.PUBLISHED, auth.admin_name(), where, version=version,
                     programmes=list(shown.versions), pages=shown.built.pages, files=len(shown.contents.files))


def public_site() -> None:
    """The Data page's section: where the site goes, a preview, publishing, and the site as a .zip."""
    auth.require_admin()
    try:
        chosen = settings()
    except ValueError as error:
        st.error(plain(str(error)))
        return
    if chosen.out or chosen.to:
        places = (_("{first} and {second}").format(first=plain(chosen.out), second=plain(chosen.to))
                  if chosen.out and chosen.to else plain(chosen.out or chosen.to))
        st.markdown(_("This server publishes the public site to {places} (set in its secrets, `[publish]`). Build a "
                      "preview first: publishing puts exactly the previewed site there.").format(places=places))
    else:
        st.info(_(HOW_TO_CONFIGURE))
    if st.button(_("Build a preview"), key="publish_preview"):
        st.session_state.pop(_OUTCOME, None)
        try:
            with st.spinner(_("Building the site from the data in use…")):
                st.session_state[PREVIEW] = build_preview(chosen)
        except (ValueError, OSError, store.StoreError) as error:
            st.error(plain(str(error)))
    shown = st.session_state.get(PREVIEW)
    if shown is None or not shown.folder.is_dir():
        return
    _describe(shown, chosen)
    if chosen.out or chosen.to:
        if st.button(_("Publish"), type="primary", key="publish_site"):
            try:
                st.session_state[_OUTCOME] = (True, publish(shown, chosen))
            except (ValueError, OSError, store.StoreError, remote.RemoteError, BotoCoreError, ClientError) as error:
                st.session_state[_OUTCOME] = (False, str(error))
    outcome = st.session_state.get(_OUTCOME)
    if outcome:
        (st.success if outcome[0] else st.error)(plain(outcome[1]))
    st.download_button(_("Download the site (.zip)"), data=lambda: preview.zipped(shown.folder, "impact-site"),
                       file_name=f"impact-site-{dt.date.today().isoformat()}.zip", mime="application/zip",
                       key="publish_zip", icon=":material/download:")


def _changes(changes: preview.Differences, key: str) -> None:
    rows = ([{"page": p, "change": "added"} for p in changes.added]
            + [{"page": p, "change": "changed"} for p in changes.changed]
            + [{"page": p, "change": "removed"} for p in changes.removed])
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key=key)


def _describe(shown: Preview, chosen: Settings) -> None:
    """What the preview holds: programmes, versions, licences, thresholds, pages, the differences and a page."""
    built, held = shown.built, shown.contents
    words = i18n.active()
    st.subheader(_("Preview"), anchor=False)
    st.markdown(plain(_("Built {when}: {pages} pages, {files} files, {size} MB, {charts} charts ({svgs} pre-rendered "
                        "SVGs), {suppressed} small cells suppressed.").format(
        when=shown.when, pages=words.number(built.pages), files=words.number(len(held.files)),
        size=words.number(held.bytes / 1e6, 1), charts=words.number(built.charts), svgs=words.number(built.svgs),
        suppressed=words.number(built.suppressed))))
    st.dataframe(pd.DataFrame([{"programme": f["programme"], "name": f["name"], "data version": f["version"],
                                "licence": f["licence"] or "(none given)",
                                "small numbers": (f"fewer than {f['suppress_below']}" if f["suppress_below"] > 1
                                                  else "all shown")} for f in built.facts]),
                 hide_index=True, width="stretch", key="publish_facts")
    if chosen.out:
        changes = preview.differences(shown.folder, chosen.out)
        if changes is None:
            st.caption(plain(_("Nothing is published in {place} yet: every page is new.").format(place=chosen.out)))
        else:
            st.markdown(plain(_("Against the site published now in {place}: {added} pages added, {changed} changed, "
                                "{removed} removed, {unchanged} unchanged.").format(
                place=chosen.out, added=len(changes.added), changed=len(changes.changed),
                removed=len(changes.removed), unchanged=changes.unchanged)))
            _changes(changes, "publish_changes")
    if chosen.to:
        try:
            changes = preview.bucket_differences(shown.folder, chosen.to)
        except (remote.RemoteError, OSError, BotoCoreError, ClientError) as error:
            st.warning(plain(_("The bucket {place} could not be listed to compare ({error}).").format(
                place=chosen.to, error=error)))
        else:
            st.markdown(plain(_("Against the pages in {place} now: {added} pages added, {removed} removed, {unchanged} "
                                "kept (replaced by the new version of each).").format(
                place=chosen.to, added=len(changes.added), removed=len(changes.removed),
                unchanged=changes.unchanged)))
            _changes(changes, "publish_bucket_changes")
    with st.expander(_("The {count} pages").format(count=words.number(len(held.pages)))):
        st.dataframe(pd.DataFrame({"page": held.pages}), hide_index=True, width="stretch", key="publish_pages")
    home = f"{site.safe_name(session.programme_id())}/index.html"
    pages = held.pages
    page = st.selectbox(_("Look at a page"), pages, index=pages.index(home) if home in pages else 0, key="publish_page")
    st.caption(_("As a reader sees it with JavaScript off: the numbers' tables (styles and charts are not loaded in "
                 "this preview)."))
    # The site's own output (every text from data escaped by its templates), in an iframe of its own.
    st.iframe((shown.folder / page).read_text(encoding="utf-8"), height=600)
