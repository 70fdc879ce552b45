"""/api/v1/regimens/: read-only reference data for every logged-in user whose role may view
regimens (not filtered by jurisdiction), looked up by code, with the preview of the contract."""

import pytest

from fangkong.conftest import make_user
from fangkong.control.models import RegimenVersion
from fangkong.control.regimens.presets import load_presets


@pytest.fixture(autouse=True)
def presets(db):
    load_presets()


def test_login_required(api):
    assert api().get("/api/v1/regimens/").status_code == 401
    url = "/api/v1/regimens/national-v9/preview/?category=close_contact&anchor=2022-07-01"
    assert api().get(url).status_code == 401


def test_every_viewing_role_reads_the_same_regimens(triad, api):
    codes = None
    for user in (triad.inside, triad.neighbour, triad.above, triad.readonly):
        response = api(user).get("/api/v1/regimens/")
        assert response.status_code == 200
        found = {row["code"] for row in response.data["results"]}
        assert codes is None or found == codes
        codes = found
    assert codes >= {"early-2020", "gongtian-2022", "qingliangfeng-2022", "national-v8", "national-v9"}


def test_a_role_without_the_view_permission_is_refused(triad, api):
    tester = make_user("tester", "testing_staff", triad.county.east)
    assert api(tester).get("/api/v1/regimens/").status_code == 403


def test_detail_by_code(triad, api):
    response = api(triad.readonly).get("/api/v1/regimens/national-v8/")
    assert response.status_code == 200
    assert response.data["categories"] == ["inbound", "close_contact", "secondary_contact"]
    assert response.data["effective_from"] == "2021-05-11" and response.data["effective_to"] == "2022-06-27"
    assert response.data["rules"]["close_contact"]["fill_and_top_up"] is True
    assert api(triad.readonly).get("/api/v1/regimens/nope/").status_code == 404


def test_read_only(triad, api):
    client = api(triad.above)
    assert client.post("/api/v1/regimens/", {"code": "x"}, format="json").status_code == 405
    assert client.delete("/api/v1/regimens/national-v8/").status_code in (403, 405)
    assert RegimenVersion.objects.filter(code="national-v8").exists()


def test_preview(triad, api):
    response = api(triad.inside).get("/api/v1/regimens/gongtian-2022/preview/",
                                      {"category": "medium_risk_area", "anchor": "2022-01-20", "arrival": "2022-01-23"})
    assert response.status_code == 200
    assert response.json() == {
        "phases": [{"measure": "home_health_monitoring", "first_day": "2022-01-23", "last_day": "2022-01-27"}],
        "tests": [{"date": "2022-01-23", "who": "person"}, {"date": "2022-01-27", "who": "person"},
                  {"date": "2022-02-03", "who": "person"}],
        "release_on": "2022-01-28",
    }


def test_preview_errors_are_400_in_chinese(triad, api):
    client = api(triad.inside)
    url = "/api/v1/regimens/national-v8/preview/"
    response = client.get(url, {"category": "low_risk_area", "anchor": "2022-01-20"})
    assert response.status_code == 400 and "没有“低风险地区返乡人员”的管控规则" in str(response.data)
    response = client.get(url, {"category": "close_contact", "anchor": "2022-01-20", "arrival": "2022-01-19"})
    assert response.status_code == 400 and "不能早于起算日期" in str(response.data)
    response = client.get(url, {"category": "close_contact"})
    assert response.status_code == 400 and "anchor" in response.data
    assert client.get("/api/v1/regimens/nope/preview/", {"category": "close_contact",
                                                          "anchor": "2022-01-20"}).status_code == 404
