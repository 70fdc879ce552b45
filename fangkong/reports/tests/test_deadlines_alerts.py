"""Missing daily reports at the deadline (日报未报): one REPORT_MISSING alert per parent unit,
raised by the worker pass with time injected, kept up to date, resolved by the last filing and
escalated by the one alert mechanism."""

import datetime
import json
from collections import Counter
from datetime import time, timedelta

import pytest
from django.core.management import call_command

from fangkong.alerts.models import Alert, AlertKind, Delivery
from fangkong.alerts.services import acknowledge, escalate_due, resolve
from fangkong.conftest import make_user
from fangkong.control.testing import local
from fangkong.orgs.services import add_unit
from fangkong.reports.models import Filing, ReportForm
from fangkong.reports.services.deadlines import check_report_deadlines, filing_received
from fangkong.reports.services.filing import file_report
from fangkong.reports.services.forms import form_in_force

DAY = datetime.date(2022, 1, 27)
KIND = AlertKind.REPORT_MISSING


@pytest.fixture
def school(county):
    return add_unit(county.town, code="430626100901", name="城关中学", type="school")


def file(unit, at, day=DAY, form=None):
    return Filing.objects.create(form=form or form_in_force("daily", day), unit=unit, day=day, filed_at=at, values={})


def open_alerts():
    return list(Alert.objects.filter(kind=KIND, resolved_at__isnull=True).select_related("unit").order_by("key"))


def test_nothing_is_alerted_before_the_deadline(triad, school):
    assert check_report_deadlines(local(DAY, time(9, 59)))["report_missing_alerts"] == 0
    assert check_report_deadlines(local(DAY, time(13, 59)))["report_missing_alerts"] == 1  # the school's, at 10:00
    assert [a.detail.count("应于") for a in open_alerts()] == [1]


def test_after_the_village_deadline_the_town_is_alerted_with_its_missing_villages(triad):
    county = triad.county
    counts = check_report_deadlines(local(DAY, time(14, 1)))
    assert counts["report_missing_alerts"] == 2  # 城关镇 for its two villages, 河口镇 for 河口村
    town = Alert.objects.get(kind=KIND, origin_unit=county.town)
    assert town.key == f"report_missing:daily:2022-01-27:{county.town.pk}"
    assert town.unit == county.town and town.level == 0 and town.subject == county.town
    assert town.title == "城关镇 2022年1月27日疫情防控日报告未报：2个单位"
    assert town.detail.splitlines() == [
        "截止时间已过，以下2个单位尚未报送疫情防控日报告（报告期2022年1月27日）：",
        "东门村（430626100201），应于2022年1月27日14时前报送",
        "西门村（430626100202），应于2022年1月27日14时前报送",
    ]
    assert town.ack_due_at == local(DAY, time(15, 1))  # the rule's 60 minutes to acknowledge
    assert list(Delivery.objects.filter(alert=town).values_list("user__username", flat=True)) == ["town_leader"]
    river = Alert.objects.get(kind=KIND, origin_unit=county.other_town)
    assert "河口村（430626101201）" in river.detail and "东门村" not in river.detail


def test_units_that_filed_or_are_inactive_are_not_listed(triad):
    county = triad.county
    file(county.west, local(DAY, time(11)))
    county.river.is_active = False
    county.river.save()
    check_report_deadlines(local(DAY, time(14, 1)))
    (alert,) = open_alerts()
    assert alert.origin_unit == county.town and alert.title.endswith("未报：1个单位")
    assert "东门村" in alert.detail and "西门村" not in alert.detail


def test_the_school_deadline_comes_first_and_the_open_alert_grows_at_the_village_deadline(triad, school):
    check_report_deadlines(local(DAY, time(10, 30)))
    (alert,) = open_alerts()
    assert alert.origin_unit == triad.county.town
    assert "城关中学（430626100901），应于2022年1月27日10时前报送" in alert.detail and "东门村" not in alert.detail
    counts = check_report_deadlines(local(DAY, time(14, 1)))
    assert counts["report_missing_alerts"] == 1 and counts["report_missing_updated"] == 1  # only 河口镇 is new
    grown = Alert.objects.get(pk=alert.pk)
    assert grown.title.endswith("未报：3个单位") and grown.raised_at == alert.raised_at
    assert "城关中学" in grown.detail and "东门村" in grown.detail and "西门村" in grown.detail


def test_running_twice_raises_nothing_new(triad):
    first = check_report_deadlines(local(DAY, time(14, 1)))
    deliveries = Delivery.objects.count()
    again = check_report_deadlines(local(DAY, time(14, 1)))
    later = check_report_deadlines(local(DAY, time(14, 30)))
    assert first["report_missing_alerts"] == 2
    assert again == later == {"report_missing_alerts": 0, "report_missing_updated": 0}
    assert Alert.objects.filter(kind=KIND).count() == 2 and Delivery.objects.count() == deliveries


def test_filings_update_the_alert_and_the_last_one_resolves_it(triad):
    county = triad.county
    check_report_deadlines(local(DAY, time(14, 1)))
    alert = Alert.objects.get(kind=KIND, origin_unit=county.town)
    assert filing_received(file(county.east, local(DAY, time(14, 20))), now=local(DAY, time(14, 20))) == "updated"
    alert.refresh_from_db()
    assert alert.resolved_at is None and alert.title.endswith("未报：1个单位")
    assert "西门村" in alert.detail and "东门村" not in alert.detail
    late = local(DAY, time(14, 40))
    assert filing_received(file(county.west, late), now=late) == "resolved"
    alert.refresh_from_db()
    assert alert.resolved_at == late and alert.resolved_by is None and "均已报送" in alert.note
    assert Alert.objects.get(kind=KIND, origin_unit=county.other_town).resolved_at is None  # another town's
    assert check_report_deadlines(local(DAY, time(15)))["report_missing_alerts"] == 0


