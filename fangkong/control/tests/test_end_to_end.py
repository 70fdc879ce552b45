"""A returnee from a medium-risk area, from the pushed list to release, with time injected:
the lead goes overdue and climbs to the town, the case follows gongtian-2022 (001:237), a
fever and a missed check raise alerts that escalate when nobody acknowledges them, the phase
end is prompted, and the person is released when both tests are negative."""

import datetime
from decimal import Decimal

from django.utils import timezone

from fangkong.alerts.models import Alert, AlertKind, Delivery
from fangkong.alerts.services import acknowledge, escalate_due
from fangkong.areas.services import classify_origin, save_area
from fangkong.control.models import CaseStatus, CaseTest, ControlCase, FollowUpSlot, SlotStatus, TestWho
from fangkong.control.services.cases import record_test, release_case
from fangkong.control.services.followup import record_entry
from fangkong.control.services.worker import run_control_pass
from fangkong.leads.models import LeadOutcome, LeadSource, LeadStatus
from fangkong.leads.services.deadlines import check_deadlines
from fangkong.leads.services.intake import create_lead
from fangkong.leads.services.workflow import dispose_lead, verify_lead


def at(day, hour, minute=0):
    return timezone.make_aware(datetime.datetime(2022, 1, day, hour, minute))


def alerts(kind):
    return Alert.objects.filter(kind=kind)


def worker(now):
    """One `fangkong worker` pass, as the command runs it."""
    check_deadlines(now)
    run_control_pass(now)
    escalate_due(now)


