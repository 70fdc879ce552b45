"""/api/v1/alerts/: the jurisdiction triad, filters, the inbox, acknowledging and resolving."""

from datetime import timedelta

import pytest

from fangkong.alerts.models import AlertKind
from fangkong.alerts.services import escalate_due, raise_alert

from .conftest import NOW

URL = "/api/v1/alerts/"


@pytest.fixture
def alerts(triad, handlers):
    county = triad.county
    return {
        "east": raise_alert(AlertKind.ABNORMAL_FOLLOW_UP, county.east_grid, key="east", title="东门 体温异常",
                            subject=triad.east_person, now=NOW),
        "west": raise_alert(AlertKind.MISSED_SLOT, county.west, key="west", title="西门 漏报", now=NOW),
        "river": raise_alert(AlertKind.LEAD_OVERDUE, county.river, key="river", title="河口 线索超时", now=NOW,
                             recipients=[triad.inside]),
    }


def titles(response):
    assert response.status_code == 200, response.content
    return sorted(a["title"] for a in response.json()["results"])


def test_inside_sees_its_village_and_the_alert_naming_it(api, triad, alerts):
    assert titles(api(triad.inside).get(URL)) == ["东门 体温异常", "河口 线索超时"]


def test_neighbour_sees_only_its_own(api, triad, alerts):
    assert titles(api(triad.neighbour).get(URL)) == ["西门 漏报"]
    assert api(triad.neighbour).get(f"{URL}{alerts['east'].pk}/").status_code == 404
    assert api(triad.neighbour).post(f"{URL}{alerts['east'].pk}/acknowledge/").status_code == 404


def test_above_sees_both_villages(api, triad, alerts):
    assert titles(api(triad.above).get(URL)) == ["东门 体温异常", "西门 漏报"]
    data = api(triad.above).get(f"{URL}{alerts['east'].pk}/").json()
    assert data["origin_unit"] == "430626100201-01" and data["unit"] == "430626100201"
    assert data["subject_type"] == "people.person" and data["subject_id"] == triad.east_person.pk
    assert [s["unit_name"] for s in data["steps"]] == ["东门村"]
    assert sorted(d["user"] for d in data["deliveries"]) == ["east_readonly", "east_worker"]


def test_anonymous_gets_401(api, alerts):
    assert api().get(URL).status_code == 401


def test_filters(api, triad, alerts):
    above = api(triad.above)
    assert titles(above.get(URL, {"kind": "missed_slot"})) == ["西门 漏报"]
    assert titles(above.get(URL, {"unit": "430626100201"})) == ["东门 体温异常"]
    assert titles(above.get(URL, {"unit": "nowhere"})) == []
    above.post(f"{URL}{alerts['west'].pk}/acknowledge/")
    assert titles(above.get(URL, {"acknowledged": "true"})) == ["西门 漏报"]
    assert titles(above.get(URL, {"acknowledged": "false"})) == ["东门 体温异常"]
    above.post(f"{URL}{alerts['west'].pk}/resolve/")
    assert titles(above.get(URL, {"resolved": "true"})) == ["西门 漏报"]
    assert titles(above.get(URL, {"resolved": "false"})) == ["东门 体温异常"]


def test_inbox_is_the_callers_own(api, triad, alerts):
    assert titles(api(triad.inside).get(f"{URL}inbox/")) == ["东门 体温异常", "河口 线索超时"]
    # The town leader sees both villages but has nothing in the inbox until one climbs to the town.
    assert titles(api(triad.above).get(f"{URL}inbox/")) == []
    escalate_due(NOW + timedelta(minutes=120))
    assert titles(api(triad.above).get(f"{URL}inbox/")) == ["东门 体温异常", "西门 漏报"]


def test_acknowledge_and_resolve(api, triad, alerts):
    client = api(triad.inside)
    url = f"{URL}{alerts['east'].pk}/"
    response = client.post(f"{url}acknowledge/", {"note": "已上门复测"}, format="json")
    assert response.status_code == 200
    assert response.json()["acknowledged_by"] == "east_worker" and response.json()["note"] == "已上门复测"
    assert client.post(f"{url}acknowledge/").status_code == 409
    response = client.post(f"{url}resolve/", {"note": "复测正常"}, format="json")
    assert response.status_code == 200 and response.json()["resolved_at"]
    assert client.post(f"{url}resolve/").status_code == 409


def test_readonly_may_not_acknowledge(api, triad, alerts):
    assert api(triad.readonly).get(f"{URL}{alerts['east'].pk}/").status_code == 200
    assert api(triad.readonly).post(f"{URL}{alerts['east'].pk}/acknowledge/").status_code == 403
