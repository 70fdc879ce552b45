"""REST API of control cases (一人一档): `/api/v1/control-cases/` (list, read, open; actions
release, close, change-phase, transfer), `/api/v1/case-transfers/` (accept, decline, confirm)
and `/api/v1/case-tests/` (record). Everything within the caller's jurisdiction; ID and phone
numbers masked for roles that may not see them."""

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from fangkong.api.base import (
    IDNumberField, PhoneField, RestrictedPrimaryKeyRelatedField, RestrictedViewSetMixin, UnitCodeField,
)
from fangkong.api.filters import SubtreeFilter
from fangkong.leads.models import Lead
from fangkong.orgs.models import Unit
from fangkong.people.models import Person

from .forms_cases import search_cases
from .models import (
    ACTIVE_STATUSES, CasePhase, CaseStatus, CaseTest, CaseTransfer, Category, ControlCase, Measure, PhaseChange,
    PlaceKind, RegimenVersion, TeamMember, TestResult, TestStatus,
)
from .services import cases as case_services
from .services import transfers as transfer_services
from .services.cases import CLOSING_STATUSES


def as_drf_error(error):
    if isinstance(error, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(error) or None)
    return serializers.ValidationError(error.message_dict if hasattr(error, "error_dict") else error.messages)


def needs(*perms):
    """A permission class: logged in and holding all of `perms`."""

    class Needs(permissions.BasePermission):
        def has_permission(self, request, view):
            return bool(request.user and request.user.is_authenticated and request.user.has_perms(perms))

    Needs.__name__ = "Needs_" + "_".join(p.split(".")[-1] for p in perms)
    return Needs


VIEW = needs("control.view_controlcase")
CHANGE = needs("control.change_controlcase")


