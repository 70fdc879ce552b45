"""The roll-up engine (汇总): any item of a form, summed up any subtree, as of a cut-off.

- Computed items are counted from the records (`services.sources`) in the whole subtree, each
  person once per subtree, so a person who moved between two villages of a town counts once
  for the town. 当日新增 counts events from 00:00 of the day up to the cut-off, 累计 every event
  up to the cut-off, 在管 the records in force at the cut-off.
- Hand-entered numbers are summed (from their typed columns) over the filings as they stand now, or as they stood at a
  given moment (`known_at`: a correction filed later is not seen by a roll-up of an earlier
  moment); an accumulating item also has its total over every day up to the report's day.
- Text items (有事报事) are collected with the unit that wrote them.

Everything is computed for many units at once: one query per item and path length, grouped by
the path prefix, so a whole tree costs a few dozen queries however many units it has.
"""

import datetime
from collections import defaultdict

from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr

from fangkong.lib.dates import day_end, day_start
from fangkong.orgs.jurisdiction import path_range

from ..models import Filing, ItemKind, slot_column
from .sources import source


def default_as_of(day, now=None):
    """The cut-off of a day's report: the end of the day, or now while the day is running."""
    end = day_end(day)
    return min(end, now) if now is not None else end


def common_root(paths):
    """The longest path prefix (on step boundaries) shared by every path."""
    paths = list(paths)
    shortest = min(len(path) for path in paths)
    length = 0
    for end in range(4, shortest + 1, 4):
        if len({path[:end] for path in paths}) != 1:
            break
        length = end
    return paths[0][:length]


def _in_range(field, prefix):
    if not prefix:
        return Q()
    low, high = path_range(prefix)
    return Q(**{f"{field}__gte": low, f"{field}__lt": high})


def _by_prefix(qs, path_field, wanted, aggregates):
    """{path: row of aggregates} for the wanted paths (all of one length): one aggregate over
    the subtree for a single unit, else grouped by the path prefix."""
    if len(wanted) == 1:
        (path,) = wanted
        return {path: qs.filter(_in_range(path_field, path)).order_by().aggregate(**aggregates)}
    length = len(next(iter(wanted)))
    rows = (
        qs.filter(_in_range(path_field, common_root(wanted)))
        .annotate(prefix=Substr(path_field, 1, length))
        .order_by()
        .values("prefix")
        .annotate(**aggregates)
    )
    return {row["prefix"]: row for row in rows if row["prefix"] in wanted}


def _by_length(units):
    groups = defaultdict(list)
    for unit in units:
        groups[len(unit.path)].append(unit)
    return groups


def computed_item(item, units, day, as_of):
    """{unit.pk: value} of one computed item for units of one path length."""
    src = source(item["source"])
    measure = item.get("measure") or ("current" if src.since else "both")
    wanted = {unit.path: unit.pk for unit in units}
    qs = src.narrow(src.queryset(), item.get("params") or {})
    if src.since:
        qs = qs.filter(**{f"{src.since}__lte": as_of}).filter(
            Q(**{f"{src.until}__isnull": True}) | Q(**{f"{src.until}__gt": as_of})
        )
        aggregates = {"current": Count(src.distinct, distinct=True)}
    else:
        qs = qs.filter(**{f"{src.moment}__lte": as_of})
        today = Q(**{f"{src.moment}__gte": day_start(day)})
        aggregates = {}
        if measure in ("new", "both"):
            aggregates["new"] = Count(src.distinct, distinct=True, filter=today)
        if measure in ("cumulative", "both"):
            aggregates["cumulative"] = Count(src.distinct, distinct=True)
        if measure == "new":
            qs = qs.filter(today)
    found = _by_prefix(qs, src.path, wanted, aggregates)
    result = {}
    for path, pk in wanted.items():
        row = found.get(path) or {}
        if measure == "both":
            result[pk] = {"new": row.get("new", 0), "cumulative": row.get("cumulative", 0)}
        else:
            result[pk] = row.get(measure, 0)
    return result


