"""Coverage of a round (应检尽检): who should be sampled, who was, who is exempt, per unit and grid.

- The target of an all-residents round (全员) is every registered person (not provisional) whose
  unit lies in the round's scope; of a key-groups round (重点人群) every person with a group
  membership (`GroupMember`) active during the round in a unit of the scope — counted at that
  unit. Exempt persons (卧床、外出…) are left out: an exemption of the round, or a standing one
  (no round) whose dates overlap the round's.
- Sampled: target persons with a sample of the round scanned by the cut-off.
- Provisional persons sampled (registered at the point from their ID card) are counted apart as
  未登记人员采样, never in the target.
- When several rounds are in force on a day (`round_coverage`), each person counts once, against
  the latest-starting round that covers them.

Counting is set-based: one grouped query per population (residents, key-group members) gives the
counts per unit path; sums over any subtree are taken from those leaves in Python. The number of
queries does not grow with the number of units asked about.
"""

import datetime
import io
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Count, DateField, Exists, F, IntegerField, OuterRef, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.lib.dates import cn_date, day_end
from fangkong.lib.masking import mask_id_number, mask_phone
from fangkong.orgs.jurisdiction import ancestor_paths, jurisdiction_paths, minimal_paths, path_range
from fangkong.orgs.models import Unit
from fangkong.people.models import Person
from fangkong.people.services.xlsx import new_workbook

from ..models import Exemption, ExemptionReason, GroupMember, Sample, Target, TestingRound
from .rounds import within

ZERO = {"target": 0, "exempt": 0, "sampled": 0}


@dataclass(frozen=True)
class RoundScope:
    """A round as coverage needs it: dates, target and the tree paths of its scope."""

    pk: int
    starts_on: datetime.date
    ends_on: datetime.date
    target: str
    paths: tuple


def scopes_of(rounds):
    """[RoundScope] of the rounds (a queryset), latest-starting first; a round without scope
    units covers its owner unit. One query."""
    found = {}
    rows = rounds.order_by("-starts_on", "-pk").values_list("pk", "starts_on", "ends_on", "target", "unit_path",
                                                           "scope__path")
    for pk, starts_on, ends_on, target, owner_path, scope_path in rows:
        entry = found.setdefault(pk, [starts_on, ends_on, target, set()])
        entry[3].add(scope_path or owner_path)
    return [RoundScope(pk, s, e, t, tuple(minimal_paths(paths))) for pk, (s, e, t, paths) in found.items()]


def in_force(on_date):
    """The rounds in force on a date (starts_on ≤ date ≤ ends_on), latest-starting first."""
    return scopes_of(TestingRound.objects.filter(starts_on__lte=on_date, ends_on__gte=on_date))


# ---------------------------------------------------------------------------------------------
# Which round covers a row, as SQL expressions


def _in(field, prefix):
    low, high = path_range(prefix)
    return Q(**{f"{field}__gte": low, f"{field}__lt": high})


def _any_in(field, paths):
    q = Q()
    for path in paths:
        q |= _in(field, path)
    return q


def _active(prefix, scope):
    """A membership active on some day of the round."""
    return Q(**{f"{prefix}since__lte": scope.ends_on}) & (
        Q(**{f"{prefix}until__isnull": True}) | Q(**{f"{prefix}until__gte": scope.starts_on}))


def _first_match(conditions, value_of):
    """CASE of the (condition, scope) pairs in order: the value of the first scope matching."""
    whens = [When(condition, then=Value(value_of(scope))) for condition, scope in conditions]
    if not whens:
        return Value(None, output_field=IntegerField())
    return Case(*whens, default=Value(None), output_field=IntegerField())


def _resident_conditions(ranked, field="unit_path"):
    return [(_in(field, path), scope) for scope in ranked if scope.target == Target.ALL_RESIDENTS
            for path in scope.paths]


def _member_conditions(ranked, prefix=""):
    return [(_in(f"{prefix}unit_path", path) & _active(prefix, scope), scope)
            for scope in ranked if scope.target == Target.KEY_GROUPS for path in scope.paths]


def _annotate_round(qs, conditions, ranked):
    """rank (position in `ranked`), rid, r_start, r_end of the first round matching a row."""
    rank = {scope.pk: i for i, scope in enumerate(ranked)}
    return qs.annotate(
        rank=_first_match(conditions, lambda s: rank[s.pk]),
        rid=_first_match(conditions, lambda s: s.pk),
        r_start=Case(*[When(c, then=Value(s.starts_on)) for c, s in conditions], default=Value(None),
                     output_field=DateField()),
        r_end=Case(*[When(c, then=Value(s.ends_on)) for c, s in conditions], default=Value(None),
                   output_field=DateField()),
    ).filter(rank__isnull=False)


