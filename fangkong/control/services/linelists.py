"""Line lists of the cases under control (in the manner of Sara Alert): who reported a symptom,
who stopped reporting (a slot, a whole day, two days or more), who is due for release, whose
test is due today or overdue; by measure and category; and the counts per child unit for
drilling down the tree.

Every list starts from `ControlCase.objects.restrict(user)` (active cases only) and takes the
time as an argument (`now`, an aware datetime; `today` is its local date).

Definitions, all at `now`:

- symptomatic: an entry marked abnormal recorded in the last 24 hours (which covers today);
- a slot is *missed* when its window has closed (`ends_at <= now`), it is not done, and no entry
  of the case was recorded after its window closed (a late report ends non-reporting, as in
  Sara Alert: the lists show who is not reporting *now*). Missed slots therefore form a run at
  the end of the case's slots; a *whole day* is missed when every slot of that day is missed;
- missed_slot: the latest slot is missed but no whole day is (一次未报);
- missed_day: exactly one whole day missed (one day's slots all missed, e.g. yesterday's two);
- missed_days: two or more consecutive whole days missed (连续两天及以上未报);
- release_due: `release_on` is today or earlier, or tomorrow (the last phase ends today);
- tests_due / tests_overdue: a scheduled test due today / due before today and still not done.

The flags of every case come from one SQL statement over three days of slots and entries, so
a county's dashboard costs a fixed handful of queries however many cases it has.
"""

import datetime
from dataclasses import dataclass, field, fields
from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Count, OuterRef, Subquery
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.control.models import (
    CaseTransfer, ControlCase, FollowUpEntry, SlotStatus, TestStatus,
)
from fangkong.lib.dates import local_moment
from fangkong.orgs.jurisdiction import jurisdiction_paths, path_filter, path_range
from fangkong.orgs.models import Unit

ACTIVE = "active"
SYMPTOMATIC = "symptomatic"
MISSED_SLOT = "missed_slot"
MISSED_DAY = "missed_day"
MISSED_DAYS = "missed_days"
RELEASE_DUE = "release_due"
TESTS_DUE = "tests_due"
TESTS_OVERDUE = "tests_overdue"

# Code → label, in the order the pages show them.
LISTS = {
    ACTIVE: _("全部在管"),
    SYMPTOMATIC: _("症状异常"),
    MISSED_SLOT: _("最近一次未报"),
    MISSED_DAY: _("整天未报"),
    MISSED_DAYS: _("连续两天及以上未报"),
    RELEASE_DUE: _("今日到期解除"),
    TESTS_DUE: _("今日应检"),
    TESTS_OVERDUE: _("检测逾期"),
}
FLAGS = [code for code in LISTS if code != ACTIVE]
NON_REPORTING = (MISSED_SLOT, MISSED_DAY, MISSED_DAYS)
PAGE_SIZE = 50


@dataclass(frozen=True)
class Moment:
    """The times the lists are computed at."""

    now: datetime.datetime
    today: datetime.date
    symptoms_from: datetime.datetime
    window_from: datetime.datetime  # entries since this time matter (start of the first day)
    first_day: datetime.date  # slots of first_day … today are looked at

    @classmethod
    def at(cls, now):
        today = timezone.localdate(now)
        first_day = today - timedelta(days=2)
        window_from = local_moment(first_day, datetime.time())
        return cls(now=now, today=today, symptoms_from=now - timedelta(hours=24), window_from=window_from,
                   first_day=first_day)


def active_cases(user, unit=None, measure=None, category=None):
    """The user's active cases, under `unit` (the caller checks the user may see it) and of a
    measure / category when given."""
    cases = ControlCase.objects.restrict(user).active()
    if unit is not None:
        cases = cases.filter(unit_path__startswith=unit.path)
    if measure:
        cases = cases.filter(current_measure=measure)
    if category:
        cases = cases.filter(category=category)
    return cases


def _entry_scope(prefixes, pending):
    """SQL condition (and params) limiting entries `en` (or slots) to the case paths the lists
    look at, so that the path indexes can be used; None when everything is looked at. The
    cases themselves are limited by `restrict`; this only keeps the side tables small."""
    if prefixes is None:
        return None, []
    # Ranges rather than LIKE, so the (unit_path, …) indexes serve whatever the collation.
    parts = ["(en.unit_path >= %s AND en.unit_path < %s)" for _prefix in prefixes]
    params = [bound for prefix in prefixes for bound in path_range(prefix)]
    if pending:
        parts.append("en.case_id IN (" + ", ".join(["%s"] * len(pending)) + ")")
        params += list(pending)
    return "(" + " OR ".join(parts or ["1 = 0"]) + ")", params


