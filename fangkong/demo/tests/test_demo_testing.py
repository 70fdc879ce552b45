"""The demo county's round of whole-population testing, end to end: tubes, results, the positive
tube chased, certificates and coverage, on the small demo county."""

import datetime

import pytest
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from fangkong.accounts.models import User
from fangkong.alerts.models import Alert, AlertKind
from fangkong.control.models import ControlCase, PlaceKind
from fangkong.leads.models import LeadSource
from fangkong.lib.dates import cn_datetime, day_end
from fangkong.orgs.models import Unit, UnitType
from fangkong.people.models import Person
from fangkong.testing.models import (
    Chase,
    ChaseMember,
    Exemption,
    GroupMember,
    Result,
    RetestOrder,
    Sample,
    Target,
    Tube,
    TubeResult,
    TubeStatus,
)
from fangkong.testing.models import TestingRound as Round  # not collected as a test class
from fangkong.testing.services.chasing import member_details, visible_chases
from fangkong.testing.services.coverage import not_sampled, round_coverage
from fangkong.testing.services.frequency import overdue
from fangkong.testing.services.rounds import rounds_for

FINDINGS = [Result.NEGATIVE, Result.POSITIVE, Result.ABNORMAL]


def the_round():
    return Round.objects.get(target=Target.ALL_RESIDENTS)


def scope(testing_round):
    return list(testing_round.scope.order_by("path"))


def retest_samples():
    return RetestOrder.objects.filter(sample__isnull=False).values("sample_id")


def positive_tube(testing_round):
    return Tube.objects.get(round=testing_round, result=Result.POSITIVE)


def user(name):
    return User.objects.get(username=name)


def test_the_round_covers_villages_with_their_own_points_and_the_county_owns_it(built_demo, db):
    testing_round = the_round()
    villages = scope(testing_round)
    assert testing_round.owner_unit.type == UnitType.COUNTY and testing_round.pool_size() == 10
    assert len(villages) >= 2 and {v.type for v in villages} == {UnitType.VILLAGE}
    points = list(testing_round.points.select_related("unit"))
    for village in villages:
        assert any(Unit.objects.get_parent(p.unit) == village for p in points), village.name
    assert all(p.unit.type == UnitType.SAMPLING_POINT and p.opens_at and p.closes_at and p.staff for p in points)
    # The sampling was yesterday, the round ends today.
    assert testing_round.ends_on == timezone.localdate()
    assert {timezone.localdate(t) for t in Sample.objects.filter(round=testing_round)
            .values_list("scanned_at", flat=True)} == {testing_round.starts_on}


def test_tubes_hold_at_most_their_capacity_and_each_person_is_in_one_tube(built_demo, db):
    testing_round = the_round()
    tubes = Tube.objects.filter(round=testing_round).annotate(n=Count("samples"))
    assert tubes.count() > 20
    for tube in tubes:
        assert 1 <= tube.n == tube.size <= tube.capacity, tube.barcode
        assert tube.capacity in (1, 10) and tube.status != TubeStatus.OPEN and tube.closed_at
    assert tubes.filter(capacity=10, size=10).count() > tubes.count() // 2
    samples = Sample.objects.filter(round=testing_round)
    # Apart from the single-tube retests of the positive tube's members, each person is in one tube.
    pooled = samples.exclude(pk__in=retest_samples())
    assert pooled.count() == pooled.values("person").distinct().count()
    retested = samples.filter(pk__in=retest_samples())
    assert retested.exists() and {s.tube.capacity for s in retested} == {1}
    assert set(retested.values_list("person", flat=True)) <= set(
        positive_tube(testing_round).samples.values_list("person", flat=True))
    # Only people of the round's villages are sampled, one of them registered at the point.
    paths = [v.path for v in scope(testing_round)]
    assert all(any(p.startswith(v) for v in paths) for p in samples.values_list("unit_path", flat=True))
    assert samples.filter(person__is_provisional=True).count() == 1