def exemption_applies(person_ref, round_ref, start_ref, end_ref):
    """Exemptions of the person holding for the round: the round's own, or a standing one
    (no round) whose dates overlap the round's."""
    return Exemption.objects.filter(person_id=OuterRef(person_ref)).filter(
        Q(round_id=OuterRef(round_ref))
        | Q(round__isnull=True, starts_on__lte=OuterRef(end_ref))
        & (Q(ends_on__isnull=True) | Q(ends_on__gte=OuterRef(start_ref)))
    )


def _sampled(person_ref, as_of):
    return Sample.objects.filter(person_id=OuterRef(person_ref), round_id=OuterRef("rid"), scanned_at__lte=as_of)


def _resident_rows(ranked, wanted, as_of):
    """{unit path: [eligible, exempt, sampled]} of residents covered by an all-residents round."""
    conditions = _resident_conditions(ranked)
    if not conditions:
        return {}
    qs = Person.objects.filter(is_provisional=False).filter(_any_in("unit_path", wanted))
    qs = _annotate_round(qs, conditions, ranked)
    members = _member_conditions(ranked)
    if members:
        # Someone also covered through a key group by a later-starting round counts there.
        better = GroupMember.objects.filter(person_id=OuterRef("pk"))
        better = _annotate_round(better, members, ranked).filter(rank__lt=OuterRef("rank"))
        qs = qs.filter(~Exists(better))
    qs = qs.annotate(is_exempt=Exists(exemption_applies("pk", "rid", "r_start", "r_end")),
                     is_sampled=Exists(_sampled("pk", as_of)))
    rows = qs.order_by().values("unit_path").annotate(
        eligible=Count("pk"), exempt=Count("pk", filter=Q(is_exempt=True)),
        sampled=Count("pk", filter=Q(is_exempt=False, is_sampled=True)),
    )
    return {row["unit_path"]: [row["eligible"], row["exempt"], row["sampled"]] for row in rows}


def _member_rows(ranked, wanted, as_of):
    """{unit path: [eligible, exempt, sampled]} of key-group members covered by a key-groups
    round, each person once, at the unit of their membership in the best round."""
    conditions = _member_conditions(ranked)
    if not conditions:
        return {}
    rank = {scope.pk: i for i, scope in enumerate(ranked)}
    qs = GroupMember.objects.filter(person__is_provisional=False)
    qs = _annotate_round(qs, conditions, ranked)
    residents = _resident_conditions(ranked, "person__unit_path")
    if residents:
        qs = qs.annotate(home_rank=_first_match(residents, lambda s: rank[s.pk])).filter(
            Q(home_rank__isnull=True) | Q(home_rank__gt=F("rank")))
    qs = qs.annotate(is_exempt=Exists(exemption_applies("person_id", "rid", "r_start", "r_end")),
                     is_sampled=Exists(_sampled("person_id", as_of)))
    best = {}
    for person_id, path, place, exempt, sampled in qs.order_by().values_list(
            "person_id", "unit_path", "rank", "is_exempt", "is_sampled"):
        key = (place, path)
        if person_id not in best or key < best[person_id][0]:
            best[person_id] = (key, exempt, sampled)
    result = {}
    for (_place, path), exempt, sampled in best.values():
        if not any(path.startswith(root) for root in wanted):
            continue
        counts = result.setdefault(path, [0, 0, 0])
        counts[0] += 1
        counts[1] += int(exempt)
        counts[2] += int(sampled and not exempt)
    return result


def tally(ranked, paths, as_of):
    """{path: {"target", "exempt", "sampled"}} for each path, over its subtree, for the rounds
    `ranked` (latest-starting first: a person covered by two counts against the first)."""
    paths = list(dict.fromkeys(paths))
    result = {path: dict(ZERO) for path in paths}
    wanted = minimal_paths(paths)
    if not ranked or not wanted:
        return result
    leaves = defaultdict(lambda: [0, 0, 0])
    for rows in (_resident_rows(ranked, wanted, as_of), _member_rows(ranked, wanted, as_of)):
        for path, counts in rows.items():
            leaf = leaves[path]
            for i, n in enumerate(counts):
                leaf[i] += n
    asked = set(paths)
    for path, (eligible, exempt, sampled) in leaves.items():
        for ancestor in ancestor_paths(path):
            if ancestor in asked:
                row = result[ancestor]
                row["target"] += eligible - exempt
                row["exempt"] += exempt
                row["sampled"] += sampled
    return result


def round_coverage(paths, on_date, as_of=None):
    """{path: {"target", "exempt", "sampled"}} for each unit path (any level, may be nested) over
    its subtree, for the rounds in force on `on_date`; each person counts against the
    latest-starting round in force covering their unit; samples up to `as_of` (default: the end
    of `on_date`). Zeros where no round is in force. A fixed number of queries for any number
    of paths (used by the daily report)."""
    return tally(in_force(on_date), paths, as_of or day_end(on_date))


