"""Importing doses from vaccination lists (接种名单: .xlsx, .xls, .csv in UTF-8 or GB18030), read
with the people ledger's sheet reader.

Columns are recognised by the headers lists use (`COLUMNS`); the product may be named in a
疫苗名称 column, a 生产企业 column or both, by any spelling in the product's aliases; 剂次 may be
1, 第1剂, 第一针 or 加强针 (the dose after the full course of the person's first product).

Every row is checked first; the list is written only when no row has an error, in one
transaction (all or nothing). People are matched by ID number among the persons of the
importing user's jurisdiction: someone not registered there must be entered in the persons
ledger first. A dose already on record with the same product and date is unchanged (re-importing
a list changes nothing); with a different product or date it is an error unless `replace`.
Lookups and writes are set-based (chunked `IN` queries, bulk_create/bulk_update), so a list of
100,000 rows takes a few dozen queries. The import is recorded as a people.ImportBatch
(kind "vaccination").
"""

import datetime
import functools
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.orgs.jurisdiction import jurisdiction_paths
from fangkong.orgs.models import Unit
from fangkong.people.models import ImportBatch, Person, with_id_number
from fangkong.people.services import columns as cols
from fangkong.people.services.columns import CellError, cell_text, is_blank, normalise_header
from fangkong.people.services.sheets import LedgerError, open_sheet

from ..models import Dose, Product

COLUMNS = {
    "name": ("姓名", "受种者姓名", "受种者", "人员姓名"),
    "id_number": ("身份证号", "身份证号码", "证件号码", "证件号", "公民身份号码", "身份证", "受种者证件号码"),
    "product": ("疫苗名称", "疫苗", "疫苗品种", "疫苗种类", "接种疫苗"),
    "manufacturer": ("生产企业", "疫苗厂家", "生产厂家", "厂家", "疫苗生产企业"),
    "dose": ("剂次", "针次", "接种剂次", "接种针次", "第几剂", "剂次针次"),
    "given_on": ("接种日期", "接种时间", "接种日"),
    "site": ("接种单位", "接种点", "接种地点", "接种门诊", "接种机构"),
    "batch_number": ("疫苗批号", "批号", "疫苗批次"),
}
LABELS = {"name": "姓名", "id_number": "身份证号", "product": "疫苗名称", "manufacturer": "生产企业",
          "dose": "剂次", "given_on": "接种日期", "site": "接种单位", "batch_number": "疫苗批号"}
HEADERS = {normalise_header(name).upper(): key for key, names in COLUMNS.items() for name in names}
CHUNK = 2000  # keys per IN query, below SQLite's parameter limit
MAX_DOSE = 6
# The first COVID-19 vaccines were given in China under emergency use in mid-2020.
FIRST_DAY = datetime.date(2020, 6, 1)
CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_DOSE = re.compile(r"^第?([0-9一二两三四五六])(?:剂次|针次|剂|针)?$")
_DATE_WITH_TIME = re.compile(r"^(.+?)[\sT]+\d{1,2}[:：]\d{2}(?:[:：]\d{2})?$")


class DoseImportError(Exception):
    """The list was not imported: `errors` are {"row", "field", "column", "message"} (Chinese),
    `batch` the recorded ImportBatch."""

    def __init__(self, errors, batch=None):
        super().__init__("；".join(_describe(error) for error in errors[:5]))
        self.errors = errors
        self.batch = batch


def _describe(error):
    where = []
    if error.get("row"):
        where.append(_("第%(row)s行") % {"row": error["row"]})
    if error.get("column"):
        where.append(f"「{error['column']}」")
    return "".join(where) + ("：" if where else "") + error["message"]


def describe_errors(errors):
    """One line per error, as the command prints them."""
    return [_describe(error) for error in errors]


def map_header(cells):
    mapping = {}
    for index, cell in enumerate(cells):
        key = HEADERS.get(normalise_header(cell).upper())
        if key and key not in mapping:
            mapping[key] = index
    return mapping


def is_header(cells):
    mapping = map_header(cells)
    return all(key in mapping for key in ("id_number", "dose", "given_on")) and (
        "product" in mapping or "manufacturer" in mapping)


def _normal(text):
    return re.sub(r"[\s]", "", unicodedata.normalize("NFKC", text)).upper()


