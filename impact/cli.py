"""The command line: `python -m impact <command>`.

Each command is a small function taking parsed arguments and returning an exit
code. Bad input (a ValueError, an unknown name, a file the user named that cannot
be read or written) is printed as one clear line on stderr with exit code 2; any
other exception is a bug, printed as "internal error" with its traceback and exit
code 3, so that it never looks like the user's mistake.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

from impact.demo import generators
from impact.ingest import mapping_cli

# The options several commands share, declared once each (one name and its aliases, one dest, one help text),
# as Datasette's publish/common.py does for its publishers: a command adds them with these functions and
# never spells them itself, so `--data-dir` cannot mean two things or be missing from one command.

DATA_DIR_HELP = "data store to use (default: IMPACT_DATA_DIR, else data/)"
PROGRAMME_HELP = ("programme id (default: for an import, the one the extract's programme.json names; "
                  "else the store's first)")
FILTER_HELP = ("a filter as in the app's URL (from, to, phase, region, country, theme, grant, cadre, gender); "
               "repeat it for several values (country=UGA,TZA also works; a value that is itself allowed, "
               "commas and all, is one value)")
SHOW_HELP = "problems to print in detail (default 50)"
PROGRAMMES_HELP = "programme ids, one or several (repeat it or list them); default: every programme in the store"


def add_data_dir_option(parser: argparse.ArgumentParser) -> None:
    """`--data-dir DIR` (alias `--data`): the data store a command reads or writes."""
    parser.add_argument("--data-dir", "--data", dest="data_dir", metavar="DIR", default=None, help=DATA_DIR_HELP)


def add_store_options(parser: argparse.ArgumentParser) -> None:
    """`--data-dir DIR` and `--programme ID`: which store, and which programme in it, a command works on."""
    add_data_dir_option(parser)
    parser.add_argument("--programme", dest="programme", metavar="ID", default=None, help=PROGRAMME_HELP)


def add_programmes_option(parser: argparse.ArgumentParser) -> None:
    """`--programme ID ...`: the programmes a command over several works on (default: all of them)."""
    parser.add_argument("--programme", dest="programme", metavar="ID", nargs="+", action="extend", default=None,
                        help=PROGRAMMES_HELP)


def add_filter_option(parser: argparse.ArgumentParser) -> None:
    """`--filter KEY=VALUE`, repeatable: the app's link keys."""
    parser.add_argument("--filter", dest="filter", action="append", metavar="KEY=VALUE", help=FILTER_HELP)


def add_out_option(parser: argparse.ArgumentParser, what: str, *, required: bool = True,
                   metavar: str | None = None) -> None:
    """`--out`: where a command writes; `what` says what is written there (a folder, FILE.xml...)."""
    parser.add_argument("--out", dest="out", required=required, metavar=metavar, help=what)


def add_language_option(parser: argparse.ArgumentParser, what: str, default: str | None = "en",
                        otherwise: str = "") -> None:
    """`--lang CODE`: the language a command writes `what` in (default: English, or `otherwise` says)."""
    from impact.model import i18n

    parser.add_argument("--lang", dest="lang", default=default, choices=list(i18n.LANGUAGES), metavar="CODE",
                        help=f"the language of {what}: {', '.join(i18n.LANGUAGES)} (default: {otherwise or default})")


def add_show_option(parser: argparse.ArgumentParser) -> None:
    """`--show N`: how many problems of a refused import to print in detail."""
    parser.add_argument("--show", dest="show", type=int, default=50, help=SHOW_HELP)


def _generate(args: argparse.Namespace) -> int:
    from impact.demo.generators import generate

    counts = generate(args.out, scale=args.scale, seed=args.seed, programme=args.programme)
    width = max(len(name) for name in counts)
    for name, rows in counts.items():
        print(f"{name:<{width}}  {rows:>12,} rows")
    print(f"wrote {len(counts)} tables to {args.out}")
    return 0


def _export_context(args: argparse.Namespace):
    """Open the data and turn `--filter key=value` pairs into validated filters (ValueError if not)."""
    from impact.charts import export
    from impact.model import metrics
    from impact.query import db
    from impact.query.filters import from_query_params, url_keys
    from impact.storage import store

    database = db.open_active(store.open_store(args.data_dir, args.programme))
    metrics.activate(database.programme)
    choices = export.filter_choices(database)
    keys = url_keys(database.programme)
    by_url = {d.filter: choices.values.get(d.key, ()) for d in choices.dimensions}  # a link's key -> its values
    query: dict[str, list[str]] = {}
    for pair in args.filter or []:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not value:
            raise ValueError(f"--filter {pair!r}: write it as key=value, e.g. country=UGA")
        if key not in keys:
            raise ValueError(f"--filter {pair!r}: unknown key {key!r}; use one of {', '.join(keys)}")
        query.setdefault(key, []).extend(_filter_values(value, by_url.get(key, ())))
    filters, notices = from_query_params(query, choices)
    if notices:
        allowed = "; ".join(
            f"{key}: {', '.join(_quoted(v) for v in by_url[key])}" for key in query if key in by_url
            and any(v not in by_url[key] for v in query[key])
        )
        message = " ".join(n.replace("Ignored ", "").replace(" in the link", " in --filter") for n in notices)
        raise ValueError(message + (f" Allowed values are {allowed}." if allowed else "")
                         + (" Give several values by repeating --filter (key=A --filter key=B)."
                            if any("," in pair for pair in args.filter or []) else ""))
    provenance = export.Provenance.of(database, filters.describe(choices))
    return database, choices, filters, provenance


