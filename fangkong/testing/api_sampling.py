"""REST API of rounds and sampling: `/api/v1/testing-rounds/` (list, read, create),
`/api/v1/sampling-points/` (list, read, add), `/api/v1/tubes/` (list, read, open) with
`POST /api/v1/tubes/{barcode}/scan/` — the batch for handheld scanners — and
`POST /api/v1/tubes/{barcode}/close/`. Tubes are limited by their point's place; members are
shown with ID numbers masked for roles that may not see them."""

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from fangkong.api.base import IDNumberField, RestrictedPrimaryKeyRelatedField, RestrictedViewSetMixin, UnitCodeField
from fangkong.api.filters import SubtreeFilter

from .models import Sample, SamplingPoint, Target, TestingRound, Tube, TubeStatus
from .services import rounds as round_services
from .services import sampling as sampling_services

MAX_CODES = 500


def as_drf_error(error):
    if isinstance(error, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(error) or None)
    return serializers.ValidationError(error.message_dict if hasattr(error, "error_dict") else error.messages)


def needs(perm):
    class Needs(permissions.BasePermission):
        def has_permission(self, request, view):
            return bool(request.user and request.user.is_authenticated and request.user.has_perm(perm))

    Needs.__name__ = "Needs_" + perm.split(".")[-1]
    return Needs


# ---------------------------------------------------------------------------------------------
# Serializers


class PoolSizesSerializer(serializers.Serializer):
    default = serializers.IntegerField(min_value=1, max_value=round_services.MAX_POOL_SIZE, required=False,
                                       label=_("默认混采人数"))
    medium_risk = serializers.IntegerField(min_value=1, max_value=round_services.MAX_POOL_SIZE, required=False,
                                           label=_("中风险地区混采人数"))
    controlled = serializers.IntegerField(min_value=1, max_value=round_services.MAX_POOL_SIZE, required=False,
                                          label=_("在管重点人员混采人数"))


class TestingRoundSerializer(serializers.ModelSerializer):
    owner_unit = serializers.CharField(source="owner_unit.code", read_only=True, label=_("组织单位编码"))
    owner_unit_name = serializers.CharField(source="owner_unit.name", read_only=True)
    scope = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True, label=_("检测范围"))
    pool_sizes = serializers.SerializerMethodField(label=_("混采比例"))
    created_by = serializers.StringRelatedField()

    class Meta:
        model = TestingRound
        fields = ["id", "name", "owner_unit", "owner_unit_name", "scope", "starts_on", "ends_on", "target",
                  "pool_sizes", "created_by", "created_at"]
        read_only_fields = fields

    @extend_schema_field(PoolSizesSerializer)
    def get_pool_sizes(self, testing_round):
        return {kind: testing_round.pool_size(kind) for kind in round_services.POOL_KINDS}


class CreateRoundSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, label=_("名称"))
    owner_unit = UnitCodeField(label=_("组织单位编码"))
    scope = UnitCodeField(many=True, required=False, label=_("检测范围（单位编码）"), help_text=_("默认为组织单位"))
    starts_on = serializers.DateField(label=_("开始日期"))
    ends_on = serializers.DateField(label=_("结束日期"))
    target = serializers.ChoiceField(choices=Target.choices, default=Target.ALL_RESIDENTS, label=_("检测对象"))
    pool_sizes = PoolSizesSerializer(required=False, label=_("混采比例"))


class SamplingPointSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.code", read_only=True, label=_("采样点编码"))
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    tubes = serializers.IntegerField(source="tube_count", read_only=True, label=_("管数"))

    class Meta:
        model = SamplingPoint
        fields = ["id", "round", "unit", "unit_name", "opens_at", "closes_at", "staff", "tubes"]
        read_only_fields = fields


class AddPointSerializer(serializers.Serializer):
    round = serializers.PrimaryKeyRelatedField(queryset=TestingRound.objects.all(), label=_("轮次"))
    unit = UnitCodeField(label=_("采样点编码"))
    opens_at = serializers.TimeField(required=False, allow_null=True, label=_("开始时间"))
    closes_at = serializers.TimeField(required=False, allow_null=True, label=_("结束时间"))
    staff = serializers.CharField(max_length=200, required=False, allow_blank=True, default="", label=_("采样人员"))

    def validate_round(self, value):
        if not round_services.rounds_for(self.context["request"].user).filter(pk=value.pk).exists():
            raise serializers.ValidationError(_("轮次不存在或不在您的辖区内。"))
        return value


class SampleSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name", read_only=True, label=_("姓名"))
    id_number = IDNumberField(source="person.id_number", read_only=True, label=_("证件号码"))
    provisional = serializers.BooleanField(source="person.is_provisional", read_only=True, label=_("临时登记"))

    class Meta:
        model = Sample
        fields = ["person", "person_name", "id_number", "provisional", "scanned_at"]
        read_only_fields = fields


class TubeSerializer(serializers.ModelSerializer):
    point_name = serializers.CharField(source="point.unit.name", read_only=True, label=_("采样点"))
    # Plain strings in the schema: the status and result choices are shared with other record
    # families, and one enum name per choice set keeps the schema free of name clashes.
    status = serializers.CharField(read_only=True, label=_("状态"), help_text=_("open 采样中、closed 已封管、"
                                                                             "received 已接收、resulted 已出结果"))
    result = serializers.CharField(read_only=True, label=_("检测结果"),
                                   help_text=_("negative 阴性、positive 阳性、abnormal 异常、invalid 无效；空为未出"))
    opened_by = serializers.StringRelatedField()
    samples = SampleSerializer(many=True, read_only=True)

    class Meta:
        model = Tube
        fields = ["barcode", "round", "point", "point_name", "capacity", "size", "status", "opened_at", "opened_by",
                  "closed_at", "result", "result_at", "samples"]
        read_only_fields = fields


class OpenTubeSerializer(serializers.Serializer):
    point = RestrictedPrimaryKeyRelatedField(queryset=SamplingPoint.objects.select_related("round", "unit"),
                                             label=_("采样点"))
    barcode = serializers.CharField(max_length=40, label=_("试管条码"))
    capacity = serializers.IntegerField(min_value=1, max_value=round_services.MAX_POOL_SIZE, required=False,
                                        allow_null=True, label=_("混采人数上限"), help_text=_("默认按本轮混采比例"))


class ScanSerializer(serializers.Serializer):
    codes = serializers.ListField(child=serializers.CharField(max_length=2000, allow_blank=True), min_length=1,
                                  max_length=MAX_CODES, label=_("扫码内容"),
                                  help_text=_("身份证号、健康码（HC:身份证号、含 idno 的 JSON 或网址）或人员条码 P编号"))
    unit = UnitCodeField(required=False, allow_null=True, label=_("未登记人员所属单位编码"),
                         help_text=_("默认为采样点的上级村（社区）或网格"))


class ScanResultSerializer(serializers.Serializer):
    code = serializers.CharField(label=_("扫码内容"))
    accepted = serializers.BooleanField(label=_("已采"))
    reason = serializers.CharField(label=_("未采原因"))
    person = serializers.IntegerField(source="person.pk", allow_null=True, default=None, label=_("人员"))
    person_name = serializers.CharField(source="person.name", allow_null=True, default=None, label=_("姓名"))
    provisional = serializers.BooleanField(label=_("新登记为临时人员"))


class ScanOutcomeSerializer(serializers.Serializer):
    tube = TubeSerializer()
    accepted = serializers.IntegerField(label=_("本次采样人数"))
    results = ScanResultSerializer(many=True)


# ---------------------------------------------------------------------------------------------
# Filters


class RoundFilterSet(django_filters.FilterSet):
    active_on = django_filters.DateFilter(method="filter_active_on", label=_("进行中的日期"))

    class Meta:
        model = TestingRound
        fields = ["target"]

    def filter_active_on(self, queryset, name, value):
        return queryset.filter(starts_on__lte=value, ends_on__gte=value)


class TubeFilterSet(django_filters.FilterSet):
    unit = SubtreeFilter()
    round = django_filters.NumberFilter(field_name="round_id", label=_("轮次"))
    point = django_filters.NumberFilter(field_name="point_id", label=_("采样点"))
    status = django_filters.ChoiceFilter(choices=TubeStatus.choices, label=_("状态"))

    class Meta:
        model = Tube
        fields = []


# ---------------------------------------------------------------------------------------------
# Views


