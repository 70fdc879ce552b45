"""The worker's pass over lead deadlines: a lead not verified by its verify deadline, or not
disposed of by its dispose deadline, raises a LEAD_OVERDUE alert to its unit. Safe to run in
two processes at once: raise_alert keeps one open alert per key (a unique constraint), and
leads that already have their open alert are not looked at again."""

from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.alerts.models import Alert, AlertKind
from fangkong.alerts.services import raise_alert
from fangkong.leads.models import Lead, LeadStatus
from fangkong.lib.dates import cn_datetime

from .workflow import alert_key

STEPS = {
    "verify": ([LeadStatus.RECEIVED], "verify_due_at"),
    "dispose": ([LeadStatus.RECEIVED, LeadStatus.VERIFIED], "dispose_due_at"),
}


def _open_alert(step):
    key = Concat(Value("lead:"), Cast(OuterRef("pk"), CharField()), Value(f":{step}"), output_field=CharField())
    return Alert.objects.filter(kind=AlertKind.LEAD_OVERDUE, key=key, resolved_at__isnull=True)


def check_deadlines(now):
    counts = {}
    for step, (statuses, due_field) in STEPS.items():
        overdue = (
            Lead.objects.filter(status__in=statuses, **{f"{due_field}__lte": now})
            .filter(~Exists(_open_alert(step)))
            .select_related("unit")
        )
        raised = 0
        for lead in overdue.iterator(chunk_size=500):
            due = getattr(lead, due_field)
            what = _("核实") if step == "verify" else _("处置")
            alert = raise_alert(
                AlertKind.LEAD_OVERDUE, lead.unit, key=alert_key(lead, step),
                title=_("线索%(what)s超时：%(name)s（%(source)s）") % {
                    "what": what, "name": lead.name, "source": lead.get_source_display()},
                detail=_("%(what)s时限%(due)s，接收于%(received)s") % {
                    "what": what, "due": cn_datetime(due, minutes=True),
                    "received": cn_datetime(lead.received_at, minutes=True)},
                subject=lead, now=now,
            )
            if alert is not None and alert.raised_at == now:
                raised += 1
        counts[f"leads_overdue_{step}"] = raised
    return counts


def is_overdue(lead, now=None):
    now = now or timezone.now()
    if lead.status == LeadStatus.RECEIVED and lead.verify_due_at and lead.verify_due_at <= now:
        return True
    return lead.status != LeadStatus.DISPOSED and bool(lead.dispose_due_at) and lead.dispose_due_at <= now
