"""Chasing positive or abnormal tubes: chases, members, leads, retest orders, alerts, located
timing, the overdue alert and the positive single tube."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fangkong.alerts.models import Alert, AlertKind, AlertRule
from fangkong.conftest import fictional_id
from fangkong.control.models import ControlCase
from fangkong.control.testing import local, make_case
from fangkong.leads.models import Lead, LeadSource, LeadStatus
from fangkong.leads.services.workflow import verify_lead
from fangkong.orgs.services import add_unit
from fangkong.people.models import Person
from fangkong.testing.models import (
    Chase,
    ChaseMember,
    Result,
    RetestOrder,
    Sample,
    SamplingPoint,
    TestingRound,
    Tube,
    TubeStatus,
)
from fangkong.testing.services.chasing import chase_tubes, member_details, refresh_located

DAY = datetime.date(2022, 4, 10)
RESULT_AT = local(DAY, datetime.time(10, 0))
NOW = local(DAY, datetime.time(10, 5))


def make_point(county, under=None, code="SP-EAST"):
    unit = add_unit(under or county.east, code=code, name=f"采样点{code}", type="sampling_point")
    round_ = TestingRound.objects.create(name="第1轮全员核酸", owner_unit=county.town, starts_on=DAY, ends_on=DAY)
    return SamplingPoint.objects.create(round=round_, unit=unit)


def make_people(unit, n, start=100):
    return [Person.objects.create(name=f"居民{start + i}", id_number=fictional_id(seq=start + i),
                                  phone=f"1380013{start + i:04d}", unit=unit, address=f"{unit.name}{i}号")
            for i in range(n)]


def make_tube(point, people, barcode, result=Result.POSITIVE, capacity=10, result_at=RESULT_AT):
    tube = Tube.objects.create(barcode=barcode, round=point.round, point=point, unit_path=point.unit_path,
                               capacity=capacity, size=len(people), status=TubeStatus.RESULTED,
                               opened_at=result_at - datetime.timedelta(hours=5), result=result,
                               result_at=result_at)
    for person in people:
        Sample.objects.create(tube=tube, round=point.round, person=person, unit_path=person.unit_path,
                              scanned_at=tube.opened_at)
    return tube


@pytest.fixture
def ten(triad):
    """A positive tube at a point of 东门村: 7 people of 东门一组 (with 张三丰) and 3 of 西门一组."""
    county = triad.county
    point = make_point(county)
    people = [triad.east_person, *make_people(county.east_grid, 6), *make_people(county.west_grid, 3, start=200)]
    return point, people, make_tube(point, people, "T0001")


def test_chasing_a_ten_member_positive_tube_makes_members_leads_retests_and_alerts(triad, ten):
    point, people, tube = ten
    [chase] = chase_tubes([tube], NOW)

    assert chase.due_at == RESULT_AT + datetime.timedelta(hours=2)
    assert chase.unit_path == point.unit_path
    members = list(chase.members.select_related("lead", "person"))
    assert {m.person_id for m in members} == {p.pk for p in people}
    leads = Lead.objects.filter(pk__in=[m.lead_id for m in members])
    assert leads.count() == 10
    for member in members:
        lead = member.lead
        assert lead.source == LeadSource.TESTING and lead.status == LeadStatus.RECEIVED
        assert lead.unit_id == member.person.unit_id and lead.unit_path == member.person.unit_path
        assert lead.person_id == member.person_id and lead.id_number == member.person.id_number
        assert lead.verify_due_at == NOW + datetime.timedelta(minutes=120)
        assert lead.dispose_due_at == local(DAY + datetime.timedelta(days=1), datetime.time(0))
        assert "T0001" in lead.reason
        assert lead.history.count() == 1
    assert RetestOrder.objects.filter(reason_tube=tube).count() == 10
    alerts = Alert.objects.filter(kind=AlertKind.POSITIVE_TUBE)
    assert {a.origin_unit_id for a in alerts} == {point.unit_id, triad.county.east_grid.pk, triad.county.west_grid.pk}
    west = alerts.get(origin_unit=triad.county.west_grid)
    assert "3人" in west.title and "居民200" in west.detail and "居民100" not in west.detail


def test_chasing_the_same_tube_again_changes_nothing(ten):
    _point, _people, tube = ten
    chase_tubes([tube], NOW)
    assert chase_tubes([tube], NOW + datetime.timedelta(minutes=1)) == []
    assert Chase.objects.count() == 1 and ChaseMember.objects.count() == 10
    assert Lead.objects.count() == 10 and RetestOrder.objects.count() == 10
    assert Alert.objects.filter(kind=AlertKind.POSITIVE_TUBE).count() == 3


def test_negative_and_invalid_tubes_are_not_chased(triad):
    point = make_point(triad.county)
    negative = make_tube(point, make_people(triad.county.east_grid, 2), "N1", result=Result.NEGATIVE)
    invalid = make_tube(point, make_people(triad.county.east_grid, 2, start=300), "I1", result=Result.INVALID)
    assert chase_tubes([negative, invalid.pk], NOW) == []
    assert not Chase.objects.exists()


def test_abnormal_tube_is_chased_too(triad):
    point = make_point(triad.county)
    tube = make_tube(point, make_people(triad.county.east_grid, 3), "A1", result=Result.ABNORMAL)
    [chase] = chase_tubes([tube], NOW)
    assert chase.result == Result.ABNORMAL and chase.members.count() == 3


def test_deadline_comes_from_the_chase_overdue_rule(triad):
    AlertRule.objects.create(kind=AlertKind.CHASE_OVERDUE, unit=triad.county.town, params={"minutes": "90"})
    point = make_point(triad.county)
    tube = make_tube(point, make_people(triad.county.east_grid, 2), "R1")
    [chase] = chase_tubes([tube], NOW)
    assert chase.due_at == RESULT_AT + datetime.timedelta(minutes=90)


def test_a_member_is_located_when_their_lead_is_verified(triad, ten):
    _point, people, tube = ten
    [chase] = chase_tubes([tube], NOW)
    member = chase.members.get(person=triad.east_person)
    verify_lead(member.lead, triad.inside, local(DAY, datetime.time(10, 40)), note="已电话联系本人")

    counts = refresh_located(local(DAY, datetime.time(10, 45)))

    member.refresh_from_db()
    assert counts["chase_members_located"] == 1
    assert member.located_at == local(DAY, datetime.time(10, 40))
    [row] = [d for d in member_details(chase, triad.inside) if d.member.pk == member.pk]
    assert row.minutes_to_locate == 40 and not row.late
    chase.refresh_from_db()
    assert chase.completed_at is None


def test_a_member_is_located_when_a_case_is_opened_for_them(triad, ten):
    _point, people, tube = ten
    [chase] = chase_tubes([tube], NOW)
    make_case(people[1], opened_at=local(DAY, datetime.time(11, 0)))
    refresh_located(local(DAY, datetime.time(11, 1)))
    assert chase.members.get(person=people[1]).located_at == local(DAY, datetime.time(11, 0))


def test_all_members_located_completes_the_chase(triad):
    point = make_point(triad.county)
    people = make_people(triad.county.east_grid, 2)
    [chase] = chase_tubes([make_tube(point, people, "C1")], NOW)
    for i, member in enumerate(chase.members.select_related("lead")):
        verify_lead(member.lead, triad.inside, local(DAY, datetime.time(10, 20 + i)))
    refresh_located(local(DAY, datetime.time(10, 30)))
    chase.refresh_from_db()
    assert chase.completed_at == local(DAY, datetime.time(10, 21))


def test_overdue_chase_raises_one_alert_after_two_hours(triad, ten):
    _point, _people, tube = ten
    [chase] = chase_tubes([tube], NOW)
    member = chase.members.get(person=triad.east_person)
    verify_lead(member.lead, triad.inside, local(DAY, datetime.time(10, 30)))

    assert refresh_located(local(DAY, datetime.time(11, 59)))["chases_overdue"] == 0
    assert refresh_located(local(DAY, datetime.time(12, 0)))["chases_overdue"] == 1
    assert refresh_located(local(DAY, datetime.time(12, 30)))["chases_overdue"] == 0

    alert = Alert.objects.get(kind=AlertKind.CHASE_OVERDUE)
    assert alert.key == f"chase_overdue:{chase.pk}" and "9人未找到" in alert.title
    assert alert.resolved_at is None


def test_overdue_alert_is_settled_when_the_last_member_is_found(triad):
    point = make_point(triad.county)
    [chase] = chase_tubes([make_tube(point, make_people(triad.county.east_grid, 1), "O1", capacity=10)], NOW)
    refresh_located(local(DAY, datetime.time(12, 5)))
    member = chase.members.select_related("lead").get()
    verify_lead(member.lead, triad.inside, local(DAY, datetime.time(12, 30)))
    refresh_located(local(DAY, datetime.time(12, 35)))
    alert = Alert.objects.get(kind=AlertKind.CHASE_OVERDUE)
    assert alert.resolved_at is not None
    [row] = member_details(chase, triad.inside)
    assert row.minutes_to_locate == 150 and row.late


def test_positive_single_tube_prompts_to_confirm_the_case_and_register_contacts(triad):
    point = make_point(triad.county)
    tube = make_tube(point, [triad.east_person], "S1", capacity=1)
    [chase] = chase_tubes([tube], NOW)
    member = chase.members.select_related("lead").get()
    assert "单管阳性" in member.lead.reason and "密切接触者" in member.lead.reason
    [row] = member_details(chase, triad.inside)
    assert row.prompt_case
    assert not ControlCase.objects.filter(person=triad.east_person).exists()

    case = make_case(triad.east_person, opened_at=local(DAY, datetime.time(10, 30)))
    [row] = member_details(chase, triad.inside)
    assert not row.prompt_case and row.case == case


def test_a_pooled_positive_tube_does_not_prompt_for_a_case(ten, triad):
    _point, _people, tube = ten
    [chase] = chase_tubes([tube], NOW)
    assert not any(row.prompt_case for row in member_details(chase, triad.inside))


def test_a_member_already_under_control_is_located_at_the_start(triad, ten):
    _point, people, tube = ten
    make_case(people[2], opened_at=local(DAY - datetime.timedelta(days=3), datetime.time(9)))
    [chase] = chase_tubes([tube], NOW)
    assert chase.members.get(person=people[2]).located_at == NOW


def test_member_details_give_household_grid_cadres_and_masked_identity(triad, ten):
    from fangkong.orgs.models import Assignment

    _point, people, tube = ten
    spouse = Person.objects.create(name="张夫人", unit=triad.county.east_grid, household=triad.east_household,
                                   relation_to_head="配偶")
    Assignment.objects.create(unit=triad.county.east, person_name="王包联", title="镇干部", phone="13700001111")
    [chase] = chase_tubes([tube], NOW)
    rows = {row.person.pk: row for row in member_details(chase, triad.readonly)}
    row = rows[triad.east_person.pk]
    assert ("张夫人", "配偶") in row.household and spouse.pk != triad.east_person.pk
    assert any(name == "王包联" for _u, name, _t, _p in row.cadres)
    assert ("东门村", "east_worker") in row.staff or any(u == "东门村" for u, _n in row.staff)
    assert "*" in row.id_number and "*" in row.phone
    assert "*" in row.cadres[0][3]
    full = {row.person.pk: row for row in member_details(chase, triad.inside)}[triad.east_person.pk]
    assert full.id_number == triad.east_person.id_number and full.phone == "13800135678"


def _chase_queries(triad, tubes, people_per_tube, start):
    point = make_point(triad.county, code=f"SP{start}")
    half = people_per_tube // 2
    tubes = [make_tube(point, make_people(triad.county.east_grid, half, start=start + i * people_per_tube)
                       + make_people(triad.county.west_grid, half, start=start + i * people_per_tube + half),
                       f"Q{start}-{i}")
             for i in range(tubes)]
    with CaptureQueriesContext(connection) as queries:
        chases = chase_tubes(tubes, NOW)
    assert len(chases) == len(tubes)
    return len(queries)


def test_chase_tubes_is_set_based(triad, django_assert_max_num_queries):
    one = _chase_queries(triad, 1, 10, 400)
    five = _chase_queries(triad, 5, 10, 500)
    assert five <= one  # the same statements whatever the number of tubes and members
    point = make_point(triad.county, code="SP900")
    tubes = [make_tube(point, make_people(triad.county.east_grid, 10, start=900 + i * 10), f"M{i}") for i in range(5)]
    with django_assert_max_num_queries(30):
        chase_tubes(tubes, NOW)
    assert ChaseMember.objects.filter(chase__tube__in=tubes).count() == 50
