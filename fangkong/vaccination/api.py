"""API of vaccination (registered under /api/v1/ by fangkong.api.urls):

- `vaccine-doses/`: the doses of the persons in the caller's jurisdiction (read only; doses come
  from imported vaccination lists), filterable by person, product code, dose number and unit;
- `vaccination/coverage/?unit=CODE&date=YYYY-MM-DD`: coverage by cohort of a unit's subtree;
- `vaccination/ranking/?unit=CODE&date=…&metric=…`: the child units ranked on the four figures;
- `vaccination/people/?unit=CODE&kind=not_vaccinated|not_full|booster_due&grid=CODE`: the lists
  for door-knocking, paginated, ID and phone numbers masked unless the role may see them.

A unit outside the caller's jurisdiction is 404."""

import datetime

import django_filters
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from fangkong.api.base import IDNumberField, RestrictedReadOnlyViewSet
from fangkong.orgs.jurisdiction import jurisdiction_paths
from fangkong.orgs.models import Unit

from .models import Dose
from .services.coverage import METRICS, RANKED, ranking, sort_ranking, unit_coverage
from .services.lists import KINDS, people_list, person_row


class DoseSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="person.name", read_only=True, label=gettext_lazy("姓名"))
    id_number = IDNumberField(source="person.id_number", read_only=True, label=gettext_lazy("证件号码"))
    unit = serializers.CharField(source="person.unit.code", read_only=True, label=gettext_lazy("所属网格编码"))
    product = serializers.CharField(source="product.code", read_only=True, label=gettext_lazy("疫苗编码"))
    product_name = serializers.CharField(source="product.name", read_only=True, label=gettext_lazy("疫苗名称"))
    manufacturer = serializers.CharField(source="product.manufacturer", read_only=True,
                                         label=gettext_lazy("生产企业"))

    class Meta:
        model = Dose
        fields = ["id", "person", "name", "id_number", "unit", "product", "product_name", "manufacturer",
                  "dose_number", "given_on", "site", "batch_number", "created_at"]
        read_only_fields = fields


class DoseFilter(django_filters.FilterSet):
    product = django_filters.CharFilter(field_name="product__code", label=gettext_lazy("疫苗编码"))
    unit = django_filters.CharFilter(method="filter_unit", label=gettext_lazy("单位编码（含下级）"))
    given_after = django_filters.DateFilter(field_name="given_on", lookup_expr="gte")
    given_before = django_filters.DateFilter(field_name="given_on", lookup_expr="lte")

    class Meta:
        model = Dose
        fields = ["person", "dose_number"]

    def filter_unit(self, queryset, name, value):
        unit = Unit.objects.filter(code=value).first()
        return queryset.filter(person__unit_path__startswith=unit.path) if unit else queryset.none()


class DoseViewSet(RestrictedReadOnlyViewSet):
    """Doses (接种记录) of the persons in the caller's jurisdiction."""

    queryset = Dose.objects.select_related("person__unit", "product").order_by("person_id", "dose_number")
    serializer_class = DoseSerializer
    filterset_class = DoseFilter
    ordering_fields = ["given_on", "dose_number", "id"]


class CanReadVaccination(permissions.BasePermission):
    def has_permission(self, request, view):
        return request.user.has_perm("vaccination.view_dose")


UNIT_PARAMETERS = [
    OpenApiParameter("unit", str, description="单位编码，默认为调用者辖区的最上级单位"),
    OpenApiParameter("date", datetime.date, description="统计日期，默认今天"),
]


class VaccinationPersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    id_number = serializers.CharField(help_text="证件号码（无权查看时脱敏）")
    phone = serializers.CharField(help_text="联系电话（无权查看时脱敏）")
    age = serializers.IntegerField(allow_null=True)
    address = serializers.CharField(help_text="家庭住址")
    grid = serializers.CharField(help_text="所属网格")
    grid_code = serializers.CharField()
    doses = serializers.IntegerField(help_text="已接种剂次")
    last_on = serializers.DateField(allow_null=True, help_text="末次接种日期")


class VaccinationCoverageSerializer(serializers.Serializer):
    unit = serializers.CharField(help_text="单位编码")
    unit_name = serializers.CharField()
    date = serializers.DateField(help_text="统计日期")
    population = serializers.IntegerField(help_text="应种人数（3岁以上，登记在册）")
    eligible = serializers.IntegerField(help_text="可接种人数（应种人数减暂缓接种）")
    cohorts = serializers.DictField(
        child=serializers.JSONField(),
        help_text="年龄组（3-11、12-17、18-59、60+、all）→ population、deferred、eligible、vaccinated、second、full、"
                  "boosted 及 rates（coverage、full、second、booster，百分比）")
    metrics = serializers.DictField(child=serializers.FloatField(allow_null=True),
                                    help_text="full_rate、booster_share、coverage_60、second_3_11、coverage_rate（百分比）")


