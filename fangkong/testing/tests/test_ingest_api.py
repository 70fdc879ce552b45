"""The upload endpoint of offline scanners, `POST /api/v1/sampling/uploads/`: JSON records and CSV
bodies, refusals by row, the permission, and the jurisdiction triad (points of the caller's
jurisdiction only; a round the caller takes no part in is not found)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fangkong.conftest import fictional_id, make_user
from fangkong.people.models import Person
from fangkong.testing.models import Sample, Tube

from .test_rounds import make_sampling

UPLOADS = "/api/v1/sampling/uploads/"


@pytest.fixture
def current(triad):
    """A round running today (the API reads the clock) with its point under 东门村."""
    today = timezone.localdate()
    sampling = make_sampling(triad)
    sampling.round.starts_on, sampling.round.ends_on = today - timedelta(days=1), today + timedelta(days=1)
    sampling.round.save()
    sampling.town_sampler = make_user("town_sampler", "testing_staff", triad.county.town)
    sampling.river_sampler = make_user("river_sampler", "testing_staff", triad.county.river)
    return sampling


def payload(current, triad, **extra):
    at = (timezone.now() - timedelta(minutes=5)).isoformat()
    point = current.point_unit.code
    return {"round": current.round.pk, "records": [
        {"barcode": "U1", "point": point, "code": triad.east_person.id_number, "scanned_at": at},
        {"barcode": "U1", "point": point, "code": "12345", "scanned_at": at},
        {"barcode": "U1", "point": point, "code": triad.west_person.id_number, "scanned_at": at},
    ], **extra}


def test_json_upload_writes_the_scans_and_answers_refusals_by_row(api, triad, current):
    response = api(current.sampler).post(UPLOADS, payload(current, triad), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert {k: body[k] for k in ("records", "accepted", "refused", "tubes_opened")} == {
        "records": 3, "accepted": 2, "refused": 1, "tubes_opened": 1}
    assert body["refusals"] == [{"row": 2, "barcode": "U1", "code": "12345", "reason": "身份证号应为18位，实际为5位"}]
    assert Sample.objects.filter(tube__barcode="U1").count() == 2
    assert Tube.objects.get(barcode="U1").opened_by == current.sampler


def test_upload_follows_the_jurisdiction_triad(api, triad, current):
    # The neighbour takes part in the round (a point of the town) but the point is not theirs.
    neighbour = api(current.west_sampler).post(UPLOADS, payload(current, triad), format="json")
    assert neighbour.status_code == 201
    assert {r["reason"] for r in neighbour.json()["refusals"]} == {"采样点“东门村文化广场采样点”不在您的辖区内"}
    assert not Tube.objects.filter(barcode="U1").exists()
    # Above both: the town's testing staff may upload for any point of the town.
    above = api(current.town_sampler).post(UPLOADS, payload(current, triad), format="json")
    assert above.status_code == 201 and above.json()["accepted"] == 2
    # Outside the round altogether: the round is not found.
    outside = api(current.river_sampler).post(UPLOADS, payload(current, triad), format="json")
    assert outside.status_code == 400 and "轮次不存在" in outside.json()["round"][0]


def test_upload_needs_the_sampling_permission(api, triad, current):
    assert api(triad.inside).post(UPLOADS, payload(current, triad), format="json").status_code == 403
    assert api().post(UPLOADS, payload(current, triad), format="json").status_code == 401


def test_csv_upload_in_gb18030_with_chinese_headers(api, triad, current):
    at = timezone.localtime(timezone.now() - timedelta(minutes=5)).strftime("%Y-%m-%d %H:%M")
    text = (f"试管条码,采样点,扫码内容,采样时间\n"
            f"C1,{current.point_unit.code},{triad.east_person.id_number},{at}\n"
            f"\n"
            f"C1,{current.point_unit.code},{triad.east_person.id_number},{at}\n")
    response = api(current.sampler).post(f"{UPLOADS}?round={current.round.pk}", text.encode("gb18030"),
                                         content_type="text/csv")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["accepted"] == 1 and body["refusals"][0]["row"] == 4
    assert "已在本管中" in body["refusals"][0]["reason"]


def test_csv_upload_with_bad_rows_writes_nothing_and_names_row_and_column(api, triad, current):
    text = (f"barcode,point,code,scanned_at\n"
            f"C1,{current.point_unit.code},{triad.east_person.id_number},昨天\n")
    response = api(current.sampler).post(f"{UPLOADS}?round={current.round.pk}", text.encode(), content_type="text/csv")
    assert response.status_code == 400
    assert response.json()["errors"] == [{"row": 2, "column": "scanned_at",
                                          "message": "无法识别的时间“昨天”，请写成2022-04-01 12:30"}]
    missing = api(current.sampler).post(f"{UPLOADS}?round={current.round.pk}", b"barcode,code\n1,2\n",
                                        content_type="text/csv")
    assert missing.status_code == 400 and "采样点、采样时间" in missing.json()["errors"][0]["message"]
    assert not Tube.objects.filter(barcode="C1").exists()


def test_csv_upload_registers_unknown_people_in_the_unit_given_in_the_query(api, triad, current):
    at = timezone.localtime(timezone.now() - timedelta(minutes=5)).strftime("%Y-%m-%d %H:%M")
    number = fictional_id(birth="19870303", seq=9)
    text = f"barcode,point,code,scanned_at\nC1,{current.point_unit.code},{number},{at}\n"
    url = f"{UPLOADS}?round={current.round.pk}&unit={triad.county.east_grid.code}"
    response = api(current.sampler).post(url, text.encode(), content_type="text/csv")
    assert response.status_code == 201, response.content
    assert response.json()["provisional"] == 1
    assert Person.objects.get(id_number=number).unit == triad.county.east_grid
    outside = api(current.sampler).post(f"{UPLOADS}?round={current.round.pk}&unit={triad.county.west_grid.code}",
                                        text.encode(), content_type="text/csv")
    assert outside.status_code == 400 and "不在您的辖区内" in outside.json()["unit"][0]
