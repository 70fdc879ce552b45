"""REST API of coverage (应检尽检), registered under /api/v1/:

- `GET testing-coverage/?round=ID&unit=CODE`: sampled of target over the unit and each child unit;
- `GET testing-coverage/not-sampled/?round=ID&unit=CODE`: the persons not yet sampled (paginated);
- `testing-exemptions/` list, create, delete; `testing-group-members/` list, create, end (PATCH until);
- `GET testing-coverage/overdue/?unit=CODE&date=YYYY-MM-DD`: key-group members overdue or due that day.

Units are chosen within the caller's jurisdiction, records go through `restrict(user)`, rounds
through `rounds_for(user)`; ID and phone numbers are masked unless the caller's role may see them."""

import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from fangkong.api.base import IDNumberField, ModelPermissions, PhoneField, RestrictedViewSetMixin, UnitCodeField
from fangkong.lib.idnumbers import normalise
from fangkong.orgs.models import Unit
from fangkong.people.models import Person, with_id_number

from .models import Exemption, ExemptionReason, GroupMember, Sample
from .services import coverage, frequency
from .services.rounds import rounds_for


def _drf(error):
    return ValidationError(error.messages)


class RoundCoverageRowSerializer(serializers.Serializer):
    unit = serializers.CharField(source="unit.code", label=gettext_lazy("单位编码"))
    unit_name = serializers.CharField(source="unit.name", label=gettext_lazy("单位"))
    target = serializers.IntegerField(label=gettext_lazy("应检人数"))
    sampled = serializers.IntegerField(label=gettext_lazy("已采样"))
    missing = serializers.IntegerField(label=gettext_lazy("未采样"))
    exempt = serializers.IntegerField(label=gettext_lazy("免检"))
    unregistered = serializers.IntegerField(label=gettext_lazy("未登记人员采样"))
    rate = serializers.FloatField(allow_null=True, label=gettext_lazy("覆盖率(%)"))


class RoundCoverageSerializer(serializers.Serializer):
    round = serializers.IntegerField()
    total = RoundCoverageRowSerializer()
    children = RoundCoverageRowSerializer(many=True)


class NotSampledSerializer(serializers.Serializer):
    person = serializers.IntegerField(source="person.pk")
    name = serializers.CharField(source="person.name", label=gettext_lazy("姓名"))
    id_number = serializers.CharField(label=gettext_lazy("证件号码"))
    phone = serializers.CharField(label=gettext_lazy("联系电话"))
    grid = serializers.CharField(label=gettext_lazy("所属网格"))
    unit = serializers.CharField(source="person.unit.code", label=gettext_lazy("所属网格编码"))
    household = serializers.CharField(label=gettext_lazy("户号"))
    address = serializers.CharField(label=gettext_lazy("现住址"))


class OverdueSerializer(serializers.Serializer):
    member = serializers.IntegerField(source="member.pk")
    person = serializers.IntegerField(source="member.person_id")
    name = serializers.CharField(source="member.person.name", label=gettext_lazy("姓名"))
    id_number = IDNumberField(source="member.person.id_number", label=gettext_lazy("证件号码"))
    phone = PhoneField(source="member.person.phone", label=gettext_lazy("联系电话"))
    unit = serializers.CharField(source="member.unit.code", label=gettext_lazy("所在单位编码"))
    unit_name = serializers.CharField(source="member.unit.name", label=gettext_lazy("所在单位"))
    group = serializers.CharField(source="group.code", label=gettext_lazy("人群"))
    group_label = serializers.CharField(source="group.label")
    times = serializers.IntegerField(source="group.times", label=gettext_lazy("次数"))
    days = serializers.IntegerField(source="group.days", label=gettext_lazy("天数"))
    rule = serializers.CharField(source="rule.code", label=gettext_lazy("频次规则"))
    last_test = serializers.DateField(allow_null=True, label=gettext_lazy("最近检测"))
    due_on = serializers.DateField(label=gettext_lazy("应检日期"))
    days_overdue = serializers.IntegerField(label=gettext_lazy("逾期天数（0为今日应检）"))


