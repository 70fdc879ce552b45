"""A new regimen version applied to cases already open (按新方案调整).

A new version never changes a past case silently: `preview_regimen_change` lists every active
case of the categories the version covers with its old and new phases and release date, and
nothing changes until `apply_regimen_change` is called for the cases somebody chose. Applying
re-plans each chosen case from its own anchor and arrival dates; tests done and follow-up
entries made are kept, each changed phase gets a PhaseChange with the reason
"按新方案调整：<code>".
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.control.models import (
    ACTIVE_STATUSES, CasePhase, CaseStatus, ControlCase, Measure, PhaseChange,
    TestStatus,
)

from .cases import _current_measure, _history, plan_for, sync_slots, sync_tests


@dataclass
class RegimenChangeRow:
    case: ControlCase
    old_release_on: object
    new_release_on: object
    old_phases: list  # [(measure, first_day, last_day)]
    new_phases: list
    old_tests: list = field(default_factory=list)  # [(date, who)] not cancelled
    new_tests: list = field(default_factory=list)
    error: str = ""

    @property
    def changed(self):
        return not self.error and (
            self.old_release_on != self.new_release_on or self.old_phases != self.new_phases
            or self.old_tests != self.new_tests
        )

    @property
    def old_phases_display(self):
        return [(Measure(m).label, first, last) for m, first, last in self.old_phases]

    @property
    def new_phases_display(self):
        return [(Measure(m).label, first, last) for m, first, last in self.new_phases]

    @property
    def release_shift(self):
        if self.error or self.old_release_on is None or self.new_release_on is None:
            return None
        return (self.new_release_on - self.old_release_on).days


def reason_for(regimen):
    return _("按新方案调整：%(code)s") % {"code": regimen.code}


def affected_cases(new_regimen, cases_qs):
    """Active cases of the categories the new version has rules for, not already under it."""
    categories = list((new_regimen.rules or {}).keys())
    return (
        cases_qs.filter(status__in=ACTIVE_STATUSES, category__in=categories)
        .exclude(regimen=new_regimen)
        .select_related("person", "unit", "regimen")
        .prefetch_related("phases", "tests")
        .order_by("release_on", "pk")
    )


def _old_phases(case):
    return [(p.measure, p.first_day, p.last_day) for p in sorted(case.phases.all(), key=lambda p: p.index)]


def _old_tests(case):
    return sorted((t.due_on, t.who) for t in case.tests.all() if t.status != TestStatus.CANCELLED)


def preview_row(new_regimen, case):
    row = RegimenChangeRow(case=case, old_release_on=case.release_on, new_release_on=None,
                           old_phases=_old_phases(case), new_phases=[], old_tests=_old_tests(case))
    try:
        plan = plan_for(new_regimen.rules[case.category], case.anchor_date, case.arrival_date)
    except ValidationError as error:
        row.error = "；".join(error.messages)
        return row, None
    row.new_release_on = plan.release_on
    row.new_phases = [(p.measure, p.first_day, p.last_day) for p in plan.phases]
    row.new_tests = sorted({(t.date, t.who) for t in plan.tests})
    return row, plan


def preview_regimen_change(new_regimen, cases_qs):
    """One row per affected case: old and new phases, tests and release dates."""
    return [preview_row(new_regimen, case)[0] for case in affected_cases(new_regimen, cases_qs)]


def apply_regimen_change(new_regimen, case_ids, by, now):
    """Re-plan the chosen cases (only those within `by`'s jurisdiction that the version
    applies to). Returns the ids of the cases changed."""
    if by is None or not by.has_perm("control.change_regimenversion_cases"):
        raise PermissionDenied(_("您没有按新方案调整管控的权限。"))
    today = timezone.localdate(now)
    reason = reason_for(new_regimen)
    chosen = affected_cases(new_regimen, ControlCase.objects.restrict(by).filter(pk__in=list(case_ids)))
    changed = []
    for case in chosen:
        with transaction.atomic():
            locked = ControlCase.objects.select_for_update().filter(pk=case.pk, status__in=ACTIVE_STATUSES).first()
            if locked is None or locked.regimen_id == new_regimen.pk:
                continue
            row, plan = preview_row(new_regimen, case)
            if plan is None or not plan.phases:
                continue
            _replan(locked, new_regimen, plan, reason, by, now, today)
            changed.append(case.pk)
    return changed


def _replan(case, regimen, plan, reason, by, now, today):
    existing = {p.index: p for p in case.phases.all()}
    for i, new in enumerate(plan.phases):
        phase = existing.pop(i, None)
        if phase is None:
            CasePhase.objects.create(case=case, index=i, measure=new.measure, first_day=new.first_day,
                                     last_day=new.last_day, planned_last_day=new.last_day)
            continue
        if (phase.measure, phase.first_day, phase.last_day) == (new.measure, new.first_day, new.last_day):
            continue
        if phase.last_day != new.last_day:
            PhaseChange.objects.create(phase=phase, old_last_day=phase.last_day, new_last_day=new.last_day,
                                       reason=reason, changed_by=by, changed_at=now)
        phase.measure, phase.first_day, phase.last_day = new.measure, new.first_day, new.last_day
        phase.planned_last_day = new.last_day
        phase.save(update_fields=["measure", "first_day", "last_day", "planned_last_day"])
    # Phases the new version no longer has (the case history keeps what they were).
    for phase in existing.values():
        phase.delete()
    sync_tests(case, [(t.date, t.who, t.label) for t in plan.tests], today)
    rows = [(p.measure, p.first_day, p.last_day) for p in plan.phases]
    sync_slots(case, rows[0][1], rows[-1][2], plan.windows, now)
    case.regimen = regimen
    case.rule = regimen.rules[case.category]
    case.release_on = plan.release_on
    case.current_measure = _current_measure(rows, today)
    if case.status == CaseStatus.PENDING and rows[0][1] <= today:
        case.status = CaseStatus.UNDER_CONTROL
    _history(case, by, reason)
    case.save()
    return case