def _filter_values(value: str, allowed: tuple[str, ...]) -> list[str]:
    """The values of one `--filter key=value`: the whole value when it is one (a theme may hold commas, as in the
    app's link); else, as a shorthand, a comma-separated list (`country=UGA,TZA`)."""
    value = value.strip()
    if value in allowed or "," not in value:
        return [value] if value else []
    return [v.strip() for v in value.split(",") if v.strip()]


def _quoted(value: str) -> str:
    return f"'{value}'" if "," in value else value


def _export_list(args: argparse.Namespace) -> int:
    from impact.charts import catalog

    width = max(len(chart_id) for chart_id in catalog.CHARTS)
    for chart_id, spec in catalog.CHARTS.items():
        takes = f"  (--option {', '.join(spec.options)})" if spec.options else ""
        print(f"{chart_id:<{width}}  {spec.kind:<7}  {spec.title}{takes}")
    return 0


def _export_chart(args: argparse.Namespace) -> int:
    from impact.charts import catalog, export

    base = catalog.CHARTS[args.id] if args.id in catalog.CHARTS else catalog.chart(args.id)  # UnknownName names it
    chart_options = {}
    for pair in args.option or []:
        key, sep, value = pair.partition("=")
        if not sep or key not in base.options:
            raise ValueError(f"--option {pair!r}: chart {base.id!r} takes {', '.join(base.options) or 'no options'}")
        chart_options[key] = value
    database, choices, filters, provenance = _export_context(args)  # the programme's indicators are metrics from here
    spec = catalog.chart(args.id, chart_options)
    frame = export.chart_data(database, spec, filters, choices, chart_options)
    if frame.empty:
        raise ValueError(f"chart {spec.id!r} has no results for these filters")
    data = export.chart_bytes(spec, frame, provenance, args.format, scale=args.scale, chart_options=chart_options)
    Path(args.out).write_bytes(data)
    print(f"wrote {args.out} ({args.format}, {len(data):,} bytes)")
    return 0


def _export_deck(args: argparse.Namespace) -> int:
    from impact.model import i18n

    with i18n.using(args.lang):  # titles, notes, key numbers, source lines and numbers in the language asked
        return _write_deck(args)


def _write_deck(args: argparse.Namespace) -> int:
    from impact.charts import deck as decks
    from impact.charts import deck_writers, export

    fmt = Path(args.out).suffix.lower().lstrip(".")
    if fmt not in deck_writers.FORMATS:
        *others, last = (f".{f}" for f in deck_writers.FORMATS)
        raise ValueError(f"--out {args.out!r}: the file must end in {', '.join(others)} or {last}")
    custom = decks.load(args.deck) if args.deck else None  # a bad deck file is refused before the data is opened
    database, choices, filters, provenance = _export_context(args)
    deck = custom if custom is not None else decks.default_deck()  # the active programme's own default deck, now that it is known
    slides = decks.prepare(deck, lambda spec, opts: export.chart_data(database, spec, filters, choices, opts))

    def progress(done: int, total: int, what: str) -> None:
        print(f"[{done}/{total}] {what}", file=sys.stderr)

    data = deck_writers.build(deck, slides, provenance, fmt, progress=progress)
    Path(args.out).write_bytes(data)
    print(f"wrote {args.out} ({fmt}, {len(slides) + 1} slides, {len(data):,} bytes)")
    return 0


def _export_iati(args: argparse.Namespace) -> int:
    from impact.query import db
    from impact.query import iati as publishing
    from impact.storage import store

    database = db.open_active(store.open_store(args.data_dir, args.programme))
    published = publishing.publish(database)  # ValueError (exit 2) when the definition has no iati section
    if not published.valid:
        print(f"the IATI file for {database.programme.id} breaks the IATI 2.03 schema; nothing was written:",
              file=sys.stderr)
        for line, message in published.problems[:20]:
            print(f"- line {line}: {message}", file=sys.stderr)
        return 1
    Path(args.out).write_bytes(published.xml)
    print(f"wrote {args.out} (IATI 2.03, {published.activities} activities, {published.results} results, "
          f"{published.periods} periods with {published.targets} targets and {published.actuals} actuals, "
          f"{len(published.xml):,} bytes); valid against the IATI 2.03 schema in schemas/iati-2.03")
    return 0


def _add_export(commands) -> None:
    from impact.charts.export import FORMATS

    export = commands.add_parser("export", help="export charts and decks (PNG, SVG, PDF, CSV, Excel, PowerPoint, HTML)")
    kinds = export.add_subparsers(dest="export_command", required=True, metavar="WHAT")

    listing = kinds.add_parser("list", help="the chart ids available")
    listing.set_defaults(run=_export_list)

    chart = kinds.add_parser("chart", help="one chart as an image or its numbers")
    chart.add_argument("id", help="chart id (see `export list`)")
    chart.add_argument("--format", required=True, choices=FORMATS)
    add_out_option(chart, "file to write")
    chart.add_argument("--scale", type=int, default=1, choices=(1, 2), help="PNG size: 1 = 1920×1080, 2 = 3840×2160")
    chart.add_argument("--option", action="append", metavar="KEY=VALUE", help="the chart's own option, e.g. iso3=UGA")
    add_filter_option(chart)
    add_store_options(chart)
    chart.set_defaults(run=_export_chart)

    deck = kinds.add_parser("deck", help="a deck as PowerPoint, PDF or one self-contained HTML file")
    deck.add_argument("--deck", help="deck file (JSON); default: the shipped deck")
    add_out_option(deck, "FILE.pptx, FILE.pdf or FILE.html (the extension names the format)")
    add_filter_option(deck)
    add_store_options(deck)
    add_language_option(deck, "the slides' titles, notes, key numbers and source lines")
    deck.set_defaults(run=_export_deck)

    iati = kinds.add_parser("iati", help="the programme's projects as IATI 2.03 activities, with results against targets")
    add_out_option(iati, "FILE.xml to write")
    add_store_options(iati)
    iati.set_defaults(run=_export_iati)


