import datetime

from django.utils import timezone

from fangkong.accounts.models import RoleAssignment
from fangkong.alerts.models import Alert, AlertKind
from fangkong.demo.services.reports import HISTORY_DAYS
from fangkong.orgs.models import Unit
from fangkong.reports.models import Filing, ItemKind, Snapshot
from fangkong.reports.services.completeness import completeness_tree, expected_units
from fangkong.reports.services.daily import daily_report
from fangkong.reports.services.filing import check_rules, clean_values
from fangkong.reports.services.forms import deadline, form_in_force
from fangkong.reports.services.rollup import rollup, unit_values
from fangkong.reports.services.snapshots import corrections, latest

from .test_demo_command import county


def test_the_demo_county_has_a_month_of_filings_some_late_some_zero_and_some_missing(built_demo, db):
    root, now = county(), timezone.now()
    today = timezone.localdate(now)
    form = form_in_force("daily", today)
    filings = Filing.objects.filter(form_code=form.code)
    past = [today - datetime.timedelta(days=back) for back in range(HISTORY_DAYS, 0, -1)]
    assert set(filings.filter(day__lt=today).values_list("day", flat=True).distinct()) == set(past)
    expected = expected_units(form, root).count()
    filed_per_day = [filings.current().filter(day=day).count() for day in past]
    assert all(0 < filed <= expected for filed in filed_per_day)
    assert sum(filed_per_day) < expected * len(past)  # some never came in
    first = filings.filter(version=1).select_related("unit")
    assert first.filter(late=True).exists() and first.filter(late=False).exists()
    assert 0.03 < first.filter(late=True).count() / first.count() < 0.25
    for filing in first:
        assert filing.late == (filing.filed_at > deadline(form, filing.unit.type, filing.day))
        assert filing.filed_at <= now
    assert filings.filter(zero_report=True).exists()
    assert filings.exclude(values__events="").exists()
    # The demo users' own units still have today's report to file.
    held = RoleAssignment.objects.filter(unit__type__in=form.unit_types).values_list("unit", flat=True)
    assert held and not filings.filter(day=today, unit__in=held).exists()
    assert "迟报 (late)" in built_demo


def test_every_demo_filing_passes_the_forms_rules_and_keeps_its_computed_items(built_demo, db):
    form = form_in_force("daily", timezone.localdate())
    computed_codes = {item["code"] for item in form.items_of_kind(ItemKind.COMPUTED)}
    for filing in Filing.objects.select_related("unit"):
        assert clean_values(form, filing.values) == filing.values
        # Sums add up and 入户测温 stays within the registered population, or this raises.
        check_rules(form, filing.unit, filing.values, filing.computed)
        values = filing.values
        parts = values["outsiders_from_risk_areas"] + values["outsiders_from_elsewhere"]
        assert values["outsiders_registered"] == parts
        assert set(filing.computed) == computed_codes
        if filing.zero_report:
            assert not any(values.values())
    # The computed items are the figures of the unit's records at the villages' deadline.
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    for filing in Filing.objects.filter(day=yesterday, unit__type="village").select_related("unit")[:3]:
        assert filing.computed == unit_values(form, filing.unit, yesterday, deadline(form, "village", yesterday))


def test_past_days_have_snapshots_equal_to_the_live_roll_up_and_corrections_a_second_version(built_demo, db):
    root = county()
    today = timezone.localdate()
    form = form_in_force("daily", today)
    corrected = list(Filing.objects.filter(version=2).select_related("unit"))
    assert corrected
    for filing in corrected:
        assert filing.reason
        first = Filing.objects.get(form_code=form.code, unit=filing.unit, day=filing.day, version=1)
        assert first.superseded_at == filing.filed_at
        village = latest(form.code, filing.unit, filing.day)
        assert village.version == 2 and filing.unit.name in village.reason
        assert corrections(form.code, root, filing.day)
    days = sorted({filing.day for filing in corrected} | {today - datetime.timedelta(days=n) for n in (1, 9, 20)})
    for day in days:
        snapshot = latest(form.code, root, day)
        assert snapshot.values == rollup(form, root, day)
        assert snapshot.completeness == completeness_tree(form, root, day)[root.path]
    towns = Unit.objects.get_children(root).filter(type="town")
    assert Snapshot.objects.filter(day=today - datetime.timedelta(days=1), unit__in=towns).count() == towns.count()
    assert not Snapshot.objects.filter(day=today).exists()

    # Screening went on over the month: its daily figures rise and fall, the total only rises.
    month = Snapshot.objects.filter(unit=root, version=1, day__lt=today).order_by("day")
    screened = [snap.values["screened_persons"] for snap in month]
    assert len({day["new"] for day in screened}) >= 3
    totals = [day["cumulative"] for day in screened]
    assert totals == sorted(totals) and totals[-1] > totals[0]


def test_yesterdays_daily_report_has_real_figures_and_the_units_missing(built_demo, db):
    root = county()
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    report = daily_report(root, yesterday)
    assert report["snapshot"] is not None
    items = report["items"]
    assert items["screened_persons"]["cumulative"] > 0 and items["screened_households"]["cumulative"] > 0
    assert items["key_persons"]["cumulative"] > 0 and items["under_control"] > 0
    assert items["released"]["cumulative"] > 0 and items["tests_done"]["cumulative"] > 0
    assert items["outsiders_registered"]["cumulative"] > 0 and items["leaflets_handed_out"]["cumulative"] > 0
    completeness = report["completeness"]
    assert completeness["missing"] and completeness["received"] < completeness["expected"]
    # The worker's missing-report pass has run at the end of the build.
    keys = Alert.objects.filter(kind=AlertKind.REPORT_MISSING).values_list("key", flat=True)
    assert any(yesterday.isoformat() in key for key in keys)
