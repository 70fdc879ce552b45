"""Test support: a control case written straight to the tables, with the phases, tests and
follow-up slots given, for tests of the parts that read cases (follow-up, worker, line lists,
sites, alerts) without going through the regimen engine. Cases opened for real go through
`control.services.cases.open_case`."""

from datetime import time, timedelta

from django.utils import timezone

from fangkong.control.models import (
    CasePhase,
    CaseStatus,
    CaseTest,
    ControlCase,
    FollowUpSlot,
    RegimenVersion,
    TeamMember,
)
from fangkong.lib.dates import local_moment

WINDOWS = ((time(8), time(10)), (time(16), time(18)))


def local(day, at):
    return local_moment(day, at)


def testing_regimen():
    regimen, _ = RegimenVersion.objects.get_or_create(
        code="test-regimen",
        defaults={"name": "测试方案", "effective_from": "2020-01-01", "rules": {
            "close_contact": {"anchor": "last_exposure", "phases": [
                {"measure": "centralized_isolation", "days": 14}]}}},
    )
    return regimen


def make_case(person, *, unit=None, category="close_contact", phases=None, tests=(), status=CaseStatus.UNDER_CONTROL,
              anchor_date=None, windows=WINDOWS, team=(), opened_at=None, **extra):
    """phases: [(measure, first_day, last_day), …]; tests: [(due_on, who, label), …]."""
    phases = phases or [("centralized_isolation", timezone.localdate(), timezone.localdate() + timedelta(days=13))]
    first, last = phases[0][1], phases[-1][2]
    case = ControlCase.objects.create(
        person=person, unit=unit or person.unit, category=category, regimen=extra.pop("regimen", None) or testing_regimen(),
        anchor_date=anchor_date or first - timedelta(days=1), arrival_date=first, status=status,
        current_measure=phases[0][0], release_on=last + timedelta(days=1),
        opened_at=opened_at or local(first, time(7)), **extra,
    )
    CasePhase.objects.bulk_create(
        CasePhase(case=case, index=i, measure=m, first_day=a, last_day=b, planned_last_day=b)
        for i, (m, a, b) in enumerate(phases)
    )
    for due_on, who, label in tests:
        CaseTest.objects.create(case=case, due_on=due_on, who=who, label=label)
    slots = []
    day = first
    while day <= last:
        for start, end in windows:
            slots.append(FollowUpSlot(case=case, unit_path=case.unit_path, day=day, starts_at=local(day, start),
                                      ends_at=local(day, end)))
        day += timedelta(days=1)
    FollowUpSlot.objects.bulk_create(slots)
    for role, name in team:
        TeamMember.objects.create(case=case, role=role, name=name)
    return case
