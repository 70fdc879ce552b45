"""Control cases (一人一档): opening a case with its computed plan, moving it through its phases,
extending or shortening a phase, recording tests, releasing and closing it.

The plan (phases, tests, follow-up slots) is computed once by the regimen engine and stored as
rows; later regimen versions never change it silently (see `regimen_change`). Time is always
passed in (`now`, an aware datetime); "today" is the local date of `now`.

Slots are only made for windows that end after the moment the case is opened (or re-planned):
nobody can have followed up a person before the case existed, and a slot made for a window
already over would be reported as missed at once.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.control.models import (
    ACTIVE_STATUSES,
    CasePhase,
    CaseStatus,
    CaseTest,
    Category,
    ControlCase,
    FollowUpSlot,
    Measure,
    PhaseChange,
    PlaceKind,
    SlotStatus,
    TeamMember,
    TestResult,
    TestStatus,
    TestWho,
)
from fangkong.lib.dates import cn_date, local_moment

CLOSING_STATUSES = (CaseStatus.HOSPITAL, CaseStatus.CONVERTED, CaseStatus.LOST)
HISTORY_REASON_LENGTH = 100  # simple-history's history_change_reason column


def _today(now):
    return timezone.localdate(now)


def _history(case, by, reason):
    case._history_user = by
    case._change_reason = (reason or "")[:HISTORY_REASON_LENGTH]


def _active(case):
    if case.status not in ACTIVE_STATUSES:
        raise ValidationError(
            _("该管控对象状态为“%(status)s”，不能再办理此项。") % {"status": case.get_status_display()}
        )


# ---------------------------------------------------------------------------------------------
# Plans


def plan_for(rule, anchor_date, arrival_date=None):
    """The engine's plan for a rule (imported lazily: the engine lives in control.regimens)."""
    from fangkong.control.regimens import compute_plan

    try:
        return compute_plan(rule, anchor_date, arrival_date)
    except ValueError as error:
        raise ValidationError(str(error)) from None


def case_plan(case):
    """The plan of the rule stored on the case, as computed from its anchor and arrival (the
    follow-up windows, team and release conditions of the case's rule)."""
    return plan_for(case.rule, case.anchor_date, case.arrival_date)


def resolve_regimen(category, anchor_date, unit, regimen=None):
    """(regimen, rule): the one given or the one in force on the anchor date for the unit."""
    from fangkong.control.regimens.selection import regimen_in_force

    if regimen is None:
        regimen = regimen_in_force(anchor_date, category=category, unit=unit)
        if regimen is None:
            raise ValidationError(
                {"regimen": _("%(date)s没有适用于“%(category)s”的管控方案。")
                 % {"date": cn_date(anchor_date), "category": Category(category).label}}
            )
    rule = (regimen.rules or {}).get(category)
    if not rule:
        raise ValidationError(
            {"category": _("管控方案“%(regimen)s”没有“%(category)s”的管控规则。")
             % {"regimen": regimen.name, "category": Category(category).label if category in Category.values
                else category}}
        )
    return regimen, rule


def measure_on(phases, day):
    """The measure of the phase covering `day` among (measure, first_day, last_day) rows."""
    for measure, first, last in phases:
        if first <= day <= last:
            return measure
    return ""


def _current_measure(phases, today):
    """The measure in force today; before the first phase, the first; after the last, the last."""
    if not phases:
        return ""
    measure = measure_on(phases, today)
    if measure:
        return measure
    return phases[0][0] if today < phases[0][1] else phases[-1][0]


def _phase_rows(case):
    return [(p.measure, p.first_day, p.last_day) for p in case.phases.order_by("index")]


# ---------------------------------------------------------------------------------------------
# Slots and tests kept in step with the plan