class TestingRoundViewSet(RestrictedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                          mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Testing rounds the caller takes part in (owned, covering or with a point in their
    jurisdiction); creating one needs testing.add_testinground."""

    queryset = TestingRound.objects.select_related("owner_unit", "created_by").prefetch_related("scope")
    serializer_class = TestingRoundSerializer
    filterset_class = RoundFilterSet
    ordering_fields = ["id", "starts_on"]

    def get_queryset(self):
        return round_services.rounds_for(self.request.user).select_related(
            "owner_unit", "created_by").prefetch_related("scope").order_by("-starts_on", "-id")

    @extend_schema(summary="新建检测轮次", request=CreateRoundSerializer, responses={201: TestingRoundSerializer})
    def create(self, request, *args, **kwargs):
        serializer = CreateRoundSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            created = round_services.create_round(
                data["owner_unit"], data["name"], data.get("scope", []), data["starts_on"], data["ends_on"],
                data["target"], dict(data.get("pool_sizes") or {}), request.user)
        except DjangoValidationError as error:
            raise as_drf_error(error) from None
        return Response(TestingRoundSerializer(self.get_queryset().get(pk=created.pk),
                                               context=self.get_serializer_context()).data, status=201)


class SamplingPointViewSet(RestrictedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                           mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Sampling points within the caller's jurisdiction."""

    queryset = SamplingPoint.objects.select_related("unit").annotate(tube_count=Count("tubes")).order_by("round",
                                                                                                        "unit__path")
    serializer_class = SamplingPointSerializer
    filterset_fields = ["round"]

    @extend_schema(summary="添加采样点", request=AddPointSerializer, responses={201: SamplingPointSerializer})
    def create(self, request, *args, **kwargs):
        serializer = AddPointSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            point = round_services.add_point(data["round"], data["unit"], data.get("opens_at"),
                                             data.get("closes_at"), data["staff"])
        except DjangoValidationError as error:
            raise as_drf_error(error) from None
        return Response(SamplingPointSerializer(self.get_queryset().get(pk=point.pk)).data, status=201)


class TubeViewSet(RestrictedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                  mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Tubes at the sampling points of the caller's jurisdiction, by barcode. Opening one needs
    testing.add_tube, scanning testing.add_sample, closing testing.change_tube."""

    queryset = Tube.objects.select_related("point__unit", "opened_by").prefetch_related(
        Prefetch("samples", queryset=Sample.objects.select_related("person").order_by("scanned_at", "id")))
    serializer_class = TubeSerializer
    filterset_class = TubeFilterSet
    ordering_fields = ["opened_at", "barcode"]
    lookup_field = "barcode"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return super().get_queryset().order_by("-opened_at", "-id")

    def get_permissions(self):
        extra = {"scan": needs("testing.add_sample"), "close": needs("testing.change_tube")}
        if self.action in extra:
            return [permissions.IsAuthenticated(), extra[self.action]()]
        return super().get_permissions()

    def _respond(self, tube, status=200):
        tube = self.get_queryset().get(pk=tube.pk)
        return Response(TubeSerializer(tube, context=self.get_serializer_context()).data, status=status)

    @extend_schema(summary="开管", request=OpenTubeSerializer, responses={201: TubeSerializer})
    def create(self, request, *args, **kwargs):
        serializer = OpenTubeSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        point = data["point"]
        try:
            tube = sampling_services.open_tube(point.round, point, data["barcode"], request.user, timezone.now(),
                                               capacity=data.get("capacity"))
        except (DjangoValidationError, DjangoPermissionDenied) as error:
            raise as_drf_error(error) from None
        return self._respond(tube, status=201)

    @extend_schema(summary="扫码采样（批量）", request=ScanSerializer, responses=ScanOutcomeSerializer)
    @action(detail=True, methods=["post"])
    def scan(self, request, barcode=None):
        tube = self.get_object()
        serializer = ScanSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            outcome = sampling_services.scan(tube, data["codes"], request.user, timezone.now(),
                                             unit=data.get("unit"))
        except (DjangoValidationError, DjangoPermissionDenied) as error:
            raise as_drf_error(error) from None
        outcome.tube = self.get_queryset().get(pk=tube.pk)
        return Response(ScanOutcomeSerializer(outcome, context=self.get_serializer_context()).data)

    @extend_schema(summary="封管", request=None, responses=TubeSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, barcode=None):
        tube = self.get_object()
        try:
            sampling_services.close_tube(tube, request.user, timezone.now())
        except (DjangoValidationError, DjangoPermissionDenied) as error:
            raise as_drf_error(error) from None
        return self._respond(tube)


def register(router):
    router.register("testing-rounds", TestingRoundViewSet, basename="testing-round")
    router.register("sampling-points", SamplingPointViewSet, basename="sampling-point")
    router.register("tubes", TubeViewSet, basename="tube")
