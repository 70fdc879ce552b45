"""The control ledger (管控台账) and the control sheet (管控表) read back with openpyxl."""

import io
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from fangkong.control.models import FollowUpEntry, SignOff, SlotStatus
from fangkong.control.services.ledgers import LEDGER_COLUMNS, SHEET_COLUMNS
from fangkong.control.testing import local, make_case

FIRST = date(2022, 1, 20)
PHASES = [("centralized_isolation", FIRST, FIRST + timedelta(days=6)),
          ("home_health_monitoring", FIRST + timedelta(days=7), FIRST + timedelta(days=9))]


@pytest.fixture
def cases(triad):
    east = make_case(
        triad.east_person, phases=PHASES, category="inbound", team=[("村干部", "王村"), ("医生", "李医生")],
        tests=[(FIRST, "person", "第1天"), (FIRST + timedelta(days=3), "co_residents", "共同居住人")],
        note="独居",
    )
    east.tests.filter(due_on=FIRST).update(status="done", result="negative")
    for slot in east.slots.filter(day=FIRST).order_by("starts_at"):
        afternoon = timezone.localtime(slot.starts_at).hour > 12
        FollowUpEntry.objects.create(
            case=east, slot=slot, unit_path=east.unit_path, recorded_at=slot.starts_at + timedelta(minutes=20),
            temperature=Decimal("37.6") if afternoon else Decimal("36.4"),
            symptoms=["cough"] if afternoon else [], method="visit", abnormal=afternoon,
        )
        slot.status = SlotStatus.DONE
        slot.save()
    SignOff.objects.create(case=east, day=FIRST, member=east.team.get(name="王村"), signed_at=local(FIRST, time(19)))
    west = make_case(triad.west_person, phases=PHASES)
    return east, west


def workbook(response):
    assert response.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def rows(sheet):
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_ledger_rows_and_headers_for_the_user_of_the_unit(triad, cases, as_user):
    sheet = workbook(as_user(triad.inside).get(reverse("control:ledger_export"))).active
    table = rows(sheet)
    assert table[0] == [title for title, _width in LEDGER_COLUMNS]
    assert len(table) == 2
    row = dict(zip(table[0], table[1]))
    assert row["序号"] == 1 and row["姓名"] == "张三丰" and row["性别"] == "男"
    assert row["身份证号"] == triad.east_person.id_number and sheet["D2"].data_type == "s"
    assert row["联系电话"] == "13800135678"
    assert row["所属网格"] == "东门一组" and row["管控类别"] == "入境人员" and row["当前措施"] == "集中隔离医学观察"
    assert row["开始日期"] == datetime(2022, 1, 20) and sheet["N2"].number_format == 'yyyy"年"m"月"d"日"'
    assert row["解除日期"] == datetime(2022, 1, 30)
    assert row["核酸检测"] == "1月20日 阴性；1月23日 待检测（共同居住人）"
    assert row["责任人"] == "村干部王村、医生李医生"
    assert row["最近体温"] == "37.6℃" and row["备注"] == "独居"
    assert sheet.freeze_panes == "A2"


def test_ledger_masks_identity_for_readonly(triad, cases, as_user):
    table = rows(workbook(as_user(triad.readonly).get(reverse("control:ledger_export"))).active)
    row = dict(zip(table[0], table[1]))
    assert row["身份证号"] == triad.east_person.id_number[:4] + "*" * 10 + triad.east_person.id_number[-4:]
    assert row["联系电话"] == "138****5678"


def test_ledger_of_the_neighbour_and_above(triad, cases, as_user):
    table = rows(workbook(as_user(triad.neighbour).get(reverse("control:ledger_export"))).active)
    assert [row[1] for row in table[1:]] == ["李四"]
    table = rows(workbook(as_user(triad.above).get(reverse("control:ledger_export"))).active)
    assert [row[1] for row in table[1:]] == ["张三丰", "李四"]
    # A list the neighbour has no case on gives the headers only.
    table = rows(workbook(as_user(triad.neighbour).get(reverse("control:ledger_export"), {"list": "symptomatic"})).active)
    assert len(table) == 1


def test_ledger_of_a_list_and_a_unit(triad, cases, as_user):
    client = as_user(triad.above)
    table = rows(workbook(client.get(reverse("control:ledger_export"), {"unit": triad.county.west.pk})).active)
    assert [row[1] for row in table[1:]] == ["李四"]
    table = rows(workbook(client.get(reverse("control:ledger_export"), {"category": "inbound"})).active)
    assert [row[1] for row in table[1:]] == ["张三丰"]
    assert client.get(reverse("control:ledger_export"), {"list": "nonsense"}).status_code == 404
    assert as_user(triad.neighbour).get(reverse("control:ledger_export"), {"unit": triad.county.east.pk}).status_code == 404


def test_control_sheet_has_a_row_per_day(triad, cases, as_user):
    east, _west = cases
    book = workbook(as_user(triad.inside).get(reverse("control:control_sheet", args=[east.pk])))
    sheet = book.active
    table = rows(sheet)
    header_index = next(i for i, row in enumerate(table) if row[0] == "日期")
    assert table[header_index] == [title for title, _width in SHEET_COLUMNS]
    days = table[header_index + 1:]
    assert len(days) == 10
    assert [row[0] for row in days] == [datetime(2022, 1, 20) + timedelta(days=i) for i in range(10)]
    first = days[0]
    assert first[1:7] == [36.4, 37.6, "咳嗽", "阴性", "上门", "王村"]
    assert days[3][4] == "待检测（共同居住人）"
    assert days[1][1] is None and days[1][6] is None
    assert table[0][0] == "张三丰 管控表"
    assert any("入境人员" in str(cell) for row in table[:header_index] for cell in row)
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9


def test_control_sheet_outside_the_jurisdiction_is_404(triad, cases, as_user):
    east, west = cases
    assert as_user(triad.neighbour).get(reverse("control:control_sheet", args=[east.pk])).status_code == 404
    assert as_user(triad.above).get(reverse("control:control_sheet", args=[west.pk])).status_code == 200
