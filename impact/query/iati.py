"""Publishing a programme to IATI: one activity per project in IATI activity XML 2.03, with its results.

Each project is an activity of the managing organisation (the reporting organisation): its identifier is
the definition's prefix and the project id, with its title, a sentence describing it, the funder (role 1,
Funding), the managing organisation (role 3, Extending) and every partner institution (role 4,
Implementing), its status and dates as of the data's latest quarter, its country, its sectors (the theme's
DAC purpose code, and the theme itself in the reporting organisation's own vocabulary, 99), its budget and,
for each metric with targets for the project, a result: one period per due date, with the target and —
when the data reaches that date — the actual, which is the dashboard's own figure (`impact.query.results`).
Programme-wide targets have no activity of their own here and are not published.

Partner institutions have no IATI organisation identifiers, so none is invented: a participating
organisation carries its name, and the dashboard's own attributes (namespace `impact.interchange.iati.NS`) carry
the institution id, type, country and role, so that the file reads back (`impact.interchange.iati.import_iati`).

A project read from an IATI file is published as it was published: its identifier, publisher, participating
organisations, status, dates, recipient countries, sectors and budgets from the tables the import kept
(`schema.IATI_TABLES`), wherever the project's own values still agree with them.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import pandas as pd

from impact.interchange import iati
from impact.model import calendar, iso3166, metrics
from impact.model import programme as programmes
from impact.query import db, explore, filters, results


@dataclass(frozen=True)
class Published:
    """An IATI file built from a programme: its bytes, what it holds, and the schema's verdict."""

    xml: bytes
    activities: int
    results: int
    periods: int
    targets: int
    actuals: int  # the periods with an actual (their totals; the actuals by a dimension are not counted)
    problems: list[tuple[int, str]]  # (line, message) where it breaks the 2.03 schema; none when valid

    @property
    def valid(self) -> bool:
        """True when the file validates against the shipped IATI 2.03 schema."""
        return not self.problems


def activity_status(start: dt.date, end: dt.date, latest: dt.date) -> str:
    """The IATI ActivityStatus of a project as of `latest`, the last day of the data: 1 Pipeline (not started),
    2 Implementation, 3 Finalisation (it ended in the latest quarter with data: its final reports are due),
    4 Closed."""
    if start > latest:
        return iati.PIPELINE
    if end > latest:
        return iati.IMPLEMENTATION
    return iati.FINALISATION if end >= calendar.quarter_start(latest) else iati.CLOSED


def number(value: float) -> str:
    """A value as IATI writes it: digits, a point for decimals, no grouping (350, 12.5)."""
    return f"{value:.10g}" if not float(value).is_integer() else str(int(value))


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _updated(database: db.Database) -> str:
    """When the data was last changed: the version's import time, else its newest file's."""
    created = database.manifest.get("created_at")
    if created:
        return created
    newest = max(p.stat().st_mtime for p in database.extract_dir.glob("*.parquet"))
    return _stamp(dt.datetime.fromtimestamp(newest, dt.UTC))


def _sentence(project: dict, partners: list[dict], programme_name: str) -> str:
    """What the project is, in one sentence: theme, country, grant type, phase and partners."""
    names = [f"{p['name']} ({p['role']})" for p in partners]
    between = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)
    article = "An" if project["theme"][:1].lower() in "aeiou" else "A"
    return (f"{article} {project['theme']} partnership in {project['country'] or project['iso3']} "
            f"({project['grant_type']}, phase {project['phase']}), part of {programme_name}, between {between}.")


def _records(frame: pd.DataFrame, *dates: str) -> list[dict]:
    """A query's rows as dicts, missing values as None and `dates` as datetime.date."""
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    for row in rows:
        for column in dates:
            row[column] = pd.Timestamp(row[column]).date()
    return rows


