"""The demo county's door-to-door screening (敲门行动): a county-wide campaign that started a month
ago, with visits recorded through the screening service as the workers would have recorded
them, so that coverage, revisits (待回访), follow-up flags and the daily reports' screening
figures (当日新增 and 累计 over the month) have something to show.

Most of the demo grid worker's village is visited, their own grid only partly (work left for
today); a few other villages of the town and the demo village worker's village are partly
visited; some villages in every town were taken up on later days of the campaign and are partly
visited; the rest of the county is not yet reached. A handful of members of the grid worker's
village answer that they came back from Wuhan or have a fever, which flags them for follow-up.
"""

import datetime
import math
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from fangkong.accounts.models import RoleAssignment
from fangkong.orgs.models import Unit
from fangkong.people.models import Household
from fangkong.screening.models import Campaign, FollowUpFlag, Outcome, Presence, Visit
from fangkong.screening.services.campaigns import check_campaign
from fangkong.screening.services.visits import record_visit

CAMPAIGN_NAME = "返乡人员入户摸排（敲门行动）"
# The more precise place first: an answer of 武汉 is then listed as 武汉, not as 武汉（属湖北）.
PLACES_OF_CONCERN = "武汉、湖北"
# The campaign started this many days before today; visits fall on those days, none today.
DAYS_RUNNING = 30
WORK_HOURS = (8, 19)

# Shares of households (completed, awaiting a revisit) in each visited part of the county.
OWN_GRID = (0.4, 0.15)
OWN_VILLAGE = (0.85, 0.08)
OTHER_VILLAGES = 3
OTHER_VILLAGE_COMPLETED = (0.25, 0.6)
OTHER_VILLAGE_REVISIT = 0.07
# Villages elsewhere in the county taken up during the campaign (a share of those left), each
# from a day of its own and partly visited by now.
REACHED_SHARE = 0.15
REACHED_COMPLETED = (0.1, 0.45)
REACHED_REVISIT = 0.05
# The last day a village can be taken up (days from the start), so that it has a few days of visits.
LAST_START = DAYS_RUNNING - 6
# Completed visits that needed a failed attempt first.
REVISITED_SHARE = 0.15
# Members met in the grid worker's village who answer that they came from Hubei / have a fever;
# at least one of each in the grid and in the rest of the village.
TRAVELLER_SHARE, FEVER_SHARE = 0.005, 0.002

TRAVELS_OF_CONCERN = ["武汉", "湖北省武汉市", "武汉市江岸区", "孝感", "黄冈"]
# Where people came home from for the Spring Festival, none of them in Hubei.
OTHER_PLACES = ["长沙", "岳阳", "广州", "深圳", "东莞", "南昌", "杭州"]
FEVER_SYMPTOMS = [["fever", "cough"], ["fever", "fatigue"], ["fever", "sore_throat"]]
FAILED_NOTES = {
    Outcome.NOBODY_HOME: ["家中无人，已张贴告知书并留联系电话", "铁门上锁，邻居称外出走亲戚", "家中无人"],
    Outcome.UNREACHABLE: ["电话无人接听", "电话关机", "号码已停机，待上门核实"],
}
CONCERN_NOTES = {
    "travel": "有湖北旅居史，已告知居家健康监测，报村（社区）防控组",
    "fever": "发热，已联系卫生院上门诊查",
}


@dataclass
class Area:
    """A part of the county to visit: each household in it is claimed by the first area."""

    unit: Unit
    completed: float
    revisit: float
    visitor: object
    flags_members: bool = False
    start: int = 0  # the day of the campaign (from 0) its visits begin


@dataclass
class PlannedVisit:
    household: Household
    visitor: object
    outcome: str
    visited_at: datetime.datetime
    answers: list = field(default_factory=list)
    note: str = ""


def demo_campaign(county):
    """The demo campaign, or None when it is not there (deleted in the admin)."""
    return Campaign.objects.filter(owner_unit=county, name=CAMPAIGN_NAME).first()


