"""The daily report through the API: the same JSON as `fangkong report daily`, its .xlsx, and
the completeness of a unit's subtree."""

import datetime

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from fangkong.orgs.models import Unit

from .services.completeness import completeness
from .services.daily import daily_report
from .services.forms import DEFAULT_FORM, FormNotFound, form_in_force
from .services.xlsx import daily_xlsx


class CanReadReports(permissions.BasePermission):
    def has_permission(self, request, view):
        return request.user.has_perm("reports.view_filing")


class CompletenessSerializer(serializers.Serializer):
    expected = serializers.IntegerField(help_text="应报单位数")
    received = serializers.IntegerField(help_text="已报单位数（含零报告、迟报）")
    on_time = serializers.IntegerField(help_text="按时报送单位数")
    missing = serializers.ListField(child=serializers.CharField(), help_text="未报单位编码")


class DailyReportSerializer(serializers.Serializer):
    unit = serializers.CharField(help_text="单位编码")
    unit_name = serializers.CharField()
    date = serializers.DateField()
    as_of = serializers.DateTimeField(help_text="统计截至")
    as_of_text = serializers.CharField(help_text="统计截至（中文写法，如2022年1月27日12时）")
    form = serializers.DictField()
    items = serializers.DictField(
        child=serializers.JSONField(),
        help_text="项目编码 → 汇总值；当日新增与累计并存时为 {new, cumulative}；"
                  "比率项目（如本轮检测覆盖率）为百分数，保留一位小数（87.5 即 87.5%），分母为0时为 null",
    )
    completeness = CompletenessSerializer()
    snapshot = serializers.DictField(allow_null=True, help_text="取自当日快照时的版本")
    corrections = serializers.ListField(child=serializers.DictField(), help_text="快照之后的更正")


PARAMETERS = [
    OpenApiParameter("unit", str, required=True, description="单位编码"),
    OpenApiParameter("date", datetime.date, description="日期，默认今天"),
    OpenApiParameter("form", str, description="报表编码，默认 daily"),
]


class DailyReportViewSet(viewsets.ViewSet):
    """日报汇总: one unit's subtree for one day."""

    permission_classes = [permissions.IsAuthenticated, CanReadReports]

    def _arguments(self, request):
        code = request.query_params.get("unit", "").strip()
        if not code:
            raise serializers.ValidationError({"unit": [_("请提供单位编码")]})
        unit = Unit.objects.restrict(request.user).filter(code=code).first()
        if unit is None:
            raise Http404
        try:
            day = datetime.date.fromisoformat(request.query_params.get("date") or timezone.localdate().isoformat())
        except ValueError:
            raise serializers.ValidationError({"date": [_("日期格式应为YYYY-MM-DD")]}) from None
        try:
            form = form_in_force(request.query_params.get("form") or DEFAULT_FORM, day)
        except FormNotFound:
            raise serializers.ValidationError({"form": [_("该日没有生效的报表")]}) from None
        return unit, day, form

    @extend_schema(summary="日报汇总", parameters=PARAMETERS, responses=DailyReportSerializer)
    def list(self, request):
        unit, day, form = self._arguments(request)
        return Response(daily_report(unit, day, form=form))

    @extend_schema(
        summary="日报汇总表（Excel）", parameters=PARAMETERS,
        responses={(200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiResponse(
            OpenApiTypes.BINARY)},
    )
    @action(detail=False)
    def xlsx(self, request):
        unit, day, form = self._arguments(request)
        report = daily_report(unit, day, form=form)
        content = daily_xlsx(report, unit, day, form, datetime.datetime.fromisoformat(report["as_of"]))
        response = HttpResponse(
            content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = f'attachment; filename="daily-{unit.code}-{day.isoformat()}.xlsx"'
        return response

    @extend_schema(summary="报送情况（应报、已报、按时、未报单位）", parameters=PARAMETERS,
                   responses=CompletenessSerializer)
    @action(detail=False)
    def completeness(self, request):
        unit, day, form = self._arguments(request)
        return Response(completeness(form, unit, day))


def register(router):
    router.register("daily-reports", DailyReportViewSet, basename="daily-report")
