"""Sampling (采样): opening a tube at a point, scanning people into it, closing it.

Scanning is a batch, as handheld scanners send it: every code is answered on its own (accepted,
or refused with a Chinese reason) and the rest of the batch goes on. The tube row is locked for
the batch (and the scanned persons' rows with it, so one person scanned at two tubes at once
lands in only one); on SQLite the IMMEDIATE transactions serialise writers anyway. Time is
passed in (`now`, an aware datetime).

A code is one of (see `parse_code`):

- a resident ID number, 18 digits (or the old 15), as typed or read from the ID card;
- a health-code string carrying an ID number: ``HC:<ID number>``; a JSON object with an ``idno``,
  ``id`` or ``id_number`` key (and optionally ``name``); or a URL whose query has an ``idno`` or
  ``id`` parameter (and optionally ``name``);
- a person barcode ``P<person id>`` printed from the system.

A valid ID number with no person registers a provisional person (`is_provisional`), named as the
health code names them or “待核实”, in the unit given with the scan, or else in the point's parent
unit when that is a village, grid or building.
"""

import datetime
import functools
import json
import unicodedata
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.cn import ric

from fangkong.lib.dates import cn_date
from fangkong.lib.idnumbers import (
    IDNumberError,
    birth_date_from_resident_id,
    region_exists,
    sex_from_resident_id,
    validate_resident_id,
    with_check_digit,
)
from fangkong.orgs.models import RESIDENCE_TYPES, Unit
from fangkong.people.models import IDType, Person, with_id_number

from ..models import RetestOrder, Sample, Tube, TubeStatus
from .rounds import place_pool_size, pool_sizes_for, within

PROVISIONAL_NAME = "待核实"
ROUND_LOCK = 0x6B63  # the first key of the round's advisory lock (the second is the round's id)
ID_KEYS = ("idno", "id_number", "id")
NAME_KEYS = ("name",)


@dataclass
class Code:
    """A scanned code, parsed: an ID number (with the name it came with) or a person's pk."""

    text: str
    id_number: str = ""
    name: str = ""
    person_pk: int | None = None


@dataclass
class ScanResult:
    code: str
    accepted: bool
    person: Person | None = None
    reason: str = ""
    provisional: bool = False


@dataclass
class ScanOutcome:
    tube: Tube
    results: list

    @property
    def accepted(self):
        return sum(1 for result in self.results if result.accepted)


def _first(mapping, keys):
    for key in keys:
        value = mapping.get(key)
        if isinstance(value, list):
            value = value[0] if value else ""
        if value not in (None, ""):
            return str(value).strip()
    return ""


KNOWN_REGION = "110101"  # 北京市东城区: stands in for the region when only a birth date is checked


@functools.lru_cache(maxsize=1 << 17)
def _birth_date_valid(birth, today):
    """Whether the birth date (8 digits) of a resident ID number is valid on `today`, checked by
    the one validation with a known region; there are only some 40,000 birth dates."""
    try:
        validate_resident_id(with_check_digit(KNOWN_REGION + birth + "000"), today=today)
    except IDNumberError:
        return False
    return True


def _plain_resident_id(text, today):
    """`text` when it is already a valid 18-digit number as printed (most scanned codes are), else
    None: the full check then runs and gives the reason. Uploads parse millions of codes."""
    if (len(text) == 18 and text.isascii() and text[:17].isdigit() and text[17] == ric.calc_check_digit(text)
            and region_exists(text[:6]) and _birth_date_valid(text[6:14], today or datetime.date.today())):
        return text
    return None


def parse_code(raw, today=None):
    """A scanned string → Code, or ValidationError with the reason in Chinese."""
    text = unicodedata.normalize("NFKC", str(raw or "")).strip()
    if not text:
        raise ValidationError(_("扫码内容为空"))
    if _plain_resident_id(text, today):
        return Code(text=text, id_number=text)
    name = ""
    if text[:1] in "Pp" and text[1:].isdigit():
        return Code(text=text, person_pk=int(text[1:]))
    if text[:3].upper() == "HC:":
        number = text[3:]
    elif text.startswith("{"):
        try:
            payload = json.loads(text)
        except ValueError:
            raise ValidationError(_("健康码内容无法识别")) from None
        if not isinstance(payload, dict):
            raise ValidationError(_("健康码内容无法识别"))
        number, name = _first(payload, ID_KEYS), _first(payload, NAME_KEYS)
    elif "?" in text or text.lower().startswith(("http://", "https://")):
        query = parse_qs(urlsplit(text).query)
        number, name = _first(query, ID_KEYS), _first(query, NAME_KEYS)
    else:
        number = text
    if not number:
        raise ValidationError(_("健康码中没有身份证号"))
    try:
        number = validate_resident_id(number, today=today)
    except IDNumberError as error:
        raise ValidationError(str(error)) from None
    return Code(text=text, id_number=number, name=name[:50])


