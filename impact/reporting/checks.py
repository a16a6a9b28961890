"""Checks on the numbers themselves: the definition's validation rules and outlier flags, on every return.

A project's quarter is reduced to named values: the return metrics (`metrics.RETURN_METRICS`: trainees,
women_trained, volunteer_days, … added up over its rows, roles from the definition) and each reported indicator's
value. A **validation rule** (`programme.ValidationRule`, e.g. women_trained <= trainees) is checked when the
return carries every name it reads. An **outlier** is a value far from the project's own earlier quarters: its
robust z-score, 0.6745 × (value − median) ÷ MAD (the median absolute deviation from the median), is above the
definition's threshold (3.5 by default, after Iglewicz and Hoaglin); when the MAD is 0 the mean absolute deviation
× 1.2533 stands in for it, and when every earlier quarter had the same value any other value is flagged. A value
is looked at once the project has `min_history` earlier quarters with it. **Bounds** flag a value below or above
the definition's limits in any quarter. Flags are warnings: a partner explains each one to send the return, and
the programme team sees them, with the explanations, before approving.
"""

from __future__ import annotations

import datetime as dt
import math
import operator
import re
from dataclasses import asdict, dataclass, field, replace

import pandas as pd

from impact.model import cells, i18n, metrics
from impact.model import programme as programmes
from impact.model.i18n import N_
from impact.model.i18n import gettext as _

COMPARE = {"<": operator.lt, "<=": operator.le, "==": operator.eq, "!=": operator.ne, ">=": operator.ge,
           ">": operator.gt}
MAD_SCALE = 0.6745  # makes the MAD comparable with a standard deviation for normal data
MEAN_AD_SCALE = 1.253314  # the same for the mean absolute deviation (used when the MAD is 0)
VALUE_COLUMNS = ["project_id", "period", "name", "value"]


@dataclass(frozen=True)
class Flag:
    """One warning on a return: a broken rule, an unusual value or one outside its bounds."""

    key: str  # stable within a return: rule:<id>, outlier:<name>, bounds:<name>
    kind: str  # rule, outlier, bounds
    names: str  # what it reads (a rule's text, or the metric or indicator)
    value: str  # the value(s) found, in English as recorded (a broken rule's "12 <= 10 is false"; `said_numbers`
    # says it again in another language from `facts`)
    expected: str  # what was expected (the rule's other side, the history's median and spread, the bounds)
    message: str  # in English, as the return's record keeps it (`say` writes it in another language)
    importance: str
    facts: dict = field(default_factory=dict)  # what the message is made of: the rule's id and its two sides and
    # operator (left, operator, right), or an unusual value's or a bound's numbers

    def to_dict(self) -> dict:
        """The flag as the return's record keeps it."""
        return asdict(self)


def _number(value: float) -> str:
    return i18n.active().number(value) if float(value).is_integer() else i18n.active().number(value, 2)


def say(flag: Flag | dict, definition: programmes.Programme, language: str | None = None) -> str:
    """A flag's message in `language` (default: the active one): a rule's message as the definition's translations
    give it, an unusual value or one outside its bounds in the catalogue's words with the locale's numbers. A flag
    recorded before its facts were kept keeps its own message."""
    given = flag.to_dict() if isinstance(flag, Flag) else dict(flag)
    facts = given.get("facts") or {}
    with i18n.using(language or i18n.active().language) as words:
        if given.get("kind") == "rule" and facts.get("rule"):
            return definition.rule_message(facts["rule"], words.language) or given.get("message", "")
        if given.get("kind") == "outlier" and {"name", "value", "median", "count"} <= set(facts):
            value, median = float(facts["value"]), float(facts["median"])
            parts = dict(name=_label(facts["name"], definition), value=_number(value), median=_number(median),
                         count=words.number(int(facts["count"])))
            text = (_("{name} is {value}, far above what this project usually reports (median {median} over its "
                      "{count} earlier quarters)") if facts.get("above") else
                    _("{name} is {value}, far below what this project usually reports (median {median} over its "
                      "{count} earlier quarters)")).format(**parts)
            if median > 0 and value > median:
                text += " " + _("({times} times the usual)").format(times=words.number(value / median, 1))
            return text + ". " + _("Check it, or say why.")
        if given.get("kind") == "bounds" and {"name", "value"} <= set(facts):
            limits = _("{low} to {high}").format(**{k: _number(facts[k]) if facts.get(k) is not None else "…"
                                                     for k in ("low", "high")})
            return _("{name} is {value}, outside the programme's bounds ({limits}) for one project's quarter.").format(
                name=_label(facts["name"], definition), value=_number(float(facts["value"])), limits=limits)
    return given.get("message", "")