def unregistered_sampled(testing_round, paths, as_of=None):
    """{path: number of provisional persons (未登记人员) sampled in the round} over each subtree."""
    as_of = as_of or timezone.now()
    rows = (Sample.objects.filter(round=testing_round, person__is_provisional=True, scanned_at__lte=as_of)
            .filter(_any_in("unit_path", minimal_paths(paths))).order_by()
            .values_list("unit_path", "person_id").distinct())
    result = dict.fromkeys(paths, 0)
    for path, _person in rows:
        for ancestor in ancestor_paths(path):
            if ancestor in result:
                result[ancestor] += 1
    return result


# ---------------------------------------------------------------------------------------------
# One round, for its page: drill-down by unit


def rate(part, whole):
    """Per cent with one decimal, or None for an empty target."""
    return round(100.0 * part / whole, 1) if whole else None


@dataclass
class CoverageRow:
    unit: Unit
    target: int
    exempt: int
    sampled: int
    unregistered: int

    @property
    def missing(self):
        return self.target - self.sampled

    @property
    def rate(self):
        return rate(self.sampled, self.target)


def round_units(testing_round, user):
    """The units a user may start the round's coverage from: the owner unit when it lies in the
    jurisdiction, else the roots of the jurisdiction (those overlapping the round's scope)."""
    if within(user, testing_round.unit_path):
        return [testing_round.owner_unit]
    scope = scopes_of(TestingRound.objects.filter(pk=testing_round.pk))[0].paths
    roots = [path for path in jurisdiction_paths(user) or []
             if any(path.startswith(s) or s.startswith(path) for s in scope)]
    return list(Unit.objects.filter(path__in=roots).order_by("path"))


def drill_down(testing_round, unit, as_of=None):
    """(total row of `unit`, [row of each child unit with anyone to count]) for one round."""
    as_of = as_of or timezone.now()
    children = list(Unit.objects.get_children(unit).order_by("path")) if not unit.is_leaf() else []
    paths = [unit.path, *(child.path for child in children)]
    counts = tally(scopes_of(TestingRound.objects.filter(pk=testing_round.pk)), paths, as_of)
    unregistered = unregistered_sampled(testing_round, paths, as_of)

    def row(u):
        c = counts[u.path]
        return CoverageRow(u, c["target"], c["exempt"], c["sampled"], unregistered[u.path])

    rows = [row(child) for child in children]
    return row(unit), [r for r in rows if r.target or r.exempt or r.unregistered]


# ---------------------------------------------------------------------------------------------
# Not yet sampled (上门采样、敲门行动)


def _target_persons(testing_round, unit):
    """Persons of the round's target under `unit` with rid/r_start/r_end annotated."""
    (scope,) = scopes_of(TestingRound.objects.filter(pk=testing_round.pk))
    if scope.target == Target.ALL_RESIDENTS:
        qs = Person.objects.filter(is_provisional=False).filter(_in("unit_path", unit.path))
        qs = qs.filter(_any_in("unit_path", scope.paths))
    else:
        members = GroupMember.objects.filter(person_id=OuterRef("pk")).filter(_in("unit_path", unit.path)).filter(
            _any_in("unit_path", scope.paths) & _active("", scope))
        qs = Person.objects.filter(is_provisional=False).filter(Exists(members))
    return qs.annotate(rid=Value(scope.pk), r_start=Value(scope.starts_on, output_field=DateField()),
                       r_end=Value(scope.ends_on, output_field=DateField()))


def not_sampled(testing_round, unit, as_of=None):
    """Target persons under `unit` not sampled in the round by `as_of` and not exempt, by grid,
    household and name."""
    as_of = as_of or timezone.now()
    qs = _target_persons(testing_round, unit)
    qs = qs.filter(~Exists(_sampled("pk", as_of))).filter(~Exists(exemption_applies("pk", "rid", "r_start", "r_end")))
    return qs.select_related("unit", "household").order_by("unit_path", "household__number", "name", "pk")


def exempt_in_round(testing_round, unit):
    """The exemptions holding for the round of target persons under `unit`."""
    persons = _target_persons(testing_round, unit).filter(Exists(exemption_applies("pk", "rid", "r_start", "r_end")))
    return (exemptions_for_round(testing_round).filter(person__in=persons.values("pk"))
            .select_related("person__unit", "person__household").order_by("person__unit_path", "person__name"))


def exemptions_for_round(testing_round):
    """Exemptions that hold for the round (its own and the standing ones overlapping it)."""
    return Exemption.objects.filter(
        Q(round=testing_round) | Q(round__isnull=True, starts_on__lte=testing_round.ends_on)
        & (Q(ends_on__isnull=True) | Q(ends_on__gte=testing_round.starts_on)))