class ProductResolver:
    """Product and manufacturer cells to a product. A spelling (name, manufacturer, code or alias)
    that belongs to one product only names it; the shared name of the three inactivated vaccines
    names none of them alone, so a list must then give the manufacturer."""

    def __init__(self, products):
        owners = defaultdict(set)
        for product in products:
            for spelling in (product.code, product.name, product.manufacturer, *product.aliases):
                if spelling and len(_normal(spelling)) >= 2:
                    owners[_normal(spelling)].add(product.pk)
        self.products = {product.pk: product for product in products}
        self.owners = owners
        self.cache = {}

    def resolve(self, text):
        key = _normal(text)
        if key not in self.cache:
            self.cache[key] = self._resolve(key, text)
        result = self.cache[key]
        if isinstance(result, str):
            raise CellError(result)
        return result

    def _resolve(self, key, text):
        matched = {spelling: owners for spelling, owners in self.owners.items() if spelling in key}
        if key in self.owners and len(self.owners[key]) == 1:
            return self.products[next(iter(self.owners[key]))]
        distinct = set().union(*(owners for owners in matched.values() if len(owners) == 1)) if matched else set()
        if len(distinct) == 1:
            return self.products[distinct.pop()]
        if len(distinct) > 1:
            names = "、".join(sorted(f"{p.name}（{p.manufacturer}）" for pk, p in self.products.items() if pk in distinct))
            return _("疫苗“%(text)s”同时符合%(names)s，请只填写一种") % {"text": text, "names": names}
        if matched:
            return _("疫苗“%(text)s”不能确定是哪家企业生产的，请填写生产企业（如北京生物、北京科兴、武汉生物）") % {"text": text}
        return _("无法识别的疫苗“%(text)s”，请填写疫苗名称和生产企业（如北京科兴、智飞龙科马、康希诺）") % {"text": text}


BOOSTER = "booster"


def parse_dose(raw):
    """A dose number 1–6, or (BOOSTER, n) for the n-th booster (加强针 alone is the first)."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if float(raw).is_integer() and 1 <= raw <= MAX_DOSE:
            return int(raw)
        raise CellError(_("剂次应为1至%(n)s") % {"n": MAX_DOSE})
    text = _normal(cell_text(raw))
    if "加强" in text:
        rest = text.replace("加强免疫", "").replace("加强针", "").replace("加强", "")
        if not rest:
            return BOOSTER, 1
        match = _DOSE.match(rest)
        if match:
            number = match.group(1)
            return BOOSTER, int(number) if number.isdigit() else CN_DIGITS[number]
        raise CellError(_("无法识别的剂次“%(text)s”，请写成1、第2剂、第三针或加强针") % {"text": cell_text(raw)})
    match = _DOSE.match(text)
    if not match:
        raise CellError(_("无法识别的剂次“%(text)s”，请写成1、第2剂、第三针或加强针") % {"text": cell_text(raw)})
    number = match.group(1)
    value = int(number) if number.isdigit() else CN_DIGITS[number]
    if not 1 <= value <= MAX_DOSE:
        raise CellError(_("剂次应为1至%(n)s") % {"n": MAX_DOSE})
    return value


def parse_given_on(raw, today):
    """2021-05-01, 2021/5/1, 2021年5月1日, 20210501, an Excel date — a time of day is ignored."""
    if isinstance(raw, str):
        match = _DATE_WITH_TIME.match(raw.strip())
        if match:
            raw = match.group(1)
    try:
        value = cols.parse_date(raw, today)
    except CellError as error:
        if str(error) == _("日期不合理"):
            raise CellError(_("接种日期不能晚于今天")) from None
        raise
    if value < FIRST_DAY:
        raise CellError(_("接种日期早于新冠疫苗开始接种的时间（2020年6月）"))
    return value


@functools.lru_cache(maxsize=200_000)
def parse_id_number(raw):
    """The ID number of a row; a list repeats it on every dose of a person, so it is checked once."""
    text = cell_text(raw)
    looks_resident = isinstance(raw, (int, float)) or (len(text) in (15, 18) and text[:15].isdigit())
    return cols.parse_resident_id(raw) if looks_resident else cols.parse_other_id(raw)


@dataclass
class Row:
    row_no: int
    id_number: str
    name: str
    product: Product
    dose: object  # int, or (BOOSTER, n) until the person is known
    given_on: datetime.date
    site: str
    batch_number: str
    person: dict = field(default=None)


def read_rows(path, today, products):
    """(rows, errors, headers, number of data rows): every data row parsed, or its errors."""
    try:
        sheet = open_sheet(path, is_header)
    except LedgerError as error:
        if str(error).startswith("找不到表头"):
            raise LedgerError(_("找不到表头：接种名单中需要有「身份证号」「疫苗名称」（或「生产企业」）「剂次」和「接种日期」列")) from None
        raise
    mapping = map_header(sheet.header)
    headers = {key: cell_text(sheet.header[index]) for key, index in mapping.items()}
    resolver = ProductResolver(list(products))
    rows, errors, total = [], [], 0
    for row_no, cells in sheet.rows():
        cells = list(cells)
        if all(is_blank(cell) for cell in cells):
            continue
        total += 1

        def cell(key):
            index = mapping.get(key)
            return cells[index] if index is not None and index < len(cells) and not is_blank(cells[index]) else None

        row, row_errors = _parse_row(row_no, cell, resolver, today)
        for key, message in row_errors:
            errors.append({"row": row_no, "field": key, "column": headers.get(key, LABELS[key]), "message": message})
        if row is not None:
            rows.append(row)
    return rows, errors, headers, total


def _parse_row(row_no, cell, resolver, today):
    errors = []

    def parse(key, parser, required=True):
        raw = cell(key)
        if raw is None:
            if required:
                errors.append((key, _("%(label)s不能为空") % {"label": LABELS[key]}))
            return None
        try:
            return parser(raw)
        except CellError as error:
            errors.append((key, str(error)))
            return None

    id_number = parse("id_number", parse_id_number)
    name = parse("name", lambda raw: cols.parse_text(raw, 50, "姓名"), required=False) or ""
    product_text = " ".join(cell_text(cell(key)) for key in ("product", "manufacturer") if cell(key) is not None)
    product = None
    if not product_text:
        errors.append(("product", _("疫苗名称（或生产企业）不能为空")))
    else:
        try:
            product = resolver.resolve(product_text)
        except CellError as error:
            errors.append(("product" if cell("product") is not None else "manufacturer", str(error)))
    dose = parse("dose", parse_dose)
    given_on = parse("given_on", lambda raw: parse_given_on(raw, today))
    site = parse("site", lambda raw: cols.parse_text(raw, 100, "接种单位"), required=False) or ""
    batch_number = parse("batch_number", lambda raw: cols.parse_text(raw, 40, "疫苗批号"), required=False) or ""
    if errors:
        return None, errors
    return Row(row_no, id_number, name, product, dose, given_on, site, batch_number), []


def _chunks(items):
    items = list(items)
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


def _persons(user, id_numbers):
    """{id number: {"id", "name", "unit_path"}} of the registered persons of the user's jurisdiction."""
    queryset = Person.objects.restrict(user) if user is not None else Person.objects.all()
    found = {}
    for chunk in _chunks(id_numbers):
        for pk, number, name, unit_path in queryset.filter(with_id_number(chunk)).values_list(
                "id", "id_number", "name", "unit_path"):
            found[number] = {"id": pk, "name": name, "unit_path": unit_path}
    return found