def _filings(form, root_path, known_at):
    """The filings under `root_path` as they stood at `known_at` (None: as they stand now)."""
    qs = Filing.objects.filter(form_code=form.code).filter(_in_range("unit_path", root_path))
    return qs.current() if known_at is None else qs.as_of(known_at)


def number_items(form, items, units, day, known_at=None):
    """{unit.pk: {code: value}} of the hand-entered number items for units of one path length."""
    if not items:
        return {unit.pk: {} for unit in units}
    wanted = {unit.path: unit.pk for unit in units}
    start = form.period_start(day)
    accumulating = [item for item in items if item.get("accumulate")]
    qs = Filing.objects.filter(form_code=form.code)
    qs = qs.current() if known_at is None else qs.as_of(known_at)
    qs = qs.filter(day__lte=start) if accumulating else qs.filter(day=start)
    aggregates = {}
    for item in items:
        value = slot_column(item["slot"])
        if item.get("accumulate"):
            aggregates[f"{item['code']}__new"] = Sum(value, filter=Q(day=start))
            aggregates[f"{item['code']}__cumulative"] = Sum(value)
        else:
            aggregates[item["code"]] = Sum(value, filter=Q(day=start)) if accumulating else Sum(value)
    found = _by_prefix(qs, "unit_path", wanted, aggregates)
    result = {}
    for path, pk in wanted.items():
        row = found.get(path) or {}
        values = {}
        for item in items:
            code = item["code"]
            if item.get("accumulate"):
                values[code] = {"new": row.get(f"{code}__new") or 0, "cumulative": row.get(f"{code}__cumulative") or 0}
            else:
                values[code] = row.get(code) or 0
        result[pk] = values
    return result


def text_items(form, items, units, day, known_at=None):
    """{unit.pk: {code: [{"unit", "name", "text"}, …]}} of the text items (有事报事)."""
    result = {unit.pk: {item["code"]: [] for item in items} for unit in units}
    if not items:
        return result
    qs = _filings(form, common_root([unit.path for unit in units]), known_at).filter(day=form.period_start(day))
    rows = qs.order_by("unit_path").values_list("unit_path", "unit__code", "unit__name", "values")
    for path, code, name, values in rows:
        for unit in units:
            if path.startswith(unit.path):
                for item in items:
                    text = str(values.get(item["code"]) or "").strip()
                    if text:
                        result[unit.pk][item["code"]].append({"unit": code, "name": name, "text": text})
    return result


def rollup_many(form, units, day, as_of=None, known_at=None):
    """{unit.pk: {item code: value}} for every unit given, in the order of the form's items:
    records counted up to `as_of`, filings as they stood at `known_at` (None: as they stand)."""
    as_of = as_of or default_as_of(day)
    units = list(units)
    result = {unit.pk: {} for unit in units}
    for group in _by_length(units).values():
        parts = defaultdict(dict)
        for item in form.items_of_kind(ItemKind.COMPUTED):
            for pk, value in computed_item(item, group, day, as_of).items():
                parts[pk][item["code"]] = value
        for pk, values in number_items(form, form.items_of_kind(ItemKind.NUMBER), group, day, known_at).items():
            parts[pk].update(values)
        for pk, values in text_items(form, form.items_of_kind(ItemKind.TEXT), group, day, known_at).items():
            parts[pk].update(values)
        for pk, values in parts.items():
            result[pk] = {item["code"]: values[item["code"]] for item in form.items if item["code"] in values}
    return result


def rollup(form, unit, day, as_of=None, known_at=None):
    """The items of `form` rolled up over `unit`'s subtree for `day`, as of the cut-off."""
    return rollup_many(form, [unit], day, as_of, known_at)[unit.pk]


def unit_values(form, unit, day, as_of):
    """The computed items of one filing unit: what its form shows, filled and locked."""
    items = form.items_of_kind(ItemKind.COMPUTED)
    result = {}
    for item in items:
        result[item["code"]] = computed_item(item, [unit], day, as_of)[unit.pk]
    return result


def days_back(day, count):
    return [day - datetime.timedelta(days=offset) for offset in range(count - 1, -1, -1)]
