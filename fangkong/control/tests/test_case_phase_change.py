"""Extending or shortening a phase: a reason is required and recorded, later phases, tests and
slots follow, the past is kept."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from fangkong.control.models import PhaseChange, SlotStatus
from fangkong.control.models import TestStatus as Status
from fangkong.control.services.cases import change_phase, record_test

from .test_case_support import D, at, open_v8_close_contact, v8  # noqa: F401


def test_extend_by_three_days_shifts_later_phases_tests_and_slots(triad, v8):
    case = open_v8_close_contact(triad.east_person)
    first_test = case.tests.get(due_on=D(2022, 1, 11))
    record_test(first_test, "negative", triad.inside, at(D(2022, 1, 11), 10))
    now = at(D(2022, 1, 15), 11)

    change = change_phase(case, 0, D(2022, 1, 27), "第7天检测结果复核，延长观察", triad.inside, now)

    assert (change.old_last_day, change.new_last_day) == (D(2022, 1, 24), D(2022, 1, 27))
    assert change.changed_by == triad.inside
    assert change.reason == "第7天检测结果复核，延长观察"
    phases = [(p.first_day, p.last_day, p.planned_last_day) for p in case.phases.order_by("index")]
    assert phases == [
        (D(2022, 1, 11), D(2022, 1, 27), D(2022, 1, 24)),
        (D(2022, 1, 28), D(2022, 2, 3), D(2022, 1, 31)),
    ]
    case.refresh_from_db()
    assert case.release_on == D(2022, 2, 4)
    # The closing test of the phase moves to its new last day; the test done is kept.
    assert [(t.due_on, t.status) for t in case.tests.order_by("due_on")] == [
        (D(2022, 1, 11), Status.DONE), (D(2022, 1, 14), Status.SCHEDULED),
        (D(2022, 1, 17), Status.SCHEDULED), (D(2022, 1, 27), Status.SCHEDULED),
    ]
    # Slots run to the new end, two a day, none duplicated.
    assert case.slots.order_by("-starts_at").first().day == D(2022, 2, 3)
    assert case.slots.count() == (D(2022, 2, 3) - D(2022, 1, 11)).days * 2 + 2
    assert case.slots.filter(day=D(2022, 2, 1)).count() == 2
    # Simple-history records the change with its reason.
    latest = case.history.order_by("-history_date", "-history_id").first()
    assert latest.history_change_reason.startswith("调整管控期：第7天检测结果复核")
    assert latest.history_user == triad.inside
    assert latest.release_on == D(2022, 2, 4)


def test_shorten_the_last_phase_removes_open_slots_beyond_the_new_end(triad, v8):
    case = open_v8_close_contact(triad.east_person)
    now = at(D(2022, 1, 26), 12)
    change_phase(case, 1, D(2022, 1, 28), "按指挥部通知缩短", triad.inside, now)
    case.refresh_from_db()
    assert case.release_on == D(2022, 1, 29)
    assert not case.slots.filter(day__gt=D(2022, 1, 28)).exists()
    assert case.slots.filter(day=D(2022, 1, 28), status=SlotStatus.OPEN).count() == 2
    # Slots already over are left for the worker, not deleted.
    assert case.slots.filter(day=D(2022, 1, 25)).count() == 2


def test_shortening_moves_the_closing_test_once(triad, v8):
    case = open_v8_close_contact(triad.east_person)
    change_phase(case, 0, D(2022, 1, 16), "专家研判", triad.inside, at(D(2022, 1, 12)))
    tests = [(t.due_on, t.status) for t in case.tests.order_by("due_on", "id")]
    # Day 7 (1月17日) and day 14 (1月24日) were beyond the new end: one test on 1月16日, the other
    # cancelled where it was.
    assert tests == [(D(2022, 1, 11), Status.SCHEDULED), (D(2022, 1, 14), Status.SCHEDULED),
                     (D(2022, 1, 16), Status.SCHEDULED), (D(2022, 1, 24), Status.CANCELLED)]
    assert case.phases.get(index=1).first_day == D(2022, 1, 17)


def test_a_reason_is_required_and_nothing_changes_without_it(triad, v8):
    case = open_v8_close_contact(triad.east_person)
    with pytest.raises(ValidationError, match="须填写原因"):
        change_phase(case, 0, D(2022, 1, 27), "  ", triad.inside, at(D(2022, 1, 15)))
    assert not PhaseChange.objects.exists()
    assert case.phases.get(index=0).last_day == D(2022, 1, 24)


def test_a_phase_already_over_or_a_past_end_is_refused(triad, v8):
    case = open_v8_close_contact(triad.east_person)
    with pytest.raises(ValidationError, match="已结束"):
        change_phase(case, 0, D(2022, 1, 30), "补录", triad.inside, at(D(2022, 1, 28)))
    with pytest.raises(ValidationError, match="不能早于昨天"):
        change_phase(case, 1, D(2022, 1, 26), "补录", triad.inside, at(D(2022, 1, 28)))
    with pytest.raises(ValidationError, match="相同"):
        change_phase(case, 1, D(2022, 1, 31), "无变化", triad.inside, at(D(2022, 1, 28)))
    assert change_phase(case, 1, D(2022, 1, 31) + timedelta(days=1), "延长", triad.inside, at(D(2022, 1, 28)))
