"""REST API of rounds and sampling: `/api/v1/testing-rounds/` (list, read, create),
`/api/v1/sampling-points/` (list, read, add), `/api/v1/tubes/` (list, read, open) with
`POST /api/v1/tubes/{barcode}/scan/` — the batch for handheld scanners — and
`POST /api/v1/tubes/{barcode}/close/`, and `POST /api/v1/sampling/uploads/` — the bulk upload
of offline scanners (JSON records or a CSV body). Tubes are limited by their point's place;
members are shown with ID numbers masked for roles that may not see them."""

import csv
import io

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiTypes, extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.response import Response

from fangkong.api.base import IDNumberField, RestrictedPrimaryKeyRelatedField, RestrictedViewSetMixin, UnitCodeField
from fangkong.api.filters import SubtreeFilter

from .models import Sample, SamplingPoint, Target, TestingRound, Tube, TubeStatus
from .services import ingest as ingest_services
from .services import rounds as round_services
from .services import sampling as sampling_services
from .services.lab import parse_moment

MAX_CODES = 500
MAX_UPLOAD_RECORDS = 100_000
# CSV headers of an upload: the field names, or their Chinese names.
UPLOAD_COLUMNS = {
    "barcode": ("barcode", "试管条码", "管码"), "point": ("point", "采样点", "采样点编码"),
    "code": ("code", "扫码内容", "身份证号", "健康码"), "scanned_at": ("scanned_at", "采样时间"),
    "scanner": ("scanner", "采样人员", "采样人员账号"),
}
UPLOAD_LABELS = {"barcode": _("试管条码"), "point": _("采样点"), "code": _("扫码内容"), "scanned_at": _("采样时间"),
                 "scanner": _("采样人员")}


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


class UploadRecordSerializer(serializers.Serializer):
    barcode = serializers.CharField(max_length=60, allow_blank=True, label=_("试管条码"))
    point = serializers.CharField(max_length=60, label=_("采样点编码"))
    code = serializers.CharField(max_length=2000, allow_blank=True, label=_("扫码内容"))
    scanned_at = serializers.DateTimeField(label=_("采样时间"))
    scanner = serializers.CharField(max_length=150, required=False, allow_blank=True, default="",
                                    label=_("采样人员账号"), help_text=_("默认为上传人"))


class UploadSerializer(serializers.Serializer):
    round = serializers.IntegerField(label=_("轮次"))
    unit = UnitCodeField(required=False, allow_null=True, label=_("未登记人员所属单位编码"),
                         help_text=_("默认为采样点的上级村（社区）或网格"))
    records = UploadRecordSerializer(many=True, allow_empty=False, max_length=MAX_UPLOAD_RECORDS,
                                     label=_("采样记录"))


class CSVUploadParamsSerializer(serializers.Serializer):
    """The query of a CSV upload: what the JSON body would carry besides the records."""

    round = serializers.IntegerField(label=_("轮次"))
    unit = UnitCodeField(required=False, allow_null=True, label=_("未登记人员所属单位编码"))


class RefusalSerializer(serializers.Serializer):
    row = serializers.IntegerField(label=_("行号"), help_text=_("JSON 记录从1起；CSV 为文件中的行号"))
    barcode = serializers.CharField(label=_("试管条码"))
    code = serializers.CharField(label=_("扫码内容"))
    reason = serializers.CharField(label=_("未采原因"))


class UploadOutcomeSerializer(serializers.Serializer):
    records = serializers.IntegerField(label=_("记录数"))
    accepted = serializers.IntegerField(label=_("已采"))
    refused = serializers.IntegerField(label=_("未采"))
    provisional = serializers.IntegerField(label=_("新登记临时人员"))
    tubes_opened = serializers.IntegerField(label=_("新开管数"))
    tubes_closed = serializers.IntegerField(label=_("满管封管数"))
    refusals = RefusalSerializer(many=True)


class UploadRowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True)
    column = serializers.CharField()
    message = serializers.CharField()


class UploadErrorsSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = UploadRowErrorSerializer(many=True)


