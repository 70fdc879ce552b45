"""Bulk upload of scans (离线采集批量上传): what handheld scanners send when they sync after
sampling offline, millions of records on a day of whole-population testing.

A record is (tube barcode, sampling point, code as scanned, scanned at, scanner). `ingest` applies
the rules of `sampling.open_tube` and `sampling.scan` to the records in their order, as if each
tube had been opened when first seen and each code scanned on its own at its time:

- a tube not on record is opened at the record's point (capacity: the round's pool size for the
  point's place); one on record must be of this round and point;
- a code names a person (see `sampling.parse_code`); an unknown but valid ID number registers a
  provisional person in the unit given with the upload, or the point's village, grid or building;
- a person is in at most one open tube of the round, across the upload and the database; a
  person is not put in a tube of a larger pool than their pool size; a full tube closes.

Each refused record comes back with its position and the reason in Chinese; the others are
written. It is set-based, a chunk of records at a time: the tubes, points, persons (with what
decides their pool size) and the persons' open tubes are read with one query each, the rules run
in memory, and the rows are written in bulk (samples with COPY on PostgreSQL). The round is
locked for the upload (`sampling.lock_round`), so scans of the same round wait for it.
"""

import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import islice

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from fangkong.control.models import ControlCase
from fangkong.lib.dates import cn_date, day_start
from fangkong.lib.db import rows_table
from fangkong.lib.idnumbers import birth_date_from_resident_id, sex_from_resident_id
from fangkong.lib.pinyin import initials
from fangkong.orgs.models import RESIDENCE_TYPES
from fangkong.people.models import IDType, Person, with_id_number

from ..models import RetestOrder, Sample, SamplingPoint, Tube, TubeStatus
from .rounds import elevated_paths, place_pool_size, within
from .sampling import PROVISIONAL_NAME, Code, complete_retests, default_residence, lock_round, parse_code

CHUNK = 50_000  # records decided and written together
BARCODE_LENGTH = Tube._meta.get_field("barcode").max_length
# Scanner clocks run a little ahead of the server's.
CLOCK_SKEW = timedelta(minutes=10)


@dataclass
class ScanRecord:
    """One scan as a scanner uploads it. `point` is the code of the sampling point's unit;
    `scanner` the sampler's user name (empty: the uploading user)."""

    barcode: str
    point: str
    code: str
    scanned_at: object  # an aware datetime
    scanner: str = ""


@dataclass
class Refusal:
    index: int  # the record's position in the upload, from 0
    barcode: str
    code: str
    reason: str


@dataclass
class IngestOutcome:
    records: int = 0
    accepted: int = 0
    provisional: int = 0
    tubes_opened: int = 0
    tubes_closed: int = 0
    refusals: list = field(default_factory=list)

    @property
    def refused(self):
        return len(self.refusals)

    def counts(self):
        return {"records": self.records, "accepted": self.accepted, "refused": self.refused,
                "provisional": self.provisional, "tubes_opened": self.tubes_opened, "tubes_closed": self.tubes_closed}


class _Tube:
    """A tube as the upload sees it: on record (`pk`) or opened by it (`pk` None until written)."""

    __slots__ = ("pk", "barcode", "point", "capacity", "size", "status", "opened_at", "opened_by", "closed_at",
                 "members", "changed")

    def __init__(self, pk, barcode, point, capacity, size, status, opened_at=None, opened_by=None):
        self.pk, self.barcode, self.point, self.capacity, self.size, self.status = (pk, barcode, point, capacity,
                                                                                    size, status)
        self.opened_at, self.opened_by, self.closed_at = opened_at, opened_by, None
        self.members = []  # persons scanned in by this upload
        self.changed = False


class _Person:
    """A person as the rules need them: who, where, and what decides their pool size."""

    __slots__ = ("pk", "id_number", "name", "unit_path", "unit_id", "controlled", "retest", "open_tube")

    def __init__(self, pk, id_number, name, unit_path, unit_id, controlled=False, retest=False):
        self.pk, self.id_number, self.name, self.unit_path, self.unit_id = pk, id_number, name, unit_path, unit_id
        self.controlled, self.retest = controlled, retest
        self.open_tube = None  # the barcode of the open tube of the round they are in