class CanViewSamples(permissions.BasePermission):
    def has_permission(self, request, view):
        return request.user.has_perm("testing.view_sample")


class CoverageViewSet(viewsets.GenericViewSet):
    """Coverage of a round by unit, and the not-yet-sampled list."""

    queryset = Sample.objects.none()
    serializer_class = RoundCoverageSerializer
    permission_classes = [permissions.IsAuthenticated, CanViewSamples]
    filter_backends = []

    def _unit(self, required=False):
        code = self.request.query_params.get("unit")
        if not code:
            if required:
                raise ValidationError({"unit": _("请提供单位编码（unit）。")})
            return None
        return get_object_or_404(Unit.objects.restrict(self.request.user), code=code)

    def _round(self):
        value = self.request.query_params.get("round") or ""
        if not value.isdigit():
            raise ValidationError({"round": _("请提供轮次编号（round）。")})
        return get_object_or_404(rounds_for(self.request.user).select_related("owner_unit"), pk=int(value))

    def _start(self, testing_round):
        unit = self._unit()
        if unit is None:
            starts = coverage.round_units(testing_round, self.request.user)
            if not starts:
                raise ValidationError({"unit": _("请提供单位编码（unit）。")})
            unit = starts[0]
        return unit

    ROUND = OpenApiParameter("round", OpenApiTypes.INT, required=True, description=gettext_lazy("轮次编号"))
    UNIT = OpenApiParameter("unit", OpenApiTypes.STR, description=gettext_lazy("单位编码（默认：轮次的组织单位）"))

    @extend_schema(parameters=[ROUND, UNIT], responses={200: RoundCoverageSerializer})
    def list(self, request):
        testing_round = self._round()
        total, rows = coverage.drill_down(testing_round, self._start(testing_round))
        return Response(RoundCoverageSerializer({"round": testing_round.pk, "total": total, "children": rows}).data)

    @extend_schema(parameters=[ROUND, UNIT], responses={200: NotSampledSerializer(many=True)})
    @action(detail=False, methods=["get"], url_path="not-sampled")
    def not_sampled(self, request):
        testing_round = self._round()
        persons = coverage.not_sampled(testing_round, self._start(testing_round))
        page = self.paginate_queryset(persons)
        lines = list(coverage.person_lines(page, request.user))
        return self.get_paginated_response(NotSampledSerializer(lines, many=True).data)

    @extend_schema(parameters=[
        OpenApiParameter("unit", OpenApiTypes.STR, required=True, description=gettext_lazy("单位编码")),
        OpenApiParameter("date", OpenApiTypes.DATE, description=gettext_lazy("日期（默认今天）")),
    ], responses={200: OverdueSerializer(many=True)})
    @action(detail=False, methods=["get"], permission_classes=[permissions.IsAuthenticated])
    def overdue(self, request):
        if not request.user.has_perm("testing.view_groupmember"):
            self.permission_denied(request)
        unit = self._unit(required=True)
        try:
            day = datetime.date.fromisoformat(request.query_params.get("date") or timezone.localdate().isoformat())
        except ValueError:
            raise ValidationError({"date": _("日期格式应为 YYYY-MM-DD。")}) from None
        members = GroupMember.objects.restrict(request.user).filter(unit_path__startswith=unit.path)
        rows = frequency.overdue(members, day, include_due_today=True)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(OverdueSerializer(page, many=True, context={"request": request}).data)


