"""Dorfman two-stage pooling, lab capacity and the `fangkong testing pool-size` command."""

import json
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from fangkong.testing.services.pooling import (
    dorfman_tests_per_person,
    optimal_pool_size,
    plan_capacity,
    pool_size_table,
)

# Dorfman (1943), table 1: prevalence → optimal group size, expected tests per person.
DORFMAN_1943 = [
    (0.01, 11, 0.1956),
    (0.02, 8, 0.2742),
    (0.05, 5, 0.4262),
    (0.10, 4, 0.5939),
    (0.15, 3, 0.7192),
    (0.20, 3, 0.8213),
    (0.001, 32, 0.0628),
]


def call_command_output(*args):
    out = StringIO()
    call_command("testing", *args, stdout=out)
    return out.getvalue()


def pool_size_json(*args):
    return json.loads(call_command_output("pool-size", *args, "--json"))


def test_tests_per_person_follows_dorfmans_formula():
    assert dorfman_tests_per_person(0.01, 10) == pytest.approx(1 / 10 + 1 - 0.99**10)
    assert dorfman_tests_per_person(0, 10) == pytest.approx(0.1)
    assert dorfman_tests_per_person(0.3, 1) == 1  # one sample a tube is never retested


@pytest.mark.parametrize(("prevalence", "size", "tests"), DORFMAN_1943)
def test_optimal_pool_size_agrees_with_dorfmans_table(prevalence, size, tests):
    best = optimal_pool_size(prevalence)
    assert best.size == size
    assert best.tests_per_person == pytest.approx(tests, abs=5e-5)
    assert best.beats_individual
    n, t = best  # unpacks as (n, t)
    assert (n, t) == (best.size, best.tests_per_person)


def test_optimum_is_the_minimum_over_every_allowed_size():
    for prevalence in (0.003, 0.01, 0.07, 0.25):
        best = optimal_pool_size(prevalence)
        everything = min(dorfman_tests_per_person(prevalence, n) for n in range(2, 2000))
        assert best.tests_per_person == pytest.approx(everything)


def test_max_size_caps_the_pool():
    assert tuple(optimal_pool_size(0.001, max_size=10)) == pytest.approx((10, 0.10996), abs=1e-5)
    assert optimal_pool_size(0.01, max_size=20).size == 11  # the cap does not bind


def test_zero_prevalence_takes_the_largest_allowed_pool_and_needs_a_cap():
    assert optimal_pool_size(0, max_size=20) == (20, pytest.approx(0.05))
    with pytest.raises(ValidationError, match="请指定最大混采人数"):
        optimal_pool_size(0)


def test_pooling_that_does_not_beat_single_tubes_says_so():
    with pytest.raises(ValidationError, match="应单人单管检测"):
        optimal_pool_size(0.4)
    capped = optimal_pool_size(0.4, max_size=5)
    assert not capped.beats_individual and capped.tests_per_person > 1


@pytest.mark.parametrize("prevalence", [-0.01, 1, 1.5, float("nan"), "0.1", None])
def test_prevalence_outside_zero_to_one_is_refused_in_chinese(prevalence):
    with pytest.raises(ValidationError, match="阳性率应"):
        optimal_pool_size(prevalence)
    with pytest.raises(ValidationError, match="阳性率应"):
        dorfman_tests_per_person(prevalence, 10)


def test_bad_max_size_is_refused():
    with pytest.raises(ValidationError, match="最大混采人数至少为 2"):
        optimal_pool_size(0.01, max_size=1)
    with pytest.raises(ValidationError, match="不能超过"):
        optimal_pool_size(0.01, max_size=10**6)


def test_table_runs_from_two_to_twenty():
    table = pool_size_table(0.01)
    assert [row.size for row in table] == list(range(2, 21))
    assert min(table, key=lambda row: row.tests_per_person).size == 11


def test_county_lab_covers_22000_people_a_day_at_one_in_ten():
    # 一个县级实验室日检 2200 管，按 1:10 混采可检 22000 人 (003:123).
    plan = plan_capacity(2200, 10, 22000)
    assert plan.people_per_day == 22000
    assert plan.tubes_per_day == 2200
    assert plan.days_to_cover == 1
    assert plan.retests_per_day == 0


def test_city_of_ten_million_takes_a_million_tubes_at_one_in_ten():
    plan = plan_capacity(500_000, 10, 10_000_000)
    assert plan.tubes_total == 1_000_000
    assert plan.people_per_day == 5_000_000 and plan.days_to_cover == 2
    assert plan_capacity(500_000, 10, 10_000_001).days_to_cover == 3


def test_retests_of_positive_tubes_take_part_of_the_capacity():
    plan = plan_capacity(2200, 10, 22000, positivity=0.01)
    tests_per_person = 0.1 + 1 - 0.99**10
    assert plan.people_per_day == int(2200 / tests_per_person)
    assert plan.people_per_day < 22000 and plan.days_to_cover == 2
    assert plan.tubes_per_day + plan.retests_per_day == pytest.approx(2200, abs=1)


def test_single_tubes_cover_one_person_a_test():
    plan = plan_capacity(2200, 1, 5000, positivity=0.05)
    assert plan.people_per_day == 2200 and plan.retests_per_day == 0 and plan.days_to_cover == 3


@pytest.mark.parametrize(("args", "message"), [
    ((0, 10, 100), "日检测能力"),
    ((100, 0, 100), "混采人数"),
    ((100, 10, -1), "人口数"),
    ((100, 10, 100, 1.0), "阳性率"),
])
def test_bad_capacity_figures_are_refused(args, message):
    with pytest.raises(ValidationError, match=message):
        plan_capacity(*args)


@pytest.mark.parametrize(("prevalence", "size", "tests"), DORFMAN_1943)
def test_command_prints_exactly_pool_size_and_tests_per_person(prevalence, size, tests):
    result = pool_size_json("--prevalence", str(prevalence))
    assert set(result) == {"pool_size", "tests_per_person"}
    assert result["pool_size"] == size
    assert result["tests_per_person"] == pytest.approx(tests, abs=1e-4)


def test_command_one_percent_matches_dorfman_to_three_places():
    assert pool_size_json("--prevalence", "0.01") == {"pool_size": 11, "tests_per_person": 0.1956}


def test_command_max_size():
    assert pool_size_json("--prevalence", "0.001", "--max-size", "10")["pool_size"] == 10


def test_command_without_json_prints_a_chinese_line():
    line = call_command_output("pool-size", "--prevalence", "0.05")
    assert "1:5" in line and "0.4262" in line and "节省" in line


@pytest.mark.parametrize(("args", "message"), [
    (["--prevalence", "1"], "阳性率应在 0 到 1 之间"),
    (["--prevalence", "-0.2"], "阳性率应在 0 到 1 之间"),
    (["--prevalence", "百分之一"], "--prevalence 应为"),
    (["--prevalence", "0"], "请指定最大混采人数"),
    (["--prevalence", "0.01", "--max-size", "1"], "至少为 2"),
])
def test_command_refuses_bad_input_in_chinese(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("testing", "pool-size", *args, "--json")
