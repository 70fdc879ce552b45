"""Follow-up entries (健康监测记录, 一天两测一报): recording one, attaching it to the right slot,
flagging the abnormal ones at once and the ones that look machine-made.

Which slot an entry fills (decided here, relied on by the pages, the API and the worker):

* the slot of the case whose window contains the moment of the entry (starts_at ≤ now <
  ends_at), whether still open or already done by an earlier entry;
* otherwise the next open slot of the same day whose window has not ended (an entry made
  before the window opens counts for it: teams often visit early);
* otherwise none. An entry after the day's windows have ended is still recorded (with
  `slot` empty), but it never reopens a slot: a slot with no entry when its window closed is
  missed (漏报) and stays missed, so the line lists and the ledger keep the record honest.

A slot is set done with a conditional update (only while it is still open), so an entry that
races the worker closing the slot leaves the slot missed and the entry unattached.

Photos: JPEG or PNG only, at most 5 MB, checked with Pillow when it is installed and by the
file's magic bytes otherwise; stored by the FileField under MEDIA_ROOT (FANGKONG_DATA_DIR/media)
with a random file name.
"""

import secrets
from collections import defaultdict
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from fangkong.alerts.models import AlertKind
from fangkong.alerts.services import raise_alert, rule_for
from fangkong.control.models import (
    ACTIVE_STATUSES,
    FollowUpEntry,
    FollowUpSlot,
    FollowUpSymptom,
    Method,
    SlotStatus,
)
from fangkong.lib.dates import cn_datetime

MIN_TEMPERATURE = Decimal("34")
MAX_TEMPERATURE = Decimal("43")
DEFAULT_THRESHOLD = Decimal("37.3")
MAX_PHOTO_BYTES = 5 * 1024 * 1024
# Identical values at the identical minute on this many different days look machine-made.
SUSPICIOUS_DAYS = 3

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def parse_temperature(value):
    """The temperature as a Decimal with one decimal place; ValidationError in Chinese."""
    if value is None or value == "":
        raise ValidationError({"temperature": _("请填写体温。")})
    try:
        temperature = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({"temperature": _("体温格式不正确，请填写如 36.5 的数字。")}) from None
    if not temperature.is_finite() or not MIN_TEMPERATURE <= temperature <= MAX_TEMPERATURE:
        raise ValidationError({"temperature": _("体温应在34℃至43℃之间，请核对后重新填写。")})
    return temperature.quantize(Decimal("0.1"))


def parse_symptoms(values):
    symptoms = sorted(set(values or ()))
    unknown = [value for value in symptoms if value not in FollowUpSymptom.values]
    if unknown:
        raise ValidationError({"symptoms": _("无法识别的症状：%(values)s。") % {"values": "、".join(map(str, unknown))}})
    return symptoms


def check_photo(photo, field="photo"):
    """Accept a JPEG or PNG of at most 5 MB; give it a random name with the right extension.
    Returns the photo as a Django File."""
    if not isinstance(photo, File):
        photo = File(photo)
    size = getattr(photo, "size", None)
    if size is None:
        photo.seek(0, 2)
        size = photo.tell()
    if size > MAX_PHOTO_BYTES:
        raise ValidationError({field: _("照片不能超过5MB。")})
    photo.seek(0)
    head = photo.read(16)
    photo.seek(0)
    if head.startswith(JPEG_MAGIC):
        extension = "jpg"
    elif head.startswith(PNG_MAGIC):
        extension = "png"
    else:
        raise ValidationError({field: _("照片只能是JPG或PNG格式。")})
    try:
        with Image.open(photo) as image:
            image.verify()
    except Exception:
        raise ValidationError({field: _("照片文件已损坏，无法识别。")}) from None
    finally:
        photo.seek(0)
    photo.name = f"{secrets.token_hex(12)}.{extension}"
    return photo


def abnormal_threshold(case, day):
    params = rule_for(AlertKind.ABNORMAL_FOLLOW_UP, case.unit, day).params or {}
    try:
        return Decimal(str(params.get("temperature", DEFAULT_THRESHOLD)))
    except (InvalidOperation, ValueError):
        return DEFAULT_THRESHOLD


def team_users(case):
    """The accounts of the case's responsible team (those members who have one)."""
    from fangkong.accounts.models import User

    return list(User.objects.filter(is_active=True, control_teams__case=case).distinct().order_by("pk"))


def slot_for(case, now):
    """The slot an entry at `now` fills (see the module's rules), or None."""
    day = timezone.localdate(now)
    slots = list(FollowUpSlot.objects.filter(case=case, day=day).order_by("starts_at"))
    for slot in slots:
        if slot.starts_at <= now < slot.ends_at and slot.status != SlotStatus.MISSED:
            return slot
    for slot in slots:
        if slot.status == SlotStatus.OPEN and slot.ends_at > now:
            return slot
    return None


