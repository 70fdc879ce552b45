"""Importing lab results from the files labs send (.csv in UTF-8 or GB18030, .xlsx, .xls), read
with the people ledger's sheet reader. Columns are recognised by their usual Chinese headers
(试管条码/管码/条码, 检测结果/结果, ORF1ab/ORF1ab Ct/ORF Ct, N/N基因 Ct, 检测时间/报告时间);
every row is checked by `lab.record_results`, which writes all rows or none."""

from pathlib import Path

from django.utils.translation import gettext as _

from fangkong.people.services.columns import cell_text, is_blank, normalise_header
from fangkong.people.services.sheets import LedgerError, open_sheet

from .lab import ResultRowsError, empty_counts, record_results

COLUMNS = {
    "barcode": ("试管条码", "管码", "条码", "试管编码", "采样管条码", "样本条码", "样本编号", "管号"),
    "result": ("检测结果", "结果", "核酸结果", "核酸检测结果"),
    "ORF1ab": ("ORF1ab", "ORF1abCt", "ORFCt", "ORF1ab基因", "ORF1ab基因Ct", "ORF1abCt值", "ORFCt值"),
    "N": ("N", "NCt", "N基因", "N基因Ct", "NCt值", "N基因Ct值"),
    "tested_at": ("检测时间", "报告时间", "结果时间", "检测日期", "报告日期"),
}
CT_TARGETS = ("ORF1ab", "N")
HEADERS = {normalise_header(name).upper(): key for key, names in COLUMNS.items() for name in names}
REQUIRED = ("barcode", "result")


def map_header(cells):
    """{column key: index}; the first of two synonyms wins."""
    mapping = {}
    for index, cell in enumerate(cells):
        key = HEADERS.get(normalise_header(cell).upper())
        if key and key not in mapping:
            mapping[key] = index
    return mapping


def is_header(cells):
    mapping = map_header(cells)
    return all(key in mapping for key in REQUIRED)


def read_rows(path):
    """(rows, row numbers, {field: header as written}) of the file at `path`; LedgerError when it
    cannot be read or has no header."""
    try:
        sheet = open_sheet(path, is_header)
    except LedgerError as error:
        if str(error).startswith("找不到表头"):
            raise LedgerError(_("找不到表头：表格中需要有「试管条码」和「检测结果」列")) from None
        raise
    mapping = map_header(sheet.header)
    headers = {key: cell_text(sheet.header[index]) for key, index in mapping.items()}
    rows, numbers = [], []
    for row_no, cells in sheet.rows():
        cells = list(cells)
        if all(is_blank(cell) for cell in cells):
            continue

        def cell(key):
            index = mapping.get(key)
            return cells[index] if index is not None and index < len(cells) else None

        rows.append({
            "barcode": cell("barcode"), "result": cell("result"), "tested_at": cell("tested_at"),
            "ct_values": {target: cell(target) for target in CT_TARGETS if not is_blank(cell(target))},
        })
        numbers.append(row_no)
    return rows, numbers, headers


def import_results(path, user, now, file_name=None):
    """Import the results in the file at `path` (see `lab.record_results`): returns the counts,
    or raises ResultRowsError — nothing written — with each error's row number and column as
    the file shows them."""
    name = file_name or Path(path).name
    try:
        rows, numbers, headers = read_rows(path)
    except LedgerError as error:
        raise ResultRowsError([{"row": None, "field": "", "column": "", "message": str(error)}],
                              empty_counts()) from None
    if not rows:
        raise ResultRowsError([{"row": None, "field": "", "column": "", "message": _("文件中没有数据行")}],
                              empty_counts())
    try:
        return record_results(rows, user, now, source=name[:20], row_numbers=numbers)
    except ResultRowsError as error:
        for item in error.errors:
            if item["field"] in headers:
                item["column"] = headers[item["field"]]
        raise
