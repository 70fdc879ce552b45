import datetime

from fangkong.conftest import fictional_id
from fangkong.lib.idnumbers import with_check_digit
from fangkong.people.models import Household, Person

from .helpers import add_people, results

URL = "/api/v1/people/"


def detail(person):
    return f"{URL}{person.pk}/"


def names(response):
    return sorted(p["name"] for p in results(response))


def id_ending_in_x():
    """A fictional resident ID whose check digit is X."""
    return next(n for seq in range(100, 999) if (n := with_check_digit(f"43062619900215{seq:03d}")).endswith("X"))


def new_person(unit, **fields):
    return {"name": "王五", "id_number": fictional_id(seq=33), "phone": "13700001111", "unit": unit.code, **fields}


# Reading: the jurisdiction triad and masking.


def test_grid_worker_lists_only_own_village(api, triad):
    assert names(api(triad.inside).get(URL)) == ["张三丰"]


def test_neighbour_does_not_see_the_other_village(api, triad):
    assert names(api(triad.neighbour).get(URL)) == ["李四"]
    assert api(triad.neighbour).get(detail(triad.east_person)).status_code == 404


def test_leader_above_sees_both_villages(api, triad):
    assert names(api(triad.above).get(URL)) == ["张三丰", "李四"]
    assert api(triad.above).get(detail(triad.west_person)).status_code == 200


def test_detail_shows_full_numbers_to_roles_that_may_see_them(api, triad):
    data = api(triad.inside).get(detail(triad.east_person)).json()
    assert data["id_number"] == triad.east_person.id_number
    assert data["phone"] == "13800135678"
    assert data["unit"] == "430626100201-01"
    assert data["household_number"] == "H-EAST-1"


def test_readonly_role_gets_masked_numbers(api, triad):
    number = triad.east_person.id_number
    [listed] = results(api(triad.readonly).get(URL))
    shown = api(triad.readonly).get(detail(triad.east_person)).json()
    for data in (listed, shown):
        assert data["id_number"] == number[:4] + "*" * 10 + number[-4:]
        assert data["phone"] == "138****5678"


def test_anonymous_gets_401(api, triad):
    assert api().get(URL).status_code == 401
    assert api().get(detail(triad.east_person)).status_code == 401
    assert api().post(URL, new_person(triad.county.east_grid)).status_code == 401


def test_list_is_paged_by_50(api, triad):
    add_people(triad.county.east_grid, 55)
    first = api(triad.inside).get(URL).json()
    assert first["count"] == 56 and len(first["results"]) == 50 and first["next"]
    assert len(api(triad.inside).get(URL, {"page": 2}).json()["results"]) == 6


# Filters.


def test_search_by_pinyin_initials(api, triad):
    assert names(api(triad.above).get(URL, {"q": "zsf"})) == ["张三丰"]


def test_search_by_phone_tail(api, triad):
    assert names(api(triad.above).get(URL, {"q": "5679"})) == ["李四"]


def test_search_stays_within_jurisdiction(api, triad):
    assert names(api(triad.neighbour).get(URL, {"q": "zsf"})) == []


def test_filter_by_unit_takes_the_subtree(api, triad):
    above = api(triad.above)
    assert names(above.get(URL, {"unit": "430626100201"})) == ["张三丰"]
    assert names(above.get(URL, {"unit": "430626100"})) == ["张三丰", "李四"]
    assert names(above.get(URL, {"unit": "no-such-unit"})) == []


def test_filter_by_id_number_normalises_it(api, triad):
    number = triad.west_person.id_number
    assert names(api(triad.above).get(URL, {"id_number": f" {number.lower()} "})) == ["李四"]
    assert names(api(triad.above).get(URL, {"id_number": number[:-1]})) == []


def test_filter_by_flags_population_type_and_household(api, triad):
    Person.objects.filter(pk=triad.west_person.pk).update(
        is_elderly=True, needs_follow_up=True, population_type="mobile"
    )
    above = api(triad.above)
    assert names(above.get(URL, {"is_elderly": "true"})) == ["李四"]
    assert names(above.get(URL, {"needs_follow_up": "true"})) == ["李四"]
    assert names(above.get(URL, {"needs_follow_up": "false"})) == ["张三丰"]
    assert names(above.get(URL, {"population_type": "mobile"})) == ["李四"]
    assert names(above.get(URL, {"household": triad.east_household.pk})) == ["张三丰"]


def test_list_takes_a_constant_number_of_queries(api, triad, django_assert_max_num_queries):
    add_people(triad.county.east_grid, 40)
    Person.objects.filter(unit=triad.county.east_grid).update(household=triad.east_household)
    client = api(triad.readonly)
    # token, jurisdiction, permissions (role, user, group), count, page: none per row.
    with django_assert_max_num_queries(7):
        assert len(results(client.get(URL))) == 41


# Writing.


