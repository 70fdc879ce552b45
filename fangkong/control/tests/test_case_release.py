"""Releasing a case (解除管控) needs the period over and every scheduled test of the person done
and negative; closing otherwise (hospital, converted, lost) needs a reason."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangkong.control.models import CaseStatus, RegimenVersion, SlotStatus
from fangkong.control.models import TestStatus as Status
from fangkong.control.services.cases import close_case, open_case, record_test, release_case

from .test_case_support import D, at, open_v8_close_contact, v8  # noqa: F401


def _all_negative(case, by):
    for test in case.tests.all():
        record_test(test, "negative", by, at(test.due_on, 10))


def test_release_refused_before_the_last_day_and_with_missing_tests(triad, v8):
    case = open_v8_close_contact(triad.east_person)
    with pytest.raises(ValidationError) as refused:
        release_case(case, triad.inside, at(D(2022, 1, 30)))
    text = "".join(refused.value.messages)
    assert "2022年1月31日结束" in text and "2022年1月11日" in text and "未检测" in text

    for test in case.tests.exclude(due_on=D(2022, 1, 24)):
        record_test(test, "negative", triad.inside, at(test.due_on, 10))
    with pytest.raises(ValidationError) as refused:
        release_case(case, triad.inside, at(D(2022, 1, 31), 19))
    text = "".join(refused.value.messages)
    assert "2022年1月24日" in text and "2022年1月11日" not in text
    case.refresh_from_db()
    assert case.status == CaseStatus.PENDING


def test_release_refused_with_a_positive_or_pending_result(triad, v8):
    case = open_v8_close_contact(triad.east_person)
    _all_negative(case, triad.inside)
    last = case.tests.get(due_on=D(2022, 1, 24))
    record_test(last, "positive", triad.inside, at(D(2022, 1, 24), 10))
    with pytest.raises(ValidationError, match="阳性"):
        release_case(case, triad.inside, at(D(2022, 2, 1)))
    record_test(last, "pending", triad.inside, at(D(2022, 1, 24), 10))
    with pytest.raises(ValidationError, match="尚未出结果"):
        release_case(case, triad.inside, at(D(2022, 2, 1)))


def test_release_allowed_when_all_negative_closes_open_slots(triad, v8):
    case = open_v8_close_contact(triad.east_person)
    _all_negative(case, triad.inside)
    now = at(D(2022, 1, 31), 12)
    released = release_case(case, triad.inside, now, note="期满，检测均阴性")
    assert released.status == CaseStatus.RELEASED
    assert released.closed_at == now and released.closed_note == "期满，检测均阴性"
    # The 16:00 slot of the last day is gone; the morning one, left open, is marked missed.
    assert not released.slots.filter(status=SlotStatus.OPEN).exists()
    assert not released.slots.filter(day=D(2022, 1, 31), starts_at__gt=now).exists()
    assert released.history.order_by("-history_date", "-history_id").first().history_change_reason == "解除管控"
    with pytest.raises(ValidationError):
        release_case(released, triad.inside, now)


def test_release_settles_the_release_prompts(triad, v8):
    from fangkong.alerts.models import Alert, AlertKind
    from fangkong.alerts.services import raise_alert

    case = open_v8_close_contact(triad.east_person)
    other = open_v8_close_contact(triad.west_person)
    _all_negative(case, triad.inside)
    for c in (case, other):
        raise_alert(AlertKind.RELEASE_DUE, c.unit, key=f"release_due:{c.pk}:2022-02-01", title="到期",
                    now=at(D(2022, 2, 1), 0, 5))
    release_case(case, triad.inside, at(D(2022, 2, 1)))
    assert Alert.objects.get(key=f"release_due:{case.pk}:2022-02-01").resolved_at == at(D(2022, 2, 1))
    assert Alert.objects.get(key=f"release_due:{other.pk}:2022-02-01").resolved_at is None


def test_only_users_with_the_release_permission_may_release(triad, v8):
    case = open_v8_close_contact(triad.east_person)
    _all_negative(case, triad.inside)
    for user in (triad.readonly, triad.above):
        with pytest.raises(PermissionDenied):
            release_case(case, user, at(D(2022, 2, 1)))


def test_sample_conditions_need_a_note(triad):
    regimen = RegimenVersion.objects.create(
        code="site-samples", name="隔离点三样本", effective_from=D(2022, 1, 1),
        rules={"close_contact": {
            "anchor": "last_exposure", "release_conditions": ["all_tests_negative", "samples_negative"],
            "phases": [{"measure": "centralized_isolation", "days": 3, "tests": [{"day": 3}]}]}},
    )
    case = open_case(triad.east_person, "close_contact", anchor_date=D(2022, 1, 10), regimen=regimen,
                     now=at(D(2022, 1, 10)))
    _all_negative(case, triad.inside)
    with pytest.raises(ValidationError, match="人、物、环境样本"):
        release_case(case, triad.inside, at(D(2022, 1, 14)))
    assert release_case(case, triad.inside, at(D(2022, 1, 14)), note="人、物、环境样本均阴性").status == "released"


def test_close_as_lost_needs_a_reason_and_cancels_tests_to_come(triad, v8):
    case = open_v8_close_contact(triad.east_person)
    with pytest.raises(ValidationError, match="须填写说明"):
        close_case(case, CaseStatus.LOST, triad.inside, at(D(2022, 1, 15)), "")
    with pytest.raises(ValidationError, match="结案方式"):
        close_case(case, CaseStatus.RELEASED, triad.inside, at(D(2022, 1, 15)), "x")
    with pytest.raises(PermissionDenied):
        close_case(case, CaseStatus.LOST, triad.readonly, at(D(2022, 1, 15)), "联系不上")
    closed = close_case(case, CaseStatus.LOST, triad.inside, at(D(2022, 1, 15)), "电话关机，上门无人")
    assert (closed.status, closed.closed_note) == (CaseStatus.LOST, "电话关机，上门无人")
    assert set(closed.tests.filter(due_on__gte=D(2022, 1, 15)).values_list("status", flat=True)) == {Status.CANCELLED}
    assert closed.tests.get(due_on=D(2022, 1, 11)).status == Status.SCHEDULED
    assert not closed.slots.filter(day__gte=D(2022, 1, 16)).exists()


def test_record_test_sets_done_result_and_recorder(triad, v8):
    case = open_v8_close_contact(triad.east_person)
    test = case.tests.get(due_on=D(2022, 1, 11))
    record_test(test, "negative", triad.inside, at(D(2022, 1, 11), 10))
    test.refresh_from_db()
    assert (test.status, test.result, test.recorded_by) == (Status.DONE, "negative", triad.inside)
    with pytest.raises(ValidationError):
        record_test(test, "maybe", triad.inside, at(D(2022, 1, 11), 10))
