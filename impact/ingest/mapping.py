"""Proposing a mapping: what a sheet in its own shape holds, column by column, as a recipe to confirm.

`layout` finds where a sheet's header is and which rows are data: title rows above the header, blank rows,
merged header cells (a heading merged over sub-headings reads as both: `Nurses` over `(F)` is `Nurses (F)`) and
total rows (`Total`, `Sub-total`… in a cell) are left out, each with a notice. `propose` reads the header and the
values of each column and proposes, for the programme's definition:

- by header, in English, French, Portuguese or Spanish (`HEADERS`): project, country, period, theme, cadre…;
- by values: ISO-2/3 codes and country names (English, French, Portuguese, Spanish), project ids or titles,
  periods in the calendar's forms (`impact.model.calendar.parse_period`, with the definition's
  `fiscal_year_start`), a vocabulary's values;
- wide columns: a header naming values of the table's breakdowns (`Nurses (F)` → cadre Nurse and gender
  Female, `Age 25–34` → age band 25-34) is a `value` column, unpivoted into one row per value;
- values to the vocabulary (`match`): exact, then the same ignoring case, spaces, accents and "&"/"and", then
  near matches (difflib) proposed for the manager to confirm; values matching nothing are listed with their
  counts and rows.

Nothing here writes: the result is a `recipe.Recipe` plus what the manager needs to confirm it (`Proposal`).
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from impact.ingest import sheets as sheet_files
from impact.ingest.recipe import ATTRIBUTES, COMBO, ELEMENT, KEYS, ColumnMap, Recipe, SheetRecipe
from impact.model import calendar, country_names, i18n, iso3166, schema
from impact.model.i18n import gettext as _

FACT_TABLES = ("training", "volunteering", "outcomes")
NEAR_CUTOFF = 0.75  # difflib's ratio from which a spelling is proposed as meaning a vocabulary value
FIRST_VALUES = 5  # values shown beside each column
SAMPLE_ROWS = 2000  # rows read to recognise what a column holds
TOTAL_WORDS = ("total", "totals", "sub-total", "subtotal", "sub total", "grand total", "total general", "totaux",
               "sous-total", "sous total", "total geral", "subtotal", "suma", "soma", "sum")

# Headers people write for each column, folded (see `fold`), in English, French, Portuguese and Spanish.
HEADERS: dict[str, tuple[str, ...]] = {
    "project_id": ("project", "project id", "project code", "project ref", "grant", "grant id", "grant code",
                   "projet", "code projet", "projeto", "codigo do projeto", "proyecto", "codigo del proyecto",
                   "partnership", "partenariat", "parceria", "asociacion"),
    "iso3": ("country", "country code", "iso3", "iso", "iso 3", "pays", "code pays", "pais", "codigo do pais",
             "codigo del pais", "nation"),
    "period": ("period", "quarter", "reporting period", "reporting quarter", "date", "quarter ending", "periode",
               "trimestre", "periodo", "fecha", "data"),
    "theme": ("theme", "health theme", "thematic area", "area", "thematique", "domaine", "tema", "area tematica"),
    "grant_type": ("grant type", "type of grant", "type de subvention", "tipo de subvencao", "tipo de subvencion"),
    "cadre": ("cadre", "health worker cadre", "cadre de sante", "categorie", "categoria", "categoria profissional",
              "profesion sanitaria"),
    "gender": ("gender", "sex", "sexe", "genre", "sexo", "genero"),
    "training_type": ("training type", "type of training", "type de formation", "tipo de formacao",
                      "tipo de capacitacion"),
    "trainees": ("trainees", "trained", "number trained", "health workers trained", "people trained", "formes",
                 "nombre formes", "personnes formees", "formados", "capacitados", "numero de capacitados"),
    "location": ("location", "where", "lieu", "local", "lugar"),
    "profession": ("profession", "volunteer profession", "profissao", "profesion"),
    "volunteers": ("volunteers", "number of volunteers", "benevoles", "voluntarios"),
    "volunteer_days": ("volunteer days", "days", "days volunteered", "jours", "jours de benevolat", "dias",
                       "dias de voluntariado"),
    "indicator": ("indicator", "indicateur", "indicador"),
    "value": ("value", "valeur", "valor", "count", "number"),
}
# Words for the two genders most sheets use, for a definition's gender values that are these (or whose role
# is `women`): a header "Nurses (F)" or "Femmes" names the value.
FEMALE = ("f", "female", "females", "women", "woman", "femme", "femmes", "feminin", "mulher", "mulheres",
          "feminino", "mujer", "mujeres", "femenino", "girls")
MALE = ("m", "male", "males", "men", "man", "homme", "hommes", "masculin", "homem", "homens", "masculino",
        "hombre", "hombres", "boys", "h")


def fold(text: str) -> str:
    """Text as it is compared: lower case, no accents, '&' as 'and', dashes as '-', punctuation as spaces."""
    text = unicodedata.normalize("NFKD", str(text).lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[‐‑‒–—―]", "-", text).replace("&", " and ")
    text = re.sub(r"[^\w\-]+", " ", text)
    return " ".join(text.split())


@functools.lru_cache(maxsize=1 << 16)  # asked of every row's first cell: a sheet repeats its project ids
def _is_total(text: str) -> bool:
    folded = fold(text)
    return folded in TOTAL_WORDS or any(folded.startswith(word + " ") for word in TOTAL_WORDS if word != "sum")


def number(text: str) -> float | None:
    """A cell's number ('1,234', '12.0'), else None."""
    text = text.replace(",", "").replace("\u00a0", "").replace(" ", "")
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