def _dictionary(args: argparse.Namespace) -> int:
    from impact.model import i18n
    from impact.model.dictionary import markdown

    with i18n.using(args.lang):  # its headings, prose and rules in the reader's language (code and names as they are)
        text = markdown()
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text)
        print(f"wrote {args.out}")
    else:
        print(text, end="")
    return 0


def _import(args: argparse.Namespace) -> int:
    from impact.model import i18n

    with i18n.using(args.lang):  # the report's problems in the reader's language (the values as they are)
        return _import_in_language(args)


def _import_in_language(args: argparse.Namespace) -> int:
    from impact.ingest.extract_io import import_extract
    from impact.model.i18n import gettext as _

    if args.recipe is not None:  # a sheet in its own shape, through a mapping
        return mapping_cli.run_import(args)
    mapping_cli.refuse_without_recipe(args)
    result = import_extract(args.path, args.data_dir, programme=args.programme)
    print(result.report.to_text(limit=args.show))
    if not result.ok:
        return 1
    said = (_("version {version} of programme {programme} is now active (was {previous}); tables imported: {tables}")
            if result.previous else
            _("version {version} of programme {programme} is now active (a new programme); tables imported: {tables}"))
    print(said.format(version=result.version, programme=result.programme, previous=result.previous,
                      tables=", ".join(result.replaced) or _("none (definition or recipes only)")))
    return 0


def _import_iati(args: argparse.Namespace) -> int:
    from impact.model import i18n

    with i18n.using(args.lang):  # the summary, problems, reasons and notes in the reader's language (codes as they are)
        return _import_iati_in_language(args)


def _import_iati_in_language(args: argparse.Namespace) -> int:
    from impact.interchange import iati
    from impact.model import i18n
    from impact.model.i18n import gettext as _

    report = Path(args.report) if args.report else None
    if report is not None and report.suffix.lower() != ".csv":
        raise ValueError(f"--report {args.report}: the report is a CSV file; name it FILE.csv")
    home = None
    if args.home is not None:
        from impact.model import iso3166
        from impact.storage import store

        home = [c.strip().upper() for c in args.home.split(",") if c.strip()]
        wrong = [c for c in home if not iso3166.is_alpha3(c)]
        if wrong or not home:
            raise ValueError(f"--home {args.home}: {', '.join(wrong) or 'nothing'} is not an ISO 3166-1 alpha-3 "
                             "country code; give the home country or countries as DEU or ZAF,KEN")
        if args.programme is None or args.programme in store.programmes(args.data_dir):
            raise ValueError(f"--home is for a programme started from the file (--programme NEW); "
                             f"{args.programme or 'the programme'} exists and its home is in its definition")
    done = iati.import_iati(args.path, args.data_dir, programme=args.programme, accept_valid=args.accept_valid,
                            add_indicators=args.add_indicators, home=home)
    if report is not None and done.mapped is not None:
        report.write_bytes(done.activity_csv())
    refused = [o for o in done.outcomes if o.status == iati.REFUSED]
    own = {(o.identifier, r.rule) for o in refused for r in o.reasons}
    whole_file = [p for p in done.report.ordered() if (p.value, p.rule) not in own]
    if not done.outcomes and not done.report.ok:  # the file itself cannot be read
        print(done.report.to_text(limit=args.show))
    elif done.outcomes:
        print(done.summary())
        words = i18n.active()
        for p in whole_file:
            print(f"- {done.report.where(p)}: {p.message} [{p.rule}]")
        listed = sum(len(o.reasons) for o in refused) if not args.accept_valid else 0  # in the report too
        hidden = done.report.total - listed - len(whole_file)
        if hidden > 0:  # problems of the file the import's checks counted without details (kinds as above)
            print(_("… and {count} more problems of the file of the same kinds as above.").format(
                count=words.number(hidden)))
        if refused:  # every one, none left off (--show limits only the problems of a file that cannot be read)
            print(_("refused ({count}):").format(count=words.number(len(refused))))
            for o in refused:
                for r in o.reasons:
                    where = o.identifier or _("line {line}").format(line=o.line)
                    print("- " + _("{activity}, {element}, line {line}: {reason}").format(
                        activity=where, element=r.element, line=r.line or o.line, reason=r.message) + f" [{r.rule}]")
        if done.proposed:  # result indicators no indicator of the programme matches
            print(_("new indicators created:") if args.add_indicators else
                  _("new indicators proposed (run again with --add-indicators to create them):"))
            for code, (title, result) in done.proposed.items():
                print(f"- {code}: " + _("{title} (result: {result})").format(title=title, result=result))
        if refused and not args.accept_valid and done.mapped.count(iati.MAPS):
            print(_("To import the {count} activities that map and leave these out, run again with "
                    "--accept-valid.").format(count=words.number(done.mapped.count(iati.MAPS))))
    if report is not None and done.mapped is not None:
        print(_("wrote {file}: every activity's outcome and reason").format(file=report))
    if not done.ok:
        return 1
    mapped, result = done.mapped, done.result
    print(f"Imported from {args.path}: {mapped.count(iati.IMPORTED)} activities read as projects, "
          f"{mapped.institutions_added} institution(s) and {len(mapped.countries_added)} countr"
          f"{'y' if len(mapped.countries_added) == 1 else 'ies'} added"
          f"{' (' + ', '.join(mapped.countries_added) + ')' if mapped.countries_added else ''}.")
    was = f"was {result.previous}" if result.previous else "a new programme, its definition read from the file"
    print(f"version {result.version} of programme {result.programme} is now active ({was}); tables imported: "
          f"{', '.join(result.replaced)}")
    return 0


