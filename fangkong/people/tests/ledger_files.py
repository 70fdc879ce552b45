"""Writing small ledgers for the import tests: CSV (any encoding), .xlsx and .xls, and reading
back the rejected rows of an import's error file."""

import csv

import openpyxl
import xlsxwriter
import xlwt

from fangkong.conftest import fictional_id

HEADERS = ["姓名", "身份证号", "性别", "联系电话", "现住址", "所属网格", "户主身份证号", "与户主关系", "人员类别"]


def person_row(seq, name="王五", **cells):
    """A valid row under HEADERS for the fictional person number `seq`."""
    id_number = fictional_id(seq=seq)
    row = {"姓名": name, "身份证号": id_number, "性别": "男" if seq % 2 else "女", "联系电话": "13800138000",
           "现住址": "东门村8号", "所属网格": "", "户主身份证号": "", "与户主关系": "", "人员类别": "常住"}
    row.update(cells)
    return row


def rows_of(headers, rows):
    return [[row.get(h, "") for h in headers] for row in rows]


def write_csv(path, rows, headers=HEADERS, encoding="utf-8-sig"):
    with open(path, "w", encoding=encoding, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(headers)
        writer.writerows(rows_of(headers, rows))
    return path


def write_xlsx(path, rows, headers=HEADERS, numbers=(), title=None):
    """Cells of the `numbers` columns are written as Excel numbers; `title` adds a title row above."""
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    top = 0
    if title:
        sheet.write_string(0, 0, title)
        top = 2
    for col, header in enumerate(headers):
        sheet.write_string(top, col, header)
    for r, row in enumerate(rows_of(headers, rows), start=top + 1):
        for col, (header, value) in enumerate(zip(headers, row)):
            if header in numbers and value != "":
                sheet.write_number(r, col, float(value))
            elif value != "":
                sheet.write_string(r, col, str(value))
    workbook.close()
    return path


def write_xls(path, rows, headers=HEADERS):
    workbook = xlwt.Workbook(encoding="utf-8")
    sheet = workbook.add_sheet("人员")
    for col, header in enumerate(headers):
        sheet.write(0, col, header)
    for r, row in enumerate(rows_of(headers, rows), start=1):
        for col, value in enumerate(row):
            sheet.write(r, col, value)
    workbook.save(str(path))
    return path


def rejected_rows(batch):
    """{original row number: reason} from the batch's error file."""
    with batch.error_file.open("rb") as f:
        sheet = openpyxl.load_workbook(f).active
        rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    number, reason = header.index("原文件行号"), header.index("错误原因")
    return {row[number]: row[reason] for row in rows[1:]}