# ---- where the header and the data are -----------------------------------------------------------------------

@dataclass
class Layout:
    """Where a sheet's header is, its column names, which rows are data and what was left out, with notices."""

    header_rows: list[int]  # as numbered in the file
    headers: list[str]
    data: list[int]  # indices into sheet.cells of the data rows
    notices: list[str] = field(default_factory=list)
    totals: list[int] = field(default_factory=list)  # indices of total rows left out
    hashtags: list[str] = field(default_factory=list)  # the HXL hashtag row under the header, per column ("" none)


def header_names(sheet: sheet_files.Sheet, header_rows: list[int]) -> list[str]:
    """The column names the header rows give: a merged heading carried over the columns it spans, and a second
    header row's sub-headings joined to it (`Nurses` + `(F)` -> `Nurses (F)`); unnamed columns '(column N)'."""
    index = {number: i for i, number in enumerate(sheet.numbers)}
    width = max((len(sheet.cells[index[r]]) for r in header_rows if r in index), default=0)
    rows = []
    for number in header_rows:
        cells = list(sheet.cells[index[number]]) + [""] * width if number in index else [""] * width
        cells = cells[:width]
        for first_row, first_col, last_row, last_col in sheet.merged:
            if first_row <= number <= last_row and first_col <= width:
                value = sheet.cells[index[first_row]][first_col - 1] if first_row in index and \
                    first_col - 1 < len(sheet.cells[index[first_row]]) else ""
                for col in range(first_col, min(last_col, width) + 1):
                    cells[col - 1] = value if number == first_row or not cells[col - 1] else cells[col - 1]
        rows.append(cells)
    names = []
    for col in range(width):
        parts = []
        for cells in rows:
            if cells[col] and cells[col] not in parts:
                parts.append(cells[col])
        names.append(" ".join(parts) if parts else f"(column {col + 1})")
    while names and names[-1].startswith("(column "):
        names.pop()
    return names


