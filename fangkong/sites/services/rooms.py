import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from simple_history.utils import bulk_create_with_history

from fangkong.orgs.models import UnitType
from fangkong.sites.models import Room

MAX_ROOMS_AT_ONCE = 500
RANGE = re.compile(r"^([A-Za-z]*[-]?)(\d+)\s*[-~～至]\s*(\d+)$")


def parse_room_numbers(spec):
    """'101-130, 201-205, A8' → ['101', …, '130', '201', …, '205', 'A8'] (numbers keep the
    width of the first one: 0801-0810 → 0801 … 0810)."""
    numbers = []
    for part in re.split(r"[,，、;；\s]+", spec.strip()):
        if not part:
            continue
        match = RANGE.match(part)
        if match:
            prefix, first, last = match.groups()
            start, end = int(first), int(last)
            if end < start:
                raise ValidationError(_("房间号范围“%(part)s”有误：结束号小于起始号。") % {"part": part})
            if end - start + 1 > MAX_ROOMS_AT_ONCE:
                raise ValidationError(_("一次最多添加%(n)d间房。") % {"n": MAX_ROOMS_AT_ONCE})
            numbers.extend(f"{prefix}{n:0{len(first)}d}" for n in range(start, end + 1))
        elif len(part) <= 20:
            numbers.append(part)
        else:
            raise ValidationError(_("房间号“%(part)s”过长。") % {"part": part})
    if not numbers:
        raise ValidationError(_("请填写房间号，例如 101-130。"))
    if len(numbers) > MAX_ROOMS_AT_ONCE:
        raise ValidationError(_("一次最多添加%(n)d间房。") % {"n": MAX_ROOMS_AT_ONCE})
    return list(dict.fromkeys(numbers))


def add_rooms(site, spec, beds=1):
    """Add the rooms named by `spec` to the site; numbers it already has are skipped.
    Returns (created rooms, skipped numbers)."""
    if site.type != UnitType.ISOLATION_SITE:
        raise ValidationError(_("“%(name)s”不是集中隔离点。") % {"name": site.name})
    if beds < 1:
        raise ValidationError(_("每间房至少1张床位。"))
    numbers = parse_room_numbers(spec)
    existing = set(Room.objects.filter(site=site, number__in=numbers).values_list("number", flat=True))
    new = [Room(site=site, unit_path=site.path, number=n, beds=beds) for n in numbers if n not in existing]
    try:
        with transaction.atomic():
            created = bulk_create_with_history(new, Room)
    except IntegrityError:  # the same numbers added at the same moment by someone else
        raise ValidationError(_("房间号与刚添加的房间重复，请刷新后重试。")) from None
    return created, [n for n in numbers if n in existing]
