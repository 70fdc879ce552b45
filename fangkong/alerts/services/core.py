from dataclasses import dataclass
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from fangkong.accounts.models import RoleAssignment, User
from fangkong.alerts.models import (
    IN_APP,
    Alert,
    AlertKind,
    AlertRule,
    AlertStep,
    Delivery,
    Severity,
)
from fangkong.lib.db import insert_many, insert_rows, relaxed_commit, rows_table, values_in
from fangkong.orgs.jurisdiction import ancestor_paths
from fangkong.orgs.models import Unit

from .channels import channels, deliver

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
    AlertKind.SITE_BELOW_RESERVE: dict(ack_minutes=1440, max_level=1, severity=Severity.WARNING,
                                       params={"rooms_per_10k": "20"}),
    AlertKind.REPORT_MISSING: dict(ack_minutes=60, max_level=1, severity=Severity.WARNING, params={}),
    AlertKind.POSITIVE_TUBE: dict(ack_minutes=15, max_level=2, severity=Severity.URGENT, params={}),
    AlertKind.RESULT_CONFLICT: dict(ack_minutes=30, max_level=1, severity=Severity.URGENT, params={}),
    # The members of a positive tube are to be found within `minutes` of the result (即采即走即追).
    AlertKind.CHASE_OVERDUE: dict(ack_minutes=15, max_level=2, severity=Severity.URGENT, params={"minutes": "120"}),
}
FALLBACK = dict(ack_minutes=60, max_level=1, severity=Severity.WARNING, params={})


def default_rule(kind):
    """The unsaved rule used when none is stored for `kind`."""
    values = DEFAULTS.get(kind, FALLBACK)
    return AlertRule(kind=kind, **{**values, "params": dict(values["params"])})


def rule_for(kind, unit=None, on_date=None):
    """The rule for `kind` that applies to `unit` on `on_date`: the one stored for the nearest
    ancestor-or-self unit (a rule for all units comes last), and among those the one most
    recently in force. A stored rule that is switched off is returned too (`enabled` False:
    the nearer unit has turned the kind off). An unsaved rule with the defaults when none is
    stored."""
    on_date = on_date or timezone.localdate()
    rules = AlertRule.objects.filter(kind=kind).filter(Q(effective_from__isnull=True) | Q(effective_from__lte=on_date))
    if unit is not None:
        rules = rules.filter(Q(unit__isnull=True) | Q(unit__path__in=ancestor_paths(unit.path)))
    else:
        rules = rules.filter(unit__isnull=True)
    best = None
    for rule in rules.select_related("unit"):
        rank = (len(rule.unit.path) if rule.unit_id else 0, rule.effective_from or on_date.min, rule.pk)
        if best is None or rank > best[0]:
            best = (rank, rule)
    if best:
        return best[1]
    return default_rule(kind)



def _staffed_paths(paths):
    """Those of `paths` where some active user holds a role."""
    return set(
        User.objects.filter(is_active=True, role_assignments__unit__path__in=paths)
        .values_list("role_assignments__unit__path", flat=True)
    )


def responsible_unit(unit):
    """The unit that answers for `unit`: itself when someone holds a role there, otherwise the
    nearest unit above that has staff (a grid or a site without accounts of its own is looked
    after by its village or its county). `unit` itself when nobody above has staff either."""
    staffed = _staffed_paths(ancestor_paths(unit.path))
    if unit.path in staffed or not staffed:
        return unit
    return Unit.objects.get(path=max(staffed, key=len))


def escalation_target(unit):
    """Where an alert sitting at `unit` goes when it escalates: the nearest unit above with
    staff (the parent, unless nobody holds a role there); None at the top of the tree."""
    above = ancestor_paths(unit.path)[:-1]
    if not above:
        return None
    staffed = _staffed_paths(above)
    return Unit.objects.get(path=max(staffed, key=len) if staffed else above[-1])


def _users_of(unit):
    return User.objects.filter(is_active=True, role_assignments__unit=unit).distinct().order_by("pk")


def responsible_users(unit):
    """Who answers for `unit`: the active users holding a role in its responsible unit."""
    return _users_of(responsible_unit(unit))


