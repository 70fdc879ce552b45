"""Risk area pages and API: anyone logged in reads; entering and lifting need the permissions."""

import datetime

from fangkong.areas.models import RiskArea


def test_list_filters_by_date_in_force(triad, areas, as_user):
    client = as_user(triad.readonly)
    page = client.get("/areas/", {"on": "2022-02-10"}).content.decode()
    assert "纸坊街道" in page and "雁塔区" not in page
    page = client.get("/areas/", {"on": "2022-01-20", "level": "medium"}).content.decode()
    assert "雁塔区" in page and "纸坊街道" not in page


def test_anonymous_is_sent_to_login(client, areas):
    assert client.get("/areas/").status_code == 302


def test_readonly_cannot_add_but_leader_enters_and_lifts(triad, as_user):
    assert as_user(triad.readonly).get("/areas/new/").status_code == 403
    client = as_user(triad.above)
    response = client.post("/areas/new/", {"level": "high", "name": "北京市朝阳区", "division_code": "",
                                           "effective_from": "2022-01-15", "source": "国务院联防联控机制"})
    area = RiskArea.objects.get()
    assert response.status_code == 302 and area.division_code == "110105" and area.created_by == triad.above
    assert as_user(triad.readonly).post(f"/areas/{area.pk}/lift/", {"effective_to": "2022-02-01"}).status_code == 403
    client.post(f"/areas/{area.pk}/lift/", {"effective_to": "2022-02-01"})
    area.refresh_from_db()
    assert area.effective_to == datetime.date(2022, 2, 1)
    detail = client.get(f"/areas/{area.pk}/").content.decode()
    assert "2022年2月1日" in detail and area.history.count() == 2


def test_unknown_name_without_code_is_refused_on_the_form(triad, as_user):
    response = as_user(triad.above).post("/areas/new/", {"level": "high", "name": "火星", "effective_from": "2022-01-15"})
    assert response.status_code == 200 and "无法从地区名称识别区划代码" in response.content.decode()
    assert not RiskArea.objects.exists()


def test_api_list_check_and_create(triad, areas, api):
    reader = api(triad.readonly)
    body = reader.get("/api/v1/risk-areas/", {"on": "2022-02-10"}).json()
    assert [row["division_code"] for row in body["results"]] == ["420115001", "4301"] or \
        {row["division_code"] for row in body["results"]} == {"420115001", "4301"}
    check = reader.get("/api/v1/risk-areas/check/", {"code": "420102", "date": "2022-01-20"}).json()
    assert check == {"level": None, "same_city": True, "same_county": False, "province_local_cases": True,
                     "category": "medium_risk_area"}
    assert reader.post("/api/v1/risk-areas/", {"level": "high", "name": "北京市朝阳区",
                                              "effective_from": "2022-01-15"}).status_code == 403
    writer = api(triad.above)
    response = writer.post("/api/v1/risk-areas/", {"level": "high", "name": "北京市朝阳区", "effective_from": "2022-01-15"})
    assert response.status_code == 201, response.json()
    assert response.json()["division_code"] == "110105" and response.json()["scope"] == "county"
    pk = response.json()["id"]
    response = writer.patch(f"/api/v1/risk-areas/{pk}/", {"effective_to": "2022-01-30"})
    assert response.status_code == 200 and response.json()["effective_to"] == "2022-01-30"
    bad = writer.post("/api/v1/risk-areas/", {"level": "high", "name": "火星", "effective_from": "2022-01-15"})
    assert bad.status_code == 400 and "division_code" in bad.json()
    assert api().get("/api/v1/risk-areas/").status_code == 401
