"""Lead pages and API under the jurisdiction triad: the unit's user, the neighbour, the one
above, and a read-only role that sees masked ID and phone numbers."""

import io

import pytest
from django.utils import timezone
from openpyxl import Workbook

from fangkong.conftest import fictional_id
from fangkong.leads.models import Lead, LeadStatus
from fangkong.leads.services.intake import create_lead


@pytest.fixture
def east_lead(triad):
    data = {"name": "王五", "id_number": fictional_id("420115", "19900305", 31), "phone": "13712345678",
            "address": "东门村5号", "origin": "武汉市江夏区", "reason": "大数据推送"}
    return create_lead("push", triad.county.county, data, timezone.now())


def test_list_and_detail_triad(triad, east_lead, as_user):
    inside = as_user(triad.inside).get("/leads/").content.decode()
    assert "王五" in inside and east_lead.id_number in inside
    assert "王五" not in as_user(triad.neighbour).get("/leads/").content.decode()
    assert "王五" in as_user(triad.above).get("/leads/").content.decode()
    masked = as_user(triad.readonly).get(f"/leads/{east_lead.pk}/").content.decode()
    assert "王五" in masked and east_lead.id_number not in masked and "13712345678" not in masked
    assert as_user(triad.neighbour).get(f"/leads/{east_lead.pk}/").status_code == 404
    detail = as_user(triad.inside).get(f"/leads/{east_lead.pk}/").content.decode()
    assert "东门村" in detail and "按住址分派" in detail and "剩余" in detail


def test_list_filters_overdue_in_red(triad, as_user):
    past = timezone.now() - timezone.timedelta(hours=3)
    create_lead("tip_off", triad.county.east, {"name": "超时人", "address": "东门村"}, past)
    create_lead("tip_off", triad.county.east, {"name": "未超时", "address": "东门村"}, timezone.now())
    page = as_user(triad.inside).get("/leads/", {"overdue": "on"}).content.decode()
    assert "超时人" in page and "未超时" not in page and "lead-overdue" in page
    page = as_user(triad.inside).get("/leads/", {"unit": triad.county.west.code}).content.decode()
    assert "不存在或不在您的辖区内" in page


def test_verify_and_dispose_on_the_page(triad, east_lead, as_user):
    assert as_user(triad.readonly).post(f"/leads/{east_lead.pk}/verify/").status_code == 403
    assert as_user(triad.neighbour).post(f"/leads/{east_lead.pk}/verify/").status_code == 404
    client = as_user(triad.inside)
    client.post(f"/leads/{east_lead.pk}/verify/", {"note": "已电话核实"})
    client.post(f"/leads/{east_lead.pk}/dispose/", {"outcome": "not_in_scope", "note": "非风险地区"})
    east_lead.refresh_from_db()
    assert (east_lead.status, east_lead.outcome, east_lead.verified_by) == ("disposed", "not_in_scope", triad.inside)
    assert "处置：不属于管控范围" in client.get(f"/leads/{east_lead.pk}/").content.decode()


def test_create_by_hand_with_pharmacy_fields(triad, as_user):
    response = as_user(triad.inside).post("/leads/new/", {
        "source": "pharmacy", "unit": triad.county.east.code, "name": "购药人", "id_type": "resident",
        "id_number": "", "phone": "13712345670", "address": "东门村东门一组2号", "pharmacy_name": "仁和药店",
        "medicine": "布洛芬", "checkpoint_name": "不该保存"})
    lead = Lead.objects.get(name="购药人")
    assert response.status_code == 302 and lead.unit == triad.county.east_grid
    assert lead.payload["pharmacy_name"] == "仁和药店" and "checkpoint_name" not in lead.payload
    bad = as_user(triad.inside).post("/leads/new/", {"source": "tip_off", "unit": triad.county.east.code,
                                                      "name": "某人", "id_type": "resident", "id_number": "123"})
    assert "身份证号应为18位" in bad.content.decode()
    outside = as_user(triad.inside).post("/leads/new/", {"source": "tip_off", "unit": triad.county.west.code,
                                                          "name": "某人", "id_type": "resident", "address": "x"})
    assert "不在您的辖区内" in outside.content.decode()


def test_import_page_reports_error_rows(triad, as_user):
    wb = Workbook()
    wb.active.append(["姓名", "身份证号", "联系电话", "现住址"])
    wb.active.append(["王五", fictional_id("420115", "19900305", 31), "13712345678", "东门村"])
    wb.active.append(["赵六", "123", "", "东门村"])
    out = io.BytesIO()
    wb.save(out)
    out.name = "推送.xlsx"
    out.seek(0)
    response = as_user(triad.inside).post("/leads/import/", {"source": "push", "unit": triad.county.east.code,
                                                             "file": out}, follow=True)
    page = response.content.decode()
    assert "第3行" in page and "身份证号应为18位" in page and Lead.objects.count() == 1


