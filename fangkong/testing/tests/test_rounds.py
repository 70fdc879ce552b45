"""Rounds: creation with its checks, sampling points, the rounds a user takes part in, and the
pool size a person is sampled at. Also the fixtures the sampling tests share."""

import types
from datetime import date, time, timedelta

import pytest
from django.core.exceptions import ValidationError

from fangkong.areas.models import RiskArea
from fangkong.conftest import make_user
from fangkong.control.testing import local, make_case
from fangkong.orgs.services import add_unit
from fangkong.testing.models import RetestOrder
from fangkong.testing.services.rounds import add_point, create_round, pool_size_for, rounds_for

DAY = date(2022, 4, 1)
NOW = local(DAY, time(9))


def make_sampling(triad):
    """A round of 城关镇 with a sampling point under 东门村, and a sampler (testing staff) there."""
    county = triad.county
    statistician = make_user("town_statistician", "statistician", county.town)
    testing_round = create_round(county.town, "城关镇第一轮全员核酸", [county.town], DAY, DAY + timedelta(days=1),
                                 "all_residents", {}, statistician)
    point_unit = add_unit(county.east, code="430626100201-CY1", name="东门村文化广场采样点", type="sampling_point")
    point = add_point(testing_round, point_unit, time(7), time(19), "王医生、李护士")
    return types.SimpleNamespace(round=testing_round, point=point, point_unit=point_unit,
                                 statistician=statistician,
                                 sampler=make_user("east_sampler", "testing_staff", county.east),
                                 west_sampler=make_user("west_sampler", "testing_staff", county.west))


@pytest.fixture
def sampling(triad):
    return make_sampling(triad)


def test_round_keeps_scope_dates_and_pool_sizes(sampling, triad):
    assert list(sampling.round.scope.all()) == [triad.county.town]
    assert sampling.round.unit_path == triad.county.town.path
    assert [sampling.round.pool_size(k) for k in ("default", "medium_risk", "controlled")] == [10, 5, 1]
    custom = create_round(triad.county.town, "复核", [triad.county.east], DAY, DAY, "key_groups",
                          {"default": "20", "medium_risk": 10}, sampling.statistician)
    assert custom.pool_sizes == {"default": 20, "medium_risk": 10} and custom.pool_size("controlled") == 1


@pytest.mark.parametrize("change, message", [
    ({"scope_units": "other_town"}, "检测范围应在组织单位"),
    ({"ends_on": DAY - timedelta(days=1)}, "不能早于开始日期"),
    ({"pool_sizes": {"default": 0}}, "应在1到50之间"),
    ({"pool_sizes": {"default": "十"}}, "应为正整数"),
    ({"pool_sizes": {"huge": 3}}, "不认识"),
    ({"name": " "}, "请填写轮次名称"),
    ({"target": "everyone"}, "检测对象只能是"),
])
def test_round_is_refused_with_a_chinese_reason(sampling, triad, change, message):
    args = {"owner_unit": triad.county.town, "name": "第二轮", "scope_units": [triad.county.east],
            "starts_on": DAY, "ends_on": DAY, "target": "all_residents", "pool_sizes": {},
            "user": sampling.statistician, **change}
    if args["scope_units"] == "other_town":
        args["scope_units"] = [triad.county.river]
    with pytest.raises(ValidationError) as error:
        create_round(**args)
    assert message in " ".join(error.value.messages)


def test_round_outside_the_users_jurisdiction_is_refused(sampling, triad):
    with pytest.raises(ValidationError, match="不在您的辖区内"):
        create_round(triad.county.other_town, "河口镇", [], DAY, DAY, "all_residents", {}, sampling.statistician)


def test_point_must_be_a_sampling_point_inside_the_round(sampling, triad):
    with pytest.raises(ValidationError, match="不是采样点类型"):
        add_point(sampling.round, triad.county.east_grid, None, None, "")
    far = add_unit(triad.county.river, code="430626101201-CY1", name="河口村采样点", type="sampling_point")
    with pytest.raises(ValidationError, match="不在本轮检测范围内"):
        add_point(sampling.round, far, None, None, "")
    with pytest.raises(ValidationError, match="已是本轮的采样点"):
        add_point(sampling.round, sampling.point_unit, None, None, "")
    other = add_unit(triad.county.west, code="430626100202-CY1", name="西门村采样点", type="sampling_point")
    with pytest.raises(ValidationError, match="结束时间应晚于开始时间"):
        add_point(sampling.round, other, time(18), time(8), "")


def test_rounds_for_covers_owner_scope_and_points(sampling, triad):
    assert set(rounds_for(triad.inside)) == {sampling.round}  # the town's round covers 东门村
    assert set(rounds_for(triad.neighbour)) == {sampling.round}
    assert set(rounds_for(triad.above)) == {sampling.round}
    river_user = make_user("river_worker", "grid_worker", triad.county.river)
    assert set(rounds_for(river_user)) == set()
    east_only = create_round(triad.county.east, "东门村加测", [], DAY, DAY, "all_residents", {},
                             make_user("east_statistician", "statistician", triad.county.east))
    assert set(rounds_for(triad.neighbour)) == {sampling.round}
    assert set(rounds_for(triad.above)) == {sampling.round, east_only}


def test_pool_size_is_one_for_a_person_under_control(sampling, triad):
    assert pool_size_for(sampling.round, triad.east_person, DAY) == 10
    make_case(triad.east_person, phases=[("centralized_isolation", DAY - timedelta(days=3), DAY + timedelta(days=10))])
    assert pool_size_for(sampling.round, triad.east_person, DAY) == 1
    assert pool_size_for(sampling.round, triad.west_person, DAY) == 10


def test_pool_size_is_one_for_a_pending_single_tube_retest(sampling, triad):
    RetestOrder.objects.create(person=triad.west_person, unit_path=triad.west_person.unit_path, ordered_at=NOW)
    assert pool_size_for(sampling.round, triad.west_person, DAY) == 1


def test_pool_size_in_a_medium_risk_area_uses_the_rounds_medium_size(sampling, triad):
    area = RiskArea.objects.create(level="medium", scope="street", division_code="430626100", name="城关镇",
                                   effective_from=DAY - timedelta(days=2))
    assert pool_size_for(sampling.round, triad.east_person, DAY) == 5
    assert pool_size_for(sampling.round, triad.east_person, DAY - timedelta(days=3)) == 10
    area.effective_to = DAY
    area.save()
    assert pool_size_for(sampling.round, triad.east_person, DAY) == 10
