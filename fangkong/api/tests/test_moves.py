import datetime

import pytest

from fangkong.conftest import make_user
from fangkong.orgs.services import add_unit
from fangkong.people.models import Household, Move, Person


@pytest.fixture
def second_grid(triad):
    """东门二组, a second grid of 东门村 (within the grid worker's jurisdiction)."""
    return add_unit(triad.county.east, code="430626100201-02", name="东门二组", type="grid")


def move_url(record, kind="people"):
    return f"/api/v1/{kind}/{record.pk}/move/"


def test_moving_a_person_records_the_move_and_changes_the_unit(api, triad, second_grid):
    response = api(triad.inside).post(
        move_url(triad.east_person),
        {"to_unit": second_grid.code, "moved_on": "2022-03-01", "reason": "分户", "to_address": "东门村8号"},
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["from_unit"], data["to_unit"], data["recorded_by"]) == ("430626100201-01", second_grid.code,
                                                                          "east_worker")
    move = Move.objects.get()
    assert (move.person, move.moved_on, move.from_address) == (triad.east_person, datetime.date(2022, 3, 1),
                                                               "东门村1号")
    person = Person.objects.get(pk=triad.east_person.pk)
    assert (person.unit, person.unit_path, person.address) == (second_grid, second_grid.path, "东门村8号")


def test_a_person_moving_alone_leaves_the_household(api, triad, second_grid):
    Household.objects.filter(pk=triad.east_household.pk).update(head=triad.east_person)
    response = api(triad.inside).post(move_url(triad.east_person), {"to_unit": second_grid.code}, format="json")
    assert response.status_code == 201, response.content
    person = Person.objects.get(pk=triad.east_person.pk)
    assert (person.household, person.relation_to_head) == (None, "")
    assert Household.objects.get(pk=triad.east_household.pk).head is None


def test_moving_keeps_history(api, triad, second_grid):
    client = api(triad.inside)
    client.post(move_url(triad.east_person), {"to_unit": second_grid.code, "reason": "搬家"}, format="json")
    latest = client.get(f"/api/v1/people/{triad.east_person.pk}/history/").json()[0]
    assert latest["user"] == "east_worker" and latest["reason"] == "迁移：搬家"
    changes = {c["field"]: (c["old"], c["new"]) for c in latest["changes"]}
    assert changes["unit"] == ("东门一组（430626100201-01）", "东门二组（430626100201-02）")


def test_moving_a_person_outside_the_jurisdiction_is_refused(api, triad):
    response = api(triad.inside).post(move_url(triad.east_person), {"to_unit": "430626100202-01"}, format="json")
    assert response.status_code == 400
    assert response.json()["to_unit"] == ["单位编码“430626100202-01”不存在或不在您的辖区内。"]
    assert Person.objects.get(pk=triad.east_person.pk).unit == triad.county.east_grid
    assert not Move.objects.exists()


def test_moving_to_the_same_unit_is_refused(api, triad):
    response = api(triad.inside).post(move_url(triad.east_person), {"to_unit": "430626100201-01"}, format="json")
    assert response.status_code == 400
    assert "无需迁移" in response.json()["to_unit"][0]


def test_moved_on_cannot_be_in_the_future(api, triad, second_grid):
    tomorrow = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()
    response = api(triad.inside).post(
        move_url(triad.east_person), {"to_unit": second_grid.code, "moved_on": tomorrow}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["moved_on"] == ["迁移日期不能晚于今天。"]


def test_neighbour_readonly_and_anonymous_cannot_move(api, triad, second_grid):
    body = {"to_unit": second_grid.code}
    assert api(triad.neighbour).post(move_url(triad.east_person), body, format="json").status_code == 404
    assert api(triad.readonly).post(move_url(triad.east_person), body, format="json").status_code == 403
    assert api().post(move_url(triad.east_person), body, format="json").status_code == 401
    assert not Move.objects.exists()


def test_moving_a_household_moves_its_members(api, triad, second_grid):
    mother = Person.objects.create(
        name="张母", unit=triad.county.east_grid, household=triad.east_household, relation_to_head="母亲"
    )
    response = api(triad.inside).post(
        move_url(triad.east_household, "households"), {"to_unit": second_grid.code, "reason": "整户搬迁"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert [(m["household_number"], m["person_name"]) for m in response.json()] == [
        ("H-EAST-1", None), ("H-EAST-1", "张三丰"), ("H-EAST-1", "张母"),
    ]
    assert Move.objects.filter(to_unit=second_grid, reason="整户搬迁").count() == 3
    household = Household.objects.get(pk=triad.east_household.pk)
    assert (household.unit, household.unit_path) == (second_grid, second_grid.path)
    for person in (triad.east_person, mother):
        person.refresh_from_db()
        assert (person.unit, person.household) == (second_grid, household)


def test_town_statistician_moves_a_household_into_the_neighbouring_village(api, triad):
    body = {"to_unit": triad.county.west_grid.code}
    # The leader role reads and does not edit people.
    assert api(triad.above).post(move_url(triad.east_household, "households"), body, format="json").status_code == 403
    statistician = make_user("town_statistician", "statistician", triad.county.town)
    response = api(statistician).post(move_url(triad.east_household, "households"), body, format="json")
    assert response.status_code == 201, response.content
    assert api(triad.inside).get(f"/api/v1/households/{triad.east_household.pk}/").status_code == 404
    assert api(triad.neighbour).get(f"/api/v1/people/{triad.east_person.pk}/").status_code == 200


def test_moving_a_household_outside_the_jurisdiction_is_refused(api, triad):
    response = api(triad.inside).post(
        move_url(triad.east_household, "households"), {"to_unit": "430626100202-01"}, format="json"
    )
    assert response.status_code == 400
    assert Household.objects.get(pk=triad.east_household.pk).unit == triad.county.east_grid
    assert api(triad.neighbour).post(
        move_url(triad.east_household, "households"), {"to_unit": "430626100202-01"}, format="json"
    ).status_code == 404
