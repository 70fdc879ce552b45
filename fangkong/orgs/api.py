"""REST API of this app (registered under /api/v1/ by fangkong.api.urls): units by code."""

import django_filters
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Length, Substr
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from fangkong.api.base import RestrictedEditViewSet, UnitCodeField
from fangkong.api.filters import SubtreeFilter

from .models import Unit
from .services import add_unit


def with_parent_code(queryset):
    """Annotate `parent_unit_code` in the same query (a tree path's parent is the path
    less its last step), so a list needs no query per row for its parents."""
    parent_path = Substr(OuterRef("path"), 1, Length(OuterRef("path")) - Unit.steplen)
    return queryset.annotate(
        parent_unit_code=Subquery(Unit.objects.filter(path=parent_path).order_by().values("code")[:1])
    )


def parent_code_of(unit):
    if not hasattr(unit, "parent_unit_code"):
        parent = Unit.objects.get_parent(unit)
        unit.parent_unit_code = parent.code if parent else None
    return unit.parent_unit_code


class ParentUnitField(UnitCodeField):
    """The parent's code: chosen (within the jurisdiction) when a unit is added."""

    def get_attribute(self, instance):
        return parent_code_of(instance)

    def to_representation(self, value):
        return value


class UnitSerializer(serializers.ModelSerializer):
    code = serializers.CharField(
        label=_("编码"),
        max_length=32,
        validators=[UniqueValidator(queryset=Unit.objects.all(), message=_("单位编码已存在。"))],
    )
    parent = ParentUnitField(label=_("上级单位编码"))

    class Meta:
        model = Unit
        fields = ["code", "name", "type", "tree", "division_code", "parent", "depth", "address", "capacity",
                  "is_active"]
        read_only_fields = ["tree", "depth"]

    def validate_parent(self, parent):
        if self.instance is not None and parent.code != parent_code_of(self.instance):
            raise serializers.ValidationError(_("不能在此更改上级单位。"))
        return parent

    def create(self, validated_data):
        parent = validated_data.pop("parent")
        unit = add_unit(parent, **validated_data)
        unit.parent_unit_code = parent.code
        return unit

    def update(self, instance, validated_data):
        validated_data.pop("parent", None)
        return super().update(instance, validated_data)


class UnitFilterSet(django_filters.FilterSet):
    under = SubtreeFilter(field_name="path", label=_("单位编码（含本级及全部下级）"))
    parent = django_filters.CharFilter(method="filter_parent", label=_("上级单位编码（仅直属下级）"))
    q = django_filters.CharFilter(method="filter_q", label=_("名称或编码"))

    class Meta:
        model = Unit
        fields = ["type", "tree", "division_code", "is_active"]

    def filter_parent(self, queryset, name, value):
        parent = Unit.objects.filter(code=value.strip()).only("path", "depth").first()
        if parent is None:
            return queryset.none()
        return queryset.filter(path__startswith=parent.path, depth=parent.depth + 1)

    def filter_q(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__contains=value) | Q(code__startswith=value)) if value else queryset


class UnitViewSet(RestrictedEditViewSet):
    """Units (单位/网格/学校/企业/场所) within the caller's jurisdiction, looked up by code."""

    queryset = Unit.objects.all()
    serializer_class = UnitSerializer
    filterset_class = UnitFilterSet
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    ordering_fields = ["path", "code", "name"]
    ordering = ["path"]

    def get_queryset(self):
        return with_parent_code(super().get_queryset())


def register(router):
    """Add this app's viewsets to the API router."""
    router.register("units", UnitViewSet, basename="unit")
