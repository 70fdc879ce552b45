import datetime

from django.utils import timezone

from fangkong.accounts.models import RoleAssignment, User
from fangkong.demo.services.screening import DAYS_RUNNING
from fangkong.orgs.models import Unit
from fangkong.people.models import Person
from fangkong.screening.models import Campaign, FollowUpFlag, MemberAnswer, Outcome, Visit
from fangkong.screening.services.coverage import coverage
from fangkong.screening.services.follow_up import open_flags

from .test_demo_command import county


def held_unit(username):
    return RoleAssignment.objects.get(user__username=username).unit


def the_campaign():
    return Campaign.objects.get(owner_unit=county())


def test_demo_runs_a_county_wide_campaign_that_is_still_open(built_demo, db):
    output = built_demo
    campaign = the_campaign()
    root = county()
    assert set(campaign.units.all()) == set(Unit.objects.get_children(root).filter(type="town"))
    today = timezone.localdate()
    assert campaign.starts_on < today and campaign.ends_on is None
    assert "武汉" in campaign.places_of_concern and "湖北" in campaign.places_of_concern
    assert campaign.created_by == User.objects.get(username="statistician")
    assert campaign.name in output and "待回访" in output
    visit_days = {timezone.localdate(moment) for moment in campaign.visits.values_list("visited_at", flat=True)}
    assert min(visit_days) >= campaign.starts_on and max(visit_days) < today
    # A month of visits, so that the daily reports' screening figures have a history.
    assert campaign.starts_on == today - datetime.timedelta(days=DAYS_RUNNING) and len(visit_days) >= 10


def test_the_grid_workers_village_is_mostly_visited_and_their_grid_partly(built_demo, db):
    campaign = the_campaign()
    grid = held_unit("grid_worker")
    village = Unit.objects.get_parent(grid)
    in_village = coverage(campaign, village).total
    assert 50 < in_village.household_rate < 100
    assert in_village.households_revisit > 0
    assert 0 < in_village.person_rate < 100
    in_grid = coverage(campaign, grid).total
    assert in_grid.households_visited > 0 and in_grid.households_not_visited > 0
    assert in_grid.household_rate < in_village.household_rate
    # Other villages of the town are under way; some of the county is not reached yet.
    town_rows = coverage(campaign, Unit.objects.get_parent(village)).rows
    assert any(0 < row.household_rate < 100 for row in town_rows if row.unit != village)
    villages = Unit.objects.filter(path__startswith=county().path, type="village")
    assert any(not Visit.objects.filter(unit_path__startswith=v.path).exists() for v in villages)


def test_visits_are_recorded_by_the_worker_of_the_unit_or_the_statistician(built_demo, db):
    grid, village = held_unit("grid_worker"), held_unit("village_worker")
    visits = Visit.objects.all()
    by_grid_worker = visits.filter(unit_path__startswith=grid.path)
    assert by_grid_worker.exists()
    assert set(by_grid_worker.values_list("visited_by__username", flat=True)) == {"grid_worker"}
    by_village_worker = visits.filter(unit_path__startswith=village.path)
    assert by_village_worker.exists()
    assert set(by_village_worker.values_list("visited_by__username", flat=True)) == {"village_worker"}
    elsewhere = visits.exclude(unit_path__startswith=grid.path).exclude(unit_path__startswith=village.path)
    assert set(elsewhere.values_list("visited_by__username", flat=True)) == {"statistician"}
    # Recorded through the screening service, which keeps each visit's history.
    assert Visit.history.count() == visits.count()
    assert set(visits.values_list("outcome", flat=True)) == set(Outcome.values)


def test_some_members_are_flagged_for_follow_up_in_the_grid_workers_village(built_demo, db):
    campaign = the_campaign()
    grid = held_unit("grid_worker")
    village = Unit.objects.get_parent(grid)
    flagged = Person.objects.filter(needs_follow_up=True)
    assert flagged.exists()
    assert not flagged.exclude(unit_path__startswith=village.path).exists()
    flags = FollowUpFlag.objects.filter(campaign=campaign)
    # Flags of the rest of the village have been taken up as leads (see the control demo).
    still_open = flags.filter(resolved_at__isnull=True)
    assert set(still_open.values_list("person", flat=True)) == set(flagged.values_list("pk", flat=True))
    reasons = {reason["code"] for flag in flags for reason in flag.reasons}
    # Each flag dates from the visit that found it, so the daily reports count it on that day.
    assert all(flag.created_at == flag.visit.visited_at for flag in flags.select_related("visit"))
    assert {"travel", "fever"} <= reasons
    assert open_flags(User.objects.get(username="grid_worker")).exists()
    # Nobody else answered anything that meets the criteria.
    answers = MemberAnswer.objects.exclude(person__in=flags.values("person"))
    assert not answers.filter(temperature__gte=campaign.fever_threshold).exists()
    assert not answers.exclude(symptoms=[]).exists()
