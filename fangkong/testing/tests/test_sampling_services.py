"""Sampling services: opening tubes, identifying scanned codes, the scanning batch with its
per-code refusals, auto-close at capacity, closing by hand."""

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fangkong.conftest import fictional_id
from fangkong.control.testing import make_case
from fangkong.people.models import Person
from fangkong.testing.models import RetestOrder, Sample, TubeStatus
from fangkong.testing.services.sampling import close_tube, identify, open_tube, parse_code, scan

from .test_rounds import DAY, NOW, make_sampling


@pytest.fixture
def sampling(triad):
    return make_sampling(triad)


@pytest.fixture
def tube(sampling):
    return open_tube(sampling.round, sampling.point, "T0001", sampling.sampler, NOW)


def test_open_tube_takes_the_rounds_default_pool_size(sampling, tube):
    assert (tube.capacity, tube.size, tube.status, tube.unit_path) == (10, 0, "open", sampling.point_unit.path)
    small = open_tube(sampling.round, sampling.point, " T0002 ", sampling.sampler, NOW, capacity=3)
    assert (small.barcode, small.capacity) == ("T0002", 3)


def test_open_tube_refuses_a_used_barcode_a_day_outside_the_round_and_another_jurisdiction(sampling, tube):
    with pytest.raises(ValidationError, match="已使用"):
        open_tube(sampling.round, sampling.point, "T0001", sampling.sampler, NOW)
    with pytest.raises(ValidationError, match="今天不能开管"):
        open_tube(sampling.round, sampling.point, "T0009", sampling.sampler, NOW + timedelta(days=5))
    with pytest.raises(PermissionDenied):
        open_tube(sampling.round, sampling.point, "T0009", sampling.west_sampler, NOW)


def test_parse_code_accepts_the_documented_forms(triad):
    number = triad.east_person.id_number
    assert parse_code(number).id_number == number
    assert parse_code(f"hc:{number}").id_number == number
    assert parse_code(json.dumps({"idno": number, "name": "王五"}, ensure_ascii=False)).name == "王五"
    assert parse_code(f"https://jkm.example.cn/code?name=%E7%8E%8B%E4%BA%94&idno={number}").name == "王五"
    assert parse_code(f"https://jkm.example.cn/code?id={number}").id_number == number
    assert parse_code("P42").person_pk == 42
    for bad, message in [("12345", "应为18位"), (number[:-1] + "0" if number[-1] != "0" else number[:-1] + "1",
                                                   "校验位"), ('{"x": 1}', "没有身份证号"), ("{oops", "无法识别")]:
        with pytest.raises(ValidationError, match=message):
            parse_code(bad)


def test_identify_finds_known_people_and_registers_unknown_ones(sampling, triad):
    assert identify(triad.east_person.id_number) == (triad.east_person, False)
    assert identify(f"P{triad.west_person.pk}") == (triad.west_person, False)
    with pytest.raises(ValidationError, match="不存在"):
        identify("P999999")
    unknown = fictional_id(seq=77)
    with pytest.raises(ValidationError, match="请指定其所属"):
        identify(unknown)
    person, created = identify(unknown, unit=triad.county.east_grid, user=sampling.sampler)
    assert created and person.is_provisional and person.name == "待核实" and person.unit == triad.county.east_grid
    assert (person.sex, str(person.birth_date)) == ("M", "1980-01-01")


def test_scan_by_id_health_code_and_person_barcode(sampling, triad, tube):
    third = Person.objects.create(name="王二", id_number=fictional_id(seq=33), unit=triad.county.east_grid)
    outcome = scan(tube, [triad.east_person.id_number, f"HC:{triad.west_person.id_number}", f"P{third.pk}"],
                   sampling.sampler, NOW)
    assert [r.accepted for r in outcome.results] == [True, True, True]
    assert [r.person for r in outcome.results] == [triad.east_person, triad.west_person, third]
    tube.refresh_from_db()
    assert tube.size == 3 and tube.status == TubeStatus.OPEN
    samples = {s.person_id: s for s in Sample.objects.filter(tube=tube)}
    assert samples[triad.west_person.pk].unit_path == triad.west_person.unit_path
    assert samples[triad.east_person.pk].round_id == sampling.round.pk
    assert samples[third.pk].scanned_at == NOW and samples[third.pk].scanned_by == sampling.sampler


