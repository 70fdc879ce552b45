"""A new regimen version never changes a past case silently: the preview lists old and new
dates, and only the cases somebody chose are re-planned."""

import pytest
from django.core.exceptions import PermissionDenied

from fangkong.control.models import ControlCase, PhaseChange
from fangkong.control.models import TestStatus as Status
from fangkong.control.services.cases import record_test
from fangkong.control.services.regimen_change import apply_regimen_change, preview_regimen_change

from .test_case_support import D, at, open_v8_close_contact, v8, v9  # noqa: F401

NOW = at(D(2022, 6, 29), 10, 30)


@pytest.fixture
def two_cases(triad, v8):
    # national-v8, last exposure 6月20日: isolation 6月21日–7月4日, monitoring 7月5日–11日, release 7月12日.
    east = open_v8_close_contact(triad.east_person, triad.inside, anchor=D(2022, 6, 20))
    west = open_v8_close_contact(triad.west_person, triad.neighbour, anchor=D(2022, 6, 20))
    for case in (east, west):
        for day in (D(2022, 6, 21), D(2022, 6, 24)):
            record_test(case.tests.get(due_on=day), "negative", triad.inside, at(day, 10))
    return east, west


def test_preview_lists_old_and_new_dates_and_changes_nothing(triad, v9, two_cases):
    east, west = two_cases
    rows = preview_regimen_change(v9, ControlCase.objects.all())
    assert {row.case.pk for row in rows} == {east.pk, west.pk}
    row = next(r for r in rows if r.case.pk == east.pk)
    assert (row.old_release_on, row.new_release_on, row.release_shift) == (D(2022, 7, 12), D(2022, 7, 1), -11)
    assert row.old_phases == [("centralized_isolation", D(2022, 6, 21), D(2022, 7, 4)),
                              ("home_health_monitoring", D(2022, 7, 5), D(2022, 7, 11))]
    # national-v9: 7 days centralised (6月21日–27日) + 3 days home monitoring (6月28日–30日).
    assert row.new_phases == [("centralized_isolation", D(2022, 6, 21), D(2022, 6, 27)),
                              ("home_health_monitoring", D(2022, 6, 28), D(2022, 6, 30))]
    assert row.changed
    east.refresh_from_db()
    assert east.regimen.code == "national-v8" and east.release_on == D(2022, 7, 12)
    assert not PhaseChange.objects.exists()
    # The preview goes through the queryset it is given (the caller's jurisdiction).
    assert [r.case.pk for r in preview_regimen_change(v9, ControlCase.objects.restrict(triad.inside))] == [east.pk]


def test_apply_changes_only_the_chosen_cases_and_keeps_done_tests(triad, v9, two_cases):
    east, west = two_cases
    changed = apply_regimen_change(v9, [east.pk], triad.above, NOW)
    assert changed == [east.pk]

    east.refresh_from_db()
    west.refresh_from_db()
    assert (east.regimen.code, east.release_on, east.current_measure) == ("national-v9", D(2022, 7, 1),
                                                                         "home_health_monitoring")
    assert east.rule == v9.rules["close_contact"]
    assert (west.regimen.code, west.release_on) == ("national-v8", D(2022, 7, 12))
    assert west.phases.get(index=0).last_day == D(2022, 7, 4)

    changes = PhaseChange.objects.filter(phase__case=east).order_by("phase__index")
    assert [(c.old_last_day, c.new_last_day, c.reason) for c in changes] == [
        (D(2022, 7, 4), D(2022, 6, 27), "按新方案调整：national-v9"),
        (D(2022, 7, 11), D(2022, 6, 30), "按新方案调整：national-v9"),
    ]
    tests = {(t.due_on, t.status) for t in east.tests.all()}
    # Done tests kept; the old day-14 test (7月4日) cancelled; the new monitoring day-3 test added.
    assert (D(2022, 6, 21), Status.DONE) in tests and (D(2022, 6, 24), Status.DONE) in tests
    assert (D(2022, 7, 4), Status.CANCELLED) in tests
    assert (D(2022, 6, 30), Status.SCHEDULED) in tests
    # Follow-up slots end with the new last day.
    assert east.slots.order_by("-starts_at").first().day == D(2022, 6, 30)
    assert west.slots.order_by("-starts_at").first().day == D(2022, 7, 11)
    assert east.history.order_by("-history_date", "-history_id").first().history_change_reason == \
        "按新方案调整：national-v9"

    # Applying again changes nothing (the case is already under the version).
    assert apply_regimen_change(v9, [east.pk], triad.above, NOW) == []
    assert preview_regimen_change(v9, ControlCase.objects.filter(pk=east.pk)) == []


def test_apply_needs_the_permission_and_stays_within_the_jurisdiction(triad, v9, two_cases):
    east, west = two_cases
    with pytest.raises(PermissionDenied):
        apply_regimen_change(v9, [east.pk], triad.inside, NOW)
    from fangkong.conftest import make_user

    east_leader = make_user("east_leader", "leader", triad.county.east)
    assert apply_regimen_change(v9, [east.pk, west.pk], east_leader, NOW) == [east.pk]
    west.refresh_from_db()
    assert west.regimen.code == "national-v8"


def test_categories_the_new_version_has_no_rule_for_are_not_affected(triad, v8, v9):
    early = open_v8_close_contact(triad.east_person, anchor=D(2022, 6, 20))
    ControlCase.objects.filter(pk=early.pk).update(category="high_risk_post")
    assert preview_regimen_change(v9, ControlCase.objects.all()) == []