class CSVParser(BaseParser):
    """A CSV body, handed over as bytes (read by `read_upload_csv`)."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read()


def _decode(body):
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return body.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise serializers.ValidationError(_("CSV 文件应为 UTF-8 或 GB18030 编码"))


def read_upload_csv(body):
    """(records, row numbers, errors) of a CSV upload: a header row naming the columns (see
    UPLOAD_COLUMNS), then one scan a row. Errors are {row, column, message} in Chinese."""
    reader = csv.reader(io.StringIO(_decode(body)))
    header = next(reader, None) or []
    names = {name.lower(): key for key, options in UPLOAD_COLUMNS.items() for name in options}
    mapping = {}
    for index, cell in enumerate(header):
        key = names.get(cell.strip().lower())
        if key and key not in mapping:
            mapping[key] = index
    missing = [str(UPLOAD_LABELS[key]) for key in ("barcode", "point", "code", "scanned_at") if key not in mapping]
    if missing:
        return [], [], [{"row": 1, "column": "", "message": _("表头缺少以下列：%(columns)s") % {
            "columns": "、".join(missing)}}]
    records, rows, errors = [], [], []
    for row_no, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(records) >= MAX_UPLOAD_RECORDS:
            errors.append({"row": row_no, "column": "", "message": _("一次最多上传%(n)d条记录")
                           % {"n": MAX_UPLOAD_RECORDS}})
            break

        def cell(key):
            index = mapping.get(key)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        try:
            moment = parse_moment(cell("scanned_at"))
        except DjangoValidationError as error:
            errors.append({"row": row_no, "column": header[mapping["scanned_at"]], "message": error.messages[0]})
            continue
        records.append((cell("barcode"), cell("point"), cell("code"), moment, cell("scanner")))
        rows.append(row_no)
    if not records and not errors:
        errors.append({"row": None, "column": "", "message": _("文件中没有数据行")})
    return records, rows, errors


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


class SamplingUploadViewSet(viewsets.GenericViewSet):
    """The bulk upload of offline scanners (离线采集批量上传): records of one round applied as
    scans would be (see services/ingest.py). Points outside the caller's jurisdiction are refused
    record by record. Needs testing.add_sample."""

    parser_classes = [JSONParser, CSVParser]
    serializer_class = UploadSerializer
    pagination_class = None

    def get_permissions(self):
        return [permissions.IsAuthenticated(), needs("testing.add_sample")()]

    def _round(self, value):
        try:
            pk = int(value)
        except (TypeError, ValueError):
            pk = None
        found = round_services.rounds_for(self.request.user).filter(pk=pk).first() if pk else None
        if found is None:
            raise serializers.ValidationError({"round": [_("轮次不存在或不在您的辖区内。")]})
        return found

    @extend_schema(
        summary="批量上传采样记录（离线采集）",
        request={"application/json": UploadSerializer, "text/csv": OpenApiTypes.BINARY},
        parameters=[CSVUploadParamsSerializer],
        responses={201: UploadOutcomeSerializer, 400: UploadErrorsSerializer},
    )
    def create(self, request):
        if isinstance(request.data, bytes):
            params = CSVUploadParamsSerializer(data=request.query_params, context=self.get_serializer_context())
            params.is_valid(raise_exception=True)
            testing_round, unit = self._round(params.validated_data["round"]), params.validated_data.get("unit")
            records, rows, errors = read_upload_csv(request.data)
            if errors:
                return Response({"detail": _("有%(n)s处错误，未写入任何记录。") % {"n": len(errors)}, "errors": errors},
                                status=status.HTTP_400_BAD_REQUEST)
        else:
            serializer = UploadSerializer(data=request.data, context=self.get_serializer_context())
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            testing_round, unit = self._round(data["round"]), data.get("unit")
            records = [(r["barcode"], r["point"], r["code"], r["scanned_at"], r["scanner"]) for r in data["records"]]
            rows = range(1, len(records) + 1)
        try:
            outcome = ingest_services.ingest(testing_round, records, request.user, timezone.now(), unit=unit)
        except DjangoValidationError as error:
            raise as_drf_error(error) from None
        body = outcome.counts()
        body["refusals"] = [{"row": rows[r.index], "barcode": r.barcode, "code": r.code, "reason": r.reason}
                            for r in outcome.refusals]
        return Response(UploadOutcomeSerializer(body).data, status=status.HTTP_201_CREATED)


def register(router):
    router.register("testing-rounds", TestingRoundViewSet, basename="testing-round")
    router.register("sampling-points", SamplingPointViewSet, basename="sampling-point")
    router.register("tubes", TubeViewSet, basename="tube")
    router.register("sampling/uploads", SamplingUploadViewSet, basename="sampling-upload")