def test_scan_of_an_unknown_person_registers_a_provisional_person_of_the_points_village(sampling, triad, tube):
    number = fictional_id(seq=88)
    outcome = scan(tube, [json.dumps({"idno": number, "name": "赵六"}, ensure_ascii=False)], sampling.sampler, NOW)
    result = outcome.results[0]
    assert result.accepted and result.provisional
    person = Person.objects.get(id_number=number)
    assert person.is_provisional and person.name == "赵六" and person.unit == triad.county.east
    again = scan(tube, [number], sampling.sampler, NOW)
    assert not again.results[0].accepted and "已在本管中" in again.results[0].reason
    assert Person.objects.filter(id_number=number).count() == 1


def test_scan_refuses_bad_codes_and_duplicates_and_goes_on(sampling, triad, tube):
    outcome = scan(tube, ["abc", triad.east_person.id_number, triad.east_person.id_number, "P999999",
                          triad.west_person.id_number], sampling.sampler, NOW)
    assert [r.accepted for r in outcome.results] == [False, True, False, False, True]
    assert "身份证号" in outcome.results[0].reason
    assert "已在本管中" in outcome.results[2].reason
    assert "不存在" in outcome.results[3].reason
    assert Sample.objects.filter(tube=tube).count() == 2


def test_a_person_cannot_be_in_two_open_tubes_of_one_round(sampling, triad, tube):
    scan(tube, [triad.east_person.id_number], sampling.sampler, NOW)
    other = open_tube(sampling.round, sampling.point, "T0002", sampling.sampler, NOW)
    outcome = scan(other, [triad.east_person.id_number, triad.west_person.id_number], sampling.sampler, NOW)
    assert [r.accepted for r in outcome.results] == [False, True]
    assert "另一支未封管的试管（T0001）" in outcome.results[0].reason
    close_tube(tube, sampling.sampler, NOW)
    assert scan(other, [triad.east_person.id_number], sampling.sampler, NOW).results[0].accepted


def test_the_tube_closes_itself_when_full_and_refuses_the_rest(sampling, triad, tube):
    small = open_tube(sampling.round, sampling.point, "T0003", sampling.sampler, NOW, capacity=2)
    third = fictional_id(seq=99)
    outcome = scan(small, [triad.east_person.id_number, triad.west_person.id_number, third], sampling.sampler, NOW)
    assert [r.accepted for r in outcome.results] == [True, True, False]
    assert "试管已满（2人）并已封管" in outcome.results[2].reason
    assert not Person.objects.filter(id_number=third).exists()
    small.refresh_from_db()
    assert (small.size, small.status, small.closed_at) == (2, TubeStatus.CLOSED, NOW)


def test_close_by_hand(sampling, triad, tube):
    with pytest.raises(ValidationError, match="还没有采样"):
        close_tube(tube, sampling.sampler, NOW)
    scan(tube, [triad.east_person.id_number], sampling.sampler, NOW)
    closed = close_tube(tube, sampling.sampler, NOW + timedelta(minutes=5))
    assert closed.status == TubeStatus.CLOSED and closed.closed_at == NOW + timedelta(minutes=5)
    with pytest.raises(ValidationError, match="已封管"):
        close_tube(tube, sampling.sampler, NOW)
    assert "试管已封管" in scan(tube, [triad.west_person.id_number], sampling.sampler, NOW).results[0].reason


