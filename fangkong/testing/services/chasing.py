"""Chasing a positive or abnormal tube (即采即走即追): every member found at once.

`chase_tubes` turns newly positive or abnormal tubes into chases, each member with a lead in
their unit (source 核酸检测), a single-tube retest order (单采单检) and alerts through the one
alert mechanism: one POSITIVE_TUBE alert per sampling-point unit listing its tubes, and one
per member unit (grid) listing its members, so each grid is told once whom to find.

The deadline (default 120 minutes from the result, 2 hours) is data: the `minutes` parameter
of the CHASE_OVERDUE alert rule in force at the point's unit.

A member is located when their lead is verified (or disposed of with an outcome other than
查无此人 / 转交外地), or when a control case is opened for them after the chase started; a
member already under active control when the chase starts is located at its start (their
whereabouts are known). `refresh_located` (a worker pass) records this, completes chases and
raises CHASE_OVERDUE for chases past their deadline with members still missing.

A positive single tube (单管阳性) names its person: the lead says so and the chase page prompts
to confirm the case and register close contacts (确认病例并登记密接). No control case is opened
by itself, because the control categories are for contacts and travellers, not for a positive
person, and a case needs the category and anchor date that the investigation gives.

Everything is set-based: a handful of queries for the whole list of tubes, whatever the number
of tubes, members or units concerned (alerts are raised together by `raise_alerts`, which
places and delivers them as `alerts.services.raise_alert` does).
"""

import datetime
import json
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import CharField, Count, Exists, F, Max, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from fangkong.accounts.models import RoleAssignment
from fangkong.alerts.models import Alert, AlertKind
from fangkong.alerts.services import resolve_alerts
from fangkong.alerts.services.core import PendingAlert, raise_alerts, rules_for_origins
from fangkong.control.models import ACTIVE_STATUSES, ControlCase
from fangkong.leads.models import Lead, LeadOutcome, LeadSource, LeadStatus
from fangkong.leads.services.intake import lead_deadlines
from fangkong.lib.dates import cn_datetime
from fangkong.lib.db import insert_many, rows_table, values_in
from fangkong.lib.masking import mask_phone
from fangkong.orgs.jurisdiction import ancestor_paths, jurisdiction_paths, path_filter
from fangkong.orgs.models import Assignment, Unit
from fangkong.people.models import Person
from fangkong.testing.models import CHASED_RESULTS, Chase, ChaseMember, Result, RetestOrder, Sample, Tube

DEFAULT_DEADLINE_MINUTES = 120
# Disposals that do not mean the person was reached by us.
NOT_LOCATED_OUTCOMES = (LeadOutcome.NOT_FOUND, LeadOutcome.HANDED_OVER)
LIST_LIMIT = 30  # names listed in one alert's detail


def overdue_key(chase_id):
    return f"chase_overdue:{chase_id}"


def is_single(tube):
    """单管: a tube of capacity 1, or one that holds a single sample."""
    return tube.capacity == 1 or tube.size == 1


def deadline_minutes(rule):
    try:
        minutes = int(str((rule.params or {}).get("minutes", DEFAULT_DEADLINE_MINUTES)))
    except ValueError:
        return DEFAULT_DEADLINE_MINUTES
    return minutes if minutes > 0 else DEFAULT_DEADLINE_MINUTES


def visible_chases(user):
    """Chases a user may see: the point lies in their jurisdiction, or a member lives in it
    (the grids that must find the people see the chase too)."""
    paths = jurisdiction_paths(user)
    if paths is None:
        return Chase.objects.all()
    if not paths:
        return Chase.objects.none()
    members = ChaseMember.objects.filter(path_filter("unit_path", paths)).values("chase_id")
    return Chase.objects.filter(path_filter("unit_path", paths) | Q(pk__in=members))


# ---------------------------------------------------------------------------------------------
# Starting chases


def _result_label(result):
    """The result's label in the active language; `get_result_display` translates it anew on
    each call, which is felt over a thousand tubes."""
    language = get_language()
    labels = _RESULT_LABELS.get(language)
    if labels is None:
        labels = _RESULT_LABELS[language] = {value: str(label) for value, label in Result.choices}
    return labels.get(result, result)