def _flagged_sql(cases, moment, prefixes=None, pending=()):
    """SQL and params: one row per case of `cases` with its unit_path and a 0/1 column per list.

    Only small sets are read besides the cases themselves: abnormal entries of the last day
    (through the path index of the entries, `prefixes` being the paths the cases lie under,
    None for all, and `pending` the ids of cases outside them), the slots not done whose window
    closed in the last three days (through the (status, ends_at) index) and, for those cases
    only, their recent entries and slots; tests due by today still scheduled."""
    base_sql, base_params = cases.order_by().values("id", "unit_path", "release_on").query.sql_with_params()
    ops = connection.ops
    at = ops.adapt_datetimefield_value
    day = ops.adapt_datefield_value
    scope, scope_params = _entry_scope(prefixes, pending)
    slot_scope = scope.replace("en.", "s.") if scope else None
    sql = f"""
        WITH c AS ({base_sql}),
        sym AS (
            SELECT DISTINCT en.case_id FROM control_followupentry en
            WHERE en.abnormal AND en.recorded_at >= %s AND en.recorded_at <= %s {"AND " + scope if scope else ""}
        ),
        cand AS (
            SELECT DISTINCT s.case_id FROM control_followupslot s
            WHERE s.status IN (%s, %s) AND s.ends_at > %s AND s.ends_at <= %s {"AND " + slot_scope if slot_scope else ""}
        ),
        e AS (
            SELECT en.case_id, MAX(en.recorded_at) AS last_at FROM control_followupentry en
            WHERE en.case_id IN (SELECT case_id FROM cand) AND en.recorded_at >= %s AND en.recorded_at <= %s
            GROUP BY en.case_id
        ),
        d AS (
            SELECT s.case_id, COUNT(*) AS n,
                   SUM(CASE WHEN s.status <> %s AND s.ends_at <= %s AND (e.last_at IS NULL OR s.ends_at > e.last_at)
                       THEN 1 ELSE 0 END) AS missed
            FROM control_followupslot s LEFT JOIN e ON e.case_id = s.case_id
            WHERE s.case_id IN (SELECT case_id FROM cand) AND s.day >= %s AND s.day <= %s
            GROUP BY s.case_id, s.day
        ),
        m AS (
            SELECT case_id, SUM(missed) AS missed, SUM(CASE WHEN missed = n THEN 1 ELSE 0 END) AS full_days
            FROM d GROUP BY case_id
        ),
        t AS (
            SELECT case_id, MAX(CASE WHEN due_on = %s THEN 1 ELSE 0 END) AS due,
                   MAX(CASE WHEN due_on < %s THEN 1 ELSE 0 END) AS overdue
            FROM control_casetest
            WHERE status = %s AND due_on <= %s AND case_id IN (SELECT id FROM c)
            GROUP BY case_id
        )
        SELECT c.id, c.unit_path,
               CASE WHEN sym.case_id IS NULL THEN 0 ELSE 1 END AS {SYMPTOMATIC},
               CASE WHEN m.missed > 0 AND m.full_days = 0 THEN 1 ELSE 0 END AS {MISSED_SLOT},
               CASE WHEN m.full_days = 1 THEN 1 ELSE 0 END AS {MISSED_DAY},
               CASE WHEN m.full_days >= 2 THEN 1 ELSE 0 END AS {MISSED_DAYS},
               CASE WHEN c.release_on <= %s THEN 1 ELSE 0 END AS {RELEASE_DUE},
               COALESCE(t.due, 0) AS {TESTS_DUE},
               COALESCE(t.overdue, 0) AS {TESTS_OVERDUE}
        FROM c
        LEFT JOIN sym ON sym.case_id = c.id
        LEFT JOIN m ON m.case_id = c.id
        LEFT JOIN t ON t.case_id = c.id
    """
    today = day(moment.today)
    params = [
        *base_params,
        at(moment.symptoms_from), at(moment.now), *scope_params,
        SlotStatus.OPEN.value, SlotStatus.MISSED.value, at(moment.window_from), at(moment.now), *scope_params,
        at(moment.window_from), at(moment.now),
        SlotStatus.DONE.value, at(moment.now), day(moment.first_day), today,
        today, today, TestStatus.SCHEDULED.value, today,
        day(moment.today + timedelta(days=1)),
    ]
    return sql, params


