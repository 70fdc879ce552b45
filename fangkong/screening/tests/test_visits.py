import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from fangkong.orgs.services import move_unit
from fangkong.people.models import Household, Person
from fangkong.screening.models import MemberAnswer, Visit
from fangkong.screening.services.visits import households_in, record_visit

from .conftest import answer, visit_time


def record(triad, campaign, household=None, **fields):
    fields = {"outcome": "completed", "answers": [answer(triad.east_person)], "visited_at": visit_time(1), **fields}
    return record_visit(campaign=campaign, household=household or triad.east_household, user=triad.inside, **fields)


def errors(call):
    with pytest.raises(ValidationError) as caught:
        call()
    assert not Visit.objects.exists()
    return caught.value.message_dict


def statuses(campaign, unit):
    return {h.number: h.status for h in households_in(campaign, unit)}


def test_a_completed_visit_records_the_members_answers(triad, campaigns):
    visit = record(triad, campaigns.town, answers=[answer(triad.east_person, places_visited="长沙", temperature=36.5)])
    assert visit.visited_by == triad.inside and visit.unit_path == triad.county.east_grid.path
    [recorded] = MemberAnswer.objects.filter(visit=visit)
    assert (recorded.person, recorded.presence, recorded.places_visited) == (triad.east_person, "present", "长沙")
    assert visit.history.count() == 1


def test_nobody_home_leaves_the_household_awaiting_a_revisit(triad, campaigns):
    record(triad, campaigns.town, outcome="nobody_home", answers=[])
    assert statuses(campaigns.town, triad.county.town) == {"H-EAST-1": "revisit", "H-WEST-1": "not_visited"}


def test_a_later_completed_visit_clears_the_revisit(triad, campaigns):
    record(triad, campaigns.town, outcome="unreachable", answers=[])
    record(triad, campaigns.town, visited_at=visit_time(2))
    assert statuses(campaigns.town, triad.county.east) == {"H-EAST-1": "visited"}


def test_a_failed_attempt_after_completion_does_not_undo_it(triad, campaigns):
    record(triad, campaigns.town)
    record(triad, campaigns.town, outcome="nobody_home", answers=[], visited_at=visit_time(2))
    assert statuses(campaigns.town, triad.county.east) == {"H-EAST-1": "visited"}


def test_household_outside_the_scope_is_refused(triad, campaigns):
    found = errors(lambda: record(triad, campaigns.east, household=triad.west_household,
                                  answers=[answer(triad.west_person)]))
    assert found["household"] == ["该户不在“东门村入户摸排”的摸排范围内。"]


def test_a_completed_visit_accounts_for_every_member(triad, campaigns):
    Person.objects.create(name="张小丰", unit=triad.county.east_grid, household=triad.east_household)
    assert errors(lambda: record(triad, campaigns.town))["answers"] == ["请填写户内成员“张小丰”的在家情况。"]


def test_a_completed_visit_needs_someone_present_or_reached(triad, campaigns):
    found = errors(lambda: record(triad, campaigns.town, answers=[answer(triad.east_person, "absent")]))
    assert found["answers"] == ["走访结果为“已完成”时，至少应有一名成员在家或已电话核实。"]


def test_nobody_home_cannot_have_a_member_at_home(triad, campaigns):
    found = errors(lambda: record(triad, campaigns.town, outcome="nobody_home"))
    assert found["answers"] == ["走访结果为“无人在家”时，成员不能是“在家”或“电话核实”。"]


def test_answers_only_for_members_of_the_household(triad, campaigns):
    both = [answer(triad.east_person), answer(triad.west_person)]
    found = errors(lambda: record(triad, campaigns.town, answers=both))
    assert found["answers"] == ["“李四”不是该户成员。"]


def test_a_member_answers_once(triad, campaigns):
    found = errors(lambda: record(triad, campaigns.town, answers=[answer(triad.east_person)] * 2))
    assert found["answers"] == ["“张三丰”填写了不止一次。"]


def test_visit_dates_lie_within_the_campaign(triad, campaigns):
    campaign = campaigns.town
    campaign.ends_on = datetime.date(2022, 1, 31)
    campaign.save()
    found = errors(lambda: record(triad, campaign, visited_at=visit_time(-1)))
    assert found["visited_at"] == ["走访日期应在活动期间（2022年1月25日至2022年1月31日）内。"]
    assert "visited_at" in errors(lambda: record(triad, campaign, visited_at=visit_time(7)))


def test_a_visit_cannot_be_in_the_future(triad, campaigns):
    later = timezone.now() + datetime.timedelta(hours=1)
    assert errors(lambda: record(triad, campaigns.town, visited_at=later))["visited_at"] == ["走访时间不能晚于现在。"]


def test_moving_a_unit_carries_visits_and_campaigns_along(triad, campaigns):
    visit = record(triad, campaigns.town)
    move_unit(triad.county.east_grid, triad.county.west)
    grid = triad.county.east_grid
    grid.refresh_from_db()
    assert Visit.objects.get(pk=visit.pk).unit_path == grid.path
    assert Household.objects.get(pk=triad.east_household.pk).unit_path == grid.path
    move_unit(triad.county.east, triad.county.other_town)
    east = triad.county.east
    east.refresh_from_db()
    campaigns.east.refresh_from_db()
    assert campaigns.east.unit_path == east.path