def build(database: db.Database, now: dt.datetime | None = None):
    """The programme's IATI activity document (an lxml element tree); ValueError when the definition has no
    `iati` section (saying what to add)."""
    from lxml import etree

    programme = database.programme
    section = iati.section(programme)
    with metrics.using(programme):
        pic = results.picture(database, filters.everything(programme))
        partners: dict[str, list[dict]] = {}
        for row in _records(db.run_query(database, "iati_participants")):
            partners.setdefault(row["project_id"], []).append(row)
        order = {key: n for n, key in enumerate(metrics.known())}
        targets: dict[str, dict[str, list[dict]]] = {}
        for row in _records(pic.targets[pic.targets["scope"] == "project"]):
            if metrics.is_metric(row["metric"]):
                targets.setdefault(row["project_id"], {}).setdefault(row["metric"], []).append(row)
        breakdowns = _breakdowns(database, programme)
        kept = _kept(database)
        root = etree.Element("iati-activities", nsmap={iati.NS_PREFIX: iati.NS},
                             version=iati.VERSION, **{"generated-datetime": _stamp(now or dt.datetime.now(dt.UTC))})
        updated = _updated(database)
        for project in _records(db.run_query(database, "iati_activities"), "start_date", "end_date"):
            start, end, pid = project["start_date"], project["end_date"], project["project_id"]
            mine = partners.get(pid, [])
            read = kept["activities"].get(pid)  # what the activity said when read from IATI, if it was
            activity = etree.SubElement(root, "iati-activity", {
                "last-updated-datetime": updated, iati.XML_LANG: section.language or "en",
                "default-currency": programme.currency, f"{{{iati.NS}}}grant-type": project["grant_type"]})
            _text(activity, "iati-identifier", read["iati_identifier"] if read else section.activity_id(pid))
            if read and read["reporting_org_ref"]:
                _named(activity, "reporting-org", read["reporting_org_name"] or read["reporting_org_ref"],
                       ref=read["reporting_org_ref"], type=read["reporting_org_type"])
            else:
                _named(activity, "reporting-org", programme.managed_by or section.reporting_org_ref,
                       ref=section.reporting_org_ref, type=section.reporting_org_type)
            _named(activity, "title", project["title"])
            _named(activity, "description", _sentence(project, mine, f"{programme.name} ({programme.short_name})"),
                   type="1")
            organisations = kept["organisations"].get(pid)
            if not organisations:
                _participant(activity, iati.FUNDING, programme.funder, section.funder_ref, section.funder_type)
                _participant(activity, iati.EXTENDING, programme.managed_by, section.reporting_org_ref,
                             section.reporting_org_type)
            _organisations(activity, organisations or [], mine)
            kept_status = read["status"] if read and _as_published(read, start, end, programme.end) else None
            status = kept_status or activity_status(start, end, pic.latest)
            etree.SubElement(activity, "activity-status", code=status,
                             **({} if kept_status else {f"{{{iati.NS}}}{iati.FROM_DATES}": "true"}))
            for kind, day in _dates(read, start, end, pic.latest, programme.end):
                etree.SubElement(activity, "activity-date", type=kind, **{"iso-date": day.isoformat()})
            if iso3166.is_not_known(project["iso3"]):  # a region only: its country is not known
                if read and read["recipient_region"]:
                    etree.SubElement(activity, "recipient-region", code=read["recipient_region"],
                                     vocabulary=read["region_vocabulary"] or "1")
            own = iso3166.alpha2(project["iso3"]) or project["iso3"]
            published = [] if iso3166.is_not_known(project["iso3"]) else kept["countries"].get(pid) or []
            if own not in {c["code"] for c in published} and not iso3166.is_not_known(own):  # changed since: it alone
                published = [{"code": own, "percentage": None}]
            for row in published:  # every recipient country as published, with its share
                country = etree.SubElement(activity, "recipient-country", code=row["code"])
                if row["percentage"] is not None:
                    country.set("percentage", number(row["percentage"]))
                if row["code"] == own:
                    if project["region"]:
                        country.set(f"{{{iati.NS}}}region", project["region"])
                    if project["country"]:
                        _text(country, "narrative", project["country"])
            sectors = kept["sectors"].get(pid) if read and read["imported_theme"] == project["theme"] else None
            for sector in sectors or ():  # as published, while the project keeps the theme read from them
                attributes = {"vocabulary": sector["vocabulary"], "code": sector["code"]}
                if sector["percentage"] is not None:
                    attributes["percentage"] = number(sector["percentage"])
                element = etree.SubElement(activity, "sector", attributes)
                if sector["name"]:
                    _text(element, "narrative", sector["name"])
            if not sectors:
                code = (section.sectors or {}).get(project["theme"])
                if code:
                    etree.SubElement(activity, "sector", vocabulary=iati.DAC_SECTOR, code=code)
                _named(activity, "sector", project["theme"], vocabulary=iati.OWN_SECTOR, code=project["theme"])
            value = project["budget_gbp"]
            budgets = kept["budgets"].get(pid) if read and read["grant_value"] == value else None
            for row in budgets or ():  # each year's budget as published, while the grant value is the one read
                budget = etree.SubElement(activity, "budget", {"type": row["budget_type"], **(
                    {"status": row["budget_status"]} if row["budget_status"] else {})})
                etree.SubElement(budget, "period-start", {"iso-date": row["period_start"].isoformat()})
                etree.SubElement(budget, "period-end", {"iso-date": row["period_end"].isoformat()})
                day = row["value_date"] or row["period_start"]
                _text(budget, "value", number(row["amount"]), currency=row["currency"] or programme.currency,
                      **{"value-date": day.isoformat()})
            if not budgets:
                budget = etree.SubElement(activity, "budget", type=iati.ORIGINAL_BUDGET, status=iati.COMMITTED)
                etree.SubElement(budget, "period-start", {"iso-date": start.isoformat()})
                etree.SubElement(budget, "period-end", {"iso-date": end.isoformat()})
                _text(budget, "value", str(int(value)), currency=programme.currency,
                      **{"value-date": start.isoformat()})
            for metric in sorted(targets.get(pid, {}), key=lambda key: order.get(key, len(order))):
                due = sorted(targets[pid][metric], key=lambda row: row["due_date"])
                _result(activity, pic, pid, metric, due, start, breakdowns.get(pid, {}))
    return etree.ElementTree(root)