def test_people_under_control_are_sampled_alone_or_exempted_at_their_site(built_demo, db):
    testing_round = the_round()
    paths = Q()
    for village in scope(testing_round):
        paths |= Q(unit_path__startswith=village.path)
    cases = ControlCase.objects.active().filter(paths)
    assert cases.filter(place=PlaceKind.HOME).exists()
    for case in cases:
        tubes = Tube.objects.filter(round=testing_round, samples__person=case.person_id)
        if case.place == PlaceKind.SITE:
            assert not tubes.exists() and Exemption.objects.filter(person=case.person_id, reason="controlled").exists()
        else:
            assert [t.capacity for t in tubes] == [1]


def test_the_lab_reported_one_positive_one_abnormal_an_invalid_rerun_and_duplicates(built_demo, db):
    testing_round = the_round()
    tubes = Tube.objects.filter(round=testing_round)
    assert tubes.filter(batch__isnull=True).count() == 0
    assert tubes.filter(result=Result.POSITIVE).count() == 1 and tubes.filter(result=Result.ABNORMAL).count() == 1
    positive = positive_tube(testing_round)
    assert list(positive.results.values_list("result", "conflicting")) == [(Result.POSITIVE, False)] * \
        positive.results.count()
    assert positive.results.first().ct_values["ORF1ab"] < 35 and not positive.conflict
    # The abnormal tube re-tested negative: both kept, the first stands, flagged and alerted.
    abnormal = tubes.get(result=Result.ABNORMAL)
    assert abnormal.conflict
    assert list(abnormal.results.values_list("result", "conflicting")) == [
        (Result.ABNORMAL, False), (Result.NEGATIVE, True)]
    assert Alert.objects.filter(kind=AlertKind.RESULT_CONFLICT, key=f"result_conflict:{abnormal.pk}",
                                origin_unit=abnormal.point.unit).exists()
    # The invalid run was repeated: the negative replaces it, no conflict.
    rerun = tubes.get(results__result=Result.INVALID)
    assert rerun.result == Result.NEGATIVE and not rerun.conflict
    assert list(rerun.results.values_list("result", flat=True)) == [Result.INVALID, Result.NEGATIVE]
    # Part of an upload sent twice: the same result again, nothing changed.
    reported = {}
    for barcode, result in TubeResult.objects.filter(tube__round=testing_round).values_list("tube__barcode", "result"):
        reported.setdefault(barcode, []).append(result)
    assert [Result.NEGATIVE, Result.NEGATIVE] in reported.values()
    assert not TubeResult.objects.filter(tube__round=testing_round, conflicting=True).exclude(tube=abnormal).exists()
    # Everything else negative; one retest still at the lab.
    assert tubes.exclude(result__in=FINDINGS).count() == 1
    pending = tubes.exclude(result__in=FINDINGS).get()
    assert pending.status == TubeStatus.RECEIVED and pending.capacity == 1


def test_the_positive_tube_is_chased_with_leads_retests_and_alerts(built_demo, db):
    testing_round = the_round()
    tube = positive_tube(testing_round)
    chase = Chase.objects.get(tube=tube)
    members = list(ChaseMember.objects.filter(chase=chase).select_related("lead", "person"))
    assert {m.person_id for m in members} == set(tube.samples.values_list("person", flat=True))
    assert len(members) == tube.size >= 2
    for member in members:
        assert member.lead.source == LeadSource.TESTING and member.lead.person_id == member.person_id
        assert member.lead.unit_path == member.person.unit_path
        assert RetestOrder.objects.filter(person=member.person_id, reason_tube=tube).count() == 1
    assert chase.due_at == tube.result_at + datetime.timedelta(hours=2)
    # One alert at the point listing the tube and one in each unit where members live.
    alerts = Alert.objects.filter(kind=AlertKind.POSITIVE_TUBE, key__endswith=f":{chase.pk}").select_related(
        "origin_unit", "unit")
    assert {a.origin_unit_id for a in alerts} == {tube.point.unit_id} | {m.person.unit_id for m in members}
    assert all(a.origin_unit.path.startswith(a.unit.path) for a in alerts)
    # Most found in time, one late, one still missing: the chase is overdue.
    located = [m for m in members if m.located_at]
    assert 1 <= len(located) == len(members) - 1
    assert sum(m.located_at > chase.due_at for m in located) == 1
    assert chase.completed_at is None
    assert Alert.objects.filter(kind=AlertKind.CHASE_OVERDUE, key=f"chase_overdue:{chase.pk}",
                                resolved_at__isnull=True).exists()
    # The abnormal tube's members were all found in time.
    other = Chase.objects.get(tube__round=testing_round, result=Result.ABNORMAL)
    assert other.completed_at and other.completed_at <= other.due_at
    # Half the located members were retested alone.
    done = RetestOrder.objects.filter(reason_tube=tube, done_at__isnull=False)
    assert done.exists() and set(done.values_list("person", flat=True)) <= {m.person_id for m in located}


