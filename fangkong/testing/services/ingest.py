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

import gc
import unicodedata
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from itertools import islice

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from fangkong.control.models import ACTIVE_STATUSES, ControlCase
from fangkong.lib.dates import cn_date, day_start
from fangkong.lib.db import take_pks, values_in
from fangkong.lib.idnumbers import birth_date_from_resident_id, sex_from_resident_id
from fangkong.lib.pinyin import initials
from fangkong.orgs.models import RESIDENCE_TYPES
from fangkong.people.models import IDType, Person, with_id_number

from ..models import RetestOrder, Sample, SamplingPoint, Tube, TubeStatus
from .rounds import elevated_paths, within
from .sampling import PROVISIONAL_NAME, Code, complete_retests, default_residence, lock_round, parse_code

CHUNK = 50_000  # records decided and written together
LOOKUP_PART = 10_000  # records parsed while the persons of the previous ones are looked up
BARCODE_LENGTH = Tube._meta.get_field("barcode").max_length
# Scanner clocks run a little ahead of the server's.
CLOCK_SKEW = timedelta(minutes=10)
# A scan time is written as PostgreSQL's binary timestamptz, microseconds since this moment.
PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


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
    """A tube as the upload sees it: on record, or opened by it (`new`; its `pk` is taken from the
    sequence when opened on PostgreSQL, else given when it is written)."""

    __slots__ = ("pk", "barcode", "point", "capacity", "size", "status", "opened_at", "opened_by", "closed_at",
                 "members", "changed", "new")

    def __init__(self, pk, barcode, point, capacity, size, status, opened_at=None, opened_by=None, new=False):
        self.pk, self.barcode, self.point, self.capacity, self.size, self.status = (pk, barcode, point, capacity,
                                                                                    size, status)
        self.opened_at, self.opened_by, self.closed_at = opened_at, opened_by, None
        self.members = []  # persons scanned in by this upload
        self.changed = False
        self.new = new