def _kept(database: db.Database) -> dict[str, dict[str, object]]:
    """What projects read from IATI said as published (`schema.IATI_TABLES`), by project: "activities" (one row),
    "countries", "budgets", "sectors" and "organisations" (rows in the activity's order)."""
    dates = ("planned_start", "actual_start", "planned_end", "actual_end")
    out: dict[str, dict] = {"activities": {}, "countries": {}, "budgets": {}, "sectors": {}, "organisations": {}}
    for row in _records(db.run_query(database, "iati_kept_activities")):
        for column in dates:
            row[column] = pd.Timestamp(row[column]).date() if row[column] is not None else None
        out["activities"][row["project_id"]] = row
    for row in _records(db.run_query(database, "iati_kept_budgets"), "period_start", "period_end"):
        row["value_date"] = pd.Timestamp(row["value_date"]).date() if row["value_date"] is not None else None
        out["budgets"].setdefault(row["project_id"], []).append(row)
    for name in ("countries", "sectors", "organisations"):
        for row in _records(db.run_query(database, f"iati_kept_{name}")):
            out[name].setdefault(row["project_id"], []).append(row)
    return out


def _as_published(read: dict, start: dt.date, end: dt.date, programme_end: dt.date) -> bool:
    """True while a project read from IATI still has the start and end its activity published (an activity
    published without an end was taken to run to the programme's end): its status and dates are then written as
    published; changed since, both come from the project."""
    first = read["planned_start"] or read["actual_start"]
    last = read["planned_end"] or read["actual_end"] or programme_end
    return first is not None and (first, last) == (start, end)


