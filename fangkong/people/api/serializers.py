from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from fangkong.api.base import IDNumberField, PhoneField, RestrictedPrimaryKeyRelatedField, UnitCodeField
from fangkong.lib.idnumbers import (
    IDNumberError,
    birth_date_from_resident_id,
    normalise,
    sex_from_resident_id,
    validate_resident_id,
)
from fangkong.lib.phones import PhoneError, normalise_phone
from fangkong.people.models import Household, IDType, Move, Person, with_id_number

UNIT_CHANGE_REFUSED = _("更换所属单位请使用“迁移”操作，以便留下迁入迁出记录。")


class PersonSerializer(serializers.ModelSerializer):
    id_number = IDNumberField(label=_("证件号码"), max_length=40, required=False, allow_blank=True)
    phone = PhoneField(label=_("联系电话"), max_length=20, required=False, allow_blank=True)
    unit = UnitCodeField(label=_("所属网格编码"))
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    household = RestrictedPrimaryKeyRelatedField(
        label=_("家庭户"), queryset=Household.objects.all(), required=False, allow_null=True
    )
    household_number = serializers.CharField(source="household.number", read_only=True, allow_null=True)

    class Meta:
        model = Person
        fields = [
            "id", "name", "id_type", "id_number", "sex", "birth_date", "phone", "household", "household_number",
            "relation_to_head", "address", "unit", "unit_name", "population_type", "is_elderly",
            "has_chronic_illness", "is_pregnant", "is_disabled", "needs_follow_up", "created_at", "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def validate_phone(self, value):
        if not value.strip():
            return ""
        try:
            return normalise_phone(value)
        except PhoneError:
            raise serializers.ValidationError(_("联系电话格式不正确。")) from None

    def validate_unit(self, unit):
        if self.instance is not None and unit.pk != self.instance.unit_id:
            raise serializers.ValidationError(UNIT_CHANGE_REFUSED)
        return unit

    def validate(self, attrs):
        current = self.instance
        if "id_number" in attrs or "id_type" in attrs:
            attrs.update(self._identity(attrs, current))
        unit = attrs.get("unit", current.unit if current else None)
        household = attrs.get("household", current.household if current else None)
        if household is not None and household.unit_id != unit.pk:
            raise serializers.ValidationError(
                {"household": _("家庭户“%(number)s”不在所选单位，请先迁移该户或选择本单位的家庭户。")
                 % {"number": household.number}}
            )
        return attrs

    def _identity(self, attrs, current):
        """The normalised ID number, and for a resident ID the sex and birth date it encodes."""
        id_type = attrs.get("id_type", current.id_type if current else IDType.RESIDENT)
        number = normalise(attrs.get("id_number", current.id_number if current else ""))
        derived = {"id_number": number}
        if number and id_type == IDType.RESIDENT:
            try:
                number = validate_resident_id(number)
            except IDNumberError as error:
                raise serializers.ValidationError({"id_number": str(error)}) from None
            derived.update(
                id_number=number, sex=sex_from_resident_id(number), birth_date=birth_date_from_resident_id(number)
            )
        others = Person.objects.filter(with_id_number(number))
        if current is not None:
            others = others.exclude(pk=current.pk)
        if number and others.exists():
            raise serializers.ValidationError({"id_number": _("该证件号码已登记在其他人员名下。")})
        return derived


class MemberSerializer(serializers.ModelSerializer):
    """A household member as listed under the household (read only, numbers masked)."""

    id_number = IDNumberField(label=_("证件号码"), read_only=True)
    phone = PhoneField(label=_("联系电话"), read_only=True)

    class Meta:
        model = Person
        fields = ["id", "name", "relation_to_head", "sex", "birth_date", "id_number", "phone", "address"]
        read_only_fields = fields


class HouseholdSerializer(serializers.ModelSerializer):
    number = serializers.CharField(
        label=_("户号"),
        max_length=40,
        validators=[UniqueValidator(queryset=Household.objects.all(), message=_("户号已存在。"))],
    )
    unit = UnitCodeField(label=_("所属网格编码"))
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    head = RestrictedPrimaryKeyRelatedField(
        label=_("户主"), queryset=Person.objects.all(), required=False, allow_null=True
    )
    head_name = serializers.CharField(source="head.name", read_only=True, allow_null=True)
    members = MemberSerializer(many=True, read_only=True)

    class Meta:
        model = Household
        fields = ["id", "number", "address", "unit", "unit_name", "head", "head_name", "members", "created_at",
                  "updated_at"]
        read_only_fields = ["created_at", "updated_at"]

    def validate_unit(self, unit):
        if self.instance is not None and unit.pk != self.instance.unit_id:
            raise serializers.ValidationError(UNIT_CHANGE_REFUSED)
        return unit

    def validate_head(self, head):
        if head is not None and (self.instance is None or head.household_id != self.instance.pk):
            raise serializers.ValidationError(_("户主须为本户成员：先把此人加入本户，再设为户主。"))
        return head


class MoveRequestSerializer(serializers.Serializer):
    to_unit = UnitCodeField(label=_("迁入单位编码"))
    moved_on = serializers.DateField(label=_("迁移日期"), required=False, help_text=_("默认今天"))
    reason = serializers.CharField(label=_("原因"), max_length=200, required=False, allow_blank=True)
    to_address = serializers.CharField(
        label=_("新住址"), max_length=200, required=False, allow_blank=True, help_text=_("不填则保留原住址")
    )

    def validate_moved_on(self, value):
        if value > timezone.localdate():
            raise serializers.ValidationError(_("迁移日期不能晚于今天。"))
        return value


class MoveSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name", read_only=True, allow_null=True)
    household_number = serializers.CharField(source="household.number", read_only=True, allow_null=True)
    from_unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    to_unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    recorded_by = serializers.StringRelatedField(read_only=True)

    class Meta:
        model = Move
        fields = ["id", "person", "person_name", "household", "household_number", "from_unit", "to_unit",
                  "from_address", "to_address", "moved_on", "reason", "recorded_by", "recorded_at"]
        read_only_fields = fields


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()
    old = serializers.CharField(allow_null=True)
    new = serializers.CharField(allow_null=True)


class HistoryEntrySerializer(serializers.Serializer):
    """An entry of `fangkong.lib.history.history_entries`."""

    id = serializers.IntegerField()
    date = serializers.DateTimeField(source="when")
    type = serializers.ChoiceField(choices=[("created", _("新增")), ("changed", _("修改")), ("deleted", _("删除"))])
    user = serializers.CharField(source="who", allow_null=True, help_text=_("操作人"))
    reason = serializers.CharField(allow_null=True)
    changes = FieldChangeSerializer(many=True)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["reason"] = data["reason"] or None
        return data
