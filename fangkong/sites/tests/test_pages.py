"""The site pages: list with occupancy and reserve, rooms grid, bulk rooms, check-in/out."""

from fangkong.sites.models import Room, Stay
from fangkong.sites.services import check_in

from .conftest import NOW


def test_list_triad(as_user, triad, sites):
    text = as_user(triad.inside).get("/sites/").content.decode()
    assert "东门隔离点" in text and "西门隔离点" not in text
    text = as_user(triad.neighbour).get("/sites/").content.decode()
    assert "西门隔离点" in text and "东门隔离点" not in text
    text = as_user(triad.above).get("/sites/").content.decode()
    assert "东门隔离点" in text and "西门隔离点" in text


def test_list_shows_occupancy_and_reserve(as_user, triad, sites):
    check_in(sites.east_case, sites.rooms["101"], now=NOW)
    text = as_user(triad.inside).get("/sites/").content.decode()
    assert 'style="width: 20%"' in text  # 1 of 5 beds
    assert "东门村：隔离房间4间，常住人口1人" in text and "储备达标" in text


def test_detail_triad_and_rooms_grid(as_user, triad, sites):
    check_in(sites.east_case, sites.rooms["101"], now=NOW)
    url = f"/sites/{sites.east.pk}/"
    assert as_user(triad.neighbour).get(url).status_code == 404
    assert as_user(triad.above).get(url).status_code == 200
    text = as_user(triad.inside).get(url).content.decode()
    assert "张三丰" in text and triad.east_person.id_number in text
    assert "办理入住" not in text and "办理离开" not in text  # a grid worker only looks
    masked = as_user(triad.readonly).get(url).content.decode()
    assert "张三丰" in masked and triad.east_person.id_number not in masked


def test_clerk_adds_rooms_in_bulk(as_user, triad, sites):
    client = as_user(sites.east_clerk)
    response = client.post(f"/sites/{sites.east.pk}/rooms/", {"numbers": "301-310, 103", "beds": "2"})
    assert response.status_code == 302
    assert Room.objects.filter(site=sites.east, number__startswith="3", beds=2).count() == 10
    response = client.post(f"/sites/{sites.east.pk}/rooms/", {"numbers": "320-310", "beds": "1"})
    assert response.status_code == 400 and "结束号小于起始号" in response.content.decode()
    assert as_user(sites.west_clerk).post(f"/sites/{sites.east.pk}/rooms/",
                                          {"numbers": "1", "beds": "1"}).status_code == 404
    assert as_user(triad.inside).post(f"/sites/{sites.east.pk}/rooms/",
                                      {"numbers": "1", "beds": "1"}).status_code == 403


def test_clerk_checks_in_and_out(as_user, triad, sites):
    client = as_user(sites.east_clerk)
    page = client.get(f"/sites/{sites.east.pk}/").content.decode()
    assert "张三丰" in page and "李四" not in page  # only cases of the jurisdiction are offered
    response = client.post(f"/sites/{sites.east.pk}/check-in/",
                           {"case": sites.east_case.pk, "room": sites.rooms["102"].pk})
    assert response.status_code == 302
    stay = Stay.objects.get(case=sites.east_case)
    assert stay.room == sites.rooms["102"] and stay.checked_in_by == sites.east_clerk
    again = client.post(f"/sites/{sites.east.pk}/check-in/", {"case": sites.east_case.pk,
                                                              "room": sites.rooms["103"].pk})
    assert again.status_code == 400
    assert as_user(sites.west_clerk).post(f"/sites/stays/{stay.pk}/check-out/").status_code == 404
    assert client.post(f"/sites/stays/{stay.pk}/check-out/").status_code == 302
    stay.refresh_from_db()
    assert stay.checked_out_at is not None and stay.checked_out_by == sites.east_clerk


def test_check_in_refuses_a_case_of_another_village(as_user, triad, sites):
    response = as_user(sites.east_clerk).post(f"/sites/{sites.east.pk}/check-in/",
                                              {"case": sites.west_case.pk, "room": sites.rooms["101"].pk})
    assert response.status_code == 400 and not Stay.objects.exists()


def test_pages_need_login(client, sites):
    assert client.get("/sites/").status_code == 302
