"""The control part of a worker pass (`fangkong worker`): close due follow-up slots, move
cases between phases, prompt releases, and raise the alerts for missed slots and tests due or
overdue.

Safe in two processes at once, and set-based so that one pass over 200,000 active cases stays
well under a second on PostgreSQL:

* rows are claimed with one conditional UPDATE … RETURNING (`status='open' AND ends_at <= now`
  for slots, `status='scheduled' AND due_on < today` for tests): each claimed row comes back
  to exactly one worker, and a second pass with the same `now` claims nothing;
* alerts are written with one INSERT … SELECT per rule group, guarded by the open-alert check
  and ON CONFLICT DO NOTHING on the one-open-alert-per-(kind, key) index, and RETURNING the
  rows this statement made: only the worker that inserted an alert delivers it;
* recipients (the case's team) and in-app deliveries (the team and the staff of the unit the
  alert sits at) are INSERT … SELECTs over the returned ids. Extra channels (SMS adapters) are
  called per delivery, as `alerts.services.channels.deliver` does.

This is the set-based twin of `alerts.services.raise_alert` (same rule lookup, same
responsible unit, same dedup per open (kind, key)); it lives here because one alert per row
through raise_alert would take minutes for a county-wide pass. Abnormal entries are alerted
when they are recorded (`services.followup.record_entry`); the pass re-raises none.

Keys (one open alert per key):
  missed_slot   missed:<case>:<latest slot closed in this pass>   (one per case per pass)
  release_due   release_prompt:<case>:<last day>   the last phase ends tomorrow (明日期满)
                release_due:<case>:<release_on>    the release day has come, still active
  test_due      test_due:<case>:<today>            (one per case-day)
  test_overdue  test_overdue:<test>                (the test is marked missed)
"""

import json
import logging
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.models import RoleAssignment, User
from fangkong.alerts.models import Alert, AlertKind, Delivery
from fangkong.alerts.services.core import rules_for_origins
from fangkong.control.models import (
    ACTIVE_STATUSES,
    CasePhase,
    CaseTest,
    ControlCase,
    FollowUpSlot,
    SlotStatus,
    TeamMember,
    TestStatus,
)
from fangkong.control.services.cases import advance_cases
from fangkong.lib.db import relaxed_commit, rows_table
from fangkong.orgs.jurisdiction import ancestor_paths
from fangkong.people.models import Person

logger = logging.getLogger("fangkong.worker")

IN_APP = "in_app"

SLOT = FollowUpSlot._meta.db_table
TEST = CaseTest._meta.db_table
CASE = ControlCase._meta.db_table
PHASE = CasePhase._meta.db_table
PERSON = Person._meta.db_table
TEAM = TeamMember._meta.db_table
ALERT = Alert._meta.db_table
RECIPIENTS = Alert.recipients.through._meta.db_table
DELIVERY = Delivery._meta.db_table
ROLE_ASSIGNMENT = RoleAssignment._meta.db_table
USER = User._meta.db_table


# SQL helpers that differ between PostgreSQL and SQLite.


def _pg():
    return connection.vendor == "postgresql"


def _dt(value):
    return connection.ops.adapt_datetimefield_value(value)


def _d(value):
    return connection.ops.adapt_datefield_value(value)


def _in_ids(column, ids):
    """`column IN ids` as one parameter, whatever the number of ids."""
    ids = [int(i) for i in ids]
    if _pg():
        return f"{column} = ANY(%s::bigint[])", [ids]
    return f"{column} IN (SELECT value FROM json_each(%s))", [json.dumps(ids)]


def _pairs_table(pairs):
    """A derived table r(origin_id, unit_id) from a list of id pairs."""
    return rows_table([("origin_id", "bigint"), ("unit_id", "bigint")], pairs)


