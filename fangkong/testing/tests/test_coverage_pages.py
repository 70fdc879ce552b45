"""Coverage pages and API: drill-down, the not-sampled list and its export, exemptions — each
with the jurisdiction triad (the village's user, the neighbour, the town above) and masking."""

import io

import pytest
from openpyxl import load_workbook

from fangkong.testing.models import Exemption, ExemptionReason
from fangkong.testing.tests.test_coverage_support import DAY, make_round, sample


@pytest.fixture
def town_round(triad):
    return make_round(triad.county.town)


def test_round_coverage_page_drills_down_within_the_jurisdiction(triad, town_round, as_user):
    sample(town_round, [triad.east_person])
    above = as_user(triad.above).get(f"/testing/coverage/rounds/{town_round.pk}/")
    page = above.content.decode()
    assert above.status_code == 200 and "东门村" in page and "西门村" in page and "50.0%" in page
    inside = as_user(triad.inside).get(f"/testing/coverage/rounds/{town_round.pk}/").content.decode()
    assert "东门一组" in inside and "西门" not in inside and "100.0%" in inside
    west = triad.county.west.code
    assert as_user(triad.inside).get(f"/testing/coverage/rounds/{town_round.pk}/?unit={west}").status_code == 404
    assert as_user(triad.neighbour).get(f"/testing/coverage/rounds/{town_round.pk}/?unit={west}").status_code == 200


def test_not_sampled_list_shows_people_and_exempt_apart_masked_by_role(triad, town_round, as_user):
    Exemption.objects.create(person=triad.west_person, round=town_round, reason=ExemptionReason.BEDRIDDEN,
                             note="长期卧床", starts_on=DAY)
    east = as_user(triad.inside).get(f"/testing/coverage/rounds/{town_round.pk}/missing/").content.decode()
    assert "张三丰" in east and "13800135678" in east and "H-EAST-1" in east and "李四" not in east
    readonly = as_user(triad.readonly).get(f"/testing/coverage/rounds/{town_round.pk}/missing/").content.decode()
    assert "张三丰" in readonly and "138****5678" in readonly and "13800135678" not in readonly
    town = as_user(triad.above).get(f"/testing/coverage/rounds/{town_round.pk}/missing/").content.decode()
    assert "张三丰" in town and "长期卧床" in town and "卧床（行动不便）" in town
    neighbour = as_user(triad.neighbour).get(f"/testing/coverage/rounds/{town_round.pk}/missing/").content.decode()
    assert "张三丰" not in neighbour and "李四" in neighbour  # exempt, listed apart


def test_not_sampled_export_has_chinese_headers_and_masks(triad, town_round, as_user):
    response = as_user(triad.readonly).get(f"/testing/coverage/rounds/{town_round.pk}/missing/?format=xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["未采样人员"]
    assert [c.value for c in sheet[2]] == ["序号", "所属网格", "姓名", "证件号码", "联系电话", "户号", "现住址"]
    assert [c.value for c in sheet[3]][2:5] == ["张三丰", triad.east_person.id_number[:4] + "*" * 10
                                                + triad.east_person.id_number[-4:], "138****5678"]
    assert book["免检人员"]["A1"].value == "序号"


def test_exemption_page_creates_lists_and_removes_within_the_jurisdiction(triad, town_round, as_user):
    client = as_user(triad.inside)
    bad = client.post("/testing/coverage/exemptions/", {"person": triad.west_person.id_number, "reason": "away",
                                                        "round": town_round.pk})
    assert bad.status_code == 400 and "没有登记或不在您的辖区内" in bad.content.decode()
    other = client.post("/testing/coverage/exemptions/", {"person": triad.east_person.id_number, "reason": "other"})
    assert other.status_code == 400 and "请填写说明" in other.content.decode()
    ok = client.post("/testing/coverage/exemptions/", {"person": triad.east_person.id_number, "reason": "away",
                                                       "round": town_round.pk, "note": "在外务工"})
    assert ok.status_code == 302
    exemption = Exemption.objects.get()
    assert "在外务工" in client.get("/testing/coverage/exemptions/").content.decode()
    assert "张三丰" not in as_user(triad.neighbour).get("/testing/coverage/exemptions/").content.decode()
    assert "张三丰" in as_user(triad.above).get("/testing/coverage/exemptions/").content.decode()
    assert as_user(triad.neighbour).post(f"/testing/coverage/exemptions/{exemption.pk}/delete/").status_code == 404
    assert client.post(f"/testing/coverage/exemptions/{exemption.pk}/delete/").status_code == 302
    assert not Exemption.objects.exists()


def test_round_pages_link_to_coverage(triad, town_round, as_user):
    assert "/testing/coverage/" in as_user(triad.inside).get("/testing/").content.decode()
    detail = as_user(triad.above).get(f"/testing/rounds/{town_round.pk}/").content.decode()
    assert f"/testing/coverage/rounds/{town_round.pk}/" in detail


def test_api_coverage_and_not_sampled_follow_the_jurisdiction(triad, town_round, api):
    sample(town_round, [triad.west_person])
    town = api(triad.above).get(f"/api/v1/testing-coverage/?round={town_round.pk}").json()
    assert town["total"]["target"] == 2 and town["total"]["sampled"] == 1
    assert [(c["unit_name"], c["sampled"]) for c in town["children"]] == [("东门村", 0), ("西门村", 1)]
    east = api(triad.inside).get(f"/api/v1/testing-coverage/?round={town_round.pk}").json()
    assert east["total"]["unit"] == triad.county.east.code and east["total"]["target"] == 1
    assert api(triad.inside).get(
        f"/api/v1/testing-coverage/?round={town_round.pk}&unit={triad.county.west.code}").status_code == 404
    rows = api(triad.readonly).get(f"/api/v1/testing-coverage/not-sampled/?round={town_round.pk}").json()["results"]
    assert [(r["name"], r["phone"]) for r in rows] == [("张三丰", "138****5678")]
    assert api(triad.neighbour).get(
        f"/api/v1/testing-coverage/not-sampled/?round={town_round.pk}").json()["results"] == []
    assert api().get(f"/api/v1/testing-coverage/?round={town_round.pk}").status_code in (401, 403)


def test_api_exemptions_create_list_delete(triad, town_round, api):
    created = api(triad.inside).post("/api/v1/testing-exemptions/", {
        "id_number": triad.east_person.id_number, "reason": "bedridden", "round": town_round.pk}, format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    refused = api(triad.neighbour).post("/api/v1/testing-exemptions/", {
        "id_number": triad.east_person.id_number, "reason": "away", "starts_on": "2022-04-01"}, format="json")
    assert refused.status_code == 400 and "不在您的辖区内" in refused.content.decode()
    assert api(triad.neighbour).get("/api/v1/testing-exemptions/").json()["results"] == []
    [row] = api(triad.readonly).get("/api/v1/testing-exemptions/").json()["results"]
    assert "*" in row["person_id_number"]
    assert api(triad.above).get(f"/api/v1/testing-exemptions/{pk}/").status_code == 200
    assert api(triad.neighbour).delete(f"/api/v1/testing-exemptions/{pk}/").status_code == 404
    assert api(triad.inside).delete(f"/api/v1/testing-exemptions/{pk}/").status_code == 204