def create_screening(county, rng, now=None):
    """Create the campaign and record its visits; returns the campaign."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    statistician = RoleAssignment.objects.get(role__code="statistician", unit=county).user
    campaign = _campaign(county, today - datetime.timedelta(days=DAYS_RUNNING), statistician)
    planned = []
    for area, households in _households_by_area(_areas(county, rng, statistician)):
        visits = _plan_area(area, households, campaign.starts_on, rng)
        if area.flags_members:
            _add_concerns(visits, rng)
        planned += visits
    for visit in sorted(planned, key=lambda v: v.visited_at):
        record_visit(
            campaign=campaign, household=visit.household, user=visit.visitor, outcome=visit.outcome,
            answers=visit.answers, visited_at=visit.visited_at, note=visit.note,
        )
    # A flag is found at its visit, days ago here; the flag's creation stamped it with the moment
    # of the build, which would put every flag of the month on today's report.
    FollowUpFlag.objects.filter(campaign=campaign).update(
        created_at=Subquery(Visit.objects.filter(pk=OuterRef("visit_id")).values("visited_at")[:1])
    )
    return campaign


def _campaign(county, starts_on, statistician):
    towns = list(Unit.objects.get_children(county).filter(type="town"))
    check_campaign(county, towns, starts_on, None)
    campaign = Campaign.objects.create(
        name=CAMPAIGN_NAME, owner_unit=county, starts_on=starts_on, places_of_concern=PLACES_OF_CONCERN,
        created_by=statistician,
    )
    campaign.units.set(towns)
    # record_visit checks the scope of every visit: read it once.
    return Campaign.objects.prefetch_related("units").get(pk=campaign.pk)


def _areas(county, rng, statistician):
    """The grid worker's grid, the rest of their village, other villages of their town, and the
    villages that village workers hold, each visited by its worker or else the statistician."""
    workers = list(
        RoleAssignment.objects.filter(role__code="grid_worker", unit__path__startswith=county.path)
        .select_related("user", "unit").order_by("unit__path")
    )

    def visitor(unit):
        return next((w.user for w in workers if unit.path.startswith(w.unit.path)), statistician)

    grids = [w.unit for w in workers if w.unit.type == "grid"]
    areas = [Area(grid, *OWN_GRID, visitor(grid), flags_members=True) for grid in grids]
    if grids:
        village = Unit.objects.get_parent(grids[0])
        areas.append(Area(village, *OWN_VILLAGE, visitor(village), flags_members=True))
        town = Unit.objects.get_parent(village)
        others = Unit.objects.get_children(town).filter(type="village").exclude(pk=village.pk)
        for other in others[:OTHER_VILLAGES]:
            areas.append(Area(other, rng.uniform(*OTHER_VILLAGE_COMPLETED), OTHER_VILLAGE_REVISIT, visitor(other)))
    for worker in workers:
        if worker.unit.type == "village":
            areas.append(Area(worker.unit, rng.uniform(*OTHER_VILLAGE_COMPLETED), OTHER_VILLAGE_REVISIT, worker.user))
    taken = [area.unit.path for area in areas]
    rest = [
        village for village in Unit.objects.filter(path__startswith=county.path, type="village").order_by("path")
        if not any(village.path.startswith(path) or path.startswith(village.path) for path in taken)
    ]
    for village in rng.sample(rest, round(len(rest) * REACHED_SHARE)):
        areas.append(Area(village, rng.uniform(*REACHED_COMPLETED), REACHED_REVISIT, visitor(village),
                          start=rng.randrange(LAST_START)))
    return areas


def _households_by_area(areas):
    claimed = set()
    for area in areas:
        households = [
            h for h in Household.objects.filter(unit_path__startswith=area.unit.path)
            .prefetch_related("members").order_by("number")
            if h.pk not in claimed
        ]
        claimed.update(h.pk for h in households)
        yield area, households


def _plan_area(area, households, starts_on, rng):
    """Completed visits (some after a failed attempt), failed attempts awaiting a revisit, and the
    rest left unvisited; of two or more households not completed, one awaits a revisit and one is
    left for today."""
    households = list(households)
    rng.shuffle(households)
    count = len(households)
    completed = int(count * area.completed)
    revisit = min(max(1, round(count * area.revisit)), max(0, count - completed - 1))
    planned = []
    for household in households[:completed]:
        day = _day(area, rng)
        if day > area.start and rng.random() < REVISITED_SHARE:
            planned.append(_failed(area, household, rng.randrange(area.start, day), starts_on, rng))
        planned.append(PlannedVisit(
            household, area.visitor, Outcome.COMPLETED, _moment(starts_on, day, rng),
            answers=_answers(household, rng),
        ))
    for household in households[completed:completed + revisit]:
        planned.append(_failed(area, household, _day(area, rng), starts_on, rng))
    return planned


def _day(area, rng):
    """A day of the campaign for a visit in `area`: most in the first days after the area was
    taken up, fewer later, as the households left are the hard ones to find at home."""
    span = DAYS_RUNNING - area.start
    return area.start + min(span - 1, int(rng.triangular(0, span, span * 0.15)))


def _failed(area, household, day, starts_on, rng):
    outcome = Outcome.NOBODY_HOME if rng.random() < 0.7 else Outcome.UNREACHABLE
    return PlannedVisit(
        household, area.visitor, outcome, _moment(starts_on, day, rng), note=rng.choice(FAILED_NOTES[outcome])
    )


def _moment(starts_on, day, rng):
    start, end = WORK_HOURS
    minutes = rng.randrange((end - start) * 60)
    moment = datetime.datetime.combine(starts_on + datetime.timedelta(days=day), datetime.time(start))
    return timezone.make_aware(moment + datetime.timedelta(minutes=minutes))


def _answers(household, rng):
    """Every member accounted for: the head met at home or called, the others at home, reached by
    phone, or away (answered for by the family)."""
    answers = []
    for i, person in enumerate(sorted(household.members.all(), key=lambda p: (p.relation_to_head != "户主", p.pk))):
        roll = rng.random()
        if i == 0:
            presence = Presence.PRESENT if roll < 0.88 else Presence.PHONE
        else:
            presence = Presence.PRESENT if roll < 0.75 else Presence.PHONE if roll < 0.9 else Presence.ABSENT
        answer = {"person": person, "presence": presence}
        if presence == Presence.PRESENT:
            answer["temperature"] = Decimal(rng.randint(360, 370)) / 10
        if rng.random() < 0.15:
            answer["places_visited"] = rng.choice(OTHER_PLACES)
        answers.append(answer)
    return answers


def _add_concerns(visits, rng):
    """Make a handful of the members met in these visits travellers from Hubei or feverish."""
    met = [(visit, answer) for visit in visits for answer in visit.answers if answer["presence"] == Presence.PRESENT]
    fevers, travellers = math.ceil(len(met) * FEVER_SHARE), math.ceil(len(met) * TRAVELLER_SHARE)
    chosen = rng.sample(met, min(len(met), fevers + travellers))
    for visit, answer in chosen[:fevers]:
        answer["temperature"] = Decimal(rng.choice([375, 378, 382, 386])) / 10
        answer["symptoms"] = rng.choice(FEVER_SYMPTOMS)
        visit.note = CONCERN_NOTES["fever"]
    for visit, answer in chosen[fevers:]:
        answer["places_visited"] = rng.choice(TRAVELS_OF_CONCERN)
        visit.note = CONCERN_NOTES["travel"]