def _dates(read: dict | None, start: dt.date, end: dt.date, latest: dt.date, programme_end: dt.date):
    """The activity's dates, (type, day) in type order: as published while the project's start and end are still
    those read from them (an activity published without an end was taken to run to the programme's end); else
    planned from the project, and actual where the data's latest day has reached them."""
    if read and _as_published(read, start, end, programme_end):
        published = {kind: read[column] for kind, column in (
            (iati.PLANNED_START, "planned_start"), (iati.ACTUAL_START, "actual_start"),
            (iati.PLANNED_END, "planned_end"), (iati.ACTUAL_END, "actual_end"))}
        return [(kind, day) for kind, day in published.items() if day is not None]
    return [(kind, day) for kind, day, happened in (
        (iati.PLANNED_START, start, True), (iati.ACTUAL_START, start, start <= latest),
        (iati.PLANNED_END, end, True), (iati.ACTUAL_END, end, end <= latest)) if happened]


def _organisations(activity, published: list[dict], partners: list[dict]) -> None:
    """The participating organisations: those read from IATI as published and in their order (an implementer that
    is no longer a partner of the project left out), then every partner institution not among them, as an
    implementing organisation; each partner with the dashboard's own attributes."""
    by_id = {p["institution_id"]: p for p in partners}
    written = set()
    for org in published:
        partner = by_id.get(org["institution_id"]) if org["institution_id"] else None
        if org["institution_id"] and partner is None:
            continue
        attributes = {"role": org["org_role"], "ref": org["ref"], "type": org["org_type"]}
        if partner is not None:
            attributes.update(_own(partner))
            written.add(partner["institution_id"])
        name = org["name"] or (partner["name"] if partner else "")
        if name:
            _named(activity, "participating-org", name, **attributes)
        else:
            _text(activity, "participating-org", None, **attributes)
    for partner in partners:
        if partner["institution_id"] in written:
            continue
        ref = partner["institution_id"] if programmes.is_org_prefixed(partner["institution_id"]) else None
        _named(activity, "participating-org", partner["name"], role=iati.IMPLEMENTING, ref=ref, **_own(partner))


def _own(partner: dict) -> dict:
    """The dashboard's own attributes of a partner institution (read back by the importer)."""
    return {f"{{{iati.NS}}}institution-id": partner["institution_id"],
            f"{{{iati.NS}}}institution-type": partner["institution_type"],
            f"{{{iati.NS}}}country": partner["iso3"], f"{{{iati.NS}}}role": partner["role"]}


SEX = "sex"  # IATI's name for a result disaggregated by sex (the programme's gender)


def result_dimensions(programme) -> list[tuple[str, str]]:
    """The dimensions a training result is disaggregated by in IATI: (dimension key, IATI dimension name) — gender
    as `sex`, then every disaggregation the programme declares on training, as its `iati_name` (else its label)."""
    declared = [(d.key, d.iati_name or d.label) for d in programme.disaggregations_of("training")]
    return [("gender", SEX), *declared]


def _breakdowns(database: db.Database, programme) -> dict[str, dict[tuple[str, str], pd.DataFrame]]:
    """Per project, per (dimension key, IATI name): its training metrics per quarter and value, to cumulate."""
    out: dict[str, dict[tuple[str, str], pd.DataFrame]] = {}
    everything = filters.everything(programme)
    for key, name in result_dimensions(programme):
        grouping = {**explore.totals_params(key)["grouping"]}
        frame = db.run_query(database, "training_by_project_dimension", {**everything, "grouping": grouping})
        frame["period"] = pd.to_datetime(frame["period"]).dt.date
        for project_id, rows in frame.groupby("project_id", sort=False):
            out.setdefault(project_id, {})[(key, name)] = rows
    return out


def _text(parent, tag: str, text: str, **attributes):
    from lxml import etree

    element = etree.SubElement(parent, tag, {k: v for k, v in attributes.items() if v not in (None, "")})
    element.text = text
    return element