def default_residence(point):
    """The unit a provisional person scanned at `point` belongs to when the scan names none."""
    parent = Unit.objects.get_parent(point.unit)
    return parent if parent is not None and parent.type in RESIDENCE_TYPES else None


def _register_provisional(code, unit, user):
    """A provisional person for an unknown ID number (or the one a parallel scan just made)."""
    if unit is None:
        raise ValidationError(_("该身份证号尚未登记，请指定其所属村（社区）或网格后再扫码"))
    if unit.type not in RESIDENCE_TYPES:
        raise ValidationError(_("“%(unit)s”不是村（社区）、网格或楼栋，不能登记人员") % {"unit": unit.name})
    person = Person(name=code.name or PROVISIONAL_NAME, id_type=IDType.RESIDENT, id_number=code.id_number,
                    sex=sex_from_resident_id(code.id_number),
                    birth_date=birth_date_from_resident_id(code.id_number), unit=unit, is_provisional=True)
    person._history_user = user
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        return Person.objects.get(with_id_number(code.id_number)), False
    return person, True


def identify(code, unit=None, user=None, now=None):
    """The person a scanned code stands for: (person, created). An unknown but valid ID number
    registers a provisional person in `unit` (see the module's docstring)."""
    parsed = parse_code(code, today=timezone.localdate(now) if now else None)
    if parsed.person_pk is not None:
        person = Person.objects.filter(pk=parsed.person_pk).first()
        if person is None:
            raise ValidationError(_("人员条码“%(code)s”不存在") % {"code": parsed.text})
        return person, False
    person = Person.objects.filter(with_id_number(parsed.id_number)).first()
    if person is not None:
        return person, False
    return _register_provisional(parsed, unit, user)


def lock_round(round_id, exclusive=False):
    """Inside a transaction on PostgreSQL: a lock on the round's sampling, shared by scans (which
    lock their tube and persons themselves) and exclusive for a bulk upload (`ingest`), which
    decides many tubes and persons at once and so must not interleave with scans of the same
    round. SQLite's IMMEDIATE transactions already serialise writers."""
    if connection.vendor == "postgresql":
        function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {function}(%s, %s)", [ROUND_LOCK, round_id])


def _check_point(user, point):
    if user is not None and not within(user, point.unit_path):
        raise PermissionDenied(_("采样点“%(point)s”不在您的辖区内") % {"point": point.unit.name})


def open_tube(round, point, barcode, user, now, capacity=None):
    """Open tube `barcode` at `point`. The capacity defaults to the round's pool size for the
    point's place (the medium-risk size when the point lies in a medium- or high-risk area)."""
    barcode = unicodedata.normalize("NFKC", str(barcode or "")).strip()
    if not barcode:
        raise ValidationError(_("请扫描或输入试管条码"))
    if len(barcode) > Tube._meta.get_field("barcode").max_length:
        raise ValidationError(_("试管条码过长"))
    if point.round_id != round.pk:
        raise ValidationError(_("采样点“%(point)s”不属于轮次“%(round)s”") % {"point": point.unit.name,
                                                                      "round": round.name})
    _check_point(user, point)
    today = timezone.localdate(now)
    if not round.starts_on <= today <= round.ends_on:
        raise ValidationError(_("本轮检测日期为%(start)s至%(end)s，今天不能开管")
                              % {"start": cn_date(round.starts_on), "end": cn_date(round.ends_on)})
    if capacity is None:
        capacity = place_pool_size(round, point.unit, today)
    if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
        raise ValidationError(_("混采人数上限应为正整数"))
    used = _("试管条码“%(barcode)s”已使用，请换一支试管") % {"barcode": barcode}
    if Tube.objects.filter(barcode=barcode).exists():
        raise ValidationError(used)
    try:
        with transaction.atomic():
            lock_round(round.pk)
            return Tube.objects.create(barcode=barcode, round=round, point=point, unit_path=point.unit_path,
                                       capacity=capacity, opened_at=now, opened_by=user)
    except IntegrityError:
        raise ValidationError(used) from None


def _refusal(text, error):
    return ScanResult(code=text, accepted=False, reason=" ".join(error.messages))


