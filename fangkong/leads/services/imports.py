"""Importing pushed lists (大数据推送) and assistance letters (协查函) from .xlsx/.xls/.csv,
read with the people ledger's sheet reader. Every row is validated first (same rules as every
other way in: lib.idnumbers, lib.phones, dates); rejected rows are reported by row number,
column and reason; the valid rows are created in one transaction, so a failure writes none.
A `LeadBatch` records the import."""

import re
import unicodedata
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from fangkong.leads.models import LeadBatch
from fangkong.people.services.columns import cell_text, is_blank
from fangkong.people.services.sheets import LedgerError, open_sheet

from .intake import LABELS, clean_lead_data, create_lead

COLUMNS = {
    "name": ("姓名", "人员姓名", "名字"),
    "id_type": ("证件类型", "证件种类"),
    "id_number": ("身份证号", "证件号码", "身份证号码", "证件号", "公民身份号码"),
    "phone": ("联系电话", "手机号", "手机号码", "电话", "联系方式"),
    "address": ("现住址", "住址", "现居住地址", "居住地址", "家庭住址"),
    "origin": ("来自地区", "出发地", "来源地", "来自", "旅居地"),
    "departed_on": ("离开日期", "离开风险地区日期", "出发日期"),
    "arrived_on": ("抵达日期", "到达日期", "返乡日期", "抵达时间"),
    "last_exposure_on": ("末次暴露日期", "末次接触日期", "最后接触日期"),
    "reason": ("线索内容", "推送原因", "协查事由", "备注"),
    "category": ("建议管控类别", "人员类别", "管控类别"),
    "route": ("行程轨迹", "行程"),
    "reported_by": ("来源单位", "推送单位", "协查单位"),
}
HEADERS = {header: key for key, names in COLUMNS.items() for header in names}
NO_HEADER = gettext_lazy("找不到表头：表格中需要有「姓名」以及「身份证号/证件号码」或「联系电话」列")


def _normalise(value):
    text = unicodedata.normalize("NFKC", str(value or ""))
    return re.sub(r"[\s*]|\([^)]*\)", "", text)


def map_header(cells):
    mapping = {}
    for index, cell in enumerate(cells):
        key = HEADERS.get(_normalise(cell))
        if key and key not in mapping:
            mapping[key] = index
    return mapping


def is_header(cells):
    mapping = map_header(cells)
    return "name" in mapping and ("id_number" in mapping or "phone" in mapping)


def import_leads(path, *, source, unit, now, by=None, file_name=None, reference=""):
    """Import the list at `path` into `unit` (the receiving unit; each lead is routed from
    there). Returns the LeadBatch; raises LedgerError when the file cannot be read at all."""
    try:
        sheet = open_sheet(path, is_header)
    except LedgerError as error:
        if str(error).startswith("找不到表头"):
            raise LedgerError(str(NO_HEADER)) from None
        raise
    mapping = map_header(sheet.header)
    headers = {key: cell_text(sheet.header[index]) for key, index in mapping.items()}
    today = timezone.localdate(now)
    valid, errors, rows = [], [], 0
    for row_no, cells in sheet.rows():
        cells = list(cells)
        if all(is_blank(cell) for cell in cells):
            continue
        rows += 1
        data = {key: cells[index] if index < len(cells) else None for key, index in mapping.items()}
        try:
            cleaned = clean_lead_data(data, today)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                for message in messages:
                    errors.append({"row": row_no, "column": headers.get(field, LABELS.get(field, field)),
                                   "message": message})
            continue
        payload = {headers.get(key, key): cell_text(value) for key, value in data.items()}
        valid.append((row_no, cleaned, payload))
    with transaction.atomic():
        batch = LeadBatch.objects.create(
            source=source, unit=unit, file_name=(file_name or Path(path).name)[:200], reference=reference[:100],
            uploaded_by=by, rows=rows, created=len(valid), rejected=rows - len(valid), errors=errors,
        )
        for row_no, cleaned, payload in valid:
            create_lead(source, unit, {}, now, by=by, batch=batch, payload={**payload, "_row": row_no},
                        cleaned=cleaned)
    return batch