# How a broken rule's comparison is written outside English (the record keeps the definition's operator).
SIGNS = {"<": "<", "<=": "≤", "==": "=", "!=": "≠", ">=": "≥", ">": ">"}
_RECORDED = re.compile(r"^(-?[\d,]+(?:\.\d+)?) (<=|>=|==|!=|<|>) (-?[\d,]+(?:\.\d+)?) is false$")


def _comparison(given: dict) -> tuple[float, str, float] | None:
    """A broken rule's two sides and operator: from its facts, else read back from the English value a flag recorded
    before the facts kept them ("12 <= 5 is false"); None when neither says them."""
    facts = given.get("facts") or {}
    if {"left", "operator", "right"} <= set(facts) and facts["operator"] in COMPARE:
        return float(facts["left"]), facts["operator"], float(facts["right"])
    found = _RECORDED.match(str(given.get("value", "")))
    if found is None:
        return None
    return float(found.group(1).replace(",", "")), found.group(2), float(found.group(3).replace(",", ""))


def broken(left: float, operator_: str, right: float) -> str:
    """A broken rule's comparison in the active language, with its numbers: 12 <= 5 is false (en, as recorded),
    12 ≤ 5 : faux (fr), 12 ≤ 5: falso (pt, es)."""
    sign = operator_ if i18n.active().language == i18n.SOURCE else SIGNS.get(operator_, operator_)
    return _("{left} {operator} {right} is false").format(left=_number(left), operator=sign, right=_number(right))


def said_numbers(flag: Flag | dict, language: str | None = None) -> tuple[str, str]:
    """A flag's value and what was expected, in `language` (default: the active one), from its facts: a broken
    rule's comparison, an unusual value's median over its earlier quarters, a bound's limits, with the locale's
    numbers (a value the facts cannot say again is shown as recorded)."""
    given = flag.to_dict() if isinstance(flag, Flag) else dict(flag)
    facts = given.get("facts") or {}
    with i18n.using(language or i18n.active().language) as words:
        if given.get("kind") == "rule" and (compared := _comparison(given)) is not None:
            return broken(*compared), str(given.get("expected", ""))
        if given.get("kind") == "outlier" and {"value", "median", "count"} <= set(facts):
            return _number(float(facts["value"])), _("median {median} over {count} earlier quarters").format(
                median=_number(float(facts["median"])), count=words.number(int(facts["count"])))
        if given.get("kind") == "bounds" and "value" in facts:
            return _number(float(facts["value"])), _("{low} to {high}").format(
                **{k: _number(facts[k]) if facts.get(k) is not None else "…" for k in ("low", "high")})
    return str(given.get("value", "")), str(given.get("expected", ""))


def said_names(flag: Flag | dict, definition: programmes.Programme, language: str | None = None) -> str:
    """What a flag reads, in `language` (default: the active one): an unusual value's or a bound's metric or
    indicator by its label (Trainees, Formandos), a rule's two sides with their labels (Women trained ≤ Trainees);
    the recorded names (codes) when the definition no longer knows them."""
    given = flag.to_dict() if isinstance(flag, Flag) else dict(flag)
    facts = given.get("facts") or {}
    with i18n.using(language or i18n.active().language) as words:
        if given.get("kind") in ("outlier", "bounds") and facts.get("name"):
            return _label(facts["name"], definition)
        rule = next((r for r in definition.validation_rules if r.id == facts.get("rule")), None)
        if given.get("kind") == "rule" and rule is not None:
            def side(parts) -> str:
                return " + ".join(_number(p) if isinstance(p, float) else _label(p, definition) for p in parts)
            sign = rule.operator if words.language == i18n.SOURCE else SIGNS.get(rule.operator, rule.operator)
            return f"{side(rule.left)} {sign} {side(rule.right)}"
    return str(given.get("names", ""))


def _said(flag: Flag, definition: programmes.Programme) -> Flag:
    """The flag with its English message, as the record keeps it."""
    return replace(flag, message=say(flag, definition, i18n.SOURCE))


