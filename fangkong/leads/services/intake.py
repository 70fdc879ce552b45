"""Taking in a lead: one validation for every way in (import rows, the self-declaration form,
the hand-entry form, the API), routing, deadlines from the policy in force, and duplicates.

Deadlines (rules as data in `LeadPolicy`): the policy of the nearest unit (the lead's unit or
an ancestor, else the general one), a source-specific policy before a general one at the same
unit, the latest in force on the received day. Without any policy: verified within 120 minutes
(004:18) and disposed the same day, by 24:00 local time (001:231 当日收到信息、当日排查到位、当日处置到位).
"""

import datetime
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.areas.services import resolve_place
from fangkong.leads.models import Lead, LeadOutcome, LeadPolicy, LeadStatus
from fangkong.orgs.jurisdiction import ancestor_paths
from fangkong.people.models import IDType
from fangkong.people.services.columns import (
    CellError,
    cell_text,
    is_blank,
    parse_date,
    parse_id_type,
    parse_other_id,
    parse_phone,
    parse_resident_id,
)

from .routing import route

DEFAULT_VERIFY_MINUTES = 120

# The fields of a lead, their labels (the import's column names and the error messages).
LABELS = {
    "name": "姓名", "id_type": "证件类型", "id_number": "证件号码", "phone": "联系电话", "address": "现住址",
    "origin": "来自地区", "origin_division_code": "来自地区代码", "route": "行程轨迹", "departed_on": "离开日期",
    "arrived_on": "抵达日期", "last_exposure_on": "末次暴露日期", "category": "建议管控类别",
    "reason": "线索内容", "reported_by": "报告人/来源单位", "temperature": "体温", "symptoms": "症状",
}
DATE_FIELDS = ("departed_on", "arrived_on", "last_exposure_on")
TEXT_LIMITS = {"name": 50, "address": 200, "origin": 100, "reported_by": 100, "route": 2000, "reason": 2000}


class LeadDataError(ValidationError):
    """Invalid lead data: `message_dict` maps field names to Chinese messages."""


def _categories():
    from fangkong.control.models import Category

    return Category


def parse_category(raw):
    """A control category by code (close_contact) or by its Chinese name (密切接触者/密接)."""
    text = unicodedata.normalize("NFKC", cell_text(raw)).strip()
    if not text:
        return ""
    category = _categories()
    if text in category.values:
        return text
    for value, label in category.choices:
        if text == str(label) or (len(text) >= 2 and text in str(label)):
            return value
    shorthand = {"密接": "close_contact", "次密接": "secondary_contact", "时空伴随": "spacetime_companion",
                 "入境": "inbound", "高风险": "high_risk_area", "中风险": "medium_risk_area", "低风险": "low_risk_area"}
    if text in shorthand:
        return shorthand[text]
    raise CellError(_("无法识别的管控类别：%(value)s") % {"value": text})


def parse_temperature(raw):
    text = unicodedata.normalize("NFKC", cell_text(raw)).replace("℃", "").replace("°C", "").strip()
    if not text:
        return ""
    try:
        value = float(text)
    except ValueError:
        raise CellError(_("体温应为数字，如36.5")) from None
    if not 34 <= value <= 43:
        raise CellError(_("体温应在34至43℃之间"))
    return f"{value:.1f}"


