"""Opening a control case materialises the plan the regimen engine computes."""

from datetime import time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from fangkong.control.models import CaseStatus, FollowUpSlot, RegimenVersion
from fangkong.control.regimens import compute_plan
from fangkong.control.services.cases import open_case

from .test_case_support import D, at, open_v8_close_contact, v8  # noqa: F401


def test_v8_close_contact_phases_tests_and_slots_match_the_preview(triad, v8):
    case = open_v8_close_contact(triad.east_person, triad.inside, team=[("网格员", "王五", "13800138000", triad.inside)])

    phases = [(p.measure, p.first_day, p.last_day, p.planned_last_day) for p in case.phases.order_by("index")]
    assert phases == [
        ("centralized_isolation", D(2022, 1, 11), D(2022, 1, 24), D(2022, 1, 24)),
        ("home_health_monitoring", D(2022, 1, 25), D(2022, 1, 31), D(2022, 1, 31)),
    ]
    assert [(t.due_on, t.who) for t in case.tests.order_by("due_on")] == [
        (D(2022, 1, 11), "person"), (D(2022, 1, 14), "person"), (D(2022, 1, 17), "person"), (D(2022, 1, 24), "person"),
    ]
    assert case.release_on == D(2022, 2, 1)
    # The same as the engine's preview of the stored rule.
    preview = compute_plan(case.rule, case.anchor_date, case.arrival_date).preview()
    assert preview["release_on"] == case.release_on.isoformat()
    assert [(p["first_day"], p["last_day"]) for p in preview["phases"]] == [
        (a.isoformat(), b.isoformat()) for _m, a, b, _p in phases
    ]
    assert [t["date"] for t in preview["tests"]] == [t.due_on.isoformat() for t in case.tests.order_by("due_on")]
    assert case.rule == v8.rules["close_contact"]

    # Two windows a day for every day 1月11日–31日, in local time.
    slots = list(case.slots.order_by("starts_at"))
    assert len(slots) == 21 * 2
    assert slots[0].day == D(2022, 1, 11) and timezone.localtime(slots[0].starts_at).time() == time(8)
    assert timezone.localtime(slots[1].ends_at).time() == time(18)
    assert slots[-1].day == D(2022, 1, 31)
    assert {s.unit_path for s in slots} == {triad.east_person.unit.path}

    assert case.status == CaseStatus.PENDING  # opened the evening before the first day
    assert case.current_measure == "centralized_isolation"
    assert case.unit == triad.east_person.unit and case.opened_by == triad.inside
    member = case.team.get()
    assert (member.role, member.name, member.phone, member.user) == ("网格员", "王五", "13800138000", triad.inside)
    assert case.history.count() == 1


def test_opened_after_the_first_day_is_under_control_without_slots_already_over(triad, v8):
    case = open_v8_close_contact(triad.east_person, now=at(D(2022, 1, 12), 9, 30))
    assert case.status == CaseStatus.UNDER_CONTROL
    first = case.slots.order_by("starts_at").first()
    assert (first.day, timezone.localtime(first.starts_at).time()) == (D(2022, 1, 12), time(8))
    assert case.slots.count() == 21 * 2 - 2
    # Tests already due stay on the plan (the 1月11日 test is overdue, not forgotten).
    assert case.tests.filter(due_on=D(2022, 1, 11)).exists()


def test_regimen_in_force_on_the_anchor_date_is_used_by_default(triad):
    case = open_case(triad.east_person, "close_contact", anchor_date=D(2021, 6, 1), now=at(D(2021, 6, 1)))
    assert case.regimen.code == "national-v8"
    assert case.rule == case.regimen.rules["close_contact"]
    later = open_case(triad.west_person, "close_contact", anchor_date=D(2022, 7, 1), now=at(D(2022, 7, 1)))
    assert later.regimen.code == "national-v9"
    assert later.release_on == D(2022, 7, 1) + timedelta(days=11)  # 7 + 3 days from 7月2日


def test_a_second_active_case_for_the_same_person_is_refused(triad, v8):
    open_v8_close_contact(triad.east_person)
    with pytest.raises(ValidationError, match="已有正在管控的档案"):
        open_v8_close_contact(triad.east_person)


def test_a_released_person_may_be_opened_again(triad, v8):
    case = open_v8_close_contact(triad.east_person)
    case.status = CaseStatus.RELEASED
    case.save()
    assert open_v8_close_contact(triad.east_person, anchor=D(2022, 3, 1)).pk != case.pk


def test_a_regimen_without_a_rule_for_the_category_is_refused(triad):
    only_contacts = RegimenVersion.objects.create(
        code="contacts-only", name="只管密接", effective_from=D(2022, 1, 1),
        rules={"close_contact": {"anchor": "last_exposure", "phases": [{"measure": "home_isolation", "days": 7}]}},
    )
    with pytest.raises(ValidationError, match="没有“入境人员”的管控规则"):
        open_case(triad.east_person, "inbound", anchor_date=D(2022, 1, 10), regimen=only_contacts,
                  now=at(D(2022, 1, 10)))
    assert not triad.east_person.control_cases.exists()


def test_no_regimen_in_force_is_refused(triad):
    with pytest.raises(ValidationError, match="没有适用于"):
        open_case(triad.east_person, "close_contact", anchor_date=D(2019, 1, 10), now=at(D(2019, 1, 10)))


def test_a_plan_already_over_on_arrival_is_not_opened(triad, v8):
    # Fill-and-top-up: last exposure 1月1日, found on 2月15日 — 14 + 7 days ended 1月22日.
    with pytest.raises(ValidationError, match="无需建档管控"):
        open_v8_close_contact(triad.east_person, anchor=D(2022, 1, 1), arrival_date=D(2022, 2, 15),
                              now=at(D(2022, 2, 15)))


def test_fill_and_top_up_late_arrival_starts_on_arrival(triad, v8):
    # Last exposure 1月10日, found 1月20日: isolation continues 1月20日–24日; tests of days 1, 4, 7 were
    # missed and are done once on arrival; day 14 on 1月24日.
    case = open_v8_close_contact(triad.east_person, arrival_date=D(2022, 1, 20), now=at(D(2022, 1, 20), 7))
    assert case.phases.get(index=0).first_day == D(2022, 1, 20)
    assert [t.due_on for t in case.tests.order_by("due_on")] == [D(2022, 1, 20), D(2022, 1, 24)]
    assert case.slots.order_by("starts_at").first().day == D(2022, 1, 20)
    assert case.release_on == D(2022, 2, 1)
    assert FollowUpSlot.objects.filter(case=case, day__lt=D(2022, 1, 20)).count() == 0
