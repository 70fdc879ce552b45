"""A day of the demo county: the daily report's JSON, its .xlsx and a situation report written
for the same cut-off agree with each other and with the records they count."""

import datetime
import io
import json
import re

import docx
import openpyxl
import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from fangkong.control.models import ControlCase
from fangkong.demo.services import demo_county
from fangkong.lib.dates import day_end, day_start
from fangkong.reports.models import Filing
from fangkong.screening.models import MemberAnswer

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(PASSWORD_HASHERS=FAST_HASHER):
            call_command("demo", "--no-serve", "--scale", "0.01", stdout=io.StringIO())
        yield demo_county()
        transaction.set_rollback(True)


def _json(unit, day, capsys):
    call_command("report", "daily", "--unit", unit.code, "--date", day.isoformat(), "--format", "json")
    return json.loads(capsys.readouterr().out)


def _docx_text(path):
    document = docx.Document(path)
    return "\n".join(paragraph.text for paragraph in document.paragraphs)


def test_a_demo_day_agrees_across_json_xlsx_situation_report_and_records(demo, db, capsys, tmp_path):
    county = demo
    day = timezone.localdate() - datetime.timedelta(days=1)
    report = _json(county, day, capsys)
    items = report["items"]

    # The records: the same counts taken straight from the tables.
    start, end = day_start(day), day_end(day)
    cases = ControlCase.objects.filter(unit_path__startswith=county.path)
    assert items["key_persons"] == {
        "new": cases.filter(opened_at__range=(start, end)).values("person").distinct().count(),
        "cumulative": cases.filter(opened_at__lte=end).values("person").distinct().count(),
    }
    assert items["key_persons"]["cumulative"] > 0
    answers = MemberAnswer.objects.filter(visit__unit_path__startswith=county.path, visit__visited_at__lte=end)
    assert items["wuhan_returnees"]["cumulative"] == (
        answers.filter(places_visited__contains="武汉").values("person").distinct().count()
    )
    assert items["screened_persons"]["cumulative"] == answers.values("person").distinct().count() > 0
    filed = Filing.objects.filter(form_code="daily", day=day, superseded_at__isnull=True)
    hand = sum(int(f.values.get("outsiders_registered") or 0) for f in filed)
    assert items["outsiders_registered"]["new"] == hand
    assert report["completeness"]["received"] == filed.count()
    assert report["completeness"]["expected"] == report["completeness"]["received"] + len(
        report["completeness"]["missing"])

    # The .xlsx summary table: its total row is the JSON.
    sheet_path = tmp_path / "daily.xlsx"
    call_command("report", "daily", "--unit", county.code, "--date", day.isoformat(), "--format", "xlsx",
                 "-o", str(sheet_path))
    rows = list(openpyxl.load_workbook(sheet_path).active.iter_rows(values_only=True))
    headers = rows[2]
    total = dict(zip(headers, next(row for row in rows if row[0] == f"{county.name}合计")))
    assert total["新登记重点人员（人）\n当日新增"] == items["key_persons"]["new"]
    assert total["湖北省返乡人员（人）\n累计"] == items["hubei_returnees"]["cumulative"]
    assert total["在管重点人员（人）"] == items["under_control"]
    assert total["外来人员登记（人）\n当日新增"] == items["outsiders_registered"]["new"]
    assert total["已报"] == report["completeness"]["received"]

    # The situation report written for the end of that day carries the same figures.
    doc_path = tmp_path / "report.docx"
    call_command("report", "situation", "--unit", county.code, "--as-of", f"{day.isoformat()} 23:59",
                 "-o", str(doc_path))
    text = _docx_text(doc_path)
    sentence = re.search(
        r"累计摸排湖北省返乡人员(\d+)人，其中武汉返乡人员(\d+)人，当日新发登记人数(\d+)人，解除随访人数(\d+)人。"
        r"到目前为止，已有密切接触者(\d+)人", text)
    assert sentence, text[:500]
    assert [int(n) for n in sentence.groups()] == [
        items["hubei_returnees"]["cumulative"], items["wuhan_returnees"]["cumulative"],
        items["key_persons"]["new"], items["released"]["new"], items["close_contacts"]["cumulative"],
    ]
    assert f"截至{day.year}年{day.month}月{day.day}日23时59分" in text
