"""Which regimen version applies: the one in force on a date, for a place and a category.
"Where rules conflict, the newest document wins" (001:18): among the versions in force, the
one for the nearest unit wins (a unit's own over its county's over one for all places), then
the latest `effective_from`."""

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from fangkong.control.models import Category, RegimenVersion
from fangkong.orgs.jurisdiction import ancestor_paths


def versions_in_force(on_date, unit=None):
    """Versions in force on the date for all places or for an ancestor-or-self of `unit`,
    best first (nearest unit, then the newest)."""
    places = Q(unit__isnull=True)
    if unit is not None:
        places |= Q(unit__path__in=ancestor_paths(unit.path, unit.steplen))
    versions = (
        RegimenVersion.objects.filter(places, effective_from__lte=on_date)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on_date))
        .select_related("unit")
    )
    return sorted(versions, key=lambda v: (-(len(v.unit.path) if v.unit_id else 0), -v.effective_from.toordinal(),
                                           -v.pk))


def regimen_in_force(on_date, category=None, unit=None):
    """The version in force on `on_date` (that has a rule for `category`, if given), or None."""
    for version in versions_in_force(on_date, unit):
        if category is None or category in (version.rules or {}):
            return version
    return None


def categories_of(regimen):
    """The categories (Category members, in their order) the regimen has rules for."""
    rules = regimen.rules or {}
    return [c for c in Category if c.value in rules]


def rule_of(regimen, category):
    """The rule of `category` in the regimen; ValidationError if it has none."""
    rule = (regimen.rules or {}).get(category)
    if rule is None:
        label = Category(category).label if category in Category.values else category
        raise ValidationError(
            _("管控方案“%(code)s”没有“%(category)s”的管控规则。") % {"code": regimen.code, "category": label},
            code="no_rule",
        )
    return rule