def sync_slots(case, first_day, last_day, windows, now):
    """Make the open slots of the case from now on match the days first_day…last_day and the
    windows: open slots still to come that no longer fit are deleted, missing ones added.
    Slots already done or missed, and windows already over, are left as they are."""
    wanted = {}
    if first_day is not None and last_day is not None:
        day = first_day
        while day <= last_day:
            for start, end in windows:
                starts_at, ends_at = local_moment(day, start), local_moment(day, end)
                if ends_at > now:
                    wanted[(starts_at, ends_at)] = day
            day += timedelta(days=1)
    future = FollowUpSlot.objects.filter(case=case, ends_at__gt=now)
    existing = set()
    stale = []
    for pk, status, starts_at, ends_at in future.values_list("pk", "status", "starts_at", "ends_at"):
        key = (starts_at, ends_at)
        if key in wanted or status != SlotStatus.OPEN:
            existing.add(key)
        else:
            stale.append(pk)
    if stale:
        FollowUpSlot.objects.filter(pk__in=stale, status=SlotStatus.OPEN).delete()
    FollowUpSlot.objects.bulk_create(
        FollowUpSlot(case=case, unit_path=case.unit_path, day=day, starts_at=starts_at, ends_at=ends_at)
        for (starts_at, ends_at), day in sorted(wanted.items())
        if (starts_at, ends_at) not in existing
    )


def sync_tests(case, planned, today):
    """Make the tests of the case match `planned` [(date, who, label)] from today on: tests done
    are kept; tests not done that the plan no longer has are cancelled; planned tests missing
    are added (those dated before today are not: they can no longer be done)."""
    planned_keys = {}
    for day, who, label in planned:
        planned_keys.setdefault((day, who), label)
    have = set()
    for test in case.tests.exclude(status=TestStatus.CANCELLED):
        key = (test.due_on, test.who)
        if test.status == TestStatus.DONE:
            have.add(key)
        elif key in planned_keys and key not in have:
            have.add(key)
            if planned_keys[key] and test.label != planned_keys[key]:
                CaseTest.objects.filter(pk=test.pk).update(label=planned_keys[key][:60])
        elif test.due_on >= today or key not in planned_keys:
            CaseTest.objects.filter(pk=test.pk).update(status=TestStatus.CANCELLED)
    CaseTest.objects.bulk_create(
        CaseTest(case=case, unit_path=case.unit_path, due_on=day, who=who, label=(label or "")[:60])
        for (day, who), label in sorted(planned_keys.items())
        if (day, who) not in have and day >= today
    )


def _resolve_release_prompts(case, now):
    """The release prompts of the worker (keys release_prompt:<case>:… and release_due:<case>:…)
    are settled once the case is released or closed."""
    from fangkong.alerts.models import Alert, AlertKind
    from fangkong.alerts.services import resolve_alerts

    keys = Alert.objects.filter(
        Q(key__startswith=f"release_prompt:{case.pk}:") | Q(key__startswith=f"release_due:{case.pk}:"),
        kind=AlertKind.RELEASE_DUE, resolved_at__isnull=True,
    ).values_list("key", flat=True)
    for key in list(keys):
        resolve_alerts(AlertKind.RELEASE_DUE, key, now=now, note=str(case.get_status_display()))


def _close_open_work(case, now):
    """At release or closing: open slots still to come are removed, open slots already over
    are marked missed, the release prompts are settled."""
    _resolve_release_prompts(case, now)
    from fangkong.sites.services.stays import check_out

    for stay in case.stays.filter(checked_out_at__isnull=True):
        check_out(stay, by=None, now=now)
    FollowUpSlot.objects.filter(case=case, status=SlotStatus.OPEN, ends_at__gt=now).delete()
    FollowUpSlot.objects.filter(case=case, status=SlotStatus.OPEN, ends_at__lte=now).update(
        status=SlotStatus.MISSED, closed_at=now
    )


# ---------------------------------------------------------------------------------------------
# Opening