def test_the_grid_worker_sees_the_chase_with_the_located_times(built_demo, db, as_user):
    testing_round = the_round()
    chase = Chase.objects.get(tube=positive_tube(testing_round))
    worker, neighbour = user("grid_worker"), user("village_worker")
    assert visible_chases(worker).filter(pk=chase.pk).exists()
    assert not visible_chases(neighbour).filter(pk=chase.pk).exists()
    assert testing_round in rounds_for(worker) and testing_round not in rounds_for(neighbour)
    details = member_details(chase, worker)
    for row in details:
        if row.member.located_at:
            assert row.minutes_to_locate == int((row.member.located_at - chase.tube.result_at).total_seconds() // 60)
        else:
            assert row.minutes_to_locate is None
    page = as_user(worker).get(reverse("testing:chase_detail", args=[chase.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    for row in details:
        if row.member.located_at:
            assert f"{row.minutes_to_locate}分钟" in html
            assert cn_datetime(row.member.located_at, minutes=True) in html
    assert "超过时限" in html
    assert as_user(neighbour).get(reverse("testing:chase_detail", args=[chase.pk])).status_code == 404


def certificate(api, id_number, hours=48):
    response = api(user("checkpoint_staff")).get("/api/v1/testing/certificate/",
                                                  {"id_number": id_number, "hours": hours})
    assert response.status_code == 200, response.content
    return response.json()


def test_certificates_at_the_checkpoint(built_demo, db, api):
    testing_round = the_round()
    now = timezone.now()
    # A person of a negative tube, tested once: valid within 48 hours.
    once = Sample.objects.values("person").annotate(n=Count("pk")).filter(n=1).values("person")
    negative = (Sample.objects.filter(round=testing_round, tube__result=Result.NEGATIVE, tube__conflict=False,
                                      person__in=once, person__is_provisional=False)
                .select_related("person", "tube").order_by("pk").first())
    answer = certificate(api, negative.person.id_number)
    assert answer["valid"] and 0 < answer["age_hours"] <= 48
    assert now - negative.tube.result_at <= datetime.timedelta(hours=48)
    # A member of the positive tube not yet retested: not valid.
    retested = RetestOrder.objects.filter(done_at__isnull=False).values("person")
    member = (ChaseMember.objects.filter(chase__tube=positive_tube(testing_round)).exclude(person__in=retested)
              .select_related("person").order_by("pk").first())
    assert not certificate(api, member.person.id_number)["valid"]
    assert not certificate(api, member.person.id_number, 168)["valid"]
    # A retested member's single-tube negative is valid.
    retest = RetestOrder.objects.filter(sample__tube__result=Result.NEGATIVE).select_related("person").first()
    assert certificate(api, retest.person.id_number)["valid"]
    # Someone left for door-knocking holds nothing.
    missing = not_sampled(testing_round, testing_round.owner_unit).exclude(id_number="").filter(samples__isnull=True)
    answer = certificate(api, missing.first().id_number)
    assert not answer["valid"] and answer["tested_at"] is None


def expected_coverage(testing_round, path):
    """Counts taken straight from the tables for the round's residents under `path`."""
    in_scope = Q()
    for village in scope(testing_round):
        in_scope |= Q(unit_path__startswith=village.path)
    residents = Person.objects.filter(in_scope, unit_path__startswith=path, is_provisional=False)
    exemptions = Exemption.objects.filter(
        Q(round=testing_round) | Q(round__isnull=True, starts_on__lte=testing_round.ends_on)
        & (Q(ends_on__isnull=True) | Q(ends_on__gte=testing_round.starts_on)))
    exempt = residents.filter(pk__in=exemptions.values("person"))
    sampled = residents.exclude(pk__in=exempt.values("pk")).filter(
        pk__in=Sample.objects.filter(round=testing_round).values("person"))
    return {"target": residents.count() - exempt.count(), "exempt": exempt.count(), "sampled": sampled.count()}


def test_coverage_equals_the_counts_taken_from_the_tables(built_demo, db):
    testing_round = the_round()
    day = testing_round.starts_on
    villages = scope(testing_round)
    grid = Unit.objects.get(pk=user("grid_worker").role_assignments.get().unit_id)
    town = Unit.objects.get_parent(villages[0])
    paths = [town.path, grid.path, *(v.path for v in villages)]
    coverage = round_coverage(paths, day)
    for path in paths:
        assert coverage[path] == expected_coverage(testing_round, path), path
    totals = coverage[town.path]
    assert totals["exempt"] >= 2 * len(villages)
    assert 0 < totals["target"] - totals["sampled"] < totals["target"] * 0.05
    # Those not yet sampled are listed for door-knocking, exemptions apart.
    for village in villages:
        left = not_sampled(testing_round, village)
        assert left.count() == coverage[village.path]["target"] - coverage[village.path]["sampled"]
        assert not left.filter(testing_exemptions__isnull=False).exists()
    # The sampling was over by the end of the day; before it began nobody was sampled.
    morning = round_coverage(paths, day, as_of=day_end(day - datetime.timedelta(days=1)))
    assert all(row["sampled"] == 0 for row in morning.values())


def test_key_groups_are_tested_on_their_schedule_and_some_are_overdue(built_demo, db):
    groups = set(GroupMember.objects.values_list("group", flat=True))
    assert {"high_risk_post", "other_staff", "cold_chain", "staff_family"} <= groups
    assert GroupMember.objects.filter(group="high_risk_post", unit__type=UnitType.CLINIC).exists()
    assert GroupMember.objects.filter(group="cold_chain", unit__type=UnitType.COMPANY).exists()
    today = timezone.localdate()
    late = overdue(GroupMember.objects.all(), today)
    assert {"high_risk_post", "cold_chain", "staff_family"} <= {s.member.group for s in late}
    assert len(late) < GroupMember.objects.count() / 2
    keyed = Round.objects.get(target=Target.KEY_GROUPS)
    assert Tube.objects.filter(round=keyed).exclude(result=Result.NEGATIVE).count() == 0
    days = {timezone.localdate(t) for t in Sample.objects.filter(round=keyed).values_list("scanned_at", flat=True)}
    assert len(days) >= 5 and max(days) < today
    assert Alert.objects.filter(kind=AlertKind.TEST_OVERDUE).exists()


@pytest.mark.parametrize("name", ["testing_staff", "statistician"])
def test_the_testing_staff_sees_only_their_points_tubes(built_demo, db, name):
    tubes = Tube.objects.restrict(user(name))
    if name == "statistician":
        assert tubes.count() == Tube.objects.count()
    else:
        point = user(name).role_assignments.get().unit
        assert tubes.exists() and not tubes.exclude(unit_path=point.path).exists()
        assert tubes.count() < Tube.objects.filter(round=the_round()).count()


def test_the_demo_command_reports_the_round(built_demo, db):
    testing_round = the_round()
    line = next(line for line in built_demo.splitlines() if line.startswith(testing_round.name))
    tubes = Tube.objects.filter(round=testing_round).count()
    assert f"{tubes} 管" in line and "已追踪 (chased) 2" in line
    assert any(line.startswith("testing_staff ") for line in built_demo.splitlines())
    assert any(line.startswith("vaccination_staff ") for line in built_demo.splitlines())