def _as_record(record):
    """A ScanRecord, a (barcode, point, code, scanned_at[, scanner]) tuple or a dict."""
    if isinstance(record, dict):
        return (record.get("barcode"), record.get("point"), record.get("code"), record.get("scanned_at"),
                record.get("scanner") or "")
    if type(record) is tuple and len(record) == 5:
        return record
    if isinstance(record, (tuple, list)):
        return (*record, "") if len(record) == 4 else tuple(record)
    return record.barcode, record.point, record.code, record.scanned_at, record.scanner


def _text(value):
    text = str(value if value is not None else "")
    return (text if text.isascii() else unicodedata.normalize("NFKC", text)).strip()


class _Upload:
    """The state of one upload across its chunks: points, scanners and the tubes it touched."""

    def __init__(self, round, user, now, unit):
        self.round, self.user, self.now, self.unit = round, user, now, unit
        self.outcome = IngestOutcome()
        self.points = {}  # unit code → SamplingPoint, or the reason it cannot be used
        self.scanners = {"": user}
        self.capacities = {}  # (point pk, day) → pool size of tubes opened there that day
        self.residences = {}  # point pk → default residence unit
        self.tubes = {}  # barcode → _Tube, or the reason it cannot be used
        self.day_of = self.day_start = self.day_end = None
        self.day(now)
        self.latest = now + CLOCK_SKEW
        self.user_is_bound = user is not None

    # -- what a chunk refers to, read in bulk ---------------------------------------------------

    def load_points(self, codes):
        wanted = {code for code in codes if code not in self.points}
        if not wanted:
            return
        found = {point.unit.code: point for point in
                 SamplingPoint.objects.filter(round=self.round, unit__code__in=wanted).select_related("unit")}
        for code in wanted:
            point = found.get(code)
            if point is None:
                self.points[code] = _("采样点“%(code)s”不是本轮的采样点") % {"code": code}
            elif self.user_is_bound and not within(self.user, point.unit_path):
                self.points[code] = _("采样点“%(point)s”不在您的辖区内") % {"point": point.unit.name}
            else:
                self.points[code] = point

    def load_scanners(self, names):
        wanted = {name for name in names if name not in self.scanners}
        if not wanted:
            return
        found = {u.username: u for u in get_user_model().objects.filter(username__in=wanted, is_active=True)}
        for name in wanted:
            self.scanners[name] = found.get(name) or _("采样人员账号“%(name)s”不存在或已停用") % {"name": name}

    def load_tubes(self, barcodes):
        """The chunk's tubes on record, locked (a scan, a receipt or closing waits for the upload)."""
        wanted = [code for code in barcodes if code not in self.tubes]
        if not wanted:
            return
        table, params = rows_table([("barcode", "text")], [(code,) for code in wanted])
        rows = (Tube.objects.select_for_update().filter(barcode__in=RawSQL(f"SELECT barcode FROM {table} v", params))
                .values_list("pk", "barcode", "round_id", "point_id", "capacity", "size", "status"))
        rows = list(rows)
        points = {point.pk: point for point in self.points.values() if isinstance(point, SamplingPoint)}
        missing = {row[3] for row in rows if row[2] == self.round.pk and row[3] not in points}
        if missing:
            points.update(SamplingPoint.objects.select_related("unit").in_bulk(missing))
        for pk, barcode, round_id, point_id, capacity, size, status in rows:
            point = points.get(point_id)
            if round_id != self.round.pk or point is None:
                self.tubes[barcode] = (_("试管条码“%(barcode)s”已在其他轮次或采样点使用，请换一支试管")
                                       % {"barcode": barcode})
            else:
                self.tubes[barcode] = _Tube(pk, barcode, point, capacity, size, status)

    def persons(self, numbers, pks):
        """The persons named by the chunk's codes, with their pool-size facts and open tubes."""
        controlled = ControlCase.objects.active().filter(person=OuterRef("pk"))
        retest = RetestOrder.objects.filter(person=OuterRef("pk"), done_at__isnull=True)
        conditions = Q()
        if numbers:
            if connection.vendor == "postgresql":
                # One text parameter: quoting fifty thousand array elements one by one costs more
                # than the lookup (ID numbers hold no commas).
                table, params = "unnest(string_to_array(%s, ','))", [",".join(numbers)]
            else:
                table, params = rows_table([("number", "text")], [(n,) for n in numbers])
            # The unique index on ID numbers leaves out empty ones: say so, or it is not used.
            conditions |= Q(id_number__in=RawSQL(f"SELECT * FROM {table} v", params)) & ~Q(id_number="")
        if pks:
            table, params = rows_table([("pk", "bigint")], [(pk,) for pk in pks])
            conditions |= Q(pk__in=RawSQL(f"SELECT pk FROM {table} v", params))
        if not conditions:
            return {}, {}
        rows = (Person.objects.filter(conditions)
                .annotate(controlled=Exists(controlled), retest=Exists(retest))
                .values_list("pk", "id_number", "name", "unit_path", "unit_id", "controlled", "retest"))
        by_pk = {row[0]: _Person(*row) for row in rows}
        if by_pk:
            table, params = rows_table([("pk", "bigint")], [(pk,) for pk in by_pk])
            for person_id, barcode in (
                Sample.objects.filter(round_id=self.round.pk, tube__status=TubeStatus.OPEN,
                                      person_id__in=RawSQL(f"SELECT pk FROM {table} v", params))
                .values_list("person_id", "tube__barcode")
            ):
                person = by_pk[person_id]
                person.open_tube = barcode
                tube = self.tubes.get(barcode)
                if isinstance(tube, _Tube):
                    tube.members.append(person)
        return {p.id_number: p for p in by_pk.values() if p.id_number}, by_pk

    # -- per record -----------------------------------------------------------------------------

    def day(self, moment):
        """The local date of `moment`; uploads are mostly of one day, so its bounds are kept."""
        if self.day_of is None or not self.day_start <= moment < self.day_end:
            self.day_of = timezone.localdate(moment)
            self.day_start = day_start(self.day_of)
            self.day_end = day_start(self.day_of + timedelta(days=1))
        return self.day_of

    def open(self, barcode, point, scanner, moment, day):
        """A tube opened by the upload (as `open_tube` would), or the reason it cannot be."""
        if not barcode:
            return _("请扫描或输入试管条码")
        if len(barcode) > BARCODE_LENGTH:
            return _("试管条码过长")
        if not barcode.isprintable():
            return _("试管条码含有不可见的字符")
        if not self.round.starts_on <= day <= self.round.ends_on:
            return (_("本轮检测日期为%(start)s至%(end)s，%(day)s不能开管")
                    % {"start": cn_date(self.round.starts_on), "end": cn_date(self.round.ends_on),
                       "day": cn_date(day)})
        key = (point.pk, day)
        if key not in self.capacities:
            self.capacities[key] = place_pool_size(self.round, point.unit, day)
        self.outcome.tubes_opened += 1
        return _Tube(None, barcode, point, self.capacities[key], 0, TubeStatus.OPEN, opened_at=moment,
                     opened_by=scanner)

    def residence(self, point):
        if self.unit is not None:
            return self.unit
        if point.pk not in self.residences:
            self.residences[point.pk] = default_residence(point)
        return self.residences[point.pk]


