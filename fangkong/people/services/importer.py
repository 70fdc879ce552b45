"""Importing the persons ledger (人员台账导入).

1. Every row is read and validated in Python (ID checksum, phone, grid, household). Valid
   rows go to a spool file, rejected rows with their original cells to another; nothing
   holds all rows in memory, so a million-row CSV imports in flat memory.
2. In one transaction the spool is bulk-loaded into a temporary staging table (COPY on
   PostgreSQL, executemany on SQLite) and set-based SQL does the rest: duplicates within the
   file and people or households registered outside the jurisdiction are rejected, missing
   households are created, changed people updated, new people inserted, heads linked. The
   counts come from those statements. A failure anywhere writes nothing.
3. The rejected rows come back as an .xlsx (original cells, row number, reason), saved on the
   `ImportBatch` that records the import.

Bulk writes bypass `save()` and django-simple-history, so `unit_path` and `name_initials` are
filled here and the per-person history does not show an import: the `ImportBatch` (who, when,
which file, what changed) is the audit record for imports. Blank cells keep what is stored,
so a ledger with fewer columns never erases data.
"""

import csv
import datetime
import heapq
import pickle
import sqlite3
import tempfile
from collections import defaultdict
from pathlib import Path

from django.core.files import File
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.lib.pinyin import initials
from fangkong.orgs.jurisdiction import jurisdiction_paths
from fangkong.orgs.models import RESIDENCE_TYPES, Unit
from fangkong.people.models import IDType, ImportBatch, PopulationType

from . import columns as cols
from .columns import COLUMN, CellError, cell_text, is_blank
from .sheets import LedgerError, open_sheet
from .xlsx import LedgerSheet, new_workbook

STAGING = "fangkong_import_staging"
# The staged form of a valid row, in spool and staging-table order. None means "not given":
# the stored value stays (or the default applies to a new person).
STAGED_FIELDS = (
    "row_no", "id_number", "id_type", "name", "name_initials", "sex", "birth_date", "phone", "address",
    "unit_id", "unit_path", "household_number", "is_head", "relation", "population_type",
    *cols.FLAG_KEYS,
)
# Distinct grid cells remembered; a file of garbage in that column must not fill memory.
CACHE_LIMIT = 100_000
ROW_NUMBER_HEADER = "原文件行号"
REASON_HEADER = "错误原因"


def allowed_prefixes(root, user):
    """Tree paths an import into `root` may touch: the subtree of `root`, narrowed to the
    user's jurisdiction when a user imports."""
    if user is None:
        return [root.path]
    paths = jurisdiction_paths(user)
    if paths is None or any(root.path.startswith(p) for p in paths):
        return [root.path]
    return [p for p in paths if p.startswith(root.path)]


def _within(path, prefixes):
    return any(path.startswith(p) for p in prefixes)


class UnitResolver:
    """所属网格 cells to (unit id, path): a unit code, or the exact name of a unit in the subtree."""

    def __init__(self, root, prefixes):
        self.root = root
        self.prefixes = prefixes
        self.by_code = {}
        self.by_name = defaultdict(list)
        units = Unit.objects.filter(path__startswith=root.path).values_list(
            "pk", "code", "name", "path", "type", "is_active"
        )
        for unit in units.iterator(chunk_size=5000):
            self.by_code[unit[1]] = unit
            self.by_name[unit[2]].append(unit)
        self.cache = {}
        self.root_problem = self._problem(self.by_code[root.code])

    def _problem(self, unit):
        _pk, _code, name, path, unit_type, is_active = unit
        if not _within(path, self.prefixes):
            return _("「%(name)s」不在您的辖区内") % {"name": name}
        if unit_type not in RESIDENCE_TYPES:
            return _("「%(name)s」不是村/社区、网格或楼栋，人员只能登记到这些单位") % {"name": name}
        if not is_active:
            return _("「%(name)s」已停用") % {"name": name}
        return None

    def resolve(self, raw):
        text = cell_text(raw)
        result = self.cache.get(text)
        if result is None:
            result = self._resolve(text)
            if len(self.cache) < CACHE_LIMIT:
                self.cache[text] = result
        if isinstance(result, str):
            raise CellError(result)
        return result

    def _resolve(self, text):
        unit = self.by_code.get(text)
        if unit is None:
            named = self.by_name.get(text, [])
            if len(named) > 1:
                return _("「%(name)s」有重名，请填写网格编码") % {"name": text}
            if not named:
                return _("在「%(root)s」范围内找不到网格「%(text)s」（请填写网格编码或名称）") % {
                    "root": self.root.name, "text": text}
            unit = named[0]
        return self._problem(unit) or (unit[0], unit[3])


