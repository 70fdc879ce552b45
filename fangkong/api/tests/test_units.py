import pytest
from django.contrib.auth.models import Permission

from fangkong.orgs.models import Unit
from fangkong.orgs.services import add_unit

from .helpers import results

URL = "/api/v1/units/"


def codes(response):
    return [u["code"] for u in results(response)]


def grant(user, *codenames):
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="orgs", codename__in=codenames))


@pytest.fixture
def unit_editor(triad):
    """The 东门村 grid worker, also allowed to add and change units."""
    grant(triad.inside, "add_unit", "change_unit")
    return triad.inside


def test_grid_worker_lists_own_village_and_below(api, triad):
    assert codes(api(triad.inside).get(URL)) == ["430626100201", "430626100201-01"]


def test_fields_name_the_parent_by_code(api, triad):
    village = api(triad.inside).get(f"{URL}430626100201/").json()
    assert village == {
        "code": "430626100201", "name": "东门村", "type": "village", "tree": "admin", "division_code": "",
        "parent": "430626100", "depth": 3, "address": "", "capacity": None, "is_active": True,
    }


def test_neighbour_gets_404_on_the_other_village(api, triad):
    assert api(triad.neighbour).get(f"{URL}430626100201/").status_code == 404
    assert api(triad.neighbour).get(f"{URL}430626100201-01/").status_code == 404
    assert "430626100201" not in codes(api(triad.neighbour).get(URL))


def test_leader_above_sees_the_town_and_both_villages(api, triad):
    assert codes(api(triad.above).get(URL)) == [
        "430626100", "430626100201", "430626100201-01", "430626100202", "430626100202-01",
    ]


def test_anonymous_gets_401(api, triad):
    assert api().get(URL).status_code == 401
    assert api().get(f"{URL}430626100201/").status_code == 401


def test_filters(api, triad):
    above = api(triad.above)
    assert codes(above.get(URL, {"under": "430626100202"})) == ["430626100202", "430626100202-01"]
    assert codes(above.get(URL, {"parent": "430626100"})) == ["430626100201", "430626100202"]
    assert codes(above.get(URL, {"type": "grid"})) == ["430626100201-01", "430626100202-01"]
    assert codes(above.get(URL, {"tree": "education"})) == []
    assert codes(above.get(URL, {"q": "西门"})) == ["430626100202", "430626100202-01"]
    assert codes(above.get(URL, {"under": "no-such-unit"})) == []


def test_list_is_paged_and_takes_a_constant_number_of_queries(api, triad, django_assert_max_num_queries):
    for i in range(60):
        add_unit(triad.county.east, code=f"430626100201-{i + 10}", name=f"东门{i + 10}组", type="grid")
    client = api(triad.inside)
    # token, jurisdiction, view permission (role, user, group), count, page with parents: none per row.
    with django_assert_max_num_queries(7):
        page = client.get(URL).json()
    assert page["count"] == 62 and len(page["results"]) == 50
    assert {u["parent"] for u in page["results"][1:]} == {"430626100201"}


def test_create_under_a_unit_within_the_jurisdiction(api, unit_editor):
    response = api(unit_editor).post(
        URL, {"code": "430626100201-02", "name": "东门二组", "type": "grid", "parent": "430626100201"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["parent"] == "430626100201" and response.json()["depth"] == 4
    unit = Unit.objects.get(code="430626100201-02")
    assert Unit.objects.get_parent(unit).code == "430626100201" and unit.tree == "admin"


def test_create_outside_the_jurisdiction_is_refused(api, unit_editor):
    response = api(unit_editor).post(
        URL, {"code": "430626100202-02", "name": "西门二组", "type": "grid", "parent": "430626100202"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["parent"] == ["单位编码“430626100202”不存在或不在您的辖区内。"]
    assert not Unit.objects.filter(code="430626100202-02").exists()


def test_create_needs_the_permission(api, triad):
    body = {"code": "430626100201-02", "name": "东门二组", "type": "grid", "parent": "430626100201"}
    assert api(triad.above).post(URL, body, format="json").status_code == 403


def test_duplicate_code_is_refused(api, unit_editor):
    response = api(unit_editor).post(
        URL, {"code": "430626100201-01", "name": "重复", "type": "grid", "parent": "430626100201"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == ["单位编码已存在。"]


def test_update_a_unit(api, unit_editor):
    response = api(unit_editor).patch(f"{URL}430626100201-01/", {"name": "东门第一网格"}, format="json")
    assert response.status_code == 200, response.content
    assert Unit.objects.get(code="430626100201-01").name == "东门第一网格"


def test_update_cannot_reparent_or_reach_outside(api, triad, unit_editor):
    client = api(unit_editor)
    reparent = client.patch(f"{URL}430626100201-01/", {"parent": "430626100201-01"}, format="json")
    assert reparent.status_code == 400 and reparent.json()["parent"] == ["不能在此更改上级单位。"]
    assert client.patch(f"{URL}430626100202/", {"name": "x"}, format="json").status_code == 404
    assert api(triad.readonly).patch(f"{URL}430626100201/", {"name": "x"}, format="json").status_code == 403
