"""The questions the rest of the system asks of the risk areas (001:234, 001:237, 001:253)."""

import datetime

from fangkong.areas import services

D = datetime.date


def test_level_is_the_highest_area_whose_code_prefixes_the_place(areas):
    assert services.risk_level_on("420115001002", D(2022, 1, 20)) == "high"
    assert services.risk_level_on("420115002000", D(2022, 1, 20)) is None  # another street of the county
    assert services.risk_level_on("420115001", D(2022, 1, 9)) is None  # before it took effect
    assert services.risk_level_on("430102", D(2022, 1, 20)) == "low"


def test_lifting_ends_the_area_on_the_lifting_day(areas):
    assert services.was_risk_area("610113", D(2022, 2, 2))
    assert not services.was_risk_area("610113", D(2022, 2, 3))
    assert not services.was_risk_area("430102", D(2022, 1, 20))  # low does not count as medium/high


def test_same_city_and_same_county(areas):
    on = D(2022, 1, 20)
    assert services.same_county_as_risk_area("420115003000", on)
    assert not services.same_county_as_risk_area("420102", on)
    assert services.same_city_as_risk_area("420102", on)  # 江岸区, same city as 江夏区
    assert not services.same_city_as_risk_area("4202", on)
    assert not services.same_city_as_risk_area("430102", on)  # only a low-risk area there


def test_province_with_local_cases(areas):
    assert services.province_has_local_cases("4290", D(2022, 1, 20))
    assert not services.province_has_local_cases("430102", D(2022, 1, 20))  # 长沙 reported none


def test_classify_origin_follows_the_gongtian_plan(areas):
    on = D(2022, 1, 20)
    assert services.classify_origin("420115001", on) == "high_risk_area"
    # ① the county of an area that reported local cases counts as high
    assert services.classify_origin("420115009", on) == "high_risk_area"
    # ② another county of the same city
    assert services.classify_origin("420102", on) == "medium_risk_area"
    assert services.classify_origin("610113", on) == "medium_risk_area"
    # ③ elsewhere in a province with local cases
    assert services.classify_origin("4205", on) == "local_case_province"
    assert services.classify_origin("430102", on) == "low_risk_area"
    assert services.classify_origin("110105", on) is None
    assert services.classify_origin("", on) is None


def test_codes_are_normalised_to_their_scope():
    assert services.normalise_division_code("420000") == ("42", "province")
    assert services.normalise_division_code("420100") == ("4201", "city")
    assert services.normalise_division_code("420115000000") == ("420115", "county")
    assert services.normalise_division_code("420115001000") == ("420115001", "street")


def test_place_names_resolve_to_codes():
    assert services.resolve_place("湖北省武汉市江夏区") == "420115"
    assert services.resolve_place("武汉") == "4201"
    assert services.resolve_place("火星") == ""
