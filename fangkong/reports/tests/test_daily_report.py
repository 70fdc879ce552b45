"""The daily report contract: `fangkong report daily` JSON and .xlsx, the API, and the kept
snapshot of a day that is over."""

import datetime
import io
import json

import openpyxl
from django.core.management import call_command
from django.utils import timezone

from fangkong.control.testing import local, make_case
from fangkong.people.models import Person
from fangkong.reports.models import Filing, Snapshot
from fangkong.reports.services.daily import daily_report
from fangkong.reports.services.forms import form_in_force
from fangkong.reports.services.snapshots import take_snapshots

DAY = datetime.date(2022, 1, 27)


def _records(triad):
    county = triad.county
    form = form_in_force("daily", DAY)
    make_case(triad.east_person, unit=county.east, opened_at=local(DAY, datetime.time(9)), place="site",
              phases=[("centralized_isolation", DAY, DAY + datetime.timedelta(days=13))])
    make_case(triad.west_person, unit=county.west, category="secondary_contact",
              opened_at=local(DAY - datetime.timedelta(days=2), datetime.time(9)),
              phases=[("home_isolation", DAY - datetime.timedelta(days=1), DAY + datetime.timedelta(days=5))])
    Filing.objects.create(form=form, unit=county.east, day=DAY, filed_at=local(DAY, datetime.time(13)),
                          values={"outsiders_registered": 5, "outsiders_from_risk_areas": 2,
                                  "outsiders_from_elsewhere": 3, "events": "无"})
    return form


def test_daily_json_has_the_contracted_keys_and_agrees_with_the_records(triad, capsys):
    _records(triad)
    call_command("report", "daily", "--unit", triad.county.town.code, "--date", DAY.isoformat(), "--format", "json")
    report = json.loads(capsys.readouterr().out)
    assert report["unit"] == triad.county.town.code
    assert report["date"] == "2022-01-27"
    assert report["as_of"].startswith("2022-01-27T23:59:59")
    assert report["items"]["key_persons"] == {"new": 1, "cumulative": 2}
    assert report["items"]["close_contacts"] == {"new": 1, "cumulative": 1}
    assert report["items"]["under_control"] == 2
    assert report["items"]["isolated_total"] == 1
    assert report["items"]["outsiders_registered"] == {"new": 5, "cumulative": 5}
    assert report["completeness"] == {
        "expected": 2, "received": 1, "on_time": 1, "missing": [triad.county.west.code],
    }


def test_daily_xlsx_total_row_equals_the_json(triad, tmp_path):
    _records(triad)
    target = tmp_path / "daily.xlsx"
    call_command("report", "daily", "--unit", triad.county.town.code, "--date", DAY.isoformat(),
                 "--format", "xlsx", "-o", str(target))
    sheet = openpyxl.load_workbook(target).active
    rows = list(sheet.iter_rows(values_only=True))
    headers = rows[2]
    by_name = {row[0]: dict(zip(headers, row)) for row in rows[3:]}
    total = by_name["城关镇合计"]
    assert total["新登记重点人员（人）\n当日新增"] == 1
    assert total["新登记重点人员（人）\n累计"] == 2
    assert total["在管重点人员（人）"] == 2
    assert total["应报"] == 2 and total["已报"] == 1 and total["未报单位"] == triad.county.west.code
    assert by_name["东门村"]["外来人员登记（人）\n当日新增"] == 5
    assert by_name["西门村"]["新登记重点人员（人）\n累计"] == 1


def test_a_day_that_is_over_is_reported_from_its_snapshot_and_corrections_show(triad):
    form = _records(triad)
    town = triad.county.town
    end = local(DAY + datetime.timedelta(days=1), datetime.time(0, 5))
    take_snapshots(form, DAY, [town], now=end)
    # A case entered later with an earlier opening time does not change the kept figures ...
    newcomer = Person.objects.create(name="王五", unit=triad.county.east_grid)
    make_case(newcomer, unit=triad.county.east, category="inbound", opened_at=local(DAY, datetime.time(10)),
              phases=[("home_isolation", DAY, DAY + datetime.timedelta(days=3))])
    later = end + datetime.timedelta(days=1)
    report = daily_report(town, DAY, now=later)
    assert report["items"]["key_persons"] == {"new": 1, "cumulative": 2}
    assert report["snapshot"]["version"] == 1 and report["corrections"] == []
    # ... until the day is snapshotted again for a correction, which then shows as one.
    take_snapshots(form, DAY, [town], now=later, reason="东门村更正：补录一名境外返回人员")
    take_snapshots(form, DAY, [town], now=later, reason="重复生成")  # unchanged: no new version
    report = daily_report(town, DAY, now=later)
    assert report["snapshot"]["version"] == 2
    assert report["items"]["key_persons"] == {"new": 2, "cumulative": 3}
    assert report["corrections"] == [{
        "version": 2, "taken_at": report["corrections"][0]["taken_at"], "reason": "东门村更正：补录一名境外返回人员",
        "changes": {
            "key_persons": [{"new": 1, "cumulative": 2}, {"new": 2, "cumulative": 3}],
            "under_control": [2, 3], "home_controlled": [1, 2],
        },
    }]
    assert Snapshot.objects.filter(unit=town, day=DAY).count() == 2
    # A late filing counts as received, not on time.
    Filing.objects.create(form=form, unit=triad.county.west, day=DAY, filed_at=later, late=True, values={})
    assert daily_report(town, DAY, now=later)["completeness"] == {
        "expected": 2, "received": 2, "on_time": 1, "missing": []}


def test_api_daily_report_follows_jurisdiction(triad, api):
    _records(triad)
    url = "/api/v1/daily-reports/"
    query = {"unit": triad.county.east.code, "date": DAY.isoformat()}
    inside = api(triad.inside).get(url, query)
    assert inside.status_code == 200 and inside.json()["items"]["key_persons"]["new"] == 1
    assert api(triad.neighbour).get(url, query).status_code == 404
    above = api(triad.above).get(url, {"unit": triad.county.town.code, "date": DAY.isoformat()})
    assert above.status_code == 200 and above.json()["completeness"]["expected"] == 2
    assert api(triad.neighbour).get(url + "completeness/", query).status_code == 404
    sheet = api(triad.above).get(url + "xlsx/", {"unit": triad.county.town.code, "date": DAY.isoformat()})
    assert sheet.status_code == 200
    assert openpyxl.load_workbook(io.BytesIO(sheet.content)).active["A4"].value in ("东门村", "西门村")
    assert api().get(url, query).status_code in (401, 403)
    assert timezone.localdate() > DAY
