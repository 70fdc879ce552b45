"""Testing rounds (一轮全员核酸): creating a round with its scope, dates and pool sizes, adding its
sampling points, and the pool size a person is sampled at.

Pool sizes are data on the round ({"default": 10, "medium_risk": 5, "controlled": 1}): 1:1 for
a key person under control (an active control case) or with a single-tube retest pending,
the medium-risk size for a person whose unit lies in a medium- or high-risk area in force that
day, the default otherwise. A unit's place is the division code (区划代码) of the nearest unit
at or above it that has one (villages and grids often carry none of their own).
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from fangkong.areas.services import ELEVATED, in_force
from fangkong.control.models import ControlCase
from fangkong.lib.dates import cn_date
from fangkong.orgs.jurisdiction import ancestor_paths, jurisdiction_paths, path_filter
from fangkong.orgs.models import Unit, UnitType

from ..models import RetestOrder, SamplingPoint, Target, TestingRound

POOL_KINDS = {"default": _("默认"), "medium_risk": _("中风险地区"), "controlled": _("在管重点人员")}
MAX_POOL_SIZE = 50


def within(user, path):
    """Whether a tree path lies inside the user's jurisdiction."""
    paths = jurisdiction_paths(user)
    return paths is None or any(path.startswith(root) for root in paths)


def rounds_for(user):
    """The rounds a user takes part in: owned by a unit of their jurisdiction, covering it (a
    scope unit at, above or below one of its roots), or with a sampling point in it."""
    paths = jurisdiction_paths(user)
    if paths is None:
        return TestingRound.objects.all()
    if not paths:
        return TestingRound.objects.none()
    above = {ancestor for root in paths for ancestor in ancestor_paths(root)}
    scope = TestingRound.scope.through.objects.filter(Q(unit__path__in=above) | path_filter("unit__path", paths))
    return TestingRound.objects.filter(
        path_filter("unit_path", paths)
        | Q(pk__in=scope.values("testinground_id"))
        | Q(pk__in=SamplingPoint.objects.restrict(user).values("round_id"))
    )


def clean_pool_sizes(pool_sizes):
    """The pool sizes as stored: known kinds only, whole numbers from 1 to MAX_POOL_SIZE."""
    cleaned = {}
    for kind, value in (pool_sizes or {}).items():
        if kind not in POOL_KINDS:
            raise ValidationError(_("混采比例只能设置：%(kinds)s（“%(kind)s”不认识）")
                                  % {"kinds": "、".join(f"{k}（{v}）" for k, v in POOL_KINDS.items()), "kind": kind})
        if isinstance(value, bool) or not isinstance(value, int) and not (isinstance(value, str) and value.isdigit()):
            raise ValidationError(_("混采比例“%(kind)s”应为正整数") % {"kind": POOL_KINDS[kind]})
        number = int(value)
        if not 1 <= number <= MAX_POOL_SIZE:
            raise ValidationError(_("混采比例“%(kind)s”应在1到%(max)d之间") % {"kind": POOL_KINDS[kind],
                                                                        "max": MAX_POOL_SIZE})
        cleaned[kind] = number
    return cleaned


@transaction.atomic
def create_round(owner_unit, name, scope_units, starts_on, ends_on, target, pool_sizes, user):
    """A new round owned by `owner_unit`; the scope defaults to the owner unit itself."""
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("请填写轮次名称"))
    if not within(user, owner_unit.path):
        raise ValidationError(_("组织单位“%(unit)s”不在您的辖区内") % {"unit": owner_unit.name})
    scope_units = list(scope_units or []) or [owner_unit]
    outside = [unit.name for unit in scope_units if not unit.path.startswith(owner_unit.path)]
    if outside:
        raise ValidationError(_("检测范围应在组织单位“%(owner)s”的辖区内，以下单位不在：%(units)s")
                              % {"owner": owner_unit.name, "units": "、".join(outside)})
    if not starts_on or not ends_on:
        raise ValidationError(_("请填写开始日期和结束日期"))
    if ends_on < starts_on:
        raise ValidationError(_("结束日期（%(end)s）不能早于开始日期（%(start)s）")
                              % {"end": cn_date(ends_on), "start": cn_date(starts_on)})
    if target not in Target.values:
        raise ValidationError(_("检测对象只能是：%(choices)s") % {"choices": "、".join(str(label) for label in
                                                                                  Target.labels)})
    testing_round = TestingRound(owner_unit=owner_unit, name=name, starts_on=starts_on, ends_on=ends_on,
                                 target=target, pool_sizes=clean_pool_sizes(pool_sizes), created_by=user)
    testing_round._history_user = user
    testing_round.save()
    testing_round.scope.set(scope_units)
    return testing_round


