"""Importing a list of risk areas (.xlsx, .xls, .csv) as it is published from above:
风险等级, 地区名称, 区划代码 (optional when the name resolves), 生效日期, 解除日期.
Every row is checked first; one bad row and nothing is written (all-or-nothing)."""

import datetime
import re
import unicodedata
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fangkong.people.services.columns import CellError, cell_text, is_blank, parse_date
from fangkong.people.services.sheets import LedgerError, open_sheet

from .models import RiskLevel
from .services import normalise_division_code, resolve_place, save_area

COLUMNS = {
    "level": ("风险等级", "等级", "风险级别"),
    "name": ("地区名称", "地区", "风险地区", "名称"),
    "division_code": ("区划代码", "行政区划代码", "代码"),
    "effective_from": ("生效日期", "开始日期", "公布日期"),
    "effective_to": ("解除日期", "结束日期"),
    "local_cases": ("有本土病例", "本土病例", "有本土病例报告"),
    "source": ("依据", "来源", "文号"),
}
HEADERS = {header: key for key, names in COLUMNS.items() for header in names}
REQUIRED = ("level", "name", "effective_from")
LEVELS = {"高": RiskLevel.HIGH, "高风险": RiskLevel.HIGH, "高风险地区": RiskLevel.HIGH, "HIGH": RiskLevel.HIGH,
          "中": RiskLevel.MEDIUM, "中风险": RiskLevel.MEDIUM, "中风险地区": RiskLevel.MEDIUM,
          "MEDIUM": RiskLevel.MEDIUM, "低": RiskLevel.LOW, "低风险": RiskLevel.LOW, "低风险地区": RiskLevel.LOW,
          "LOW": RiskLevel.LOW}
YES = {"是", "有", "Y", "YES", "1", "TRUE", "√"}
NO = {"否", "无", "N", "NO", "0", "FALSE", "×"}
FAR_FUTURE = datetime.date(9999, 12, 31)


def _header(value):
    text = unicodedata.normalize("NFKC", str(value or ""))
    return re.sub(r"[\s*]|\([^)]*\)", "", text)


def map_header(cells):
    mapping = {}
    for index, cell in enumerate(cells):
        key = HEADERS.get(_header(cell))
        if key and key not in mapping:
            mapping[key] = index
    return mapping


def is_header(cells):
    mapping = map_header(cells)
    return all(key in mapping for key in REQUIRED)


@dataclass
class AreaImportResult:
    rows: int = 0
    created: int = 0
    errors: list = field(default_factory=list)  # [{"row": 3, "column": "风险等级", "message": "..."}]

    @property
    def ok(self):
        return not self.errors


def _label(key):
    return COLUMNS[key][0]


def _parse_row(row_no, cells, mapping):
    errors, values = [], {}

    def raw(key):
        index = mapping.get(key)
        return cells[index] if index is not None and index < len(cells) else None

    def fail(key, message):
        errors.append({"row": row_no, "column": _label(key), "message": str(message)})

    level = unicodedata.normalize("NFKC", cell_text(raw("level"))).upper()
    if not level:
        fail("level", _("必填"))
    elif level not in LEVELS:
        fail("level", _("风险等级应填写“高风险”“中风险”或“低风险”"))
    else:
        values["level"] = LEVELS[level]
    name = cell_text(raw("name"))
    if not name:
        fail("name", _("必填"))
    elif len(name) > 100:
        fail("name", _("地区名称不能超过100个字"))
    values["name"] = name
    code = cell_text(raw("division_code"))
    if code:
        try:
            values["division_code"] = normalise_division_code(code)[0]
        except ValidationError as error:
            fail("division_code", error.messages[0])
    elif name:
        resolved = resolve_place(name)
        if resolved:
            try:
                values["division_code"] = normalise_division_code(resolved)[0]
            except ValidationError:
                resolved = ""
        if not resolved:
            fail("division_code", _("无法从地区名称“%(name)s”识别区划代码，请填写区划代码") % {"name": name})
    for key in ("effective_from", "effective_to"):
        cell = raw(key)
        if is_blank(cell):
            if key == "effective_from":
                fail(key, _("必填"))
            values[key] = None
            continue
        try:
            values[key] = parse_date(cell, today=FAR_FUTURE)
        except CellError as error:
            fail(key, str(error))
    if values.get("effective_from") and values.get("effective_to") and values["effective_to"] < values["effective_from"]:
        fail("effective_to", _("解除日期不能早于生效日期"))
    local = unicodedata.normalize("NFKC", cell_text(raw("local_cases"))).upper()
    if local and local not in YES | NO:
        fail("local_cases", _("应填写“是”或“否”"))
    values["local_cases"] = local not in NO
    values["source"] = cell_text(raw("source"))[:200]
    return values, errors


def import_areas(path, *, by=None):
    """Read and check every row; write all of them in one transaction, or none."""
    result = AreaImportResult()
    try:
        sheet = open_sheet(path, is_header)
        mapping = map_header(sheet.header)
        parsed = []
        for row_no, cells in sheet.rows():
            cells = list(cells)
            if all(is_blank(cell) for cell in cells):
                continue
            result.rows += 1
            values, errors = _parse_row(row_no, cells, mapping)
            result.errors.extend(errors)
            if not errors:
                parsed.append(values)
    except LedgerError as error:
        message = str(error)
        if message.startswith("找不到表头"):
            message = _("找不到表头：表格中需要有「风险等级」「地区名称」「生效日期」列")
        result.errors.append({"row": None, "column": "", "message": message})
        return result
    if not result.rows and not result.errors:
        result.errors.append({"row": None, "column": "", "message": _("文件中没有数据行")})
    if result.errors:
        return result
    with transaction.atomic():
        for values in parsed:
            save_area(by=by, **values)
            result.created += 1
    return result
