"""REST API of chases (阳性管追踪): `/api/v1/chases/` (list, read), each with its members nested
(identity masked unless the caller's role may see it). A caller sees a chase when the
sampling point or any member lies in their jurisdiction."""

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _
from rest_framework import permissions, serializers, viewsets

from fangkong.api.base import IDNumberField, ModelPermissions, PhoneField

from .models import Chase, ChaseMember
from .services.chasing import visible_chases


class ChaseMemberSerializer(serializers.ModelSerializer):
    person = serializers.IntegerField(source="person_id", read_only=True)
    name = serializers.CharField(source="person.name", read_only=True, label=_("姓名"))
    id_number = IDNumberField(source="person.id_number", read_only=True, label=_("证件号码"))
    phone = PhoneField(source="person.phone", read_only=True, label=_("联系电话"))
    address = serializers.CharField(source="person.address", read_only=True, label=_("现住址"))
    unit = serializers.CharField(source="person.unit.code", read_only=True, label=_("所属网格编码"))
    unit_name = serializers.CharField(source="person.unit.name", read_only=True)
    lead = serializers.IntegerField(source="lead_id", read_only=True, allow_null=True)
    lead_status = serializers.CharField(source="lead.status", read_only=True, default=None, allow_null=True)

    class Meta:
        model = ChaseMember
        fields = ["id", "person", "name", "id_number", "phone", "address", "unit", "unit_name", "lead",
                  "lead_status", "located_at"]
        read_only_fields = fields


class ChaseSerializer(serializers.ModelSerializer):
    barcode = serializers.CharField(source="tube.barcode", read_only=True, label=_("试管条码"))
    point = serializers.CharField(source="tube.point.unit.code", read_only=True, label=_("采样点编码"))
    point_name = serializers.CharField(source="tube.point.unit.name", read_only=True)
    result_at = serializers.DateTimeField(source="tube.result_at", read_only=True, label=_("结果时间"))
    total = serializers.IntegerField(read_only=True, label=_("总人数"))
    located = serializers.IntegerField(read_only=True, label=_("已找到人数"))
    members = ChaseMemberSerializer(many=True, read_only=True)

    class Meta:
        model = Chase
        fields = ["id", "tube", "barcode", "result", "point", "point_name", "result_at", "started_at", "due_at",
                  "completed_at", "total", "located", "members"]
        read_only_fields = fields


class ChaseViewSet(viewsets.ReadOnlyModelViewSet):
    """Chases of positive or abnormal tubes whose point or members lie in the caller's jurisdiction."""

    serializer_class = ChaseSerializer
    permission_classes = [permissions.IsAuthenticated, ModelPermissions]

    def get_queryset(self):
        return (
            visible_chases(self.request.user)
            .select_related("tube__point__unit")
            .prefetch_related("members__person__unit", "members__lead")
            .annotate(total=Count("members", distinct=True),
                      located=Count("members", filter=Q(members__located_at__isnull=False), distinct=True))
            .order_by("-started_at", "-pk")
        )


def register(router):
    router.register("chases", ChaseViewSet, basename="chase")