def layout(sheet: sheet_files.Sheet, header_rows: list[int] | None = None) -> Layout:
    """Find the header (or take `header_rows`), the data rows, and the title, blank and total rows left out."""
    filled = [sum(1 for c in row if c) for row in sheet.cells[:30]]  # the header is looked for near the top
    notices = []
    if header_rows is None:
        widest = max(filled, default=0)
        first = next((i for i, row in enumerate(sheet.cells) if sum(1 for c in row if c) >= max(2, widest // 2)),
                     0)
        header_rows = [sheet.numbers[first]] if sheet.numbers else [1]
        merged_over = [m for m in sheet.merged if m[0] == header_rows[0] and m[3] > m[1] and m[2] == m[0]]
        if merged_over and first + 1 < len(sheet.cells):
            below = sheet.cells[first + 1]
            if sum(1 for c in below if c and number(c) is None) >= 2:  # sub-headings under a merged heading
                header_rows.append(sheet.numbers[first + 1])
        titles = [sheet.numbers[i] for i in range(first) if any(sheet.cells[i])]
        if titles:
            notices.append(_("Row(s) {rows} above the header are titles; left out.").format(
                rows=", ".join(map(str, titles))))
    headers = header_names(sheet, header_rows)
    last_header = sheet.numbers.index(header_rows[-1]) if header_rows[-1] in sheet.numbers else -1
    hashtags = []
    following = last_header + 1
    if following < len(sheet.cells) and is_hxl_row(sheet.cells[following]):
        hashtags = [fold_hashtag(c) for c in sheet.cells[following]] + [""] * len(headers)
        hashtags = hashtags[:len(headers)]
        notices.append(_("Row {row} holds HXL hashtags (used to propose the mapping); not data.").format(
            row=sheet.numbers[following]))
        following += 1
    data, blank, totals = [], [], []
    for i in range(following, len(sheet.cells)):
        row = sheet.cells[i]
        if not any(row):
            blank.append(sheet.numbers[i])
        elif _is_total(next(c for c in row if c)):  # "Total", "Sub-total HPS-002"... in the row's first cell
            totals.append(i)
        else:
            data.append(i)
    if blank:
        notices.append(_("{count} blank row(s) left out (row {rows}).").format(
            count=i18n.active().number(len(blank)),
            rows=", ".join(map(str, blank[:10])) + ("…" if len(blank) > 10 else "")))
    if totals:
        notices.append(_("Total row(s) {rows} left out (their numbers are sums of the rows above: counted again they "
                         "would count twice).").format(rows=", ".join(str(sheet.numbers[i]) for i in totals)))
    return Layout(header_rows, headers, data, notices, totals, hashtags)


# ---- HXL ------------------------------------------------------------------------------------------------------
# The Humanitarian Exchange Language puts a row of hashtags under a sheet's headers (#country+code, #sector,
# #reached +f). Read as a hint when proposing: a hashtag row is never data.

HXL_TAGS: dict[str, str] = {  # the hashtag (without attributes) -> the column it proposes
    "#country": "iso3", "#activity": "project_id", "#project": "project_id", "#date": "period",
    "#sector": "theme", "#indicator": "indicator",
}
HXL_COUNTS = ("#reached", "#targeted", "#output", "#value")  # hashtags of numbers: a measure
HXL_FEMALE, HXL_MALE = ("+f", "+female", "+women"), ("+m", "+male", "+men")


def fold_hashtag(text: str) -> str:
    """A hashtag cell written one way: lower case, no spaces ('#Reached +F' -> '#reached+f')."""
    return "".join(str(text).lower().split())


def is_hxl_row(cells: list[str]) -> bool:
    """True for a row whose filled cells are all HXL hashtags (at least one)."""
    filled = [c for c in cells if c]
    return bool(filled) and all(re.fullmatch(r"#[a-z][a-z0-9_]*(\s*\+[a-z][a-z0-9_]*)*", c.strip().lower())
                                for c in filled)


def hxl_proposal(tag: str, programme, table: str) -> tuple[str | None, dict[str, str]]:
    """What a column's hashtag proposes: (a column, or "measure" for a count; the breakdown values its
    attributes name: +f is the gender the definition counts as women)."""
    if not tag:
        return None, {}
    base, *attributes = tag.split("+")
    attributes = ["+" + a for a in attributes]
    dims = {}
    spec = schema.table(table, programme)
    if "gender" in spec.key:
        women = programme.role("gender", "women")
        men = next((v for v in programme.values("gender") if fold(v) in MALE), None)
        if women and any(a in HXL_FEMALE for a in attributes):
            dims["gender"] = women
        elif men and any(a in HXL_MALE for a in attributes):
            dims["gender"] = men
    if base in HXL_COUNTS:
        return "measure", dims
    return HXL_TAGS.get(base), dims


def column_values(sheet: sheet_files.Sheet, found: Layout, position: int, limit: int | None = None) -> list[str]:
    """The texts of column `position` in the data rows (the first `limit`)."""
    rows = found.data if limit is None else found.data[:limit]
    return [sheet.cells[i][position] if position < len(sheet.cells[i]) else "" for i in rows]


# ---- matching values -----------------------------------------------------------------------------------------

def country_lookup() -> dict[str, str]:
    """Every way a country is written that is recognised -> its alpha-3 code (folded keys)."""
    out = {fold(name): code for code, name in iso3166.ALPHA3.items()}
    for code, names in country_names.NAMES.items():
        out.update({fold(name): code for name in names})
    for code, names in country_names.ALSO.items():
        out.update({fold(name): code for name in names})
    out.update({code.lower(): code for code in iso3166.ALPHA3})
    out.update({two.lower(): code for code, two in iso3166.ALPHA2.items()})
    return out


@dataclass
class Context:
    """What the programme and its version in use allow, for matching a sheet's values."""

    programme: object
    projects: dict[str, str]  # project id -> title
    project_countries: dict[str, str] = field(default_factory=dict)  # project id -> its country (ISO-3)
    countries: dict[str, str] = field(default_factory=country_lookup)

    def choices(self, column: str) -> tuple[str, ...]:
        """The values `column` may take (empty: any)."""
        if column == "project_id":
            return tuple(self.projects)
        if column == "iso3":
            return tuple(iso3166.ALPHA3)
        spec = {c.name: c for t in schema.tables(self.programme) for c in t.columns}.get(column)
        return tuple(schema.allowed(spec, self.programme) or ()) if spec is not None else ()


def _loose(text: str) -> str:
    """`fold` with underscores and dashes read as spaces (the choice names of KoboToolbox/ODK forms)."""
    return " ".join(fold(text).replace("_", " ").replace("-", " ").split())


def match(text: str, column: str, context: Context) -> dict:
    """How the sheet's `text` maps to a value of `column`: {to, match, confirmed} (see `recipe`)."""
    if column == "iso3":
        code = context.countries.get(fold(text))
        if code is not None:
            return {"to": code, "match": "exact" if text == code else "country", "confirmed": True}
        near = difflib.get_close_matches(fold(text), list(context.countries), n=1, cutoff=0.85)
        if near:
            return {"to": context.countries[near[0]], "match": "near", "confirmed": False}
        return {"to": None, "match": "none", "confirmed": False}
    choices = context.choices(column)
    if text in choices:
        return {"to": text, "match": "exact", "confirmed": True}
    folded = {fold(c): c for c in choices}
    if fold(text) in folded:
        return {"to": folded[fold(text)], "match": "same", "confirmed": True}
    loose = {_loose(c): c for c in choices}  # a form's choice name: 'in_service' is 'In-service'
    if _loose(text) in loose:
        return {"to": loose[_loose(text)], "match": "same", "confirmed": True}
    if column == "project_id":
        titles = {fold(title): pid for pid, title in context.projects.items()}
        if fold(text) in titles:
            return {"to": titles[fold(text)], "match": "project", "confirmed": True}
        folded.update(titles)
    near = difflib.get_close_matches(fold(text), list(folded), n=1, cutoff=NEAR_CUTOFF)
    if near:
        return {"to": folded[near[0]], "match": "near", "confirmed": False}
    return {"to": None, "match": "none", "confirmed": False}


def _plural_forms(word: str) -> set[str]:
    forms = {word, word + "s", word + "es"}
    if word.endswith("fe"):
        forms.add(word[:-2] + "ves")
    if word.endswith("y"):
        forms.add(word[:-1] + "ies")
    return forms


def _names_in(words: list[str], value: str) -> bool:
    """True when the folded `words` of a header hold `value`'s words in a row (plurals allowed)."""
    target = fold(value).split()
    if not target:
        return False
    for start in range(len(words) - len(target) + 1):
        if all(words[start + k] in _plural_forms(w) for k, w in enumerate(target)):
            return True
    return False


def dimension_values(header: str, table: str, programme) -> dict[str, str]:
    """The breakdown values a wide column's header names, per breakdown column of `table` (longest match each):
    'Nurses (F)' -> {'cadre': 'Nurse', 'gender': 'Female'}."""
    spec = schema.table(table, programme)
    words = fold(header).split()
    found: dict[str, str] = {}
    for column in spec.key:
        if column in KEYS:
            continue
        values = schema.allowed(spec.column(column), programme) or ()
        hits = [v for v in values if _names_in(words, v)]
        if column == "gender" or spec.column(column).vocabulary == "gender":
            women = programme.role("gender", "women")
            for value in values:
                kind = FEMALE if (value == women or fold(value) in FEMALE) else MALE if fold(value) in MALE else ()
                if kind and any(w in kind for w in words) and value not in hits:
                    hits.append(value)
        if hits:
            best = max(hits, key=lambda v: len(fold(v)))
            if sum(1 for v in hits if len(fold(v)) == len(fold(best))) == 1:
                found[column] = best
    return found


# ---- proposing -------------------------------------------------------------------------------------------------

@dataclass
class ColumnProposal:
    """One column as the manager sees it: header, first values and the mapping proposed."""

    header: str
    first: list[str]
    mapping: ColumnMap


@dataclass
class SheetProposal:
    """One sheet's proposal: its layout, columns, questions and the values matching nothing."""

    sheet: sheet_files.Sheet
    layout: Layout
    recipe: SheetRecipe
    columns: list[ColumnProposal]
    questions: list[str] = field(default_factory=list)
    unmatched: list[dict] = field(default_factory=list)  # {column, text, count, rows}
    spanning: list[dict] = field(default_factory=list)  # periods across quarters: {column, text, quarters, count, rows}


@dataclass
class Proposal:
    """The proposed recipe for a file and, per sheet, what to show and ask."""

    recipe: Recipe
    sheets: list[SheetProposal]


SUBMISSION_IDS = ("_uuid", "uuid", "meta/instanceid", "meta instanceid", "instanceid")  # folded


def question_name(header: str) -> str:
    """A KoboToolbox/ODK header 'group_training/nurses_female' as words: 'nurses female'."""
    return header.rsplit("/", 1)[-1].replace("_", " ").strip() or header


def _by_header(header: str, choices: dict[str, tuple[str, ...]]) -> str | None:
    folded = fold(header)
    for column, names in choices.items():
        if folded in names:
            return column
    for column, names in choices.items():  # "Country name", "Quarter (2018)": a known header as the first words
        if any(folded.startswith(name + " ") for name in names if len(name) > 3):
            return column
    return None


def _share(values: list[str], test) -> float:
    filled = [v for v in values if v]
    return sum(1 for v in filled if test(v)) / len(filled) if filled else 0.0


def _periods(values: list[str], fiscal: int, day_first: bool | None) -> bool:
    def one(v):
        try:
            return calendar.parse_period(v, fiscal, day_first) is not None
        except ValueError:  # an ambiguous date, a whole year: periods all the same
            return True
    return _share(values, one) >= 0.8


def day_first_of(values: list[str]) -> tuple[bool | None, list[str]]:
    """Whether a column's slashed dates put the day first, from the dates that read one way only; (None, the
    ambiguous texts) when every date reads both ways."""
    ambiguous, seen = [], None
    for value in values:
        match = re.fullmatch(r"\s*(\d{1,2})[/.](\d{1,2})[/.]\d{4}\s*", value)
        if not match:
            continue
        first, second = int(match.group(1)), int(match.group(2))
        if first > 12:
            seen = True
        elif second > 12:
            seen = False
        elif first != second:
            ambiguous.append(value)
    return (seen, []) if seen is not None or not ambiguous else (None, ambiguous)


def _table_for(headers: list[str], programme, hashtags: list[str] = ()) -> str:
    """The fact table whose breakdowns and measures the headers (and HXL hashtags) name most."""
    def score(table: str) -> int:
        spec = schema.table(table, programme)
        own = set(spec.column_names) - set(KEYS)
        named = sum(1 for h in headers if _by_header(h, {c: HEADERS.get(c, ()) for c in own}))
        wide = sum(1 for h in headers if dimension_values(h, table, programme))
        tagged = sum(1 for t in hashtags if hxl_proposal(t, programme, table)[1])
        return 2 * named + wide + 2 * tagged
    return max(FACT_TABLES, key=score)


NO_BREAKDOWN = "(none)"  # a DHIS2 "default" category option combo: no breakdown value (the constants give them)


def breakdown_text(dims: dict[str, str]) -> str:
    """Breakdown values as a recipe writes them: 'gender=Female, cadre=Nurse'."""
    return ", ".join(f"{k}={v}" for k, v in dims.items())


def breakdowns_of(text: str) -> dict[str, str]:
    """'gender=Female, cadre=Nurse' read back (a measure before ':' is left out: see `element_of`)."""
    text = text.split(":", 1)[1] if ":" in text else ("" if "=" not in text else text)
    pairs = [part.split("=", 1) for part in text.split(",") if "=" in part]
    return {k.strip(): v.strip() for k, v in pairs if k.strip()}


def element_of(text: str) -> tuple[str, dict[str, str]]:
    """A data element's mapping 'value: indicator=CODE' as (measure, breakdown values)."""
    measure = text.split(":", 1)[0].strip() if "=" not in text.split(":", 1)[0] else ""
    return measure, breakdowns_of(text)


def _dhis2(headers: list[str]) -> bool:
    folded = {fold(h).replace(" ", "") for h in headers}
    return {"dataelement", "period", "orgunit", "value"} <= folded


def propose_element(text: str, context: Context) -> dict:
    """What a DHIS2 data element (by its name or code) counts: a measure of a fact table, or an indicator."""
    programme = context.programme
    folded = fold(text)
    for table in FACT_TABLES:
        spec = schema.table(table, programme)
        for measure in (c.name for c in spec.columns if c.name not in spec.key):
            if table != "outcomes" and (folded == fold(measure) or folded in HEADERS.get(measure, ())
                                        or any(folded.startswith(n + " ") or folded.endswith(" " + n)
                                               for n in HEADERS.get(measure, ()) if len(n) > 5)):
                return {"to": measure, "match": "same", "confirmed": True, "table": table}
    for indicator in programme.indicators:
        if indicator.reported and folded in (fold(indicator.code), fold(indicator.label)):
            return {"to": f"value: indicator={indicator.code}", "match": "same", "confirmed": True,
                    "table": "outcomes"}
    return {"to": None, "match": "none", "confirmed": False}


def propose_dhis2(sheet: sheet_files.Sheet, context: Context) -> SheetProposal:
    """A DHIS2 data value set: data elements to measures or indicators, category option combos to breakdown
    values, org units to projects (their countries from the projects), periods (monthly ones roll up)."""
    programme = context.programme
    found = layout(sheet, [sheet.numbers[0]])
    roles = {"dataelement": ("element", None), "period": ("key", "period"), "orgunit": ("key", "project_id"),
             "categoryoptioncombo": ("combo", None), "attributeoptioncombo": ("default", None),
             "value": ("amount", None)}
    position = {fold(h).replace(" ", ""): i for i, h in enumerate(found.headers)}
    elements: dict[str, dict] = {}
    for text in dict.fromkeys(column_values(sheet, found, position["dataelement"])):
        if text:
            elements[text] = propose_element(text, context)
    tables = Counter(e.get("table") for e in elements.values() if e.get("table"))
    table = tables.most_common(1)[0][0] if tables else "training"
    for entry in elements.values():
        if entry.pop("table", table) != table:
            entry.update({"to": None, "match": "none", "confirmed": False})
    spec = schema.table(table, programme)
    columns = []
    for i, header in enumerate(found.headers):
        role, column = roles.get(fold(header).replace(" ", ""), ("ignore", None))
        why = _("DHIS2 field {field}").format(field=header) if role != "ignore" else _("not needed")
        if role == "default":
            why = (_("DHIS2 field {field}: each value must be 'default' (map it to project_id as a key, or to "
                     "breakdown values as a combo, when it says more)").format(field=header))
        columns.append(ColumnProposal(header, [v for v in column_values(sheet, found, i, FIRST_VALUES) if v],
                                      ColumnMap(header, role, column, why=why)))
    recipe_part = SheetRecipe(table, found.header_rows, [c.mapping for c in columns], sheet.name)
    recipe_part.values[ELEMENT] = elements
    if "categoryoptioncombo" in position:
        combos = {}
        for text in dict.fromkeys(column_values(sheet, found, position["categoryoptioncombo"])):
            if text:
                dims = dimension_values(text, table, programme)
                default = fold(text) == "default"
                combos[text] = ({"to": breakdown_text(dims) or NO_BREAKDOWN, "match": "same", "confirmed": True}
                                if dims or default
                                else {"to": None, "match": "none", "confirmed": False})
        recipe_part.values[COMBO] = combos
    given = {k for e in recipe_part.values.get(COMBO, {}).values() if e.get("to") for k in breakdowns_of(e["to"])}
    given |= {k for e in elements.values() if e.get("to") for k in element_of(e["to"])[1]}
    for name in (c for c in spec.key if c not in KEYS):
        if name not in given or any(not breakdowns_of(e.get("to") or "").get(name)
                                    for e in recipe_part.values.get(COMBO, {}).values()):
            recipe_part.constants[name] = (schema.allowed(spec.column(name), programme) or ("",))[0]
    proposal = SheetProposal(sheet, found, recipe_part, columns)
    fill_values(proposal, context)
    for kind, field_name in ((ELEMENT, "dataelement"), (COMBO, "categoryoptioncombo")):
        if field_name not in position:
            continue
        where: dict[str, list[int]] = {}
        for i in found.data:
            where.setdefault(sheet.cells[i][position[field_name]], []).append(sheet.numbers[i])
        for text, entry in recipe_part.values.get(kind, {}).items():
            if not entry.get("to"):
                proposal.unmatched.append({"column": found.headers[position[field_name]], "target": kind,
                                           "text": text, "count": len(where.get(text, [])),
                                           "rows": where.get(text, [])[:20]})
    return proposal


def propose_sheet(sheet: sheet_files.Sheet, context: Context, table: str | None = None) -> SheetProposal:
    """The proposed mapping of one sheet (see the module)."""
    programme = context.programme
    if sheet.cells and _dhis2(sheet.cells[0]):
        return propose_dhis2(sheet, context)
    found = layout(sheet)
    table = table or _table_for([question_name(h) for h in found.headers], programme, found.hashtags)
    spec = schema.table(table, programme)
    measures = [c.name for c in spec.columns if c.name not in spec.key]
    breakdowns = [c for c in spec.key if c not in KEYS]
    header_choices = {c: HEADERS.get(c, ()) + ((fold(d.label),) if (d := _declared(programme, c)) else ())
                      for c in (*KEYS, *breakdowns, *measures, *ATTRIBUTES)}
    columns, taken = [], set()
    fiscal = programme.fiscal_year_start
    choice_columns = _choice_groups(sheet, found, breakdowns, context)
    taken.update(choice_columns.values())
    for position, header in enumerate(found.headers):
        sample = column_values(sheet, found, position, SAMPLE_ROWS)
        first = [v for v in sample if v][:FIRST_VALUES]
        if fold(header) in SUBMISSION_IDS:
            columns.append(ColumnProposal(header, first, ColumnMap(header, "submission", why=_(
                "KoboToolbox/ODK submission id: a submission imported twice is refused"))))
            continue
        split = [h for h in found.headers if h.startswith(header + "/")]
        if split and (column := _select_multiple(header, sample, breakdowns, header_choices, context, taken)):
            taken.add(column)
            columns.append(ColumnProposal(header, first, ColumnMap(
                header, "dimension", column, multiple="one",
                why=_("a select-multiple question: its choices (space-separated) are the programme's {column}s; a "
                      "submission choosing several is refused unless the recipe says multiple \"each\" (counted once "
                      "per choice)").format(column=column.replace("_", " ")))))
            continue
        if header in choice_columns:
            column = choice_columns[header]
            columns.append(ColumnProposal(header, first, ColumnMap(
                header, "choice", column, multiple="one",
                why=_("a choice (0/1) of the select-multiple question {question}: the programme's {column}").format(
                    question=header.rsplit("/", 1)[0], column=column.replace("_", " ")))))
            continue
        if "/" in header and header.rsplit("/", 1)[0] in found.headers:
            columns.append(ColumnProposal(header, first, ColumnMap(header, "ignore", why=_(
                "a choice of the select-multiple question {question}").format(question=header.rsplit("/", 1)[0]))))
            continue
        name = question_name(header)
        numeric = _share(sample, lambda v: number(v) is not None) >= 0.8 and any(sample)
        column = _by_header(name, header_choices)
        why = _("header '{header}'").format(header=header) if column else ""
        tag = found.hashtags[position] if found.hashtags else ""
        tagged, tag_dims = hxl_proposal(tag, programme, table)
        if tagged and tagged != "measure":
            column, why = tagged, _("HXL hashtag {tag}").format(tag=tag)
        if column is None and not numeric:
            if _share(sample, lambda v: fold(v) in context.countries) >= 0.8:
                column, why = "iso3", _("values are countries")
            elif _periods(sample, fiscal, None):
                column, why = "period", _("values are periods")
            elif _share(sample, lambda v: match(v, "project_id", context)["match"] in ("exact", "same", "project")) >= 0.8:
                column, why = "project_id", _("values are the programme's projects")
            else:
                for candidate in (*breakdowns, *ATTRIBUTES):
                    if _share(sample, lambda v, c=candidate: match(v, c, context)["match"] != "none") >= 0.8:
                        column, why = candidate, _("values are the programme's {column}s").format(
                            column=candidate.replace("_", " "))
                        break
        dims = dimension_values(name, table, programme) if numeric else {}
        if tagged == "measure" and numeric:
            dims = {**dims, **tag_dims}
            if not dims and column is None:
                column, why = measures[0], _("HXL hashtag {tag}").format(tag=tag)
        if column in taken:
            column = None
        if column in KEYS:
            mapping = ColumnMap(header, "key", column, why=why)
        elif column in breakdowns:
            mapping = ColumnMap(header, "dimension", column, why=why)
        elif column in ATTRIBUTES:
            mapping = ColumnMap(header, "attribute", column, why=_("{why} (a column of the project)").format(why=why))
        elif dims and numeric:
            measure = _by_header(name, {m: HEADERS.get(m, ()) for m in measures}) or measures[0]
            mapping = ColumnMap(header, "value", measure=measure, dimensions=dims,
                                why=(_("HXL hashtag {tag}: {values}") if tagged == "measure" and tag_dims
                                     else _("header names {values}")).format(
                                    tag=tag, values=", ".join(f"{k.replace('_', ' ')} {v}" for k, v in dims.items())))
        elif column in measures and numeric:
            mapping = ColumnMap(header, "measure", column, why=why)
        else:
            mapping = ColumnMap(header, "ignore", why=_("not recognised") if not column
                                else _("{why}, but not numbers").format(why=why))
        if mapping.column:
            taken.add(mapping.column)
        columns.append(ColumnProposal(header, first, mapping))
    maps = [c.mapping for c in columns]
    mapped = {m.column for m in maps if m.column} | {d for m in maps if m.role == "value" for d in m.dimensions}
    constants = {}
    for column in breakdowns:
        if column not in mapped:
            values = schema.allowed(spec.column(column), programme) or ("",)
            constants[column] = values[0]
    sheet_recipe = SheetRecipe(table, found.header_rows, maps, sheet.name, constants)
    proposal = SheetProposal(sheet, found, sheet_recipe, columns)
    if any(m.column == "period" for m in maps):
        position = next(i for i, m in enumerate(maps) if m.column == "period")
        day_first, ambiguous = day_first_of(column_values(sheet, found, position))
        sheet_recipe.day_first = day_first
        if ambiguous:
            proposal.questions.append(
                _("{sheet}, column '{column}': the dates ({dates}…) read day first or month first; say which "
                  "(day_first in the recipe: true for 03/04/2018 = 3 April).").format(
                    sheet=sheet.shown, column=found.headers[position], dates=", ".join(ambiguous[:3])))
    fill_values(proposal, context)
    return proposal


def spanning_periods(proposal: SheetProposal) -> list[dict]:
    """The sheet's periods that run across quarters (DHIS2's '2018S1', '2018July'…) and that its recipe does not
    place yet: {column, text, quarters (labels), count, rows}, for the manager to place each in one quarter."""
    sheet, found, part = proposal.sheet, proposal.layout, proposal.recipe
    position = next((i for i, c in enumerate(part.columns) if c.role == "key" and c.column == "period"), None)
    if position is None:
        return []
    placed = part.values.get("period", {})
    seen: dict[str, dict] = {}
    for i in found.data:
        text = sheet.cells[i][position] if position < len(sheet.cells[i]) else ""
        if not text or text in placed:
            continue
        if text not in seen:
            span = calendar.dhis2_span(text)
            if span is None or calendar.quarter_start(span[0]) == calendar.quarter_start(span[1]) \
                    or re.fullmatch(r"\d{4}W\d{1,2}", text.strip(), re.IGNORECASE):  # a week has its quarter
                seen[text] = {}
                continue
            seen[text] = {"column": part.columns[position].header, "text": text, "count": 0, "rows": [],
                          "quarters": [calendar.quarter_label(q) for q in calendar.quarters_of(*span)]}
        if seen[text]:
            seen[text]["count"] += 1
            if len(seen[text]["rows"]) < 20:
                seen[text]["rows"].append(sheet.numbers[i])
    return [item for item in seen.values() if item]


def place_period(part: SheetRecipe, text: str, quarter: str) -> None:
    """Place a period across quarters in one quarter ('2018Q2'), as the manager chose (the recipe's values)."""
    part.values.setdefault("period", {})[text] = {"to": quarter, "match": "manual", "confirmed": True}


def _select_multiple(header: str, sample: list[str], breakdowns: list[str], header_choices: dict, context: Context,
                     taken: set) -> str | None:
    """The breakdown a select-multiple question's joined column gives (by its header, else by its choices' names),
    or None."""
    tokens = [t for v in sample for t in v.split()]
    by_header = _by_header(question_name(header), {b: header_choices[b] for b in breakdowns})
    candidates = [by_header] if by_header else breakdowns
    for column in candidates:
        if column not in taken and tokens and _share(tokens, lambda t, c=column: match(t, c, context)["match"]
                                                      in ("exact", "same")) >= 0.8:
            return column
    return None


def _choice_groups(sheet: sheet_files.Sheet, found: Layout, breakdowns: list[str], context: Context) -> dict[str, str]:
    """A select-multiple question exported as 0/1 choice columns only ('group/question/choice', no joined
    'group/question' column): each choice column -> the breakdown its choices' names are values of."""
    groups: dict[str, list[int]] = {}
    for position, header in enumerate(found.headers):
        prefix = header.rsplit("/", 1)[0] if header.count("/") >= 2 else ""
        if prefix and prefix not in found.headers:
            groups.setdefault(prefix, []).append(position)
    out = {}
    for positions in groups.values():
        flags = [v for p in positions for v in column_values(sheet, found, p, SAMPLE_ROWS)]
        if len(positions) < 2 or not all(v.strip().lower() in ("0", "1", "") for v in flags):
            continue
        names = [found.headers[p].rsplit("/", 1)[-1] for p in positions]
        for column in breakdowns:
            if _share(names, lambda n, c=column: match(n, c, context)["match"] in ("exact", "same")) >= 0.8:
                out.update({found.headers[p]: column for p in positions})
                break
    return out


def _declared(programme, column: str):
    return next((d for d in programme.disaggregations if d.key == column), None)


def fill_values(proposal: SheetProposal, context: Context) -> None:
    """Match every distinct value of the columns that take the programme's values, into the recipe's `values`,
    and list those matching nothing (with counts and rows)."""
    sheet, found, recipe_part = proposal.sheet, proposal.layout, proposal.recipe
    proposal.unmatched = []
    for position, mapping in enumerate(recipe_part.columns):
        if mapping.role not in ("key", "dimension", "attribute", "choice") or mapping.column == "period":
            continue
        counts: Counter = Counter()
        rows: dict[str, list[int]] = {}
        for i in found.data:
            text = sheet.cells[i][position] if position < len(sheet.cells[i]) else ""
            if mapping.role == "choice":  # the choice's name, in the rows that choose it
                texts = [mapping.header.rsplit("/", 1)[-1]] if text.strip().lower() in ("1", "true", "yes") else []
            else:
                texts = text.split() if mapping.multiple else [text] if text else []
            for one in texts:
                counts[one] += 1
                rows.setdefault(one, []).append(sheet.numbers[i])
        entries = recipe_part.values.setdefault(mapping.column, {})
        for text, count in counts.items():
            if text not in entries:
                entries[text] = match(text, mapping.column, context)
            if entries[text]["match"] == "none" or not entries[text].get("to"):
                proposal.unmatched.append({"column": mapping.header, "target": mapping.column, "text": text, "count": count,
                                           "rows": rows[text][:20]})
        if not entries:
            recipe_part.values.pop(mapping.column, None)


def propose(found: list[sheet_files.Sheet], context: Context, name: str = "") -> Proposal:
    """The proposed recipe for every sheet of a file."""
    parts = [propose_sheet(sheet, context) for sheet in found]
    for part in parts:
        part.spanning = spanning_periods(part)
    return Proposal(Recipe(context.programme.id, [p.recipe for p in parts], name), parts)