class VaccinationRankingRowSerializer(serializers.Serializer):
    unit = serializers.CharField()
    unit_name = serializers.CharField()
    population = serializers.IntegerField()
    values = serializers.DictField(child=serializers.FloatField(allow_null=True), help_text="指标 → 百分比")
    ranks = serializers.DictField(child=serializers.IntegerField(allow_null=True), help_text="指标 → 名次（1为最高）")


class VaccinationRankingSerializer(serializers.Serializer):
    unit = serializers.CharField()
    date = serializers.DateField()
    metric = serializers.CharField(help_text="排序指标")
    metrics = serializers.DictField(child=serializers.CharField(), help_text="指标 → 名称")
    results = VaccinationRankingRowSerializer(many=True)


class VaccinationViewSet(viewsets.ViewSet):
    """Coverage, ranking and the lists of people to vaccinate, for a unit's subtree."""

    permission_classes = [permissions.IsAuthenticated, CanReadVaccination]

    def _unit_and_date(self, request):
        code = request.query_params.get("unit", "").strip()
        if code:
            unit = Unit.objects.restrict(request.user).filter(code=code).first()
        else:
            paths = jurisdiction_paths(request.user)
            tops = Unit.objects.get_root_nodes() if paths is None else Unit.objects.filter(path__in=paths)
            unit = tops.order_by("path").first()
        if unit is None:
            raise Http404
        try:
            day = datetime.date.fromisoformat(request.query_params.get("date") or timezone.localdate().isoformat())
        except ValueError:
            raise serializers.ValidationError({"date": [_("日期格式应为YYYY-MM-DD")]}) from None
        return unit, day

    @extend_schema(summary="按年龄组的接种率", parameters=UNIT_PARAMETERS, responses=VaccinationCoverageSerializer)
    @action(detail=False)
    def coverage(self, request):
        unit, day = self._unit_and_date(request)
        return Response({"unit": unit.code, "unit_name": unit.name, "date": day, **unit_coverage(unit, day).as_dict()})

    @extend_schema(summary="下级单位接种排名", parameters=[
        *UNIT_PARAMETERS, OpenApiParameter("metric", str, enum=list(RANKED), description="排序指标")],
        responses=VaccinationRankingSerializer)
    @action(detail=False)
    def ranking(self, request):
        unit, day = self._unit_and_date(request)
        metric = request.query_params.get("metric") or RANKED[0]
        if metric not in RANKED:
            raise serializers.ValidationError({"metric": [_("可选：%(keys)s") % {"keys": "、".join(RANKED)}]})
        rows = sort_ranking(ranking(unit, day), metric)
        return Response({
            "unit": unit.code, "date": day, "metric": metric,
            "metrics": {key: str(METRICS[key].label) for key in RANKED},
            "results": [{"unit": row["unit"].code, "unit_name": row["unit"].name,
                         "population": row["coverage"].population, "values": row["values"], "ranks": row["ranks"]}
                        for row in rows],
        })

    @extend_schema(summary="应接未接名单", parameters=[
        *UNIT_PARAMETERS, OpenApiParameter("kind", str, enum=list(KINDS), description="名单类型，默认 not_vaccinated"),
        OpenApiParameter("grid", str, description="网格编码"), OpenApiParameter("page", int)],
        responses=VaccinationPersonSerializer(many=True))
    @action(detail=False)
    def people(self, request):
        unit, day = self._unit_and_date(request)
        kind = request.query_params.get("kind") or "not_vaccinated"
        if kind not in KINDS:
            raise serializers.ValidationError({"kind": [_("可选：%(keys)s") % {"keys": "、".join(KINDS)}]})
        grid = None
        if request.query_params.get("grid"):
            grid = Unit.objects.restrict(request.user).filter(code=request.query_params["grid"],
                                                             path__startswith=unit.path).first()
            if grid is None:
                raise Http404
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(people_list(request.user, unit, kind, day, grid), request, view=self)
        rows = [person_row(person, request.user, day) for person in page]
        return paginator.get_paginated_response(VaccinationPersonSerializer(rows, many=True).data)


def register(router):
    router.register("vaccine-doses", DoseViewSet, basename="vaccine-dose")
    router.register("vaccination", VaccinationViewSet, basename="vaccination")