_RESULT_LABELS = {}


class _Chased:
    """A tube about to be chased, as `chase_tubes` reads it: values of the tube and its point's
    unit, not model instances (a thousand tubes, their points and units)."""

    __slots__ = ("pk", "barcode", "result", "result_at", "capacity", "size", "unit_id", "unit_path", "unit_name",
                 "unit_code")

    COLUMNS = ("pk", "barcode", "result", "result_at", "capacity", "size", "point__unit_id", "point__unit_path",
               "point__unit__name", "point__unit__code")

    def __init__(self, *values):
        (self.pk, self.barcode, self.result, self.result_at, self.capacity, self.size, self.unit_id,
         self.unit_path, self.unit_name, self.unit_code) = values


def _lead_reason(tube, single):
    values = {"barcode": tube.barcode, "point": tube.unit_name, "result": _result_label(tube.result),
              "at": cn_datetime(tube.result_at, minutes=True)}
    if single and tube.result == Result.POSITIVE:
        return _("单管阳性（试管%(barcode)s，%(point)s，%(at)s出结果）：请立即找到本人、落实管控，"
                 "确认病例并登记密切接触者。") % values
    return _("混管%(result)s（试管%(barcode)s，%(point)s，%(at)s出结果）：请立即找到本人，"
             "就地管控并安排单采单检。") % values


