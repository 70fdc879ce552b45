"""advance_cases: the worker's set-based move of cases into and through their phases."""

from fangkong.control.models import CaseStatus, ControlCase
from fangkong.control.services.cases import advance_cases

from .test_case_support import D, at, open_v8_close_contact, v8  # noqa: F401


def test_pending_case_goes_under_control_when_its_first_phase_begins(triad, v8):
    case = open_v8_close_contact(triad.east_person)
    other = open_v8_close_contact(triad.west_person, anchor=D(2022, 1, 15), now=at(D(2022, 1, 10)))

    assert advance_cases(at(D(2022, 1, 10), 23)) == {"cases_started": 0, "cases_phase_moved": 0}
    counts = advance_cases(at(D(2022, 1, 11), 0, 5))
    assert counts["cases_started"] == 1
    case.refresh_from_db()
    other.refresh_from_db()
    assert case.status == CaseStatus.UNDER_CONTROL
    assert other.status == CaseStatus.PENDING
    # Run again (a second worker): nothing more to do.
    assert advance_cases(at(D(2022, 1, 11), 0, 5)) == {"cases_started": 0, "cases_phase_moved": 0}


def test_current_measure_follows_the_phase_covering_today(triad, v8):
    case = open_v8_close_contact(triad.east_person)
    advance_cases(at(D(2022, 1, 24), 12))
    case.refresh_from_db()
    assert case.current_measure == "centralized_isolation"

    counts = advance_cases(at(D(2022, 1, 25), 0, 5))
    case.refresh_from_db()
    assert counts["cases_phase_moved"] == 1
    assert case.current_measure == "home_health_monitoring"
    assert advance_cases(at(D(2022, 1, 25), 0, 10))["cases_phase_moved"] == 0


def test_cases_are_never_released_by_the_worker(triad, v8):
    case = open_v8_close_contact(triad.east_person)
    advance_cases(at(D(2022, 2, 5)))
    case.refresh_from_db()
    assert case.status == CaseStatus.UNDER_CONTROL
    assert case.closed_at is None


def test_closed_cases_are_left_alone(triad, v8):
    case = open_v8_close_contact(triad.east_person)
    ControlCase.objects.filter(pk=case.pk).update(status=CaseStatus.LOST)
    advance_cases(at(D(2022, 1, 26)))
    case.refresh_from_db()
    assert (case.status, case.current_measure) == (CaseStatus.LOST, "centralized_isolation")