def quarter_values(tables: dict[str, pd.DataFrame], definition: programmes.Programme) -> pd.DataFrame:
    """Per project and quarter, every named value its rows carry: project_id, period, name, value. A metric is
    there when the project has rows of its table in the quarter (0 when none match its role); an indicator when
    it was reported."""
    roles = {"women_trained": ("gender", "women"), "trainers_trained": ("training_type", "trainers"),
             "cascade_trainees": ("training_type", "cascade"), "volunteer_days_overseas": ("location", "overseas"),
             "volunteer_days_uk": ("location", "home")}
    measures = {"trainees": "trainees", "women_trained": "trainees", "trainers_trained": "trainees",
                "cascade_trainees": "trainees", "volunteers": "volunteers", "volunteer_days": "volunteer_days",
                "volunteer_days_overseas": "volunteer_days", "volunteer_days_uk": "volunteer_days"}
    parts = []
    for name in metrics.RETURN_METRICS:
        table = tables.get(metrics.METRICS[name].source)
        if table is None or table.empty:
            continue
        counted = table[measures[name]].astype("float64")
        if name in roles:
            vocabulary, role = roles[name]
            value = definition.role(vocabulary, role)
            if value is None:  # the programme gives no value that role: the metric is not counted
                continue
            counted = counted.where(table[vocabulary] == value, 0.0)
        summed = counted.groupby([table["project_id"], table["period"]]).sum().reset_index(name="value")
        parts.append(summed.assign(name=name))
    outcomes = tables.get("outcomes")
    if outcomes is not None and not outcomes.empty:
        reported = outcomes[outcomes["indicator"].isin(definition.reported_codes)]
        summed = (reported.assign(value=reported["value"].astype("float64"))
                  .groupby(["project_id", "period", "indicator"])["value"].sum().reset_index()
                  .rename(columns={"indicator": "name"}))
        parts.append(summed)
    if not parts:
        return pd.DataFrame(columns=VALUE_COLUMNS)
    out = pd.concat(parts, ignore_index=True)[VALUE_COLUMNS]
    out["period"] = [p if isinstance(p, dt.date) else pd.Timestamp(p).date() for p in out["period"]]
    return out.sort_values(["project_id", "period", "name"], kind="stable").reset_index(drop=True)


def rule_flags(values: dict[str, float], definition: programmes.Programme) -> list[Flag]:
    """The validation rules one project's quarter breaks (a rule is checked when every name it reads is there)."""
    found = []
    for rule in definition.validation_rules:
        if any(name not in values for name in rule.names):
            continue
        left = sum(values[p] if isinstance(p, str) else p for p in rule.left)
        right = sum(values[p] if isinstance(p, str) else p for p in rule.right)
        if not COMPARE[rule.operator](left, right):
            with i18n.using(i18n.SOURCE):  # the record's words are English; its facts say it again in any language
                found.append(Flag(f"rule:{rule.id}", "rule", rule.text(), broken(left, rule.operator, right),
                                  rule.text(), rule.message, rule.importance,
                                  {"rule": rule.id, "left": float(left), "operator": rule.operator,
                                   "right": float(right)}))
    return found


def robust_z(value: float, history: list[float]) -> float:
    """How far `value` lies from `history`: 0.6745 × (value − median) ÷ MAD; the mean absolute deviation × 1.2533
    when the MAD is 0; ±infinity when every earlier value was the same and this one differs."""
    series = pd.Series(history, dtype="float64")
    median = float(series.median())
    mad = float((series - median).abs().median())
    if mad > 0:
        return MAD_SCALE * (value - median) / mad
    mean_ad = float((series - median).abs().mean())
    if mean_ad > 0:
        return (value - median) / (MEAN_AD_SCALE * mean_ad)
    return 0.0 if value == median else math.copysign(math.inf, value - median)


def outlier_flags(values: dict[str, float], history: pd.DataFrame, definition: programmes.Programme) -> list[Flag]:
    """The unusual values of one project's quarter against `history` (its earlier quarters: period, name, value),
    and the values outside the definition's bounds."""
    settings = definition.outliers
    found = []
    looked_at = settings.names or tuple(values)
    for name in looked_at:
        if name not in values:
            continue
        earlier = history.loc[history["name"] == name, "value"].astype("float64").tolist()
        if len(earlier) < settings.min_history:
            continue
        value = values[name]
        z = robust_z(value, earlier)
        if abs(z) > settings.threshold:
            median = float(pd.Series(earlier).median())
            with i18n.using(i18n.SOURCE):
                found.append(_said(Flag(f"outlier:{name}", "outlier", name, _number(value),
                                        _("median {median} over {count} earlier quarters").format(
                                            median=_number(median), count=len(earlier)), "", "medium",
                                        {"name": name, "value": value, "median": median, "count": len(earlier),
                                         "above": bool(z > 0)}), definition))
    for name, low, high in settings.bounds:
        if name not in values:
            continue
        value = values[name]
        if (low is not None and value < low) or (high is not None and value > high):
            with i18n.using(i18n.SOURCE):
                limits = _("{low} to {high}").format(low=_number(low) if low is not None else "…",
                                                     high=_number(high) if high is not None else "…")
                found.append(_said(Flag(f"bounds:{name}", "bounds", name, _number(value), limits, "", "high",
                                        {"name": name, "value": value, "low": low, "high": high}), definition))
    return found


