"""The demo county's key-person control (重点人员管控), built through the same services the
pages use, so that every control page has something real to show on first start:

- risk areas in force (and one already lifted);
- the isolation sites' rooms (from the room units of the demo tree);
- leads: the screening's follow-up flags of the grid worker's village turned into leads, a
  pushed list (大数据推送) of which some are still waiting to be verified (one of them overdue);
- control cases of several categories opened over the last four weeks under the regimen in
  force — most in the grid worker's village, one or two in each village the screening has
  reached — some of them at an isolation site, with their twice-daily follow-up entries (a few
  slots missed, a few abnormal checks settled by the village doctor, one abnormal temperature
  today), test results, and the cases whose period ended released on the day after it ended;
- one worker pass at the end, which closes the slots whose window has passed and raises alerts.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from fangkong.accounts.models import RoleAssignment
from fangkong.alerts.models import AlertKind
from fangkong.alerts.services import escalate_due, resolve_alerts
from fangkong.areas.services import save_area
from fangkong.control.models import ACTIVE_STATUSES, CaseTest, FollowUpSlot, TestStatus
from fangkong.control.services.cases import open_case, record_test, release_case, release_check
from fangkong.control.services.followup import record_entry
from fangkong.control.services.worker import run_control_pass
from fangkong.leads.models import LeadOutcome, LeadSource
from fangkong.leads.services.deadlines import check_deadlines
from fangkong.leads.services.from_screening import convert_flags
from fangkong.leads.services.intake import create_lead
from fangkong.leads.services.workflow import dispose_lead, verify_lead
from fangkong.orgs.models import Unit, UnitType
from fangkong.people.models import Person
from fangkong.screening.models import Outcome, Visit
from fangkong.sites.models import Room
from fangkong.sites.services.capacity import check_capacity
from fangkong.sites.services.rooms import add_rooms
from fangkong.sites.services.stays import check_in

# (level, name, division code, days since it took effect, days since it was lifted or None)
RISK_AREAS = [
    ("high", "湖北省武汉市江夏区", "420115", 18, None),
    ("medium", "广东省广州市海珠区", "440105", 12, None),
    ("medium", "上海市浦东新区", "310115", 40, 10),
]
# Cases opened in the grid worker's village: (category, days ago the anchor fell, days from
# anchor to arrival or None, at an isolation site)
CASES = [
    ("close_contact", 2, None, True),
    ("close_contact", 5, None, True),
    ("close_contact", 8, None, True),
    ("secondary_contact", 3, None, False),
    ("secondary_contact", 6, None, False),
    ("high_risk_area", 4, 1, True),
    ("medium_risk_area", 3, 1, False),
    ("medium_risk_area", 6, 2, False),
    ("medium_risk_area", 9, 1, False),
    ("inbound", 7, None, True),
    ("low_risk_area", 1, 1, False),
    ("secondary_contact", 12, None, False),
    ("medium_risk_area", 14, 1, False),
    ("close_contact", 20, None, True),
]
# Cases in the other villages the screening has reached, 1 to CASES_PER_VILLAGE each: (category,
# days from anchor to arrival or None, at an isolation site), the anchor up to OLDEST_ANCHOR days ago.
OTHER_CASES = [
    ("close_contact", None, True),
    ("close_contact", None, True),
    ("secondary_contact", None, False),
    ("secondary_contact", None, False),
    ("medium_risk_area", 1, False),
    ("medium_risk_area", 2, False),
    ("high_risk_area", 1, True),
    ("inbound", None, True),
    ("low_risk_area", 1, False),
]
CASES_PER_VILLAGE = 2
OLDEST_ANCHOR = 28
TEAM_ROLES = ["镇干部", "村干部", "村医", "民警", "网格员"]
PUSHED = 8  # people on the pushed list
MISSED_EVERY = 23  # about one slot in 23 is missed
# About one check in this many, before today, finds a raised temperature or a cough that the
# village doctor rechecks and settles a few hours later.
ABNORMAL_EVERY = 97
SETTLED_NOTE = "村医上门复测体温正常，无其他症状，继续健康监测"
RELEASE_NOTE = "期满，核酸检测均为阴性；人、物、环境样本阴性"


def _user(username):
    assignment = RoleAssignment.objects.filter(user__username=username).select_related("user", "unit").first()
    return (assignment.user, assignment.unit) if assignment else (None, None)


def _workers(county):
    """The demo grid workers with the unit each holds, to follow up the cases in their units."""
    return [
        (assignment.unit, assignment.user)
        for assignment in RoleAssignment.objects.filter(role__code="grid_worker", unit__path__startswith=county.path)
        .select_related("user", "unit").order_by("unit__path")
    ]


def create_control(county, rng, now=None):
    now = now or timezone.now()
    today = timezone.localdate(now)
    worker, grid = _user("grid_worker")
    statistician, _unit = _user("statistician")
    if grid is None:
        return
    village = Unit.objects.get_parent(grid) if grid.type == UnitType.GRID else grid
    _risk_areas(today, statistician)
    sites = _rooms(county)
    _leads(village, grid, worker, statistician, rng, now)
    planned = _planned_cases(county, grid, village, rng)
    cases = _cases(planned, _workers(county), statistician, sites, rng, now)
    _follow_up(cases, rng, now)
    _release(cases, statistician, rng, now)
    # What the worker would have done by now.
    run_control_pass(now)
    check_deadlines(now)
    check_capacity(now)
    escalate_due(now)


def _risk_areas(today, by):
    for level, name, code, since, lifted in RISK_AREAS:
        save_area(
            level=level, name=name, division_code=code, effective_from=today - datetime.timedelta(days=since),
            effective_to=today - datetime.timedelta(days=lifted) if lifted else None,
            source="示范数据：上级通报的中高风险地区", by=by,
        )


def _rooms(county):
    """Room rows for the room units of each isolation site of the demo tree."""
    sites = list(Unit.objects.filter(path__startswith=county.path, type=UnitType.ISOLATION_SITE).order_by("path"))
    for site in sites:
        rooms = Unit.objects.get_children(site).filter(type=UnitType.ROOM)
        for beds in (1, 2):
            numbers = [r.code.rsplit("-", 1)[-1] for r in rooms if (r.capacity or 1) == beds]
            if numbers:
                add_rooms(site, ",".join(numbers), beds=beds)
    return sites


def _people(village, count, rng, exclude=()):
    born_by = timezone.localdate().replace(year=timezone.localdate().year - 18)
    adults = list(
        Person.objects.filter(unit_path__startswith=village.path, birth_date__lte=born_by)
        .exclude(pk__in=exclude).exclude(control_cases__isnull=False).order_by("pk")
        .values_list("pk", flat=True)[:2000]
    )
    chosen = rng.sample(adults, min(count, len(adults)))
    return list(Person.objects.filter(pk__in=chosen).select_related("unit"))


def _leads(village, grid, worker, statistician, rng, now):
    # The village has taken up its other grids' screening flags as leads; the grid worker's own
    # flags are still waiting on the screening page.
    for other in Unit.objects.get_children(village).exclude(pk=grid.pk):
        convert_flags(statistician, other, now - datetime.timedelta(hours=20))
    for i, person in enumerate(_people(village, PUSHED, rng)):
        received = now - datetime.timedelta(hours=30 - 3 * i)
        data = {
            "name": person.name, "id_type": person.id_type, "id_number": person.id_number, "phone": person.phone,
            "address": person.address, "origin": "广东省广州市海珠区",
            "arrived_on": (received - datetime.timedelta(days=1)).date().isoformat(),
            "departed_on": (received - datetime.timedelta(days=2)).date().isoformat(),
            "reason": "大数据推送：近14天有中风险地区旅居史", "reported_by": "县疫情防控指挥部大数据组",
        }
        lead = create_lead(LeadSource.PUSH, village, data, received, by=statistician)
        if i < PUSHED - 3:  # the newest three wait to be verified, the oldest of them past 2 hours
            verify_lead(lead, worker, received + datetime.timedelta(minutes=50), note="电话核实，本人已返乡")
            outcome = LeadOutcome.NOT_IN_SCOPE if i % 2 else LeadOutcome.CASE_OPENED
            try:
                dispose_lead(lead, outcome, worker, received + datetime.timedelta(hours=3),
                             note="已告知居家健康监测" if outcome == LeadOutcome.CASE_OPENED else "离开风险地区已满7天",
                             category="medium_risk_area")
            except ValidationError:
                dispose_lead(lead, LeadOutcome.NOT_IN_SCOPE, worker, received + datetime.timedelta(hours=3),
                             note="管控期已满")


def _planned_cases(county, grid, village, rng):
    """[(unit the person lives in, category, days ago the anchor fell, days to arrival or None, at a
    site)]: the grid worker's village first (most in their own grid), then one or two cases in
    each other village with completed screening visits."""
    own = [(grid if i < len(CASES) - 4 else village, *case) for i, case in enumerate(CASES)]
    reached = Visit.objects.filter(outcome=Outcome.COMPLETED, unit_path__startswith=county.path).exclude(
        unit_path__startswith=village.path
    )
    prefixes = {path[:len(village.path)] for path in reached.values_list("unit_path", flat=True).distinct()}
    others = []
    for other in Unit.objects.filter(path__in=prefixes, type=UnitType.VILLAGE).order_by("path"):
        for _i in range(rng.randint(1, CASES_PER_VILLAGE)):
            category, arrival_after, at_site = rng.choice(OTHER_CASES)
            others.append((other, category, rng.randint(1, OLDEST_ANCHOR), arrival_after, at_site))
    return own + others


def _cases(planned, workers, statistician, sites, rng, now):
    """Open the planned cases; returns [(case, the user who follows it up)]."""
    today = timezone.localdate(now)
    rooms = list(Room.objects.filter(site__in=sites[:1]).order_by("number"))
    chosen = []
    cases = []
    for unit, category, days_ago, arrival_after, at_site in planned:
        people = _people(unit, 1, rng, exclude=chosen)
        if not people:
            continue
        person = people[0]
        chosen.append(person.pk)
        worker = _worker_of(person, workers) or statistician
        anchor = today - datetime.timedelta(days=days_ago)
        arrival = anchor + datetime.timedelta(days=arrival_after) if arrival_after else None
        opened = timezone.make_aware(datetime.datetime.combine(
            arrival or anchor + datetime.timedelta(days=1), datetime.time(9, rng.choice([0, 15, 30, 45]))
        ))
        opened = min(opened, now)
        team = [
            (role, f"{person.unit.name}{role}", "", worker if role == "网格员" and worker != statistician else None)
            for role in TEAM_ROLES
        ]
        try:
            case = open_case(person, category, anchor_date=anchor, arrival_date=arrival, team=team, by=worker,
                             now=opened, note="示范数据")
        except ValidationError:
            continue  # the regimen in force leaves nothing to control for this anchor
        if at_site and rooms and case.status in ACTIVE_STATUSES:
            # The demo's rooms are free and the case is active, so this check-in goes through.
            check_in(case, rooms.pop(0), by=statistician, now=opened + datetime.timedelta(hours=2))
        cases.append((case, worker))
    return cases


def _worker_of(person, workers):
    return next((user for unit, user in workers if person.unit_path.startswith(unit.path)), None)


def _follow_up(cases, rng, now):
    today = timezone.localdate(now)
    n = 0
    first = cases[0][0] if cases else None
    for case, worker in cases:
        slots = list(FollowUpSlot.objects.filter(case=case, starts_at__lte=now).order_by("starts_at"))
        for slot in slots:
            n += 1
            if n % MISSED_EVERY == 0 and not (case is first and slot is slots[-1]):
                continue
            at = slot.starts_at + datetime.timedelta(minutes=rng.randint(5, 100))
            if at > now:
                at = now
            temperature = Decimal(rng.choice(["36.2", "36.4", "36.5", "36.6", "36.7", "36.8"]))
            symptoms = []
            settled = False
            if case is first and slot is slots[-1]:  # the latest check of the first case: a fever
                temperature, symptoms = Decimal("37.8"), ["fever", "cough"]
            elif n % ABNORMAL_EVERY == 0 and slot.day < today:
                temperature, symptoms = rng.choice([(Decimal("37.4"), []), (Decimal("36.9"), ["cough"])])
                settled = True
            method = "self_report" if case.place == "home" and n % 3 == 0 else "visit"
            try:
                entry = record_entry(case, temperature=temperature, symptoms=symptoms, method=method,
                                     recorder=None if method == "self_report" else worker, now=at)
            except ValidationError:
                continue
            if settled:
                resolve_alerts(AlertKind.ABNORMAL_FOLLOW_UP, f"entry:{entry.pk}",
                               now=at + datetime.timedelta(hours=3), note=SETTLED_NOTE)
        for test in CaseTest.objects.filter(case=case, due_on__lt=today, status=TestStatus.SCHEDULED):
            record_test(test, "negative", worker, timezone.make_aware(
                datetime.datetime.combine(test.due_on, datetime.time(10))))


def _release(cases, statistician, rng, now):
    """Each case whose period is over is released the morning after its last day (one whose
    morning has not come yet waits on the case page)."""
    for case, _worker in cases:
        case.refresh_from_db()
        last = case.phases.order_by("-index").values_list("last_day", flat=True).first()
        if case.status not in ACTIVE_STATUSES or last is None:
            continue
        at = timezone.make_aware(datetime.datetime.combine(
            last + datetime.timedelta(days=1), datetime.time(9, rng.randrange(60))
        ))
        if at <= now and release_check(case, at, note=RELEASE_NOTE).allowed:
            release_case(case, statistician, at, note=RELEASE_NOTE)
        # Otherwise (a test still missing) it waits on the case page for a user to release it.
