"""IATI activity files built by code, carrying the quirks of real published files (issue 25): versions 2.01, 2.02
and 2.03 and a root without a version (the IATI Datastore's downloads), parent and child activities (hierarchy 1
and 2), several recipient countries with percentages, a region only, transactions and no budget, budgets in
other currencies, amounts over 50,000,000, DAC 3-digit and publisher-defined sectors, missing end dates,
`xml:lang="EN"`, organisations without refs, one implementer only, and identifiers of other publishers.

Every activity is described once (`ACTIVITIES`, plain data) and written by `activity`; the tests compute what to
expect from the file itself with lxml, not from these descriptions."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
PUBLISHER = "NL-KVK-41160054"  # another publisher: its identifiers are kept as published
# The rates the fixture programme's definition gives (programme currency GBP per unit), and its sector mapping.
RATES = {"USD": {"2015": 0.65, "2016": 0.74, "2017": 0.78}, "KRW": {"2016": 0.00071, "2017": 0.00069}}
SECTOR_THEMES = {"2": {"121": "Leadership and management"}, "99": {"MNH": "Maternal and newborn health"}}
FALLBACK = "Infectious diseases"


@dataclass
class Spec:
    """One activity to write: the elements real files carry, in plain values."""

    identifier: str
    title: list[tuple[str | None, str]]  # (xml:lang, text)
    orgs: list[tuple[str, str | None, str | None]]  # (role code, @ref, name)
    dates: dict[str, str]  # activity-date type -> ISO date
    countries: list[tuple[str, str | None]] = field(default_factory=list)  # (alpha-2, percentage)
    regions: list[str] = field(default_factory=list)
    sectors: list[tuple[str | None, str, str | None]] = field(default_factory=list)  # (vocabulary, code, %)
    budgets: list[tuple[str, str, str, str | None]] = field(default_factory=list)  # (start, end, value, currency)
    transactions: list[tuple[str, str, str, str | None]] = field(default_factory=list)  # (type, date, value, cur.)
    hierarchy: str | None = None
    currency: str | None = "GBP"
    lang: str | None = "en"
    # (result title, indicator title, measure, baseline, [(period start, end, target, actual, women's actual)])
    results: list[tuple[str, str, str, str | None, list[tuple[str, str, str, str, str | None]]]] = field(
        default_factory=list)
    status: str = "2"  # activity-status
    org_types: dict[str, str] = field(default_factory=dict)  # participating-org @ref -> @type
    sector_names: dict[str, str] = field(default_factory=dict)  # sector code -> its narrative
    budget_status: str = "2"
    publisher: tuple[str, str, str] = (PUBLISHER, "Stichting Health Partners", "21")  # reporting-org ref, name, type


def _narrative(parent, tag: str, texts: list[tuple[str | None, str]], **attrib):
    element = etree.SubElement(parent, tag, {k: v for k, v in attrib.items() if v is not None})
    for lang, text in texts:
        narrative = etree.SubElement(element, "narrative")
        if lang:
            narrative.set(XML_LANG, lang)
        narrative.text = text
    return element


def activity(spec: Spec, version: str | None = None):
    """The iati-activity element of `spec`, its children in the order the 2.03 schema requires."""
    attrib = {"last-updated-datetime": "2019-01-10T09:00:00"}
    if spec.lang:
        attrib[XML_LANG] = spec.lang
    if spec.currency:
        attrib["default-currency"] = spec.currency
    if spec.hierarchy:
        attrib["hierarchy"] = spec.hierarchy
    if version:
        attrib["version"] = version  # the IATI Datastore's downloads: the version on each activity
    element = etree.Element("iati-activity", attrib)
    etree.SubElement(element, "iati-identifier").text = spec.identifier
    ref, publisher, kind = spec.publisher
    _narrative(element, "reporting-org", [(None, publisher)], ref=ref, type=kind)
    _narrative(element, "title", spec.title)
    _narrative(element, "description", [(None, f"Activity {spec.identifier}.")])
    for role, ref, name in spec.orgs:
        org = etree.SubElement(element, "participating-org", {"role": role, **({"ref": ref} if ref else {}),
                                                              **({"type": spec.org_types[ref]} if ref in spec.org_types else {})})
        if name:
            etree.SubElement(org, "narrative").text = name
    etree.SubElement(element, "activity-status", code=spec.status)
    for kind, day in spec.dates.items():
        etree.SubElement(element, "activity-date", type=kind, **{"iso-date": day})
    for code, share in spec.countries:
        etree.SubElement(element, "recipient-country", {"code": code, **({"percentage": share} if share else {})})
    for code in spec.regions:
        etree.SubElement(element, "recipient-region", code=code, vocabulary="1")
    for vocabulary, code, share in spec.sectors:
        sector = etree.SubElement(element, "sector", {"code": code, **({"vocabulary": vocabulary} if vocabulary else {}),
                                                      **({"percentage": share} if share else {})})
        if code in spec.sector_names:
            etree.SubElement(sector, "narrative").text = spec.sector_names[code]
    for start, end, value, currency in spec.budgets:
        budget = etree.SubElement(element, "budget", type="1", status=spec.budget_status)
        etree.SubElement(budget, "period-start", **{"iso-date": start})
        etree.SubElement(budget, "period-end", **{"iso-date": end})
        amount = etree.SubElement(budget, "value", {"value-date": start, **({"currency": currency} if currency else {})})
        amount.text = value
    for kind, day, value, currency in spec.transactions:
        transaction = etree.SubElement(element, "transaction")
        etree.SubElement(transaction, "transaction-type", code=kind)
        etree.SubElement(transaction, "transaction-date", **{"iso-date": day})
        amount = etree.SubElement(transaction, "value", {"value-date": day, **({"currency": currency} if currency else {})})
        amount.text = value
    for title, indicator_title, measure, baseline, periods in spec.results:
        result = etree.SubElement(element, "result", type="1")
        _narrative(result, "title", [(None, title)])
        indicator = etree.SubElement(result, "indicator", measure=measure)
        _narrative(indicator, "title", [(None, indicator_title)])
        if baseline is not None:
            etree.SubElement(indicator, "baseline", year=periods[0][0][:4], value=baseline)
        for start, end, target, actual, women in periods:
            period = etree.SubElement(indicator, "period")
            etree.SubElement(period, "period-start", **{"iso-date": start})
            etree.SubElement(period, "period-end", **{"iso-date": end})
            etree.SubElement(period, "target", value=target)
            etree.SubElement(period, "actual", value=actual)
            if women is not None:  # a disaggregated actual beside the total: not added to it
                part = etree.SubElement(period, "actual", value=women)
                etree.SubElement(part, "dimension", name="sex", value="female")
    return element


IMPLEMENTING, ACCOUNTABLE, FUNDING = "4", "2", "1"
ACTIVITIES = [
    # a parent activity (hierarchy 1) and its children (hierarchy 2): the children are the projects
    Spec(f"{PUBLISHER}-PROG", [(None, "Health partnerships programme")],
         [(FUNDING, "XM-DAC-7", "Ministry of Foreign Affairs"), (ACCOUNTABLE, PUBLISHER, "Stichting Health Partners")],
         {"1": "2015-01-01", "3": "2018-12-31"}, countries=[("UG", None)], sectors=[("1", "12110", None)],
         budgets=[("2015-01-01", "2015-12-31", "900000", None)], hierarchy="1"),
    # several recipient countries with percentages; a title in German and in English written "EN"
    Spec(f"{PUBLISHER}-001", [("de", "Partnerschaft für Gesundheit"), ("EN", "Partnership for health")],
         [(IMPLEMENTING, "GB-CHC-220949", "Tropical Health Trust"), (IMPLEMENTING, None, "Mbarara Hospital")],
         {"1": "2015-04-01", "2": "2015-05-01", "3": "2017-03-31"}, countries=[("UG", "30"), ("KE", "70")],
         sectors=[("1", "12181", "60"), ("1", "12220", "40")],
         budgets=[("2015-04-01", "2016-03-31", "120000", None), ("2016-04-01", "2017-03-31", "130000.50", None)],
         hierarchy="2",
         results=[("Skilled health workforce", "Health workers trained", "1", "0",
                   [("2015-04-01", "2016-03-31", "100", "80", "50"), ("2016-04-01", "2017-03-31", "150", "170", None)]),
                  ("Skilled health workforce", "Share of facilities meeting standards", "2", "20",
                   [("2015-04-01", "2016-03-31", "50", "45", None)])]),
    # a budget in US dollars, one implementer only and without @ref; a DAC 3-digit sector
    Spec(f"{PUBLISHER}-002", [(None, "Surgical training in Tanzania")],
         [(IMPLEMENTING, None, "Bugando Medical Centre")],
         {"1": "2016-01-01", "3": "2017-12-31"}, countries=[("TZ", None)], sectors=[("2", "121", None)],
         budgets=[("2016-01-01", "2016-12-31", "200000", "USD"), ("2017-01-01", "2017-12-31", "100000", "USD")],
         hierarchy="2"),
    # transactions (commitments, a disbursement) and no budget; a publisher-defined sector (vocabulary 99)
    Spec(f"{PUBLISHER}-003", [(None, "Midwifery mentoring")],
         [(IMPLEMENTING, "KE-NCB-8877", "Kenya Midwives Association")],
         {"2": "2016-06-01", "4": "2018-05-31"}, countries=[("KE", None)], sectors=[("99", "MNH", None)],
         transactions=[("2", "2016-06-01", "75000", None), ("2", "2017-06-01", "25000", None),
                       ("3", "2016-07-01", "50000", None)], hierarchy="2",
         results=[("Midwifery care", "Health workers trained", "1", None,
                   [("2016-06-01", "2017-05-31", "40", "35", None)])]),
    # amounts over 50,000,000 in Korean won; no end date (still open); a sector no mapping knows (fallback theme)
    Spec(f"{PUBLISHER}-004", [(None, "Laboratory networks")],
         [(IMPLEMENTING, "GB-COH-0123456", "Lab Partners UK"), (IMPLEMENTING, "UG-NGB-1234", "Central Public Health Labs")],
         {"1": "2016-09-01"}, countries=[("UG", None)], sectors=[("1", "99810", None)],
         budgets=[("2016-09-01", "2017-08-31", "180000000", "KRW"), ("2017-09-01", "2018-08-31", "120000000", "KRW")],
         currency="KRW", hierarchy="2"),
    # a region and no country: refused (the programme counts projects by country)
    Spec(f"{PUBLISHER}-005", [(None, "Regional nursing council support")],
         [(IMPLEMENTING, None, "East African Nursing Council")],
         {"1": "2016-01-01", "3": "2017-12-31"}, regions=["289"], sectors=[("1", "12181", None)],
         budgets=[("2016-01-01", "2016-12-31", "50000", None)], hierarchy="2"),
    # euros, for which the definition gives no rate: refused, never added up in another currency
    Spec(f"{PUBLISHER}-006", [(None, "Emergency care training")],
         [(IMPLEMENTING, None, "Kamuzu Central Hospital")],
         {"1": "2016-01-01", "3": "2017-12-31"}, countries=[("MW", None)], sectors=[("1", "12191", None)],
         budgets=[("2016-01-01", "2016-12-31", "80000", "EUR")], hierarchy="2"),
]


def document(version: str | None = "2.03", per_activity: str | None = None, specs: list[Spec] | None = None) -> bytes:
    """An activity file of `specs` (default: every fixture activity): the root's version (None: none, then
    `per_activity` on each activity, as the IATI Datastore writes them)."""
    root = etree.Element("iati-activities", {"generated-datetime": "2019-01-10T09:00:00",
                                             **({"version": version} if version else {})})
    for spec in specs or ACTIVITIES:
        root.append(activity(spec, per_activity))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def definition_choices() -> dict:
    """The `iati` choices of the fixture programme: rates, sector mapping, fallback theme."""
    return {"exchange_rates": RATES, "sector_themes": SECTOR_THEMES, "fallback_theme": FALLBACK}


def make_iati_store(target: Path) -> Path:
    """The HPS extract with no training, volunteering, outcomes, scores or targets (so a file may replace its
    projects), its definition carrying the fixture's rates, sector mapping and fallback theme."""
    import pyarrow.parquet as pq

    from impact.interchange import iati
    from impact.model import programme as programmes
    from impact.model import schema
    from tests.conftest import ROOT
    from tests.data_helpers import make_store

    root = make_store(ROOT / "data", target)
    for name in iati.KEPT:
        pq.write_table(schema.empty(name), root / f"{name}.parquet")
    definition = json.loads((root / programmes.FILE).read_text(encoding="utf-8"))
    definition["iati"].update(definition_choices())
    (root / programmes.FILE).write_text(json.dumps(definition), encoding="utf-8")
    return root
