"""The demo county's nucleic-acid testing (核酸检测), done through the same services the scanners,
the lab and the pages use, so that the testing, lab, chasing, coverage and certificate pages
have a real round to show on first start:

- a round of whole-population testing (全员核酸) owned by the county over the villages of the
  first town that have a sampling point of their own (`county.POINT_VILLAGES`), sampled
  yesterday morning at 1:10 in household order — most people by their ID number, some
  households by their health codes (``HC:<ID number>``), the very old by a printed person
  barcode, a visitor unknown to the ledger by a health-code JSON (registered provisionally);
  persons under control at home 1:1 (上门采样), those at an isolation site exempted, as are a
  few bedridden and a few away (one of them for every round of the coming weeks); a few
  residents missed — among them the key-group members overdue for their tests — left for
  door-knocking; some came to the town's fixed point in the afternoon;
- the county CDC lab received the tubes in three batches and reported their results: all
  negative but one positive tube and one abnormal tube (re-tested negative later: a conflict,
  kept and alerted), one invalid run repeated, part of a batch sent twice (duplicates);
- the positive and abnormal tubes chased (results start the chase by themselves): the grid
  workers found the members — one of the positive tube late, one not yet — and half of the
  positive tube's located members were retested single-tube (单采单检), the last retest still at
  the lab;
- key groups tested on a schedule (重点人群定期检测) over the last two weeks: high-risk posts at
  the county hospital's fever clinic, cold-chain staff of a food company, and their families,
  a few of them overdue.

Everything happened yesterday or before, so that it is in the past whatever the time of day.
"""

import datetime
import json
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from fangkong.alerts.services import escalate_due
from fangkong.control.models import ControlCase, PlaceKind
from fangkong.leads.services.workflow import verify_lead
from fangkong.lib.dates import local_moment
from fangkong.lib.idnumbers import with_check_digit
from fangkong.orgs.models import Unit, UnitType
from fangkong.people.models import Affiliation, Person, with_id_number
from fangkong.testing.models import (
    ChaseMember,
    ExemptionReason,
    Result,
    Target,
    TubeStatus,
)
from fangkong.testing.services.chasing import refresh_located
from fangkong.testing.services.coverage import create_exemption
from fangkong.testing.services.frequency import add_member, check_testing_overdue
from fangkong.testing.services.lab import receive_tubes, record_results
from fangkong.testing.services.rounds import add_point, create_round, pool_sizes_for
from fangkong.testing.services.sampling import close_tube, open_tube, scan

from .control import _user, _workers

POOL_SIZES = {"default": 10, "medium_risk": 5, "controlled": 1}
VILLAGE_HOURS = (datetime.time(7, 0), datetime.time(11, 30))
FIXED_HOURS = (datetime.time(14, 0), datetime.time(17, 0))
# When the lab's van collects the tubes closed by then, and when their results come back.
RECEIPTS = [datetime.time(9, 30), datetime.time(12, 0), datetime.time(17, 30)]
TESTED_AFTER = datetime.timedelta(hours=3)
REPORTED_AFTER = datetime.timedelta(hours=3, minutes=30)
SOURCE = "LIS"
# Per village: bedridden (80 and over) and away people exempted, the share of residents missed,
# and the share who went to the town's fixed point in the afternoon.
BEDRIDDEN, AWAY = 1, 2
MISSED_SHARE, FIXED_SHARE = 0.015, 0.04
HEALTH_CODE_EVERY = 5  # every fifth household shows its health codes
BARCODE_AGE = 80  # people this old carry a printed person barcode (no smartphone)
POSITIVE_CT = {"ORF1ab": 27.6, "N": 26.9}
ABNORMAL_CT = {"ORF1ab": 37.8}
VISITOR = "胡晓梅"

