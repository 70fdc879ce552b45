import datetime

import pytest
from django.core.exceptions import ValidationError

from fangkong.testing.models import Result, TubeStatus
from fangkong.testing.services.certificates import certificate, latest_negative

from .test_lab_support import NOW, lab_fixture, make_tube  # noqa: F401

HOUR = datetime.timedelta(hours=1)


def resulted(lab, barcode, person, result, hours_ago, conflict=False):
    tube = make_tube(lab.east_point, barcode, [person], opened_at=NOW - (hours_ago + 3) * HOUR)
    tube.result, tube.result_at, tube.status, tube.conflict = result, NOW - hours_ago * HOUR, TubeStatus.RESULTED, conflict
    tube.save()
    return tube


@pytest.mark.parametrize("hours_ago, valid_within", [
    (10, {24, 48, 72, 168}), (30, {48, 72, 168}), (60, {72, 168}), (100, {168}), (200, set()),
])
def test_a_negative_result_is_valid_exactly_within_the_windows_it_falls_in(lab, hours_ago, valid_within):
    person = lab.triad.east_person
    resulted(lab, "T0001", person, Result.NEGATIVE, hours_ago)
    for hours in (24, 48, 72, 168):
        answer = certificate(person, hours, NOW)
        assert answer["valid"] is (hours in valid_within), hours
        assert answer["age_hours"] == hours_ago and answer["window_hours"] == hours
        assert answer["tested_at"] == NOW - hours_ago * HOUR and answer["result"] == Result.NEGATIVE


def test_the_window_edge_counts_as_inside(lab):
    resulted(lab, "T0001", lab.triad.east_person, Result.NEGATIVE, 48)
    assert certificate(lab.triad.east_person, 48, NOW)["valid"]
    assert not certificate(lab.triad.east_person, 48, NOW + datetime.timedelta(seconds=1))["valid"]


def test_a_later_positive_result_voids_an_earlier_negative(lab):
    person = lab.triad.east_person
    resulted(lab, "T0001", person, Result.NEGATIVE, 20)
    resulted(lab, "T0002", person, Result.POSITIVE, 5)
    answer = certificate(person, 48, NOW)
    assert not answer["valid"] and answer["result"] == Result.POSITIVE
    assert latest_negative(person, NOW).tested_at == NOW - 20 * HOUR


def test_a_conflicting_latest_tube_voids_the_certificate_and_is_no_negative(lab):
    person = lab.triad.east_person
    resulted(lab, "T0001", person, Result.NEGATIVE, 30)
    resulted(lab, "T0002", person, Result.NEGATIVE, 5, conflict=True)
    answer = certificate(person, 48, NOW)
    assert not answer["valid"] and answer["conflict"]
    assert latest_negative(person, NOW).tested_at == NOW - 30 * HOUR


def test_invalid_runs_pending_tubes_and_future_results_are_passed_over(lab):
    person = lab.triad.east_person
    resulted(lab, "T0001", person, Result.NEGATIVE, 30)
    resulted(lab, "T0002", person, Result.INVALID, 3)
    make_tube(lab.east_point, "T0003", [person])
    resulted(lab, "T0004", person, Result.POSITIVE, -2)  # reported after the moment asked about
    answer = certificate(person, 48, NOW)
    assert answer["valid"] and answer["tested_at"] == NOW - 30 * HOUR
    negative = latest_negative(person, NOW)
    assert negative.age == 30 * HOUR and negative.age_hours == 30


def test_no_result_at_all_is_not_valid(lab):
    assert certificate(lab.triad.east_person, 24, NOW) == {
        "valid": False, "tested_at": None, "age_hours": None, "result": None, "conflict": False, "window_hours": 24}
    assert latest_negative(lab.triad.east_person, NOW) is None


def test_only_the_four_windows_are_accepted(lab):
    with pytest.raises(ValidationError):
        certificate(lab.triad.east_person, 36, NOW)