def _fetch(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _execute(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _text(column):
    return f"CAST({column} AS TEXT)"


# Rules and the unit an alert sits at, for many origin units at once.


def _rules(kind, origins, today):
    """origin unit id → rule, as `alerts.services.rule_for` would give for each (one query)."""
    chosen = rules_for_origins([(kind, path) for path in origins.values()], today)
    return {unit_id: chosen[(kind, path)] for unit_id, path in origins.items()}


def _responsible_units(origins):
    """origin unit id → the unit id the alert sits at, as `raise_alert` places it: the origin
    when someone holds a role there (or nobody above does), else the nearest staffed unit
    above (a grid without accounts is looked after by its village)."""
    wanted = sorted({p for path in origins.values() for p in ancestor_paths(path)})
    staffed = dict(
        RoleAssignment.objects.filter(user__is_active=True, unit__path__in=wanted)
        .values_list("unit__path", "unit_id").distinct()
    )
    result = {}
    for unit_id, path in origins.items():
        above = [p for p in ancestor_paths(path) if p in staffed]
        result[unit_id] = unit_id if (path in staffed or not above) else staffed[max(above, key=len)]
    return result


def bulk_raise(kind, source_sql, source_params, now):
    """Raise one alert of `kind` per row of `source_sql`, a SELECT giving case_id, unit_id,
    unit_path, key, title, detail (subject: the control case). Rows whose (kind, key) already
    has an open alert, or whose unit has the kind switched off, are skipped. Delivers in-app to
    the case's team and the staff of the unit the alert sits at. Returns the new alert ids."""
    today = timezone.localdate(now)
    origins = dict(_fetch(f"SELECT DISTINCT q.unit_id, q.unit_path FROM ({source_sql}) q", source_params))
    if not origins:
        return []
    rules = _rules(kind, origins, today)
    targets = _responsible_units(origins)
    groups = {}
    for unit_id, rule in rules.items():
        if rule.enabled:
            groups.setdefault((rule.severity, rule.ack_minutes), []).append((unit_id, targets[unit_id]))
    case_type = ContentType.objects.get_for_model(ControlCase).pk
    created = []
    for (severity, ack_minutes), pairs in groups.items():
        table, table_params = _pairs_table(pairs)
        sql = (
            f"INSERT INTO {ALERT} (kind, severity, origin_unit_id, origin_path, unit_id, level, title, detail, key, "
            f"subject_type_id, subject_id, raised_at, ack_due_at, note) "
            f"SELECT %s, %s, q.unit_id, q.unit_path, r.unit_id, 0, substr(q.title, 1, 200), q.detail, "
            f"substr(q.key, 1, 120), %s, q.case_id, %s, %s, '' "
            f"FROM ({source_sql}) q JOIN {table} r ON r.origin_id = q.unit_id "
            f"WHERE NOT EXISTS (SELECT 1 FROM {ALERT} a WHERE a.kind = %s AND a.key = q.key AND a.resolved_at IS NULL) "
            f"ON CONFLICT DO NOTHING RETURNING id"
        )
        params = [kind, severity, case_type, _dt(now), _dt(now + timedelta(minutes=ack_minutes)),
                  *source_params, *table_params, kind]
        created += [row[0] for row in _fetch(sql, params)]
    if created:
        _deliver(created, now)
    return created


def _deliver(alert_ids, now):
    condition, params = _in_ids("a.id", alert_ids)
    _execute(
        f"INSERT INTO {RECIPIENTS} (alert_id, user_id) "
        f"SELECT DISTINCT a.id, t.user_id FROM {ALERT} a JOIN {TEAM} t ON t.case_id = a.subject_id "
        f"JOIN {USER} u ON u.id = t.user_id WHERE {condition} AND u.is_active = %s",
        [*params, True],
    )
    recipients_condition, recipients_params = _in_ids("x.alert_id", alert_ids)
    _execute(
        f"INSERT INTO {DELIVERY} (alert_id, user_id, channel, level, sent_at, ok, error) "
        f"SELECT y.alert_id, y.user_id, %s, 0, %s, %s, '' FROM ("
        f"SELECT x.alert_id, x.user_id FROM {RECIPIENTS} x WHERE {recipients_condition} "
        f"UNION SELECT a.id, ra.user_id FROM {ALERT} a JOIN {ROLE_ASSIGNMENT} ra ON ra.unit_id = a.unit_id "
        f"JOIN {USER} u ON u.id = ra.user_id WHERE {condition} AND u.is_active = %s) y",
        [IN_APP, _dt(now), True, *recipients_params, *params, True],
    )
    _deliver_other_channels(alert_ids, now)


def _deliver_other_channels(alert_ids, now):
    """Adapters other than the inbox (SMS, WeChat) send one message at a time."""
    from fangkong.alerts.services.channels import channels

    extra = [channel for channel in channels() if channel.code != IN_APP]
    if not extra:
        return
    sent = Delivery.objects.filter(alert_id__in=alert_ids, channel=IN_APP).select_related("alert", "user")
    rows = []
    for delivery in sent:
        for channel in extra:
            row = Delivery(alert=delivery.alert, user=delivery.user, channel=channel.code, level=0, sent_at=now)
            try:
                channel.send(delivery.alert, delivery.user)
            except Exception as exc:  # a gateway failure must not lose the in-app alert
                logger.warning("alert %s via %s failed: %s", delivery.alert_id, channel.code, exc)
                row.ok, row.error = False, str(exc)[:300]
            rows.append(row)
    Delivery.objects.bulk_create(rows)


# The steps of a pass.


def close_due_slots(now):
    """Open slots whose window has ended are missed: claimed with one conditional UPDATE,
    returning exactly the rows this call closed, as (slot id, case id)."""
    return [tuple(row) for row in _fetch(
        f"UPDATE {SLOT} SET status = %s, closed_at = %s WHERE status = %s AND ends_at <= %s RETURNING id, case_id",
        [SlotStatus.MISSED, _dt(now), SlotStatus.OPEN, _dt(now)],
    )]


def _per_case_table(closed):
    """A derived table m(case_id, slot_id, n) from the closed (slot, case) pairs: the latest slot
    closed and how many, per case, computed here so the slots are not read again."""
    per_case = {}
    for slot_id, case_id in closed:
        latest, n = per_case.get(case_id, (0, 0))
        per_case[case_id] = (max(latest, slot_id), n + 1)
    rows = [(case_id, slot_id, n) for case_id, (slot_id, n) in per_case.items()]
    return rows_table([("case_id", "bigint"), ("slot_id", "bigint"), ("n", "bigint")], rows)


def raise_missed(closed, now):
    """One MISSED_SLOT alert per case among the slots just closed."""
    if not closed:
        return 0
    table, params = _per_case_table(closed)
    source = (
        f"SELECT c.id AS case_id, c.unit_id AS unit_id, c.unit_path AS unit_path, "
        f"'missed:' || {_text('m.case_id')} || ':' || {_text('m.slot_id')} AS key, "
        f"p.name || %s AS title, %s || {_text('m.n')} || %s AS detail "
        f"FROM {table} m "
        f"JOIN {CASE} c ON c.id = m.case_id JOIN {PERSON} p ON p.id = c.person_id"
    )
    texts = [_(" 漏报健康监测"), _("监测时段结束时仍无记录，本次共漏报 "), _(" 次。请尽快联系本人核实健康状况。")]
    return len(bulk_raise(AlertKind.MISSED_SLOT, source, [texts[0], *texts[1:], *params], now))


def _active():
    return "(" + ", ".join(["%s"] * len(ACTIVE_STATUSES)) + ")", [str(s) for s in ACTIVE_STATUSES]


def release_prompts(now, today):
    """RELEASE_DUE: the last phase ends tomorrow (明日期满，请准备解除), and the release day has
    come for a case still under control."""
    active, active_params = _active()
    tomorrow = today + timedelta(days=1)
    ending = (
        f"SELECT c.id AS case_id, c.unit_id AS unit_id, c.unit_path AS unit_path, "
        f"'release_prompt:' || {_text('c.id')} || ':' || %s AS key, p.name || %s AS title, %s AS detail "
        f"FROM {CASE} c JOIN {PERSON} p ON p.id = c.person_id "
        f"JOIN {PHASE} ph ON ph.case_id = c.id AND ph.last_day = %s "
        f"WHERE c.status IN {active} AND NOT EXISTS "
        f"(SELECT 1 FROM {PHASE} later WHERE later.case_id = c.id AND later.\"index\" > ph.\"index\")"
    )
    ending_params = [tomorrow.isoformat(), _(" 明日期满，请准备解除"),
                     _("管控期明日届满，请核对核酸检测结果，准备办理解除管控。"), _d(tomorrow), *active_params]
    due = (
        f"SELECT c.id AS case_id, c.unit_id AS unit_id, c.unit_path AS unit_path, "
        f"'release_due:' || {_text('c.id')} || ':' || {_text('c.release_on')} AS key, p.name || %s AS title, "
        f"%s AS detail FROM {CASE} c JOIN {PERSON} p ON p.id = c.person_id "
        f"WHERE c.status IN {active} AND c.release_on <= %s"
    )
    due_params = [_(" 已到解除日期，仍在管控中"), _("已到解除日期，请核对解除条件并办理解除管控。"), *active_params, _d(today)]
    return len(bulk_raise(AlertKind.RELEASE_DUE, ending, ending_params, now)) + len(
        bulk_raise(AlertKind.RELEASE_DUE, due, due_params, now)
    )


def tests_due(now, today):
    """TEST_DUE once per case-day for the tests scheduled today."""
    active, active_params = _active()
    source = (
        f"SELECT c.id AS case_id, c.unit_id AS unit_id, c.unit_path AS unit_path, "
        f"'test_due:' || {_text('c.id')} || ':' || %s AS key, p.name || %s AS title, "
        f"%s || {_text('COUNT(*)')} || %s AS detail "
        f"FROM {TEST} t JOIN {CASE} c ON c.id = t.case_id JOIN {PERSON} p ON p.id = c.person_id "
        f"WHERE t.status = %s AND t.due_on = %s AND c.status IN {active} "
        f"GROUP BY c.id, c.unit_id, c.unit_path, p.name"
    )
    params = [today.isoformat(), _(" 今日应做核酸检测"), _("今日安排核酸检测 "), _(" 项，请按时采样。"),
              TestStatus.SCHEDULED, _d(today), *active_params]
    return len(bulk_raise(AlertKind.TEST_DUE, source, params, now))


def tests_overdue(now, today):
    """Scheduled tests of active cases whose day has passed are missed (claimed with one
    conditional UPDATE … RETURNING); one TEST_OVERDUE alert per test."""
    active, active_params = _active()
    rows = _fetch(
        f"UPDATE {TEST} SET status = %s WHERE status = %s AND due_on < %s "
        f"AND case_id IN (SELECT id FROM {CASE} WHERE status IN {active}) RETURNING id",
        [TestStatus.MISSED, TestStatus.SCHEDULED, _d(today), *active_params],
    )
    ids = [row[0] for row in rows]
    if not ids:
        return 0, 0
    condition, params = _in_ids("t.id", ids)
    source = (
        f"SELECT c.id AS case_id, c.unit_id AS unit_id, c.unit_path AS unit_path, "
        f"'test_overdue:' || {_text('t.id')} AS key, p.name || %s || t.label AS title, %s AS detail "
        f"FROM {TEST} t JOIN {CASE} c ON c.id = t.case_id JOIN {PERSON} p ON p.id = c.person_id WHERE {condition}"
    )
    texts = [_(" 核酸检测逾期未检："), _("应检日期已过仍未采样，请立即安排补检。")]
    return len(ids), len(bulk_raise(AlertKind.TEST_OVERDUE, source, [*texts, *params], now))


def run_control_pass(now):
    """One pass; see the module. Returns the counts of what it did."""
    today = timezone.localdate(now)
    counts = {}
    with transaction.atomic():
        relaxed_commit()
        closed = close_due_slots(now)
        counts["slots_closed"] = len(closed)
        counts["missed_alerts"] = raise_missed(closed, now)
    with transaction.atomic():
        relaxed_commit()
        counts.update(advance_cases(now))  # phases move, pending cases come under control
    with transaction.atomic():
        relaxed_commit()
        counts["release_prompts"] = release_prompts(now, today)
    with transaction.atomic():
        relaxed_commit()
        counts["tests_due"] = tests_due(now, today)
    with transaction.atomic():
        relaxed_commit()
        counts["tests_overdue"], counts["overdue_alerts"] = tests_overdue(now, today)
    return counts


__all__ = ["bulk_raise", "close_due_slots", "raise_missed", "release_prompts", "run_control_pass", "tests_due",
           "tests_overdue"]
