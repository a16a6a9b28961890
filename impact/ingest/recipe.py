"""A recipe: how a sheet in its own shape becomes rows of the product's tables — the confirmed mapping, as readable
JSON, saved in the programme's store so next quarter's sheet imports in one step.

    {"format": "impact-recipe/1", "name": "master-sheet", "programme": "my-programme",
     "sheets": [{"sheet": "Data", "table": "training", "header_rows": [3],
                 "columns": [{"header": "Projet", "role": "key", "column": "project_id"},
                             {"header": "Nurses (F)", "role": "value", "measure": "trainees",
                              "dimensions": {"cadre": "Nurse", "gender": "Female"}},
                             {"header": "Notes", "role": "ignore"}, ...],
                 "constants": {"training_type": "In-service"},
                 "values": {"theme": {"Eye Care & Optics": {"to": "Eye care and optics",
                                                                    "match": "same", "confirmed": true}}},
                 "day_first": null}]}

A column's role: `key` (project_id, iso3, period), `dimension` (a breakdown column of the table, e.g. cadre),
`measure` (a number column, e.g. trainees), `value` (a wide column: its numbers are the measure for the dimension
values its header names — unpivoted into rows), `attribute` (a column of the project, e.g. its theme),
for long data such as a DHIS2 data value set `element` (its values say which measure the row's number is, and
may name breakdown values: `values["(element)"]` maps each to "trainees" or "value: indicator=CODE"), `combo`
(its values name breakdown values: `values["(combo)"]` maps "Female, Nurse" to "gender=Female, cadre=Nurse") and
`amount` (the number) — a DHIS2 attribute option combo is `default` (every value must be DHIS2's `default`, else
its row is refused), a second `combo` (its values name breakdown values too) or a `key` to `project_id` (each
attribute option combo a project: the org unit is then ignored or read as the country); `submission` (a KoboToolbox/ODK export's `_uuid`: the rows of several submissions
for the same project, quarter and breakdowns are added up, and a submission twice is refused), `choice` (one of the
0/1 columns `group/question/choice` a KoboToolbox/ODK select-multiple question is also exported as: the row has the
choice — its name, mapped through `values` — as its value of `column`), or `ignore`. A `dimension` column of a
select-multiple question (its choices space-separated, `in_service pre_service`) and `choice` columns say
`multiple`: "one" (a row choosing several is refused: its numbers would be counted once per choice) or "each" (the
row is counted once for each choice, as the recipe says so); the joined column and the choice columns of one
question are never both mapped (counted twice). `constants` give a dimension the sheet does not hold one value for every row. `values` maps the
sheet's own spellings to the programme's vocabulary (`match`: exact, same — ignoring case, spaces, accents and
"&"/"and" —, country, project, near — a proposal until `confirmed` — or manual). `day_first` answers how a
date such as 03/04/2018 reads. The format is documented in the data dictionary (`impact.model.dictionary.recipe_markdown`).

Recipes are saved in the programme's versions, beside its definition: each version carries every saved recipe in
one readable file, `recipes.json` (`{"format": "impact-recipes/1", "recipes": {NAME: recipe}}`). Saving a recipe is
part of the import that confirms it (`with_saved` gives the new version's file), every other import keeps the
recipes of the version in use (`impact.storage.transaction`), a rollback brings back the recipes as they were in
that version, and `export-extract` writes the file beside `programme.json` so importing the extract restores them.
A store from before (recipes in `<store>/recipes/NAME.json`) is still read while its version in use has no
`recipes.json`; the next recipe saved moves them into the version (the old folder is left as it was). Every
version imported through a recipe also keeps the whole recipe (with its name and checksum) among the sources in
its manifest, so the version says exactly how its rows were mapped.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from impact.model import i18n
from impact.model.i18n import N_
from impact.model.i18n import gettext as _
from impact.storage import store

FORMAT = "impact-recipe/1"
SET_FORMAT = "impact-recipes/1"  # a version's recipes.json: {"format", "recipes": {name: recipe}}
FOLDER = "recipes"  # where a store kept its recipes before they were versioned (read, never written)
ROLES = ("key", "dimension", "measure", "value", "attribute", "element", "combo", "amount", "submission", "default",
         "choice", "ignore")
MULTIPLE = ("one", "each")  # a select-multiple column's choices: one per row (several refused), or each counted
ELEMENT, COMBO = "(element)", "(combo)"  # the `values` entries of a DHIS2 data element and category option combo
MATCHES = ("exact", "same", "country", "project", "near", "manual", "none")
KEYS = ("project_id", "iso3", "period")  # the columns every fact row is placed by
ATTRIBUTES = ("theme", "grant_type")  # the project's own columns a sheet may carry on each row
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
MAX_BYTES = 2 * 1024 * 1024
MAX_SET_BYTES = 16 * 1024 * 1024


@dataclass
class ColumnMap:
    """What one column of the sheet is (see the module's roles)."""

    header: str
    role: str = "ignore"
    column: str | None = None  # key, dimension, measure, attribute: the table's column it fills
    measure: str | None = None  # value: the measure its numbers are
    dimensions: dict[str, str] = field(default_factory=dict)  # value: dimension -> the vocabulary value it names
    why: str = ""  # how the proposal was made (shown to the manager; not needed to apply it)
    multiple: str | None = None  # dimension, choice: a select-multiple question's choices ("one" or "each")

    def to_dict(self) -> dict:
        """The column as the recipe's JSON writes it (only the fields its role uses)."""
        out: dict = {"header": self.header, "role": self.role}
        if self.role in ("key", "dimension", "measure", "attribute"):
            out["column"] = self.column
        if self.role == "value":
            out["measure"], out["dimensions"] = self.measure, dict(self.dimensions)
        if self.role == "choice":
            out["column"] = self.column
        if self.multiple and self.role in ("dimension", "choice"):
            out["multiple"] = self.multiple
        if self.why:
            out["why"] = self.why
        return out


@dataclass
class SheetRecipe:
    """How one sheet (a CSV file, or a workbook's sheet) becomes rows of one table."""

    table: str
    header_rows: list[int]  # the rows (as numbered in the file) that name the columns
    columns: list[ColumnMap]
    sheet: str = ""  # the worksheet's name ("" for a CSV file, or a workbook's only sheet)
    constants: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, dict]] = field(default_factory=dict)  # column -> the sheet's text -> {to, match, confirmed}
    day_first: bool | None = None

    @property
    def headers(self) -> list[str]:
        """The headers the sheet had when the recipe was made, in order."""
        return [c.header for c in self.columns]

    def to_dict(self) -> dict:
        """The sheet's part of the recipe's JSON."""
        return {"sheet": self.sheet, "table": self.table, "header_rows": list(self.header_rows),
                "columns": [c.to_dict() for c in self.columns], "constants": dict(self.constants),
                "values": {k: dict(v) for k, v in self.values.items()}, "day_first": self.day_first}