class RowValidator:
    """Turns a row's cells into the staged tuple, or into a list of (column key, message)."""

    SKIP = object()

    def __init__(self, mapping, units, today=None):
        self.today = today or datetime.date.today()
        parsers = (
            ("name", lambda raw: cols.parse_text(raw, 50, "姓名")),
            ("id_type", cols.parse_id_type),
            ("sex", cols.parse_sex),
            ("phone", cols.parse_phone),
            ("address", lambda raw: cols.parse_text(raw, 200, "现住址")),
            ("unit", units.resolve),
            ("household_number", lambda raw: cols.parse_text(raw, 40, "户号")),
            ("relation", lambda raw: cols.parse_text(raw, 20, "与户主关系")),
            ("population_type", cols.parse_population_type),
            *((key, cols.parse_flag) for key in cols.FLAG_KEYS),
        )
        self.parsers = [(key, mapping[key], parse) for key, parse in parsers if key in mapping]
        self.id_index = mapping["id_number"]
        self.name_index = mapping["name"]
        self.birth_index = mapping.get("birth_date")
        self.head_index = mapping.get("head_id_number")
        self.last_head = (None, None)

    def is_blank_row(self, cells):
        n = len(cells)
        for index in (self.name_index, self.id_index):
            if index < n and not is_blank(cells[index]):
                return False
        return all(map(is_blank, cells))

    def parse_head_id(self, raw):
        """The head's ID repeats on every member's row, usually one after another: remember the last."""
        if raw == self.last_head[0]:
            return self.last_head[1]
        text = cell_text(raw)
        if isinstance(raw, str) and not (len(text) in (15, 18) and text[:15].isdigit()):
            head = cols.parse_other_id(raw)
        else:
            head = cols.parse_resident_id(raw)
        self.last_head = (raw, head)
        return head

    def __call__(self, row_no, cells):
        """(staged tuple, None), (None, errors), or (SKIP, None) for the template's example row."""
        n = len(cells)
        values = {}
        errors = []
        for key, index, parse in self.parsers:
            raw = cells[index] if index < n else None
            # is_blank(raw), inlined: this runs for every cell of a million rows.
            if raw is None or (raw.__class__ is str and (not raw or raw.isspace())):
                continue
            try:
                values[key] = parse(raw)
            except CellError as error:
                errors.append((key, str(error)))
        name = values.get("name")
        if not name and not any(key == "name" for key, _message in errors):
            errors.append(("name", _("姓名不能为空")))

        id_type = values.get("id_type", IDType.RESIDENT)
        raw_id = self.cell(cells, self.id_index)
        id_number = None
        if raw_id is None:
            errors.append(("id_number", _("证件号码不能为空")))
        else:
            try:
                if id_type == IDType.RESIDENT:
                    id_number = cols.parse_resident_id(raw_id)
                else:
                    id_number = cols.parse_other_id(raw_id)
            except CellError as error:
                errors.append(("id_number", str(error)))
        if id_number == cols.EXAMPLE_ID_NUMBER:
            return self.SKIP, None

        sex = values.get("sex")
        birth = self.birth_date(cells, id_type, id_number, errors)
        if id_number and id_type == IDType.RESIDENT:
            derived_sex = "M" if int(id_number[16]) % 2 else "F"
            if sex is not None and sex != derived_sex:
                errors.append(("sex", _("性别与身份证号不符（身份证号显示为%(sex)s）")
                               % {"sex": cols.LABELS["sex"][derived_sex]}))
            sex = derived_sex

        relation = values.get("relation")
        head_id = None
        raw_head = self.cell(cells, self.head_index)
        if raw_head is not None:
            try:
                if raw_head == raw_id:
                    head_id = id_number
                    if id_number is not None:
                        self.last_head = (raw_head, id_number)
                else:
                    head_id = self.parse_head_id(raw_head)
            except CellError as error:
                errors.append(("head_id_number", str(error)))
        is_head = relation in cols.HEAD_RELATIONS or (head_id is not None and head_id == id_number)
        if relation in cols.HEAD_RELATIONS and head_id is not None and id_number and head_id != id_number:
            errors.append(("head_id_number", _("与户主关系为“%(relation)s”，户主身份证号应为本人的证件号码")
                           % {"relation": relation}))
        household = values.get("household_number")
        if household is None and id_number:
            if head_id is not None:
                household = "H" + head_id
            elif is_head:
                household = "H" + id_number
        if errors:
            return None, errors

        unit_id, unit_path = values.get("unit", (None, None))
        return (
            row_no, id_number, id_type, name, initials(name), sex, birth, values.get("phone"),
            values.get("address"), unit_id, unit_path, household, int(is_head), relation,
            values.get("population_type"), *(_flag(values.get(key)) for key in cols.FLAG_KEYS),
        ), None

    @staticmethod
    def cell(cells, index):
        """The raw cell at `index`, None when missing or blank."""
        if index is None or index >= len(cells):
            return None
        raw = cells[index]
        return None if is_blank(raw) else raw

    def birth_date(self, cells, id_type, id_number, errors):
        """The birth date as ISO text: a resident ID's own, which a 出生日期 cell must agree with."""
        raw = self.cell(cells, self.birth_index)
        derived = None
        if id_number and id_type == IDType.RESIDENT:
            derived = f"{id_number[6:10]}-{id_number[10:12]}-{id_number[12:14]}"
            if raw is None or raw == derived:
                return derived
        if raw is None:
            return None
        try:
            value = cols.parse_date(raw, self.today).isoformat()
        except CellError as error:
            errors.append(("birth_date", str(error)))
            return derived
        if derived is not None and value != derived:
            errors.append(("birth_date", _("出生日期与身份证号不符（身份证号显示为%(date)s）") % {"date": derived}))
        return value