def _pool_sizes(round):
    """The round's pool sizes by kind, read once (the round's own method builds them each call)."""
    return {kind: round.pool_size(kind) for kind in ("default", "medium_risk", "controlled")}


def _pool_size(sizes, person, elevated):
    """As `rounds.pool_sizes_for` decides it."""
    if person.retest:
        return 1
    if person.controlled:
        return sizes["controlled"]
    if person.unit_path in elevated:
        return sizes["medium_risk"]
    return sizes["default"]


def ingest(round, records, user, now, unit=None):
    """Write a stream of scan records of `round` (ScanRecord, tuples or dicts: see `_as_record`);
    `user` is who uploads (None: no jurisdiction check, for commands) and the default scanner,
    `unit` where unknown persons are registered. Returns an IngestOutcome: counts and one Refusal
    per refused record. One transaction: all the accepted records are written, or none."""
    upload = _Upload(round, user, now, unit)
    records = iter(records)
    offset = 0
    with transaction.atomic():
        lock_round(round.pk, exclusive=True)
        while chunk := [_as_record(record) for record in islice(records, CHUNK)]:
            _ingest_chunk(upload, chunk, offset)
            offset += len(chunk)
    upload.outcome.records = offset
    return upload.outcome


def _parse(upload, chunk, refuse):
    """Each record as (barcode, point code, Code or reason, scanned at, scanner, day, code as
    scanned), or None when its time is unusable (refused)."""
    parsed = []
    # Barcodes and points repeat (ten scans a tube): each is normalised once.
    barcodes, points = {}, {}
    for index, (barcode, point, code, moment, scanner) in enumerate(chunk):
        clean = barcodes.get(barcode)
        if clean is None:
            clean = barcodes[barcode] = _text(barcode).upper()
        barcode = clean
        clean = points.get(point)
        if clean is None:
            clean = points[point] = _text(point)
        point = clean
        if scanner:
            scanner = _text(scanner)
        if moment is None or moment.utcoffset() is None:
            refuse(index, barcode, _text(code), _("采样时间缺失或无时区"))
            parsed.append(None)
            continue
        if moment > upload.latest:
            refuse(index, barcode, _text(code), _("采样时间晚于现在，请核对采集设备的时钟"))
            parsed.append(None)
            continue
        day = upload.day(moment)
        try:
            result = parse_code(code, today=day)
        except ValidationError as error:
            result = " ".join(error.messages)
        parsed.append((barcode, point, result, moment, scanner, day, code))
    return parsed


