"""The roll-up engine (汇总): any item of a form, summed up any subtree, as of a cut-off.

- Computed items are counted from the records (`services.sources`) in the whole subtree, each
  person once per subtree, so a person who moved between two villages of a town counts once
  for the town. 当日新增 counts events from 00:00 of the day up to the cut-off, 累计 every event
  up to the cut-off, 在管 the records in force at the cut-off.
- Hand-entered numbers are summed (from their typed columns) over the filings as they stand now, or as they stood at a
  given moment (`known_at`: a correction filed later is not seen by a roll-up of an earlier
  moment); an accumulating item also has its total over every day up to the report's day.
- Text items (有事报事) are collected with the unit that wrote them.
- Ratio items (比率) are worked out last, from the unit's own rolled-up numerator and
  denominator, so a town's coverage is its totals' ratio, never a sum or mean of its villages'.

Everything is computed for many units at once: one query per item and path length, grouped by
the path prefix, and one call of each counting function (coverage) for all the units, so a whole
tree costs a few dozen queries however many units it has.
"""

import datetime
from collections import defaultdict

from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr

from fangkong.lib.dates import day_end, day_start
from fangkong.orgs.jurisdiction import path_range

from ..models import Filing, ItemKind, slot_column
from .completeness import rate
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


def computed_item(item, units, day, as_of, computed=None):
    """{unit.pk: value} of one computed item for units of one path length. `computed` keeps what
    the sources with their own function gave, so that the items of one source share one call."""
    src = source(item["source"])
    if src.compute is not None:
        return _computed_by_function(src, item, units, day, as_of, {} if computed is None else computed)
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


def _computed_by_function(src, item, units, day, as_of, computed):
    """{unit.pk: number} of an item whose source counts with its own function, its field picked
    by the item's params (a unit the function says nothing of has 0). `computed` holds what the
    function gave for the source, when it was called already for these units."""
    if src.code not in computed:
        computed[src.code] = src.compute([unit.path for unit in units], day, as_of)
    found = computed[src.code]
    field = (item.get("params") or {}).get("field")
    return {unit.pk: (found.get(unit.path) or {}).get(field) or 0 for unit in units}


def _computing_sources(form, units, day, as_of):
    """{source code: what its function gave} for the form's sources that count with their own
    function: one call each for all the units, whatever their levels (the functions take nested
    paths)."""
    codes = {item["source"] for item in form.items_of_kind(ItemKind.COMPUTED)}
    paths = [unit.path for unit in units]
    if not paths:
        return {}
    return {
        code: source(code).compute(paths, day, as_of)
        for code in sorted(codes) if source(code).compute is not None
    }


def ratio_value(item, values):
    """A ratio item's value from the other items' `values`: the numerator as a percentage of the
    denominator with one decimal (87.5 for 87.5%), or None when the denominator is 0 or either
    figure is missing (a snapshot of an older form version)."""
    numerator, denominator = values.get(item["numerator"]), values.get(item["denominator"])
    if not isinstance(numerator, int | float) or not isinstance(denominator, int | float):
        return None
    return rate(numerator, denominator)


def percent_text(value):
    """How a ratio is shown on pages: "87.5%", or None for no ratio (shown as —)."""
    return None if value is None else f"{value}%"


def with_ratios(form, values):
    """`values` with the form's ratio items worked out from them, in the order of the form."""
    merged = dict(values)
    for item in form.items_of_kind(ItemKind.RATIO):
        merged[item["code"]] = ratio_value(item, merged)
    return {item["code"]: merged[item["code"]] for item in form.items if item["code"] in merged}


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
    computed = _computing_sources(form, units, day, as_of)
    for group in _by_length(units).values():
        parts = defaultdict(dict)
        for item in form.items_of_kind(ItemKind.COMPUTED):
            for pk, value in computed_item(item, group, day, as_of, computed).items():
                parts[pk][item["code"]] = value
        for pk, values in number_items(form, form.items_of_kind(ItemKind.NUMBER), group, day, known_at).items():
            parts[pk].update(values)
        for pk, values in text_items(form, form.items_of_kind(ItemKind.TEXT), group, day, known_at).items():
            parts[pk].update(values)
        for pk, values in parts.items():
            result[pk] = with_ratios(form, values)
    return result


def rollup(form, unit, day, as_of=None, known_at=None):
    """The items of `form` rolled up over `unit`'s subtree for `day`, as of the cut-off."""
    return rollup_many(form, [unit], day, as_of, known_at)[unit.pk]


def unit_values(form, unit, day, as_of):
    """The computed items of one filing unit: what its form shows, filled and locked (its ratio
    items are worked out from these wherever they are shown)."""
    computed = {}
    return {
        item["code"]: computed_item(item, [unit], day, as_of, computed)[unit.pk]
        for item in form.items_of_kind(ItemKind.COMPUTED)
    }


def days_back(day, count):
    return [day - datetime.timedelta(days=offset) for offset in range(count - 1, -1, -1)]