def _flag(value):
    return None if value is None else int(value)


class PersonImport:
    """One run of the import; `run()` fills and saves `batch`."""

    def __init__(self, path, batch, user=None):
        self.path = Path(path)
        self.batch = batch
        self.root = batch.unit
        self.prefixes = allowed_prefixes(self.root, user)
        self.workdir = tempfile.TemporaryDirectory(prefix="fangkong-import-")
        self.spool_path = Path(self.workdir.name) / "valid.csv"
        self.rejects_path = Path(self.workdir.name) / "rejected.pickle"

    def open(self):
        self.sheet = open_sheet(self.path, cols.is_header)
        self.mapping = cols.map_header(self.sheet.header)
        self.units = UnitResolver(self.root, self.prefixes)

    def run(self):
        try:
            self.open()
            valid, rejected = self.validate()
            counts, db_rejections = self.apply()
            self.batch.rows = valid + rejected
            self.batch.rejected = rejected + len(db_rejections)
            self.batch.created, self.batch.updated, self.batch.unchanged = counts
            if self.batch.rejected:
                self.save_error_file(db_rejections)
        finally:
            self.workdir.cleanup()
        self.batch.finished_at = timezone.now()
        self.batch.save()
        return self.batch

    # Pass 1: validate every row; spool valid rows, keep the cells of rejected ones.

    def validate(self):
        validator = RowValidator(self.mapping, self.units)
        valid = rejected = 0
        with (
            open(self.spool_path, "w", encoding="utf-8", newline="") as spool,
            open(self.rejects_path, "wb") as rejects,
        ):
            writer = csv.writer(spool, lineterminator="\n")
            pickler = pickle.Pickler(rejects, protocol=pickle.HIGHEST_PROTOCOL)
            for row_no, cells in self.sheet.rows():
                if validator.is_blank_row(cells):
                    continue
                staged, errors = validator(row_no, cells)
                if staged is RowValidator.SKIP:
                    continue
                if errors:
                    rejected += 1
                    pickler.dump((row_no, list(cells), self.describe(errors)))
                    pickler.clear_memo()
                else:
                    valid += 1
                    writer.writerow(staged)
        return valid, rejected

    def describe(self, errors):
        """第3列「身份证号」：身份证号校验位不正确；第5列…"""
        parts = []
        for key, message in errors:
            index = self.mapping.get(key)
            if index is None:
                parts.append(message)
            else:
                header = cell_text(self.sheet.header[index])
                column = self.sheet.column_offset + index + 1
                parts.append(_("第%(column)s列「%(header)s」：%(message)s")
                             % {"column": column, "header": header, "message": message})
        return "；".join(parts)

    # Pass 2: stage and apply in one transaction.

    def apply(self):
        try:
            with transaction.atomic():
                staging = Staging(connection, self.spool_path)
                result = staging.apply(self.root, self.prefixes, self.units.root_problem is None)
                if self.batch.dry_run:
                    transaction.set_rollback(True)
        except DatabaseError as error:
            raise LedgerError(_("写入数据库失败，本次导入未写入任何数据：%(error)s") % {"error": error}) from error
        counts, problems = result
        return counts, {row_no: self.describe([self.problem_message(*rest)]) for row_no, *rest in problems}

    def problem_message(self, problem, ref, household):
        if problem == "duplicate":
            return "id_number", _("证件号码与第%(row)s行重复") % {"row": ref}
        if problem == "outside":
            return "id_number", _("该证件号码已在导入范围以外登记，不能在此导入；如该人员已迁入，请先办理迁入迁出")
        if problem == "household_outside":
            key = "household_number" if "household_number" in self.mapping else "head_id_number"
            return key, _("户号「%(number)s」已在其他辖区登记，不能加入该户") % {"number": household}
        if problem == "second_head":
            return "relation", _("户号「%(number)s」已有户主（第%(row)s行），一户只能有一个户主") % {
                "number": household, "row": ref}
        return "unit", _("未填写所属网格：%(problem)s") % {"problem": self.units.root_problem}

    # The error file: rejected rows in file order, original cells, row number and reason.

    def rejected_rows(self, db_rejections):
        def from_validation():
            with open(self.rejects_path, "rb") as f:
                unpickler = pickle.Unpickler(f)
                while True:
                    try:
                        yield unpickler.load()
                    except EOFError:
                        return

        def from_database():
            # Rows the database rejected passed validation, so their cells were not kept:
            # read them again from the file (this happens only when such rows exist).
            for row_no, cells in self.sheet.rows():
                message = db_rejections.get(row_no)
                if message is not None:
                    yield row_no, list(cells), message

        streams = [from_validation()]
        if db_rejections:
            streams.append(from_database())
        return heapq.merge(*streams, key=lambda row: row[0])

    def save_error_file(self, db_rejections):
        header = list(self.sheet.header)
        column_of = {index: COLUMN[key] for key, index in self.mapping.items()}
        out_path = Path(self.workdir.name) / "errors.xlsx"
        workbook = new_workbook(str(out_path))
        sheet = LedgerSheet(
            workbook, _("错误行"), [cell_text(h) for h in header] + [ROW_NUMBER_HEADER, REASON_HEADER],
            [column_of.get(index) for index in range(len(header))],
        )
        error_format = workbook.add_format({"font_color": "#C00000", "text_wrap": True})
        sheet.sheet.set_column(len(header) + 1, len(header) + 1, 60)
        width = len(header)
        for row_no, cells, message in self.rejected_rows(db_rejections):
            row = sheet.write_row((cells + [""] * width)[:width])
            sheet.sheet.write_number(row, width, row_no)
            sheet.sheet.write_string(row, width + 1, message, error_format)
        workbook.close()
        with open(out_path, "rb") as f:
            self.batch.error_file.save(f"batch-{self.batch.pk}-errors.xlsx", File(f), save=False)