def _ingest_chunk(upload, chunk, offset):
    outcome, round = upload.outcome, upload.round
    refusals = outcome.refusals

    def refuse(index, barcode, code, reason):
        refusals.append(Refusal(offset + index, barcode, code, reason))

    parsed = _parse(upload, chunk, refuse)
    live = [p for p in parsed if p is not None]
    upload.load_points({p[1] for p in live})
    upload.load_scanners({p[4] for p in live})
    upload.load_tubes({p[0] for p in live if p[0]})
    codes = [p[2] for p in live if isinstance(p[2], Code)]
    by_number, by_pk = upload.persons({c.id_number for c in codes if c.id_number},
                                      {c.person_pk for c in codes if c.person_pk is not None})
    elevated = {}  # day → elevated unit paths among the chunk's persons (and provisional ones)
    paths = {p.unit_path for p in by_pk.values()}

    def elevated_on(day, path):
        if day not in elevated:
            elevated[day] = (elevated_paths(paths, day), set(paths))
        found, asked = elevated[day]
        if path not in asked:
            found.update(elevated_paths({path}, day))
            asked.add(path)
        return found

    tubes, points, scanners = upload.tubes, upload.points, upload.scanners
    sizes = _pool_sizes(round)
    samples, created, single = [], [], []
    for index, entry in enumerate(parsed):
        if entry is None:
            continue
        barcode, point_code, code, moment, scanner_name, day, raw = entry
        text = code.text if isinstance(code, Code) else _text(raw)
        point = points.get(point_code)
        if not isinstance(point, SamplingPoint):
            refuse(index, barcode, text, point or _("请填写采样点"))
            continue
        scanner = scanners[scanner_name]
        if isinstance(scanner, str):
            refuse(index, barcode, text, scanner)
            continue
        tube = tubes.get(barcode)
        if tube is None:
            tube = upload.open(barcode, point, scanner, moment, day)
            if isinstance(tube, _Tube):
                tubes[barcode] = tube
        elif isinstance(tube, _Tube) and tube.point.pk != point.pk:
            tube = _("试管条码“%(barcode)s”已在采样点“%(point)s”开管") % {"barcode": barcode,
                                                                   "point": tube.point.unit.name}
        if isinstance(tube, str):
            refuse(index, barcode, text, tube)
            continue
        if not isinstance(code, Code):
            refuse(index, barcode, text, code)
            continue
        # From here on, the checks of sampling._scan_one, in its order.
        if tube.status != TubeStatus.OPEN:
            refuse(index, barcode, text, _("试管已满（%(n)d人）并已封管，请换一支新管") % {"n": tube.capacity}
                   if tube.size >= tube.capacity else _("试管已封管，不能再加入"))
            continue
        provisional = False
        if code.person_pk is not None:
            person = by_pk.get(code.person_pk)
            if person is None:
                refuse(index, barcode, text, _("人员条码“%(code)s”不存在") % {"code": text})
                continue
        else:
            person = by_number.get(code.id_number)
            if person is None:
                person = _provisional(upload.residence(point), code)
                if isinstance(person, str):
                    refuse(index, barcode, text, person)
                    continue
                by_number[code.id_number] = person
                created.append(person)
                provisional = True
        if person.open_tube is not None and person.open_tube != barcode:
            refuse(index, barcode, text, _("%(name)s已在本轮另一支未封管的试管（%(barcode)s）中")
                   % {"name": person.name, "barcode": person.open_tube})
            continue
        if person.open_tube == barcode:
            refuse(index, barcode, text, _("%(name)s已在本管中，不重复采样") % {"name": person.name})
            continue
        size = _pool_size(sizes, person, elevated_on(day, person.unit_path))
        if size < tube.capacity:
            refuse(index, barcode, text, _("%(name)s须按1:%(size)d混采（重点人员、待单采复检或中高风险地区），"
                                           "不能放入1:%(capacity)d的试管")
                   % {"name": person.name, "size": size, "capacity": tube.capacity})
            continue
        # Accepted.
        samples.append((tube, person, moment, scanner.pk if scanner is not None else None))
        tube.members.append(person)
        tube.size += 1
        tube.changed = True
        person.open_tube = barcode
        outcome.provisional += provisional
        if tube.capacity == 1:
            single.append(tube)
            person.retest = False
        if tube.size >= tube.capacity:
            tube.status, tube.closed_at = TubeStatus.CLOSED, moment
            outcome.tubes_closed += 1
            for member in tube.members:
                if member.open_tube == barcode:
                    member.open_tube = None
    refusals.sort(key=lambda refusal: refusal.index)
    outcome.accepted += len(samples)
    _write(upload, samples, created, single)