def _export_extract(args: argparse.Namespace) -> int:
    from impact.ingest.extract_io import export_extract
    from impact.storage import store

    exported = store.open_store(args.data_dir, args.programme)
    written = export_extract(args.format, args.out, exported)
    tables = [p for p in written if p.suffix != ".json"]
    print(f"wrote {len(tables)} tables and the programme definition of version {exported.active().version} "
          f"to {args.out}")
    return 0


def _versions(args: argparse.Namespace) -> int:
    from impact.storage import store

    chosen = [args.programme] if args.programme else list(store.programmes(args.data_dir))
    for programme in chosen:
        print(f"programme {programme}:")
        _print_versions(store.open_store(args.data_dir, programme).versions())
    print("* = active")
    return 0


def _print_versions(versions) -> None:
    for v in versions:
        m = v.manifest
        when = m.get("created_at", "shipped")
        rows = sum(m.get("rows", {}).values())
        print(f"{'*' if v.active else ' '} {v.version:<28} {when:<21} {rows:>10,} rows  "
              f"{m.get('created_by', '')}  {m.get('label', '')}")


def _rollback(args: argparse.Namespace) -> int:
    from impact.storage import audit, store, transaction

    audit.rollback(store.open_store(args.data_dir, args.programme), args.version, transaction.default_user())
    print(f"version {args.version} is now active")
    return 0


def _delete_version(args: argparse.Namespace) -> int:
    from impact.storage import audit, store, transaction

    audit.delete_version(store.open_store(args.data_dir, args.programme), args.version, transaction.default_user())
    print(f"deleted version {args.version}")
    return 0


def _audit(args: argparse.Namespace) -> int:
    import datetime as dt

    from impact.storage import audit, store

    programme_store = store.open_store(args.data_dir, args.programme)
    problems = audit.verify(programme_store)
    dates = [dt.date.fromisoformat(d) if d else None for d in (args.since, args.until)]
    chosen = audit.select(audit.frame(programme_store), args.action, args.who or "", dates[0], dates[1],
                          args.text or "")
    if args.out:
        out = Path(args.out)
        if out.exists():
            raise ValueError(f"{out} already exists; choose another file name")
        out.write_bytes(audit.to_csv(chosen))
        print(f"wrote {out}: {len(chosen):,} entries")
    elif not args.verify:
        for row in chosen.iloc[::-1].itertuples(index=False):  # oldest first, as a log reads
            print(f"{row.seq:>6}  {row.when}  {row.action:<17} {row.who:<32} {row.what}  [{row.address}]"
                  + (f"  {row.details}" if row.details != "{}" else ""))
    if problems:
        print(f"the trail of {programme_store.root.name} was changed after it was written "
              f"({len(problems)} problem(s)):", file=sys.stderr)
        for problem in problems:
            print(f"- {problem}", file=sys.stderr)
        return 1
    if args.verify:
        print(f"the trail is intact: {len(audit.entries(programme_store)):,} entries, each chained to the one before")
    return 0


def _add_audit(commands) -> None:
    from impact.storage import audit

    trail = commands.add_parser("audit", help="the trail: who did what, when and from where (and whether it is intact)")
    add_store_options(trail)
    trail.add_argument("--verify", action="store_true",
                       help="only check the hash chain: exit 0 when intact, 1 (naming the lines) when not")
    add_out_option(trail, "write the chosen entries to this CSV file (it must not exist yet)", required=False,
                   metavar="FILE.csv")
    trail.add_argument("--action", action="append", choices=audit.ACTIONS, metavar="ACTION",
                       help=f"only these actions (repeat it): {', '.join(audit.ACTIONS)}")
    trail.add_argument("--who", metavar="TEXT", help="only entries whose who contains TEXT (any case)")
    trail.add_argument("--text", metavar="TEXT", help="only entries whose what or details contain TEXT (any case)")
    trail.add_argument("--since", metavar="YYYY-MM-DD", help="only entries from this day on (UTC)")
    trail.add_argument("--until", metavar="YYYY-MM-DD", help="only entries up to this day (UTC)")
    trail.set_defaults(run=_audit)


def _flags(args: argparse.Namespace) -> int:
    from impact.reporting import follow_up
    from impact.storage import store

    out = Path(args.out)
    if out.exists():
        raise ValueError(f"{out} already exists; choose another file name")
    programme_store = store.open_store(args.data_dir, args.programme)
    rows = follow_up.flag_rows(programme_store)
    from impact.model import i18n

    with i18n.using(args.lang):  # the headings, messages and codes' words in the reader's language
        out.write_bytes(follow_up.flags_csv(programme_store))
    marked = sum(1 for r in rows if r["follow_up"])
    print(f"wrote {out}: {len(rows):,} flag(s) of the returns, {marked:,} marked for follow-up")
    return 0