def _scope_of(user, unit):
    """(prefixes, pending): the paths the user's cases (under `unit`) lie under, None for
    everything; and the ids of cases handed over from them and not yet accepted (outside)."""
    if unit is not None:
        return [unit.path], []
    prefixes = jurisdiction_paths(user)
    if not prefixes:
        return prefixes, []
    pending = CaseTransfer.objects.filter(
        path_filter("from_unit__path", prefixes), accepted_at__isnull=True, declined_at__isnull=True
    ).values_list("case_id", flat=True)
    return prefixes, sorted(set(pending))


@dataclass
class ListCounts:
    """The number of active cases and of cases on each list, for one unit's subtree."""

    unit: Unit | None = None
    active: int = 0
    symptomatic: int = 0
    missed_slot: int = 0
    missed_day: int = 0
    missed_days: int = 0
    release_due: int = 0
    tests_due: int = 0
    tests_overdue: int = 0

    @property
    def non_reporting(self):
        return self.missed_slot + self.missed_day + self.missed_days

    def get(self, code):
        return getattr(self, code)

    def add(self, other):
        for f in fields(self):
            if f.name != "unit":
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def items(self):
        """(code, label, count) for every list."""
        return [(code, label, getattr(self, code)) for code, label in LISTS.items()]


@dataclass
class Rollup:
    """Counts under `unit`: per child (whole subtrees), the cases on the unit itself (or
    handed over and not yet accepted) as `other`, and the total."""

    unit: Unit | None
    rows: list = field(default_factory=list)
    other: ListCounts = None
    total: ListCounts = None


_COUNT_NAMES = ["active", *FLAGS]


def _grouped_counts(cases, moment, scope, branch_sql, branch_params):
    """{branch: ListCounts} in one query; `branch_sql` is an expression over `f.unit_path`."""
    sql, params = _flagged_sql(cases, moment, *scope)
    sums = ", ".join(f"SUM(f.{code})" for code in FLAGS)
    query = f"SELECT {branch_sql} AS branch, COUNT(*), {sums} FROM ({sql}) f GROUP BY 1"
    with connection.cursor() as cursor:
        cursor.execute(query, [*branch_params, *params])
        rows = cursor.fetchall()
    result = {}
    for branch, *numbers in rows:
        result[branch] = ListCounts(**dict(zip(_COUNT_NAMES, (int(n or 0) for n in numbers))))
    return result


def counts_by_child(unit, user, now, measure=None, category=None):
    """The counts of each list for each child of `unit` (its whole subtree), in two queries
    (the children, and one aggregate grouped by the path prefix of the child). The caller
    checks that the user may see `unit`."""
    moment = Moment.at(now)
    cases = active_cases(user, unit, measure, category)
    length = len(unit.path) + unit.steplen
    grouped = _grouped_counts(cases, moment, ([unit.path], []), "SUBSTR(f.unit_path, 1, %s)", [length])
    return _rollup(unit, list(Unit.objects.get_children(unit)), grouped)


def _rollup(unit, children, grouped):
    rows = []
    for child in children:
        counts = grouped.pop(child.path, None) or ListCounts()
        counts.unit = child
        rows.append(counts)
    other = ListCounts()
    for counts in grouped.values():
        other.add(counts)
    total = ListCounts(unit=unit)
    for counts in [*rows, other]:
        total.add(counts)
    return Rollup(unit=unit, rows=rows, other=other, total=total)


def top_units(user):
    """The roots of the user's jurisdiction (the tree's roots for a superuser)."""
    paths = jurisdiction_paths(user)
    if paths is None:
        return list(Unit.objects.get_root_nodes())
    return list(Unit.objects.filter(path__in=paths).order_by("path"))


def jurisdiction_counts(user, now, measure=None, category=None):
    """The counts for the user's whole jurisdiction: per child of its root when it has one
    root, per root otherwise."""
    roots = top_units(user)
    if len(roots) == 1:
        return counts_by_child(roots[0], user, now, measure, category)
    moment = Moment.at(now)
    cases = active_cases(user, None, measure, category)
    if roots:
        whens = " ".join("WHEN f.unit_path LIKE %s THEN %s" for _root in roots)
        branch_sql = f"CASE {whens} ELSE '' END"
        branch_params = [value for root in roots for value in (root.path + "%", root.path)]
        grouped = _grouped_counts(cases, moment, _scope_of(user, None), branch_sql, branch_params)
    else:
        grouped = {}
    return _rollup(None, roots, grouped)


def counts_by_measure_and_category(user, now, unit=None):
    """[(measure, category, n)] of the active cases (one query)."""
    rows = (
        active_cases(user, unit).order_by().values("current_measure", "category").annotate(n=Count("pk"))
        .order_by("current_measure", "category")
    )
    return [(row["current_measure"], row["category"], row["n"]) for row in rows]