@dataclass
class Recipe:
    """The whole mapping of a file: one `SheetRecipe` per sheet imported."""

    programme: str
    sheets: list[SheetRecipe]
    name: str = ""

    def to_dict(self) -> dict:
        """The recipe's JSON object."""
        return {"format": FORMAT, "name": self.name, "programme": self.programme,
                "sheets": [s.to_dict() for s in self.sheets]}

    def to_json(self) -> str:
        """The recipe as readable JSON text."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def proposed(self) -> list[tuple[str, str, str, str]]:
        """The near matches still to confirm: (sheet, column, the sheet's text, the value proposed)."""
        return [(s.sheet, column, text, entry.get("to") or "")
                for s in self.sheets for column, entries in s.values.items()
                for text, entry in entries.items() if entry.get("match") == "near" and not entry.get("confirmed")]

    def accept_proposed(self) -> None:
        """Take every near match proposed as confirmed."""
        for s in self.sheets:
            for entries in s.values.values():
                for entry in entries.values():
                    if entry.get("match") == "near" and entry.get("to"):
                        entry["confirmed"] = True


class RecipeError(ValueError):
    """A recipe that cannot be read: each problem with where it is in the JSON."""

    def __init__(self, problems: list[str], where: str = "recipe"):
        self.problems, self.where = problems, where
        super().__init__(f"{where}: " + "; ".join(problems))


def parse(data, where: str = "recipe") -> Recipe:
    """A recipe from its JSON object; RecipeError lists every problem with its place (sheets[0].columns[2].role)."""
    problems: list[str] = []
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise RecipeError([_('not a recipe: its "format" must be "{format}"').format(format=FORMAT)], where)
    sheets = []
    raw_sheets = data.get("sheets")
    if not isinstance(raw_sheets, list) or not raw_sheets:
        problems.append(_("{place}: must be a list of at least one sheet").format(place="sheets"))
        raw_sheets = []
    for n, raw in enumerate(raw_sheets):
        at = f"sheets[{n}]"
        if not isinstance(raw, dict):
            problems.append(_("{place}: must be an object").format(place=at))
            continue
        columns = []
        for m, item in enumerate(raw.get("columns") or []):
            place = f"{at}.columns[{m}]"
            if not isinstance(item, dict) or not isinstance(item.get("header"), str):
                problems.append(_('{place}: must be an object with a "header"').format(place=place))
                continue
            role = item.get("role", "ignore")
            if role not in ROLES:
                problems.append(_("{place}: {value} is not one of {allowed}").format(
                    place=f"{place}.role", value=repr(str(role)[:30]), allowed=", ".join(ROLES)))
                continue
            dims = item.get("dimensions") or {}
            if not isinstance(dims, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in dims.items()):
                problems.append(_("{place}: must map dimension names to values (text)").format(
                    place=f"{place}.dimensions"))
                dims = {}
            multiple = item.get("multiple")
            if multiple is not None and (multiple not in MULTIPLE or role not in ("dimension", "choice")):
                problems.append(_("{place}: a dimension or choice column's select-multiple choices are \"one\" (one "
                                  "per row) or \"each\" (the row counted once per choice)").format(
                    place=f"{place}.multiple"))
                multiple = None
            if role in ("key", "dimension", "measure", "attribute", "choice") and not isinstance(item.get("column"), str):
                problems.append(_("{place}: a {role} column names the table's column it fills").format(
                    place=f"{place}.column", role=role))
            if role == "value" and (not isinstance(item.get("measure"), str) or not dims):
                problems.append(_('{place}: a value column names its "measure" and the "dimensions" its header '
                                  'gives').format(place=place))
            columns.append(ColumnMap(item["header"], role, item.get("column"), item.get("measure"), dict(dims),
                                     str(item.get("why", "")), multiple))
        header_rows = raw.get("header_rows")
        if not isinstance(header_rows, list) or not header_rows or not all(isinstance(r, int) and r > 0
                                                                           for r in header_rows):
            problems.append(_("{place}: must list the row numbers (from 1) of the sheet's header").format(
                place=f"{at}.header_rows"))
            header_rows = [1]
        day_first = raw.get("day_first")
        if day_first not in (None, True, False):
            problems.append(_("{place}: must be true (03/04/2018 is 3 April), false (4 March) or null").format(
                place=f"{at}.day_first"))
            day_first = None
        values = raw.get("values") or {}
        if not isinstance(values, dict) or not all(isinstance(v, dict) and all(isinstance(e, dict) for e in v.values())
                                                   for v in values.values()):
            problems.append(_("{place}: must map a column to {{the sheet's text: {{\"to\": value, ...}}}}").format(
                place=f"{at}.values"))
            values = {}
        constants = raw.get("constants") or {}
        if not isinstance(constants, dict) or not all(isinstance(v, str) for v in constants.values()):
            problems.append(_("{place}: must map a column to one value (text)").format(place=f"{at}.constants"))
            constants = {}
        sheets.append(SheetRecipe(str(raw.get("table", "")), list(header_rows), columns, str(raw.get("sheet") or ""),
                                  dict(constants), {k: {t: dict(e) for t, e in v.items()} for k, v in values.items()},
                                  day_first))
    if problems:
        raise RecipeError(problems, where)
    return Recipe(str(data.get("programme", "")), sheets, str(data.get("name", "")))


def loads(text: str, where: str = "recipe") -> Recipe:
    """A recipe from its JSON text."""
    return parse(_json(text, MAX_BYTES, where), where)


def _json(text: str, limit: int, where: str):
    """The JSON value of `text` (at most `limit` characters); RecipeError naming `where` if it is not."""
    if len(text) > limit:
        raise RecipeError([_("larger than {limit} bytes").format(limit=i18n.active().number(limit))], where)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise RecipeError([_("not JSON: {error} at line {line}, column {column}").format(
            error=error.msg, line=error.lineno, column=error.colno)], where) from None


def read_file(path: str | Path) -> Recipe:
    """A recipe from a JSON file."""
    path = Path(path)
    return loads(path.read_text(encoding="utf-8"), path.name)


def check_name(name: str) -> str:
    """A recipe's name as saved (`master-sheet`); ValueError when it is not one."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise ValueError(_("{name} is not a recipe name: 1 to 64 lower-case letters, digits, '-' or '_', starting "
                           "with a letter or digit").format(name=repr(str(name)[:40])))
    return name


def _root_of(folder: Path) -> Path:
    """The programme's store a version folder belongs to (the folder itself for the shipped extract, "base")."""
    folder = Path(folder)
    return folder.parent.parent if folder.parent.name == store.VERSIONS else folder


def _folder_of(programme_store: store.Store) -> Path:
    """The folder of the version in use of a programme's store."""
    return programme_store.active().path


def _legacy(root: Path) -> dict[str, Recipe]:
    """The recipes a store kept before they were versioned: `<store>/recipes/NAME.json`, read as they are."""
    folder = Path(root) / FOLDER
    paths = sorted(p for p in folder.glob("*.json") if NAME.fullmatch(p.stem)) if folder.is_dir() else []
    found = {}
    for path in paths:
        found[path.stem] = read_file(path)
        found[path.stem].name = path.stem
    return found


def dumps_set(saved: dict[str, Recipe]) -> str:
    """The text of a version's `recipes.json`: every saved recipe under its name, as readable JSON."""
    for name, recipe in saved.items():
        recipe.name = check_name(name)
    return json.dumps({"format": SET_FORMAT, "recipes": {name: saved[name].to_dict() for name in sorted(saved)}},
                      indent=2, ensure_ascii=False) + "\n"


def loads_set(text: str, where: str = store.RECIPES) -> dict[str, Recipe]:
    """The recipes of a `recipes.json` (a version's, or an extract's); RecipeError lists every problem with its
    place (recipes.master.sheets[0].columns[2].role)."""
    data = _json(text, MAX_SET_BYTES, where)
    if not isinstance(data, dict) or data.get("format") != SET_FORMAT or not isinstance(data.get("recipes"), dict):
        raise RecipeError([_('not a programme\'s recipes: its "format" must be "{format}" and its "recipes" map '
                             'each recipe\'s name to the recipe').format(format=SET_FORMAT)], where)
    problems: list[str] = []
    found: dict[str, Recipe] = {}
    for name, raw in data["recipes"].items():
        if not isinstance(name, str) or not NAME.fullmatch(name):
            problems.append(_("{place}: not a recipe name (lower-case letters, digits, '-' or '_')").format(
                place=f"recipes.{str(name)[:40]}"))
            continue
        try:
            found[name] = parse(raw, f"recipes.{name}")
        except RecipeError as error:
            problems.extend(f"recipes.{name}: {problem}" for problem in error.problems)
            continue
        found[name].name = name
    if problems:
        raise RecipeError(problems, where)
    return found


def of_version(folder: Path) -> dict[str, Recipe]:
    """The recipes a version folder carries (its `recipes.json`); a version made before recipes were versioned
    has none of its own and reads its store's `recipes/` folder, as that store did (RecipeError for a file that is
    not a recipe, named)."""
    path = Path(folder) / store.RECIPES
    if path.is_file():
        return loads_set(path.read_text(encoding="utf-8"), path.name)
    return _legacy(_root_of(folder))


def saved(programme_store: store.Store) -> dict[str, Recipe]:
    """The recipes of the programme in its version in use, by name."""
    return of_version(_folder_of(programme_store))


def names(programme_store: store.Store) -> list[str]:
    """The recipes saved in the programme (in its version in use), by name."""
    return sorted(saved(programme_store))


def load(programme_store: store.Store, name: str) -> Recipe:
    """The recipe saved as `name` in the programme's version in use; ValueError when there is none."""
    check_name(name)
    found = saved(programme_store)
    if name not in found:
        raise ValueError((_("there is no recipe called {name} in this programme (its recipes: {names})") if found
                          else _("there is no recipe called {name} in this programme (it has none yet)")).format(
            name=repr(name), names=", ".join(sorted(found))))
    return found[name]


def with_saved(folder: Path, recipe: Recipe, name: str) -> str:
    """The `recipes.json` text of a new version: the recipes of the version `folder` (an older store's `recipes/`
    folder moved in) with `recipe` saved as `name`, replacing a recipe of that name."""
    every = of_version(folder)
    every[check_name(name)] = copy(recipe)
    return dumps_set(every)


# The headings of `listing`, marked for the catalogue: a table for people shows them in the reader's language.
LISTING = (N_("recipe"), N_("sheets"), N_("columns"), N_("values mapped"), N_("near matches to confirm"))


def listing(saved: dict[str, Recipe]) -> list[dict]:
    """The saved recipes for people, one row each: name, the sheets and tables it maps, its columns by role, the
    sheet's values it maps and the near matches still to confirm."""
    rows = []
    for name in sorted(saved):
        recipe = saved[name]
        roles: dict[str, int] = {}
        for part in recipe.sheets:
            for column in part.columns:
                roles[column.role] = roles.get(column.role, 0) + 1
        rows.append({"recipe": name,
                     "sheets": ", ".join(f"{p.sheet or _('(its only sheet)')} -> {p.table}" for p in recipe.sheets),
                     "columns": ", ".join(f"{n} {role}" for role, n in sorted(roles.items())),
                     "values mapped": sum(len(v) for p in recipe.sheets for v in p.values.values()),
                     "near matches to confirm": len(recipe.proposed())})
    return rows


def checksum(recipe: Recipe) -> str:
    """The SHA-256 of the recipe's JSON (what a version's manifest records)."""
    return hashlib.sha256(recipe.to_json().encode("utf-8")).hexdigest()


def copy(recipe: Recipe) -> Recipe:
    """An independent copy (edits to it leave `recipe` as it is)."""
    return parse(json.loads(recipe.to_json()))
