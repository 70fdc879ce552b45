"""The dashboard's figures: today's from the daily report, past days' from the kept snapshots
(live where none was kept), key persons by status and category, recent anomalies within the
user's jurisdiction, and each child unit's figures."""

import datetime
from decimal import Decimal

import pytest

from fangkong.control.models import CaseStatus, FollowUpEntry
from fangkong.control.testing import local, make_case
from fangkong.reports.models import Filing
from fangkong.reports.services.daily import daily_report
from fangkong.reports.services.dashboard import (
    anomalies,
    by_status_and_category,
    children_figures,
    key_figures,
    trend,
)
from fangkong.reports.services.forms import form_in_force
from fangkong.reports.services.rollup import rollup
from fangkong.reports.services.snapshots import take_snapshots

DAY = datetime.date(2022, 1, 27)
NOW = local(DAY, datetime.time(15))


def _days(n):
    return datetime.timedelta(days=n)


def _case(person, unit, opened, **extra):
    first = opened.date() if hasattr(opened, "date") else opened
    return make_case(person, unit=unit, opened_at=opened,
                     phases=[("home_isolation", first, first + _days(13))], **extra)


def _series(result, key):
    return next(row["data"] for row in result["series"] if row["key"] == key)


def _figure(result, key):
    return next(row for row in result["figures"] if row["key"] == key)


def test_key_figures_are_todays_daily_report_with_units(triad):
    county = triad.county
    _case(triad.east_person, county.east, local(DAY, datetime.time(9)), place="site")
    _case(triad.west_person, county.west, local(DAY - _days(2), datetime.time(9)))
    Filing.objects.create(form=form_in_force("daily", DAY), unit=county.east, day=DAY,
                          filed_at=local(DAY, datetime.time(11)), values={})
    result = key_figures(county.town, NOW)
    report = daily_report(county.town, DAY, now=NOW)
    assert _figure(result, "under_control")["value"] == report["items"]["under_control"] == 2
    assert _figure(result, "key_persons_new")["value"] == report["items"]["key_persons"]["new"] == 1
    assert _figure(result, "isolated_total")["value"] == 1
    assert _figure(result, "home_controlled")["value"] == 1
    assert _figure(result, "screened_cumulative")["unit"] == "人"
    assert _figure(result, "tests_done_new")["unit"] == "人次"
    assert result["completeness"] == {"expected": 2, "received": 1, "on_time": 1,
                                      "received_rate": 50.0, "on_time_rate": 50.0}
    assert result["as_of_text"] == "2022年1月27日15时"


def test_trend_keeps_the_snapshot_of_a_past_day_after_the_records_change(triad):
    county = triad.county
    form = form_in_force("daily", DAY)
    past = DAY - _days(3)
    _case(triad.east_person, county.east, local(past, datetime.time(9)))
    take_snapshots(form, past, [county.town], now=local(past + _days(1), datetime.time(1)))
    # A case registered afterwards for the same day: the live figure changes, the reported one not.
    _case(triad.west_person, county.west, local(past, datetime.time(10)))
    assert rollup(form, county.town, past)["key_persons"]["new"] == 2

    result = trend(county.town, 14, NOW)
    index = result["days"].index(past.isoformat())
    assert result["sources"][index] == "snapshot"
    assert _series(result, "key_persons_new")[index] == 1
    assert _series(result, "under_control")[index] == 1
    assert result["labels"][index] == "1月24日"


def test_trend_rolls_up_days_without_a_snapshot_live(triad):
    county = triad.county
    yesterday = DAY - _days(1)
    _case(triad.east_person, county.east, local(yesterday, datetime.time(9)))
    _case(triad.west_person, county.west, local(DAY, datetime.time(9)), status=CaseStatus.UNDER_CONTROL)
    Filing.objects.create(form=form_in_force("daily", DAY), unit=county.west, day=yesterday,
                          filed_at=local(yesterday, datetime.time(13)), values={})

    result = trend(county.town, 30, NOW)
    assert len(result["days"]) == 30 and result["days"][-1] == DAY.isoformat()
    assert set(result["sources"]) == {"live"}
    assert _series(result, "key_persons_new")[-2:] == [1, 1]
    assert _series(result, "under_control")[-3:] == [0, 1, 2]
    assert _series(result, "received_rate")[-2:] == [50.0, 0.0]


