"""REST API of this app (registered under /api/v1/ by fangkong.api.urls): screening
campaigns with their coverage, and household visits with each member's answers."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from fangkong.api.base import (
    IDNumberField,
    PhoneField,
    RestrictedEditViewSet,
    RestrictedPrimaryKeyRelatedField,
    RestrictedViewSetMixin,
    UnitCodeField,
)
from fangkong.orgs.models import Unit
from fangkong.people.models import Household, Person

from .filters import CampaignFilterSet, VisitFilterSet
from .models import Campaign, FollowUpFlag, MemberAnswer, Symptom, Visit
from .services.campaigns import check_campaign
from .services.coverage import coverage, coverage_root
from .services.visits import record_visit


def as_drf_error(error):
    """A Django ValidationError from a service, as DRF reports it (by field)."""
    return serializers.ValidationError(error.message_dict if hasattr(error, "error_dict") else error.messages)


class CampaignSerializer(serializers.ModelSerializer):
    owner_unit = UnitCodeField(label=_("发起单位编码"))
    owner_unit_name = serializers.CharField(source="owner_unit.name", read_only=True)
    units = UnitCodeField(label=_("摸排范围单位编码"), many=True)
    created_by = serializers.StringRelatedField(read_only=True)

    class Meta:
        model = Campaign
        fields = ["id", "name", "owner_unit", "owner_unit_name", "units", "starts_on", "ends_on",
                  "places_of_concern", "lookback_days", "flag_travel", "flag_case_contact", "flag_symptoms",
                  "fever_threshold", "created_by", "created_at"]
        read_only_fields = ["created_at"]

    def validate(self, attrs):
        current = self.instance

        def value(name):
            if name in attrs:
                return attrs[name]
            if current is None:
                return None
            return list(current.units.all()) if name == "units" else getattr(current, name)

        try:
            check_campaign(value("owner_unit"), value("units"), value("starts_on"), value("ends_on"))
        except DjangoValidationError as error:
            raise as_drf_error(error) from None
        return attrs


class CoverageRowSerializer(serializers.Serializer):
    unit = serializers.CharField(source="unit.code", label=_("单位编码"))
    unit_name = serializers.CharField(source="unit.name", label=_("单位名称"))
    households = serializers.IntegerField(label=_("登记户数"))
    households_visited = serializers.IntegerField(label=_("已走访户数"))
    households_revisit = serializers.IntegerField(label=_("待回访户数"))
    households_not_visited = serializers.IntegerField(label=_("未走访户数"))
    household_rate = serializers.FloatField(label=_("入户率（%）"), allow_null=True)
    persons = serializers.IntegerField(label=_("登记人数"))
    persons_verified = serializers.IntegerField(label=_("核实人数"))
    person_rate = serializers.FloatField(label=_("核实率（%）"), allow_null=True)


class CoverageSerializer(serializers.Serializer):
    campaign = serializers.IntegerField(source="campaign.pk")
    unit = serializers.CharField(source="unit.code")
    unit_name = serializers.CharField(source="unit.name")
    total = CoverageRowSerializer()
    rows = CoverageRowSerializer(many=True, help_text=_("各下级单位（含其全部下级）"))


class CampaignViewSet(RestrictedEditViewSet):
    """Screening campaigns (入户摸排活动) the caller takes part in. Reading covers campaigns
    whose scope reaches into the caller's jurisdiction; changing only those its units own."""

    queryset = Campaign.objects.select_related("owner_unit", "created_by").prefetch_related("units").order_by(
        "-starts_on", "-id"
    )
    serializer_class = CampaignSerializer
    filterset_class = CampaignFilterSet
    ordering_fields = ["id", "starts_on", "ends_on", "name"]

    def get_queryset(self):
        if self.request.method in permissions.SAFE_METHODS:
            return super().get_queryset()
        return self.queryset.restrict_owned(self.request.user)

    def perform_create(self, serializer):
        serializer.save(created_by=self.request.user)

    @extend_schema(
        summary="摸排覆盖情况",
        parameters=[OpenApiParameter("unit", str, description="单位编码；默认为发起单位，看不到时为本人辖区")],
        responses=CoverageSerializer,
    )
    @action(detail=True, filter_backends=[], pagination_class=None)
    def coverage(self, request, pk=None):
        campaign = self.get_object()
        code = request.query_params.get("unit", "").strip()
        if code:
            unit = get_object_or_404(Unit.objects.restrict(request.user), code=code)
        else:
            unit = coverage_root(campaign, request.user)
            if unit is None:
                raise NotFound
        return Response(CoverageSerializer(coverage(campaign, unit)).data)