def test_filing_through_the_filing_service_resolves_the_alert(triad):
    county = triad.county
    check_report_deadlines(local(DAY, time(14, 1)))
    form = form_in_force("daily", DAY)
    file_report(form, county.east, DAY, {}, triad.inside, now=local(DAY, time(14, 20)), zero=True)
    assert "东门村" not in Alert.objects.get(kind=KIND, origin_unit=county.town).detail
    filing = file_report(form, county.west, DAY, {}, triad.neighbour, now=local(DAY, time(14, 25)), zero=True)
    assert filing.late
    alert = Alert.objects.get(kind=KIND, origin_unit=county.town)
    assert alert.resolved_at == local(DAY, time(14, 25))


def test_a_filing_without_an_open_alert_changes_nothing(triad):
    county = triad.county
    assert filing_received(file(county.east, local(DAY, time(9))), now=local(DAY, time(9))) is None
    assert not Alert.objects.filter(kind=KIND).exists()


def test_a_filing_next_day_resolves_yesterdays_alert(triad):
    county = triad.county
    check_report_deadlines(local(DAY, time(14, 1)))
    next_day = local(DAY + timedelta(days=1), time(8))
    file(county.east, next_day)
    assert filing_received(file(county.west, next_day), now=next_day) == "resolved"
    assert not Alert.objects.filter(kind=KIND, origin_unit=county.town, resolved_at__isnull=True).exists()


def test_an_alert_closed_by_hand_is_raised_again_only_for_units_it_did_not_list(triad):
    county = triad.county
    check_report_deadlines(local(DAY, time(14, 1)))
    alert = Alert.objects.get(kind=KIND, origin_unit=county.town)
    resolve(alert, triad.above, now=local(DAY, time(14, 10)), note="已电话督促")
    assert check_report_deadlines(local(DAY, time(14, 20)))["report_missing_alerts"] == 0
    add_unit(county.town, code="430626100203", name="南门村", type="village")
    assert check_report_deadlines(local(DAY, time(14, 30)))["report_missing_alerts"] == 1
    again = Alert.objects.get(kind=KIND, origin_unit=county.town, resolved_at__isnull=True)
    assert again.pk != alert.pk and again.title.endswith("未报：3个单位") and "南门村" in again.detail


def test_an_unacknowledged_alert_climbs_to_the_county(triad):
    county = triad.county
    county_leader = make_user("county_leader", "leader", county.county)
    check_report_deadlines(local(DAY, time(14, 1)))
    river = Alert.objects.get(kind=KIND, origin_unit=county.other_town)
    acknowledge(river, county_leader, now=local(DAY, time(14, 30)))
    assert escalate_due(local(DAY, time(15)))["alerts_escalated"] == 0
    assert escalate_due(local(DAY, time(15, 1)))["alerts_escalated"] == 1
    town = Alert.objects.get(kind=KIND, origin_unit=county.town)
    assert town.unit == county.county and town.level == 1
    assert [(step.level, step.unit.name) for step in town.steps.all()] == [(0, "城关镇"), (1, "示范县")]
    assert Delivery.objects.filter(alert=town, user=county_leader, level=1).exists()
    river.refresh_from_db()  # nobody holds a role in 河口镇: it sat at the county from the start, acknowledged there
    assert river.unit == county.county and river.level == 0


def hygiene_days():
    keys = Alert.objects.filter(kind=KIND, key__startswith="report_missing:hygiene:").values_list("key", flat=True)
    return dict(Counter(key.split(":")[2] for key in keys))


def test_a_report_due_at_midnight_is_alerted_the_next_day(triad):
    ReportForm.objects.create(code="hygiene", name="环境卫生日报", unit_types=["village"], deadlines={"*": "24:00"},
                              effective_from=datetime.date(2020, 1, 1))
    check_report_deadlines(local(DAY, time(23, 59)))
    assert hygiene_days() == {"2022-01-26": 2}  # yesterday's report, due at midnight; not yet the 27th's
    counts = check_report_deadlines(local(DAY + timedelta(days=1), time(0, 1)))
    assert counts["report_missing_alerts"] == 2  # the daily's of the 27th are not raised again
    assert hygiene_days() == {"2022-01-26": 2, "2022-01-27": 2}
    hygiene = Alert.objects.get(key=f"report_missing:hygiene:2022-01-27:{triad.county.town.pk}")
    assert "应于2022年1月28日0时前报送" in hygiene.detail


def test_the_worker_command_runs_the_pass(triad, settings, capsys):
    settings.FANGKONG_WORKER_PASSES = ["fangkong.reports.services.deadlines.check_report_deadlines"]
    call_command("worker", "--once", "--now", "2022-01-27 14:05", "--json")
    (line,) = [json.loads(text) for text in capsys.readouterr().out.splitlines()]
    assert line["counts"]["report_missing_alerts"] == 2
    assert Alert.objects.filter(kind=KIND, resolved_at__isnull=True).count() == 2
