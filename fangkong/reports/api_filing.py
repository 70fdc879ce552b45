"""API of the report forms and filings: /api/v1/report-forms/ (reference data, read-only: the
forms in force, or every version) and /api/v1/filings/ (the caller's jurisdiction; POST files a
report, `correct` makes a new version with a reason). Rules are those of `services.filing`."""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from fangkong.api.base import ChangeModelPermissions, ModelPermissions, RestrictedViewSetMixin, UnitCodeField
from fangkong.api.filters import SubtreeFilter

from .models import Filing, ReportForm
from .services.filing import correct_filing, file_report
from .services.forms import FormNotFound, form_in_force


def as_drf_error(error):
    """A ValidationError of the services as a 400 body: item errors keyed by item code (and
    `reason`), refusals under `non_field_errors`."""
    if hasattr(error, "error_dict"):
        return serializers.ValidationError(error.message_dict)
    return serializers.ValidationError({"non_field_errors": error.messages})


class ReportFormSerializer(serializers.ModelSerializer):
    unit_types = serializers.ListField(child=serializers.CharField(), read_only=True, label=_("填报单位类型"))
    deadlines = serializers.DictField(child=serializers.CharField(), read_only=True, label=_("报送截止时间"))
    items = serializers.ListField(child=serializers.DictField(), read_only=True, label=_("填报项目"))
    rules = serializers.ListField(child=serializers.DictField(), read_only=True, label=_("校验规则"))

    class Meta:
        model = ReportForm
        fields = ["id", "code", "version", "name", "period", "unit_types", "deadlines", "lock_after_days",
                  "effective_from", "effective_to", "items", "rules", "source", "is_preset", "created_at"]


class ReportFormFilterSet(django_filters.FilterSet):
    all_versions = django_filters.BooleanFilter(method="filter_versions", label=_("全部版本"),
                                                help_text=_("默认只列出今天生效的版本"))

    class Meta:
        model = ReportForm
        fields = ["code"]

    def __init__(self, data=None, *args, **kwargs):
        if data is not None:
            data = data.copy()
            data.setdefault("all_versions", "false")
        super().__init__(data, *args, **kwargs)

    def filter_versions(self, queryset, name, value):
        return queryset if value else queryset.in_force(timezone.localdate())


class ReportFormViewSet(viewsets.ReadOnlyModelViewSet):
    """报表 (report forms): the versions in force today, or every version with `all_versions=true`."""

    queryset = ReportForm.objects.order_by("code", "-version")
    serializer_class = ReportFormSerializer
    permission_classes = [permissions.IsAuthenticated, ModelPermissions]
    filterset_class = ReportFormFilterSet

    def filter_queryset(self, queryset):
        # A version no longer in force is still read by its id.
        return super().filter_queryset(queryset) if self.action == "list" else queryset


class FilingSerializer(serializers.ModelSerializer):
    form = serializers.CharField(source="form.code", read_only=True, label=_("报表编码"))
    form_version = serializers.IntegerField(source="form.version", read_only=True, label=_("报表版本"))
    unit = UnitCodeField(read_only=True, label=_("填报单位编码"))
    unit_name = serializers.CharField(source="unit.name", read_only=True, label=_("填报单位"))
    values = serializers.DictField(child=serializers.JSONField(), read_only=True, label=_("填报数据"))
    computed = serializers.DictField(child=serializers.JSONField(), read_only=True, label=_("系统统计数据"))
    filed_by = serializers.StringRelatedField(read_only=True, label=_("报送人"))
    current = serializers.SerializerMethodField(label=_("现行版本"))

    class Meta:
        model = Filing
        fields = ["id", "form", "form_version", "unit", "unit_name", "day", "version", "current", "values",
                  "computed", "zero_report", "late", "filed_at", "filed_by", "reason", "superseded_at"]
        read_only_fields = fields

    def get_current(self, filing) -> bool:
        return filing.superseded_at is None


class FileReportSerializer(serializers.Serializer):
    form = serializers.CharField(max_length=40, default="daily", label=_("报表编码"))
    unit = UnitCodeField(label=_("填报单位编码"))
    day = serializers.DateField(label=_("报告期"), help_text=_("YYYY-MM-DD"))
    values = serializers.DictField(child=serializers.JSONField(), required=False, default=dict,
                                   label=_("填报数据"), help_text=_("手工填报项目：{项目编码: 数值或文字}"))
    zero_report = serializers.BooleanField(default=False, label=_("零报告"),
                                           help_text=_("无事报平安：各项数字为0，不需要 values"))

    def validate(self, attrs):
        try:
            attrs["form"] = form_in_force(attrs["form"], attrs["day"])
        except FormNotFound:
            raise serializers.ValidationError(
                {"form": _("报表“%(code)s”在%(day)s没有生效的版本。") % {"code": attrs["form"], "day": attrs["day"]}}
            ) from None
        return attrs


class CorrectionSerializer(serializers.Serializer):
    values = serializers.DictField(child=serializers.JSONField(), label=_("填报数据"),
                                   help_text=_("更正后的手工填报项目：{项目编码: 数值或文字}"))
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="", label=_("更正原因"))


class FilingFilterSet(django_filters.FilterSet):
    unit = SubtreeFilter(field_name="unit_path")
    current = django_filters.BooleanFilter(method="filter_current", label=_("只看现行版本"),
                                           help_text=_("默认 true；false 列出所有版本"))

    class Meta:
        model = Filing
        fields = ["day", "form_code", "late", "zero_report"]

    def __init__(self, data=None, *args, **kwargs):
        if data is not None:
            data = data.copy()
            data.setdefault("current", "true")
        super().__init__(data, *args, **kwargs)

    def filter_current(self, queryset, name, value):
        return queryset.current() if value else queryset


class FilingViewSet(RestrictedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                    mixins.CreateModelMixin, viewsets.GenericViewSet):
    """日报 (filings) of the caller's jurisdiction. POST files a report (日报告 or 零报告)."""

    queryset = Filing.objects.select_related("form", "unit", "filed_by")
    serializer_class = FilingSerializer
    filterset_class = FilingFilterSet
    ordering_fields = ["day", "filed_at", "id"]

    def filter_queryset(self, queryset):
        # An earlier version is still read by its id.
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    @extend_schema(summary="报送日报", request=FileReportSerializer, responses={201: FilingSerializer})
    def create(self, request, *args, **kwargs):
        body = FileReportSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            filing = file_report(data["form"], data["unit"], data["day"], data["values"], request.user,
                                 now=timezone.now(), zero=data["zero_report"])
        except DjangoValidationError as error:
            raise as_drf_error(error) from None
        return Response(FilingSerializer(filing, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(summary="更正日报", request=CorrectionSerializer, responses={201: FilingSerializer})
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated, ChangeModelPermissions])
    def correct(self, request, pk=None):
        """A new version of the filing with the values and the reason; the old one is kept."""
        filing = self.get_object()
        body = CorrectionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            corrected = correct_filing(filing, body.validated_data["values"], body.validated_data["reason"],
                                       request.user, now=timezone.now())
        except DjangoValidationError as error:
            raise as_drf_error(error) from None
        return Response(FilingSerializer(corrected, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)


def register(router):
    router.register("report-forms", ReportFormViewSet, basename="report-form")
    router.register("filings", FilingViewSet, basename="filing")
