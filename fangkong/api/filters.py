"""Filters shared by the API's filtersets."""

import django_filters
from django.utils.translation import gettext_lazy as _

from fangkong.orgs.models import Unit


class SubtreeFilter(django_filters.CharFilter):
    """A unit code → the rows of that unit and of every unit under it.

    `field_name` names the tree-path column to match (`unit_path` on people and
    households, `path` on units). An unknown code matches nothing."""

    def __init__(self, field_name="unit_path", **kwargs):
        kwargs.setdefault("label", _("单位编码（含下级）"))
        super().__init__(field_name=field_name, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        path = Unit.objects.filter(code=value.strip()).values_list("path", flat=True).first()
        if path is None:
            return qs.none()
        return qs.filter(**{f"{self.field_name}__startswith": path})