def clean_lead_data(data, today=None):
    """The stored form of `data` (raw cells or form values), or LeadDataError listing every
    problem by field. Same rules as the people ledger: lib.idnumbers and lib.phones."""
    today = today or timezone.localdate()
    errors, cleaned = {}, {}

    def fail(field, message):
        errors.setdefault(field, []).append(str(message))

    def raw(field):
        value = data.get(field)
        return None if is_blank(value) else value

    for field, limit in TEXT_LIMITS.items():
        text = cell_text(raw(field))
        if len(text) > limit:
            fail(field, _("%(label)s不能超过%(n)s个字") % {"label": LABELS[field], "n": limit})
        cleaned[field] = text[:limit]
    if not cleaned["name"]:
        fail("name", _("姓名必填"))
    try:
        given = raw("id_type")
        if given is None:
            id_type = IDType.RESIDENT
        elif isinstance(given, str) and given.strip() in IDType.values:
            id_type = given.strip()
        else:
            id_type = parse_id_type(given)
    except CellError as error:
        fail("id_type", error)
        id_type = IDType.OTHER
    cleaned["id_type"] = id_type
    cleaned["id_number"] = ""
    if raw("id_number") is not None:
        try:
            if id_type == IDType.RESIDENT:
                cleaned["id_number"] = parse_resident_id(raw("id_number"))
            else:
                cleaned["id_number"] = parse_other_id(raw("id_number"))
        except CellError as error:
            fail("id_number", error)
    cleaned["phone"] = ""
    if raw("phone") is not None:
        try:
            cleaned["phone"] = parse_phone(raw("phone"))
        except CellError as error:
            fail("phone", error)
    if not (raw("id_number") or raw("phone") or cleaned["address"]) and "name" not in errors:
        fail("id_number", _("证件号码、联系电话、现住址至少填写一项"))
    for field in DATE_FIELDS:
        cleaned[field] = None
        if raw(field) is not None:
            try:
                cleaned[field] = parse_date(raw(field), today=today)
            except CellError as error:
                fail(field, error)
    if cleaned["departed_on"] and cleaned["arrived_on"] and cleaned["arrived_on"] < cleaned["departed_on"]:
        fail("arrived_on", _("抵达日期不能早于离开日期"))
    try:
        cleaned["category"] = parse_category(raw("category"))
    except CellError as error:
        fail("category", error)
    code = "".join(ch for ch in cell_text(raw("origin_division_code")) if ch.isdigit())
    cleaned["origin_division_code"] = (code or resolve_place(cleaned["origin"]))[:12]
    health = dict(data.get("health") or {})
    if raw("temperature") is not None:
        try:
            health["temperature"] = parse_temperature(raw("temperature"))
        except CellError as error:
            fail("temperature", error)
    if data.get("symptoms"):
        symptoms = data["symptoms"]
        health["symptoms"] = [s for s in (symptoms if isinstance(symptoms, (list, tuple)) else [symptoms]) if s]
    cleaned["health"] = health
    if errors:
        raise LeadDataError(errors)
    return cleaned


# Deadlines -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Deadlines:
    verify_due_at: datetime.datetime
    dispose_due_at: datetime.datetime



def policy_for(unit, source, on_date):
    """The LeadPolicy in force for a lead of `source` in `unit` on `on_date`, or None."""
    policies = LeadPolicy.objects.filter(
        Q(unit__isnull=True) | Q(unit__path__in=ancestor_paths(unit.path)),
        Q(source="") | Q(source=source),
        Q(effective_from__isnull=True) | Q(effective_from__lte=on_date),
    ).select_related("unit")
    best = None
    for policy in policies:
        rank = (len(policy.unit.path) if policy.unit_id else 0, bool(policy.source),
                policy.effective_from or datetime.date.min, policy.pk)
        if best is None or rank > best[0]:
            best = (rank, policy)
    return best[1] if best else None


def end_of_day(moment):
    """24:00 local time of the day of `moment` (00:00 of the next day)."""
    local = timezone.localtime(moment)
    next_day = local.date() + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(next_day, datetime.time()), local.tzinfo)


def deadlines_for(unit, source, received_at):
    policy = policy_for(unit, source, timezone.localdate(received_at))
    verify = policy.verify_minutes if policy else DEFAULT_VERIFY_MINUTES
    verify_due = received_at + datetime.timedelta(minutes=verify)
    if policy is None or policy.dispose_same_day or not policy.dispose_minutes:
        dispose_due = end_of_day(received_at)
    else:
        dispose_due = received_at + datetime.timedelta(minutes=policy.dispose_minutes)
    return Deadlines(verify_due, max(dispose_due, verify_due))


