"""REST API of follow-up (registered under /api/v1/): entries (list within the jurisdiction,
create through `record_entry`, photo as multipart), slots (read-only, filter by day, status,
case) and the team's daily sign-offs (list, create through `sign_off`).

Reading slots and sign-offs needs `control.view_followupentry` and signing off needs
`control.add_followupentry`: the roles grant those (not yet view/add of the slot and sign-off
models themselves)."""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser

from fangkong.api.base import ModelPermissions, RestrictedPrimaryKeyRelatedField, RestrictedViewSetMixin

from .models import ControlCase, FollowUpEntry, FollowUpSlot, FollowUpSymptom, Method, SignOff, SlotStatus, TeamMember
from .services.followup import record_entry
from .services.signoff import sign_off, sign_offs_for


def as_drf_error(error):
    return serializers.ValidationError(error.message_dict if hasattr(error, "error_dict") else error.messages)


class FollowUpPermissions(ModelPermissions):
    """Slots and sign-offs go with the follow-up entries' permissions."""

    perms_map = {
        **ModelPermissions.perms_map,
        "GET": ["control.view_followupentry"],
        "OPTIONS": ["control.view_followupentry"],
        "HEAD": ["control.view_followupentry"],
        "POST": ["control.add_followupentry"],
    }


class PhotoUrlField(serializers.Field):
    """The address of the record's photo (served after a login and jurisdiction check)."""

    def __init__(self, route, **kwargs):
        self.route = route
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value):
        if not value.photo:
            return None
        url = reverse(self.route, args=[value.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


@extend_schema_field({"type": "string", "format": "uri", "nullable": True})
class EntryPhotoUrlField(PhotoUrlField):
    def __init__(self, **kwargs):
        super().__init__("control:followup_entry_photo", **kwargs)


@extend_schema_field({"type": "string", "format": "uri", "nullable": True})
class SignOffPhotoUrlField(PhotoUrlField):
    def __init__(self, **kwargs):
        super().__init__("control:followup_signoff_photo", **kwargs)


class FollowUpEntrySerializer(serializers.ModelSerializer):
    case = RestrictedPrimaryKeyRelatedField(label=_("管控对象"), queryset=ControlCase.objects.all())
    person_name = serializers.CharField(source="case.person.name", read_only=True, label=_("姓名"))
    temperature = serializers.DecimalField(label=_("体温（℃）"), max_digits=3, decimal_places=1)
    symptoms = serializers.ListField(child=serializers.ChoiceField(choices=FollowUpSymptom.choices),
                                     label=_("症状"), required=False)
    method = serializers.ChoiceField(label=_("方式"), choices=Method.choices)
    photo = serializers.FileField(label=_("照片（JPG/PNG，5MB以内）"), write_only=True, required=False)
    photo_url = EntryPhotoUrlField(label=_("照片地址"))
    recorder = serializers.StringRelatedField(read_only=True, label=_("记录人"))

    class Meta:
        model = FollowUpEntry
        fields = ["id", "case", "person_name", "slot", "recorded_at", "temperature", "symptoms", "method", "recorder",
                  "photo", "photo_url", "note", "abnormal", "suspicious"]
        read_only_fields = ["slot", "recorded_at", "abnormal", "suspicious"]

    def create(self, validated_data):
        try:
            return record_entry(
                validated_data["case"], temperature=validated_data["temperature"],
                symptoms=validated_data.get("symptoms", []), method=validated_data["method"],
                recorder=self.context["request"].user, photo=validated_data.get("photo"),
                note=validated_data.get("note", ""), now=timezone.now(),
            )
        except DjangoValidationError as error:
            raise as_drf_error(error) from None


class EntryFilterSet(django_filters.FilterSet):
    day = django_filters.DateFilter(field_name="recorded_at", lookup_expr="date", label=_("日期"))

    class Meta:
        model = FollowUpEntry
        fields = ["case", "day", "abnormal", "suspicious", "method"]


class FollowUpEntryViewSet(RestrictedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                           mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Follow-up entries (健康监测记录) of the caller's jurisdiction. An entry is a record of
    what was measured: it is not edited afterwards."""

    queryset = FollowUpEntry.objects.select_related("case__person", "recorder").order_by("-recorded_at", "-id")
    serializer_class = FollowUpEntrySerializer
    filterset_class = EntryFilterSet
    ordering_fields = ["id", "recorded_at"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]


class FollowUpSlotSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="case.person.name", read_only=True, label=_("姓名"))

    class Meta:
        model = FollowUpSlot
        fields = ["id", "case", "person_name", "day", "starts_at", "ends_at", "status", "closed_at"]
        read_only_fields = fields


class SlotFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=SlotStatus.choices, label=_("状态"))

    class Meta:
        model = FollowUpSlot
        fields = ["case", "day", "status"]


class FollowUpSlotViewSet(RestrictedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Follow-up slots (监测时段) of the caller's jurisdiction: open, done or missed."""

    permission_classes = [permissions.IsAuthenticated, FollowUpPermissions]
    queryset = FollowUpSlot.objects.select_related("case__person").order_by("day", "starts_at", "id")
    serializer_class = FollowUpSlotSerializer
    filterset_class = SlotFilterSet
    ordering_fields = ["id", "day", "starts_at"]


class SignOffSerializer(serializers.ModelSerializer):
    case = RestrictedPrimaryKeyRelatedField(label=_("管控对象"), queryset=ControlCase.objects.all())
    member = serializers.PrimaryKeyRelatedField(label=_("签字人（包保责任人）"), queryset=TeamMember.objects.all(),
                                                required=False, allow_null=True)
    member_name = serializers.CharField(source="member.name", read_only=True, default=None, label=_("签字人姓名"))
    signed_by = serializers.StringRelatedField(read_only=True, label=_("操作人"))
    photo = serializers.FileField(label=_("工作照（JPG/PNG，5MB以内）"), write_only=True)
    photo_url = SignOffPhotoUrlField(label=_("工作照地址"))

    class Meta:
        model = SignOff
        fields = ["id", "case", "day", "member", "member_name", "signed_by", "signed_at", "photo", "photo_url", "note"]
        read_only_fields = ["signed_at"]
        validators = []  # once per member and day: sign_off says so, in its own words

    def create(self, validated_data):
        try:
            return sign_off(
                validated_data["case"], validated_data["day"], validated_data.get("member"),
                by=self.context["request"].user, photo=validated_data["photo"], now=timezone.now(),
                note=validated_data.get("note", ""),
            )
        except DjangoValidationError as error:
            raise as_drf_error(error) from None


class SignOffViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                     viewsets.GenericViewSet):
    """The team's daily sign-offs (签字确认) on the cases of the caller's jurisdiction."""

    permission_classes = [permissions.IsAuthenticated, FollowUpPermissions]
    queryset = SignOff.objects.all()
    serializer_class = SignOffSerializer
    filterset_fields = ["case", "day", "member"]
    ordering_fields = ["id", "day", "signed_at"]
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        return sign_offs_for(self.request.user).select_related("member", "signed_by").order_by("-day", "-id")


def register(router):
    router.register("follow-up-entries", FollowUpEntryViewSet, basename="follow-up-entry")
    router.register("follow-up-slots", FollowUpSlotViewSet, basename="follow-up-slot")
    router.register("sign-offs", SignOffViewSet, basename="sign-off")
