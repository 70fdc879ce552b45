"""REST API of leads: list, read and create within the caller's jurisdiction (ID and phone
masked per role), verify and dispose actions, and the import of a pushed list or an
assistance letter (multipart)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from fangkong.api.base import IDNumberField, PhoneField, RestrictedViewSetMixin, UnitCodeField
from fangkong.control.models import Category
from fangkong.lib.uploads import saved_upload
from fangkong.people.models import IDType
from fangkong.people.services.sheets import LedgerError

from .models import Lead, LeadBatch, LeadOutcome, LeadSource
from .services.imports import import_leads
from .services.intake import create_lead
from .services.workflow import dispose_lead, verify_lead


def as_drf_error(error):
    return serializers.ValidationError(error.message_dict if hasattr(error, "error_dict") else error.messages)


class LeadSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.code", read_only=True, label=_("责任单位编码"))
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    receiving_unit = UnitCodeField(write_only=True, label=_("接收单位编码"), help_text=_("按人员或住址分派到所属单位"))
    id_number = IDNumberField(required=False, allow_blank=True, label=_("证件号码"))
    phone = PhoneField(required=False, allow_blank=True, label=_("联系电话"))
    id_type = serializers.ChoiceField(choices=IDType.choices, default=IDType.RESIDENT, label=_("证件类型"))
    category = serializers.ChoiceField(choices=[("", "")] + Category.choices, required=False, allow_blank=True,
                                       label=_("建议管控类别"))
    temperature = serializers.CharField(write_only=True, required=False, allow_blank=True, label=_("体温"))
    symptoms = serializers.ListField(child=serializers.CharField(), write_only=True, required=False,
                                     label=_("症状"))
    # Plain text here (one of LeadOutcome or blank): the enum is documented once, on dispose.
    outcome = serializers.CharField(read_only=True, label=_("处置结果"),
                                    help_text=_("case_opened/not_found/not_in_scope/duplicate/handed_over，未处置为空"))

    class Meta:
        model = Lead
        fields = ["id", "source", "batch", "unit", "unit_name", "receiving_unit", "person", "name", "id_type",
                  "id_number", "phone", "address", "origin", "origin_division_code", "route", "departed_on",
                  "arrived_on", "last_exposure_on", "category", "health", "temperature", "symptoms", "reason",
                  "reported_by", "status", "received_at", "verify_due_at", "dispose_due_at", "verified_at",
                  "disposed_at", "outcome", "outcome_note", "handed_to"]
        read_only_fields = ["batch", "person", "origin_division_code", "health", "status", "received_at",
                            "verify_due_at", "dispose_due_at", "verified_at", "disposed_at", "outcome",
                            "outcome_note", "handed_to"]

    def create(self, validated_data):
        request = self.context["request"]
        source = validated_data.pop("source")
        unit = validated_data.pop("receiving_unit")
        try:
            return create_lead(source, unit, validated_data, timezone.now(), by=request.user)
        except DjangoValidationError as error:
            raise as_drf_error(error) from None


class VerifySerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, label=_("核实情况"))


class DisposeSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=LeadOutcome.choices, label=_("处置结果"))
    note = serializers.CharField(required=False, allow_blank=True, label=_("处置说明"))
    handed_to = serializers.CharField(required=False, allow_blank=True, max_length=100, label=_("转交地区/单位"))
    category = serializers.ChoiceField(choices=Category.choices, required=False, label=_("管控类别"))
    anchor_date = serializers.DateField(required=False, label=_("起算日期"))
    arrival_date = serializers.DateField(required=False, label=_("抵达日期"))


class LeadImportSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=LeadSource.choices, label=_("名单类型"),
                                     help_text=_("push（大数据推送）或 assist（外地协查函）"))
    unit = UnitCodeField(label=_("接收单位编码"))
    reference = serializers.CharField(required=False, allow_blank=True, max_length=100, label=_("文号/批次"))
    file = serializers.FileField(label=_("名单文件（.xlsx/.xls/.csv）"))

    def validate_source(self, value):
        if value not in (LeadSource.PUSH, LeadSource.ASSIST):
            raise serializers.ValidationError(_("名单类型只能是大数据推送或外地协查函"))
        return value


class LeadBatchSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.code", read_only=True)

    class Meta:
        model = LeadBatch
        fields = ["id", "source", "unit", "file_name", "reference", "uploaded_at", "rows", "created", "rejected",
                  "errors"]
        read_only_fields = fields


class DisposePermission(permissions.BasePermission):
    def has_permission(self, request, view):
        return request.user.has_perm("leads.dispose_lead")


class AddPermission(permissions.BasePermission):
    def has_permission(self, request, view):
        return request.user.has_perm("leads.add_lead")


class LeadViewSet(RestrictedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                  viewsets.GenericViewSet):
    """Leads (排查线索) within the caller's jurisdiction. Created leads are routed to the unit of
    the person's address from `receiving_unit`; the deadlines come from the lead policy."""

    queryset = Lead.objects.select_related("unit").order_by("-received_at", "-id")
    serializer_class = LeadSerializer
    filterset_fields = ["status", "source", "outcome", "category"]
    ordering_fields = ["received_at", "verify_due_at", "dispose_due_at"]

    def get_permissions(self):
        if self.action in ("verify", "dispose"):
            return [permissions.IsAuthenticated(), DisposePermission()]
        if self.action == "import_list":
            return [permissions.IsAuthenticated(), AddPermission()]
        return super().get_permissions()

    @extend_schema(summary="核实线索", request=VerifySerializer, responses=LeadSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        lead = self.get_object()
        data = VerifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            verify_lead(lead, request.user, timezone.now(), data.validated_data.get("note", ""))
        except DjangoValidationError as error:
            raise as_drf_error(error) from None
        return Response(LeadSerializer(lead, context=self.get_serializer_context()).data)

    @extend_schema(summary="处置线索", request=DisposeSerializer, responses=LeadSerializer)
    @action(detail=True, methods=["post"])
    def dispose(self, request, pk=None):
        lead = self.get_object()
        data = DisposeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            dispose_lead(lead, values["outcome"], request.user, timezone.now(), values.get("note", ""),
                         values.get("handed_to"), category=values.get("category"),
                         anchor_date=values.get("anchor_date"), arrival_date=values.get("arrival_date"))
        except DjangoValidationError as error:
            raise as_drf_error(error) from None
        return Response(LeadSerializer(lead, context=self.get_serializer_context()).data)

    @extend_schema(summary="导入推送名单/协查函", request={"multipart/form-data": LeadImportSerializer},
                   responses={201: LeadBatchSerializer})
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser, FormParser],
            filter_backends=[], pagination_class=None)
    def import_list(self, request):
        data = LeadImportSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = data.validated_data
        upload = values["file"]
        try:
            with saved_upload(upload) as path:
                batch = import_leads(path, source=values["source"], unit=values["unit"], now=timezone.now(),
                                     by=request.user, file_name=upload.name, reference=values.get("reference", ""))
        except LedgerError as error:
            raise serializers.ValidationError({"file": [str(error)]}) from None
        return Response(LeadBatchSerializer(batch).data, status=status.HTTP_201_CREATED)


def register(router):
    router.register("leads", LeadViewSet, basename="lead")


