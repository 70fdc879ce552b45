"""The persons ledger template (人员台账模板): headers, an example row, drop-downs where the
values are fixed, text format on the number columns, and a sheet explaining each column."""

from django.utils.translation import gettext as _

from .columns import COLUMNS, EXAMPLE_ROW
from .xlsx import LedgerSheet, new_workbook

# Drop-downs and text format reach this far down (Excel's last row).
LAST_ROW = 1_048_575


def write_persons_template(out):
    """Write the template to `out` (a path or a binary file object)."""
    workbook = new_workbook(out)
    sheet = LedgerSheet(workbook, _("人员台账"), [column.header for column in COLUMNS])
    for index, column in enumerate(COLUMNS):
        if column.choices:
            sheet.sheet.data_validation(1, index, LAST_ROW, index, {
                "validate": "list",
                "source": list(column.choices),
                "error_type": "stop" if column.strict_choices else "information",
                "error_title": column.header,
                "error_message": _("请从下拉列表中选择：%(choices)s") % {"choices": "、".join(column.choices)},
            })
        if column.note:
            sheet.sheet.write_comment(0, index, str(column.note))
    # Text format, so that a user typing over the example keeps long numbers as text.
    example_format = workbook.add_format({"italic": True, "font_color": "#808080", "num_format": "@"})
    sheet.write_row([EXAMPLE_ROW.get(column.key, "") for column in COLUMNS], example_format)
    _write_instructions(workbook)
    workbook.close()


def _write_instructions(workbook):
    sheet = workbook.add_worksheet(_("填写说明"))
    bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    sheet.set_column(0, 0, 14)
    sheet.set_column(1, 1, 8)
    sheet.set_column(2, 2, 60)
    sheet.set_column(3, 3, 40)
    for col, title in enumerate([_("列名"), _("必填"), _("说明"), _("可填写的值")]):
        sheet.write_string(0, col, title, bold)
    for row, column in enumerate(COLUMNS, start=1):
        aliases = _("表头也可写作：%(names)s") % {"names": "、".join(column.aliases)} if column.aliases else ""
        sheet.write_string(row, 0, column.header, wrap)
        sheet.write_string(row, 1, _("是") if column.required else "", wrap)
        sheet.write_string(row, 2, "\n".join(filter(None, [str(column.note), aliases])), wrap)
        sheet.write_string(row, 3, "、".join(column.choices), wrap)
    notes = [
        _("每行一人，第一行是表头；第2行灰色斜体是示例，导入时会跳过，可以删除。"),
        _("导入时先检查全部行：有错误的行不导入，其余行一次写入；错误行连同错误原因可下载，改正后再次导入。"),
        _("同一证件号码只登记一人：再次导入同一文件不会重复登记，只更新有变化的人员；空白单元格不会清除已登记的信息。"),
    ]
    for offset, note in enumerate(notes, start=len(COLUMNS) + 2):
        sheet.write_string(offset, 0, note)