def test_imported_row_masked_for_readonly_whatever_the_column_is_called(triad, tmp_path, as_user):
    from fangkong.leads.services.imports import import_leads

    id_number = fictional_id("420115", "19900305", 31)
    wb = Workbook()
    wb.active.append(["姓名", "公民身份号码", "联系方式", "现住址"])
    wb.active.append(["王五", id_number, "13712345678", "东门村5号"])
    wb.save(tmp_path / "push.xlsx")
    batch = import_leads(tmp_path / "push.xlsx", source="push", unit=triad.county.east, now=timezone.now())
    lead = batch.leads.get()
    masked = as_user(triad.readonly).get(f"/leads/{lead.pk}/").content.decode()
    assert "公民身份号码" in masked and id_number not in masked and "13712345678" not in masked
    shown = as_user(triad.inside).get(f"/leads/{lead.pk}/").content.decode()
    assert id_number in shown and "13712345678" in shown


def test_qr_code_and_poster(triad, as_user):
    response = as_user(triad.inside).get(f"/leads/qr/{triad.county.east.code}.svg")
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in response.content
    poster = as_user(triad.inside).get(f"/leads/qr/{triad.county.east.code}/").content.decode()
    assert "扫码主动申报" in poster and "东门村" in poster and f"/declare/{triad.county.east.code}/" in poster
    assert as_user(triad.inside).get(f"/leads/qr/{triad.county.west.code}.svg").status_code == 404


def test_convert_screening_flags(triad, as_user):
    from fangkong.screening.models import Campaign, FollowUpFlag, Visit

    campaign = Campaign.objects.create(name="春节返乡摸排", owner_unit=triad.county.town,
                                       starts_on=timezone.localdate())
    visit = Visit.objects.create(campaign=campaign, household=triad.east_household, visited_by=triad.inside,
                                 visited_at=timezone.now())
    flag = FollowUpFlag.objects.create(person=triad.east_person, campaign=campaign, visit=visit,
                                       reasons=[{"code": "travel", "detail": "武汉"}])
    as_user(triad.inside).post("/leads/from-screening/", {"unit": triad.county.east.code})
    lead = Lead.objects.get()
    assert (lead.source, lead.person, lead.unit) == ("door_to_door", triad.east_person, triad.county.east_grid)
    flag.refresh_from_db()
    assert flag.resolved_at is not None


def test_api_triad_masking_and_actions(triad, east_lead, api):
    assert [r["name"] for r in api(triad.inside).get("/api/v1/leads/").json()["results"]] == ["王五"]
    assert api(triad.neighbour).get("/api/v1/leads/").json()["results"] == []
    assert api(triad.above).get(f"/api/v1/leads/{east_lead.pk}/").status_code == 200
    assert api(triad.neighbour).get(f"/api/v1/leads/{east_lead.pk}/").status_code == 404
    masked = api(triad.readonly).get(f"/api/v1/leads/{east_lead.pk}/").json()
    assert masked["id_number"] != east_lead.id_number and "*" in masked["phone"]
    assert api(triad.readonly).post(f"/api/v1/leads/{east_lead.pk}/verify/", {}).status_code == 403
    assert api(triad.neighbour).post(f"/api/v1/leads/{east_lead.pk}/verify/", {}).status_code == 404
    assert api(triad.inside).post(f"/api/v1/leads/{east_lead.pk}/verify/", {"note": "ok"}).json()["status"] == "verified"
    body = api(triad.inside).post(f"/api/v1/leads/{east_lead.pk}/dispose/",
                                  {"outcome": "handed_over", "handed_to": "岳阳县"}).json()
    assert body["status"] == "disposed" and body["outcome"] == "handed_over"


def test_api_create_and_import(triad, api):
    client = api(triad.inside)
    response = client.post("/api/v1/leads/", {"source": "checkpoint", "receiving_unit": triad.county.east.code,
                                              "name": "卡口人员", "phone": "13712345671", "address": "东门一组"},
                           format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["unit"] == triad.county.east_grid.code
    bad = client.post("/api/v1/leads/", {"source": "checkpoint", "receiving_unit": triad.county.east.code,
                                         "name": "卡口人员", "phone": "123"}, format="json")
    assert bad.status_code == 400 and "phone" in bad.json()
    outside = client.post("/api/v1/leads/", {"source": "checkpoint", "receiving_unit": triad.county.west.code,
                                             "name": "x", "address": "西门村"}, format="json")
    assert outside.status_code == 400
    assert api(triad.readonly).post("/api/v1/leads/", {}, format="json").status_code == 403
    upload = io.BytesIO("姓名,联系电话,现住址\n李某,13712345672,东门村\n".encode())
    upload.name = "list.csv"
    response = client.post("/api/v1/leads/import/", {"source": "assist", "unit": triad.county.east.code,
                                                     "file": upload}, format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["created"] == 1
    upload = io.BytesIO(b"\x00\x01binary")
    upload.name = "list.xlsx"
    broken = client.post("/api/v1/leads/import/", {"source": "assist", "unit": triad.county.east.code,
                                                   "file": upload}, format="multipart")
    assert broken.status_code == 400 and "file" in broken.json()
    assert api(triad.readonly).post("/api/v1/leads/import/", {}, format="multipart").status_code == 403
    assert Lead.objects.filter(status=LeadStatus.RECEIVED).count() == 2