class MemberAnswerSerializer(serializers.ModelSerializer):
    person = RestrictedPrimaryKeyRelatedField(label=_("成员"), queryset=Person.objects.all())
    person_name = serializers.CharField(source="person.name", read_only=True)
    id_number = IDNumberField(source="person.id_number", label=_("证件号码"), read_only=True)
    phone = PhoneField(source="person.phone", label=_("联系电话"), read_only=True)
    symptoms = serializers.ListField(
        child=serializers.ChoiceField(choices=Symptom.choices), label=_("症状"), required=False
    )
    # Declared to keep the model's range check and its message (DRF would put its own).
    temperature = serializers.DecimalField(
        label=_("体温（℃）"), max_digits=3, decimal_places=1, required=False, allow_null=True,
        validators=MemberAnswer._meta.get_field("temperature").validators,
    )

    class Meta:
        model = MemberAnswer
        fields = ["person", "person_name", "id_number", "phone", "presence", "places_visited", "case_contact",
                  "symptoms", "temperature"]

    def validate_symptoms(self, value):
        return sorted(set(value))


class FlagSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name", read_only=True)
    reasons = serializers.CharField(source="reason_text", read_only=True)

    class Meta:
        model = FollowUpFlag
        fields = ["person", "person_name", "reasons"]
        read_only_fields = fields


class VisitSerializer(serializers.ModelSerializer):
    campaign = RestrictedPrimaryKeyRelatedField(label=_("摸排活动"), queryset=Campaign.objects.all())
    campaign_name = serializers.CharField(source="campaign.name", read_only=True)
    household = RestrictedPrimaryKeyRelatedField(label=_("家庭户"), queryset=Household.objects.all())
    household_number = serializers.CharField(source="household.number", read_only=True)
    unit = serializers.CharField(source="household.unit.code", label=_("所属网格编码"), read_only=True)
    visited_at = serializers.DateTimeField(label=_("走访时间"), required=False, help_text=_("默认现在"))
    visited_by = serializers.StringRelatedField(read_only=True)
    answers = MemberAnswerSerializer(many=True, required=False, label=_("成员情况"))
    needs_revisit = serializers.BooleanField(read_only=True)
    flags = FlagSerializer(many=True, read_only=True, label=_("需跟进人员"))

    class Meta:
        model = Visit
        fields = ["id", "campaign", "campaign_name", "household", "household_number", "unit", "visited_at",
                  "visited_by", "outcome", "note", "answers", "needs_revisit", "flags", "created_at"]
        read_only_fields = ["created_at"]

    def create(self, validated_data):
        try:
            return record_visit(user=self.context["request"].user, **validated_data)
        except DjangoValidationError as error:
            raise as_drf_error(error) from None


class VisitViewSet(
    RestrictedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Household visits (入户走访) within the caller's jurisdiction. A visit is a record of what
    was found: it is not edited afterwards, a later visit supersedes it."""

    queryset = (
        Visit.objects.select_related("campaign", "household__unit", "visited_by")
        .prefetch_related(
            Prefetch("answers", queryset=MemberAnswer.objects.select_related("person").order_by("pk")),
            Prefetch("flags", queryset=FollowUpFlag.objects.select_related("person").order_by("pk")),
        )
        .order_by("-visited_at", "-id")
    )
    serializer_class = VisitSerializer
    filterset_class = VisitFilterSet
    ordering_fields = ["id", "visited_at"]


def register(router):
    """Add this app's viewsets to the API router."""
    router.register("campaigns", CampaignViewSet, basename="campaign")
    router.register("visits", VisitViewSet, basename="visit")
