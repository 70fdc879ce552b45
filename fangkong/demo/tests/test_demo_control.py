import datetime

from django.utils import timezone

from fangkong.accounts.models import User
from fangkong.alerts.models import Alert, AlertKind
from fangkong.areas.services import risk_level_on
from fangkong.control.models import ACTIVE_STATUSES, CaseStatus, ControlCase, FollowUpEntry, SlotStatus
from fangkong.leads.models import Lead, LeadStatus
from fangkong.orgs.models import Unit
from fangkong.sites.models import Stay


def test_the_demo_county_has_key_persons_under_control_that_the_grid_worker_sees(built_demo, db):
    worker = User.objects.get(username="grid_worker")
    cases = ControlCase.objects.restrict(worker)
    assert cases.filter(status__in=ACTIVE_STATUSES).count() >= 5
    assert cases.filter(status=CaseStatus.RELEASED).exists()
    assert len(set(cases.values_list("category", flat=True))) >= 4
    assert Stay.objects.filter(checked_out_at__isnull=True, case__in=cases).exists()
    entries = FollowUpEntry.objects.restrict(worker)
    assert entries.count() > 50 and entries.filter(abnormal=True).exists()
    # The worker pass at the end closed the slots whose window passed without an entry.
    assert cases.filter(slots__status=SlotStatus.MISSED).exists()


def test_the_demo_leads_wait_with_deadlines_and_alerts_are_raised(built_demo, db):
    assert Lead.objects.filter(status=LeadStatus.RECEIVED).exists()
    assert Lead.objects.filter(status=LeadStatus.DISPOSED, outcome="case_opened").exists()
    kinds = set(Alert.objects.values_list("kind", flat=True))
    assert {AlertKind.ABNORMAL_FOLLOW_UP, AlertKind.MISSED_SLOT, AlertKind.LEAD_OVERDUE} <= kinds
    assert risk_level_on("420115", timezone.localdate()) == "high"


def test_the_demo_cases_are_spread_over_the_month_and_several_villages(built_demo, db):
    today = timezone.localdate()
    cases = ControlCase.objects.select_related("person")
    villages = Unit.objects.filter(type="village")
    with_cases = [village for village in villages if cases.filter(unit_path__startswith=village.path).exists()]
    assert len(with_cases) >= 2
    opened = {timezone.localdate(moment) for moment in cases.values_list("opened_at", flat=True)}
    assert min(opened) <= today - datetime.timedelta(days=20) and len(opened) >= 8
    # Released the morning after the last day of their period, not all on the day of the build.
    released = cases.filter(status=CaseStatus.RELEASED)
    for case in released:
        last = case.phases.order_by("-index").values_list("last_day", flat=True).first()
        assert timezone.localdate(case.closed_at) == last + datetime.timedelta(days=1)
    assert len({timezone.localdate(case.closed_at) for case in released}) >= 3
    assert FollowUpEntry.objects.filter(abnormal=True, recorded_at__lt=timezone.now() - datetime.timedelta(days=1))