def test_a_returnee_goes_from_pushed_lead_to_release_with_alerts_raised_and_escalated_on_time(triad, client):
    county, person = triad.county, triad.east_person
    save_area(level="medium", name="广东省广州市海珠区", division_code="440105",
              effective_from=datetime.date(2022, 1, 1))
    assert classify_origin("440105", datetime.date(2022, 1, 10)) == "medium_risk_area"

    # 1月11日9时: the county's big-data group pushes the returnee to 城关镇; the lead is routed to
    # the person's grid (东门一组), answered for by 东门村, with 2 hours to verify.
    lead = create_lead(LeadSource.PUSH, county.town, {
        "name": person.name, "id_number": person.id_number, "phone": person.phone, "address": "东门村1号",
        "origin": "广东省广州市海珠区", "departed_on": "2022-01-10", "arrived_on": "2022-01-11",
        "category": "medium_risk_area", "reason": "大数据推送：中风险地区旅居史",
    }, at(11, 9))
    assert lead.unit == county.east_grid and lead.person == person
    assert lead.verify_due_at == at(11, 11)

    # Nobody verifies it: at 11:00 the lead is overdue, the alert goes to 东门村's grid worker.
    worker(at(11, 10, 59))
    assert not alerts(AlertKind.LEAD_OVERDUE).exists()
    worker(at(11, 11))
    overdue = alerts(AlertKind.LEAD_OVERDUE).get()
    assert overdue.unit == county.east and overdue.level == 0
    assert Delivery.objects.filter(alert=overdue, user=triad.inside).exists()
    # Still not acknowledged when its hour is up: it climbs to 城关镇, whose leader is told.
    worker(overdue.ack_due_at - datetime.timedelta(minutes=1))
    overdue.refresh_from_db()
    assert overdue.level == 0
    worker(overdue.ack_due_at)
    overdue.refresh_from_db()
    assert overdue.unit == county.town and overdue.level == 1
    assert Delivery.objects.filter(alert=overdue, user=triad.above).exists()
    assert not Delivery.objects.filter(alert=overdue, user=triad.neighbour).exists()

    # The grid worker verifies and disposes of it: a control case under the regimen in force.
    verify_lead(lead, triad.inside, at(11, 12, 30), note="电话核实，本人已居家")
    overdue.refresh_from_db()
    assert overdue.resolved_at == at(11, 12, 30)
    dispose_lead(lead, LeadOutcome.CASE_OPENED, triad.inside, at(11, 13), note="落实居家健康监测")
    lead.refresh_from_db()
    assert lead.status == LeadStatus.DISPOSED
    case = ControlCase.objects.get(lead=lead)
    # 001:237 ②: from the day they left (1月10日), 填平补齐, 7 days home health monitoring
    # (1月11日–17日), tests on days 2 and 7 (1月12日, 1月17日) and on the 7th day after (1月24日).
    assert case.regimen.code == "gongtian-2022"
    assert case.status == CaseStatus.UNDER_CONTROL and case.current_measure == "home_health_monitoring"
    assert list(case.phases.values_list("measure", "first_day", "last_day")) == [
        ("home_health_monitoring", datetime.date(2022, 1, 11), datetime.date(2022, 1, 17))]
    assert list(case.tests.filter(who=TestWho.PERSON).values_list("due_on", flat=True)) == [
        datetime.date(2022, 1, 12), datetime.date(2022, 1, 17), datetime.date(2022, 1, 24)]
    assert case.release_on == datetime.date(2022, 1, 18)
    # The morning window of 1月11日 was over when the case was opened: no slot for it.
    assert not FollowUpSlot.objects.filter(case=case, ends_at__lte=at(11, 13)).exists()

    # 1月11日 afternoon: the grid worker visits, 36.5 ℃.
    record_entry(case, temperature="36.5", method="visit", recorder=triad.inside, now=at(11, 16, 20))
    # 1月12日 morning: 37.6 ℃ and a cough, self-reported through the personal link. The alert is
    # immediate and goes to 东门村.
    response = client.get(f"/r/{case.self_report_token}/")
    assert response.status_code == 200 and "李四" not in response.content.decode()
    record_entry(case, temperature=Decimal("37.6"), symptoms=["cough"], method="self_report", now=at(12, 8, 10))
    fever = alerts(AlertKind.ABNORMAL_FOLLOW_UP).get()
    assert fever.unit == county.east and fever.raised_at == at(12, 8, 10)
    # The grid worker acknowledges it at once: it does not climb.
    acknowledge(fever, triad.inside, at(12, 8, 20))
    worker(at(12, 12))
    fever.refresh_from_db()
    assert fever.level == 0
    # The test of day 2 is due today.
    assert alerts(AlertKind.TEST_DUE).filter(raised_at=at(12, 12)).exists()
    for test in case.tests.filter(due_on=datetime.date(2022, 1, 12)):
        record_test(test, "negative", triad.inside, at(12, 10))

    # 1月12日 afternoon: nobody checks. At 18:00 the slot is missed and alerted; unacknowledged,
    # it climbs to 城关镇 when its time is up.
    worker(at(12, 17, 59))
    assert not alerts(AlertKind.MISSED_SLOT).exists()
    worker(at(12, 18))
    missed_slot = FollowUpSlot.objects.get(case=case, starts_at=at(12, 16))
    assert missed_slot.status == SlotStatus.MISSED
    missed = alerts(AlertKind.MISSED_SLOT).get()
    assert missed.unit == county.east
    worker(missed.ack_due_at)
    missed.refresh_from_db()
    assert missed.unit == county.town and missed.level == 1

    # The remaining days are checked twice a day.
    for day in range(13, 18):
        for hour in (8, 16):
            record_entry(case, temperature="36.4", method="phone", recorder=triad.inside, now=at(day, hour, 30))
    # 1月16日: the last day is tomorrow, the team is prompted to prepare the release.
    worker(at(16, 19))
    prompt = alerts(AlertKind.RELEASE_DUE).get()
    assert prompt.unit == county.east
    for test in case.tests.filter(due_on=datetime.date(2022, 1, 17)):
        record_test(test, "negative", triad.inside, at(17, 10))
    worker(at(17, 18, 5))
    assert not FollowUpSlot.objects.filter(case=case, status=SlotStatus.OPEN).exists()

    # 1月18日: released; the personal link stops working.
    release_case(case, triad.inside, at(18, 9), note="期满，两次核酸检测阴性")
    case.refresh_from_db()
    assert case.status == CaseStatus.RELEASED and case.closed_at == at(18, 9)
    assert client.get(f"/r/{case.self_report_token}/").status_code == 410
    # The test on the 7th day after release stays on the books for the grid worker.
    assert CaseTest.objects.filter(case=case, due_on=datetime.date(2022, 1, 24), status="scheduled").exists()
    # The neighbouring village saw none of it; the town above saw all of it.
    assert not ControlCase.objects.restrict(triad.neighbour).filter(pk=case.pk).exists()
    assert not Alert.objects.restrict(triad.neighbour).exists()
    assert Alert.objects.restrict(triad.above).count() == Alert.objects.count()