@dataclass(frozen=True)
class StoredDose:
    pk: int
    dose_number: int
    product_id: int
    given_on: datetime.date
    site: str
    batch_number: str


def _stored_doses(person_ids):
    """{(person id, dose number): StoredDose} for these persons (tuples, not model instances:
    a list of 100,000 rows is mostly doses already on record)."""
    stored = {}
    fields = ("pk", "dose_number", "product_id", "given_on", "site", "batch_number")
    for chunk in _chunks(person_ids):
        for person_id, *values in Dose.objects.filter(person_id__in=chunk).values_list("person_id", *fields):
            stored[(person_id, values[1])] = StoredDose(*values)
    return stored


@dataclass
class Plan:
    create: list
    update: list
    unchanged: int
    errors: list


def _row_error(row, key, message, headers):
    return {"row": row.row_no, "field": key, "column": headers.get(key, LABELS[key]), "message": message}


def plan_import(rows, user, headers, products, replace=False):
    """Match the parsed rows to persons and stored doses: what to create and update, or errors.
    `products` are all products by primary key."""
    errors = []
    persons = _persons(user, {row.id_number for row in rows})
    for row in rows:
        row.person = persons.get(row.id_number)
        if row.person is None:
            errors.append(_row_error(row, "id_number", _(
                "该证件号码的人员不在您辖区的人员台账中，请先在人员台账中登记该人员，再导入接种记录"), headers))
        elif row.name and _normal(row.name) != _normal(row.person["name"]):
            errors.append(_row_error(row, "name", _("姓名与人员台账不符（台账中为“%(name)s”），请核对证件号码")
                                     % {"name": row.person["name"]}, headers))
    rows = [row for row in rows if row.person is not None]
    stored = _stored_doses({row.person["id"] for row in rows})
    _number_boosters(rows, stored, products)

    create, update, unchanged, seen = [], [], 0, {}
    for row in rows:
        key = (row.person["id"], row.dose)
        earlier = seen.get(key)
        if earlier is not None:
            if (earlier.product.pk, earlier.given_on) != (row.product.pk, row.given_on):
                errors.append(_row_error(row, "dose", _("与第%(row)s行是同一人的同一剂次，但疫苗或接种日期不同")
                                         % {"row": earlier.row_no}, headers))
            else:
                unchanged += 1
            continue
        seen[key] = row
        dose = stored.get(key)
        if dose is None:
            create.append(row)
        elif (dose.product_id, dose.given_on) == (row.product.pk, row.given_on):
            if (row.site and row.site != dose.site) or (row.batch_number and row.batch_number != dose.batch_number):
                update.append((dose, row))
            else:
                unchanged += 1
        elif replace:
            update.append((dose, row))
        else:
            errors.append(_row_error(row, "dose", _(
                "已登记第%(dose)s剂（%(product)s，%(date)s），与本行不同；如需更正，请勾选“覆盖已有记录”后重新导入")
                % {"dose": dose.dose_number, "product": products[dose.product_id].name,
                   "date": dose.given_on.isoformat()}, headers))
    errors.extend(_order_errors(seen, stored, headers))
    return Plan(create, update, unchanged, errors)


