"""REST API of the isolation sites (registered under /api/v1/ by fangkong.api.urls): sites
with their occupancy and reserve, rooms, and stays (creating one is a check-in; the
check-out action closes it)."""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from fangkong.api.base import (
    ChangeModelPermissions,
    IDNumberField,
    RestrictedEditViewSet,
    RestrictedPrimaryKeyRelatedField,
    RestrictedViewSetMixin,
    UnitCodeField,
)
from fangkong.api.filters import SubtreeFilter
from fangkong.control.models import ControlCase
from fangkong.orgs.models import Unit, UnitType

from .models import Room, Stay
from .services import check_in, check_out, occupancy, reserve, served_area


def as_drf_error(error):
    return serializers.ValidationError(error.message_dict if hasattr(error, "error_dict") else error.messages)


class ReserveSerializer(serializers.Serializer):
    area = serializers.CharField(source="area.code", label=_("服务区域编码"))
    area_name = serializers.CharField(source="area.name", label=_("服务区域"))
    residents = serializers.IntegerField(label=_("常住人口"))
    rooms = serializers.IntegerField(label=_("隔离房间数"))
    target_per_10k = serializers.DecimalField(max_digits=6, decimal_places=1, label=_("每万人房间数标准"))
    per_10k = serializers.DecimalField(max_digits=8, decimal_places=1, allow_null=True, label=_("每万人房间数"))
    needed = serializers.IntegerField(label=_("按标准需房间数"))
    below = serializers.BooleanField(label=_("储备不足"))


class SiteSerializer(serializers.ModelSerializer):
    rooms = serializers.SerializerMethodField(label=_("房间数"))
    beds = serializers.SerializerMethodField(label=_("床位数"))
    occupied = serializers.SerializerMethodField(label=_("在住人数"))
    free = serializers.SerializerMethodField(label=_("空床位"))
    over_capacity = serializers.SerializerMethodField(label=_("超容"))
    reserve = serializers.SerializerMethodField(label=_("服务区域房间储备"))

    class Meta:
        model = Unit
        fields = ["id", "code", "name", "address", "rooms", "beds", "occupied", "free", "over_capacity", "reserve"]

    def _figures(self, site):
        return self.context["occupancy"][site.pk]

    def get_rooms(self, site) -> int:
        return self._figures(site).rooms

    def get_beds(self, site) -> int:
        return self._figures(site).beds

    def get_occupied(self, site) -> int:
        return self._figures(site).occupied

    def get_free(self, site) -> int:
        return self._figures(site).free

    def get_over_capacity(self, site) -> bool:
        return self._figures(site).over_capacity

    @extend_schema_field(ReserveSerializer(allow_null=True))
    def get_reserve(self, site):
        area = served_area(site)
        if area is None:
            return None
        cache = self.context.setdefault("reserves", {})
        if area.pk not in cache:
            cache[area.pk] = ReserveSerializer(reserve(area, timezone.localdate())).data
        return cache[area.pk]


class SiteViewSet(RestrictedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Isolation sites (集中隔离点) of the caller's jurisdiction with occupancy and reserve."""

    queryset = Unit.objects.filter(type=UnitType.ISOLATION_SITE).order_by("path")
    serializer_class = SiteSerializer
    filterset_fields = []
    permission_classes = [permissions.IsAuthenticated]

    def check_permissions(self, request):
        super().check_permissions(request)
        if not request.user.has_perm("sites.view_room"):
            self.permission_denied(request)

    def _context(self, sites):
        return {**self.get_serializer_context(), "occupancy": occupancy(sites)}

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        sites = list(page if page is not None else queryset)
        data = SiteSerializer(sites, many=True, context=self._context(sites)).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request, *args, **kwargs):
        site = self.get_object()
        return Response(SiteSerializer(site, context=self._context([site])).data)