def _provisional(unit, code):
    """A provisional person to register for an unknown ID number (as `sampling._register_provisional`
    would), or the reason there can be none."""
    if unit is None:
        return _("该身份证号尚未登记，请指定其所属村（社区）或网格后再扫码")
    if unit.type not in RESIDENCE_TYPES:
        return _("“%(unit)s”不是村（社区）、网格或楼栋，不能登记人员") % {"unit": unit.name}
    return _Person(None, code.id_number, code.name or PROVISIONAL_NAME, unit.path, unit.pk)


# ---- writing ------------------------------------------------------------------------------------


def _write(upload, samples, created, single):
    tubes = [tube for tube in upload.tubes.values() if isinstance(tube, _Tube)]
    _update_tubes([tube for tube in tubes if tube.pk is not None and tube.changed])
    _insert_tubes(upload, [tube for tube in tubes if tube.pk is None])
    _insert_persons(upload, [person for person in created if person.pk is None])
    if samples:
        _insert_samples(upload.round.pk, samples)
    if single:
        complete_retests(Sample.objects.filter(tube_id__in={tube.pk for tube in single}))
    # The next chunk reads its tubes again, as written: the state does not grow with the upload.
    upload.tubes = {}


def _tube_race():
    # A barcode of the upload opened meanwhile by another round's open_tube (this round's wait).
    return _("上传期间有试管条码被另行开管，请重新上传")