def test_a_person_under_control_goes_only_into_a_single_tube(sampling, triad, tube):
    make_case(triad.east_person, phases=[("centralized_isolation", DAY - timedelta(days=2), DAY + timedelta(days=5))])
    refused = scan(tube, [triad.east_person.id_number], sampling.sampler, NOW).results[0]
    assert not refused.accepted and "须按1:1混采" in refused.reason
    single = open_tube(sampling.round, sampling.point, "S0001", sampling.sampler, NOW, capacity=1)
    outcome = scan(single, [triad.east_person.id_number], sampling.sampler, NOW)
    assert outcome.results[0].accepted and outcome.tube.status == TubeStatus.CLOSED


def test_a_single_tube_sample_completes_a_pending_retest(sampling, triad):
    order = RetestOrder.objects.create(person=triad.west_person, unit_path=triad.west_person.unit_path,
                                       ordered_at=NOW - timedelta(hours=1))
    single = open_tube(sampling.round, sampling.point, "S0002", sampling.sampler, NOW, capacity=1)
    scan(single, [triad.west_person.id_number], sampling.sampler, NOW)
    order.refresh_from_db()
    assert order.done_at == NOW and order.sample.tube == single


def test_a_batch_takes_a_fixed_number_of_queries(sampling, triad, tube):
    people = [Person.objects.create(name=f"村民{i}", id_number=fictional_id(seq=100 + i), unit=triad.county.east_grid)
              for i in range(8)]
    other = open_tube(sampling.round, sampling.point, "T0100", sampling.sampler, NOW)
    with CaptureQueriesContext(connection) as two:
        small = scan(tube, [p.id_number for p in people[:2]], sampling.sampler, NOW)
    with CaptureQueriesContext(connection) as six:
        large = scan(other, [p.id_number for p in people[2:]], sampling.sampler, NOW)
    assert (small.accepted, large.accepted) == (2, 6)
    assert len(six) == len(two)


def test_a_person_of_the_default_ratio_is_refused_by_a_larger_tube(sampling, triad):
    big = open_tube(sampling.round, sampling.point, "T0200", sampling.sampler, NOW, capacity=20)
    result = scan(big, [triad.east_person.id_number], sampling.sampler, NOW).results[0]
    assert not result.accepted and "须按1:10混采" in result.reason


@pytest.mark.django_db(transaction=True)
def test_two_scanners_at_once_never_overfill_a_tube_or_split_a_person(triad):
    if connection.vendor != "postgresql":
        pytest.skip("two writers at once need PostgreSQL (SQLite serialises them)")
    sampling = make_sampling(triad)
    people = [Person.objects.create(name=f"居民{i}", id_number=fictional_id(seq=200 + i), unit=triad.county.east_grid)
              for i in range(4)]
    shared = open_tube(sampling.round, sampling.point, "R0001", sampling.sampler, NOW, capacity=3)
    left = open_tube(sampling.round, sampling.point, "R0002", sampling.sampler, NOW)
    right = open_tube(sampling.round, sampling.point, "R0003", sampling.sampler, NOW)
    barrier = threading.Barrier(2)

    def run(tube, codes):
        barrier.wait()
        try:
            return scan(tube, codes, sampling.sampler, NOW)
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(run, shared, [people[0].id_number, people[1].id_number])
        second = pool.submit(run, shared, [people[2].id_number, people[3].id_number])
        accepted = first.result().accepted + second.result().accepted
    shared.refresh_from_db()
    assert accepted == 3 == shared.size == Sample.objects.filter(tube=shared).count()
    assert shared.status == TubeStatus.CLOSED

    with ThreadPoolExecutor(2) as pool:
        outcomes = [pool.submit(run, tube, [people[3].id_number]) for tube in (left, right)]
        accepted = [outcome.result().accepted for outcome in outcomes]
    assert sorted(accepted) == [0, 1]
    assert Sample.objects.filter(person=people[3], tube__in=[left, right]).count() == 1