class RoomSerializer(serializers.ModelSerializer):
    site = UnitCodeField(label=_("隔离点编码"))
    site_name = serializers.CharField(source="site.name", read_only=True)
    occupied = serializers.IntegerField(read_only=True, label=_("在住人数"))

    class Meta:
        model = Room
        fields = ["id", "site", "site_name", "number", "beds", "is_active", "occupied"]

    def validate_site(self, site):
        if site.type != UnitType.ISOLATION_SITE:
            raise serializers.ValidationError(_("“%(name)s”不是集中隔离点。") % {"name": site.name})
        return site

    def validate(self, attrs):
        site = attrs.get("site", getattr(self.instance, "site", None))
        number = attrs.get("number", getattr(self.instance, "number", None))
        clash = Room.objects.filter(site=site, number=number)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError({"number": _("该隔离点已有房间%(number)s。") % {"number": number}})
        return attrs


class RoomFilterSet(django_filters.FilterSet):
    site = SubtreeFilter(field_name="unit_path", label=_("隔离点编码"))

    class Meta:
        model = Room
        fields = ["is_active"]


class RoomViewSet(RestrictedEditViewSet):
    """Rooms of the isolation sites in the caller's jurisdiction."""

    queryset = Room.objects.select_related("site").annotate(
        occupied=Count("stays", filter=Q(stays__checked_out_at__isnull=True))).order_by("unit_path", "number")
    serializer_class = RoomSerializer
    filterset_class = RoomFilterSet
    ordering_fields = ["number", "id"]


class StaySerializer(serializers.ModelSerializer):
    room = RestrictedPrimaryKeyRelatedField(label=_("房间"), queryset=Room.objects.all())
    room_number = serializers.CharField(source="room.number", read_only=True)
    site = serializers.CharField(source="room.site.code", read_only=True, label=_("隔离点编码"))
    case = RestrictedPrimaryKeyRelatedField(label=_("管控对象"), queryset=ControlCase.objects.all())
    person_name = serializers.CharField(source="case.person.name", read_only=True, label=_("姓名"))
    id_number = IDNumberField(source="case.person.id_number", read_only=True, label=_("证件号码"))
    checked_in_at = serializers.DateTimeField(required=False, label=_("入住时间"), help_text=_("默认现在"))
    checked_in_by = serializers.StringRelatedField(read_only=True)
    checked_out_by = serializers.StringRelatedField(read_only=True)

    class Meta:
        model = Stay
        fields = ["id", "room", "room_number", "site", "case", "person_name", "id_number", "checked_in_at",
                  "checked_in_by", "checked_out_at", "checked_out_by"]
        read_only_fields = ["checked_out_at"]

    def create(self, validated_data):
        try:
            return check_in(validated_data["case"], validated_data["room"], by=self.context["request"].user,
                            now=validated_data.get("checked_in_at") or timezone.now())
        except DjangoValidationError as error:
            raise as_drf_error(error) from None


class StayFilterSet(django_filters.FilterSet):
    site = SubtreeFilter(field_name="unit_path", label=_("隔离点编码"))
    open = django_filters.BooleanFilter(field_name="checked_out_at", lookup_expr="isnull",
                                                      label=_("在住"))

    class Meta:
        model = Stay
        fields = ["case", "room"]


class CheckOutSerializer(serializers.Serializer):
    checked_out_at = serializers.DateTimeField(required=False, label=_("离开时间"), help_text=_("默认现在"))


class StayViewSet(RestrictedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                  mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Stays (入住记录) at the sites of the caller's jurisdiction. POST is a check-in."""

    queryset = Stay.objects.select_related("room__site", "case__person", "checked_in_by", "checked_out_by")
    serializer_class = StaySerializer
    filterset_class = StayFilterSet
    ordering_fields = ["checked_in_at", "id"]

    @extend_schema(summary="办理离开", request=CheckOutSerializer, responses=StaySerializer)
    @action(detail=True, methods=["post"], url_path="check-out",
            permission_classes=[permissions.IsAuthenticated, ChangeModelPermissions])
    def check_out(self, request, pk=None):
        stay = self.get_object()
        serializer = CheckOutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            check_out(stay, by=request.user, now=serializer.validated_data.get("checked_out_at") or timezone.now())
        except DjangoValidationError as error:
            raise as_drf_error(error) from None
        return Response(StaySerializer(stay, context=self.get_serializer_context()).data)


def register(router):
    router.register("sites", SiteViewSet, basename="site")
    router.register("rooms", RoomViewSet, basename="room")
    router.register("stays", StayViewSet, basename="stay")
