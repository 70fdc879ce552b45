"""Verifying (核实) and disposing of (处置) a lead. Each step claims the lead with a
conditional update, so two people (or a person and the worker) never both act on it; the
step is then recorded in the lead's history, and the overdue alerts it answers are resolved."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fangkong.alerts.models import AlertKind
from fangkong.alerts.services import resolve_alerts
from fangkong.leads.models import Lead, LeadOutcome, LeadStatus
from fangkong.people.models import Person, with_id_number


def alert_key(lead, step):
    return f"lead:{lead.pk}:{step}"


def _record(lead, by, reason):
    """Write the claimed state through save() so django-simple-history records who did what."""
    lead.refresh_from_db()
    if by is not None:
        lead._history_user = by
    lead._change_reason = reason
    lead.save()
    return lead


def verify_lead(lead, by, now, note=""):
    """核实: the lead has been checked (the person reached, the facts confirmed)."""
    with transaction.atomic():
        claimed = Lead.objects.filter(pk=lead.pk, status=LeadStatus.RECEIVED).update(
            status=LeadStatus.VERIFIED, verified_at=now, verified_by=by,
            outcome_note=note or lead.outcome_note,
        )
        if not claimed:
            raise ValidationError(_("该线索已核实或已处置"))
        _record(lead, by, _("核实"))
        resolve_alerts(AlertKind.LEAD_OVERDUE, alert_key(lead, "verify"), now=now, note=_("已核实"))
    return lead


def provisional_person(lead):
    """The person a lead names, registered in the lead's unit when nobody matched."""
    if lead.person_id:
        return lead.person
    if lead.id_number:
        person = Person.objects.filter(with_id_number(lead.id_number)).first()
        if person is not None:
            return person
    person = Person(name=lead.name, id_type=lead.id_type, id_number=lead.id_number, phone=lead.phone,
                    address=lead.address, unit=lead.unit)
    if lead.id_type == "resident" and len(lead.id_number) == 18:
        from fangkong.lib.idnumbers import birth_date_from_resident_id, sex_from_resident_id

        person.sex = sex_from_resident_id(lead.id_number)
        person.birth_date = birth_date_from_resident_id(lead.id_number)
    person.save()
    return person


def dispose_lead(lead, outcome, by, now, note="", handed_to=None, *, category=None, anchor_date=None,
                 arrival_date=None, case=None):
    """处置: close the lead with an outcome. `case_opened` opens a control case for the person
    (registered provisionally when the lead named nobody on the books) in the same transaction:
    if the case cannot be opened, the lead stays open."""
    if outcome not in LeadOutcome.values:
        raise ValidationError(_("无效的处置结果"))
    if outcome == LeadOutcome.HANDED_OVER and not (handed_to or "").strip():
        raise ValidationError({"handed_to": _("请填写转交的地区或单位")})
    with transaction.atomic():
        claimed = Lead.objects.filter(
            pk=lead.pk, status__in=[LeadStatus.RECEIVED, LeadStatus.VERIFIED]
        ).update(status=LeadStatus.DISPOSED, disposed_at=now, disposed_by=by, outcome=outcome,
                 outcome_note=note, handed_to=(handed_to or "").strip()[:100])
        if not claimed:
            raise ValidationError(_("该线索已处置"))
        lead.refresh_from_db()
        if outcome == LeadOutcome.CASE_OPENED and case is not None:
            # The case was opened from the case form for this lead: link the two.
            if case.lead_id is None:
                type(case).objects.filter(pk=case.pk).update(lead=lead)
            if lead.person_id is None:
                Lead.objects.filter(pk=lead.pk).update(person=case.person_id)
        elif outcome == LeadOutcome.CASE_OPENED:
            _open_case(lead, by, now, category, anchor_date, arrival_date)
        _record(lead, by, _("处置：%(outcome)s") % {"outcome": LeadOutcome(outcome).label})
        for step in ("verify", "dispose"):
            resolve_alerts(AlertKind.LEAD_OVERDUE, alert_key(lead, step), now=now, note=_("已处置"))
    return lead


def _open_case(lead, by, now, category, anchor_date, arrival_date):
    from fangkong.control.services.cases import open_case

    category = category or lead.category
    if not category:
        raise ValidationError({"category": _("落实管控须选择管控类别")})
    anchor = anchor_date or lead.last_exposure_on or lead.departed_on or lead.arrived_on
    if anchor is None:
        raise ValidationError({"anchor_date": _("落实管控须填写起算日期（末次暴露、离开或抵达日期）")})
    person = provisional_person(lead)
    if lead.person_id != person.pk:
        Lead.objects.filter(pk=lead.pk).update(person=person)
        lead.person = person
    return open_case(person, category, anchor_date=anchor, arrival_date=arrival_date or lead.arrived_on, lead=lead,
                     by=by, now=now, unit=lead.unit)
