"""/api/v1/follow-up-entries/, /follow-up-slots/ and /sign-offs/: the jurisdiction triad, entries
created through record_entry (with a photo by multipart), slots filtered by day and status."""

import pytest
from django.utils import timezone

from fangkong.alerts.models import Alert, AlertKind
from fangkong.control.models import FollowUpEntry, SignOff

from .test_followup_support import current, png  # noqa: F401

pytestmark = pytest.mark.django_db
ENTRIES = "/api/v1/follow-up-entries/"
SLOTS = "/api/v1/follow-up-slots/"
SIGN_OFFS = "/api/v1/sign-offs/"


def names(response):
    assert response.status_code == 200, response.content
    return sorted(row["person_name"] for row in response.json()["results"])


def test_entries_triad(api, triad, current):
    api(triad.inside).post(ENTRIES, {"case": current.east.pk, "temperature": "36.5", "method": "phone"},
                           format="json")
    api(triad.neighbour).post(ENTRIES, {"case": current.west.pk, "temperature": "36.6", "method": "visit"},
                              format="json")
    assert names(api(triad.inside).get(ENTRIES)) == ["张三丰"]
    assert names(api(triad.neighbour).get(ENTRIES)) == ["李四"]
    assert names(api(triad.above).get(ENTRIES)) == ["张三丰", "李四"]
    west_entry = FollowUpEntry.objects.get(case=current.west)
    assert api(triad.inside).get(f"{ENTRIES}{west_entry.pk}/").status_code == 404


def test_create_goes_through_record_entry_and_alerts(api, triad, current):
    response = api(triad.inside).post(ENTRIES, {"case": current.east.pk, "temperature": "38.2", "method": "visit",
                                                "symptoms": ["fever", "cough"]}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["abnormal"] is True and body["symptoms"] == ["cough", "fever"] and body["recorder"] == "east_worker"
    assert Alert.objects.filter(kind=AlertKind.ABNORMAL_FOLLOW_UP, key=f"entry:{body['id']}").exists()


def test_create_refuses_out_of_range_and_foreign_cases(api, triad, current):
    response = api(triad.inside).post(ENTRIES, {"case": current.east.pk, "temperature": "44", "method": "visit"},
                                      format="json")
    assert response.status_code == 400
    response = api(triad.inside).post(ENTRIES, {"case": current.west.pk, "temperature": "36.5", "method": "visit"},
                                      format="json")
    assert response.status_code == 400 and "不在您的辖区内" in str(response.json()["case"])
    assert not FollowUpEntry.objects.exists()


def test_readonly_may_read_but_not_record(api, triad, current):
    assert api(triad.readonly).get(ENTRIES).status_code == 200
    response = api(triad.readonly).post(ENTRIES, {"case": current.east.pk, "temperature": "36.5", "method": "visit"},
                                        format="json")
    assert response.status_code == 403


def test_photo_by_multipart_is_served_only_within_the_jurisdiction(api, triad, current, as_user):
    response = api(triad.inside).post(ENTRIES, {"case": current.east.pk, "temperature": "36.5", "method": "visit",
                                                "photo": png()}, format="multipart")
    assert response.status_code == 201, response.content
    url = response.json()["photo_url"]
    assert url.startswith("http://testserver/control/follow-up/entries/")
    path = url.removeprefix("http://testserver")
    assert as_user(triad.inside).get(path).status_code == 200
    assert as_user(triad.neighbour).get(path).status_code == 404
    bad = api(triad.inside).post(ENTRIES, {"case": current.east.pk, "temperature": "36.5", "method": "visit",
                                           "photo": png("x.png", b"not an image at all")}, format="multipart")
    assert bad.status_code == 400 and bad.json()["photo"] == ["照片只能是JPG或PNG格式。"]


def test_slots_triad_and_filters(api, triad, current):
    today = timezone.localdate().isoformat()
    assert set(names(api(triad.inside).get(SLOTS, {"day": today}))) == {"张三丰"}
    assert set(names(api(triad.neighbour).get(SLOTS, {"day": today}))) == {"李四"}
    assert len(names(api(triad.above).get(SLOTS, {"day": today}))) == 4
    assert len(names(api(triad.above).get(SLOTS, {"day": today, "case": current.west.pk, "status": "open"}))) == 2
    assert names(api(triad.above).get(SLOTS, {"status": "missed"})) == []
    assert api(triad.inside).post(SLOTS, {}).status_code == 405


def test_sign_offs_once_per_member_day_and_triad(api, triad, current):
    member = current.east.team.get()
    today = timezone.localdate().isoformat()
    data = {"case": current.east.pk, "day": today, "member": member.pk, "photo": png()}
    first = api(triad.inside).post(SIGN_OFFS, data, format="multipart")
    assert first.status_code == 201, first.content
    assert first.json()["member_name"] == "王网格" and first.json()["photo_url"]
    again = api(triad.inside).post(SIGN_OFFS, {**data, "photo": png()}, format="multipart")
    assert again.status_code == 400 and "每人每天一次" in str(again.json())
    assert len(api(triad.inside).get(SIGN_OFFS).json()["results"]) == 1
    assert api(triad.neighbour).get(SIGN_OFFS).json()["results"] == []
    assert len(api(triad.above).get(SIGN_OFFS).json()["results"]) == 1
    assert api(triad.neighbour).get(f"{SIGN_OFFS}{SignOff.objects.get().pk}/").status_code == 404
    foreign = api(triad.neighbour).post(SIGN_OFFS, {**data, "photo": png()}, format="multipart")
    assert foreign.status_code == 400 and SignOff.objects.count() == 1