def _add_flags(commands) -> None:
    flags = commands.add_parser("flags", help="every flag of the returns (rules broken, unusual values) with the "
                                              "partner's explanation and the team's follow-up mark, as CSV")
    add_out_option(flags, "the CSV file to write (it must not exist yet)", metavar="FILE.csv")
    add_store_options(flags)
    add_language_option(flags, "the headings, the messages and the words for kind, importance, state and follow-up "
                               "(the explanations and notes as written)")
    flags.set_defaults(run=_flags)


def _known_projects(args: argparse.Namespace) -> list[str]:
    from impact.reporting import returns
    from impact.storage import store

    return returns.project_ids(store.open_store(args.data_dir, args.programme).active().path)


def _new_password(args: argparse.Namespace, prompt: str) -> str:
    """A password read from standard input (--password-stdin) or typed twice at a prompt, never echoed."""
    import getpass

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"{prompt}: ")
        if getpass.getpass("Again: ") != password:
            raise ValueError("the two passwords differ")
    if len(password) < 12:
        raise ValueError("use a password of at least 12 characters")
    return password


def _accounts_create(args: argparse.Namespace) -> int:
    from impact.app.auth import hash_password
    from impact.reporting import partners
    from impact.storage import store, transaction

    programme_store = store.open_store(args.data_dir, args.programme)
    if partners.account(programme_store, args.email) is not None:
        raise ValueError(f"there is already an account {partners.normal_email(args.email)}; change its projects "
                         "with 'accounts projects' or its password with 'accounts reset-password'")
    hashed = hash_password(_new_password(args, "Password for the account")) if not args.no_password else None
    made = partners.save_account(programme_store, args.email, args.name or "", args.project, _known_projects(args),
                                 transaction.default_user(), hashed, args.lang)
    print(f"created {made.email} ({made.name or 'no name'}), reporting for {', '.join(made.projects)}; "
          f"signs in with {made.sign_in}; e-mails in {made.language}")
    return 0


def _existing(programme_store, email: str):
    from impact.reporting import partners

    found = partners.account(programme_store, email)
    if found is None:
        raise ValueError(f"there is no partner account {partners.normal_email(email)[:80]!r}; "
                         "'accounts list' lists them")
    return found


def _accounts_list(args: argparse.Namespace) -> int:
    from impact.reporting import partners
    from impact.storage import store

    found = partners.accounts(store.open_store(args.data_dir, args.programme))
    for a in found:
        print(f"{a.email:<40} {a.name[:30]:<30} {', '.join(a.projects):<30} {a.sign_in:<32} {a.language:<3} "
              f"created {a.created_at or '?'} by {a.created_by or '?'}")
    print(f"{len(found)} account(s)")
    return 0


def _accounts_projects(args: argparse.Namespace) -> int:
    from impact.reporting import partners
    from impact.storage import store, transaction

    programme_store = store.open_store(args.data_dir, args.programme)
    found = _existing(programme_store, args.email)
    chosen = list(args.project or found.projects)
    chosen = [p for p in dict.fromkeys([*chosen, *(args.add or [])]) if p not in set(args.drop or [])]
    made = partners.save_account(programme_store, found.email, found.name, chosen, _known_projects(args),
                                 transaction.default_user(), language=args.lang)
    print(f"{made.email} now reports for {', '.join(made.projects)}; e-mails in {made.language}")
    return 0


def _accounts_remove(args: argparse.Namespace) -> int:
    from impact.reporting import partners
    from impact.storage import store, transaction

    programme_store = store.open_store(args.data_dir, args.programme)
    found = _existing(programme_store, args.email)
    partners.remove_account(programme_store, found.email, transaction.default_user())
    print(f"removed {found.email} (its returns and their trail stay)")
    return 0


def _accounts_reset_password(args: argparse.Namespace) -> int:
    from impact.app.auth import hash_password
    from impact.reporting import partners
    from impact.storage import audit, store, transaction

    programme_store = store.open_store(args.data_dir, args.programme)
    found = _existing(programme_store, args.email)
    hashed = hash_password(_new_password(args, f"New password for {found.email}"))
    partners.save_account(programme_store, found.email, found.name, found.projects, _known_projects(args),
                          transaction.default_user(), hashed)
    audit.record(programme_store, audit.PASSWORD_RESET, transaction.default_user(), found.email)
    print(f"the password of {found.email} was reset")
    return 0


def _add_accounts(commands) -> None:
    group = commands.add_parser("accounts", help="partner accounts: create, list, change projects, remove, reset a "
                                                 "password")
    kinds = group.add_subparsers(dest="accounts_command", required=True, metavar="WHAT")
    stdin_help = "read the password from the first line of standard input instead of a prompt"
    create = kinds.add_parser("create", help="a new partner account tied to one or more projects")
    create.add_argument("email")
    create.add_argument("--project", action="append", required=True, metavar="ID",
                        help="a project it reports for (repeat it for several)")
    create.add_argument("--name", metavar="TEXT", help="the person's or institution's name")
    create.add_argument("--no-password", action="store_true",
                        help="no password: the account signs in through the organisation's login only")
    create.add_argument("--password-stdin", action="store_true", help=stdin_help)
    add_language_option(create, "the account's e-mails (reminders, returns sent back)", None,
                        "the language the partner signs in in, English until then")
    add_store_options(create)
    create.set_defaults(run=_accounts_create)
    listing = kinds.add_parser("list", help="every partner account of the programme")
    add_store_options(listing)
    listing.set_defaults(run=_accounts_list)
    projects = kinds.add_parser("projects", help="change the projects an account reports for")
    projects.add_argument("email")
    projects.add_argument("--project", action="append", metavar="ID",
                          help="the projects it reports for from now on (repeat it; replaces the list)")
    projects.add_argument("--add", action="append", metavar="ID", help="add a project (repeat it)")
    projects.add_argument("--drop", action="append", metavar="ID", help="drop a project (repeat it)")
    add_language_option(projects, "the account's e-mails from now on", None, "kept")
    add_store_options(projects)
    projects.set_defaults(run=_accounts_projects)
    remove = kinds.add_parser("remove", help="remove an account (its returns and their trail stay)")
    remove.add_argument("email")
    add_store_options(remove)
    remove.set_defaults(run=_accounts_remove)
    reset = kinds.add_parser("reset-password", help="give an account a new password")
    reset.add_argument("email")
    reset.add_argument("--password-stdin", action="store_true", help=stdin_help)
    add_store_options(reset)
    reset.set_defaults(run=_accounts_reset_password)


