"""The control ledger (管控台账): one row per case, and the control sheet (管控表) of one case:
one row per day of its period, ready to print on A4 landscape. Both written with XlsxWriter;
ID and phone numbers are masked unless the user may see them, and always written as text.

The caller hands in cases already limited by `restrict(user)` (or one case fetched through it).
"""

import datetime
from collections import defaultdict
from decimal import Decimal

import xlsxwriter
from django.db.models import OuterRef, Prefetch, Subquery
from django.utils import timezone

from fangkong.control.models import (
    CaseTest, FollowUpEntry, FollowUpSymptom, SignOff, TestResult, TestStatus, TestWho,
)
from fangkong.lib.dates import cn_date
from fangkong.lib.masking import mask_id_number, mask_phone

DATE_FORMAT = 'yyyy"年"m"月"d"日"'

LEDGER_COLUMNS = [
    ("序号", 6), ("姓名", 10), ("性别", 6), ("身份证号", 21), ("联系电话", 14), ("现住址", 28), ("所属网格", 14),
    ("管控类别", 16), ("管控方案", 18), ("起算日期", 14), ("抵达日期", 14), ("当前措施", 16),
    ("集中隔离点/房间", 18), ("开始日期", 14), ("解除日期", 14), ("状态", 8), ("核酸检测", 34),
    ("责任人", 30), ("最近体温", 9), ("备注", 24),
]
SHEET_COLUMNS = [
    ("日期", 16), ("上午体温", 10), ("下午体温", 10), ("症状", 22), ("核酸检测", 22), ("监测方式", 14),
    ("责任人签字", 26), ("备注", 30),
]


def new_workbook(out, constant_memory=True):
    """A workbook on a path or binary file; a cell's text is never taken for a formula,
    number or link."""
    return xlsxwriter.Workbook(out, {
        "constant_memory": constant_memory, "strings_to_formulas": False, "strings_to_numbers": False,
        "strings_to_urls": False, "remove_timezone": True,
    })


def _write(sheet, row, col, value, cell, date_cell):
    if value is None or value == "":
        sheet.write_blank(row, col, None, cell)
    elif isinstance(value, datetime.date):
        sheet.write_datetime(row, col, value, date_cell)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        sheet.write_number(row, col, value, cell)
    else:
        sheet.write_string(row, col, str(value), cell)


def _short(day):
    return f"{day.month}月{day.day}日"


def describe_test(test):
    """1月27日 阴性 / 1月27日 待检测 (共同居住人)."""
    if test.status == TestStatus.DONE:
        state = test.get_result_display() or TestResult(TestResult.PENDING).label
    else:
        state = test.get_status_display()
    who = f"（{test.get_who_display()}）" if test.who == TestWho.CO_RESIDENTS else ""
    return f"{_short(test.due_on)} {state}{who}"


def ledger_queryset(cases):
    """The cases with everything a ledger row shows, in ledger order."""
    latest = FollowUpEntry.objects.filter(case=OuterRef("pk")).order_by("-recorded_at", "-id")
    return (
        cases.select_related("person", "unit", "regimen", "site", "room")
        .prefetch_related("team", "phases", Prefetch("tests", queryset=CaseTest.objects.order_by("due_on", "id")))
        .annotate(last_temperature=Subquery(latest.values("temperature")[:1]))
        .order_by("unit_path", "id")
    )


def write_ledger(cases, out, user):
    """管控台账 of `cases` (a queryset already restricted to the user's jurisdiction) into `out`;
    returns the number of rows."""
    masked = not user.sees_identity()
    workbook = new_workbook(out)
    sheet = workbook.add_worksheet("管控台账")
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                  "valign": "vcenter", "align": "center"})
    date_cell = workbook.add_format({"num_format": DATE_FORMAT})
    text_cell = workbook.add_format({"num_format": "@"})
    for index, (title, width) in enumerate(LEDGER_COLUMNS):
        sheet.set_column(index, index, width)
        sheet.write_string(0, index, title, header)
    sheet.freeze_panes(1, 0)
    row = 0
    for case in ledger_queryset(cases).iterator(chunk_size=2000):
        row += 1
        person = case.person
        phases = sorted(case.phases.all(), key=lambda phase: phase.index)
        place = ""
        if case.site_id:
            place = case.site.name + (f" {case.room.number}" if case.room_id else "")
        values = [
            row, person.name, person.get_sex_display(),
            mask_id_number(person.id_number) if masked else person.id_number,
            mask_phone(person.phone) if masked else person.phone,
            person.address, case.unit.name, case.get_category_display(), case.regimen.name,
            case.anchor_date, case.arrival_date, case.get_current_measure_display(), place,
            phases[0].first_day if phases else None, case.release_on, case.get_status_display(),
            "；".join(describe_test(test) for test in case.tests.all()),
            "、".join(f"{member.role}{member.name}" for member in case.team.all()),
            f"{Decimal(case.last_temperature):.1f}℃" if case.last_temperature is not None else "",
            case.note,
        ]
        for col, value in enumerate(values):
            _write(sheet, row, col, value, text_cell if col in (3, 4) else None, date_cell)
    sheet.autofilter(0, 0, max(row, 1), len(LEDGER_COLUMNS) - 1)
    workbook.close()
    return row