def open_case(person, category, *, anchor_date, arrival_date=None, regimen=None, unit=None, lead=None,
              place=PlaceKind.HOME, site=None, team=(), by=None, now, note=""):
    """Open a control case and materialise its plan: phases, tests, follow-up slots and team.

    `team` is [(role, name, phone, user)] (phone and user may be left off). Refused (Chinese
    ValidationError) when the person already has an active case, when no regimen applies or the
    regimen has no rule for the category, or when the plan leaves nothing to control."""
    if category not in Category.values:
        raise ValidationError({"category": _("未知的管控类别：%(category)s") % {"category": category}})
    if arrival_date is not None and arrival_date < anchor_date:
        raise ValidationError({"arrival_date": _("抵达日期不能早于起算日期。")})
    unit = unit or person.unit
    if place == PlaceKind.SITE and site is None:
        raise ValidationError({"site": _("集中隔离须选择隔离点。")})
    regimen, rule = resolve_regimen(category, anchor_date, unit, regimen)
    plan = plan_for(rule, anchor_date, arrival_date)
    if not plan.phases:
        raise ValidationError(
            _("按“%(regimen)s”计算，管控期已于%(date)s前结束，无需建档管控。")
            % {"regimen": regimen.name, "date": cn_date(plan.release_on)}
        )
    today = _today(now)
    phases = [(p.measure, p.first_day, p.last_day) for p in plan.phases]
    with transaction.atomic():
        # Lock the person so two people opening a case for them at once cannot both succeed.
        type(person).objects.select_for_update().filter(pk=person.pk).first()
        if ControlCase.objects.filter(person=person, status__in=ACTIVE_STATUSES).exists():
            raise ValidationError(_("%(name)s 已有正在管控的档案，不能重复建档。") % {"name": person.name})
        case = ControlCase(
            person=person, unit=unit, lead=lead, category=category, regimen=regimen,
            anchor_date=anchor_date, arrival_date=arrival_date, rule=rule,
            status=CaseStatus.UNDER_CONTROL if phases[0][1] <= today else CaseStatus.PENDING,
            current_measure=_current_measure(phases, today), release_on=plan.release_on,
            place=place, site=site if place == PlaceKind.SITE else None,
            opened_at=now, opened_by=by, note=note,
        )
        _history(case, by, _("建档"))
        case.save()
        CasePhase.objects.bulk_create(
            CasePhase(case=case, index=i, measure=p.measure, first_day=p.first_day, last_day=p.last_day,
                      planned_last_day=p.last_day)
            for i, p in enumerate(plan.phases)
        )
        CaseTest.objects.bulk_create(
            CaseTest(case=case, unit_path=case.unit_path, due_on=t.date, who=t.who, label=(t.label or "")[:60])
            for t in plan.tests
        )
        sync_slots(case, phases[0][1], phases[-1][2], plan.windows, now)
        add_team(case, team)
    return case


def add_team(case, team):
    members = []
    for member in team:
        role, name, *rest = member
        phone, user = (rest + ["", None][len(rest):])[:2]
        role, name = (role or "").strip(), (name or "").strip()
        if not name:
            continue
        members.append(TeamMember(case=case, role=role[:30], name=name[:50], phone=(phone or "")[:20], user=user))
    TeamMember.objects.bulk_create(members)
    return members


# ---------------------------------------------------------------------------------------------
# The worker's part


def advance_cases(now):
    """Worker pass (set-based, safe in two processes at once): pending cases whose first phase
    has begun go under control, and every active case's current measure follows the phase that
    covers today. Release is never automatic: it needs a person (release prompts are raised by
    the follow-up worker)."""
    today = _today(now)
    started = ControlCase.objects.filter(status=CaseStatus.PENDING).filter(
        Exists(CasePhase.objects.filter(case=OuterRef("pk"), first_day__lte=today))
    ).update(status=CaseStatus.UNDER_CONTROL)
    moved = 0
    for measure in Measure.values:
        covering = CasePhase.objects.filter(
            case=OuterRef("pk"), measure=measure, first_day__lte=today, last_day__gte=today
        )
        moved += (
            ControlCase.objects.filter(status__in=ACTIVE_STATUSES)
            .exclude(current_measure=measure)
            .filter(Exists(covering))
            .update(current_measure=measure)
        )
    return {"cases_started": started, "cases_phase_moved": moved}


