"""API of the line lists: `/api/v1/control-lists/` (the count of each list for the caller's
jurisdiction, or under ?unit=CODE, with a row per child unit) and `/api/v1/control-lists/{code}/`
(the cases of one list, paginated). Everything goes through `restrict(user)`."""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from fangkong.api.base import IDNumberField, PhoneField
from fangkong.orgs.models import Unit

from .models import Category, Measure
from .services import linelists


class CanViewCases(permissions.BasePermission):
    def has_permission(self, request, view):
        return request.user.has_perm("control.view_controlcase")


class ListCountsSerializer(serializers.Serializer):
    unit = serializers.CharField(source="unit.code", default=None, label=_("单位编码"))
    unit_name = serializers.CharField(source="unit.name", default=None, label=_("单位名称"))
    active = serializers.IntegerField(label=_("在管人数"))
    symptomatic = serializers.IntegerField(label=_("症状异常"))
    missed_slot = serializers.IntegerField(label=_("最近一次未报"))
    missed_day = serializers.IntegerField(label=_("整天未报"))
    missed_days = serializers.IntegerField(label=_("连续两天及以上未报"))
    non_reporting = serializers.IntegerField(label=_("未报合计"))
    release_due = serializers.IntegerField(label=_("今日到期解除"))
    tests_due = serializers.IntegerField(label=_("今日应检"))
    tests_overdue = serializers.IntegerField(label=_("检测逾期"))


class ControlListsSerializer(serializers.Serializer):
    at = serializers.DateTimeField(label=_("统计时间"))
    unit = serializers.CharField(source="rollup.unit.code", default=None, label=_("单位编码"),
                                 help_text=_("辖区有多个单位时为空，各行为辖区的各个单位"))
    unit_name = serializers.CharField(source="rollup.unit.name", default=None, label=_("单位名称"))
    total = ListCountsSerializer(source="rollup.total", label=_("合计"))
    rows = ListCountsSerializer(source="rollup.rows", many=True, label=_("各下级单位（含其全部下级）"))
    other = ListCountsSerializer(source="rollup.other", label=_("本级及移交待接收"))


class LineListTeamMemberSerializer(serializers.Serializer):
    role = serializers.CharField(label=_("职责"))
    name = serializers.CharField(label=_("姓名"))


class LineListCaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    person = serializers.IntegerField(source="person_id")
    person_name = serializers.CharField(source="person.name", label=_("姓名"))
    id_number = IDNumberField(source="person.id_number", label=_("证件号码"))
    phone = PhoneField(source="person.phone", label=_("联系电话"))
    unit = serializers.CharField(source="unit.code", label=_("责任单位编码"))
    unit_name = serializers.CharField(source="unit.name", label=_("责任单位"))
    category = serializers.ChoiceField(choices=Category.choices, label=_("管控类别"))
    current_measure = serializers.CharField(label=_("当前措施"), help_text=_("措施编码；待落实时为空"))
    status = serializers.CharField(label=_("状态"))
    day_number = serializers.IntegerField(allow_null=True, label=_("管控第几天"))
    day_total = serializers.IntegerField(allow_null=True, label=_("管控总天数"))
    release_on = serializers.DateField(allow_null=True, label=_("解除日期"))
    last_entry_at = serializers.DateTimeField(allow_null=True, label=_("最近监测时间"))
    last_temperature = serializers.DecimalField(max_digits=3, decimal_places=1, allow_null=True,
                                                label=_("最近体温（℃）"))
    team = LineListTeamMemberSerializer(many=True, source="team.all", label=_("责任人"))


class LineListPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = LineListCaseSerializer(many=True)


LIST_CODES = list(linelists.LISTS)
FILTERS = [
    OpenApiParameter("unit", str, description="单位编码；默认为本人辖区"),
    OpenApiParameter("measure", str, enum=Measure.values, description="当前措施"),
    OpenApiParameter("category", str, enum=Category.values, description="管控类别"),
]


class ControlListViewSet(viewsets.ViewSet):
    """Line lists (管控名单) of the active cases in the caller's jurisdiction."""

    permission_classes = [permissions.IsAuthenticated, CanViewCases]
    lookup_field = "code"
    lookup_value_regex = "[a-z_]+"

    def _filters(self, request):
        code = request.query_params.get("unit", "").strip()
        unit = get_object_or_404(Unit.objects.restrict(request.user), code=code) if code else None
        measure = request.query_params.get("measure", "")
        category = request.query_params.get("category", "")
        return {
            "unit": unit,
            "measure": measure if measure in Measure.values else None,
            "category": category if category in Category.values else None,
        }

    @extend_schema(summary="各名单人数", parameters=FILTERS, responses=ControlListsSerializer)
    def list(self, request):
        filters = self._filters(request)
        now = timezone.now()
        if filters["unit"] is not None:
            rollup = linelists.counts_by_child(filters.pop("unit"), request.user, now, **filters)
        else:
            filters.pop("unit")
            rollup = linelists.jurisdiction_counts(request.user, now, **filters)
        return Response(ControlListsSerializer({"at": now, "rollup": rollup}, context={"request": request}).data)

    @extend_schema(
        summary="名单人员",
        parameters=[
            OpenApiParameter("code", str, OpenApiParameter.PATH, enum=LIST_CODES, description="名单"),
            *FILTERS,
            OpenApiParameter("page", int, description="页码"),
        ],
        responses=LineListPageSerializer,
    )
    def retrieve(self, request, code=None):
        if code not in linelists.LISTS:
            raise NotFound
        cases = linelists.CaseList(request.user, code, timezone.now(), **self._filters(request))
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(cases, request, view=self)
        data = LineListCaseSerializer(page, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)


def register(router):
    router.register("control-lists", ControlListViewSet, basename="control-list")
