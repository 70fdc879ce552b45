"""One control pass of the worker (injected `now`): due slots are closed as missed with one
alert per case, the second pass with the same `now` does nothing new, release prompts and
tests due or overdue are raised once."""

import threading
from datetime import timedelta

import pytest
from django.db import connection

from fangkong.accounts.models import User
from fangkong.alerts.models import Alert, AlertKind, AlertRule, Delivery
from fangkong.alerts.services import raise_alert
from fangkong.control.models import CaseStatus, CaseTest, FollowUpSlot, SlotStatus
from fangkong.control.models import TestStatus as CaseTestStatus
from fangkong.control.services.followup import record_entry
from fangkong.control.services.worker import run_control_pass

from .test_followup_support import START, at, cases, open_case  # noqa: F401

pytestmark = pytest.mark.django_db


def alerts(kind):
    return list(Alert.objects.filter(kind=kind).order_by("key"))


def test_slot_without_entry_is_missed_when_its_window_closes(cases):
    record_entry(cases.west, temperature="36.5", method="phone", now=at(0, 9))
    assert run_control_pass(at(0, 9, 59))["slots_closed"] == 0
    counts = run_control_pass(at(0, 10))
    assert counts["slots_closed"] == 1 and counts["missed_alerts"] == 1
    slot = FollowUpSlot.objects.get(case=cases.east, status=SlotStatus.MISSED)
    assert slot.ends_at == at(0, 10) and slot.closed_at == at(0, 10)
    assert FollowUpSlot.objects.filter(case=cases.west, day=START, status=SlotStatus.DONE).count() == 1
    (alert,) = alerts(AlertKind.MISSED_SLOT)
    assert alert.key == f"missed:{cases.east.pk}:{slot.pk}" and alert.origin_unit == cases.east.unit
    assert alert.title == "张三丰 漏报健康监测" and "共漏报 1 次" in alert.detail
    assert alert.subject == cases.east and alert.origin_path == cases.east.unit_path
    assert alert.ack_due_at == at(0, 12)  # the default rule: 120 minutes to acknowledge


def test_missed_alert_goes_to_the_team_and_the_staff_where_it_sits(cases, triad):
    run_control_pass(at(0, 10))
    alert = Alert.objects.get(kind=AlertKind.MISSED_SLOT, subject_id=cases.east.pk)
    assert list(alert.recipients.all()) == [cases.east_team]
    staff = set(User.objects.filter(role_assignments__unit=alert.unit).values_list("pk", flat=True))
    delivered = set(Delivery.objects.filter(alert=alert, channel="in_app").values_list("user_id", flat=True))
    assert delivered == staff | {cases.east_team.pk}
    assert Delivery.objects.filter(alert=alert).count() == len(delivered)
    # It sits where raise_alert would put an alert of the same unit.
    single = raise_alert(AlertKind.MISSED_SLOT, cases.east.unit, key="compare", title="x", now=at(0, 10))
    assert single.unit == alert.unit and single.ack_due_at == alert.ack_due_at and single.severity == alert.severity


def test_one_alert_per_case_per_pass_even_after_a_day_without_the_worker(cases):
    counts = run_control_pass(at(1, 19))
    assert counts["slots_closed"] == 8 and counts["missed_alerts"] == 2
    east = Alert.objects.get(kind=AlertKind.MISSED_SLOT, subject_id=cases.east.pk)
    assert "共漏报 4 次" in east.detail


def test_second_pass_with_the_same_now_does_nothing_new(cases):
    first = run_control_pass(at(2, 10))
    before = (Alert.objects.count(), Delivery.objects.count())
    second = run_control_pass(at(2, 10))
    assert first["slots_closed"] == 10 and first["missed_alerts"] == 2
    assert second == {**second, "slots_closed": 0, "missed_alerts": 0, "release_prompts": 0, "tests_due": 0,
                      "tests_overdue": 0, "overdue_alerts": 0}
    assert (Alert.objects.count(), Delivery.objects.count()) == before


def test_a_claim_taken_by_another_worker_is_not_alerted_twice(cases):
    # Another worker closed the east slot a moment earlier; this pass finds only the west one.
    FollowUpSlot.objects.filter(case=cases.east, ends_at__lte=at(0, 10), status=SlotStatus.OPEN).update(
        status=SlotStatus.MISSED, closed_at=at(0, 10))
    counts = run_control_pass(at(0, 10))
    assert counts["slots_closed"] == 1 and [a.subject_id for a in alerts(AlertKind.MISSED_SLOT)] == [cases.west.pk]