class _Person:
    """A person as the rules need them: who, where, and what decides their pool size."""

    __slots__ = ("pk", "id_number", "name", "unit_path", "unit_id", "resident", "controlled", "retest",
                 "open_tube")

    def __init__(self, pk, id_number, name, unit_path, unit_id, resident=True, controlled=False, retest=False):
        self.pk, self.id_number, self.name, self.unit_path, self.unit_id = pk, id_number, name, unit_path, unit_id
        self.resident = resident  # holds a resident ID number (checked when they were registered)
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
        self.tube_pks = iter(())  # pks taken from the sequence for the tubes a chunk may open
        self.residences = {}  # point pk → default residence unit
        self.tubes = {}  # barcode → _Tube, or the reason it cannot be used
        self.retested = set()  # pks of persons whose retests the upload completed (few: single tubes)
        self.day_of = self.day_start = self.day_end = self.day_micros = None
        self.day(now)
        # In the local time zone, as scan times come: a time is compared with it without working
        # out both offsets (which took 40% of parsing a record).
        self.latest = timezone.localtime(now + CLOCK_SKEW)
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
        rows = (Tube.objects.select_for_update().filter(barcode__in=values_in(wanted, "text"))
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

    def persons(self, found, pks):
        """The persons named by the chunk's codes (`found` for the ID numbers, `pks` for person
        barcodes), with their pool-size facts and open tubes."""
        by_pk = {person.pk: person for person in found}
        if pks:
            named = Person.objects.filter(pk__in=values_in(pks, "bigint"))
            by_pk.update((row[0], _Person(*row)) for row in _persons(named))
        if by_pk:
            # The round's open tubes are few (those being filled at the points), its samples many:
            # the members of its open tubes are read, not the samples of every person.
            open_tubes = dict(Tube.objects.filter(round_id=self.round.pk, status=TubeStatus.OPEN)
                              .values_list("pk", "barcode"))
            members = (Sample.objects.filter(tube_id__in=values_in(open_tubes, "bigint"))
                       .values_list("person_id", "tube_id") if open_tubes else [])
            for person_id, tube_id in members:
                person = by_pk.get(person_id)
                if person is None:
                    continue
                barcode = open_tubes[tube_id]
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
            # A day whose offset from UTC does not change (no daylight-saving change in it) has
            # its start in microseconds kept: see `micros`.
            steady = self.day_start.utcoffset() == (self.day_end - MICROSECOND).utcoffset()
            self.day_micros = (self.day_start - PG_EPOCH) // MICROSECOND if steady else None
        return self.day_of

    def micros(self, moment):
        """`moment` of the day last asked for (`day`) as PostgreSQL's binary timestamptz. On a
        steady day it is the day's start plus the time since it on the clock, which takes no
        offset from UTC: writing the driver's own way worked out the offset again for every scan
        (two thirds of the time spent writing a sample)."""
        if self.day_micros is None:
            return (moment - PG_EPOCH) // MICROSECOND
        return self.day_micros + (moment - self.day_start) // MICROSECOND

    def open(self, barcode, point, scanner, moment, day):
        """A tube opened by the upload (as `open_tube` would), or the reason it cannot be. Its
        capacity was worked out for the chunk (`capacities`); its pk is the next one taken."""
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
        self.outcome.tubes_opened += 1
        return _Tube(next(self.tube_pks, None), barcode, point, self.capacities[point.pk, day], 0, TubeStatus.OPEN,
                     opened_at=moment, opened_by=scanner, new=True)

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
    # Its own transaction: all it reads uncommitted is what it wrote itself (see _Lookups).
    alone = not connection.in_atomic_block
    with _collector_paused(), transaction.atomic(), _Lookups(upload, ahead=alone) as lookups:
        lock_round(round.pk, exclusive=True)
        pipeline = _Pipeline(upload, records, lookups)
        while current := pipeline.next():
            parsed, found = lookups.finish(current)
            _ingest_chunk(upload, parsed, found, current.refuse, meanwhile=pipeline.ahead())
    upload.outcome.records = pipeline.offset
    return upload.outcome


class _Pipeline:
    """The chunks of an upload on their way to be decided. When the lookups can run ahead (see
    `_Lookups`), two chunks are parsed and looked up ahead of the one being decided: the next
    while it is decided, and the one after it while the server finishes writing its samples (the
    main thread would otherwise wait for the COPY to end with nothing to do). The stream is only
    read between chunks, never while a COPY is open on the connection."""

    def __init__(self, upload, records, lookups):
        self.upload, self.records, self.lookups = upload, records, lookups
        self.started = deque()  # _Started, in the upload's order
        self.unread = None  # the next chunk read and not yet started (None: not read)
        self.offset = 0  # where the next chunk to start begins in the upload

    def _read(self):
        if self.unread is None:
            self.unread = _read_chunk(self.records)
        return self.unread

    def _start(self, ahead):
        chunk, self.unread = self.unread, None
        self.started.append(self.lookups.start(chunk, _refuser(self.upload, self.offset), ahead=ahead))
        self.offset += len(chunk)

    def next(self):
        """The next chunk to decide, its lookups under way (None at the end)."""
        if not self.started and self._read():
            self._start(ahead=False)
        if not self.started:
            return None
        current = self.started.popleft()
        if self.lookups.ahead and not self.started and self._read():
            self._start(ahead=True)  # looked up on the second connection while `current` is decided
        self._read()  # now, before `current`'s COPY opens: `ahead` starts it while the COPY ends
        return current

    def ahead(self):
        """What to do while the current chunk's samples are written: start the chunk after the
        next (None when there is none, or the lookups cannot run ahead)."""
        return partial(self._start, ahead=True) if self.lookups.ahead and self.unread else None


@contextmanager
def _collector_paused():
    """Python's cycle collector paused for the upload. Each chunk makes some million objects that
    reference counting frees (records, persons, rows); the collector, set off every 700
    allocations, spent a seventh of the upload's time walking them and the rest of the heap (300
    collections a chunk, 100 ms), and paused only within chunks still 50 ms a chunk on the
    collections between them. The upload makes no cyclic garbage of its own to speak of (the
    benchmark's memory stays flat over ten million records); the collector runs again after it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read_chunk(records):
    return [_as_record(record) for record in islice(records, CHUNK)]


def _refuser(upload, offset):
    """Records a refusal of the record at `index` of the chunk starting at `offset`."""
    refusals = upload.outcome.refusals

    def refuse(index, barcode, code, reason):
        refusals.append(Refusal(offset + index, barcode, code, reason))

    return refuse


def _plain_number(code):
    """Whether a code as scanned reads as a plain 18-digit ID number (most do): such a code is
    looked up first, and checked in full only when it names no registered resident."""
    return (type(code) is str and len(code) == 18 and code.isascii() and code[:17].isdigit()
            and code[17] in "0123456789X")


def _parse(upload, chunk, refuse, offset=0):
    """Each record as (barcode, point code, code, scanned at, scanner, day, code as scanned, scanned
    at as `_Upload.micros`), or None when its time is unusable (refused). `code` is a Code, the
    reason it is not one, or None for a plain ID number not yet checked (`_plain_number`)."""
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
            refuse(offset + index, barcode, _text(code), _("采样时间缺失或无时区"))
            parsed.append(None)
            continue
        if moment > upload.latest:
            refuse(offset + index, barcode, _text(code), _("采样时间晚于现在，请核对采集设备的时钟"))
            parsed.append(None)
            continue
        day = upload.day(moment)
        micros = upload.micros(moment)
        if _plain_number(code):
            result = None
        else:
            try:
                result = parse_code(code, today=day)
            except ValidationError as error:
                result = " ".join(error.messages)
        parsed.append((barcode, point, result, moment, scanner, day, code, micros))
    return parsed


def _persons(queryset):
    """[(pk, id number, name, unit path, unit pk, holds a resident ID, under control, owes a
    retest)] of the persons of `queryset`: what the rules need of them. `LOOKUP_SQL` asks the same."""
    return list(queryset.annotate(
        resident=Q(id_type=IDType.RESIDENT),
        controlled=Exists(ControlCase.objects.active().filter(person_id=OuterRef("pk"))),
        retest=Exists(RetestOrder.objects.filter(person_id=OuterRef("pk"), done_at__isnull=True)),
    ).values_list("pk", "id_number", "name", "unit_path", "unit_id", "resident", "controlled", "retest"))


LOOKUP_SQL = (
    # `_persons` of the holders of some ID numbers, written out to run on the raw connection. The
    # numbers are one text parameter (they hold no commas): quoting tens of thousands of array
    # elements one by one costs more than the lookup. `= ANY` of an array is looked up in the
    # unique index in the array's order, and the rows fetched in the table's order (a bitmap
    # scan): faster than probing number by number (measured on 10M people, 10,000 numbers:
    # 60 against 110 ms with the pages in shared buffers, 115 against 145 ms from the OS cache).
    # Few persons are under control or owe a retest: those are index probes in small tables.
    "SELECT p.id, p.id_number, p.name, p.unit_path, p.unit_id, p.id_type = %s, "
    f"EXISTS (SELECT 1 FROM {ControlCase._meta.db_table} c WHERE c.person_id = p.id AND c.status = ANY(%s)), "
    f"EXISTS (SELECT 1 FROM {RetestOrder._meta.db_table} r WHERE r.person_id = p.id AND r.done_at IS NULL) "
    f"FROM {Person._meta.db_table} p "
    "WHERE p.id_number = ANY(string_to_array(%s, ',')::varchar[]) AND p.id_number <> ''"
)


def _look_up(numbers, raw_connection=None):
    """`_persons` of the holders of `numbers`. With `raw_connection` (PostgreSQL) it runs on that
    connection as it is, so that it can run in a thread while the caller parses the next records."""
    if not numbers:
        return []
    if raw_connection is not None:
        with raw_connection.cursor() as cursor:
            cursor.execute(LOOKUP_SQL, [IDType.RESIDENT, list(ACTIVE_STATUSES), ",".join(sorted(numbers))])
            return cursor.fetchall()
    # The unique index on ID numbers leaves out empty ones: say so, or it is not used.
    return _persons(Person.objects.filter(id_number__in=values_in(numbers, "text")).exclude(id_number=""))


def _numbers(entries):
    """The ID numbers the parsed records name."""
    numbers = set()
    for entry in entries:
        if entry is not None:
            code = entry[2]
            if code is None:
                numbers.add(entry[6])
            elif type(code) is Code and code.person_pk is None and code.id_number:
                numbers.add(code.id_number)
    return numbers


class _Started:
    """A chunk parsed, the lookups of its persons under way."""

    __slots__ = ("parsed", "numbers", "lookups", "ahead", "refuse")

    def __init__(self, parsed, numbers, lookups, ahead, refuse):
        self.parsed, self.numbers, self.lookups, self.ahead = parsed, numbers, lookups, ahead
        self.refuse = refuse  # records a refusal by the record's position in the chunk


class _Lookups:
    """Parsing the chunks and looking up the persons their ID numbers name (`_Person`s of what
    `_look_up` gives).

    On PostgreSQL the lookups run in a worker thread, a part of the chunk at a time, while the
    main thread parses the next part: the database works on one core while Python works on the
    other. When the upload is its own transaction (`ahead`: a request or a command, not a caller's
    larger transaction) and has more than one chunk, the lookups of a chunk run on a second
    connection while the chunks before it are decided and written (see `_Pipeline`). That
    connection sees only what is committed, which is everything but what the upload itself wrote,
    so that is laid over what it finds when the chunk's turn comes: numbers it does not find
    (persons the upload registered) are looked up again on the upload's connection, and persons
    whose retests the upload completed owe none."""

    def __init__(self, upload, ahead):
        self.upload = upload
        self.postgres = connection.vendor == "postgresql"
        self.ahead = ahead and self.postgres
        self.second = None
        self.worker = ThreadPoolExecutor(max_workers=1) if self.postgres else None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.worker is not None:
            self.worker.shutdown(wait=True)  # every lookup ends before the transaction does
        if self.second is not None:
            self.second.close()
        return False

    def start(self, chunk, refuse, ahead=False):
        """Parse `chunk` (see `_parse`) and start looking up its persons: on the upload's
        connection, or with `ahead` on the second one."""
        upload = self.upload
        if not self.postgres:
            parsed = _parse(upload, chunk, refuse)
            return _Started(parsed, None, [_look_up(_numbers(parsed))], False, refuse)
        if ahead:
            if self.second is None:
                self.second = connection.get_new_connection(connection.get_connection_params())
                self.second.autocommit = True
            raw_connection = self.second
        else:
            connection.ensure_connection()
            raw_connection = connection.connection
        parsed, asked, lookups = [], set(), []
        for start in range(0, len(chunk), LOOKUP_PART):
            part = _parse(upload, chunk[start:start + LOOKUP_PART], refuse, offset=start)
            parsed += part
            numbers = _numbers(part) - asked
            asked |= numbers
            lookups.append(self.worker.submit(_look_up, numbers, raw_connection))
        return _Started(parsed, asked, lookups, ahead, refuse)

    def finish(self, started):
        """The parsed records of a started chunk and the persons they name. (When a lookup failed,
        leaving the block waits for the others before the transaction ends.)"""
        persons = [_Person(*row) for lookup in started.lookups
                   for row in (lookup.result() if self.postgres else lookup)]
        if started.ahead:
            missing = started.numbers - {person.id_number for person in persons}
            if missing:
                persons += [_Person(*row) for row in _look_up(missing, connection.connection)]
            retested = self.upload.retested
            if retested:
                for person in persons:
                    if person.pk in retested:
                        person.retest = False
        return started.parsed, persons


def _check_unregistered(parsed, by_number):
    """A plain ID number that is a registered resident's names them: it was checked when they
    were registered. Any other is checked in full now, as a scan checks it."""
    for index, entry in enumerate(parsed):
        if entry is not None and entry[2] is None:
            person = by_number.get(entry[6])
            if person is None or not person.resident:
                try:
                    result = parse_code(entry[6], today=entry[5])
                except ValidationError as error:
                    result = " ".join(error.messages)
                parsed[index] = (*entry[:2], result, *entry[3:])


def _prepare(upload, live, by_number, paths):
    """What the rules would otherwise ask the database in the middle of the chunk: the default
    residence of points where unknown persons were scanned, the elevated paths (medium- or
    high-risk areas) of each day, the capacity of tubes opened at each point and day, and the
    pks of the tubes the chunk may open (PostgreSQL). Returns {day: elevated paths}."""
    round, tubes, points = upload.round, upload.tubes, upload.points
    opening, homeless = set(), set()  # of (barcode, point code, day); of point codes
    for barcode, point_code, code, _moment, _scanner, day, _raw, _micros in live:
        if barcode and barcode not in tubes:
            opening.add((barcode, point_code, day))
        if code is not None and type(code) is Code and code.person_pk is None and code.id_number not in by_number:
            homeless.add(point_code)
    opening = {(barcode, points[code], day) for barcode, code, day in opening
               if isinstance(points.get(code), SamplingPoint)}
    homeless = {points[code] for code in homeless if isinstance(points.get(code), SamplingPoint)}
    paths = set(paths)
    for point in homeless:
        unit = upload.residence(point)
        if unit is not None:
            paths.add(unit.path)
    paths.update(point.unit_path for _barcode, point, _day in opening)
    elevated = {day: elevated_paths(paths, day) for day in {entry[5] for entry in live}}
    sizes = _pool_sizes(round)
    for _barcode, point, day in opening:
        upload.capacities.setdefault((point.pk, day), sizes["medium_risk"] if point.unit_path in elevated[day]
                                     else sizes["default"])
    if opening and connection.vendor == "postgresql":
        upload.tube_pks = iter(take_pks(Tube, len({barcode for barcode, _p, _d in opening})))
    return elevated


def _ingest_chunk(upload, parsed, found, refuse, meanwhile=None):
    """Decide and write a chunk: `parsed` records (see `_parse`), `found` the persons their ID
    numbers name, `refuse` records a refusal by the record's position in the chunk. `meanwhile`
    (no query on the connection) runs once the records are decided, while the server is still
    writing their samples."""
    outcome, round = upload.outcome, upload.round
    refusals = outcome.refusals
    live = [p for p in parsed if p is not None]
    upload.load_points({p[1] for p in live})
    upload.load_scanners({p[4] for p in live})
    upload.load_tubes({p[0] for p in live if p[0]})
    pks = {p[2].person_pk for p in live if type(p[2]) is Code and p[2].person_pk is not None}
    by_number, by_pk = upload.persons(found, pks)
    _check_unregistered(parsed, by_number)
    live = [p for p in parsed if p is not None]
    elevated = _prepare(upload, live, by_number, {p.unit_path for p in by_pk.values()})

    tubes, points, scanners = upload.tubes, upload.points, upload.scanners
    sizes = _pool_sizes(round)
    created, single = [], []
    # No query from here to the end of the loop: on PostgreSQL the samples stream to the server
    # meanwhile (`_SampleStream`).
    with _SampleStream(round.pk) as samples:
        for index, entry in enumerate(parsed):
            if entry is None:
                continue
            barcode, point_code, code, moment, scanner_name, day, raw, micros = entry
            text = raw if code is None else code.text if isinstance(code, Code) else _text(raw)
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
            elif isinstance(tube, _Tube) and tube.point.id != point.id:
                tube = _("试管条码“%(barcode)s”已在采样点“%(point)s”开管") % {"barcode": barcode,
                                                                       "point": tube.point.unit.name}
            if isinstance(tube, str):
                refuse(index, barcode, text, tube)
                continue
            if isinstance(code, str):
                refuse(index, barcode, text, code)
                continue
            # From here on, the checks of sampling._scan_one, in its order.
            if tube.status != TubeStatus.OPEN:
                refuse(index, barcode, text, _("试管已满（%(n)d人）并已封管，请换一支新管") % {"n": tube.capacity}
                       if tube.size >= tube.capacity else _("试管已封管，不能再加入"))
                continue
            provisional = False
            if code is None:
                person = by_number[raw]  # a registered resident (_check_unregistered)
            elif code.person_pk is not None:
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
            size = _pool_size(sizes, person, elevated[day])
            if size < tube.capacity:
                refuse(index, barcode, text, _("%(name)s须按1:%(size)d混采（重点人员、待单采复检或中高风险地区），"
                                               "不能放入1:%(capacity)d的试管")
                       % {"name": person.name, "size": size, "capacity": tube.capacity})
                continue
            # Accepted.
            samples.add(tube, person, moment, micros, scanner.id if scanner is not None else None)
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
        if meanwhile is not None:
            meanwhile()
    refusals.sort(key=lambda refusal: refusal.index)
    outcome.accepted += samples.count
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
    _update_tubes([tube for tube in tubes if not tube.new and tube.changed])
    _insert_tubes(upload, [tube for tube in tubes if tube.new])
    _insert_persons(upload, [person for person in created if person.pk is None])
    samples.write_held()
    if single:
        complete_retests(Sample.objects.filter(tube_id__in={tube.pk for tube in single}))
        upload.retested.update(person.pk for tube in single for person in tube.members)
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
    with connection.cursor() as cursor:
        try:
            with transaction.atomic(), cursor.cursor.copy(
                f"COPY {Tube._meta.db_table} (id, barcode, round_id, point_id, unit_path, capacity, size, status, "
                "opened_at, opened_by_id, closed_at, result, conflict) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(["int8", "text", "int8", "int8", "text", "int2", "int2", "text", "timestamptz", "int8",
                                "timestamptz", "text", "bool"])
                round_id = upload.round.pk
                for t in tubes:
                    copy.write_row((t.pk, t.barcode, round_id, t.point.pk, t.point.unit_path, t.capacity, t.size,
                                    t.status, t.opened_at, t.opened_by.pk if t.opened_by else None, t.closed_at, "",
                                    False))
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


class _SampleStream:
    """The chunk's accepted samples on their way to the table. On PostgreSQL they are streamed
    with COPY while the rules go on, so that the server writes them on the other core; a sample
    of a provisional person (no pk until the person is written) is held for `write_held`.
    Elsewhere every sample is held and written with bulk_create."""

    # Binary: the driver encodes the values in C, where formatting each time as text in Python
    # cost more than the rest of writing a sample, and the server has no text to parse. The scan
    # time goes as the int8 that is timestamptz's binary form (`_Upload.micros`).
    COPY = (f"COPY {Sample._meta.db_table} (tube_id, round_id, person_id, unit_path, scanned_at, scanned_by_id) "
            "FROM STDIN (FORMAT BINARY)")
    TYPES = ["int8", "int8", "int8", "text", "int8", "int8"]

    def __init__(self, round_id):
        self.round_id = round_id
        self.count = 0
        self.held = []
        self.copy = None

    def __enter__(self):
        if connection.vendor == "postgresql":
            self._cursor = connection.cursor()
            self._copy = self._cursor.cursor.copy(self.COPY)
            self.copy = self._copy.__enter__()
            self.copy.set_types(self.TYPES)
        return self

    def __exit__(self, *exc):
        if self.copy is None:
            return False
        try:
            self._copy.__exit__(*exc)
        finally:
            self._cursor.close()
            self.copy = None
        return False

    def add(self, tube, person, moment, micros, scanner):
        self.count += 1
        if self.copy is None or person.pk is None or tube.pk is None:
            self.held.append((tube, person, moment, micros, scanner))
            return
        self.copy.write_row((tube.pk, self.round_id, person.pk, person.unit_path, micros, scanner))

    def write_held(self):
        """The held samples, once their tubes and persons are written."""
        if not self.held:
            return
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor, cursor.cursor.copy(self.COPY) as copy:
                copy.set_types(self.TYPES)
                round_id = self.round_id
                for tube, person, _moment, micros, scanner in self.held:
                    copy.write_row((tube.pk, round_id, person.pk, person.unit_path, micros, scanner))
        else:
            Sample.objects.bulk_create(
                [Sample(tube_id=tube.pk, round_id=self.round_id, person_id=person.pk, unit_path=person.unit_path,
                        scanned_at=moment, scanned_by_id=scanner)
                 for tube, person, moment, _micros, scanner in self.held],
                batch_size=2000,
            )
        self.held = []
