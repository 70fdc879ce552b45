from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from fangkong.accounts.models import User
from fangkong.alerts.models import Alert, AlertKind, AlertRule, Severity
from fangkong.orgs.models import Unit

from .channels import deliver

# Defaults when no AlertRule is stored for a kind: minutes to acknowledge before the alert
# climbs to the parent unit, how many levels it climbs, its severity and parameters.
DEFAULTS = {
    AlertKind.ABNORMAL_FOLLOW_UP: dict(ack_minutes=60, max_level=2, severity=Severity.URGENT,
                                       params={"temperature": "37.3"}),
    AlertKind.MISSED_SLOT: dict(ack_minutes=120, max_level=1, severity=Severity.WARNING, params={}),
    AlertKind.LEAD_OVERDUE: dict(ack_minutes=60, max_level=2, severity=Severity.WARNING, params={}),
    AlertKind.TEST_DUE: dict(ack_minutes=240, max_level=1, severity=Severity.INFO, params={}),
    AlertKind.TEST_OVERDUE: dict(ack_minutes=120, max_level=2, severity=Severity.WARNING, params={}),
    AlertKind.RELEASE_DUE: dict(ack_minutes=720, max_level=1, severity=Severity.INFO, params={}),
    AlertKind.SITE_OVER_CAPACITY: dict(ack_minutes=60, max_level=2, severity=Severity.URGENT, params={}),
    AlertKind.REPORT_MISSING: dict(ack_minutes=60, max_level=1, severity=Severity.WARNING, params={}),
}
FALLBACK = dict(ack_minutes=60, max_level=1, severity=Severity.WARNING, params={})


def rule_for(kind, unit=None, on_date=None):
    """The enabled rule for `kind` that applies to `unit` on `on_date`: the one stored for the
    nearest ancestor-or-self unit (or for all units), most recently in force. An unsaved rule
    with the defaults when none is stored."""
    on_date = on_date or timezone.localdate()
    rules = AlertRule.objects.filter(kind=kind, enabled=True).filter(
        Q(effective_from__isnull=True) | Q(effective_from__lte=on_date)
    )
    if unit is not None:
        rules = rules.filter(Q(unit__isnull=True) | Q(unit__path__in=_ancestor_paths(unit.path)))
    else:
        rules = rules.filter(unit__isnull=True)
    best = None
    for rule in rules.select_related("unit"):
        rank = (len(rule.unit.path) if rule.unit_id else 0, rule.effective_from or on_date.min, rule.pk)
        if best is None or rank > best[0]:
            best = (rank, rule)
    if best:
        return best[1]
    return AlertRule(kind=kind, **DEFAULTS.get(kind, FALLBACK))


def _ancestor_paths(path):
    return [path[:end] for end in range(Unit.steplen, len(path) + 1, Unit.steplen)]


def responsible_users(unit):
    """Users holding a role in exactly this unit (its own staff, not those of units below)."""
    return User.objects.filter(is_active=True, role_assignments__unit=unit).distinct()


def raise_alert(kind, unit, *, key, title, detail="", subject=None, recipients=(), now=None, severity=None):
    """Raise an alert unless one of this kind and key is still open (then that one is returned).
    It goes to the named recipients and to the users of `unit`, through every channel."""
    now = now or timezone.now()
    existing = Alert.objects.filter(kind=kind, key=key, resolved_at__isnull=True).first()
    if existing:
        return existing
    rule = rule_for(kind, unit, timezone.localdate(now))
    if not rule.enabled:
        return None
    alert = Alert(
        kind=kind, severity=severity or rule.severity, origin_unit=unit, unit=unit, level=0, title=title[:200],
        detail=detail, key=key[:120], raised_at=now, ack_due_at=now + timedelta(minutes=rule.ack_minutes),
    )
    if subject is not None:
        alert.subject_type = ContentType.objects.get_for_model(subject)
        alert.subject_id = subject.pk
    try:
        with transaction.atomic():
            alert.save()
    except IntegrityError:  # raised at the same moment by another worker
        return Alert.objects.get(kind=kind, key=key, resolved_at__isnull=True)
    users = list(recipients)
    if users:
        alert.recipients.add(*users)
    deliver(alert, _union(users, responsible_users(unit)), now)
    return alert


def _union(*groups):
    seen, result = set(), []
    for group in groups:
        for user in group:
            if user.pk not in seen:
                seen.add(user.pk)
                result.append(user)
    return result


def acknowledge(alert, user, now=None, note=""):
    """确认收到: stops the escalation clock. Only the first acknowledgement counts."""
    now = now or timezone.now()
    updated = Alert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=now, acknowledged_by=user, note=note or alert.note
    )
    alert.refresh_from_db()
    return bool(updated)


def resolve_alerts(kind, key, now=None, note=""):
    """Close the open alert of this kind and key (the condition has cleared)."""
    now = now or timezone.now()
    return Alert.objects.filter(kind=kind, key=key, resolved_at__isnull=True).update(
        resolved_at=now, note=note
    )


def escalate_due(now=None):
    """Move every unacknowledged alert past its deadline up to the parent unit, as long as the
    rule lets it climb; each alert is claimed with a conditional update, so two workers never
    escalate the same alert twice."""
    now = now or timezone.now()
    escalated = 0
    due = Alert.objects.filter(acknowledged_at__isnull=True, resolved_at__isnull=True, ack_due_at__lte=now)
    for alert in due.select_related("unit").iterator(chunk_size=500):
        rule = rule_for(alert.kind, alert.origin_unit, timezone.localdate(now))
        parent = alert.unit.get_parent()
        if alert.level >= rule.max_level or parent is None:
            # Nowhere further to go: stop the clock so the worker does not look at it again.
            Alert.objects.filter(pk=alert.pk, ack_due_at=alert.ack_due_at).update(ack_due_at=None)
            continue
        claimed = Alert.objects.filter(pk=alert.pk, level=alert.level, acknowledged_at__isnull=True).update(
            unit=parent, level=alert.level + 1, escalated_at=now, ack_due_at=now + timedelta(minutes=rule.ack_minutes)
        )
        if claimed:
            escalated += 1
            alert.refresh_from_db()
            deliver(alert, list(responsible_users(parent)), now)
    return {"alerts_escalated": escalated}
