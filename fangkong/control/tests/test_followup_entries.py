"""Recording follow-up entries: validation, which slot an entry fills, abnormal entries alerted
at once to the case's unit and team, photos, and machine-made entries flagged."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from fangkong.alerts.models import Alert, AlertKind, AlertRule, Delivery
from fangkong.control.models import CaseStatus, FollowUpEntry, SlotStatus
from fangkong.control.services.followup import flag_suspicious, record_entry

from .test_followup_support import JPEG, at, cases, jpeg, png, stream  # noqa: F401

pytestmark = pytest.mark.django_db


def entry(case, now, temperature="36.5", **fields):
    return record_entry(case, temperature=temperature, method=fields.pop("method", "visit"), now=now, **fields)


def slot_states(case, day=0):
    return [slot.status for slot in case.slots.filter(day=at(day, 0).date()).order_by("starts_at")]


def test_entry_in_the_window_fills_that_slot(cases):
    recorded = entry(cases.east, at(0, 8, 30), recorder=cases.east_team)
    assert recorded.slot.starts_at == at(0, 8) and recorded.abnormal is False
    assert slot_states(cases.east) == [SlotStatus.DONE, SlotStatus.OPEN]
    assert recorded.unit_path == cases.east.unit_path and recorded.temperature == Decimal("36.5")


def test_early_entry_counts_for_the_next_window_of_the_day(cases):
    recorded = entry(cases.east, at(0, 12))
    assert recorded.slot.starts_at == at(0, 16)
    assert slot_states(cases.east) == [SlotStatus.OPEN, SlotStatus.DONE]


def test_second_entry_in_a_done_window_joins_it(cases):
    first = entry(cases.east, at(0, 8, 5))
    second = entry(cases.east, at(0, 9, 50), temperature="36.6")
    assert second.slot == first.slot and slot_states(cases.east) == [SlotStatus.DONE, SlotStatus.OPEN]


def test_late_entry_is_kept_but_does_not_reopen_a_missed_slot(cases):
    cases.east.slots.filter(ends_at__lte=at(0, 19)).update(status=SlotStatus.MISSED, closed_at=at(0, 19))
    recorded = entry(cases.east, at(0, 19, 30))
    assert recorded.slot is None and FollowUpEntry.objects.filter(pk=recorded.pk).exists()
    assert slot_states(cases.east) == [SlotStatus.MISSED, SlotStatus.MISSED]


def test_entry_after_the_window_before_the_worker_ran_leaves_the_slot_to_the_worker(cases):
    recorded = entry(cases.east, at(0, 10, 30))  # 08–10 is over; 16–18 is later today
    assert recorded.slot.starts_at == at(0, 16)
    assert slot_states(cases.east) == [SlotStatus.OPEN, SlotStatus.DONE]


@pytest.mark.parametrize("value, message", [
    ("33.9", "体温应在34℃至43℃之间"), ("43.1", "体温应在34℃至43℃之间"), ("abc", "体温格式不正确"),
    ("", "请填写体温"), ("NaN", "体温应在34℃至43℃之间"),
])
def test_temperature_out_of_range_is_refused_in_chinese(cases, value, message):
    with pytest.raises(ValidationError) as error:
        entry(cases.east, at(0, 8, 30), temperature=value)
    assert message in error.value.message_dict["temperature"][0]
    assert not FollowUpEntry.objects.exists() and slot_states(cases.east) == [SlotStatus.OPEN, SlotStatus.OPEN]


def test_unknown_symptom_and_method_are_refused(cases):
    with pytest.raises(ValidationError) as error:
        entry(cases.east, at(0, 8, 30), symptoms=["fever", "headache"], method="fax")
    assert "headache" in error.value.message_dict["symptoms"][0]
    assert error.value.message_dict["method"] == ["请选择监测方式。"]


@pytest.mark.parametrize("status", [CaseStatus.RELEASED, CaseStatus.TRANSFERRED_OUT, CaseStatus.HOSPITAL])
def test_no_entry_for_a_case_no_longer_under_control(cases, status):
    cases.east.status = status
    cases.east.save()
    with pytest.raises(ValidationError) as error:
        entry(cases.east, at(0, 8, 30))
    assert "不能再登记健康监测" in error.value.messages[0]


def test_fever_at_the_default_threshold_alerts_the_unit_and_the_team(cases, triad):
    recorded = entry(cases.east, at(0, 8, 30), temperature="37.3")
    assert recorded.abnormal
    alert = Alert.objects.get(kind=AlertKind.ABNORMAL_FOLLOW_UP)
    assert alert.key == f"entry:{recorded.pk}" and alert.origin_unit == cases.east.unit
    assert "张三丰" in alert.title and "37.3" in alert.title
    assert list(alert.recipients.all()) == [cases.east_team]
    assert Delivery.objects.filter(alert=alert, user=cases.east_team).exists()
    assert not Alert.objects.restrict(triad.neighbour).exists() and Alert.objects.restrict(triad.inside).count() == 1


def test_below_the_threshold_without_symptoms_is_normal(cases):
    assert not entry(cases.east, at(0, 8, 30), temperature="37.2").abnormal
    assert not Alert.objects.exists()


def test_a_listed_symptom_alone_is_abnormal(cases):
    recorded = entry(cases.east, at(0, 8, 30), temperature="36.4", symptoms=["loss_of_taste_or_smell", "cough"])
    assert recorded.abnormal and recorded.symptoms == ["cough", "loss_of_taste_or_smell"]
    alert = Alert.objects.get(kind=AlertKind.ABNORMAL_FOLLOW_UP)
    assert "咳嗽" in alert.title and "嗅觉味觉减退" in alert.title


def test_threshold_comes_from_the_alert_rule(cases, triad):
    AlertRule.objects.create(kind=AlertKind.ABNORMAL_FOLLOW_UP, unit=triad.county.east, params={"temperature": "37.0"})
    assert entry(cases.east, at(0, 8, 30), temperature="37.1").abnormal
    assert not entry(cases.west, at(0, 8, 30), temperature="37.1").abnormal


def test_photo_is_stored_under_the_media_root(cases, settings):
    recorded = entry(cases.east, at(0, 8, 30), photo=png("现场 照片.png"))
    assert recorded.photo.name.startswith("followup/") and recorded.photo.name.endswith(".png")
    assert "现场" not in recorded.photo.name
    path = settings.MEDIA_ROOT / recorded.photo.name
    assert path.read_bytes().startswith(b"\x89PNG")
    assert entry(cases.west, at(0, 8, 40), photo=stream(JPEG)).photo.name.endswith(".jpg")


def test_photo_that_is_not_jpeg_or_png_is_refused(cases):
    with pytest.raises(ValidationError) as error:
        entry(cases.east, at(0, 8, 30), photo=png("x.png", b"GIF89a" + b"\x00" * 30))
    assert error.value.message_dict["photo"] == ["照片只能是JPG或PNG格式。"]


def test_photo_over_five_megabytes_is_refused(cases):
    big = png("big.jpg", JPEG + b"\x00" * (5 * 1024 * 1024))
    with pytest.raises(ValidationError) as error:
        entry(cases.east, at(0, 8, 30), photo=big)
    assert error.value.message_dict["photo"] == ["照片不能超过5MB。"]
    assert jpeg().size < 1024  # an ordinary photo passes the size check


def test_identical_values_at_the_same_minute_on_three_days_are_flagged(cases):
    for day in (0, 1):
        entry(cases.east, at(day, 8, 15))
    assert not FollowUpEntry.objects.filter(suspicious=True).exists()
    third = entry(cases.east, at(2, 8, 15))
    assert FollowUpEntry.objects.filter(case=cases.east, suspicious=True).count() == 3
    third.refresh_from_db()
    assert third.suspicious
    alert = Alert.objects.get(kind=AlertKind.SUSPICIOUS_ENTRIES)
    assert alert.key == f"suspicious:{cases.east.pk}" and "疑似代填" in alert.title
    entry(cases.east, at(3, 8, 15))  # a fourth: marked too, still one alert for the case
    assert FollowUpEntry.objects.filter(suspicious=True).count() == 4
    assert Alert.objects.filter(kind=AlertKind.SUSPICIOUS_ENTRIES).count() == 1
    assert flag_suspicious(cases.east, at(3, 9)) == 0


def test_different_minute_temperature_or_symptoms_is_not_suspicious(cases):
    entry(cases.east, at(0, 8, 15))
    entry(cases.east, at(1, 8, 16))
    entry(cases.east, at(2, 8, 15), temperature="36.6")
    entry(cases.east, at(3, 8, 15), symptoms=["fatigue"])
    entry(cases.east, at(3, 16, 15))  # same value and minute but a second entry on day 3 only
    assert not FollowUpEntry.objects.filter(suspicious=True).exists()
    assert not Alert.objects.filter(kind=AlertKind.SUSPICIOUS_ENTRIES).exists()