def raise_alert(kind, unit, *, key, title, detail="", subject=None, recipients=(), now=None, severity=None):
    """Raise an alert unless one of this kind and key is still open (then that one is returned).
    It sits at the unit responsible for `unit` (see `responsible_unit`) and goes to the named
    recipients and to that unit's users, through every channel. Returns None when the rule for
    the kind is switched off for this unit."""
    now = now or timezone.now()
    existing = Alert.objects.filter(kind=kind, key=key[:120], resolved_at__isnull=True).first()
    if existing:
        return existing
    rule = rule_for(kind, unit, timezone.localdate(now))
    if not rule.enabled:
        return None
    alert = Alert(
        kind=kind, severity=severity or rule.severity, origin_unit=unit, unit=responsible_unit(unit), level=0,
        title=title[:200], detail=detail, key=key[:120], raised_at=now,
        ack_due_at=now + timedelta(minutes=rule.ack_minutes),
    )
    if subject is not None:
        alert.subject_type = ContentType.objects.get_for_model(subject)
        alert.subject_id = subject.pk
    try:
        with transaction.atomic():
            alert.save()
            AlertStep.objects.create(alert=alert, level=0, unit=alert.unit, at=now)
            users = list(recipients)
            if users:
                alert.recipients.add(*users)
            deliver(alert, _union(users, _users_of(alert.unit)), now)
    except IntegrityError:  # raised at the same moment by another worker
        return Alert.objects.get(kind=kind, key=key[:120], resolved_at__isnull=True)
    return alert


def _union(*groups):
    seen, result = set(), []
    for group in groups:
        for user in group:
            if user.pk not in seen:
                seen.add(user.pk)
                result.append(user)
    return result


def mark_read(alert, user, now=None):
    """The user has seen the alert: their in-app deliveries of it are read."""
    now = now or timezone.now()
    return Delivery.objects.filter(alert=alert, user=user, channel=IN_APP, read_at__isnull=True).update(read_at=now)


def acknowledge(alert, user, now=None, note=""):
    """确认收到: stops the escalation clock. Only the first acknowledgement counts; returns
    whether this one did."""
    now = now or timezone.now()
    changes = dict(acknowledged_at=now, acknowledged_by=user)
    if note:
        changes["note"] = note
    updated = Alert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True, resolved_at__isnull=True).update(
        **changes
    )
    mark_read(alert, user, now)
    alert.refresh_from_db()
    return bool(updated)


def resolve(alert, user=None, now=None, note=""):
    """处理完毕: a user closes one alert by hand. Returns whether this call closed it."""
    now = now or timezone.now()
    changes = dict(resolved_at=now, resolved_by=user)
    if note:
        changes["note"] = note
    updated = Alert.objects.filter(pk=alert.pk, resolved_at__isnull=True).update(**changes)
    if user is not None:
        mark_read(alert, user, now)
    alert.refresh_from_db()
    return bool(updated)


def resolve_alerts(kind, key, now=None, note=""):
    """Close the open alert of this kind and key (the condition has cleared). Returns the
    number closed (0 or 1)."""
    now = now or timezone.now()
    changes = dict(resolved_at=now)
    if note:
        changes["note"] = note
    return Alert.objects.filter(kind=kind, key=key[:120], resolved_at__isnull=True).update(**changes)


CHUNK = 2000  # rows per statement (4 parameters a row stays far below SQLite's limit)


def rules_for_origins(pairs, on_date):
    """{(kind, origin path): rule} for many alerts at once, chosen as `rule_for` chooses (the
    nearest ancestor-or-self unit's rule, then the one most recently in force), from one query."""
    kinds = {kind for kind, _path in pairs}
    stored = {}
    for rule in (AlertRule.objects.filter(kind__in=kinds)
                 .filter(Q(effective_from__isnull=True) | Q(effective_from__lte=on_date)).select_related("unit")):
        stored.setdefault(rule.kind, []).append(rule)
    chosen = {}
    for kind, path in pairs:
        best = None
        for rule in stored.get(kind, ()):
            if rule.unit_id and not path.startswith(rule.unit.path):
                continue
            rank = (len(rule.unit.path) if rule.unit_id else 0, rule.effective_from or on_date.min, rule.pk)
            if best is None or rank > best[0]:
                best = (rank, rule)
        chosen[(kind, path)] = best[1] if best else default_rule(kind)
    return chosen


def escalation_targets(paths):
    """{unit path: id of the unit an alert sitting there escalates to, or None at the top}, as
    `escalation_target` decides it, in two queries for any number of units."""
    above = {p: ancestor_paths(p)[:-1] for p in paths}
    staffed = _staffed_paths({a for ancestors in above.values() for a in ancestors})
    wanted = {}
    for path, ancestors in above.items():
        if ancestors:
            with_staff = [a for a in ancestors if a in staffed]
            wanted[path] = max(with_staff, key=len) if with_staff else ancestors[-1]
    ids = dict(Unit.objects.filter(path__in=set(wanted.values())).values_list("path", "pk"))
    return {path: ids.get(wanted.get(path)) for path in paths}