# Creating ------------------------------------------------------------------------------------

def open_duplicate(lead):
    """An earlier open lead for the same ID number in the same unit."""
    if not lead.id_number:
        return None
    return (
        Lead.objects.filter(unit=lead.unit, id_number=lead.id_number)
        .exclude(status=LeadStatus.DISPOSED).exclude(pk=lead.pk).order_by("received_at", "pk").first()
    )


def create_lead(source, receiving_unit, data, now, by=None, *, batch=None, payload=None, cleaned=None):
    """Validate `data`, route it, set its deadlines and save it. A lead for someone who already
    has an open lead in the same unit is kept but disposed at once as a duplicate, naming the
    open one. Raises LeadDataError (by field) when the data are not valid."""
    cleaned = cleaned if cleaned is not None else clean_lead_data(data, timezone.localdate(now))
    where = route(receiving_unit, id_number=cleaned["id_number"], phone=cleaned["phone"], address=cleaned["address"])
    due = deadlines_for(where.unit, source, now)
    lead = Lead(
        source=source, batch=batch, unit=where.unit, person=where.person, received_at=now,
        verify_due_at=due.verify_due_at, dispose_due_at=due.dispose_due_at,
        payload={**(payload if payload is not None else _json(data)), "_routed": where.how,
                 "_received_by": receiving_unit.code},
        **cleaned,
    )
    with transaction.atomic():
        if by is not None:
            lead._history_user = by
        lead.save()
        earlier = open_duplicate(lead)
        if earlier is not None:
            from .workflow import dispose_lead

            dispose_lead(lead, LeadOutcome.DUPLICATE, by=by, now=now,
                         note=_("与线索#%(pk)s（%(when)s接收）重复") % {
                             "pk": earlier.pk, "when": timezone.localtime(earlier.received_at).strftime("%Y-%m-%d %H:%M")})
    return lead


def _json(data):
    """The data as received, made JSON-safe (dates as text)."""
    result = {}
    for key, value in data.items():
        if isinstance(value, (datetime.date, datetime.datetime)):
            value = value.isoformat()
        elif isinstance(value, (list, tuple)):
            value = [str(v) for v in value]
        elif isinstance(value, dict):
            value = _json(value)
        elif value is not None and not isinstance(value, (str, int, float, bool)):
            value = str(value)
        result[str(key)] = value
    return result


def lead_deadlines(paths, received_at, source):
    """{unit path: (verify_due_at, dispose_due_at)} for leads of `source` received at
    `received_at` in units at `paths`, with the policy chosen as for one lead (the nearest unit's,
    a source-specific one before a general one, the latest in force), from one query: for passes
    that create many leads at once."""
    on_date = timezone.localdate(received_at)
    policies = list(
        LeadPolicy.objects.filter(Q(source="") | Q(source=source))
        .filter(Q(effective_from__isnull=True) | Q(effective_from__lte=on_date)).select_related("unit")
    )
    result = {}
    for path in paths:
        best = None
        for policy in policies:
            if policy.unit_id and not path.startswith(policy.unit.path):
                continue
            rank = (len(policy.unit.path) if policy.unit_id else 0, bool(policy.source),
                    policy.effective_from or datetime.date.min, policy.pk)
            if best is None or rank > best[0]:
                best = (rank, policy)
        policy = best[1] if best else None
        verify_due = received_at + datetime.timedelta(
            minutes=policy.verify_minutes if policy else DEFAULT_VERIFY_MINUTES)
        if policy is None or policy.dispose_same_day or not policy.dispose_minutes:
            dispose_due = end_of_day(received_at)
        else:
            dispose_due = received_at + datetime.timedelta(minutes=policy.dispose_minutes)
        result[path] = (verify_due, max(dispose_due, verify_due))
    return result
