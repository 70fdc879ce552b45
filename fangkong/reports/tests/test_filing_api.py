"""The filings API: filing, zero reports, corrections, validation errors as 400 with Chinese
messages, the jurisdiction triad; and the report forms."""

import pytest
from django.utils import timezone

from fangkong.conftest import make_user
from fangkong.reports.models import Filing, ReportForm

from .test_filing_services import VALUES

pytestmark = pytest.mark.django_db
FILINGS = "/api/v1/filings/"


def today():
    return timezone.localdate().isoformat()


def post(client, unit, **body):
    return client.post(FILINGS, {"form": "daily", "unit": unit.code, "day": today(), **body}, format="json")


def test_filing_and_the_triad(api, triad):
    east, west = triad.county.east, triad.county.west
    created = post(api(triad.inside), east, values=VALUES)
    assert created.status_code == 201, created.json()
    data = created.json()
    assert data["unit"] == east.code and data["version"] == 1 and data["current"] and data["form"] == "daily"
    assert data["values"]["events"] == "劝阻聚餐一起" and "screened_persons" in data["computed"]
    assert post(api(triad.neighbour), west, zero_report=True).status_code == 201
    refused = post(api(triad.neighbour), east, zero_report=True)
    assert refused.status_code == 400 and "不存在或不在您的辖区内" in refused.json()["unit"][0]
    assert post(api(triad.above), east, zero_report=True).status_code == 403
    above = api(triad.above).get(FILINGS).json()
    assert {row["unit"] for row in above["results"]} == {east.code, west.code}
    inside = api(triad.inside).get(FILINGS).json()
    assert [row["unit"] for row in inside["results"]] == [east.code]
    assert api(triad.neighbour).get(f"{FILINGS}{data['id']}/").status_code == 404
    assert api(triad.above).get(f"{FILINGS}{data['id']}/").status_code == 200
    assert api().get(FILINGS).status_code == 401


def test_validation_errors_are_400_with_chinese_messages(api, triad):
    client = api(triad.inside)
    bad = post(client, triad.county.east, values={**VALUES, "outsiders_registered": -1, "unknown": 1})
    assert bad.status_code == 400
    assert bad.json() == {"outsiders_registered": ["外来人员登记必须是不小于0的整数"],
                          "unknown": ["未知的填报项目“unknown”"]}
    sums = post(client, triad.county.east, values={**VALUES, "outsiders_registered": 10,
                                                   "outsiders_from_risk_areas": 4, "outsiders_from_elsewhere": 5})
    assert sums.json() == {"outsiders_registered": ["外来人员登记（10）应等于各分项之和（4 + 5 = 9）"]}
    assert post(client, triad.county.east, zero_report=True).status_code == 201
    again = post(client, triad.county.east, values=VALUES)
    assert again.status_code == 400
    assert again.json() == {"non_field_errors": ["东门村已报送该期报告；如需修改，请填写原因后更正"]}
    town = post(api(triad.above), triad.county.town, values=VALUES)
    assert town.status_code == 403
    unknown_form = post(client, triad.county.east, form="nope", values=VALUES)
    assert unknown_form.status_code == 400 and "没有生效的版本" in unknown_form.json()["form"][0]


def test_correction_by_api(api, triad):
    client = api(triad.inside)
    first = post(client, triad.county.east, zero_report=True).json()
    url = f"{FILINGS}{first['id']}/correct/"
    missing = client.post(url, {"values": VALUES}, format="json")
    assert missing.status_code == 400 and missing.json() == {"reason": ["请填写更正原因"]}
    corrected = client.post(url, {"values": VALUES, "reason": "漏报外来人员"}, format="json")
    assert corrected.status_code == 201
    data = corrected.json()
    assert data["version"] == 2 and data["reason"] == "漏报外来人员" and not data["zero_report"]
    assert client.post(url, {"values": VALUES, "reason": "再改"}, format="json").status_code == 400
    assert [row["version"] for row in client.get(FILINGS).json()["results"]] == [2]
    assert sorted(row["version"] for row in client.get(FILINGS, {"current": "false"}).json()["results"]) == [1, 2]
    assert client.get(f"{FILINGS}{first['id']}/").json()["current"] is False
    assert api(triad.neighbour).post(url, {"values": VALUES, "reason": "x"}, format="json").status_code == 404
    assert api(triad.above).post(f"{FILINGS}{data['id']}/correct/", {"values": VALUES, "reason": "x"},
                                 format="json").status_code == 403
    assert Filing.objects.count() == 2


def test_filings_filter_by_unit_day_and_form(api, triad):
    post(api(triad.inside), triad.county.east, zero_report=True)
    post(api(triad.neighbour), triad.county.west, zero_report=True)
    client = api(triad.above)
    assert [r["unit"] for r in client.get(FILINGS, {"unit": triad.county.west.code}).json()["results"]] == [
        triad.county.west.code]
    assert client.get(FILINGS, {"day": today(), "form_code": "daily"}).json()["count"] == 2
    assert client.get(FILINGS, {"day": "2020-01-01"}).json()["count"] == 0
    assert client.get(FILINGS, {"form_code": "weekly"}).json()["count"] == 0


def test_report_forms_in_force_and_every_version(api, triad):
    daily = ReportForm.objects.get(code="daily", version=2)
    ReportForm.objects.create(code="daily", version=3, name="疫情防控日报告（新版）", unit_types=["village"],
                              effective_from=timezone.localdate().replace(year=2099), items=daily.items)
    client = api(triad.readonly)
    in_force = client.get("/api/v1/report-forms/").json()["results"]
    assert [(row["code"], row["version"]) for row in in_force if row["code"] == "daily"] == [("daily", 2)]
    assert in_force[0]["deadlines"]["village"] == "14:00"
    every = client.get("/api/v1/report-forms/", {"code": "daily", "all_versions": "true"}).json()["results"]
    assert [row["version"] for row in every] == [3, 2, 1]
    later = every[0]["id"]
    assert client.get(f"/api/v1/report-forms/{later}/").json()["name"] == "疫情防控日报告（新版）"
    statistician = make_user("town_statistician", "statistician", triad.county.town)
    assert api(statistician).post("/api/v1/report-forms/", {}, format="json").status_code == 405
