"""Writing ledgers with XlsxWriter: streamed, and never a formula from a cell's text.

A ledger cell that starts with =, +, - or @ is someone's data (or an attack on whoever opens
the file), so every string is written as a string and XlsxWriter's guessing is off.
"""

import datetime

import xlsxwriter

from .columns import COLUMNS


def new_workbook(out):
    """A workbook on a path or a binary file object, written row by row in constant memory."""
    return xlsxwriter.Workbook(
        out,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )


class LedgerSheet:
    """A worksheet written one row at a time. `columns` gives, for each header, its ledger
    column (or None for a column the ledger does not know): width, text format, required mark."""

    def __init__(self, workbook, name, headers, columns=COLUMNS):
        self.sheet = workbook.add_worksheet(name)
        header_format = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        required_format = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "font_color": "#C00000"})
        self.date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
        text_format = workbook.add_format({"num_format": "@"})
        for index, column in enumerate(columns):
            if column is not None:
                self.sheet.set_column(index, index, column.width, text_format if column.text else None)
        for index, header in enumerate(headers):
            column = columns[index] if index < len(columns) else None
            self.sheet.write_string(0, index, str(header), required_format if column and column.required else header_format)
        self.sheet.freeze_panes(1, 0)
        self.row = 1

    def write_row(self, cells, cell_format=None):
        """Write the next row; returns its index."""
        row = self.row
        for index, value in enumerate(cells):
            write_cell(self.sheet, row, index, value, cell_format, self.date_format)
        self.row += 1
        return row


def write_cell(sheet, row, col, value, cell_format=None, date_format=None):
    if value is None or value == "":
        return
    if isinstance(value, str):
        sheet.write_string(row, col, value, cell_format)
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value, cell_format)
    elif isinstance(value, (int, float)):
        sheet.write_number(row, col, value, cell_format)
    elif isinstance(value, (datetime.date, datetime.datetime)):
        sheet.write_datetime(row, col, value, date_format)
    else:
        sheet.write_string(row, col, str(value), cell_format)