class ViewOrChange(permissions.BasePermission):
    """Reading needs control.view_controlcase; any change control.change_controlcase (cases'
    transfers and tests have no permissions of their own)."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in permissions.SAFE_METHODS:
            return user.has_perm("control.view_controlcase")
        return user.has_perm("control.change_controlcase")


# ---------------------------------------------------------------------------------------------
# Serializers


class PhaseChangeSerializer(serializers.ModelSerializer):
    changed_by = serializers.StringRelatedField()

    class Meta:
        model = PhaseChange
        fields = ["old_last_day", "new_last_day", "reason", "changed_by", "changed_at"]


class CasePhaseSerializer(serializers.ModelSerializer):
    changes = PhaseChangeSerializer(many=True, read_only=True)

    class Meta:
        model = CasePhase
        fields = ["index", "measure", "first_day", "last_day", "planned_last_day", "changes"]


class CaseTestSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="case.person.name", read_only=True)
    recorded_by = serializers.StringRelatedField()

    class Meta:
        model = CaseTest
        fields = ["id", "case", "person_name", "due_on", "who", "label", "status", "result", "done_at", "recorded_by"]
        read_only_fields = fields


class TeamMemberSerializer(serializers.ModelSerializer):
    phone = PhoneField(required=False, allow_blank=True, label=_("联系电话"))

    class Meta:
        model = TeamMember
        fields = ["role", "name", "phone"]


class ControlCaseSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name", read_only=True)
    id_number = IDNumberField(source="person.id_number", read_only=True, label=_("证件号码"))
    phone = PhoneField(source="person.phone", read_only=True, label=_("联系电话"))
    unit = serializers.CharField(source="unit.code", read_only=True, label=_("责任单位编码"))
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    regimen = serializers.CharField(source="regimen.code", read_only=True, label=_("管控方案编码"))
    site = serializers.CharField(source="site.code", read_only=True, allow_null=True, default=None)
    # A plain string in the schema: the same choices as a phase's `measure` (one enum name for both).
    current_measure = serializers.CharField(read_only=True, label=_("当前措施"),
                                            help_text=_("当前阶段的措施，取值同管控阶段的 measure"))
    opened_by = serializers.StringRelatedField()
    phases = CasePhaseSerializer(many=True, read_only=True)
    tests = CaseTestSerializer(many=True, read_only=True)
    team = TeamMemberSerializer(many=True, read_only=True)

    class Meta:
        model = ControlCase
        fields = ["id", "person", "person_name", "id_number", "phone", "unit", "unit_name", "lead", "category",
                  "regimen", "anchor_date", "arrival_date", "status", "current_measure", "release_on", "place",
                  "site", "opened_at", "opened_by", "closed_at", "closed_note", "note", "phases", "tests", "team"]
        read_only_fields = fields


class TeamMemberInputSerializer(serializers.Serializer):
    role = serializers.CharField(max_length=30, required=False, allow_blank=True, label=_("职责"))
    name = serializers.CharField(max_length=50, label=_("姓名"))
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, label=_("联系电话"))

    def validate_phone(self, value):
        from fangkong.lib.phones import PhoneError, normalise_phone

        if not value.strip():
            return ""
        try:
            return normalise_phone(value)
        except PhoneError as error:
            raise serializers.ValidationError(str(error)) from None


class OpenCaseSerializer(serializers.Serializer):
    person = RestrictedPrimaryKeyRelatedField(queryset=Person.objects.all(), label=_("人员"))
    category = serializers.ChoiceField(choices=Category.choices, label=_("管控类别"))
    anchor_date = serializers.DateField(label=_("起算日期"))
    arrival_date = serializers.DateField(required=False, allow_null=True, label=_("抵达日期"))
    regimen = serializers.SlugRelatedField(slug_field="code", queryset=RegimenVersion.objects.all(), required=False,
                                           allow_null=True, label=_("管控方案编码"), help_text=_("不填按起算日期选用生效方案"))
    unit = UnitCodeField(required=False, allow_null=True, label=_("责任单位编码"), help_text=_("默认为人员所属网格"))
    lead = RestrictedPrimaryKeyRelatedField(queryset=Lead.objects.all(), required=False, allow_null=True,
                                            label=_("来源线索"))
    place = serializers.ChoiceField(choices=PlaceKind.choices, default=PlaceKind.HOME, label=_("管控地点"))
    site = UnitCodeField(required=False, allow_null=True, label=_("隔离点编码"))
    team = TeamMemberInputSerializer(many=True, required=False, label=_("责任专班"))
    note = serializers.CharField(required=False, allow_blank=True, default="", label=_("备注"))


class ReleaseSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", label=_("解除说明"))


class CloseSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[(s.value, s.label) for s in CaseStatus if s in CLOSING_STATUSES],
                                     label=_("结案方式"))
    note = serializers.CharField(label=_("说明"))


class ChangePhaseSerializer(serializers.Serializer):
    phase = serializers.IntegerField(min_value=0, label=_("阶段序号（从0起）"))
    new_last_day = serializers.DateField(label=_("新结束日期"))
    reason = serializers.CharField(label=_("调整原因"))


class TransferRequestSerializer(serializers.Serializer):
    to_unit = serializers.SlugRelatedField(slug_field="code", queryset=Unit.objects.all(), required=False,
                                           allow_null=True, label=_("接收单位编码"))
    to_area = serializers.CharField(required=False, allow_blank=True, default="", max_length=100,
                                    label=_("外地接收地区"))
    reason = serializers.CharField(label=_("移交原因"))


class CaseTransferSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="case.person.name", read_only=True)
    category = serializers.CharField(source="case.category", read_only=True)
    from_unit = serializers.CharField(source="from_unit.code", read_only=True)
    from_unit_name = serializers.CharField(source="from_unit.name", read_only=True)
    to_unit = serializers.CharField(source="to_unit.code", read_only=True, allow_null=True, default=None)
    to_unit_name = serializers.CharField(source="to_unit.name", read_only=True, allow_null=True, default=None)
    requested_by = serializers.StringRelatedField()
    accepted_by = serializers.StringRelatedField()
    state = serializers.SerializerMethodField(label=_("状态"))

    class Meta:
        model = CaseTransfer
        fields = ["id", "case", "person_name", "category", "from_unit", "from_unit_name", "to_unit", "to_unit_name",
                  "to_area", "reason", "requested_at", "requested_by", "accepted_at", "accepted_by", "declined_at",
                  "decline_reason", "state"]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=["pending", "accepted", "declined"]))
    def get_state(self, transfer) -> str:
        if transfer.accepted_at:
            return "accepted"
        if transfer.declined_at:
            return "declined"
        return "pending"


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(label=_("退回原因"))


class ConfirmSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", label=_("交接说明"))


class RecordTestSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=TestResult.choices, label=_("检测结果"))


# ---------------------------------------------------------------------------------------------
# Filters


class ControlCaseFilterSet(django_filters.FilterSet):
    unit = SubtreeFilter()
    status = django_filters.ChoiceFilter(choices=CaseStatus.choices, label=_("状态"))
    active = django_filters.BooleanFilter(method="filter_active", label=_("仅在管（待落实和管控中）"))
    category = django_filters.ChoiceFilter(choices=Category.choices, label=_("管控类别"))
    measure = django_filters.ChoiceFilter(field_name="current_measure", choices=Measure.choices, label=_("当前措施"))
    release_from = django_filters.DateFilter(field_name="release_on", lookup_expr="gte", label=_("解除日期起"))
    release_to = django_filters.DateFilter(field_name="release_on", lookup_expr="lte", label=_("解除日期止"))
    q = django_filters.CharFilter(method="filter_q", label=_("姓名、拼音首字母或证件号、手机号后几位"))

    class Meta:
        model = ControlCase
        fields = []

    def filter_active(self, queryset, name, value):
        return queryset.active() if value else queryset.exclude(status__in=ACTIVE_STATUSES)

    def filter_q(self, queryset, name, value):
        return search_cases(queryset, value)


class CaseTestFilterSet(django_filters.FilterSet):
    case = django_filters.NumberFilter(field_name="case_id", label=_("管控档案编号"))
    unit = SubtreeFilter()
    status = django_filters.ChoiceFilter(choices=TestStatus.choices, label=_("状态"))
    due_on = django_filters.DateFilter(label=_("检测日期"))
    due_from = django_filters.DateFilter(field_name="due_on", lookup_expr="gte", label=_("检测日期起"))
    due_to = django_filters.DateFilter(field_name="due_on", lookup_expr="lte", label=_("检测日期止"))

    class Meta:
        model = CaseTest
        fields = []


class CaseTransferFilterSet(django_filters.FilterSet):
    case = django_filters.NumberFilter(field_name="case_id", label=_("管控档案编号"))
    pending = django_filters.BooleanFilter(method="filter_pending", label=_("仅待接收"))

    class Meta:
        model = CaseTransfer
        fields = []

    def filter_pending(self, queryset, name, value):
        pending = {"accepted_at__isnull": True, "declined_at__isnull": True}
        return queryset.filter(**pending) if value else queryset.exclude(**pending)


# ---------------------------------------------------------------------------------------------
# Views


def _now():
    return timezone.now()


class ControlCaseViewSet(RestrictedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                         mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Control cases (一人一档) within the caller's jurisdiction, and cases its units handed over
    that the receiver has not accepted yet. Opening a case computes its plan from the regimen."""

    queryset = ControlCase.objects.select_related("person", "unit", "regimen", "site", "opened_by").prefetch_related(
        "phases__changes__changed_by", "tests__recorded_by", "team"
    ).order_by("-opened_at", "-id")
    serializer_class = ControlCaseSerializer
    filterset_class = ControlCaseFilterSet
    ordering_fields = ["id", "opened_at", "release_on"]

    def get_permissions(self):
        extra = {"release": needs("control.release_controlcase"), "close": CHANGE, "change_phase": CHANGE,
                 "transfer": CHANGE}
        if self.action in extra:
            return [permissions.IsAuthenticated(), extra[self.action]()]
        return super().get_permissions()

    def _respond(self, case):
        case = self.get_queryset().get(pk=case.pk)
        return Response(ControlCaseSerializer(case, context=self.get_serializer_context()).data)

    @extend_schema(summary="建档管控", request=OpenCaseSerializer, responses={201: ControlCaseSerializer})
    def create(self, request, *args, **kwargs):
        serializer = OpenCaseSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        team = [(m.get("role", ""), m["name"], m.get("phone", ""), None) for m in data.pop("team", [])]
        person = data.pop("person")
        category = data.pop("category")
        try:
            case = case_services.open_case(person, category, team=team, by=request.user, now=_now(), **data)
        except DjangoValidationError as error:
            raise as_drf_error(error) from None
        response = self._respond(case)
        response.status_code = 201
        return response

    def _run(self, service, serializer_class, *args, **kwargs):
        case = self.get_object()
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        try:
            service(case, serializer.validated_data)
        except (DjangoValidationError, DjangoPermissionDenied) as error:
            raise as_drf_error(error) from None
        return self._respond(case)

    @extend_schema(summary="解除管控", request=ReleaseSerializer, responses=ControlCaseSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        return self._run(lambda case, data: case_services.release_case(case, request.user, _now(), note=data["note"]),
                         ReleaseSerializer)

    @extend_schema(summary="结案（转诊、转为病例、失联）", request=CloseSerializer, responses=ControlCaseSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._run(
            lambda case, data: case_services.close_case(case, data["status"], request.user, _now(), data["note"]),
            CloseSerializer,
        )

    @extend_schema(summary="延长或缩短管控阶段", request=ChangePhaseSerializer, responses=ControlCaseSerializer)
    @action(detail=True, methods=["post"], url_path="change-phase")
    def change_phase(self, request, pk=None):
        return self._run(
            lambda case, data: case_services.change_phase(case, data["phase"], data["new_last_day"], data["reason"],
                                                          request.user, _now()),
            ChangePhaseSerializer,
        )

    @extend_schema(summary="协查移交", request=TransferRequestSerializer, responses={201: CaseTransferSerializer})
    @action(detail=True, methods=["post"])
    def transfer(self, request, pk=None):
        case = self.get_object()
        serializer = TransferRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            transfer = transfer_services.transfer_case(case, to_unit=data.get("to_unit"), to_area=data["to_area"],
                                                       reason=data["reason"], by=request.user, now=_now())
        except (DjangoValidationError, DjangoPermissionDenied) as error:
            raise as_drf_error(error) from None
        return Response(CaseTransferSerializer(transfer).data, status=201)


class CaseTransferViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Hand-overs (协查移交) sent from or to a unit in the caller's jurisdiction. The receiving
    unit accepts or declines; a hand-over to an area outside the system is confirmed by the
    sender."""

    queryset = CaseTransfer.objects.none()
    serializer_class = CaseTransferSerializer
    permission_classes = [permissions.IsAuthenticated, ViewOrChange]
    filterset_class = CaseTransferFilterSet
    ordering_fields = ["id", "requested_at"]

    def get_queryset(self):
        return transfer_services.transfers_for(self.request.user).select_related(
            "case__person", "from_unit", "to_unit", "requested_by", "accepted_by"
        ).order_by("-requested_at", "-id")

    def _settle(self, service, serializer_class):
        transfer = self.get_object()
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        try:
            transfer = service(transfer, serializer.validated_data)
        except (DjangoValidationError, DjangoPermissionDenied) as error:
            raise as_drf_error(error) from None
        return Response(CaseTransferSerializer(self.get_queryset().get(pk=transfer.pk)).data)

    @extend_schema(summary="接收移交", request=None, responses=CaseTransferSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._settle(lambda t, data: transfer_services.accept_transfer(t, request.user, _now()),
                            serializers.Serializer)

    @extend_schema(summary="退回移交", request=DeclineSerializer, responses=CaseTransferSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        return self._settle(
            lambda t, data: transfer_services.decline_transfer(t, request.user, _now(), data["reason"]),
            DeclineSerializer,
        )

    @extend_schema(summary="确认已移交外地（结案）", request=ConfirmSerializer, responses=CaseTransferSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        return self._settle(
            lambda t, data: transfer_services.confirm_handover(t, request.user, _now(), note=data["note"]),
            ConfirmSerializer,
        )


class CaseTestViewSet(RestrictedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      viewsets.GenericViewSet):
    """Scheduled nucleic-acid tests of control cases within the caller's jurisdiction."""

    queryset = CaseTest.objects.select_related("case__person", "recorded_by").order_by("due_on", "id")
    serializer_class = CaseTestSerializer
    permission_classes = [permissions.IsAuthenticated, ViewOrChange]
    filterset_class = CaseTestFilterSet
    ordering_fields = ["id", "due_on"]

    @extend_schema(summary="登记检测结果", request=RecordTestSerializer, responses=CaseTestSerializer)
    @action(detail=True, methods=["post"])
    def record(self, request, pk=None):
        test = self.get_object()
        serializer = RecordTestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            case_services.record_test(test, serializer.validated_data["result"], request.user, _now())
        except DjangoValidationError as error:
            raise as_drf_error(error) from None
        return Response(CaseTestSerializer(self.get_queryset().get(pk=test.pk)).data)


def register(router):
    router.register("control-cases", ControlCaseViewSet, basename="control-case")
    router.register("case-transfers", CaseTransferViewSet, basename="case-transfer")
    router.register("case-tests", CaseTestViewSet, basename="case-test")