def escalate_due(now=None):
    """Move every unacknowledged alert past its deadline up to the parent unit (the nearest one
    above with staff), as long as the rule lets it climb, and deliver it to the users there
    (those who already had it are not sent it again).

    Set-based, for a county-wide pass: the due alerts are grouped by (target unit, level, time
    to acknowledge) and each group is claimed with one conditional UPDATE … RETURNING (still
    unacknowledged, unresolved, at the level it was read at and past its deadline), so two
    workers running at once escalate an alert once and only the claimer delivers it."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    due = list(
        Alert.objects.filter(acknowledged_at__isnull=True, resolved_at__isnull=True, ack_due_at__lte=now)
        .values_list("pk", "kind", "origin_path", "unit__path", "level")
    )
    if not due:
        return {"alerts_escalated": 0, "alerts_at_top": 0}
    rules = rules_for_origins({(kind, origin) for _pk, kind, origin, _path, _level in due}, today)
    targets = escalation_targets({path for _pk, _kind, _origin, path, _level in due})
    at_top, climbing = {}, {}
    for pk, kind, origin, path, level in due:
        rule = rules[(kind, origin)]
        target = targets.get(path) if level < rule.max_level else None
        if target is None:
            at_top.setdefault(level, []).append(pk)
        else:
            climbing.setdefault((target, level, rule.ack_minutes), []).append(pk)

    stopped = 0
    for level, ids in at_top.items():
        for chunk in _chunks(ids):
            # Nowhere further to go: stop the clock so the worker does not look at it again.
            stopped += Alert.objects.filter(
                pk__in=chunk, level=level, ack_due_at__lte=now, acknowledged_at__isnull=True,
                resolved_at__isnull=True,
            ).update(ack_due_at=None)

    moves = [(pk, target, level, now + timedelta(minutes=ack_minutes))
             for (target, level, ack_minutes), ids in climbing.items() for pk in ids]
    escalated = 0
    for chunk in _chunks(moves):
        with transaction.atomic():
            relaxed_commit()
            claimed = _claim_escalations(chunk, now)
            if not claimed:
                continue
            escalated += len(claimed)
            _deliver_escalated(claimed, now)
    return {"alerts_escalated": escalated, "alerts_at_top": stopped}


def _chunks(ids):
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def _claim_escalations(moves, now):
    """Move each alert of `moves` [(id, target unit id, level read, new deadline)] one level up,
    if it is still unacknowledged, unresolved, at the level read and past its deadline: one
    UPDATE … FROM … RETURNING (PostgreSQL, and SQLite ≥ 3.35). Returns the [(id, target, new
    level)] this worker moved."""
    at = connection.ops.adapt_datetimefield_value
    table = connection.ops.quote_name(Alert._meta.db_table)
    moved, params = rows_table([("id", "bigint"), ("target", "bigint"), ("level", "int"), ("due", "timestamptz")],
                               moves)
    sql = (
        f"UPDATE {table} SET unit_id = v.target, level = v.level + 1, escalated_at = %s, ack_due_at = v.due "
        f"FROM {moved} AS v WHERE {table}.id = v.id AND {table}.level = v.level "
        f"AND {table}.ack_due_at <= %s AND {table}.acknowledged_at IS NULL AND {table}.resolved_at IS NULL "
        f"RETURNING {table}.id, {table}.unit_id, {table}.level"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [at(now), *params, at(now)])
        return [tuple(row) for row in cursor.fetchall()]


def _deliver_escalated(claimed, now):
    """The trail step and in-app deliveries to the users of the units the alerts climbed to (not
    to those who had them already), in two INSERT … SELECTs; then the other channels."""
    at = connection.ops.adapt_datetimefield_value
    q = connection.ops.quote_name
    moved, params = rows_table([("id", "bigint"), ("target", "bigint"), ("level", "int")], claimed)
    step, delivery = q(AlertStep._meta.db_table), q(Delivery._meta.db_table)
    assignment, user = q(RoleAssignment._meta.db_table), q(User._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {step} (alert_id, level, unit_id, at) SELECT m.id, m.level, m.target, %s FROM {moved} m",
            [at(now), *params],
        )
        cursor.execute(
            f"INSERT INTO {delivery} (alert_id, user_id, channel, level, sent_at, ok, error) "
            f"SELECT DISTINCT m.id, ra.user_id, %s, m.level, %s, %s, '' FROM {moved} m "
            f"JOIN {assignment} ra ON ra.unit_id = m.target JOIN {user} u ON u.id = ra.user_id AND u.is_active = %s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {delivery} d WHERE d.alert_id = m.id AND d.user_id = ra.user_id "
            f"AND d.channel = %s) RETURNING alert_id, user_id",
            [IN_APP, at(now), True, *params, True, IN_APP],
        )
        sends = [tuple(row) for row in cursor.fetchall()]
    extra = [channel for channel in channels() if channel.code != IN_APP]
    if extra and sends:
        alerts = Alert.objects.in_bulk([pk for pk, _u in sends])
        users = User.objects.in_bulk([user_id for _pk, user_id in sends])
        for pk, user_id in sends:
            deliver(alerts[pk], [users[user_id]], now, only=extra)


# ---------------------------------------------------------------------------------------------
# Many alerts at once


@dataclass
class PendingAlert:
    """One alert for `raise_alerts`: raised at `unit`, about `subject`."""

    unit: Unit
    key: str
    title: str
    detail: str
    subject: object


def raise_alerts(kind, pending, now):
    """Raise many alerts of `kind` at once, as `alerts.services.raise_alert` raises one: the rule
    in force at each unit (skipped when switched off), the responsible unit, one open alert per
    key, the trail's first step and the deliveries to the users of the unit it sits at. A few
    queries for any number of alerts (one raise_alert per unit would be a dozen each). For passes
    that raise many alerts at once (a thousand positive tubes)."""
    today = timezone.localdate(now)
    rules = rules_for_origins({(kind, p.unit.path) for p in pending}, today)
    pending = [p for p in pending if rules[(kind, p.unit.path)].enabled]
    taken = set(Alert.objects.filter(kind=kind, key__in=values_in({p.key[:120] for p in pending}, "text"),
                                     resolved_at__isnull=True).values_list("key", flat=True))
    pending = [p for p in pending if p.key[:120] not in taken]
    if not pending:
        return []
    targets = responsible_units({p.unit.path for p in pending})
    subject_types = {}  # model → content type pk
    alerts = []
    for p in pending:
        rule = rules[(kind, p.unit.path)]
        subject_type = subject_types.get(type(p.subject))
        if subject_type is None:
            subject_type = subject_types[type(p.subject)] = ContentType.objects.get_for_model(p.subject).pk
        # By ids: thousands of rows, and setting related objects costs a check each.
        alerts.append(Alert(kind=kind, severity=rule.severity, origin_unit_id=p.unit.pk, origin_path=p.unit.path,
                            unit_id=targets[p.unit.path], level=0, title=p.title[:200], detail=p.detail,
                            key=p.key[:120], subject_type_id=subject_type, subject_id=p.subject.pk, raised_at=now,
                            ack_due_at=now + timedelta(minutes=rule.ack_minutes)))
    insert_many(Alert, alerts)
    # The steps and deliveries as rows: nobody needs them as objects.
    insert_rows(AlertStep, ["alert_id", "level", "unit_id", "at"], [(a.pk, 0, a.unit_id, now) for a in alerts])
    staff = {}
    for unit_id, user in ((ra.unit_id, ra.user) for ra in RoleAssignment.objects.filter(
            unit_id__in={a.unit_id for a in alerts}, user__is_active=True).select_related("user").order_by("pk")):
        staff.setdefault(unit_id, {})[user.pk] = user
    deliveries = []
    for channel in channels():
        for alert in alerts:
            for user in staff.get(alert.unit_id, {}).values():
                try:
                    channel.send(alert, user)
                    deliveries.append((alert.pk, user.pk, channel.code, 0, now, True, ""))
                except Exception as exc:  # a gateway failure must not lose the in-app alert
                    deliveries.append((alert.pk, user.pk, channel.code, 0, now, False, str(exc)[:300]))
    insert_rows(Delivery, ["alert_id", "user_id", "channel", "level", "sent_at", "ok", "error"], deliveries)
    return alerts


def responsible_units(paths):
    """{unit path: id of the unit an alert raised there sits at}, as `raise_alert` places it: the
    unit when someone holds a role there (or nobody above does), else the nearest staffed unit
    above. Two queries for any number of units."""
    wanted = {a for path in paths for a in ancestor_paths(path)}
    staffed = dict(RoleAssignment.objects.filter(user__is_active=True, unit__path__in=values_in(wanted, "text"))
                   .values_list("unit__path", "unit_id").distinct())
    own = dict(Unit.objects.filter(path__in=values_in(paths, "text")).values_list("path", "pk"))
    result = {}
    for path in paths:
        above = [a for a in ancestor_paths(path) if a in staffed]
        result[path] = own[path] if (path in staffed or not above) else staffed[max(above, key=len)]
    return result
