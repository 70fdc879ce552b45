"""API of control cases, transfers and tests, with the jurisdiction triad."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fangkong.control.models import CaseStatus, ControlCase

from .test_case_support import D, at, open_v8_close_contact, v8  # noqa: F401

CASES = "/api/v1/control-cases/"


@pytest.fixture
def case(triad, v8):
    today = timezone.localdate()
    return open_v8_close_contact(triad.east_person, triad.inside, anchor=today - timedelta(days=1),
                                 now=timezone.now())


def ids(response):
    return {row["id"] for row in response.json()["results"]}


def test_list_and_retrieve_follow_the_jurisdiction(triad, case, api):
    assert ids(api(triad.inside).get(CASES)) == {case.pk}
    assert ids(api(triad.above).get(CASES)) == {case.pk}
    assert ids(api(triad.neighbour).get(CASES)) == set()
    assert api(triad.neighbour).get(f"{CASES}{case.pk}/").status_code == 404
    body = api(triad.inside).get(f"{CASES}{case.pk}/").json()
    assert body["id_number"] == triad.east_person.id_number
    assert [p["measure"] for p in body["phases"]] == ["centralized_isolation", "home_health_monitoring"]
    assert len(body["tests"]) == 4 and body["regimen"] == "national-v8"
    masked = api(triad.readonly).get(f"{CASES}{case.pk}/").json()
    assert masked["id_number"] != triad.east_person.id_number and "*" in masked["id_number"]
    assert "*" in masked["phone"]
    assert api().get(CASES).status_code == 401


def test_list_filters(triad, case, api):
    client = api(triad.above)
    assert ids(client.get(CASES, {"active": "true", "category": "close_contact"})) == {case.pk}
    assert ids(client.get(CASES, {"status": "released"})) == set()
    assert ids(client.get(CASES, {"unit": triad.county.west.code})) == set()
    assert ids(client.get(CASES, {"q": "张三丰"})) == {case.pk}


def test_create_opens_a_case_within_the_jurisdiction_only(triad, v8, api):
    payload = {"person": triad.east_person.pk, "category": "close_contact", "anchor_date": "2022-01-10",
               "regimen": "national-v8", "team": [{"role": "网格员", "name": "王五", "phone": "13800138000"}]}
    response = api(triad.inside).post(CASES, payload, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["release_on"] == "2022-02-01" and response.json()["team"][0]["name"] == "王五"
    again = api(triad.inside).post(CASES, payload, format="json")
    assert again.status_code == 400 and "已有正在管控的档案" in str(again.json())
    outside = api(triad.inside).post(CASES, {**payload, "person": triad.west_person.pk}, format="json")
    assert outside.status_code == 400 and "person" in outside.json()
    readonly = api(triad.readonly).post(CASES, {**payload, "person": triad.west_person.pk}, format="json")
    assert readonly.status_code == 403
    bad_phone = api(triad.neighbour).post(CASES, {**payload, "person": triad.west_person.pk,
                                                  "team": [{"name": "赵六", "phone": "12345"}]}, format="json")
    assert bad_phone.status_code == 400


def test_change_phase_release_and_close_actions(triad, case, api):
    client = api(triad.inside)
    last = case.phases.get(index=1).last_day
    response = client.post(f"{CASES}{case.pk}/change-phase/",
                           {"phase": 1, "new_last_day": (last + timedelta(days=3)).isoformat(), "reason": "延长"},
                           format="json")
    assert response.status_code == 200
    assert response.json()["release_on"] == (last + timedelta(days=4)).isoformat()
    assert response.json()["phases"][1]["changes"][0]["reason"] == "延长"
    assert client.post(f"{CASES}{case.pk}/change-phase/", {"phase": 1, "new_last_day": last.isoformat(),
                                                            "reason": ""}, format="json").status_code == 400
    refused = client.post(f"{CASES}{case.pk}/release/", {}, format="json")
    assert refused.status_code == 400 and "暂不能解除管控" in str(refused.json())
    assert api(triad.readonly).post(f"{CASES}{case.pk}/release/", {}, format="json").status_code == 403
    assert api(triad.neighbour).post(f"{CASES}{case.pk}/close/", {"status": "lost", "note": "x"},
                                     format="json").status_code == 404
    closed = client.post(f"{CASES}{case.pk}/close/", {"status": "converted", "note": "确诊"}, format="json")
    assert closed.status_code == 200 and closed.json()["status"] == "converted"


def test_release_action_when_all_tests_are_negative(triad, v8, api):
    case = open_v8_close_contact(triad.east_person, triad.inside, anchor=D(2020, 12, 1), regimen=v8,
                                 now=at(D(2020, 12, 1), 20))
    for test in case.tests.all():
        api(triad.inside).post(f"/api/v1/case-tests/{test.pk}/record/", {"result": "negative"}, format="json")
    response = api(triad.inside).post(f"{CASES}{case.pk}/release/", {"note": "期满"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "released"


def test_transfer_then_accept_through_the_api(triad, case, api):
    response = api(triad.inside).post(f"{CASES}{case.pk}/transfer/",
                                      {"to_unit": triad.county.west_grid.code, "reason": "实际居住地"}, format="json")
    assert response.status_code == 201, response.json()
    transfer = response.json()
    assert transfer["state"] == "pending" and transfer["to_unit"] == triad.county.west_grid.code
    # Both sides see the transfer; the sender still sees the case, the receiver not yet.
    assert [t["id"] for t in api(triad.neighbour).get("/api/v1/case-transfers/").json()["results"]] == [transfer["id"]]
    assert [t["id"] for t in api(triad.inside).get("/api/v1/case-transfers/").json()["results"]] == [transfer["id"]]
    other = api(triad.inside)
    assert ids(other.get(CASES)) == {case.pk} and ids(api(triad.neighbour).get(CASES)) == set()
    assert api(triad.inside).post(f"/api/v1/case-transfers/{transfer['id']}/accept/").status_code == 403
    accepted = api(triad.neighbour).post(f"/api/v1/case-transfers/{transfer['id']}/accept/")
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
    assert ids(api(triad.inside).get(CASES)) == set() and ids(api(triad.neighbour).get(CASES)) == {case.pk}
    river = __import__("fangkong.conftest", fromlist=["make_user"]).make_user("river_worker", "grid_worker",
                                                                              triad.county.river)
    assert api(river).get("/api/v1/case-transfers/").json()["results"] == []


def test_decline_through_the_api(triad, case, api):
    transfer = api(triad.inside).post(f"{CASES}{case.pk}/transfer/", {"to_unit": triad.county.west_grid.code,
                                                                       "reason": "x"}, format="json").json()
    url = f"/api/v1/case-transfers/{transfer['id']}/decline/"
    assert api(triad.neighbour).post(url, {}, format="json").status_code == 400
    declined = api(triad.neighbour).post(url, {"reason": "查无此人"}, format="json")
    assert declined.status_code == 200 and declined.json()["state"] == "declined"
    assert ControlCase.objects.get(pk=case.pk).status != CaseStatus.TRANSFERRED_OUT


def test_case_tests_list_and_record(triad, case, api):
    tests = api(triad.inside).get("/api/v1/case-tests/", {"case": case.pk}).json()["results"]
    assert len(tests) == 4 and tests[0]["person_name"] == "张三丰"
    assert api(triad.neighbour).get("/api/v1/case-tests/").json()["results"] == []
    assert api(triad.neighbour).post(f"/api/v1/case-tests/{tests[0]['id']}/record/", {"result": "negative"},
                                     format="json").status_code == 404
    assert api(triad.readonly).post(f"/api/v1/case-tests/{tests[0]['id']}/record/", {"result": "negative"},
                                    format="json").status_code == 403
    assert len(api(triad.readonly).get("/api/v1/case-tests/").json()["results"]) == 4
    recorded = api(triad.inside).post(f"/api/v1/case-tests/{tests[0]['id']}/record/", {"result": "positive"},
                                      format="json")
    assert recorded.status_code == 200 and recorded.json()["result"] == "positive"
    assert recorded.json()["status"] == "done"