def scan(tube, codes, user, now, unit=None):
    """Scan `codes` into `tube` in order; returns a ScanOutcome with one ScanResult per code.
    `unit` is where unknown persons are registered (default: see `default_residence`)."""
    today = timezone.localdate(now)
    with transaction.atomic():
        lock_round(tube.round_id)
        tube = Tube.objects.select_for_update().select_related("round", "point__unit").get(pk=tube.pk)
        _check_point(user, tube.point)
        parsed = []
        for raw in codes:
            try:
                parsed.append(parse_code(raw, today=today))
            except ValidationError as error:
                parsed.append(_refusal(str(raw or "").strip(), error))
        wanted = [c for c in parsed if isinstance(c, Code)]
        found = Person.objects.select_for_update().filter(
            with_id_number({c.id_number for c in wanted if c.id_number})
            | Q(pk__in={c.person_pk for c in wanted if c.person_pk is not None})
        ).order_by("pk") if wanted else []
        by_number = {p.id_number: p for p in found if p.id_number}
        by_pk = {p.pk: p for p in found}
        pks = list(by_pk)
        elsewhere = dict(
            Sample.objects.filter(round_id=tube.round_id, person_id__in=pks, tube__status=TubeStatus.OPEN)
            .exclude(tube_id=tube.pk).values_list("person_id", "tube__barcode")
        )
        in_tube = set(Sample.objects.filter(tube=tube, person_id__in=pks).values_list("person_id", flat=True))
        sizes = pool_sizes_for(tube.round, found, today)
        residence = unit if unit is not None else default_residence(tube.point)

        results, samples = [], []
        for code in parsed:
            if isinstance(code, ScanResult):
                results.append(code)
                continue
            result = _scan_one(tube, code, by_number, by_pk, elsewhere, in_tube, sizes, residence, user, today)
            results.append(result)
            if result.accepted:
                in_tube.add(result.person.pk)
                samples.append(Sample(tube=tube, round_id=tube.round_id, person=result.person,
                                      unit_path=result.person.unit_path, scanned_at=now, scanned_by=user))
                tube.size += 1
                if tube.size >= tube.capacity:
                    tube.status, tube.closed_at = TubeStatus.CLOSED, now
        if samples:
            Sample.objects.bulk_create(samples)
            tube.save(update_fields=["size", "status", "closed_at"])
            if tube.capacity == 1:
                complete_retests(samples)
    return ScanOutcome(tube=tube, results=results)


def _scan_one(tube, code, by_number, by_pk, elsewhere, in_tube, sizes, residence, user, today):
    if tube.status != TubeStatus.OPEN:
        reason = (_("试管已满（%(n)d人）并已封管，请换一支新管") % {"n": tube.capacity}
                  if tube.size >= tube.capacity else _("试管已封管，不能再加入"))
        return ScanResult(code=code.text, accepted=False, reason=reason)
    provisional = False
    if code.person_pk is not None:
        person = by_pk.get(code.person_pk)
        if person is None:
            return ScanResult(code=code.text, accepted=False,
                              reason=_("人员条码“%(code)s”不存在") % {"code": code.text})
    else:
        person = by_number.get(code.id_number)
        if person is None:
            try:
                person, provisional = _register_provisional(code, residence, user)
            except ValidationError as error:
                return _refusal(code.text, error)
            by_number[person.id_number] = by_pk[person.pk] = person
            sizes.update(pool_sizes_for(tube.round, [person], today))
    if person.pk in elsewhere:
        return ScanResult(code=code.text, accepted=False, person=person,
                          reason=_("%(name)s已在本轮另一支未封管的试管（%(barcode)s）中")
                          % {"name": person.name, "barcode": elsewhere[person.pk]})
    if person.pk in in_tube:
        return ScanResult(code=code.text, accepted=False, person=person,
                          reason=_("%(name)s已在本管中，不重复采样") % {"name": person.name})
    size = sizes[person.pk]
    if size < tube.capacity:
        return ScanResult(code=code.text, accepted=False, person=person,
                          reason=_("%(name)s须按1:%(size)d混采（重点人员、待单采复检或中高风险地区），"
                                   "不能放入1:%(capacity)d的试管")
                          % {"name": person.name, "size": size, "capacity": tube.capacity})
    return ScanResult(code=code.text, accepted=True, person=person, provisional=provisional)


def complete_retests(samples):
    """A single-tube sample completes the person's pending retest orders (单采单检) at its time.
    Single tubes are few, so one update each is fine."""
    for sample in samples:
        RetestOrder.objects.filter(person_id=sample.person_id, done_at__isnull=True).update(
            sample=sample, done_at=sample.scanned_at)


def close_tube(tube, user, now):
    """Close an open tube by hand (封管) before it is full."""
    with transaction.atomic():
        tube = Tube.objects.select_for_update().select_related("point__unit").get(pk=tube.pk)
        _check_point(user, tube.point)
        if tube.status != TubeStatus.OPEN:
            raise ValidationError(_("试管“%(barcode)s”已封管") % {"barcode": tube.barcode})
        if tube.size == 0:
            raise ValidationError(_("试管“%(barcode)s”还没有采样，不能封管") % {"barcode": tube.barcode})
        tube.status, tube.closed_at = TubeStatus.CLOSED, now
        tube.save(update_fields=["status", "closed_at"])
    return tube