# Key groups (重点人群, the groups of the frequency presets): group code → the days back from today
# each member was tested; the first member of each group at each unit missed the latest tests
# (overdue) and was tested on the second list of days.
KEY_GROUPS = {
    "high_risk_post": ([13, 11, 9, 7, 5, 3, 1], [13, 11, 9, 7, 5]),
    "other_staff": ([13, 10, 6, 3], [13, 10, 6]),
    "cold_chain": ([8, 1], [9]),
    "staff_family": ([13, 6], []),
}
KEY_GROUP_NOTES = {"high_risk_post": "发热门诊医护人员", "other_staff": "药房、后勤人员",
                   "cold_chain": "进口冷链食品仓储、搬运", "staff_family": "同住家属"}
HIGH_RISK_POSTS = 4  # of the fever clinic's staff; the others are other staff
COLD_CHAIN_STAFF = 12
KEY_GROUP_HOURS = (datetime.time(8, 0), datetime.time(10, 0))
KEY_GROUP_RECEIPT, KEY_GROUP_RESULT = datetime.time(10, 30), datetime.time(14, 0)
KEY_GROUP_SINCE = 60  # days the key groups have been tested


@dataclass
class Plan:
    """The codes scanned at one village point of the round, in the order people come."""

    point: object  # SamplingPoint
    user: object
    morning: list = field(default_factory=list)
    single: list = field(default_factory=list)  # 1:1, sampled at home after the queue
    unit: object = None  # where unknown persons are registered


