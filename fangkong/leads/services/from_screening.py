"""Door-to-door screening's follow-up flags (需跟进排查) turned into leads: one action for a
unit takes every open flag of people in that unit (and below) within the user's jurisdiction,
creates a door_to_door lead for each and closes the flag."""

from django.db import transaction
from django.utils.translation import gettext as _

from fangkong.leads.models import LeadSource
from fangkong.screening.services.follow_up import open_flags, resolve_flag

from .intake import create_lead


def convert_flags(user, unit, now):
    """Returns the leads created."""
    flags = open_flags(user).filter(unit_path__startswith=unit.path).select_related("person__unit").order_by("pk")
    leads = []
    with transaction.atomic():
        for flag in flags:
            person = flag.person
            data = {
                "name": person.name, "id_type": person.id_type, "id_number": person.id_number,
                "phone": person.phone, "address": person.address,
                "reason": _("入户摸排需跟进（%(campaign)s）：%(reasons)s") % {
                    "campaign": flag.campaign.name, "reasons": flag.reason_text()},
                "reported_by": str(flag.visit.visited_by or ""),
            }
            cleaned = {
                "name": person.name[:50], "id_type": person.id_type, "id_number": person.id_number,
                "phone": person.phone, "address": person.address[:200], "origin": "", "origin_division_code": "",
                "route": "", "departed_on": None, "arrived_on": None, "last_exposure_on": None, "category": "",
                "health": {}, "reason": data["reason"][:2000], "reported_by": data["reported_by"][:100],
            }
            payload = {**data, "flag": flag.pk, "campaign": flag.campaign_id, "visit": flag.visit_id}
            leads.append(create_lead(LeadSource.DOOR_TO_DOOR, person.unit, data, now, by=user, payload=payload,
                                     cleaned=cleaned))
            resolve_flag(flag, now)
    return leads