def _number_boosters(rows, stored, products):
    """加强针 rows get the dose number after the full course of the person's first product: dose
    1 on record, else dose 1 in the list, else the row's own product."""
    first = {person_id: products[dose.product_id] for (person_id, number), dose in stored.items() if number == 1}
    for row in rows:
        if row.dose == 1:
            first.setdefault(row.person["id"], row.product)
    for row in rows:
        if isinstance(row.dose, tuple):
            product = first.get(row.person["id"], row.product)
            row.dose = min(product.full_course_doses + row.dose[1], MAX_DOSE)


def _order_errors(seen, stored, headers):
    """A dose dated before an earlier dose of the same person (as it will stand) is an error."""
    dates = defaultdict(dict)
    for (person_id, number), dose in stored.items():
        dates[person_id][number] = dose.given_on
    for (person_id, number), row in seen.items():
        dates[person_id][number] = row.given_on
    errors = []
    for (person_id, number), row in seen.items():
        before = [n for n, day in dates[person_id].items() if n < number and day > row.given_on]
        if before:
            errors.append(_row_error(row, "given_on", _("接种日期早于第%(dose)s剂的接种日期（%(date)s）") % {
                "dose": max(before), "date": dates[person_id][max(before)].isoformat()}, headers))
    return errors


def _batch_unit(user):
    """The unit an import is recorded under: the top unit of the user's jurisdiction."""
    paths = jurisdiction_paths(user) if user is not None else None
    units = Unit.objects.get_root_nodes() if paths is None else Unit.objects.filter(path__in=paths)
    return units.order_by("path").first()


def _apply(plan, batch):
    Dose.objects.bulk_create(
        [Dose(person_id=row.person["id"], unit_path=row.person["unit_path"], product=row.product,
              dose_number=row.dose, given_on=row.given_on, site=row.site, batch_number=row.batch_number,
              import_batch=batch) for row in plan.create],
        batch_size=CHUNK,
    )
    changed = [
        Dose(pk=dose.pk, product=row.product, given_on=row.given_on, site=row.site or dose.site,
             batch_number=row.batch_number or dose.batch_number, import_batch=batch)
        for dose, row in plan.update
    ]
    Dose.objects.bulk_update(changed, ["product", "given_on", "site", "batch_number", "import_batch"],
                             batch_size=CHUNK)


def import_doses(path, *, user=None, file_name=None, dry_run=False, replace=False, today=None):
    """Import the vaccination list at `path` as `user` (None: everywhere) and return the saved
    ImportBatch (rows, created, updated, unchanged). Raises DoseImportError — nothing written,
    the batch records the failure — when any row has an error or the file cannot be read."""
    today = today or timezone.localdate()
    unit = _batch_unit(user)
    if unit is None:
        raise DoseImportError([{"row": None, "field": "", "column": "", "message": _("没有可导入的单位")}])
    batch = ImportBatch.objects.create(kind="vaccination", file_name=(file_name or Path(path).name)[:255],
                                       unit=unit, user=user, dry_run=dry_run)
    try:
        products = {product.pk: product for product in Product.objects.all()}
        rows, errors, headers, batch.rows = read_rows(path, today, products.values())
        if not batch.rows:
            errors = [{"row": None, "field": "", "column": "", "message": _("文件中没有数据行")}]
        plan = plan_import(rows, user, headers, products, replace)
        errors = sorted(errors + plan.errors, key=lambda error: (error["row"] or 0))
        if errors:
            batch.rejected = len({error["row"] for error in errors})
            raise DoseImportError(errors, batch)
        with transaction.atomic():
            _apply(plan, batch)
            if dry_run:
                transaction.set_rollback(True)
        batch.created, batch.updated, batch.unchanged = len(plan.create), len(plan.update), plan.unchanged
    except LedgerError as error:
        batch.failure = str(error)
        _finish(batch)
        raise DoseImportError([{"row": None, "field": "", "column": "", "message": str(error)}], batch) from None
    except DoseImportError as error:
        batch.failure = "\n".join(describe_errors(error.errors[:50]))
        _finish(batch)
        raise
    _finish(batch)
    return batch


def _finish(batch):
    batch.finished_at = timezone.now()
    batch.save()
