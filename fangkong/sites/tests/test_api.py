"""/api/v1/sites/, /rooms/, /stays/: the jurisdiction triad, check-in and check-out."""

import pytest

from fangkong.sites.models import Room, Stay
from fangkong.sites.services import check_in

from .conftest import NOW


def names(response, field="name"):
    assert response.status_code == 200, response.content
    return sorted(row[field] for row in response.json()["results"])


def test_sites_triad(api, triad, sites):
    assert names(api(triad.inside).get("/api/v1/sites/")) == ["东门隔离点"]
    assert names(api(triad.neighbour).get("/api/v1/sites/")) == ["西门隔离点"]
    assert names(api(triad.above).get("/api/v1/sites/")) == ["东门隔离点", "西门隔离点"]
    assert api(triad.neighbour).get(f"/api/v1/sites/{sites.east.pk}/").status_code == 404
    assert api().get("/api/v1/sites/").status_code == 401


def test_site_shows_occupancy_and_reserve(api, triad, sites):
    check_in(sites.east_case, sites.rooms["201"], now=NOW)
    data = api(triad.inside).get(f"/api/v1/sites/{sites.east.pk}/").json()
    assert (data["rooms"], data["beds"], data["occupied"], data["free"], data["over_capacity"]) == (4, 5, 1, 4, False)
    assert data["reserve"]["area"] == "430626100201" and data["reserve"]["residents"] == 1
    assert data["reserve"]["rooms"] == 4 and data["reserve"]["target_per_10k"] == "20.0"


def test_rooms_triad_and_filter(api, triad, sites):
    assert names(api(triad.inside).get("/api/v1/rooms/"), "number") == ["101", "102", "103", "201"]
    assert names(api(triad.neighbour).get("/api/v1/rooms/"), "number") == ["101", "102"]
    assert len(names(api(triad.above).get("/api/v1/rooms/", {"site": "ISO-WEST"}), "number")) == 2
    assert api(triad.neighbour).get(f"/api/v1/rooms/{sites.rooms['101'].pk}/").status_code == 404


def test_room_create_is_checked(api, triad, sites):
    clerk = api(sites.east_clerk)
    response = clerk.post("/api/v1/rooms/", {"site": "ISO-EAST", "number": "301", "beds": 2}, format="json")
    assert response.status_code == 201, response.content
    assert clerk.post("/api/v1/rooms/", {"site": "ISO-EAST", "number": "301"}, format="json").status_code == 400
    response = clerk.post("/api/v1/rooms/", {"site": "ISO-WEST", "number": "9"}, format="json")
    assert response.status_code == 400 and "不在您的辖区内" in str(response.json())
    response = clerk.post("/api/v1/rooms/", {"site": "430626100201", "number": "9"}, format="json")
    assert response.status_code == 400 and "不是集中隔离点" in str(response.json())
    # A grid worker may read rooms but not add them.
    assert api(triad.inside).post("/api/v1/rooms/", {"site": "ISO-EAST", "number": "302"},
                                  format="json").status_code == 403


def test_check_in_and_out_through_the_api(api, triad, sites):
    clerk = api(sites.east_clerk)
    body = {"room": sites.rooms["101"].pk, "case": sites.east_case.pk, "checked_in_at": "2022-01-27T09:00:00+08:00"}
    response = clerk.post("/api/v1/stays/", body, format="json")
    assert response.status_code == 201, response.content
    stay = response.json()
    assert stay["person_name"] == "张三丰" and stay["site"] == "ISO-EAST"
    again = clerk.post("/api/v1/stays/", {**body, "room": sites.rooms["102"].pk}, format="json")
    assert again.status_code == 400 and "已在隔离点入住" in str(again.json())
    response = clerk.post(f"/api/v1/stays/{stay['id']}/check-out/", {}, format="json")
    assert response.status_code == 200 and response.json()["checked_out_at"]
    assert clerk.post(f"/api/v1/stays/{stay['id']}/check-out/", {}, format="json").status_code == 400


def test_check_in_refuses_a_full_room_and_outside_cases(api, triad, sites):
    check_in(sites.west_case, sites.west_rooms["101"], now=NOW)
    west_clerk = api(sites.west_clerk)
    # The east case is outside 西门村's jurisdiction; so is the east room.
    response = west_clerk.post("/api/v1/stays/", {"room": sites.west_rooms["102"].pk, "case": sites.east_case.pk},
                               format="json")
    assert response.status_code == 400 and "case" in response.json()
    east_clerk = api(sites.east_clerk)
    response = east_clerk.post("/api/v1/stays/", {"room": sites.west_rooms["102"].pk, "case": sites.east_case.pk},
                               format="json")
    assert response.status_code == 400 and "room" in response.json()
    from fangkong.conftest import fictional_id
    from fangkong.control.testing import make_case
    from fangkong.people.models import Person

    other = make_case(Person.objects.create(name="王五", id_number=fictional_id(seq=77), unit=triad.county.west_grid))
    response = west_clerk.post("/api/v1/stays/", {"room": sites.west_rooms["101"].pk, "case": other.pk},
                               format="json")
    assert response.status_code == 400 and "已住满" in str(response.json())


def test_stays_triad_and_masking(api, triad, sites):
    check_in(sites.east_case, sites.rooms["101"], now=NOW)
    check_in(sites.west_case, sites.west_rooms["101"], now=NOW)
    assert names(api(triad.inside).get("/api/v1/stays/"), "person_name") == ["张三丰"]
    assert names(api(triad.neighbour).get("/api/v1/stays/"), "person_name") == ["李四"]
    assert names(api(triad.above).get("/api/v1/stays/"), "person_name") == ["张三丰", "李四"]
    stay = Stay.objects.get(case=sites.east_case)
    assert api(triad.neighbour).get(f"/api/v1/stays/{stay.pk}/").status_code == 404
    full = api(triad.inside).get(f"/api/v1/stays/{stay.pk}/").json()["id_number"]
    masked = api(triad.readonly).get(f"/api/v1/stays/{stay.pk}/").json()["id_number"]
    assert full == triad.east_person.id_number and masked != full and "*" in masked
    # Reading stays does not allow a check-out.
    assert api(triad.inside).post(f"/api/v1/stays/{stay.pk}/check-out/").status_code == 403


@pytest.mark.parametrize("url", ["/api/v1/sites/", "/api/v1/rooms/", "/api/v1/stays/"])
def test_anonymous_gets_401(api, sites, url):
    assert api().get(url).status_code == 401
    assert Room.objects.exists()