class Sampler:
    """Opens tubes at the points of a round and scans people into them a tube at a time, as a
    sampling team's scanner does (one scan call per tube, all its codes at once)."""

    def __init__(self, testing_round, prefix):
        self.round = testing_round
        self.prefix = prefix
        self.count = 0

    def fill(self, point, user, codes, start, step, capacity, unit=None):
        """Scan `codes` into tubes of `capacity` at `point`, one tube every `step` from `start`;
        returns the tubes (closed)."""
        tubes = []
        for i in range(0, len(codes), capacity):
            at = start + step * (i // capacity)
            self.count += 1
            tube = open_tube(self.round, point, f"{self.prefix}{self.count:05d}", user, at, capacity=capacity)
            outcome = scan(tube, codes[i:i + capacity], user, at + step * 0.7, unit=unit)
            refused = [f"{r.code}: {r.reason}" for r in outcome.results if not r.accepted]
            if refused:
                raise RuntimeError("演示数据采样被拒：" + "；".join(refused))
            tube = outcome.tube
            if tube.status == TubeStatus.OPEN:
                tube = close_tube(tube, user, at + step * 0.9)
            tubes.append(tube)
        return tubes


def create_testing(county, rng, now=None):
    """Build the round, its results and chases, and the key groups' schedule; returns the round
    (None when the county has no village sampling points)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    points = list(Unit.objects.filter(path__startswith=county.path, type=UnitType.SAMPLING_POINT)
                  .filter(depth=county.depth + 3).order_by("path"))
    lab = Unit.objects.filter(path__startswith=county.path, type=UnitType.LAB).order_by("path").first()
    statistician, _unit = _user("statistician")
    if not points or lab is None or statistician is None:
        return None
    villages = [Unit.objects.get_parent(point) for point in points]
    town = Unit.objects.get_parent(villages[0])
    fixed = Unit.objects.get_children(town).filter(type=UnitType.SAMPLING_POINT).first()
    overdue = _key_groups(county, fixed, lab, statistician, now)
    return _round(county, town, villages, points, fixed, lab, statistician, rng, today - datetime.timedelta(days=1),
                  now, overdue)


# ---------------------------------------------------------------------------------------------
# The round


def _round(county, town, villages, point_units, fixed, lab, statistician, rng, day, now, skipped):
    """The round; the `skipped` persons (key-group members overdue for their tests) missed it too."""
    testing_round = create_round(
        county, f"{town.name}全员核酸检测（第一轮）", villages, day, day + datetime.timedelta(days=1),
        Target.ALL_RESIDENTS, POOL_SIZES, statistician,
    )
    staff, staff_unit = _user("testing_staff")
    points = []
    for unit in point_units:
        village = Unit.objects.get_parent(unit)
        point = add_point(testing_round, unit, *VILLAGE_HOURS, staff=f"{village.name}采样队：村医2人、志愿者4人")
        points.append((point, staff if staff_unit == unit else None, village))
    fixed_point = None
    if fixed is not None:
        fixed_point = add_point(testing_round, fixed, *FIXED_HOURS, staff=f"{town.name}卫生院便民采样队")

    plans, fixed_codes = _plan_people(testing_round, points, fixed_point is not None, statistician, rng, day, skipped)
    sampler = Sampler(testing_round, f"HS{day:%y%m%d}")
    closed = []  # (tube, the index of its village point, None at the fixed point)
    for n, plan in enumerate(plans):
        opens, closes = (local_moment(day, t) for t in VILLAGE_HOURS)
        # The queue lasts the morning: a point with more people has more teams.
        tubes = len(plan.morning) // 10 + 1
        step = (closes - opens) / tubes
        closed += [(t, n) for t in sampler.fill(plan.point, plan.user, plan.morning, opens, step, 10, plan.unit)]
        # Persons to sample alone are visited at home once the queue is done.
        closed += [(t, n) for t in sampler.fill(plan.point, plan.user, plan.single, opens + step * tubes,
                                                datetime.timedelta(minutes=6), 1, plan.unit)]
    if fixed_point is not None and fixed_codes:
        opens, closes = (local_moment(day, t) for t in FIXED_HOURS)
        step = (closes - opens) / (len(fixed_codes) // 10 + 1)
        closed += [(t, None) for t in sampler.fill(fixed_point, None, fixed_codes, opens, step, 10)]

    batches = _receive(lab, [t for t, _n in closed], day)
    worker_grid = _user("grid_worker")[1]
    positive = _pick(batches[0], lambda t: t.capacity == 10 and t.size >= 5 and _all_in(t, worker_grid), rng)
    first_village = [t for t, n in closed if n == 0]
    abnormal = _pick(batches[1], lambda t: t.capacity == 10 and t not in first_village, rng, avoid=[positive])
    invalid = _pick(batches[1], lambda t: t.capacity == 10, rng, avoid=[positive, abnormal])
    _results(batches, day, positive, abnormal, invalid)
    _chase(county, positive, abnormal, statistician, rng, day)
    retests = _retest(testing_round, positive, points, day)
    if retests:
        receive_tubes(lab, [t.barcode for t in retests], None, local_moment(day, datetime.time(19, 0)))
        # The last retest is still at the lab.
        _report(retests[:-1], day, datetime.time(21, 0), datetime.time(21, 30))
    # What the worker would have done by now.
    refresh_located(now)
    check_testing_overdue(now)
    escalate_due(now)
    return testing_round


def _plan_people(testing_round, points, has_fixed, statistician, rng, day, skipped):
    """Who comes to which point and how they are scanned; writes the exemptions. Returns
    ([Plan per village point], [codes for the fixed point])."""
    plans, fixed_codes = [], []
    for n, (point, user, village) in enumerate(points):
        residents = list(
            Person.objects.filter(unit_path__startswith=village.path, is_provisional=False)
            .order_by("unit_path", "household_id", "pk")
        )
        cases = dict(ControlCase.objects.active().filter(person__in=residents).values_list("person_id", "place"))
        left = _exempt(testing_round, residents, cases, statistician, rng, day)
        # Persons under control are never missed: their village doctor samples them at home.
        free = [p for p in left if p.pk not in cases]
        missed = set(rng.sample(free, max(1, round(len(free) * MISSED_SHARE)))) | {p for p in left if p.pk in skipped}
        # Records without an ID number are mostly people entered twice; they wait to be merged.
        left = [p for p in left if p not in missed and (p.id_number or p.pk in cases)]
        fixed = set(rng.sample(left, round(len(left) * FIXED_SHARE))) if has_fixed else set()
        sizes = pool_sizes_for(testing_round, left, day)
        plan = Plan(point=point, user=user, unit=village)
        households = {}
        for person in left:
            shows_code = households.setdefault(person.household_id, len(households)) % HEALTH_CODE_EVERY == 0
            code = _code(person, shows_code, day)
            if sizes[person.pk] == 1:
                plan.single.append(code)
            elif person in fixed:
                fixed_codes.append(f"HC:{person.id_number}")
            else:
                plan.morning.append(code)
        if n == len(points) - 1:
            plan.morning.append(json.dumps({"name": VISITOR, "idno": _new_id_number(rng, day)}, ensure_ascii=False))
        plans.append(plan)
    return plans, fixed_codes


def _code(person, shows_code, day):
    if not person.id_number or person.birth_date and (day - person.birth_date).days >= BARCODE_AGE * 365:
        return f"P{person.pk}"
    return f"HC:{person.id_number}" if shows_code else person.id_number


def _new_id_number(rng, day):
    """A visitor's ID number that is in no ledger (born in Changsha)."""
    while True:
        birth = day - datetime.timedelta(days=rng.randint(30 * 365, 50 * 365))
        number = with_check_digit(f"430103{birth:%Y%m%d}{rng.randint(1, 499) * 2:03d}")
        if not Person.objects.filter(with_id_number(number)).exists():
            return number


def _exempt(testing_round, residents, cases, by, rng, day):
    """Exempt those at an isolation site (`cases`: {person pk: place} of the active control
    cases), a few bedridden and a few away; returns the others."""
    exempt = {p.pk: (ExemptionReason.CONTROLLED, "集中隔离，由隔离点安排检测", None) for p in residents
              if cases.get(p.pk) == PlaceKind.SITE}
    old = [p for p in residents if p.pk not in cases and p.birth_date
           and (day - p.birth_date).days >= 80 * 365]
    for person in rng.sample(old, min(BEDRIDDEN, len(old))):
        exempt[person.pk] = (ExemptionReason.BEDRIDDEN, "长期卧床，行动不便", None)
    adults = [p for p in residents if p.pk not in exempt and p.pk not in cases and p.birth_date
              and 18 * 365 <= (day - p.birth_date).days <= 50 * 365]
    for i, person in enumerate(rng.sample(adults, min(AWAY, len(adults)))):
        # The first is away for weeks (an exemption for every round until then), the other for this round.
        exempt[person.pk] = (ExemptionReason.AWAY, "在外务工，春节未返乡" if i else "外出务工，预计下月返回",
                             None if i else day + datetime.timedelta(days=30))
    for person in residents:
        if person.pk in exempt:
            reason, note, until = exempt[person.pk]
            if until is None:
                create_exemption(person, reason, by, note=note, round=testing_round)
            else:
                create_exemption(person, reason, by, note=note, starts_on=day - datetime.timedelta(days=3),
                                 ends_on=until)
    return [p for p in residents if p.pk not in exempt]


def _receive(lab, tubes, day):
    """The lab's van collects the closed tubes at each receipt time: [[tubes] per batch]."""
    batches, waiting = [], sorted(tubes, key=lambda t: t.closed_at)
    for at in (local_moment(day, t) for t in RECEIPTS):
        due = [t for t in waiting if t.closed_at <= at]
        waiting = waiting[len(due):]
        if due:
            batch = receive_tubes(lab, [t.barcode for t in due], None, at)
            if batch.tubes != len(due):
                raise RuntimeError("演示数据：" + "；".join(batch.messages))
        batches.append(due)
    if waiting:
        raise RuntimeError("演示数据：有试管未送检")
    return batches


def _all_in(tube, unit):
    return unit is not None and not tube.samples.exclude(unit_path__startswith=unit.path).exists()


def _pick(tubes, wanted, rng, avoid=()):
    """One of the `tubes` that is `wanted`, else one of ten, else any (the small county may lack one)."""
    for test in (wanted, lambda t: t.capacity == 10, lambda t: True):
        found = [t for t in tubes if t not in avoid and test(t)]
        if found:
            return rng.choice(found)
    return None


def _report(tubes, day, tested, reported, special=None):
    """The lab reports `tubes` in one upload: negative unless `special` says otherwise."""
    special = special or {}
    rows = []
    for tube in tubes:
        result, ct = special.get(tube.pk, (Result.NEGATIVE, {}))
        rows.append({"barcode": tube.barcode, "result": result, "ct_values": ct,
                     "tested_at": local_moment(day, tested)})
    if rows:
        record_results(rows, None, local_moment(day, reported), SOURCE)
    return rows


def _at(moment, delta):
    return (datetime.datetime.combine(datetime.date.min, moment) + delta).time()


def _results(batches, day, positive, abnormal, invalid):
    special = {positive.pk: (Result.POSITIVE, POSITIVE_CT)} if positive else {}
    if abnormal:
        special[abnormal.pk] = (Result.ABNORMAL, ABNORMAL_CT)
    if invalid:
        special[invalid.pk] = (Result.INVALID, {})
    for receipt, tubes in zip(RECEIPTS, batches):
        rows = _report(tubes, day, _at(receipt, TESTED_AFTER), _at(receipt, REPORTED_AFTER), special)
        if receipt == RECEIPTS[0] and rows:
            # The first upload is sent again in part half an hour later: duplicates, nothing changes.
            record_results(rows[:20], None, local_moment(day, _at(receipt, REPORTED_AFTER + TESTED_AFTER / 6)),
                           SOURCE)
    second = _at(RECEIPTS[1], REPORTED_AFTER)
    if invalid:  # the invalid run is repeated
        _report([invalid], day, _at(second, datetime.timedelta(minutes=50)), _at(second, datetime.timedelta(hours=1)))
    if abnormal:  # the abnormal tube re-tested negative: a conflict, the first result stands
        _report([abnormal], day, _at(second, datetime.timedelta(hours=2)),
                _at(second, datetime.timedelta(hours=2, minutes=15)))


def _chase(county, positive, abnormal, statistician, rng, day):
    """The grid workers find the chased tubes' members: all of the abnormal tube's in time; the
    positive tube's but one late and one not found yet."""
    workers = _workers(county)
    for tube, stragglers in ((positive, True), (abnormal, False)):
        if tube is None:
            continue
        tube.refresh_from_db()
        chase = tube.chase
        members = list(ChaseMember.objects.filter(chase=chase).select_related("lead", "person")
                       .order_by("person__unit_path", "pk"))
        minutes = sorted(rng.sample(range(10, 85), len(members)))
        for i, (member, after) in enumerate(zip(members, minutes)):
            if stragglers and i == len(members) - 1 and len(members) > 2:
                continue  # not found yet: phone switched off, not at home
            late = stragglers and i == len(members) - 2 and len(members) > 2
            at = chase.due_at + datetime.timedelta(minutes=25) if late else chase.started_at + datetime.timedelta(
                minutes=after)
            worker = next((user for unit, user in workers if member.person.unit_path.startswith(unit.path)),
                          statistician)
            verify_lead(member.lead, worker, at, note="已电话联系本人，居家等候单采复检" if not late
                        else "多次电话未接通，入户找到本人，已告知居家等候复检")


def _retest(testing_round, positive, points, day):
    """Half the located members of the positive tube retested alone at their village point."""
    if positive is None:
        return []
    members = list(ChaseMember.objects.filter(chase__tube=positive, located_at__isnull=True,
                                              lead__verified_at__isnull=False)
                   .select_related("person", "lead").order_by("lead__verified_at", "pk"))
    chosen = members[: max(1, len(members) // 2)]
    if not chosen:
        return []
    point, user, village = next(p for p in points if p[0].pk == positive.point_id)
    sampler = Sampler(testing_round, f"DJ{day:%y%m%d}")
    start = max(m.lead.verified_at for m in chosen) + datetime.timedelta(minutes=20)
    return sampler.fill(point, user, [m.person.id_number for m in chosen], start, datetime.timedelta(minutes=8), 1,
                        village)


# ---------------------------------------------------------------------------------------------
# Key groups


def _key_groups(county, fixed, lab, statistician, now):
    """Members of the key groups and the last two weeks of their scheduled tests; returns the
    persons who missed the latest tests (overdue)."""
    today = timezone.localdate(now)
    hospital = Unit.objects.get_children(county).filter(type=UnitType.CLINIC).order_by("path").first()
    companies = Unit.objects.get_children(county).filter(type=UnitType.COMPANY).order_by("path")
    company = companies.filter(name__contains="食品").first() or companies.first()
    if fixed is None or hospital is None or company is None:
        return set()
    since = today - datetime.timedelta(days=KEY_GROUP_SINCE)
    clinicians = _affiliated(Affiliation.objects.filter(unit=hospital, kind="staff"))
    employees = _affiliated(Affiliation.objects.filter(unit_path__startswith=company.path, kind="employee"))
    staff = [("high_risk_post", hospital, clinicians[:HIGH_RISK_POSTS]),
             ("other_staff", hospital, clinicians[HIGH_RISK_POSTS:]),
             ("cold_chain", company, employees[:COLD_CHAIN_STAFF])]
    taken = {p.pk for _group, _unit, people in staff for p in people}
    members = []
    for group, unit, people in staff:
        members += [(group, unit, person) for person in people]
        households = {p.household_id for p in people if p.household_id}
        families = list(Person.objects.filter(household__in=households).exclude(pk__in=taken).exclude(id_number="")
                        .order_by("household_id", "pk"))
        members += [("staff_family", unit, person) for person in families]
        taken |= {p.pk for p in families}
    for group, unit, person in members:
        add_member(person, group, unit, since, statistician, note=KEY_GROUP_NOTES[group])

    testing_round = create_round(
        county, "重点人群定期核酸检测", [county], since, today + datetime.timedelta(days=30), Target.KEY_GROUPS,
        {"default": 10, "controlled": 1}, statistician,
    )
    point = add_point(testing_round, fixed, *KEY_GROUP_HOURS, staff="县疾控中心流动采样队")
    # The first member of each group at each unit who is not under control (whose case tests
    # count) missed the latest tests.
    controlled = set(ControlCase.objects.active().values_list("person_id", flat=True))
    late = {}
    for group, unit, person in members:
        if person.pk not in controlled:
            late.setdefault((group, unit.pk), person.pk)
    schedule = {}
    for group, unit, person in members:
        usual, overdue = KEY_GROUPS[group]
        for back in (overdue if late.get((group, unit.pk)) == person.pk else usual):
            schedule.setdefault(back, []).append(person)
    sampler = Sampler(testing_round, "ZD")
    for back in sorted(schedule, reverse=True):
        day = today - datetime.timedelta(days=back)
        people = schedule[back]
        sizes = pool_sizes_for(testing_round, people, day)
        opens = local_moment(day, KEY_GROUP_HOURS[0])
        tubes = sampler.fill(point, None, [p.id_number for p in people if sizes[p.pk] > 1], opens,
                             datetime.timedelta(minutes=5), 10)
        tubes += sampler.fill(point, None, [p.id_number for p in people if sizes[p.pk] == 1],
                              opens + datetime.timedelta(hours=1), datetime.timedelta(minutes=5), 1)
        receive_tubes(lab, [t.barcode for t in tubes], None, local_moment(day, KEY_GROUP_RECEIPT))
        _report(tubes, day, KEY_GROUP_RESULT, _at(KEY_GROUP_RESULT, datetime.timedelta(minutes=20)))
    return set(late.values())


def _affiliated(affiliations):
    """The persons of these affiliations that have an ID number, in a stable order."""
    return list(Person.objects.filter(Q(pk__in=affiliations.values("person_id")), ~Q(id_number=""))
                .order_by("pk"))