class Staging:
    """The staging table and the set-based statements that apply it, on SQLite and PostgreSQL."""

    def __init__(self, conn, spool_path):
        self.conn = conn
        self.postgres = conn.vendor == "postgresql"
        self.spool_path = spool_path
        self.distinct = "IS DISTINCT FROM" if self.postgres else "IS NOT"
        self.now = conn.ops.adapt_datetimefield_value(timezone.now())

    def execute(self, sql, params=()):
        with self.conn.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount

    def fetch(self, sql, params=()):
        with self.conn.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def create_and_load(self):
        self.execute(f"DROP TABLE IF EXISTS {STAGING}")
        self.execute(
            f"CREATE TEMPORARY TABLE {STAGING} ("
            f"row_no integer {'NOT NULL' if self.postgres else 'PRIMARY KEY'}, id_number text NOT NULL, "
            "id_type text NOT NULL, name text NOT NULL, name_initials text NOT NULL, sex text, birth_date date, "
            "phone text, address text, unit_id bigint, unit_path text, household_number text, "
            "is_head boolean NOT NULL, relation text, population_type text, is_elderly boolean, "
            "has_chronic_illness boolean, is_pregnant boolean, is_disabled boolean, "
            "person_id bigint, problem text, problem_ref integer)"
        )
        fields = ", ".join(STAGED_FIELDS)
        with self.conn.cursor() as cursor, open(self.spool_path, encoding="utf-8", newline="") as spool:
            if self.postgres:
                with cursor.cursor.copy(f"COPY {STAGING} ({fields}) FROM STDIN (FORMAT csv)") as copy:
                    while block := spool.read(1 << 20):
                        copy.write(block)
            else:
                placeholders = ", ".join(["?"] * len(STAGED_FIELDS))
                rows = ([value or None for value in row] for row in csv.reader(spool))
                # Straight to sqlite3: Django's executemany tees the parameters to peek at the
                # first and so keeps every row alive until the statement ends.
                sqlite3.Cursor.executemany(cursor.cursor, f"INSERT INTO {STAGING} ({fields}) VALUES ({placeholders})", rows)
        if self.postgres:
            # Temporary tables are never auto-analysed; without statistics the joins below go wrong.
            self.execute(f"ANALYZE {STAGING}")
        else:
            self.execute(f"CREATE INDEX {STAGING}_id_number ON {STAGING} (id_number)")
            self.execute(f"CREATE INDEX {STAGING}_household ON {STAGING} (household_number)")

    def apply(self, root, prefixes, root_is_target):
        """Returns ((created, updated, unchanged), [(row_no, problem, ref, household), …])."""
        self.create_and_load()
        self.reject_repeats("id_number", "duplicate")
        self.execute(
            f"UPDATE {STAGING} SET person_id = p.id FROM people_person p "
            f"WHERE p.id_number = {STAGING}.id_number AND p.id_number <> ''"
        )
        self.reject_outside("people_person", "p", f"p.id = {STAGING}.person_id", "outside", prefixes)
        if not root_is_target:
            self.execute(
                f"UPDATE {STAGING} SET problem = 'no_unit' "
                "WHERE problem IS NULL AND unit_id IS NULL AND person_id IS NULL"
            )
        self.reject_outside(
            "people_household", "h", f"h.number = {STAGING}.household_number", "household_outside", prefixes
        )
        self.reject_repeats("household_number", "second_head", heads_only=True)
        self.create_households(root)
        updated = self.update_changed()
        ((matched,),) = self.fetch(f"SELECT COUNT(*) FROM {STAGING} WHERE problem IS NULL AND person_id IS NOT NULL")
        created = self.insert_new(root)
        self.link_heads()
        problems = self.fetch(
            f"SELECT row_no, problem, problem_ref, household_number FROM {STAGING} "
            "WHERE problem IS NOT NULL ORDER BY row_no"
        )
        self.execute(f"DROP TABLE {STAGING}")
        return (created, updated, matched - updated), problems

    def reject_repeats(self, field, problem, heads_only=False):
        """Rows repeating an earlier row's `field` are rejected (for households: a second head)."""
        heads = "AND is_head" if heads_only else ""
        self.execute(
            f"UPDATE {STAGING} SET problem = %s, problem_ref = d.first_row "
            f"FROM (SELECT {field} AS value, MIN(row_no) AS first_row FROM {STAGING} "
            f"WHERE problem IS NULL {heads} GROUP BY {field} HAVING COUNT(*) > 1) AS d "
            f"WHERE {STAGING}.{field} = d.value AND {STAGING}.problem IS NULL "
            f"AND {STAGING}.row_no > d.first_row {heads.replace('is_head', f'{STAGING}.is_head')}",
            [problem],
        )

    def reject_outside(self, table, alias, join, problem, prefixes):
        """Rows that name a person or household registered outside `prefixes` are rejected."""
        inside = " OR ".join([f"{alias}.unit_path LIKE %s"] * len(prefixes)) or "FALSE"
        self.execute(
            f"UPDATE {STAGING} SET problem = %s FROM {table} {alias} "
            f"WHERE {join} AND {STAGING}.problem IS NULL AND NOT ({inside})",
            [problem, *(p + "%" for p in prefixes)],
        )

    def create_households(self, root):
        """Households named in the file and missing: in the unit (and at the address) of their
        head's row, else of their first row."""
        return self.execute(
            "INSERT INTO people_household (number, address, unit_id, unit_path, created_at, updated_at) "
            "SELECT f.household_number, COALESCE(f.address, p.address, ''), COALESCE(f.unit_id, p.unit_id, %s), "
            "COALESCE(f.unit_path, p.unit_path, %s), %s, %s "
            "FROM (SELECT household_number, address, unit_id, unit_path, person_id, "
            "ROW_NUMBER() OVER (PARTITION BY household_number ORDER BY is_head DESC, row_no) AS position "
            f"FROM {STAGING} WHERE problem IS NULL AND household_number IS NOT NULL) AS f "
            "LEFT JOIN people_person p ON p.id = f.person_id "
            "WHERE f.position = 1 AND NOT EXISTS (SELECT 1 FROM people_household h WHERE h.number = f.household_number)",
            [root.pk, root.path, self.now, self.now],
        )

    # (staged value, person column) a row may change; a blank cell (NULL) keeps the stored value.
    # `h` is the row's household, joined by number.
    UPDATABLE = (
        ("s.sex", "sex"), ("s.birth_date", "birth_date"), ("s.phone", "phone"), ("h.id", "household_id"),
        ("s.relation", "relation_to_head"), ("s.address", "address"), ("s.unit_id", "unit_id"),
        ("s.unit_path", "unit_path"), ("s.population_type", "population_type"),
        *((f"s.{key}", key) for key in cols.FLAG_KEYS),
    )
    WITH_HOUSEHOLD = f"{STAGING} AS s LEFT JOIN people_household h ON h.number = s.household_number"

    def update_changed(self):
        sets = ", ".join(
            f"{target} = COALESCE({value}, people_person.{target})" for value, target in self.UPDATABLE
        )
        changed = " OR ".join(
            [f"s.{field} <> people_person.{field}" for field in ("name", "id_type")]
            + [f"({value} IS NOT NULL AND {value} {self.distinct} people_person.{target})"
               for value, target in self.UPDATABLE if target != "unit_path"]
        )
        return self.execute(
            "UPDATE people_person SET name = s.name, name_initials = s.name_initials, id_type = s.id_type, "
            f"{sets}, updated_at = %s FROM {self.WITH_HOUSEHOLD} "
            f"WHERE people_person.id = s.person_id AND s.problem IS NULL AND ({changed})",
            [self.now],
        )

    def insert_new(self, root):
        return self.execute(
            "INSERT INTO people_person (name, name_initials, id_type, id_number, sex, birth_date, phone, "
            "household_id, relation_to_head, address, unit_id, unit_path, population_type, is_elderly, "
            "has_chronic_illness, is_pregnant, is_disabled, needs_follow_up, created_at, updated_at) "
            "SELECT s.name, s.name_initials, s.id_type, s.id_number, COALESCE(s.sex, ''), s.birth_date, "
            "COALESCE(s.phone, ''), h.id, COALESCE(s.relation, ''), COALESCE(s.address, ''), "
            "COALESCE(s.unit_id, %s), COALESCE(s.unit_path, %s), COALESCE(s.population_type, %s), "
            "COALESCE(s.is_elderly, %s), COALESCE(s.has_chronic_illness, %s), COALESCE(s.is_pregnant, %s), "
            "COALESCE(s.is_disabled, %s), %s, %s, %s "
            f"FROM {self.WITH_HOUSEHOLD} WHERE s.problem IS NULL AND s.person_id IS NULL ORDER BY s.row_no",
            [root.pk, root.path, PopulationType.RESIDENT, False, False, False, False, False, self.now, self.now],
        )

    def link_heads(self):
        return self.execute(
            "UPDATE people_household SET head_id = p.id, updated_at = %s "
            f"FROM {STAGING} AS s JOIN people_person p ON p.id_number = s.id_number "
            "WHERE s.problem IS NULL AND s.is_head AND people_household.number = s.household_number "
            f"AND people_household.head_id {self.distinct} p.id",
            [self.now],
        )


def import_persons(path, *, unit, user=None, file_name=None, dry_run=False):
    """Import the persons ledger at `path` into `unit` (and the grids below it) and return the
    saved `ImportBatch`. Raises LedgerError when the file cannot be read at all or the write
    failed; the batch records any failure too."""
    batch = ImportBatch.objects.create(
        kind="persons", file_name=(file_name or Path(path).name)[:255], unit=unit, user=user, dry_run=dry_run
    )
    try:
        return PersonImport(path, batch, user).run()
    except Exception as error:
        batch.failure = str(error) or type(error).__name__
        batch.finished_at = timezone.now()
        batch.save()
        raise