@dataclass
class PersonLine:
    """A person as the door-knocking list shows them, identity as the user's role may see it."""

    person: Person
    id_number: str
    phone: str
    grid: str
    household: str
    address: str


def person_lines(persons, user):
    sees = user.sees_identity()
    for person in persons:
        household = person.household
        yield PersonLine(
            person=person,
            id_number=person.id_number if sees else mask_id_number(person.id_number),
            phone=person.phone if sees else mask_phone(person.phone),
            grid=person.unit.name,
            household=household.number if household else "",
            address=person.address or (household.address if household else ""),
        )


NOT_SAMPLED_HEADERS = ["序号", "所属网格", "姓名", "证件号码", "联系电话", "户号", "现住址"]
EXEMPT_HEADERS = ["序号", "所属网格", "姓名", "证件号码", "联系电话", "户号", "现住址", "免检原因", "说明", "起始日期",
                  "截止日期"]


def not_sampled_xlsx(testing_round, unit, user, as_of=None):
    """未采样人员名单.xlsx: a sheet of the persons not yet sampled, one of the exempt ones."""
    buffer = io.BytesIO()
    book = new_workbook(buffer)
    head = book.add_format({"bold": True, "border": 1, "bg_color": "#DDEBF7"})
    sheet = book.add_worksheet("未采样人员")
    sheet.write_string(0, 0, f"{testing_round.name} · {unit.name} 未采样人员名单（截至{cn_date(timezone.localdate())}）")
    sheet.write_row(1, 0, NOT_SAMPLED_HEADERS, head)
    sheet.set_column(0, 0, 6)
    sheet.set_column(1, 6, 18)
    row = 2
    for n, line in enumerate(person_lines(not_sampled(testing_round, unit, as_of).iterator(chunk_size=2000), user), 1):
        sheet.write_row(row, 0, [n, line.grid, line.person.name, line.id_number, line.phone, line.household,
                                 line.address])
        row += 1
    exempt = book.add_worksheet("免检人员")
    exempt.write_row(0, 0, EXEMPT_HEADERS, head)
    exempt.set_column(0, 0, 6)
    exempt.set_column(1, 10, 16)
    exemptions = list(exempt_in_round(testing_round, unit))
    lines = person_lines([e.person for e in exemptions], user)
    for n, (exemption, line) in enumerate(zip(exemptions, lines, strict=True), 1):
        exempt.write_row(n, 0, [n, line.grid, line.person.name, line.id_number, line.phone, line.household,
                                line.address, exemption.get_reason_display(), exemption.note,
                                exemption.starts_on.isoformat(),
                                exemption.ends_on.isoformat() if exemption.ends_on else ""])
    book.close()
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# Exemptions (免检登记)


def create_exemption(person, reason, user, *, note="", round=None, starts_on=None, ends_on=None):
    """Exempt a person of the user's jurisdiction from one round (`round`) or from every round
    overlapping `starts_on`–`ends_on` (open-ended without `ends_on`). Chinese ValidationError."""
    errors = []
    if person is None or not within(user, person.unit_path):
        raise ValidationError(_("该人员不存在或不在您的辖区内"))
    if person.is_provisional:
        errors.append(_("临时登记人员不在应检人群中，无需免检登记"))
    if reason not in ExemptionReason.values:
        errors.append(_("免检原因只能是：%(reasons)s") % {"reasons": "、".join(str(x) for x in ExemptionReason.labels)})
    note = (note or "").strip()
    if reason == ExemptionReason.OTHER and not note:
        errors.append(_("原因为“其他”时请填写说明"))
    if len(note) > 200:
        errors.append(_("说明不能超过200个字"))
    if round is not None:
        starts_on = starts_on or round.starts_on
        ends_on = ends_on or round.ends_on
    elif starts_on is None:
        errors.append(_("请选择检测轮次，或填写免检的起始日期"))
    if starts_on and ends_on and ends_on < starts_on:
        errors.append(_("截止日期（%(end)s）不能早于起始日期（%(start)s）")
                      % {"end": cn_date(ends_on), "start": cn_date(starts_on)})
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        clash = Exemption.objects.select_for_update().filter(person=person)
        clash = clash.filter(round=round) if round is not None else clash.filter(
            round__isnull=True, starts_on__lte=ends_on or datetime.date.max).filter(
            Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on))
        if clash.exists():
            raise ValidationError(_("%(name)s 在这段时间已有免检登记") % {"name": person.name})
        exemption = Exemption(person=person, round=round, reason=reason, note=note, starts_on=starts_on,
                              ends_on=ends_on, created_by=user)
        exemption._history_user = user
        exemption.save()
    return exemption


def remove_exemption(exemption, user):
    """Take an exemption back (the person is in the target again)."""
    if not within(user, exemption.unit_path):
        raise ValidationError(_("该免检登记不在您的辖区内"))
    exemption._history_user = user
    exemption.delete()
