"""The daily report as the summary table people paste into their reports (日报汇总表.xlsx):
one row per child unit and a total row, the items as columns (当日/累计 where both apply), then
the filing counts. A ratio is a percentage cell (87.5%); the total row's ratio is the unit's own,
worked out from its totals, not a sum of the rows above."""

import io

import xlsxwriter

from fangkong.lib.dates import cn_date

from ..models import ItemKind
from .completeness import children_completeness, rate
from .daily import children_rows

RATIO = "ratio"  # the part of a ratio column: a percentage cell


def _columns(form):
    columns = []
    for item in form.items:
        if item["kind"] == ItemKind.TEXT:
            continue
        label = item["label"] + (f"（{item['unit']}）" if item.get("unit") else "")
        if item["kind"] == ItemKind.RATIO:
            columns.append((label, item["code"], RATIO))
            continue
        both = item.get("measure") == "both" or (item["kind"] == ItemKind.NUMBER and item.get("accumulate"))
        if both:
            columns.append((f"{label}\n当日新增", item["code"], "new"))
            columns.append((f"{label}\n累计", item["code"], "cumulative"))
        else:
            columns.append((label, item["code"], None))
    return columns


def _cell(values, code, part):
    value = values.get(code)
    if part == RATIO:
        return value / 100 if isinstance(value, int | float) else "—"
    if isinstance(value, dict):
        return value.get(part or "new", 0)
    return value if value is not None else 0


def _write_items(sheet, row, columns, values, style, percent):
    for column, (_label, code, part) in enumerate(columns, start=1):
        value = _cell(values, code, part)
        sheet.write(row, column, value, percent if part == RATIO and value != "—" else style)


def daily_xlsx(report, unit, day, form, as_of):
    """The .xlsx bytes of `report` (from `daily_report`) with a row per child unit."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("日报汇总")
    title = book.add_format({"bold": True, "font_size": 14, "align": "center", "font_name": "宋体"})
    head = book.add_format({"bold": True, "border": 1, "text_wrap": True, "align": "center", "valign": "vcenter",
                            "bg_color": "#F2F2F2", "font_name": "宋体"})
    cell = book.add_format({"border": 1, "font_name": "宋体"})
    total = book.add_format({"border": 1, "bold": True, "font_name": "宋体"})
    percent = book.add_format({"border": 1, "font_name": "宋体", "num_format": "0.0%"})
    total_percent = book.add_format({"border": 1, "bold": True, "font_name": "宋体", "num_format": "0.0%"})
    columns = _columns(form)
    headers = ["单位"] + [label for label, _code, _part in columns] + ["应报", "已报", "按时报", "及时率(%)", "未报单位"]
    sheet.merge_range(0, 0, 0, len(headers) - 1, f"{unit.name}{form.name}汇总表（{cn_date(day)}）", title)
    sheet.write_string(1, 0, f"统计截至：{report['as_of_text']}")
    sheet.write_row(2, 0, headers, head)
    sheet.set_row(2, 42)
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, len(headers) - 2, 11)
    sheet.set_column(len(headers) - 1, len(headers) - 1, 30)
    counts = dict(
        (child.pk, row) for child, row in children_completeness(form, unit, day)
    )
    row = 3
    for child, values in children_rows(unit, day, form, as_of):
        done = counts.get(child.pk, {"expected": 0, "received": 0, "on_time": 0})
        sheet.write_string(row, 0, child.name, cell)
        _write_items(sheet, row, columns, values, cell, percent)
        sheet.write_row(row, len(columns) + 1, [
            done["expected"], done["received"], done["on_time"], rate(done["on_time"], done["expected"]) or 0,
        ], cell)
        row += 1
    done = report["completeness"]
    sheet.write_string(row, 0, f"{unit.name}合计", total)
    _write_items(sheet, row, columns, report["items"], total, total_percent)
    sheet.write_row(row, len(columns) + 1, [
        done["expected"], done["received"], done["on_time"], rate(done["on_time"], done["expected"]) or 0,
    ], total)
    sheet.write_string(row, len(columns) + 5, "、".join(done["missing"]), total)
    sheet.freeze_panes(3, 1)
    book.close()
    return buffer.getvalue()