class ExemptionSerializer(serializers.ModelSerializer):
    id_number = serializers.CharField(write_only=True, label=gettext_lazy("证件号码"))
    person = serializers.IntegerField(source="person_id", read_only=True)
    name = serializers.CharField(source="person.name", read_only=True, label=gettext_lazy("姓名"))
    person_id_number = IDNumberField(source="person.id_number", read_only=True, label=gettext_lazy("证件号码"))
    unit = serializers.CharField(source="person.unit.code", read_only=True, label=gettext_lazy("所属网格编码"))
    reason = serializers.ChoiceField(choices=ExemptionReason.choices, label=gettext_lazy("原因"))
    round = serializers.PrimaryKeyRelatedField(queryset=Sample.objects.none(), required=False, allow_null=True,
                                               label=gettext_lazy("轮次"))

    class Meta:
        model = Exemption
        fields = ["id", "id_number", "person", "name", "person_id_number", "unit", "round", "reason", "note",
                  "starts_on", "ends_on", "created_at"]
        read_only_fields = ["created_at"]
        extra_kwargs = {"starts_on": {"required": False}}

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        fields["round"].queryset = rounds_for(request.user if request else None)
        return fields

    def create(self, data):
        user = self.context["request"].user
        person = (Person.objects.restrict(user).filter(id_number=normalise(data["id_number"]))
                  .order_by("is_provisional", "pk").first())
        if person is None:
            raise ValidationError({"id_number": _("该证件号码没有登记或不在您的辖区内。")})
        try:
            return coverage.create_exemption(person, data["reason"], user, note=data.get("note", ""),
                                             round=data.get("round"), starts_on=data.get("starts_on"),
                                             ends_on=data.get("ends_on"))
        except DjangoValidationError as error:
            raise _drf(error) from None


class ExemptionViewSet(RestrictedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                       mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Exemptions (免检登记) of persons in the caller's jurisdiction."""

    queryset = Exemption.objects.select_related("person__unit", "round").order_by("-starts_on", "-id")
    serializer_class = ExemptionSerializer
    filterset_fields = ["round", "reason"]

    def perform_destroy(self, instance):
        coverage.remove_exemption(instance, self.request.user)


class GroupMemberSerializer(serializers.ModelSerializer):
    id_number = serializers.CharField(write_only=True, label=gettext_lazy("证件号码"))
    person = serializers.IntegerField(source="person_id", read_only=True)
    name = serializers.CharField(source="person.name", read_only=True, label=gettext_lazy("姓名"))
    person_id_number = IDNumberField(source="person.id_number", read_only=True, label=gettext_lazy("证件号码"))
    unit = UnitCodeField(label=gettext_lazy("所在单位编码"))

    class Meta:
        model = GroupMember
        fields = ["id", "id_number", "person", "name", "person_id_number", "group", "unit", "since", "until", "note",
                  "created_at"]
        read_only_fields = ["created_at"]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None:
            for name in ("id_number", "group", "unit", "since"):
                fields[name].read_only = True
        return fields

    def create(self, data):
        user = self.context["request"].user
        # Workers of a key group often live outside the unit: any registered person may be added.
        person = Person.objects.filter(with_id_number(normalise(data["id_number"]))).order_by("is_provisional", "pk").first()
        if person is None:
            raise ValidationError({"id_number": _("该证件号码没有登记，请先在人员台账中登记。")})
        try:
            return frequency.add_member(person, data["group"], data["unit"], data["since"], user,
                                        until=data.get("until"), note=data.get("note", ""))
        except DjangoValidationError as error:
            raise _drf(error) from None

    def update(self, member, data):
        if data.get("note") is not None:
            member.note = data["note"][:200]
        if "until" in data and data["until"] is not None:
            try:
                return frequency.end_member(member, data["until"], self.context["request"].user)
            except DjangoValidationError as error:
                raise _drf(error) from None
        member.save(update_fields=["note", "unit_path"])
        return member


class GroupMemberViewSet(RestrictedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                         mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Key-group members (重点人群) at units of the caller's jurisdiction; end one with PATCH until."""

    queryset = GroupMember.objects.select_related("person", "unit").order_by("group", "unit_path", "id")
    serializer_class = GroupMemberSerializer
    permission_classes = [permissions.IsAuthenticated, ModelPermissions]
    filterset_fields = ["group"]


def register(router):
    """Routes of coverage, exemptions and key groups."""
    router.register("testing-coverage", CoverageViewSet, basename="testing-coverage")
    router.register("testing-exemptions", ExemptionViewSet, basename="testing-exemption")
    router.register("testing-group-members", GroupMemberViewSet, basename="testing-groupmember")
