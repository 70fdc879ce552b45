"""Overdue leads raise a LEAD_OVERDUE alert at the injected time, once, and it is resolved
when the lead is verified or disposed of."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from fangkong.alerts.models import Alert, AlertKind
from fangkong.leads.models import LeadOutcome, LeadStatus
from fangkong.leads.services.deadlines import check_deadlines
from fangkong.leads.services.intake import create_lead
from fangkong.leads.services.workflow import dispose_lead, verify_lead

from .conftest import DAY, at


def test_overdue_verify_alert_raised_once_and_resolved_on_verify(triad, newcomer):
    lead = create_lead("push", triad.county.county, newcomer, at(DAY, 9))
    assert check_deadlines(at(DAY, 10, 59)) == {"leads_overdue_verify": 0, "leads_overdue_dispose": 0}
    assert check_deadlines(at(DAY, 11)) == {"leads_overdue_verify": 1, "leads_overdue_dispose": 0}
    assert check_deadlines(at(DAY, 11, 5)) == {"leads_overdue_verify": 0, "leads_overdue_dispose": 0}
    alert = Alert.objects.get()
    assert (alert.kind, alert.key, alert.unit, alert.raised_at) == (
        AlertKind.LEAD_OVERDUE, f"lead:{lead.pk}:verify", triad.county.east, at(DAY, 11))
    assert "王五" in alert.title and alert.subject == lead
    # the grid worker of 东门村 has it in the inbox
    assert alert.deliveries.filter(user=triad.inside).exists()
    verify_lead(lead, triad.inside, at(DAY, 11, 30), "电话联系本人，已在家")
    alert.refresh_from_db()
    assert alert.resolved_at == at(DAY, 11, 30)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.VERIFIED and lead.verified_by == triad.inside


def test_not_disposed_the_same_day_raises_the_dispose_alert(triad, newcomer):
    lead = create_lead("push", triad.county.county, newcomer, at(DAY, 9))
    verify_lead(lead, triad.inside, at(DAY, 10))
    next_midnight = at(DAY + datetime.timedelta(days=1), 0)
    assert check_deadlines(next_midnight)["leads_overdue_dispose"] == 1
    assert check_deadlines(next_midnight)["leads_overdue_dispose"] == 0
    dispose_lead(lead, LeadOutcome.NOT_IN_SCOPE, triad.inside, next_midnight, "已返乡超过14天")
    assert not Alert.objects.open().exists()
    assert check_deadlines(next_midnight + datetime.timedelta(hours=1)) == {
        "leads_overdue_verify": 0, "leads_overdue_dispose": 0}


def test_a_lead_is_verified_and_disposed_only_once(triad, newcomer):
    lead = create_lead("push", triad.county.county, newcomer, at(DAY, 9))
    verify_lead(lead, triad.inside, at(DAY, 10))
    with pytest.raises(ValidationError):
        verify_lead(lead, triad.inside, at(DAY, 10, 5))
    with pytest.raises(ValidationError):
        dispose_lead(lead, LeadOutcome.HANDED_OVER, triad.inside, at(DAY, 11))  # needs handed_to
    dispose_lead(lead, LeadOutcome.HANDED_OVER, triad.inside, at(DAY, 11), handed_to="岳阳县荣家湾镇")
    with pytest.raises(ValidationError):
        dispose_lead(lead, LeadOutcome.NOT_FOUND, triad.inside, at(DAY, 12))
    lead.refresh_from_db()
    assert (lead.outcome, lead.handed_to) == (LeadOutcome.HANDED_OVER, "岳阳县荣家湾镇")
    assert [h.history_user for h in lead.history.order_by("history_date", "history_id")][-2:] == [
        triad.inside, triad.inside]
