"""Reading ledger files row by row: Excel (.xlsx, .xls) through python-calamine, CSV in
UTF-8 (with or without BOM), UTF-16 (Excel's "Unicode text") or GB18030.

A `Sheet` can be read more than once (`rows()` reopens the file), so the importer can go
back for the original cells of the few rows the database rejects instead of keeping
every row in memory. Calamine loads a whole worksheet into its own compact (Rust) memory
before the first row comes out (about 1.6 GB for a million-row ledger), so a large .xlsx is
read with openpyxl's read-only mode instead, which parses the sheet as it goes: about ten
times slower, but memory stays flat.
"""

import codecs
import csv
from pathlib import Path

from django.utils.translation import gettext as _
from openpyxl import load_workbook
from python_calamine import CalamineError, CalamineWorkbook, PasswordError, SheetTypeEnum

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
# A header is looked for among the first rows, below any title rows ("东门村人员台账").
HEADER_SEARCH_ROWS = 20
# Above this size an .xlsx is streamed (about 200,000 rows; calamine would hold ~300 MB).
STREAM_XLSX_ABOVE_BYTES = 16 * 1024 * 1024


class LedgerError(Exception):
    """A ledger file that cannot be read at all; the message is for the user (Chinese)."""


def _csv_encoding(path):
    """UTF-8 (BOM or not) when the whole file decodes as UTF-8, else GB18030 (WPS/Excel on Chinese Windows)."""
    with open(path, "rb") as f:
        start = f.read(4)
        if start.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        f.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := f.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"
    return "utf-8"


class Sheet:
    """One table of a ledger file: its header row and its data rows.

    `rows()` yields `(row_no, cells)` for the rows below the header, `row_no` being the row
    number a user sees in Excel (or the record number in a CSV file)."""

    def __init__(self, path, header_row_no, header, column_offset=0):
        self.path = path
        self.header_row_no = header_row_no
        self.header = header
        self.column_offset = column_offset

    def rows(self):
        for row_no, cells in self._all_rows():
            if row_no > self.header_row_no:
                yield row_no, cells

    def _all_rows(self):
        raise NotImplementedError


class CsvSheet(Sheet):
    def __init__(self, path, encoding, delimiter, *args):
        self.encoding = encoding
        self.delimiter = delimiter
        super().__init__(path, *args)

    def _all_rows(self):
        with open(self.path, encoding=self.encoding, newline="") as f:
            try:
                yield from enumerate(csv.reader(f, delimiter=self.delimiter), start=1)
            except (csv.Error, UnicodeDecodeError) as error:
                raise LedgerError(_("CSV文件格式有误，无法继续读取：%(error)s") % {"error": error}) from None


class ExcelSheet(Sheet):
    def __init__(self, path, sheet_index, loaded, *args):
        self.sheet_index = sheet_index
        # The worksheet as calamine read it while looking for the header: the first pass uses
        # it rather than reading the file again, and lets it go.
        self.loaded = loaded
        super().__init__(path, *args)

    def _all_rows(self):
        sheet, self.loaded = self.loaded, None
        if sheet is None:
            with CalamineWorkbook.from_path(self.path) as workbook:
                sheet = workbook.get_sheet_by_index(self.sheet_index)
        # Calamine yields rows from the sheet's first row, cells from its first used column.
        yield from enumerate(sheet.iter_rows(), start=1)


class StreamedXlsxSheet(Sheet):
    def _all_rows(self):
        workbook = load_workbook(self.path, read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            yield from enumerate(sheet.iter_rows(min_row=1, min_col=1 + self.column_offset, values_only=True), start=1)
        finally:
            workbook.close()


def open_sheet(path, is_header):
    """Open the ledger at `path` and find its header with `is_header(cells)`.

    Raises LedgerError when the file is missing, is not a spreadsheet, or has no header."""
    path = Path(path)
    if not path.is_file():
        raise LedgerError(_("找不到文件：%(name)s") % {"name": path.name})
    with open(path, "rb") as f:
        magic = f.read(8)
    if not magic:
        raise LedgerError(_("文件是空的"))
    if magic.startswith(XLSX_MAGIC) and path.stat().st_size > STREAM_XLSX_ABOVE_BYTES:
        return _open_streamed_xlsx(path, is_header)
    if magic.startswith(XLSX_MAGIC) or magic.startswith(XLS_MAGIC):
        return _open_excel(path, is_header)
    if path.suffix.lower() in EXCEL_SUFFIXES:
        raise LedgerError(_("文件已损坏或不是Excel文件，请用Excel另存为.xlsx后重新导入"))
    return _open_csv(path, is_header)


def _open_excel(path, is_header):
    try:
        with CalamineWorkbook.from_path(path) as workbook:
            for index, meta in enumerate(workbook.sheets_metadata):
                if meta.typ != SheetTypeEnum.WorkSheet:
                    continue
                sheet = workbook.get_sheet_by_index(index)
                offset = sheet.start[1] if sheet.start else 0
                for row_no, cells in enumerate(sheet.iter_rows(), start=1):
                    if row_no > HEADER_SEARCH_ROWS:
                        break
                    if is_header(cells):
                        return ExcelSheet(path, index, sheet, row_no, list(cells), offset)
    except PasswordError:
        raise LedgerError(_("文件设置了密码，请取消密码后重新导入")) from None
    except (CalamineError, OSError, ValueError) as error:
        raise LedgerError(_("无法读取Excel文件（%(error)s），请用Excel另存为.xlsx后重新导入") % {"error": error}) from None
    raise LedgerError(_("找不到表头：表格中需要有「姓名」和「证件号码」（或「身份证号」）列"))


def _open_streamed_xlsx(path, is_header):
    probe = StreamedXlsxSheet(path, 0, [])
    try:
        for row_no, cells in probe._all_rows():
            if row_no > HEADER_SEARCH_ROWS:
                break
            if is_header(cells):
                return StreamedXlsxSheet(path, row_no, list(cells))
    except (OSError, ValueError, KeyError) as error:
        raise LedgerError(_("无法读取Excel文件（%(error)s），请用Excel另存为.xlsx后重新导入") % {"error": error}) from None
    raise LedgerError(_("找不到表头：表格中需要有「姓名」和「证件号码」（或「身份证号」）列"))


def _open_csv(path, is_header):
    encoding = _csv_encoding(path)
    try:
        with open(path, encoding=encoding, newline="") as f:
            first_line = f.readline()
    except UnicodeDecodeError:
        raise LedgerError(_("不是Excel或CSV文件")) from None
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    probe = CsvSheet(path, encoding, delimiter, 0, [])
    try:
        for row_no, cells in probe._all_rows():
            if row_no > HEADER_SEARCH_ROWS:
                break
            if is_header(cells):
                return CsvSheet(path, encoding, delimiter, row_no, cells)
    except LedgerError:
        raise LedgerError(_("不是Excel或CSV文件")) from None
    raise LedgerError(_("找不到表头：表格中需要有「姓名」和「证件号码」（或「身份证号」）列"))
