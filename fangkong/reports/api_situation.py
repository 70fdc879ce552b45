"""Situation reports through the API: /api/v1/bulletins/ (the bulletins of the caller's
jurisdiction, each downloadable as the .docx written) and /api/v1/report-templates/ (the
templates and their versions, downloadable for editing in Word)."""

import io

import django_filters
from django.http import FileResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action

from fangkong.api.base import ModelPermissions, RestrictedReadOnlyViewSet
from fangkong.api.filters import SubtreeFilter

from .models import Bulletin, ReportTemplate
from .services.situation import bulletin_file_name
from .services.templates import DOCX_CONTENT_TYPE

DOCX_RESPONSE = {(200, DOCX_CONTENT_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description=_("Word 文档（.docx）"))}


def _docx(content, name):
    return FileResponse(io.BytesIO(bytes(content)), as_attachment=True, filename=name, content_type=DOCX_CONTENT_TYPE)


class BulletinSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True, label=_("单位编码"))
    unit_name = serializers.CharField(source="unit.name", read_only=True, label=_("单位名称"))
    template = serializers.CharField(source="template.code", read_only=True, label=_("模板编码"))
    template_version = serializers.IntegerField(source="template.version", read_only=True, label=_("模板版本"))
    issued_by = serializers.SlugRelatedField(slug_field="username", read_only=True, label=_("生成人"))

    class Meta:
        model = Bulletin
        fields = ["id", "unit", "unit_name", "number", "title", "as_of", "template", "template_version",
                  "issued_at", "issued_by"]


class BulletinFilterSet(django_filters.FilterSet):
    unit = SubtreeFilter(field_name="unit_path")

    class Meta:
        model = Bulletin
        fields = ["number"]


class BulletinViewSet(RestrictedReadOnlyViewSet):
    """工作简报/情况汇报 written for units of the caller's jurisdiction, newest first."""

    queryset = Bulletin.objects.select_related("unit", "template", "issued_by").defer(
        "content", "template__content"
    ).order_by("-issued_at", "-id")
    serializer_class = BulletinSerializer
    filterset_class = BulletinFilterSet
    ordering_fields = ["issued_at", "number", "as_of"]

    @extend_schema(summary="下载汇报（.docx）", responses=DOCX_RESPONSE)
    @action(detail=True)
    def download(self, request, pk=None):
        bulletin = self.get_object()  # the deferred content loads on access
        return _docx(bulletin.content, bulletin_file_name(bulletin))


class ReportTemplateSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True, label=_("上传人"))
    latest = serializers.SerializerMethodField(label=_("是否为使用中的最新版本"))

    class Meta:
        model = ReportTemplate
        fields = ["id", "code", "version", "name", "description", "form_code", "file_name", "is_preset",
                  "uploaded_by", "uploaded_at", "latest"]

    def get_latest(self, template) -> bool:
        return self.context["latest"].get(template.code) == template.version


class ReportTemplateFilterSet(django_filters.FilterSet):
    class Meta:
        model = ReportTemplate
        fields = ["code", "is_preset"]


class ReportTemplateViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """汇报模板, every version (reference data shared by all units)."""

    queryset = ReportTemplate.objects.select_related("uploaded_by").defer("content").order_by("code", "-version")
    serializer_class = ReportTemplateSerializer
    permission_classes = [permissions.IsAuthenticated, ModelPermissions]
    filterset_class = ReportTemplateFilterSet
    ordering_fields = ["code", "version", "uploaded_at"]

    def get_serializer_context(self):
        latest = {}
        for code, version in ReportTemplate.objects.order_by("code", "-version").values_list("code", "version"):
            latest.setdefault(code, version)
        return {**super().get_serializer_context(), "latest": latest}

    @extend_schema(summary="下载模板（.docx）", responses=DOCX_RESPONSE)
    @action(detail=True)
    def download(self, request, pk=None):
        template = self.get_object()  # the deferred content loads on access
        return _docx(template.content, f"{template.code}-v{template.version}.docx")


def register(router):
    router.register("bulletins", BulletinViewSet, basename="bulletin")
    router.register("report-templates", ReportTemplateViewSet, basename="report-template")