def _named(parent, tag: str, name: str, **attributes):
    """An element holding one narrative, with the attributes given (empty ones left out)."""
    from lxml import etree

    element = etree.SubElement(parent, tag, {k: v for k, v in attributes.items() if v not in (None, "")})
    _text(element, "narrative", name)
    return element


def _participant(activity, role: str, name: str, ref: str, kind: str) -> None:
    """A participating organisation named by the definition (left out when it gives neither name nor ref)."""
    from lxml import etree

    if name:
        _named(activity, "participating-org", name, ref=ref, type=kind, role=role)
    elif ref:
        etree.SubElement(activity, "participating-org", ref=ref, type=kind, role=role)


def _result(activity, pic: results.Picture, project_id: str, metric: str, targets: list[dict],
            start: dt.date, breakdowns: dict[tuple[str, str], pd.DataFrame] | None = None) -> None:
    """One output result for a project and metric: a period per due date (`targets`, in order), its target and,
    where the data reaches it, the dashboard's cumulative actual — and for a training metric that is added up, an
    actual per value of each result dimension (sex, and the programme's disaggregations), as `dimension`s."""
    from lxml import etree

    m = metrics.metric(metric)
    scale = 100.0 if m.fmt == "percent" else 1.0  # IATI writes a percentage measure as 0-100
    result = etree.SubElement(activity, "result", type=iati.OUTPUT)
    _named(result, "title", m.label)
    indicator = etree.SubElement(result, "indicator", measure=iati.PERCENTAGE if m.fmt == "percent" else iati.UNIT,
                                 ascending="1")
    _named(indicator, "title", m.label)
    if m.how_counted:
        _named(indicator, "description", m.how_counted)
    baseline = next((row["baseline"] for row in targets if row["baseline"] is not None), None)
    if baseline is not None:
        etree.SubElement(indicator, "baseline", year=str(start.year), value=number(float(baseline) * scale),
                         **{"iso-date": start.isoformat()})
    series = pic.series("project", project_id, metric)
    previous = None
    for row in targets:
        due = row["due_date"]
        period = etree.SubElement(indicator, "period")
        first = previous + dt.timedelta(days=1) if previous else start
        etree.SubElement(period, "period-start", {"iso-date": min(first, due).isoformat()})
        etree.SubElement(period, "period-end", {"iso-date": due.isoformat()})
        etree.SubElement(period, "target", value=number(float(row["target"]) * scale))
        if due <= pic.latest:
            actual = results.value_at(series, due, metric)
            if not math.isnan(actual):
                etree.SubElement(period, "actual", value=number(actual * scale))
                for (_key, name), rows in (breakdowns or {}).items() if m.aggregation == "sum" else ():
                    if metric not in rows.columns:
                        continue
                    upto = rows[rows["period"] <= due].groupby("category", sort=False)[metric].sum()
                    for value, count in upto.items():
                        if value is not None and count:
                            part = etree.SubElement(period, "actual", value=number(float(count)))
                            etree.SubElement(part, "dimension", name=name, value=str(value))
        previous = due


def publish(database: db.Database, now: dt.datetime | None = None) -> Published:
    """The programme's IATI file, checked against the shipped 2.03 schema (ValueError without an `iati` section)."""
    from lxml import etree

    tree = build(database, now)
    root = tree.getroot()
    data = etree.tostring(tree, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    # Validate what is written: the bytes, parsed again, so line numbers point into the file.
    problems = iati.check(etree.fromstring(data, iati.parser()).getroottree())
    return Published(xml=data, activities=len(root), results=len(root.findall("iati-activity/result")),
                     periods=len(root.findall("iati-activity/result/indicator/period")),
                     targets=len(root.findall("iati-activity/result/indicator/period/target")),
                     actuals=len(root.xpath("iati-activity/result/indicator/period/actual[not(dimension)]")),
                     problems=problems)
