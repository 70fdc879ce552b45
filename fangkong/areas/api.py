"""REST API of risk areas: the shared list (read by anyone logged in, entered and changed by
those with the permissions) and the check the rest of the system asks."""

import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from fangkong.api.base import ModelPermissions

from .models import RiskArea, RiskLevel
from .services import check, in_force, save_area


class RiskAreaSerializer(serializers.ModelSerializer):
    division_code = serializers.CharField(label=_("区划代码"), required=False, allow_blank=True, max_length=12,
                                          help_text=_("不填时按地区名称识别"))
    created_by = serializers.StringRelatedField(read_only=True)

    class Meta:
        model = RiskArea
        fields = ["id", "level", "scope", "division_code", "name", "effective_from", "effective_to", "local_cases",
                  "source", "created_by", "created_at"]
        read_only_fields = ["scope", "created_at"]

    def save(self, **kwargs):
        data = {**self.validated_data, **kwargs}
        if self.instance is not None:
            for name in ("level", "name", "effective_from", "effective_to", "local_cases", "source"):
                data.setdefault(name, getattr(self.instance, name))
            data.setdefault("division_code", self.instance.division_code)
        try:
            self.instance = save_area(instance=self.instance, **data)
        except DjangoValidationError as error:
            raise serializers.ValidationError(
                error.message_dict if hasattr(error, "error_dict") else error.messages
            ) from None
        return self.instance


class RiskCheckSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=RiskLevel.choices, allow_null=True, label=_("风险等级"))
    same_city = serializers.BooleanField(label=_("与中高风险地区同一地级市"))
    same_county = serializers.BooleanField(label=_("与中高风险地区同一县（区）"))
    province_local_cases = serializers.BooleanField(label=_("所在省份有本土病例"))
    category = serializers.CharField(allow_null=True, label=_("管控类别"))


@extend_schema_view(list=extend_schema(parameters=[
    OpenApiParameter("on", datetime.date, description="只列出该日生效的风险地区")]))
class RiskAreaViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                      mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Risk areas (中高风险地区), shared by every unit. `?on=YYYY-MM-DD` lists those in force on
    that date; `?level=` filters by level."""

    queryset = RiskArea.objects.select_related("created_by").order_by("-effective_from", "division_code")
    serializer_class = RiskAreaSerializer
    permission_classes = [permissions.IsAuthenticated, ModelPermissions]
    filterset_fields = ["level", "scope", "division_code"]
    ordering_fields = ["effective_from", "division_code", "level"]

    def get_permissions(self):
        if self.request.method in permissions.SAFE_METHODS:
            return [permissions.IsAuthenticated()]
        return super().get_permissions()

    def get_queryset(self):
        queryset = super().get_queryset()
        on = self.request.query_params.get("on") if self.request else None
        if on:
            try:
                day = datetime.date.fromisoformat(on)
            except ValueError:
                raise serializers.ValidationError({"on": [_("日期格式应为YYYY-MM-DD")]}) from None
            queryset = queryset.filter(pk__in=in_force(day).values("pk"))
        return queryset

    def perform_create(self, serializer):
        serializer.save(by=self.request.user)

    @extend_schema(
        summary="查询地区风险",
        parameters=[
            OpenApiParameter("code", str, required=True, description="区划代码（2至12位）"),
            OpenApiParameter("date", datetime.date, description="日期，默认今天"),
        ],
        responses=RiskCheckSerializer,
    )
    @action(detail=False, filter_backends=[], pagination_class=None)
    def check(self, request):
        code = request.query_params.get("code", "").strip()
        if not code.isdigit():
            raise serializers.ValidationError({"code": [_("请提供数字区划代码")]})
        try:
            day = datetime.date.fromisoformat(request.query_params.get("date") or timezone.localdate().isoformat())
        except ValueError:
            raise serializers.ValidationError({"date": [_("日期格式应为YYYY-MM-DD")]}) from None
        return Response(RiskCheckSerializer(check(code, day)).data)


def register(router):
    router.register("risk-areas", RiskAreaViewSet, basename="risk-area")