def _label(name: str, definition: programmes.Programme) -> str:
    """A metric's or indicator's label in the active language."""
    indicator = definition.indicator(name)
    if indicator is not None:
        return definition.indicator_texts(name).get("label") or indicator.label
    if name in metrics.METRICS:
        return metrics.metric(name).label if metrics.is_metric(name) else metrics.METRICS[name].label
    return name


def flags(project_id: str, period: dt.date, now: dict[str, pd.DataFrame], before: dict[str, pd.DataFrame],
          definition: programmes.Programme) -> list[Flag]:
    """The flags of one project's return for `period`: `now` its rows (a return's tables), `before` the tables of the
    version in use (the project's earlier quarters are its history)."""
    values_now = quarter_values(now, definition)
    mine = values_now[(values_now["project_id"] == project_id) & (values_now["period"] == period)]
    values = dict(zip(mine["name"], mine["value"].astype("float64"), strict=True))
    earlier_rows = {name: table[(table["project_id"] == project_id)] for name, table in before.items()}
    history = quarter_values(earlier_rows, definition)
    history = history[history["period"] < period]
    return rule_flags(values, definition) + outlier_flags(values, history, definition)


FLAG_COLUMNS = ["project", "quarter", "return", "state", "kind", "importance", "names", "value", "expected",
                "message", "explanation", "follow_up", "follow_up_note", "follow_up_by", "follow_up_when"]
# A flag table's headings in another language (English keeps the column names, as the README and scripts read them).
FLAG_HEADINGS = {"project": N_("project"), "quarter": N_("quarter"), "return": N_("return"), "state": N_("state"),
                 "kind": N_("kind"), "importance": N_("importance"), "names": N_("what it checks"),
                 "value": N_("value"), "expected": N_("expected"), "message": N_("message"),
                 "explanation": N_("explanation"), "follow_up": N_("follow-up"), "follow_up_note": N_("follow-up note"),
                 "follow_up_by": N_("marked by"), "follow_up_when": N_("marked (UTC)")}
# The codes a flag table shows as words in another language: its kind, importance, state and follow-up mark.
FLAG_WORDS = {"rule": N_("rule"), "outlier": N_("unusual value"), "bounds": N_("outside bounds"), "high": N_("high"),
              "medium": N_("medium"), "low": N_("low"), "yes": N_("yes"), "submitted": N_("submitted"),
              "returned": N_("returned"), "approved": N_("approved"), "replaced": N_("replaced")}


def flag_heading(column: str) -> str:
    """A flag table's heading in the active language: the column's name in English, the catalogue's word otherwise."""
    if i18n.active().language == i18n.SOURCE or column not in FLAG_HEADINGS:
        return column
    return _(FLAG_HEADINGS[column])


def flags_frame(items: list[dict], definition: programmes.Programme | None = None) -> pd.DataFrame:
    """Flags as a table: one row per flag (items: dicts with project, quarter, return, state and a flag's fields,
    the partner's explanation and, when the team marked it, its follow-up mark: `follow_up.flag_rows`). With the
    programme's `definition`, for a reader: each message said again in the active language (`say`) and the codes
    of kind, importance, state and mark in its words; the partner's explanation and the team's note as written."""
    rows = [{k: item.get(k, "") for k in FLAG_COLUMNS} for item in items]
    if definition is not None:
        english = i18n.active().language == i18n.SOURCE
        for row, item in zip(rows, items, strict=True):
            row["message"] = say(item, definition)
            row["value"], row["expected"] = said_numbers(item)
            if not english:
                for column in ("state", "kind", "importance", "follow_up"):
                    code = row[column]
                    row[column] = _(FLAG_WORDS[code]) if code in FLAG_WORDS else code
    return pd.DataFrame(rows, columns=FLAG_COLUMNS)


def flags_csv(items: list[dict], definition: programmes.Programme | None = None) -> bytes:
    """Flags as CSV for a spreadsheet (text that would run as a formula neutralised); with the `definition`, in the
    active language: its headings, messages and codes' words (`flags_frame`)."""
    frame = flags_frame(items, definition)
    return cells.csv_bytes(frame.rename(columns=flag_heading) if definition is not None else frame)