def add_point(round, unit, opens_at, closes_at, staff):
    """A sampling point of the round: a unit of type sampling_point inside the round's scope
    or the owner unit's subtree, open from `opens_at` to `closes_at` (both optional)."""
    if unit.type != UnitType.SAMPLING_POINT:
        raise ValidationError(_("“%(unit)s”不是采样点类型的单位") % {"unit": unit.name})
    scope_paths = [round.owner_unit.path, *round.scope.values_list("path", flat=True)]
    if not any(unit.path.startswith(path) for path in scope_paths):
        raise ValidationError(_("采样点“%(unit)s”不在本轮检测范围内") % {"unit": unit.name})
    if opens_at and closes_at and closes_at <= opens_at:
        raise ValidationError(_("采样点的结束时间应晚于开始时间"))
    try:
        with transaction.atomic():
            return SamplingPoint.objects.create(round=round, unit=unit, opens_at=opens_at, closes_at=closes_at,
                                                staff=(staff or "").strip())
    except IntegrityError:
        raise ValidationError(_("“%(unit)s”已是本轮的采样点") % {"unit": unit.name}) from None


def elevated_paths(paths, on_date):
    """The tree paths among `paths` whose place lies in a medium- or high-risk area in force on
    `on_date`: one query for the units above them and one for the areas."""
    paths = set(paths)
    if not paths:
        return set()
    areas = [code for code in in_force(on_date).filter(level__in=ELEVATED).values_list("division_code", flat=True)
             if code]
    if not areas:
        return set()
    codes = dict(Unit.objects.filter(path__in={a for p in paths for a in ancestor_paths(p)})
                 .exclude(division_code="").values_list("path", "division_code"))
    elevated = set()
    for path in paths:
        place = next((codes[a] for a in reversed(ancestor_paths(path)) if a in codes), "")
        if place and any(place.startswith(code) for code in areas):
            elevated.add(path)
    return elevated


def pool_sizes_for(round, persons, on_date):
    """{person pk: pool size} for many persons at once (a few queries, whatever their number)."""
    persons = list(persons)
    pks = [person.pk for person in persons]
    single = set(ControlCase.objects.active().filter(person_id__in=pks).values_list("person_id", flat=True))
    retest = set(RetestOrder.objects.filter(person_id__in=pks, done_at__isnull=True)
                 .values_list("person_id", flat=True))
    elevated = elevated_paths({person.unit_path for person in persons}, on_date)
    sizes = {}
    for person in persons:
        if person.pk in retest:
            sizes[person.pk] = 1
        elif person.pk in single:
            sizes[person.pk] = round.pool_size("controlled")
        elif person.unit_path in elevated:
            sizes[person.pk] = round.pool_size("medium_risk")
        else:
            sizes[person.pk] = round.pool_size()
    return sizes


def pool_size_for(round, person, on_date):
    """The pool size `person` is sampled at in `round` on `on_date`."""
    return pool_sizes_for(round, [person], on_date)[person.pk]


def place_pool_size(round, unit, on_date):
    """The pool size for tubes opened at `unit` (a sampling point): the medium-risk size when the
    point lies in a medium- or high-risk area, the default otherwise."""
    return round.pool_size("medium_risk") if elevated_paths([unit.path], on_date) else round.pool_size()