def test_create_derives_sex_and_birth_date_and_normalises_the_id(api, triad):
    number = id_ending_in_x()
    typed = number[:-1].translate(str.maketrans("0123456789", "０１２３４５６７８９")) + "x"
    response = api(triad.inside).post(URL, new_person(triad.county.east_grid, id_number=typed), format="json")
    assert response.status_code == 201, response.content
    person = Person.objects.get(name="王五")
    assert person.id_number == number
    assert person.birth_date == datetime.date(1990, 2, 15)
    assert person.sex == ("M" if int(number[16]) % 2 else "F")
    assert person.unit_path == triad.county.east_grid.path
    assert response.json()["id_number"] == number


def test_invalid_id_is_refused_with_a_chinese_message(api, triad):
    wrong = fictional_id(seq=33)[:-1] + ("0" if fictional_id(seq=33)[-1] != "0" else "1")
    response = api(triad.inside).post(URL, new_person(triad.county.east_grid, id_number=wrong), format="json")
    assert response.status_code == 400
    assert response.json()["id_number"] == ["身份证号校验位不正确"]
    assert not Person.objects.filter(name="王五").exists()


def test_passport_numbers_are_not_checked_as_resident_ids(api, triad):
    data = new_person(triad.county.east_grid, id_type="passport", id_number="e12345678", sex="F")
    response = api(triad.inside).post(URL, data, format="json")
    assert response.status_code == 201, response.content
    assert Person.objects.get(name="王五").id_number == "E12345678"


def test_duplicate_id_is_refused(api, triad):
    data = new_person(triad.county.east_grid, id_number=triad.west_person.id_number)
    response = api(triad.inside).post(URL, data, format="json")
    assert response.status_code == 400
    assert response.json()["id_number"] == ["该证件号码已登记在其他人员名下。"]


def test_invalid_phone_is_refused(api, triad):
    response = api(triad.inside).post(URL, new_person(triad.county.east_grid, phone="12345"), format="json")
    assert response.status_code == 400
    assert response.json()["phone"] == ["联系电话格式不正确。"]


def test_creating_a_person_outside_the_jurisdiction_is_refused(api, triad):
    response = api(triad.inside).post(URL, new_person(triad.county.west_grid), format="json")
    assert response.status_code == 400
    assert response.json()["unit"] == ["单位编码“430626100202-01”不存在或不在您的辖区内。"]
    assert not Person.objects.filter(name="王五").exists()


def test_household_must_be_within_reach_and_in_the_same_unit(api, triad):
    client = api(triad.inside)
    outside = client.post(URL, new_person(triad.county.east_grid, household=triad.west_household.pk), format="json")
    assert outside.status_code == 400 and "不在您的辖区内" in outside.json()["household"][0]
    elsewhere = Household.objects.create(number="H-EAST-2", unit=triad.county.east)
    other_unit = client.post(URL, new_person(triad.county.east_grid, household=elsewhere.pk), format="json")
    assert other_unit.status_code == 400 and "不在所选单位" in other_unit.json()["household"][0]


def test_update_changes_fields(api, triad):
    response = api(triad.inside).patch(detail(triad.east_person), {"phone": "139 0000 1111"}, format="json")
    assert response.status_code == 200, response.content
    triad.east_person.refresh_from_db()
    assert triad.east_person.phone == "13900001111"


def test_update_cannot_change_the_unit(api, triad):
    response = api(triad.inside).patch(detail(triad.east_person), {"unit": triad.county.east.code}, format="json")
    assert response.status_code == 400
    assert "迁移" in response.json()["unit"][0]


def test_neighbour_cannot_update_and_readonly_may_not(api, triad):
    change = {"address": "别处"}
    assert api(triad.neighbour).patch(detail(triad.east_person), change, format="json").status_code == 404
    assert api(triad.readonly).patch(detail(triad.east_person), change, format="json").status_code == 403
    assert api(triad.readonly).post(URL, new_person(triad.county.east_grid), format="json").status_code == 403
    triad.east_person.refresh_from_db()
    assert triad.east_person.address == "东门村1号"


def test_people_are_not_deleted_through_the_api(api, triad, admin_user):
    assert api(admin_user).delete(detail(triad.east_person)).status_code == 405
    assert Person.objects.filter(pk=triad.east_person.pk).exists()


def test_sex_and_birth_date_follow_a_changed_id(api, triad):
    number = fictional_id(birth="19751231", seq=44)
    response = api(triad.inside).patch(detail(triad.east_person), {"id_number": number}, format="json")
    assert response.status_code == 200, response.content
    triad.east_person.refresh_from_db()
    assert (triad.east_person.sex, triad.east_person.birth_date) == ("F", datetime.date(1975, 12, 31))


def test_landline_is_stored_as_the_import_stores_it(api, triad):
    response = api(triad.inside).post(URL, new_person(triad.county.east_grid, phone="0731 8412 3456"), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["phone"] == "0731-84123456"
