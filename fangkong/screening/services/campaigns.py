"""A campaign's scope: which households it covers, and setting it up within the unit that
owns it."""

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from fangkong.orgs.jurisdiction import path_filter


def scope_paths(campaign):
    return [unit.path for unit in campaign.units.all()]


def within(paths, column="unit_path"):
    """A Q object matching rows whose `column` lies within any of `paths` (none if no paths)."""
    return path_filter(column, paths) if paths else Q(pk__in=[])


def scope_filter(campaign, column="unit_path"):
    """A Q object matching rows (households, people, …) whose `column` lies within the scope."""
    return within(scope_paths(campaign), column)


def in_scope(campaign, household):
    """Does the household lie within the campaign's scope?"""
    return any(household.unit_path.startswith(path) for path in scope_paths(campaign))


def check_campaign(owner_unit, units, starts_on, ends_on):
    """Raise ValidationError (by field) when the campaign cannot be set up as given."""
    errors = {}
    if not units:
        errors["units"] = _("请至少选择一个摸排范围单位。")
    else:
        outside = [unit.name for unit in units if not unit.path.startswith(owner_unit.path)]
        if outside:
            errors["units"] = _("摸排范围应在发起单位“%(owner)s”之内，“%(units)s”不在其中。") % {
                "owner": owner_unit.name, "units": "、".join(outside),
            }
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = _("结束日期不能早于开始日期。")
    if errors:
        raise ValidationError(errors)
