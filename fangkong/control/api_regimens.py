"""API of the regimens: /api/v1/regimens/ (read-only, by code) and
/api/v1/regimens/{code}/preview/?category=&anchor=&arrival= (the preview contract). Regimens
are reference data for every place: any logged-in user whose role may view regimens reads
them all."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from fangkong.api.base import ModelPermissions

from .models import Category, Measure, RegimenVersion, TestWho
from .regimens import compute_plan
from .regimens.selection import categories_of, rule_of


class RegimenVersionSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True, label=_("适用单位编码"))
    categories = serializers.SerializerMethodField(label=_("适用人员类别"))
    rules = serializers.JSONField(read_only=True, label=_("各类人员管控规则"))

    class Meta:
        model = RegimenVersion
        fields = ["code", "name", "issuer", "effective_from", "effective_to", "unit", "source", "is_preset",
                  "categories", "rules", "created_at"]

    def get_categories(self, version) -> list[str]:
        return [c.value for c in categories_of(version)]


class PreviewQuerySerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=Category.choices, label=_("人员类别"))
    anchor = serializers.DateField(label=_("起算日期"), help_text=_("YYYY-MM-DD"))
    arrival = serializers.DateField(label=_("抵达日期"), required=False, allow_null=True,
                                    help_text=_("YYYY-MM-DD；不填为起算日期次日"))


class PreviewPhaseSerializer(serializers.Serializer):
    measure = serializers.ChoiceField(choices=Measure.choices)
    first_day = serializers.DateField()
    last_day = serializers.DateField()


class PreviewTestSerializer(serializers.Serializer):
    date = serializers.DateField()
    who = serializers.ChoiceField(choices=TestWho.choices)


class PreviewSerializer(serializers.Serializer):
    phases = PreviewPhaseSerializer(many=True)
    tests = PreviewTestSerializer(many=True)
    release_on = serializers.DateField()


class RegimenVersionViewSet(viewsets.ReadOnlyModelViewSet):
    """管控方案 (regimen versions), newest first."""

    queryset = RegimenVersion.objects.select_related("unit").order_by("-effective_from", "code")
    serializer_class = RegimenVersionSerializer
    permission_classes = [permissions.IsAuthenticated, ModelPermissions]
    lookup_field = "code"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    filter_backends = []

    @extend_schema(summary="计算管控日期（预览）", parameters=[PreviewQuerySerializer], responses=PreviewSerializer)
    @action(detail=True, pagination_class=None)
    def preview(self, request, code=None):
        """The plan of one person under this regimen (`fangkong control preview`): phases,
        tests and the release date for the category, anchor and arrival dates given."""
        version = self.get_object()
        query = PreviewQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        try:
            plan = compute_plan(rule_of(version, data["category"]), data["anchor"], data.get("arrival"))
        except DjangoValidationError as error:
            raise serializers.ValidationError({"detail": error.messages}) from None
        return Response(plan.preview())


def register(router):
    router.register("regimens", RegimenVersionViewSet, basename="regimen")