def _programme_template(args: argparse.Namespace) -> int:
    from impact.ingest import template
    from impact.model import programme as programmes

    definition = programmes.read(args.definition) if args.definition else None
    written = template.write(args.out, definition, args.lang)
    for path in written:
        print(f"wrote {path}" + (f" (its instructions and help in {args.lang})"
                                 if path.name == template.WORKBOOK and args.lang != "en" else ""))
    what = f"{definition.name}'s vocabularies" if definition else "a starter definition: edit programme.json first"
    print(f"a blank programme in {args.out} ({what}); see the Instructions sheet of {template.WORKBOOK}")
    return 0


def _programme_check(args: argparse.Namespace) -> int:
    from impact.model import programme as programmes

    definition = programmes.read(args.file)
    print(f"{args.file}: programme {definition.id} ({definition.name}), {definition.start} to {definition.end}, "
          f"{len(definition.phases)} phases, {len(definition.indicators)} indicators: no problems")
    for language, missing in definition.missing_translations().items():
        if missing:
            print(f"{language}: {len(missing):,} text(s) with no translation, shown in English:")
            print("\n".join(f"  {where}" for where in missing))
        else:
            print(f"{language}: every text translated")
    return 0


def _programme_schema(args: argparse.Namespace) -> int:
    from impact.model import programme as programmes

    text = programmes.SCHEMA_FILE.read_text(encoding="utf-8")
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {args.out}: the JSON Schema of {programmes.FILE} (Draft 2020-12)")
    else:
        sys.stdout.write(text)
    return 0


def _programme_list(args: argparse.Namespace) -> int:
    from impact.storage import store

    for pid, held in store.programmes(args.data_dir).items():
        active = held.active()
        try:
            name = store.load_definition(active.path).name
        except (OSError, ValueError):
            name = "(no definition)"
        print(f"{pid:<16} {name:<40} version {active.version}")
    return 0


def _return_template(args: argparse.Namespace) -> int:
    from impact.model import calendar
    from impact.reporting import returns
    from impact.storage import store

    period = calendar.require_quarter(args.period)
    out = Path(args.out)
    if out.exists():
        raise ValueError(f"{out} already exists; choose another file name")
    out.write_bytes(returns.workbook(args.project, period, store.open_store(args.data_dir, args.programme), args.lang))
    print(f"wrote {out}: the reporting workbook of {args.project} for {calendar.quarter_label(period)}"
          + (f", in {args.lang}" if args.lang != "en" else ""))
    return 0


def _return_import(args: argparse.Namespace) -> int:
    from impact.model import i18n

    with i18n.using(args.lang):  # the problems, notes and summary in the reader's language
        return _return_import_in_language(args)


def _return_import_in_language(args: argparse.Namespace) -> int:
    from impact.reporting import partners, returns
    from impact.storage import store

    result = returns.import_returns(args.path, store.open_store(args.data_dir, args.programme),
                                    accept_valid=args.accept_valid, confirm_removals=args.confirm_removals,
                                    record=partners.record_import)
    if not result.report.ok:
        print(result.report.to_text(limit=args.show))
    if result.removals is not None and len(result.removals):
        print(f"rows reported before that these returns remove ({len(result.removals)}):")
        print(result.removals.to_string(index=False))
    for note in result.report.notes:
        print(f"note: {note}")
    if result.flags and args.lang != "en":
        from impact.reporting import checks

        definition = store.open_store(args.data_dir, args.programme).definition()
        for flag in result.flags:
            flag["message"] = checks.say(flag, definition, args.lang)
    for flag in result.flags:  # warnings: the team's own import takes them in, as an approval does
        print(f"warning: {flag['file']} ({flag['project']} {flag['quarter']}), {flag['importance']}: {flag['message']}")
    print(result.summary())
    if result.nothing_changed:
        return 0
    if not result.ok:
        return 1
    print(result.changes.drop(columns="file").to_string(index=False))
    print(result.totals.to_string(index=False))
    print(f"version {result.version} is now active (was {result.previous})")
    return 0


def _add_publish(commands) -> None:
    from impact.publish import cli as publish

    command = commands.add_parser("publish", help="write the public static site of the programmes' active versions")
    add_out_option(command, "folder to write the site into (new, empty, or a site published before: replaced); "
                            "optional with --to", required=False, metavar="DIR")
    add_data_dir_option(command)
    add_programmes_option(command)
    publish.add_arguments(command)
    command.set_defaults(run=publish.run)