class CaseList:
    """The cases of one list, ordered by unit and case: `count()` and slices run SQL (one
    statement each), so a `Paginator` reads only the page it shows. The cases of a slice come
    with person, unit, team, phases, their latest entry (`last_entry_at`, `last_temperature`)
    and `day_number` / `day_total` of the control period."""

    def __init__(self, user, code, now, unit=None, measure=None, category=None):
        if code not in LISTS:
            raise KeyError(code)
        self.code = code
        self.moment = Moment.at(now)
        self.cases = active_cases(user, unit, measure, category)
        self.user, self.unit = user, unit
        self._count = None
        self._scope = None

    def _query(self, select, tail=""):
        if self._scope is None:
            self._scope = _scope_of(self.user, self.unit)
        sql, params = _flagged_sql(self.cases, self.moment, *self._scope)
        return f"SELECT {select} FROM ({sql}) f WHERE f.{self.code} = 1 {tail}", params

    def count(self):
        if self._count is None:
            if self.code == ACTIVE:
                self._count = self.cases.count()
            else:
                query, params = self._query("COUNT(*)")
                with connection.cursor() as cursor:
                    cursor.execute(query, params)
                    self._count = cursor.fetchone()[0]
        return self._count

    def __len__(self):
        return self.count()

    def queryset(self):
        """The cases of the list as a queryset (for exports), in no particular order."""
        if self.code == ACTIVE:
            return self.cases
        query, params = self._query("f.id")
        return ControlCase.objects.filter(pk__in=RawSQL(query, params))

    def prefetch(self, start, stop):
        """Read the ids of [start:stop] and the count in one statement (a page of a list)."""
        if self.code == ACTIVE:
            return
        query, params = self._query("f.id, COUNT(*) OVER ()", "ORDER BY f.unit_path, f.id LIMIT %s OFFSET %s")
        with connection.cursor() as cursor:
            cursor.execute(query, [*params, stop - start, start])
            rows = cursor.fetchall()
        if rows:
            self._count = rows[0][1]
            self._ids = (start, stop, [row[0] for row in rows])

    def ids(self, start, stop):
        cached = getattr(self, "_ids", None)
        if cached and cached[:2] == (start, stop):
            return cached[2]
        if self.code == ACTIVE:
            return list(self.cases.order_by("unit_path", "id").values_list("id", flat=True)[start:stop])
        query, params = self._query("f.id", "ORDER BY f.unit_path, f.id LIMIT %s OFFSET %s")
        with connection.cursor() as cursor:
            cursor.execute(query, [*params, stop - start, start])
            return [row[0] for row in cursor.fetchall()]

    def __getitem__(self, index):
        if isinstance(index, slice):
            start = index.start or 0
            stop = index.stop if index.stop is not None else self.count()
            return decorate(self.ids(start, stop), self.moment.today)
        return self[index:index + 1][0]

    def __iter__(self):
        start = 0
        while True:
            chunk = self[start:start + 500]
            if not chunk:
                return
            yield from chunk
            start += 500


def decorate(ids, today):
    """The cases with these ids, in this order, with what a line list shows."""
    if not ids:
        return []
    latest = FollowUpEntry.objects.filter(case=OuterRef("pk")).order_by("-recorded_at", "-id")
    cases = (
        ControlCase.objects.filter(pk__in=ids)
        .select_related("person", "unit", "regimen", "site", "room")
        .prefetch_related("team", "phases")
        .annotate(
            last_entry_at=Subquery(latest.values("recorded_at")[:1]),
            last_temperature=Subquery(latest.values("temperature")[:1]),
        )
    )
    by_id = {case.pk: case for case in cases}
    result = []
    for pk in ids:
        case = by_id.get(pk)
        if case is None:
            continue
        with_period(case, today)
        if case.last_temperature is not None:  # SQLite hands the subquery back unrounded
            case.last_temperature = Decimal(case.last_temperature).quantize(Decimal("0.1"))
        result.append(case)
    return result


def with_period(case, today):
    """Set `first_day`, `last_day`, `day_number` (today's day of the period, within 1 … total)
    and `day_total` from the case's (prefetched) phases."""
    phases = sorted(case.phases.all(), key=lambda phase: phase.index)
    case.first_day = phases[0].first_day if phases else None
    case.last_day = phases[-1].last_day if phases else None
    if phases:
        case.day_total = (case.last_day - case.first_day).days + 1
        case.day_number = min(max((today - case.first_day).days + 1, 0), case.day_total)
    else:
        case.day_total = case.day_number = None
    return case