def sheet_days(case):
    """One dict per day of the case's period (first phase's first day … last phase's last day):
    date, morning and afternoon temperature, symptoms, tests, methods, signatures, notes."""
    phases = list(case.phases.order_by("index"))
    if not phases:
        return []
    first, last = phases[0].first_day, phases[-1].last_day
    days = {}
    day = first
    while day <= last:
        days[day] = {"date": day, "am": None, "pm": None,
                     "symptoms": [], "tests": [], "methods": [], "signed": [], "notes": []}
        day += datetime.timedelta(days=1)
    symptom_labels = dict(FollowUpSymptom.choices)
    entries = case.entries.select_related("slot").order_by("recorded_at", "id")
    for entry in entries:
        local = timezone.localtime(entry.recorded_at)
        day = entry.slot.day if entry.slot_id else local.date()
        if day not in days:
            continue
        start = timezone.localtime(entry.slot.starts_at) if entry.slot_id else local
        slot = days[day]
        slot["pm" if start.hour >= 12 else "am"] = entry.temperature
        for symptom in entry.symptoms:
            label = str(symptom_labels.get(symptom, symptom))
            if label not in slot["symptoms"]:
                slot["symptoms"].append(label)
        method = entry.get_method_display()
        if method not in slot["methods"]:
            slot["methods"].append(method)
        if entry.note:
            slot["notes"].append(entry.note)
    for test in case.tests.order_by("due_on", "id"):
        if test.due_on in days:
            days[test.due_on]["tests"].append(describe_test(test).split(" ", 1)[1])
    signoffs = defaultdict(list)
    for signoff in SignOff.objects.filter(case=case).select_related("member", "signed_by").order_by("signed_at"):
        name = signoff.member.name if signoff.member_id else (
            signoff.signed_by.get_full_name() or signoff.signed_by.username if signoff.signed_by_id else "")
        if name and name not in signoffs[signoff.day]:
            signoffs[signoff.day].append(name)
        if signoff.note:
            signoffs[signoff.day, "note"].append(signoff.note)
    for day, slot in days.items():
        slot["signed"] = signoffs.get(day, [])
        slot["notes"] += signoffs.get((day, "note"), [])
    return list(days.values())


def write_control_sheet(case, out, user):
    """管控表 of one case (fetched through `restrict(user)`): a header, then one row per day."""
    person = case.person
    days = sheet_days(case)
    workbook = new_workbook(out, constant_memory=False)
    sheet = workbook.add_worksheet("管控表")
    title = workbook.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
    label = workbook.add_format({"bold": True})
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "align": "center",
                                  "valign": "vcenter", "text_wrap": True})
    cell = workbook.add_format({"border": 1, "valign": "vcenter", "text_wrap": True})
    date_cell = workbook.add_format({"border": 1, "valign": "vcenter", "num_format": DATE_FORMAT})
    number_cell = workbook.add_format({"border": 1, "valign": "vcenter", "num_format": "0.0", "align": "center"})
    last_col = len(SHEET_COLUMNS) - 1
    for index, (_title, width) in enumerate(SHEET_COLUMNS):
        sheet.set_column(index, index, width)
    sheet.merge_range(0, 0, 0, last_col, f"{person.name} 管控表", title)
    sheet.set_row(0, 28)
    phases = list(case.phases.order_by("index"))
    measures = "→".join(
        f"{phase.get_measure_display()}（{_short(phase.first_day)}—{_short(phase.last_day)}）" for phase in phases
    )
    period = f"{cn_date(days[0]['date'])} 至 {cn_date(days[-1]['date'])}" if days else ""
    facts = [
        ("姓名", person.name), ("管控类别", case.get_category_display()), ("管控方案", case.regimen.name),
        ("管控期限", period), ("管控措施", measures), ("所属网格", case.unit.name),
        ("责任人", "、".join(f"{m.role}{m.name}" for m in case.team.all())),
    ]
    row = 1
    for index in range(0, len(facts), 2):
        for offset, (key, value) in enumerate(facts[index:index + 2]):
            col = offset * 4
            sheet.write_string(row, col, key, label)
            sheet.merge_range(row, col + 1, row, col + 3, value or "")
        row += 1
    header_row = row
    for index, (text, _width) in enumerate(SHEET_COLUMNS):
        sheet.write_string(header_row, index, text, header)
    for day in days:
        row += 1
        sheet.set_row(row, 30)
        sheet.write_datetime(row, 0, day["date"], date_cell)
        for col, key in ((1, "am"), (2, "pm")):
            value = day[key]
            if value is None:
                sheet.write_blank(row, col, None, number_cell)
            else:
                sheet.write_number(row, col, float(value), number_cell)
        texts = ["、".join(day["symptoms"]) or ("无" if day["am"] is not None or day["pm"] is not None else ""),
                 "、".join(day["tests"]), "、".join(day["methods"]), "、".join(day["signed"]),
                 "；".join(day["notes"])]
        for col, text in enumerate(texts, start=3):
            if text:
                sheet.write_string(row, col, text, cell)
            else:
                sheet.write_blank(row, col, None, cell)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    sheet.repeat_rows(header_row)
    sheet.fit_to_pages(1, 0)
    sheet.center_horizontally()
    sheet.set_footer("&C第 &P 页，共 &N 页")
    workbook.close()
    return len(days)