def _add_return(commands) -> None:
    group = commands.add_parser("return", help="quarterly returns: a reporting workbook per project, and import")
    kinds = group.add_subparsers(dest="return_command", required=True, metavar="WHAT")
    blank = kinds.add_parser("template", help="the reporting workbook of one project and quarter")
    blank.add_argument("--project", required=True, metavar="ID")
    blank.add_argument("--period", required=True, metavar="YYYYQn", help="the quarter, e.g. 2018Q3")
    add_store_options(blank)
    add_out_option(blank, "the workbook to write (it must not exist yet)", metavar="FILE.xlsx")
    add_language_option(blank, "the workbook's sheets, labels, instructions and lists")
    blank.set_defaults(run=_return_template)
    take = kinds.add_parser("import", help="check returned workbooks and make them one new version")
    take.add_argument("path", nargs="+", help="workbooks (.xlsx), folders of them, or .zip files of them")
    add_store_options(take)
    take.add_argument("--accept-valid", action="store_true",
                      help="import the valid returns and list the refused ones (default: all or nothing)")
    take.add_argument("--confirm-removals", action="store_true",
                      help="allow returns to remove rows reported before for their quarter")
    add_language_option(take, "the problems found, the notes and the warnings on flagged numbers (rules broken, "
                              "unusual values)")
    add_show_option(take)
    take.set_defaults(run=_return_import)


def _add_programme(commands) -> None:
    programme = commands.add_parser("programme", help="programme definitions: a blank template, a check, the schema, the list")
    kinds = programme.add_subparsers(dest="programme_command", required=True, metavar="WHAT")
    blank = kinds.add_parser("template", help="a definition to fill in, every table's header and one workbook")
    add_out_option(blank, "an empty folder to write the template to")
    blank.add_argument("--definition", metavar="FILE", help="a programme.json whose vocabularies the workbook uses")
    add_language_option(blank, "the workbook's Instructions sheet, its headings' help and its checks' messages "
                               "(sheet, column and list values stay as the importer reads them)")
    blank.set_defaults(run=_programme_template)
    check = kinds.add_parser("check", help="check a programme.json and say what is wrong, field by field")
    check.add_argument("file")
    check.set_defaults(run=_programme_check)
    declared = kinds.add_parser("schema", help="the JSON Schema every programme.json is checked against (for editors)")
    add_out_option(declared, "write it to FILE (default: print it)", required=False, metavar="FILE")
    declared.set_defaults(run=_programme_schema)
    listing = kinds.add_parser("list", help="the programmes in the data store")
    add_data_dir_option(listing)
    listing.set_defaults(run=_programme_list)


def _hash_password(args: argparse.Namespace) -> int:
    import getpass

    from impact.app.auth import HASH_ENV, hash_password

    if args.stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Administrator password: ")
        if getpass.getpass("Again: ") != password:
            raise ValueError("the two passwords differ")
    if len(password) < 12:
        raise ValueError("use a password of at least 12 characters")
    encoded = hash_password(password)
    print(encoded)
    print(f"# put it in .streamlit/secrets.toml as admin_password_hash = \"...\" or export {HASH_ENV}='...'",
          file=sys.stderr)
    return 0


