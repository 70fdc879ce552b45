"""REST API of the alerts (registered under /api/v1/ by fangkong.api.urls): the alerts of the
caller's jurisdiction, the caller's inbox, acknowledging and resolving."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from fangkong.api.base import RestrictedReadOnlyViewSet

from .filters import AlertFilterSet
from .models import Alert, AlertStep, Delivery
from .services import acknowledge, resolve


class AlertStepSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.code", label=_("单位编码"))
    unit_name = serializers.CharField(source="unit.name", label=_("单位名称"))

    class Meta:
        model = AlertStep
        fields = ["level", "unit", "unit_name", "at"]


class DeliverySerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username", label=_("用户"))

    class Meta:
        model = Delivery
        fields = ["user", "channel", "level", "sent_at", "ok", "error", "read_at"]


class AlertSerializer(serializers.ModelSerializer):
    origin_unit = serializers.CharField(source="origin_unit.code", label=_("发生单位编码"))
    origin_unit_name = serializers.CharField(source="origin_unit.name", label=_("发生单位"))
    unit = serializers.CharField(source="unit.code", label=_("当前责任单位编码"))
    unit_name = serializers.CharField(source="unit.name", label=_("当前责任单位"))
    acknowledged_by = serializers.StringRelatedField(label=_("确认人"))
    resolved_by = serializers.StringRelatedField(label=_("解除人"))
    subject_type = serializers.SerializerMethodField(label=_("相关记录类型"))

    class Meta:
        model = Alert
        fields = ["id", "kind", "severity", "title", "detail", "origin_unit", "origin_unit_name", "unit", "unit_name",
                  "level", "raised_at", "ack_due_at", "escalated_at", "acknowledged_at", "acknowledged_by",
                  "resolved_at", "resolved_by", "note", "subject_type", "subject_id"]
        read_only_fields = fields

    def get_subject_type(self, alert) -> str | None:
        return f"{alert.subject_type.app_label}.{alert.subject_type.model}" if alert.subject_type_id else None


class AlertDetailSerializer(AlertSerializer):
    steps = AlertStepSerializer(many=True, read_only=True, label=_("流转记录"))
    deliveries = DeliverySerializer(many=True, read_only=True, label=_("送达记录"))

    class Meta(AlertSerializer.Meta):
        fields = [*AlertSerializer.Meta.fields, "steps", "deliveries"]
        read_only_fields = fields


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(label=_("处理说明"), required=False, allow_blank=True, max_length=1000)


class HandlePermission(permissions.BasePermission):
    """Acknowledging and resolving change the alert: `alerts.change_alert`."""

    def has_permission(self, request, view):
        return request.user.has_perm("alerts.change_alert")


class AlertViewSet(RestrictedReadOnlyViewSet):
    """Alerts (预警) raised within the caller's jurisdiction, or naming the caller. The inbox
    lists the caller's own: delivered to them, sitting at their unit, or naming them."""

    queryset = Alert.objects.select_related("origin_unit", "unit", "acknowledged_by", "resolved_by", "subject_type")
    serializer_class = AlertSerializer
    filterset_class = AlertFilterSet
    ordering_fields = ["raised_at", "id", "level"]

    def get_queryset(self):
        queryset = self.queryset.visible_to(self.request.user)
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("steps__unit", "deliveries__user")
        return queryset.order_by("-raised_at", "-id")

    def get_serializer_class(self):
        return AlertDetailSerializer if self.action == "retrieve" else AlertSerializer

    @extend_schema(summary="我的预警", responses=AlertSerializer(many=True))
    @action(detail=False)
    def inbox(self, request):
        queryset = self.filter_queryset(Alert.objects.inbox(request.user).select_related(
            "origin_unit", "unit", "acknowledged_by", "resolved_by", "subject_type"))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(AlertSerializer(page, many=True, context={"request": request}).data)

    def _handle(self, request, service):
        alert = self.get_object()
        serializer = NoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        done = service(alert, request.user, timezone.now(), note=serializer.validated_data.get("note", ""))
        data = AlertSerializer(alert, context={"request": request}).data
        return Response(data, status=status.HTTP_200_OK if done else status.HTTP_409_CONFLICT)

    @extend_schema(summary="确认预警", request=NoteSerializer,
                   responses={200: AlertSerializer, 409: AlertSerializer},
                   description="已确认或已解除的预警返回409。")
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated, HandlePermission])
    def acknowledge(self, request, pk=None):
        return self._handle(request, acknowledge)

    @extend_schema(summary="解除预警", request=NoteSerializer,
                   responses={200: AlertSerializer, 409: AlertSerializer},
                   description="已解除的预警返回409。")
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated, HandlePermission])
    def resolve(self, request, pk=None):
        return self._handle(request, resolve)


def register(router):
    router.register("alerts", AlertViewSet, basename="alert")