def _fetch(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _json_column(expression):
    return f"CAST({expression} AS jsonb)" if connection.vendor == "postgresql" else expression


def chase_tubes(tubes, now):
    """Start chasing every tube of `tubes` (objects or ids) that is positive or abnormal and not
    yet chased. Returns the chases made (a tube already chased is skipped).

    The members, their leads (with their history rows) and retest orders are written with one
    INSERT … SELECT each over a derived table of all members, so the cost does not grow with
    the number of statements: a thousand positive tubes of ten are a handful of queries."""
    ids = [getattr(tube, "pk", tube) for tube in tubes]
    if not ids:
        return []
    with transaction.atomic():
        # Lock the tubes so that two callers cannot both start a chase for one of them.
        fresh = [_Chased(*row) for row in (
            Tube.objects.select_for_update(of=("self",)).filter(pk__in=values_in(ids, "bigint"),
                                                                 result__in=CHASED_RESULTS)
            .filter(~Exists(Chase.objects.filter(tube=OuterRef("pk")))).order_by("pk").values_list(*_Chased.COLUMNS)
        )]
        if not fresh:
            return []
        samples = list(
            Sample.objects.filter(tube__in=values_in([t.pk for t in fresh], "bigint")).order_by("tube_id", "pk")
            .values_list("tube_id", "person_id", "person__unit_id", "person__unit_path", "person__name")
        )
        counts = {}
        for row in samples:
            counts[row[0]] = counts.get(row[0], 0) + 1

        rules = rules_for_origins({(AlertKind.CHASE_OVERDUE, t.unit_path) for t in fresh}, timezone.localdate(now))
        chases = insert_many(Chase, [
            Chase(tube_id=t.pk, unit_path=t.unit_path, result=t.result, started_at=now,
                  due_at=(t.result_at or now) + datetime.timedelta(
                      minutes=deadline_minutes(rules[(AlertKind.CHASE_OVERDUE, t.unit_path)])))
            for t in fresh
        ])
        if samples:
            _members_leads_retests(fresh, chases, samples, counts, now)
        _locate_under_control(chases, now)
        _alert(chases, fresh, samples, now)
    return chases


def _members_leads_retests(tubes, chases, samples, counts, now):
    """The statements take what they can from the tables themselves (the person's identity and
    unit from people_person, the tube's reason once per tube): only ids and a few per-tube texts
    are passed, which keeps ten thousand members cheap to send. On PostgreSQL the leads, their
    history, the members and the retest orders are one statement (each member's person is read
    once); SQLite, which cannot insert in a WITH, takes four."""
    chase_of = {chase.tube_id: chase.pk for chase in chases}
    at = connection.ops.adapt_datetimefield_value

    due = lead_deadlines({row[3] for row in samples}, now, LeadSource.TESTING)
    tube_table, tube_params = rows_table(
        [("tube", "bigint"), ("chase", "bigint"), ("barcode", "text"), ("reason", "text"), ("reported_by", "text"),
         ("payload", "text")],
        [(t.pk, chase_of[t.pk], t.barcode, _lead_reason(t, is_single(t) or counts.get(t.pk) == 1),
          t.unit_name[:100],
          json.dumps({"tube": t.barcode, "result": t.result, "_routed": "person", "_received_by": t.unit_code},
                     ensure_ascii=False)) for t in tubes],
    )
    due_table, due_params = rows_table(
        [("path", "text"), ("verify_due", "timestamptz"), ("dispose_due", "timestamptz")],
        [(path, *moments) for path, moments in due.items()],
    )
    member_table, member_params = rows_table([("tube", "bigint"), ("person", "bigint")],
                                             [(tube_id, person_id) for tube_id, person_id, *_rest in samples])
    insert = (
        f"INSERT INTO {Lead._meta.db_table} (source, unit_id, unit_path, person_id, name, id_type, id_number, phone, "
        f"address, origin, origin_division_code, route, category, health, reason, reported_by, payload, status, "
        f"received_at, verify_due_at, dispose_due_at, outcome, outcome_note, handed_to) "
        f"SELECT %s, p.unit_id, p.unit_path, p.id, p.name, p.id_type, p.id_number, p.phone, p.address, '', '', '', "
        f"'', {_json_column('%s')}, t.reason, t.reported_by, {_json_column('t.payload')}, %s, %s, d.verify_due, "
        f"d.dispose_due, '', '', '' FROM {member_table} m JOIN {Person._meta.db_table} p ON p.id = m.person "
        f"JOIN tubes t ON t.tube = m.tube JOIN {due_table} d ON d.path = p.unit_path"
    )
    params = [LeadSource.TESTING, "{}", LeadStatus.RECEIVED, at(now), *member_params, *due_params]
    history, columns = _lead_history_columns()
    stamp = [at(now), _("阳性管追踪")]
    if connection.vendor == "postgresql":
        # A person may be in two tubes of one call (two rounds): a lead is told apart by its tube.
        _fetch(
            f"WITH tubes AS {tube_table}, created AS ({insert} RETURNING *), "
            f"logged AS (INSERT INTO {history} ({columns}, history_date, history_change_reason, history_type) "
            f"SELECT {columns}, %s, %s, '+' FROM created), "
            f"members AS (INSERT INTO {ChaseMember._meta.db_table} (chase_id, person_id, unit_path, lead_id) "
            f"SELECT t.chase, c.person_id, c.unit_path, c.id FROM created c "
            f"JOIN tubes t ON t.barcode = c.payload->>'tube'), "
            f"retests AS (INSERT INTO {RetestOrder._meta.db_table} (person_id, unit_path, reason_tube_id, ordered_at) "
            f"SELECT c.person_id, c.unit_path, t.tube, %s FROM created c "
            f"JOIN tubes t ON t.barcode = c.payload->>'tube') "
            f"SELECT count(*) FROM created",
            [*tube_params, *params, *stamp, at(now)],
        )
        return
    created = _fetch(f"WITH tubes AS {tube_table} {insert} RETURNING id, person_id, unit_path, "
                     f"CAST(payload AS TEXT)", [*tube_params, *params])
    ids_table, ids_params = rows_table([("id", "bigint")], [(row[0],) for row in created])
    picked = ", ".join(f"l.{column}" for column in columns.split(", "))
    _fetch(
        f"INSERT INTO {history} ({columns}, history_date, history_change_reason, history_type) "
        f"SELECT {picked}, %s, %s, '+' FROM {Lead._meta.db_table} l JOIN {ids_table} v ON v.id = l.id "
        f"RETURNING history_id",
        [*stamp, *ids_params],
    )
    barcode_tube = {t.barcode: t.pk for t in tubes}
    rows = [(barcode_tube[json.loads(payload)["tube"]], person_id, unit_path, lead_id)
            for lead_id, person_id, unit_path, payload in created]
    member_table, member_params = rows_table(
        [("chase", "bigint"), ("person", "bigint"), ("path", "text"), ("lead", "bigint")],
        [(chase_of[tube_id], person_id, unit_path, lead_id) for tube_id, person_id, unit_path, lead_id in rows],
    )
    _fetch(
        f"INSERT INTO {ChaseMember._meta.db_table} (chase_id, person_id, unit_path, lead_id) "
        f"SELECT v.chase, v.person, v.path, v.lead FROM {member_table} v RETURNING id",
        member_params,
    )
    retest_table, retest_params = rows_table(
        [("person", "bigint"), ("path", "text"), ("tube", "bigint")],
        [(person_id, unit_path, tube_id) for tube_id, person_id, unit_path, _lead in rows],
    )
    _fetch(
        f"INSERT INTO {RetestOrder._meta.db_table} (person_id, unit_path, reason_tube_id, ordered_at) "
        f"SELECT v.person, v.path, v.tube, %s FROM {retest_table} v RETURNING id",
        [at(now), *retest_params],
    )


def _lead_history_columns():
    """The history table of leads and the columns it copies from a lead (comma-separated)."""
    history = Lead.history.model
    columns = [f.column for f in history._meta.concrete_fields if not f.name.startswith("history_")]
    return history._meta.db_table, ", ".join(columns)


def _locate_under_control(chases, now):
    """Members already under active control are located at the start of the chase."""
    ChaseMember.objects.filter(
        chase__in=chases, located_at__isnull=True,
        person__in=ControlCase.objects.filter(status__in=ACTIVE_STATUSES, opened_at__lte=now).values("person_id"),
    ).update(located_at=now)


def _listing(items, line):
    """The first LIST_LIMIT items as `line` writes them (only those are written: a grid may have
    hundreds of members to find), and how many there are in all."""
    text = "；".join(line(item) for item in items[:LIST_LIMIT])
    if len(items) > LIST_LIMIT:
        text += _("……等%(n)s项") % {"n": len(items)}
    return text


def _alert(chases, tubes, samples, now):
    """One POSITIVE_TUBE alert per point unit (its tubes) and one per member unit (its members)."""
    chase_of = {chase.tube_id: chase for chase in chases}
    tube_of = {t.pk: t for t in tubes}
    at_point, at_home = {}, {}
    for t in tubes:
        at_point.setdefault(t.unit_id, []).append(t)
    for tube_id, _person_id, unit_id, _path, name in samples:
        at_home.setdefault(unit_id, []).append((tube_of[tube_id], name))
    units = Unit.objects.in_bulk(set(at_point) | set(at_home))

    # Ten thousand members' lines: each text is translated and each deadline written once.
    due = {tube_id: cn_datetime(chase.due_at, minutes=True) for tube_id, chase in chase_of.items()}
    tube_text = _("试管%(barcode)s：%(result)s，%(at)s出结果，须于%(due)s前找到全部%(size)s人")
    member_text = _("%(name)s（试管%(barcode)s，%(due)s前）")

    def tube_line(t):
        return tube_text % {"barcode": t.barcode, "result": _result_label(t.result),
                            "at": cn_datetime(t.result_at, minutes=True), "due": due[t.pk], "size": t.size}

    def member_line(item):
        t, name = item
        return member_text % {"name": name, "barcode": t.barcode, "due": due[t.pk]}

    first = min(chase.pk for chase in chases)
    alerts = []
    for unit_id, group in at_point.items():
        members = sum(t.size for t in group)
        alerts.append(PendingAlert(
            unit=units[unit_id], key=f"positive_tube:point:{unit_id}:{first}",
            title=_("%(point)s 核酸混管阳性或异常%(n)s管，涉及%(m)s人") % {
                "point": units[unit_id].name, "n": len(group), "m": members},
            detail=_listing(group, tube_line),
            subject=chase_of[group[0].pk],
        ))
    for unit_id, group in at_home.items():
        alerts.append(PendingAlert(
            unit=units[unit_id], key=f"positive_tube:unit:{unit_id}:{first}",
            title=_("%(unit)s 有%(n)s人所在核酸混管阳性或异常，请立即找到") % {
                "unit": units[unit_id].name, "n": len(group)},
            detail=_listing(group, member_line),
            subject=chase_of[group[0][0].pk],
        ))
    raise_alerts(AlertKind.POSITIVE_TUBE, alerts, now)


# ---------------------------------------------------------------------------------------------
# The worker's pass


def located_moments(members):
    """{member id: when located} for members of `members` (a queryset) found by now, from their
    lead (verified, or disposed of with a located outcome) or a case opened since the chase
    began; the earliest counts."""
    rows = members.filter(located_at__isnull=True).values_list(
        "pk", "person_id", "chase__started_at", "lead__status", "lead__verified_at", "lead__disposed_at",
        "lead__outcome",
    )
    found, persons = {}, {}
    for pk, person_id, started_at, status, verified_at, disposed_at, outcome in rows:
        persons.setdefault(person_id, []).append((pk, started_at))
        if verified_at is not None:
            found[pk] = verified_at
        elif status == LeadStatus.DISPOSED and outcome not in NOT_LOCATED_OUTCOMES:
            found[pk] = disposed_at
    if persons:
        cases = ControlCase.objects.filter(person__in=list(persons)).values_list("person_id", "opened_at")
        for person_id, opened_at in cases:
            for pk, started_at in persons[person_id]:
                if opened_at >= started_at and (pk not in found or opened_at < found[pk]):
                    found[pk] = opened_at
    return found


def refresh_located(now):
    """Worker pass: record members located since the last pass, complete the chases whose
    members are all located (and settle their overdue alerts), and raise CHASE_OVERDUE for
    chases past their deadline with members not located. Returns counts."""
    open_members = ChaseMember.objects.filter(chase__completed_at__isnull=True)
    found = located_moments(open_members)
    if found:
        rows = ChaseMember.objects.filter(pk__in=list(found), located_at__isnull=True).only("pk")
        updates = []
        for member in rows:
            member.located_at = found[member.pk]
            updates.append(member)
        ChaseMember.objects.bulk_update(updates, ["located_at"], batch_size=1000)

    missing = ChaseMember.objects.filter(chase=OuterRef("pk"), located_at__isnull=True)
    done = list(Chase.objects.filter(completed_at__isnull=True).filter(~Exists(missing)).values_list("pk", flat=True))
    last = ChaseMember.objects.filter(chase=OuterRef("pk")).values("chase").annotate(last=Max("located_at"))
    Chase.objects.filter(pk__in=done, completed_at__isnull=True).update(
        completed_at=Coalesce(Subquery(last.values("last")), F("started_at")))
    settled = set(
        Alert.objects.filter(kind=AlertKind.CHASE_OVERDUE, resolved_at__isnull=True,
                             key__in=[overdue_key(pk) for pk in done]).values_list("key", flat=True)
    )
    for key in settled:
        resolve_alerts(AlertKind.CHASE_OVERDUE, key, now=now, note=_("已全部找到"))

    open_alert = Alert.objects.filter(
        kind=AlertKind.CHASE_OVERDUE, resolved_at__isnull=True,
        key=Concat(Value("chase_overdue:"), Cast(OuterRef("pk"), CharField()), output_field=CharField()),
    )
    overdue = list(
        Chase.objects.filter(completed_at__isnull=True, due_at__lte=now).filter(~Exists(open_alert))
        .annotate(missing=Count("members", filter=Q(members__located_at__isnull=True)), total=Count("members"))
        .filter(missing__gt=0).select_related("tube__point__unit")
    )
    raised = raise_alerts(AlertKind.CHASE_OVERDUE, [
        PendingAlert(
            unit=chase.tube.point.unit, key=overdue_key(chase.pk),
            title=_("阳性管追踪超时：试管%(barcode)s 还有%(n)s人未找到") % {
                "barcode": chase.tube.barcode, "n": chase.missing},
            detail=_("共%(total)s人，时限%(due)s，已找到%(found)s人") % {
                "total": chase.total, "due": cn_datetime(chase.due_at, minutes=True),
                "found": chase.total - chase.missing},
            subject=chase,
        )
        for chase in overdue
    ], now)
    return {"chase_members_located": len(found), "chases_completed": len(done), "chases_overdue": len(raised)}


# ---------------------------------------------------------------------------------------------
# The chase page


@dataclass
class MemberDetail:
    member: ChaseMember
    person: Person
    id_number: str
    phone: str
    household: list = field(default_factory=list)  # [(name, relation)]
    cadres: list = field(default_factory=list)  # [(unit name, name, title, phone)]
    staff: list = field(default_factory=list)  # [(unit name, user name)]
    retest: RetestOrder | None = None
    case: ControlCase | None = None
    minutes_to_locate: int | None = None
    late: bool = False
    prompt_case: bool = False


def member_details(chase, user):
    """The members of a chase for the page: identity as the user's role may see it, current
    address, household members, grid, responsible cadres (包联 of the unit and the units above)
    and staff (role holders of the nearest staffed unit), lead and retest status, and the
    minutes from the result to being located against the deadline."""
    members = list(
        chase.members.select_related("person__unit", "lead").order_by("located_at", "person__name", "pk")
    )
    people = [m.person for m in members]
    sees = user.sees_identity()

    households = {}
    for name, household_id, relation, pk in (
        Person.objects.filter(household__in={p.household_id for p in people if p.household_id})
        .order_by("household_id", "pk").values_list("name", "household_id", "relation_to_head", "pk")
    ):
        households.setdefault(household_id, []).append((pk, name, relation))

    above = {p.unit.path: ancestor_paths(p.unit.path) for p in people}
    all_paths = {a for paths in above.values() for a in paths}
    cadres = {}
    for assignment in Assignment.objects.filter(unit__path__in=all_paths).select_related("unit").order_by(
            "unit__path", "pk"):
        cadres.setdefault(assignment.unit.path, []).append(
            (assignment.unit.name, assignment.person_name, assignment.title,
             assignment.phone if sees else mask_phone(assignment.phone)))
    staff = {}
    for path, unit_name, first, last, username in (
        RoleAssignment.objects.filter(unit__path__in=all_paths, user__is_active=True).order_by("unit__path", "pk")
        .values_list("unit__path", "unit__name", "user__first_name", "user__last_name", "user__username")
    ):
        staff.setdefault(path, []).append((unit_name, (last + first) or username))

    retests = {r.person_id: r for r in RetestOrder.objects.filter(reason_tube=chase.tube_id,
                                                                   person__in=people)}
    cases = {}
    for case in ControlCase.objects.filter(person__in=people, opened_at__gte=chase.started_at).order_by("opened_at"):
        cases.setdefault(case.person_id, case)
    single = is_single(chase.tube) or len(members) == 1

    details = []
    for member in members:
        person = member.person
        paths = above[person.unit.path]
        staffed = [p for p in reversed(paths) if p in staff]
        minutes = None
        if member.located_at:
            result_at = chase.tube.result_at or chase.started_at
            minutes = int((member.located_at - result_at).total_seconds() // 60)
        details.append(MemberDetail(
            member=member, person=person, id_number=person.id_number_for(user), phone=person.phone_for(user),
            household=[(name, relation) for pk, name, relation in households.get(person.household_id, [])
                       if pk != person.pk],
            cadres=[c for p in reversed(paths) for c in cadres.get(p, [])],
            staff=staff[staffed[0]] if staffed else [],
            retest=retests.get(person.pk), case=cases.get(person.pk), minutes_to_locate=minutes,
            late=bool(member.located_at and member.located_at > chase.due_at),
            prompt_case=single and chase.result == Result.POSITIVE and person.pk not in cases,
        ))
    return details

