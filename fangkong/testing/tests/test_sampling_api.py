"""API of rounds, sampling points and tubes: jurisdiction triad, opening, the scanning batch
and closing, with ID numbers masked per role."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fangkong.conftest import fictional_id
from fangkong.testing.models import Tube
from fangkong.testing.services.rounds import create_round
from fangkong.testing.services.sampling import open_tube

from .test_rounds import make_sampling

ROUNDS, POINTS, TUBES = "/api/v1/testing-rounds/", "/api/v1/sampling-points/", "/api/v1/tubes/"


@pytest.fixture
def current(triad):
    """A round running today (the API reads the clock), with its point under 东门村."""
    today = timezone.localdate()
    sampling = make_sampling(triad)
    sampling.round.starts_on, sampling.round.ends_on = today - timedelta(days=1), today + timedelta(days=1)
    sampling.round.save()
    sampling.tube = open_tube(sampling.round, sampling.point, "T0001", sampling.sampler, timezone.now())
    return sampling


def rows(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_tubes_follow_the_points_jurisdiction(api, triad, current):
    assert [t["barcode"] for t in rows(api(triad.inside).get(TUBES))] == ["T0001"]
    assert [t["barcode"] for t in rows(api(triad.above).get(TUBES))] == ["T0001"]
    assert rows(api(triad.neighbour).get(TUBES)) == []
    assert api(triad.neighbour).get(f"{TUBES}T0001/").status_code == 404
    assert api(triad.above).get(f"{TUBES}T0001/").json()["point_name"] == "东门村文化广场采样点"
    assert api(current.west_sampler).post(f"{TUBES}T0001/scan/", {"codes": [triad.west_person.id_number]},
                                          format="json").status_code == 404
    assert api().get(TUBES).status_code == 401


def test_rounds_and_points_lists(api, triad, current):
    body = rows(api(triad.inside).get(ROUNDS))
    assert [r["name"] for r in body] == ["城关镇第一轮全员核酸"]
    assert body[0]["pool_sizes"] == {"default": 10, "medium_risk": 5, "controlled": 1}
    assert body[0]["scope"] == [triad.county.town.code]
    assert [p["unit"] for p in rows(api(triad.inside).get(POINTS))] == [current.point_unit.code]
    assert rows(api(triad.neighbour).get(POINTS)) == []
    assert api(triad.neighbour).get(f"{POINTS}{current.point.pk}/").status_code == 404


def test_round_create_needs_the_permission_and_checks_the_input(api, triad, current):
    payload = {"name": "第二轮", "owner_unit": triad.county.town.code, "scope": [triad.county.east.code],
               "starts_on": "2022-04-05", "ends_on": "2022-04-06", "pool_sizes": {"default": 5}}
    assert api(triad.inside).post(ROUNDS, payload, format="json").status_code == 403
    created = api(current.statistician).post(ROUNDS, payload, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["pool_sizes"]["default"] == 5 and created.json()["scope"] == [triad.county.east.code]
    backwards = api(current.statistician).post(ROUNDS, {**payload, "ends_on": "2022-04-01"}, format="json")
    assert backwards.status_code == 400 and "不能早于开始日期" in str(backwards.json())
    outside = api(current.statistician).post(ROUNDS, {**payload, "owner_unit": triad.county.other_town.code},
                                             format="json")
    assert outside.status_code == 400 and "owner_unit" in outside.json()


def test_point_create(api, triad, current):
    from fangkong.orgs.services import add_unit

    unit = add_unit(triad.county.west, code="430626100202-CY1", name="西门村采样点", type="sampling_point")
    response = api(current.statistician).post(POINTS, {"round": current.round.pk, "unit": unit.code,
                                                       "opens_at": "07:00", "closes_at": "12:00"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["unit_name"] == "西门村采样点" and response.json()["tubes"] == 0
    again = api(current.statistician).post(POINTS, {"round": current.round.pk, "unit": unit.code}, format="json")
    assert again.status_code == 400 and "已是本轮的采样点" in str(again.json())


def test_open_scan_and_close_through_the_api(api, triad, current):
    client = api(current.sampler)
    opened = client.post(TUBES, {"point": current.point.pk, "barcode": "T0002", "capacity": 3}, format="json")
    assert opened.status_code == 201, opened.json()
    assert (opened.json()["capacity"], opened.json()["status"]) == (3, "open")
    used = client.post(TUBES, {"point": current.point.pk, "barcode": "T0002"}, format="json")
    assert used.status_code == 400 and "已使用" in str(used.json())
    unknown = fictional_id(seq=66)
    scanned = client.post(f"{TUBES}T0002/scan/", {"codes": [triad.east_person.id_number, "bad", f"HC:{unknown}"]},
                          format="json")
    assert scanned.status_code == 200, scanned.json()
    body = scanned.json()
    assert [r["accepted"] for r in body["results"]] == [True, False, True]
    assert body["results"][2]["provisional"] and body["results"][2]["person_name"] == "待核实"
    assert body["accepted"] == 2 and body["tube"]["size"] == 2
    assert [s["person_name"] for s in body["tube"]["samples"]] == ["张三丰", "待核实"]
    busy = client.post(f"{TUBES}T0001/scan/", {"codes": [triad.east_person.id_number]}, format="json").json()
    assert "另一支未封管的试管（T0002）" in busy["results"][0]["reason"]
    closed = client.post(f"{TUBES}T0002/close/")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert client.post(f"{TUBES}T0002/close/").status_code == 400
    assert api(triad.inside).post(f"{TUBES}T0001/scan/", {"codes": ["x"]}, format="json").status_code == 403
    assert api(triad.inside).post(TUBES, {"point": current.point.pk, "barcode": "T0003"},
                                  format="json").status_code == 403


def test_members_are_masked_for_roles_that_may_not_see_identity(api, triad, current):
    api(current.sampler).post(f"{TUBES}T0001/scan/", {"codes": [triad.east_person.id_number]}, format="json")
    shown = api(triad.inside).get(f"{TUBES}T0001/").json()["samples"][0]
    assert shown["id_number"] == triad.east_person.id_number
    masked = api(triad.readonly).get(f"{TUBES}T0001/").json()["samples"][0]
    assert masked["id_number"] != triad.east_person.id_number and "*" in masked["id_number"]


def test_tube_filters(api, triad, current):
    other_round = create_round(triad.county.town, "另一轮", [], timezone.localdate(), timezone.localdate(),
                               "all_residents", {}, current.statistician)
    assert Tube.objects.count() == 1
    client = api(triad.above)
    assert [t["barcode"] for t in rows(client.get(TUBES, {"round": current.round.pk}))] == ["T0001"]
    assert rows(client.get(TUBES, {"round": other_round.pk})) == []
    assert rows(client.get(TUBES, {"status": "closed"})) == []
    assert [t["barcode"] for t in rows(client.get(TUBES, {"unit": triad.county.east.code}))] == ["T0001"]
    assert rows(client.get(TUBES, {"unit": triad.county.west.code})) == []
