import pytest

from fangkong.screening.services.places import concerns, places_of_concern_visited, split_places


def visited(concern_text, places):
    return [entry for _place, entry in places_of_concern_visited(concerns(concern_text), places)]


@pytest.mark.parametrize(
    "concern, place",
    [
        ("湖北", "武汉"),  # a city of the province
        ("湖北", "湖北省武汉市江汉区"),
        ("武汉", "江汉区"),  # a district of the city
        ("武汉市", "武汉"),
        ("4201", "武汉市"),  # a division code prefix
        ("4201", "420103"),
        ("湖北", "恩施州"),
        ("境外", "美国（境外）"),  # unknown to the table: matched as written
    ],
)
def test_place_within_a_concern(concern, place):
    assert visited(concern, place) == [concern]


@pytest.mark.parametrize(
    "concern, place",
    [
        ("湖北", "长沙市"),  # 长沙市 is not 沙市 (a district of 荆州)
        ("湖北", "长沙市解放路42号"),
        ("4201", "湖北黄冈"),
        ("南京", "福州鼓楼区"),  # 鼓楼区 of 福州, not of 南京
        ("湖北", ""),
    ],
)
def test_place_outside_the_concerns(concern, place):
    assert visited(concern, place) == []


def test_a_shared_district_name_alone_counts_for_every_city_that_has_it():
    assert visited("南京", "鼓楼区") == ["南京"]


def test_each_place_answered_is_checked():
    assert places_of_concern_visited(concerns("湖北、4301"), "长沙，武汉；广州") == [("长沙", "4301"), ("武汉", "湖北")]


def test_places_are_split_on_any_separator():
    assert split_places(" 湖北、武汉\n4201,北京； 上海/天津 ") == ["湖北", "武汉", "4201", "北京", "上海", "天津"]