def test_trend_reads_all_kept_days_in_one_query(triad, django_assert_max_num_queries):
    county = triad.county
    form = form_in_force("daily", DAY)
    for offset in range(1, 30):
        day = DAY - _days(offset)
        take_snapshots(form, day, [county.town], now=local(day + _days(1), datetime.time(1)))
    # The form, the snapshots, and today's live roll-up (five items and the filing counts).
    with django_assert_max_num_queries(10):
        result = trend(county.town, 30, NOW)
    assert result["sources"] == ["snapshot"] * 29 + ["live"]


def test_trend_accepts_only_14_or_30_days(triad):
    with pytest.raises(ValueError):
        trend(triad.county.town, 7, NOW)


def test_key_persons_are_grouped_by_status_and_category_within_the_subtree(triad):
    county = triad.county
    _case(triad.east_person, county.east, local(DAY, datetime.time(9)))
    _case(triad.east_person, county.east, local(DAY - _days(20), datetime.time(9)), status=CaseStatus.RELEASED,
          category="secondary_contact")
    _case(triad.west_person, county.west, local(DAY, datetime.time(9)), category="inbound")
    # The same person registered twice counts once.
    _case(triad.west_person, county.west, local(DAY, datetime.time(10)), category="inbound")
    east = by_status_and_category(county.east)
    assert east["status"] == [{"key": "under_control", "label": "管控中", "value": 1},
                              {"key": "released", "label": "已解除", "value": 1}]
    assert east["category"] == [{"key": "close_contact", "label": "密切接触者", "value": 1},
                                {"key": "secondary_contact", "label": "次密切接触者", "value": 1}]
    town = by_status_and_category(county.town)
    assert {row["key"]: row["value"] for row in town["status"]} == {"under_control": 2, "released": 1}
    assert {row["key"]: row["value"] for row in town["category"]} == {
        "inbound": 1, "close_contact": 1, "secondary_contact": 1}


def _entry(case, at, abnormal=True):
    return FollowUpEntry.objects.create(case=case, recorded_at=at, temperature=Decimal("37.9"),
                                        symptoms=["fever", "cough"], method="visit", abnormal=abnormal)


def test_anomalies_are_the_abnormal_entries_of_the_last_48_hours_the_user_may_see(triad):
    county = triad.county
    east_case = _case(triad.east_person, county.east, local(DAY - _days(3), datetime.time(9)))
    west_case = _case(triad.west_person, county.west, local(DAY - _days(3), datetime.time(9)))
    _entry(east_case, NOW - datetime.timedelta(hours=2))
    _entry(east_case, NOW - datetime.timedelta(hours=50))
    _entry(east_case, NOW - datetime.timedelta(hours=1), abnormal=False)
    _entry(west_case, NOW - datetime.timedelta(hours=5))

    rows = anomalies(county.town, triad.above, NOW)
    assert [row["name"] for row in rows] == ["张三丰", "李四"]
    assert rows[0] == {
        "case": east_case.pk, "name": "张三丰", "unit": "东门村", "temperature": "37.9℃", "symptoms": "发热、咳嗽",
        "time": "2022-01-27T13:00:00+08:00", "time_text": "2022年1月27日13时",
    }
    assert [row["name"] for row in anomalies(county.town, triad.inside, NOW)] == ["张三丰"]
    assert anomalies(county.east, triad.neighbour, NOW) == []
    assert len(anomalies(county.town, triad.above, NOW, limit=1)) == 1


def test_children_figures_give_each_filing_child_its_figures_and_counts(triad):
    county = triad.county
    _case(triad.east_person, county.east, local(DAY, datetime.time(9)), place="site")
    Filing.objects.create(form=form_in_force("daily", DAY), unit=county.west, day=DAY,
                          filed_at=local(DAY, datetime.time(15)), late=True, values={})
    rows = children_figures(county.town, NOW)
    assert [row["name"] for row in rows] == ["东门村", "西门村"]
    east, west = rows
    assert east["figures"]["under_control"] == 1 and east["figures"]["isolated_total"] == 1
    assert east["figures"]["key_persons_new"] == 1
    assert west["figures"]["under_control"] == 0
    assert east["completeness"]["received"] == 0
    assert west["completeness"] == {"expected": 1, "received": 1, "on_time": 0,
                                    "received_rate": 100.0, "on_time_rate": 0.0}
    assert children_figures(county.east, NOW) == []