def test_an_open_alert_of_the_same_key_is_not_duplicated(cases):
    run_control_pass(at(0, 10))
    Alert.objects.filter(kind=AlertKind.MISSED_SLOT).update(acknowledged_at=at(0, 11))
    run_control_pass(at(0, 18))
    assert len(alerts(AlertKind.MISSED_SLOT)) == 4  # the afternoon slots are new keys


def test_a_unit_that_switched_missed_alerts_off_gets_none(cases, triad):
    AlertRule.objects.create(kind=AlertKind.MISSED_SLOT, unit=triad.county.west, enabled=False)
    AlertRule.objects.create(kind=AlertKind.MISSED_SLOT, unit=triad.county.east, ack_minutes=30)
    counts = run_control_pass(at(0, 10))
    assert counts["slots_closed"] == 2 and counts["missed_alerts"] == 1
    (alert,) = alerts(AlertKind.MISSED_SLOT)
    assert alert.subject_id == cases.east.pk and alert.ack_due_at == at(0, 10, 30)


def test_released_case_slots_are_left_alone_by_alerts_but_still_closed(cases):
    cases.west.status = CaseStatus.RELEASED
    cases.west.save()
    FollowUpSlot.objects.filter(case=cases.west).delete()
    assert run_control_pass(at(0, 10))["missed_alerts"] == 1


def test_release_prompt_the_day_before_the_last_day_ends(cases):
    assert run_control_pass(at(4, 20))["release_prompts"] == 0
    counts = run_control_pass(at(5, 0, 5))  # the last day (day 6) is tomorrow
    assert counts["release_prompts"] == 2
    keys = [alert.key for alert in alerts(AlertKind.RELEASE_DUE)]
    assert keys == sorted([f"release_prompt:{cases.east.pk}:2022-02-02", f"release_prompt:{cases.west.pk}:2022-02-02"])
    assert "明日期满，请准备解除" in alerts(AlertKind.RELEASE_DUE)[0].title
    assert run_control_pass(at(5, 12))["release_prompts"] == 0


def test_release_due_while_still_under_control(cases):
    cases.west.status = CaseStatus.RELEASED
    cases.west.save()
    counts = run_control_pass(at(7, 8))  # release_on is day 7
    assert counts["release_prompts"] == 1
    (alert,) = alerts(AlertKind.RELEASE_DUE)
    assert alert.key == f"release_due:{cases.east.pk}:2022-02-03" and "已到解除日期" in alert.title


def test_tests_due_today_once_per_case_day_and_overdue_the_next_day(triad, cases):
    case = open_case(triad.east_person, tests=[(START + timedelta(days=1), "person", "第2天"),
                                              (START + timedelta(days=1), "co_residents", "第2天共同居住人")])
    counts = run_control_pass(at(1, 0, 1))
    assert counts["tests_due"] == 1
    (due,) = alerts(AlertKind.TEST_DUE)
    assert due.key == f"test_due:{case.pk}:2022-01-28" and "今日应做核酸检测" in due.title and "2 项" in due.detail
    assert run_control_pass(at(1, 6))["tests_due"] == 0
    CaseTest.objects.filter(label="第2天").update(status=CaseTestStatus.DONE)
    counts = run_control_pass(at(2, 0, 1))
    assert counts["tests_overdue"] == 1 and counts["overdue_alerts"] == 1
    assert CaseTest.objects.get(label="第2天共同居住人").status == CaseTestStatus.MISSED
    (overdue,) = alerts(AlertKind.TEST_OVERDUE)
    assert "逾期未检" in overdue.title and overdue.title.endswith("第2天共同居住人")
    assert run_control_pass(at(2, 0, 2))["tests_overdue"] == 0


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_close_each_slot_once(triad, cases):
    if connection.vendor != "postgresql":
        pytest.skip("two writers at once need PostgreSQL (SQLite serialises them)")
    results, errors = [], []
    barrier = threading.Barrier(2)

    def work():
        try:
            barrier.wait()
            results.append(run_control_pass(at(3, 10)))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sum(r["slots_closed"] for r in results) == 14 and sum(r["missed_alerts"] for r in results) == 2
    assert Alert.objects.filter(kind=AlertKind.MISSED_SLOT).count() == 2
    for alert in Alert.objects.filter(kind=AlertKind.MISSED_SLOT):
        users = list(Delivery.objects.filter(alert=alert).values_list("user_id", flat=True))
        assert len(users) == len(set(users))


def test_the_pass_moves_pending_cases_under_control(triad):
    from .test_followup_support import open_case as open_

    case = open_(triad.east_person, status=CaseStatus.PENDING)
    counts = run_control_pass(at(0, 7))
    case.refresh_from_db()
    assert case.status == CaseStatus.UNDER_CONTROL and counts.get("cases_started") == 1