def _insert_tubes(upload, tubes):
    """The tubes the chunk opened, with their state at its end (COPY on PostgreSQL)."""
    if not tubes:
        return
    if connection.vendor != "postgresql":
        rows = [Tube(barcode=t.barcode, round_id=upload.round.pk, point_id=t.point.pk, unit_path=t.point.unit_path,
                     capacity=t.capacity, size=t.size, status=t.status, opened_at=t.opened_at,
                     opened_by=t.opened_by, closed_at=t.closed_at) for t in tubes]
        try:
            with transaction.atomic():
                Tube.objects.bulk_create(rows, batch_size=2000)
        except IntegrityError:
            raise ValidationError(_tube_race()) from None
        for tube, row in zip(tubes, rows):
            tube.pk = row.pk
        return
    table = Tube._meta.db_table
    null = "\\N"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, %s)",
                       [len(tubes)])
        for tube, (pk,) in zip(tubes, cursor.fetchall()):
            tube.pk = pk
        try:
            with transaction.atomic(), cursor.cursor.copy(
                f"COPY {table} (id, barcode, round_id, point_id, unit_path, capacity, size, status, opened_at, "
                f"opened_by_id, closed_at, result, conflict) FROM STDIN"
            ) as copy:
                round_id = upload.round.pk
                copy.write("".join(
                    f"{t.pk}\t{t.barcode.replace(chr(92), chr(92) * 2)}\t{round_id}\t{t.point.pk}\t"
                    f"{t.point.unit_path}\t{t.capacity}\t{t.size}\t"
                    f"{t.status}\t{t.opened_at.isoformat()}\t{t.opened_by.pk if t.opened_by else null}\t"
                    f"{t.closed_at.isoformat() if t.closed_at else null}\t\tf\n" for t in tubes))
        except connection.Database.IntegrityError:
            raise ValidationError(_tube_race()) from None


def _update_tubes(tubes):
    if tubes:
        Tube.objects.bulk_update([Tube(pk=t.pk, size=t.size, status=t.status, closed_at=t.closed_at) for t in tubes],
                                 ["size", "status", "closed_at"], batch_size=1000)


def _insert_persons(upload, persons):
    """The provisional persons with their first history rows, as saving them would."""
    if not persons:
        return
    rows = []
    for person in persons:
        number = person.id_number
        row = Person(name=person.name, name_initials=initials(person.name), id_type=IDType.RESIDENT,
                     id_number=number, sex=sex_from_resident_id(number),
                     birth_date=birth_date_from_resident_id(number), unit_id=person.unit_id,
                     unit_path=person.unit_path, is_provisional=True)
        rows.append(row)
    try:
        with transaction.atomic():
            bulk_create_with_history(rows, Person, batch_size=1000, default_user=upload.user)
    except IntegrityError:
        raise ValidationError(_("上传期间有人员被另行登记，请重新上传")) from None
    numbers = {row.id_number: row.pk for row in rows}
    if any(pk is None for pk in numbers.values()):
        numbers = dict(Person.objects.filter(with_id_number(list(numbers))).values_list("id_number", "pk"))
    for person in persons:
        person.pk = numbers[person.id_number]


def _insert_samples(round_id, samples):
    if connection.vendor == "postgresql":
        _copy_samples(round_id, samples)
        return
    Sample.objects.bulk_create(
        [Sample(tube_id=tube.pk, round_id=round_id, person_id=person.pk, unit_path=person.unit_path,
                scanned_at=moment, scanned_by_id=scanner) for tube, person, moment, scanner in samples],
        batch_size=2000,
    )


def _copy_samples(round_id, samples):
    """COPY the samples in blocks of about a megabyte (text format: no value needs escaping)."""
    table = Sample._meta.db_table
    stamps = {}
    with connection.cursor() as cursor:
        with cursor.cursor.copy(
            f"COPY {table} (tube_id, round_id, person_id, unit_path, scanned_at, scanned_by_id) FROM STDIN"
        ) as copy:
            lines = []
            for tube, person, moment, scanner in samples:
                stamp = stamps.get(moment)
                if stamp is None:
                    stamp = stamps[moment] = moment.isoformat()
                lines.append(f"{tube.pk}\t{round_id}\t{person.pk}\t{person.unit_path}\t{stamp}\t"
                             f"{scanner if scanner is not None else chr(92) + 'N'}\n")
                if len(lines) >= 10_000:
                    copy.write("".join(lines))
                    lines = []
            if lines:
                copy.write("".join(lines))
