from fangkong.people.models import Household, Person

from .helpers import add_people, results

URL = "/api/v1/households/"


def detail(household):
    return f"{URL}{household.pk}/"


def numbers(response):
    return sorted(h["number"] for h in results(response))


def test_grid_worker_lists_own_households_with_members(api, triad):
    [household] = results(api(triad.inside).get(URL))
    assert (household["number"], household["unit"], household["unit_name"]) == ("H-EAST-1", "430626100201-01",
                                                                                 "东门一组")
    [member] = household["members"]
    assert (member["name"], member["id_number"]) == ("张三丰", triad.east_person.id_number)


def test_neighbour_does_not_see_the_other_villages_households(api, triad):
    assert numbers(api(triad.neighbour).get(URL)) == ["H-WEST-1"]
    assert api(triad.neighbour).get(detail(triad.east_household)).status_code == 404


def test_leader_above_sees_both(api, triad):
    assert numbers(api(triad.above).get(URL)) == ["H-EAST-1", "H-WEST-1"]
    assert api(triad.above).get(detail(triad.east_household)).status_code == 200


def test_members_are_masked_for_readonly_role(api, triad):
    [member] = api(triad.readonly).get(detail(triad.east_household)).json()["members"]
    assert member["id_number"].count("*") == 10 and member["phone"] == "138****5678"


def test_members_outside_the_jurisdiction_are_not_listed(api, triad):
    Person.objects.create(name="寄住者", unit=triad.county.west_grid, household=triad.east_household)
    members = api(triad.inside).get(detail(triad.east_household)).json()["members"]
    assert [m["name"] for m in members] == ["张三丰"]


def test_anonymous_gets_401(api, triad):
    assert api().get(URL).status_code == 401
    assert api().get(detail(triad.east_household)).status_code == 401


def test_filters_by_unit_and_search(api, triad):
    above = api(triad.above)
    assert numbers(above.get(URL, {"unit": "430626100202"})) == ["H-WEST-1"]
    assert numbers(above.get(URL, {"q": "east"})) == ["H-EAST-1"]
    assert numbers(above.get(URL, {"q": "西门村"})) == ["H-WEST-1"]


def test_list_is_paged_by_50(api, triad):
    Household.objects.bulk_create(
        [Household(number=f"H-E-{i}", unit=triad.county.east_grid, unit_path=triad.county.east_grid.path)
         for i in range(60)]
    )
    page = api(triad.inside).get(URL).json()
    assert page["count"] == 61 and len(page["results"]) == 50


def test_list_takes_a_constant_number_of_queries(api, triad, django_assert_max_num_queries):
    add_people(triad.county.east_grid, 30)
    for i, person in enumerate(Person.objects.filter(household=None, unit=triad.county.east_grid)):
        household = Household.objects.create(number=f"H-E-{i}", unit=triad.county.east_grid, head=person)
        person.household = household
        person.save()
    client = api(triad.readonly)
    # token, jurisdiction, permissions (role, user, group), count, page, members: none per row.
    with django_assert_max_num_queries(8):
        assert len(results(client.get(URL))) == 31


def test_create_within_the_jurisdiction(api, triad):
    response = api(triad.inside).post(
        URL, {"number": "H-EAST-2", "address": "东门村2号", "unit": "430626100201-01"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert Household.objects.get(number="H-EAST-2").unit_path == triad.county.east_grid.path


def test_create_outside_the_jurisdiction_is_refused(api, triad):
    response = api(triad.inside).post(URL, {"number": "H-X", "unit": "430626100202-01"}, format="json")
    assert response.status_code == 400
    assert response.json()["unit"] == ["单位编码“430626100202-01”不存在或不在您的辖区内。"]
    assert not Household.objects.filter(number="H-X").exists()


def test_duplicate_number_is_refused(api, triad):
    response = api(triad.inside).post(URL, {"number": "H-WEST-1", "unit": "430626100201-01"}, format="json")
    assert response.status_code == 400
    assert response.json()["number"] == ["户号已存在。"]


def test_head_must_be_a_member(api, triad):
    client = api(triad.inside)
    stranger = Person.objects.create(name="路人", unit=triad.county.east_grid)
    refused = client.patch(detail(triad.east_household), {"head": stranger.pk}, format="json")
    assert refused.status_code == 400 and "本户成员" in refused.json()["head"][0]
    accepted = client.patch(detail(triad.east_household), {"head": triad.east_person.pk}, format="json")
    assert accepted.status_code == 200 and accepted.json()["head_name"] == "张三丰"


def test_update_cannot_change_the_unit_and_neighbour_cannot_update(api, triad):
    moved = api(triad.inside).patch(detail(triad.east_household), {"unit": "430626100201"}, format="json")
    assert moved.status_code == 400 and "迁移" in moved.json()["unit"][0]
    assert api(triad.neighbour).patch(detail(triad.east_household), {"address": "x"}, format="json").status_code == 404
    assert api(triad.readonly).patch(detail(triad.east_household), {"address": "x"}, format="json").status_code == 403
