from decimal import Decimal

from fangkong.people.models import Person
from fangkong.screening.models import Visit
from fangkong.screening.services.visits import record_visit

from .conftest import answer, visit_time

URL = "/api/v1/visits/"


def detail(visit):
    return f"{URL}{visit.pk}/"


def households(response):
    assert response.status_code == 200, response.content
    return sorted(v["household_number"] for v in response.json()["results"])


def new_visit(campaign, household, *answers, **fields):
    return {"campaign": campaign.pk, "household": household.pk, "outcome": "completed",
            "visited_at": visit_time(1).isoformat(), "answers": list(answers), **fields}


def visit_both(triad, campaign):
    east = record_visit(campaign=campaign, household=triad.east_household, user=triad.inside, outcome="completed",
                        answers=[answer(triad.east_person, places_visited="长沙")], visited_at=visit_time(1))
    west = record_visit(campaign=campaign, household=triad.west_household, user=triad.neighbour,
                        outcome="unreachable", visited_at=visit_time(2))
    return east, west


# Reading: the jurisdiction triad and masking.


def test_grid_worker_lists_the_visits_of_the_village(api, triad, campaigns):
    visit_both(triad, campaigns.town)
    assert households(api(triad.inside).get(URL)) == ["H-EAST-1"]


def test_neighbour_does_not_see_the_other_villages_visits(api, triad, campaigns):
    east, _west = visit_both(triad, campaigns.town)
    assert households(api(triad.neighbour).get(URL)) == ["H-WEST-1"]
    assert api(triad.neighbour).get(detail(east)).status_code == 404


def test_leader_above_sees_both(api, triad, campaigns):
    _east, west = visit_both(triad, campaigns.town)
    assert households(api(triad.above).get(URL)) == ["H-EAST-1", "H-WEST-1"]
    data = api(triad.above).get(detail(west)).json()
    assert (data["outcome"], data["needs_revisit"], data["unit"]) == ("unreachable", True, "430626100202-01")


def test_detail_shows_the_answers(api, triad, campaigns):
    east, _west = visit_both(triad, campaigns.town)
    data = api(triad.inside).get(detail(east)).json()
    assert data["visited_by"] == "east_worker" and data["campaign_name"] == "城关镇敲门行动"
    [member] = data["answers"]
    assert member["person_name"] == "张三丰" and member["presence"] == "present"
    assert member["places_visited"] == "长沙"
    assert member["id_number"] == triad.east_person.id_number and member["phone"] == "13800135678"


def test_readonly_role_gets_masked_numbers(api, triad, campaigns):
    east, _west = visit_both(triad, campaigns.town)
    number = triad.east_person.id_number
    [listed] = api(triad.readonly).get(URL).json()["results"]
    shown = api(triad.readonly).get(detail(east)).json()
    for data in (listed, shown):
        [member] = data["answers"]
        assert member["id_number"] == number[:4] + "*" * 10 + number[-4:]
        assert member["phone"] == "138****5678"


def test_anonymous_gets_401(api, triad, campaigns):
    east, _west = visit_both(triad, campaigns.town)
    assert api().get(URL).status_code == 401
    assert api().get(detail(east)).status_code == 401


def test_filters(api, triad, campaigns):
    visit_both(triad, campaigns.town)
    client = api(triad.above)
    assert households(client.get(URL, {"outcome": "unreachable"})) == ["H-WEST-1"]
    assert households(client.get(URL, {"unit": "430626100201"})) == ["H-EAST-1"]
    assert households(client.get(URL, {"date": "2022-01-27"})) == ["H-WEST-1"]
    assert households(client.get(URL, {"date_from": "2022-01-26", "date_to": "2022-01-26"})) == ["H-EAST-1"]
    assert households(client.get(URL, {"campaign": campaigns.east.pk})) == []
    assert households(client.get(URL, {"campaign": campaigns.town.pk})) == ["H-EAST-1", "H-WEST-1"]


# Recording a visit.


def test_grid_worker_records_a_visit_with_member_answers(api, triad, campaigns):
    member = {"person": triad.east_person.pk, "presence": "present", "places_visited": "武汉",
              "symptoms": ["cough", "fever", "cough"], "temperature": "37.8"}
    response = api(triad.inside).post(URL, new_visit(campaigns.town, triad.east_household, member), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["answers"][0]["symptoms"] == ["cough", "fever"]
    assert data["flags"] == [{"person": triad.east_person.pk, "person_name": "张三丰",
                              "reasons": "到过关注地区：武汉（属湖北）；发热：37.8℃；有症状：咳嗽、发热"}]
    visit = Visit.objects.get(pk=data["id"])
    assert visit.visited_by == triad.inside and visit.answers.get().temperature == Decimal("37.8")
    assert Person.objects.get(pk=triad.east_person.pk).needs_follow_up


def test_nobody_home_needs_no_answers(api, triad, campaigns):
    payload = new_visit(campaigns.east, triad.east_household, outcome="nobody_home")
    del payload["answers"], payload["visited_at"]
    response = api(triad.inside).post(URL, payload, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["needs_revisit"] is True


def test_no_visit_to_a_household_outside_the_jurisdiction(api, triad, campaigns):
    member = {"person": triad.west_person.pk, "presence": "present"}
    response = api(triad.inside).post(URL, new_visit(campaigns.town, triad.west_household, member), format="json")
    assert response.status_code == 400
    assert response.json()["household"] == [f"编号为 {triad.west_household.pk} 的记录不存在或不在您的辖区内。"]


def test_no_visit_in_a_campaign_the_user_does_not_take_part_in(api, triad, campaigns):
    member = {"person": triad.west_person.pk, "presence": "present"}
    response = api(triad.neighbour).post(URL, new_visit(campaigns.east, triad.west_household, member), format="json")
    assert response.status_code == 400 and "campaign" in response.json()


def test_validation_messages_name_the_member(api, triad, campaigns):
    response = api(triad.inside).post(URL, new_visit(campaigns.town, triad.east_household), format="json")
    assert response.status_code == 400
    assert response.json() == {"answers": ["请填写户内成员“张三丰”的在家情况。"]}
    assert not Visit.objects.exists()


def test_temperature_out_of_range(api, triad, campaigns):
    member = {"person": triad.east_person.pk, "presence": "present", "temperature": "47.5"}
    response = api(triad.inside).post(URL, new_visit(campaigns.town, triad.east_household, member), format="json")
    assert response.json() == {"answers": {"0": {"temperature": ["体温不应高于43℃，请核对。"]}}}


def test_readonly_role_may_not_record_visits(api, triad, campaigns):
    member = {"person": triad.east_person.pk, "presence": "present"}
    response = api(triad.readonly).post(URL, new_visit(campaigns.town, triad.east_household, member), format="json")
    assert response.status_code == 403


def test_visits_are_not_edited_or_deleted(api, triad, campaigns):
    east, _west = visit_both(triad, campaigns.town)
    client = api(triad.inside)
    # No such actions: 405, or 403 first for a role without the (unused) change/delete permission.
    assert client.patch(detail(east), {"note": "改"}, format="json").status_code == 405
    assert client.delete(detail(east)).status_code in (403, 405)
    assert Visit.objects.get(pk=east.pk).note == ""