def symptom_labels(symptoms):
    return "、".join(str(FollowUpSymptom(value).label) for value in symptoms)


def record_entry(case, *, temperature, symptoms=(), method, recorder=None, photo=None, note="", now):
    """Record one follow-up entry for `case` at `now`; see the module for the slot rules.
    Raises ValidationError (by field, in Chinese) when it cannot be recorded."""
    errors = {}
    if case.status not in ACTIVE_STATUSES:
        raise ValidationError(
            _("%(name)s 已%(status)s，不能再登记健康监测。") % {"name": case.person.name, "status": case.get_status_display()}
        )
    try:
        temperature = parse_temperature(temperature)
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        symptoms = parse_symptoms(symptoms)
    except ValidationError as error:
        errors.update(error.message_dict)
    if method not in Method.values:
        errors["method"] = [_("请选择监测方式。")]
    note = (note or "").strip()
    if len(note) > 200:
        errors["note"] = [_("备注不能超过200字。")]
    if photo:
        try:
            photo = check_photo(photo)
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)

    threshold = abnormal_threshold(case, timezone.localdate(now))
    abnormal = temperature >= threshold or bool(symptoms)
    with transaction.atomic():
        slot = slot_for(case, now)
        if slot is not None and slot.status == SlotStatus.OPEN:
            filled = FollowUpSlot.objects.filter(pk=slot.pk, status=SlotStatus.OPEN).update(
                status=SlotStatus.DONE, closed_at=now
            )
            if not filled:  # the worker closed it a moment ago: it stays missed
                slot.refresh_from_db()
                if slot.status != SlotStatus.DONE:
                    slot = None
        entry = FollowUpEntry(
            case=case, slot=slot, unit_path=case.unit_path, recorded_at=now, temperature=temperature,
            symptoms=symptoms, method=method, recorder=recorder, note=note, abnormal=abnormal,
        )
        if photo:
            entry.photo.save(photo.name, photo, save=False)
        entry.save()
    if abnormal:
        _raise_abnormal(case, entry, threshold, now)
    flag_suspicious(case, now)
    return entry


def _raise_abnormal(case, entry, threshold, now):
    reasons = []
    if entry.temperature >= threshold:
        reasons.append(_("体温%(value)s℃") % {"value": entry.temperature})
    if entry.symptoms:
        reasons.append(_("症状：%(symptoms)s") % {"symptoms": symptom_labels(entry.symptoms)})
    raise_alert(
        AlertKind.ABNORMAL_FOLLOW_UP, case.unit, key=f"entry:{entry.pk}",
        title=_("%(name)s 健康监测异常（%(reasons)s）") % {"name": case.person.name, "reasons": "，".join(reasons)},
        detail=_("%(when)s %(method)s：%(reasons)s。请立即核实并按规定转运就诊。") % {
            "when": cn_datetime(entry.recorded_at, minutes=True), "method": entry.get_method_display(),
            "reasons": "，".join(reasons),
        },
        subject=case, recipients=team_users(case), now=now,
    )


def _signature(entry):
    local = timezone.localtime(entry.recorded_at)
    return (entry.temperature, local.hour, local.minute, tuple(sorted(entry.symptoms or ())))


def flag_suspicious(case, now):
    """Entries of `case` with the same temperature, the same symptoms and the same minute of
    the day on at least three different days look machine-made (代填): mark them suspicious and
    raise one SUSPICIOUS_ENTRIES alert for the case (idempotent). Returns the entries newly
    marked."""
    groups = defaultdict(list)
    for entry in FollowUpEntry.objects.filter(case=case).only("pk", "recorded_at", "temperature", "symptoms",
                                                              "suspicious"):
        groups[_signature(entry)].append(entry)
    flagged = []
    for signature, entries in groups.items():
        days = {timezone.localdate(entry.recorded_at) for entry in entries}
        if len(days) >= SUSPICIOUS_DAYS:
            flagged.extend(entries)
    if not flagged:
        return 0
    marked = FollowUpEntry.objects.filter(pk__in=[e.pk for e in flagged], suspicious=False).update(suspicious=True)
    sample = flagged[0]
    local = timezone.localtime(sample.recorded_at)
    raise_alert(
        AlertKind.SUSPICIOUS_ENTRIES, case.unit, key=f"suspicious:{case.pk}",
        title=_("%(name)s 的健康监测记录疑似代填") % {"name": case.person.name},
        detail=_("有%(count)d条记录在不同日期的同一时刻（%(hour)02d:%(minute)02d）填报了相同的体温和症状，请核实。") % {
            "count": len(flagged), "hour": local.hour, "minute": local.minute,
        },
        subject=case, recipients=team_users(case), now=now,
    )
    return marked