# ---------------------------------------------------------------------------------------------
# Extending or shortening a phase


def change_phase(case, phase_index, new_last_day, reason, by, now):
    """Extend or shorten one phase (延长/缩短) with a required reason. Later phases shift by the
    same number of days; tests and slots still to come follow; tests done and entries made are
    kept. Returns the PhaseChange."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("调整管控期须填写原因。")})
    today = _today(now)
    with transaction.atomic():
        case = ControlCase.objects.select_for_update().get(pk=case.pk)
        _active(case)
        phases = list(case.phases.order_by("index"))
        phase = next((p for p in phases if p.index == phase_index), None)
        if phase is None:
            raise ValidationError({"phase": _("没有该管控阶段。")})
        if phase.last_day < today - timedelta(days=1):
            raise ValidationError({"phase": _("该阶段已结束，不能再调整。")})
        if new_last_day < phase.first_day:
            raise ValidationError({"new_last_day": _("结束日期不能早于该阶段的开始日期%(date)s。")
                                   % {"date": cn_date(phase.first_day)}})
        if new_last_day < today - timedelta(days=1):
            raise ValidationError({"new_last_day": _("结束日期不能早于昨天。")})
        delta = new_last_day - phase.last_day
        if not delta:
            raise ValidationError({"new_last_day": _("新结束日期与原结束日期相同。")})
        old_last_day = phase.last_day
        change = PhaseChange.objects.create(
            phase=phase, old_last_day=old_last_day, new_last_day=new_last_day, reason=reason,
            changed_by=by, changed_at=now,
        )
        phase.last_day = new_last_day
        phase.save(update_fields=["last_day"])
        for later in phases:
            if later.index > phase.index:
                later.first_day += delta
                later.last_day += delta
                later.save(update_fields=["first_day", "last_day"])
        _shift_tests(case, old_last_day, new_last_day, today)
        rows = [(p.measure, p.first_day, p.last_day) for p in phases]
        sync_slots(case, rows[0][1], rows[-1][2], case_plan(case).windows, now)
        case.release_on = rows[-1][2] + timedelta(days=1)
        case.current_measure = _current_measure(rows, today)
        _history(case, by, _("调整管控期：%(reason)s") % {"reason": reason})
        case.save()
    return change


def _shift_tests(case, old_last_day, new_last_day, today):
    """Tests still to do after the changed phase (later phases, after release) move by the
    change; the phase's closing test (on its last day, or beyond a shortened end) moves to the
    new last day, once per who."""
    delta = new_last_day - old_last_day
    moved_to_end = set()
    open_tests = case.tests.filter(status=TestStatus.SCHEDULED, due_on__gte=today).order_by("due_on", "id")
    for test in open_tests:
        if test.due_on > old_last_day:
            test.due_on += delta
        elif test.due_on == old_last_day or test.due_on > new_last_day:
            if test.who in moved_to_end:
                test.status = TestStatus.CANCELLED
            else:
                moved_to_end.add(test.who)
                test.due_on = max(new_last_day, today)
        else:
            continue
        test.save(update_fields=["due_on", "status"])


# ---------------------------------------------------------------------------------------------
# Tests, release and closing


def record_test(case_test, result, by, now):
    """Record a test as done with its result (pending while the lab has not answered)."""
    if result not in TestResult.values:
        raise ValidationError({"result": _("检测结果只能是待出结果、阴性或阳性。")})
    if case_test.status == TestStatus.CANCELLED:
        raise ValidationError(_("该检测已取消。"))
    case_test.status = TestStatus.DONE
    case_test.result = result
    case_test.done_at = case_test.done_at or now
    case_test.recorded_by = by
    case_test.save(update_fields=["status", "result", "done_at", "recorded_by"])
    return case_test


@dataclass
class ReleaseCheck:
    allowed: bool
    missing: list
    needs_note: bool


def _needs_samples_note(conditions):
    """Release conditions are names (regimens.schema.RELEASE_CONDITIONS)."""
    return any(str(condition).startswith("samples") for condition in conditions or ())


def release_check(case, now, note=""):
    """Whether the case may be released now, and what is missing (in Chinese)."""
    today = _today(now)
    missing = []
    if case.status not in ACTIVE_STATUSES:
        missing.append(_("该管控对象状态为“%(status)s”。") % {"status": case.get_status_display()})
        return ReleaseCheck(False, missing, False)
    phases = _phase_rows(case)
    last_day = phases[-1][2] if phases else None
    if last_day is not None and today < last_day:
        missing.append(_("管控期至%(date)s结束，尚未期满。") % {"date": cn_date(last_day)})
    tests = case.tests.filter(who=TestWho.PERSON).exclude(status=TestStatus.CANCELLED)
    if last_day is not None:
        tests = tests.filter(due_on__lte=last_day)
    for test in tests.order_by("due_on", "id"):
        label = test.label or _("核酸检测")
        when = cn_date(test.due_on)
        if test.status != TestStatus.DONE:
            missing.append(_("%(date)s %(label)s未检测。") % {"date": when, "label": label})
        elif test.result == TestResult.POSITIVE:
            missing.append(_("%(date)s %(label)s结果为阳性。") % {"date": when, "label": label})
        elif test.result != TestResult.NEGATIVE:
            missing.append(_("%(date)s %(label)s尚未出结果。") % {"date": when, "label": label})
    try:
        conditions = case_plan(case).release_conditions
    except ValidationError:
        conditions = (case.rule or {}).get("release_conditions", ())
    needs_note = _needs_samples_note(conditions)
    if needs_note and not (note or "").strip():
        missing.append(_("须说明人、物、环境样本检测均为阴性。"))
    return ReleaseCheck(not missing, missing, needs_note)


def release_case(case, by, now, note=""):
    """解除管控: allowed on or after the last day of the last phase when every scheduled test of
    the person is done and negative (and, for sites, the samples are confirmed in the note).
    Refused with a Chinese reason listing what is missing."""
    if by is None or not by.has_perm("control.release_controlcase"):
        raise PermissionDenied(_("您没有解除管控的权限。"))
    with transaction.atomic():
        case = ControlCase.objects.select_for_update().get(pk=case.pk)
        check = release_check(case, now, note)
        if not check.allowed:
            raise ValidationError(_("暂不能解除管控：%(missing)s") % {"missing": "".join(check.missing)})
        case.status = CaseStatus.RELEASED
        case.closed_at = now
        case.closed_note = (note or "").strip()
        _history(case, by, _("解除管控"))
        case.save()
        _close_open_work(case, now)
    return case


def close_case(case, status, by, now, note):
    """Close a case otherwise than by release: referred to hospital, converted to a case, or
    lost to follow-up; a reason is required."""
    if status not in CLOSING_STATUSES:
        raise ValidationError({"status": _("结案方式只能是转诊、转为病例或失联。")})
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("结案须填写说明。")})
    if by is None or not by.has_perm("control.change_controlcase"):
        raise PermissionDenied(_("您没有办理管控对象的权限。"))
    with transaction.atomic():
        case = ControlCase.objects.select_for_update().get(pk=case.pk)
        _active(case)
        _finish(case, status, by, now, note)
    return case


def _finish(case, status, by, now, note):
    case.status = status
    case.closed_at = now
    case.closed_note = note
    _history(case, by, CaseStatus(status).label)
    case.save()
    _close_open_work(case, now)
    case.tests.filter(status=TestStatus.SCHEDULED, due_on__gte=_today(now)).update(status=TestStatus.CANCELLED)