def _add_mail(commands) -> None:
    from impact.query import mailing

    for name, run, what in (("remind", mailing.remind, "e-mail partners their returns due soon or late"),
                            ("digest", mailing.send_digest, "e-mail the programme team its digest")):
        command = commands.add_parser(name, help=what)
        how = command.add_mutually_exclusive_group(required=True)
        how.add_argument("--send", action="store_true", help="send over SMTP ([smtp] in .streamlit/secrets.toml)")
        add_out_option(how, "write the messages as .eml files into this folder instead", required=False,
                       metavar="DIR")
        command.add_argument("--as-of", dest="as_of", metavar="YYYY-MM-DD", help="the day to run as (default: today)")
        command.add_argument("--secrets", metavar="FILE", help="the secrets file with [smtp] (default: "
                             ".streamlit/secrets.toml, as Streamlit reads it)")
        add_store_options(command)
        if name == "digest":
            add_language_option(command, "every message", None, "each team address's own, from [smtp.languages]; "
                                "else English")
        command.set_defaults(run=run)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="python -m impact", description="Partnership Impact Dashboard tools.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    gen = commands.add_parser("generate", help="write the illustrative, calibrated extract as Parquet")
    add_out_option(gen, "folder to write the Parquet files to")
    gen.add_argument("--scale", type=int, default=1, help="N times the projects and results (default 1)")
    gen.add_argument("--seed", type=int, default=None, help="random seed (default: the shipped extract's)")
    # not the store's --programme: which built-in generator to run, not a programme in a store
    gen.add_argument("--programme", default="hps", choices=tuple(generators.GENERATORS),
                     help="hps: the calibrated HPS extract (default); gsp: an invented second programme")
    gen.set_defaults(run=_generate)

    dictionary = commands.add_parser("dictionary", help="print the data dictionary (Markdown)")
    add_out_option(dictionary, "write it to this file instead of printing it", required=False)
    add_language_option(dictionary, "its headings, descriptions and rules")
    dictionary.set_defaults(run=_dictionary)

    imp = commands.add_parser("import", help="check an extract (folder, .zip or table file) and make it active")
    imp.add_argument("path", help="folder or .zip with <table>.csv/.xlsx/.parquet files, or one such file")
    add_store_options(imp)
    add_show_option(imp)
    add_language_option(imp, "the report: its summary and each problem's message (values and rule codes as they are)")
    mapping_cli.add_recipe_options(imp)
    imp.set_defaults(run=_import)

    imp_iati = commands.add_parser("import-iati", help="read an IATI 2.0x activity file into the programme's projects "
                                                       "and make it active")
    imp_iati.add_argument("path", help="FILE.xml: IATI activity XML, version 2.01, 2.02 or 2.03")
    add_store_options(imp_iati)
    imp_iati.add_argument("--accept-valid", action="store_true",
                          help="import the activities that map and list the refused ones (default: all or nothing)")
    imp_iati.add_argument("--add-indicators", action="store_true",
                          help="create an outcome indicator for each result indicator that matches none of the "
                               "programme's (listed otherwise, and its results left out)")
    imp_iati.add_argument("--report", metavar="FILE.csv",
                          help="write every activity's outcome (imported, refused, left out) and reason to this CSV")
    imp_iati.add_argument("--home", metavar="ISO3[,ISO3]",
                          help="a programme started from the file (--programme NEW): its home country or countries "
                               "(default: the country of the file's publisher, else of its funder)")
    add_show_option(imp_iati)
    add_language_option(imp_iati, "the report: its summary, the problems, each activity's reasons and notes, and the "
                                  "activity report's headings and outcomes (identifiers, elements and rule codes as "
                                  "they are)")
    imp_iati.set_defaults(run=_import_iati)

    exp = commands.add_parser("export-extract", help="write the active extract in the shape import accepts")
    exp.add_argument("--format", required=True, choices=("csv", "xlsx", "parquet"))
    add_out_option(exp, "folder to write the table files to")
    add_store_options(exp)
    exp.set_defaults(run=_export_extract)

    ver = commands.add_parser("versions", help="list the data versions (* = active)")
    add_store_options(ver)
    ver.set_defaults(run=_versions)

    back = commands.add_parser("rollback", help="make an earlier version active again")
    back.add_argument("version", help="a version id from 'versions' ('base' = the shipped extract)")
    add_store_options(back)
    back.set_defaults(run=_rollback)

    delete = commands.add_parser("delete-version", help="delete an imported version that is not active")
    delete.add_argument("version")
    add_store_options(delete)
    delete.set_defaults(run=_delete_version)

    hp = commands.add_parser("hash-password", help="print the hash of an administrator password")
    hp.add_argument("--stdin", action="store_true", help="read the password from standard input")
    hp.set_defaults(run=_hash_password)

    _add_export(commands)
    _add_programme(commands)
    _add_publish(commands)
    _add_return(commands)
    mapping_cli.add_mapping_command(commands, add_store_options, add_out_option, add_language_option)
    _add_mail(commands)
    _add_audit(commands)
    _add_flags(commands)
    _add_accounts(commands)
    return parser


INPUT_ERROR = 2  # bad input, named in one line (argparse's own usage errors exit 2 as well)
INTERNAL_ERROR = 3  # a bug: the traceback is printed

PATH_ARGUMENTS = ("path", "out", "data_dir", "deck", "definition", "file", "secrets")  # the options that name files


def _given_paths(args: argparse.Namespace) -> list[Path]:
    """The files and folders the user named on the command line, and the data store the command used."""
    from impact.storage import remote, store

    named = []
    for name in PATH_ARGUMENTS:
        value = getattr(args, name, None)
        named += [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str) and v]
    paths = [Path(v) for v in named if not remote.is_url(v)]
    if hasattr(args, "data_dir"):  # the store from IMPACT_DATA_DIR or data/ is the user's choice too
        location = store.data_location(args.data_dir)
        try:
            paths.append(store.mirror_dir(location) if remote.is_url(location) else Path(location))
        except ValueError:  # a malformed s3:// address: already the user's error, nothing local to match
            pass
    return paths


def _is_about(error: OSError, paths: list[Path]) -> bool:
    """True when `error` concerns one of `paths` or a file inside one (by its file name, else by its message)."""
    files = [Path(os.fsdecode(f)).absolute() for f in (error.filename, error.filename2) if f is not None]
    roots = {form for p in paths for form in (p.absolute(), p.resolve())}  # as given, and as the store resolves it
    if files:
        return any(f == root or root in f.parents for f in files for root in roots)
    message = str(error)
    return any(str(form) in message for form in {*paths, *roots} if str(form) not in ("", "."))


def is_input_error(error: Exception, args: argparse.Namespace) -> bool:
    """True when `error` is about what the user gave (print it in one line); False when it is a bug."""
    from impact.storage import remote

    if isinstance(error, ValueError):  # DefinitionError, StoreError, DeckError, UnknownName, a bad --filter...
        return True
    if isinstance(error, remote.RemoteError):  # the object store the user's --data-dir names refused or is away
        return True
    if isinstance(error, OSError):
        return _is_about(error, _given_paths(args))
    return False


def main(argv: list[str] | None = None) -> int:
    """Parse `argv` and run the chosen command; return its exit code."""
    args = build_parser().parse_args(argv)
    from impact.query import db
    from impact.storage import transaction

    transaction.prepared_by(db.prepare)  # a new version is compiled before it is made active (refused if it fails)
    try:
        return args.run(args)
    except Exception as error:
        if is_input_error(error, args):
            print(f"error: {error}", file=sys.stderr)
            return INPUT_ERROR
        traceback.print_exception(error, file=sys.stderr)
        print(f"internal error: {type(error).__name__}: {error} -- a bug in the command, not a problem with its "
              f"input; please report it with the traceback above", file=sys.stderr)
        return INTERNAL_ERROR
