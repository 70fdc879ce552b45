from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Alert, AlertRule, AlertStep, Delivery


@admin.register(AlertRule)
class AlertRuleAdmin(SimpleHistoryAdmin):
    list_display = ["kind", "unit", "effective_from", "enabled", "severity", "ack_minutes", "max_level", "params"]
    list_filter = ["kind", "enabled", "severity"]
    raw_id_fields = ["unit"]


class AlertStepInline(admin.TabularInline):
    model = AlertStep
    extra = 0
    readonly_fields = ["level", "unit", "at"]
    can_delete = False


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    readonly_fields = ["user", "channel", "level", "sent_at", "ok", "error", "read_at"]
    can_delete = False


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "severity", "origin_unit", "unit", "level", "raised_at", "acknowledged_at",
                    "resolved_at"]
    list_filter = ["kind", "severity", "level"]
    search_fields = ["title", "key", "origin_unit__name"]
    date_hierarchy = "raised_at"
    raw_id_fields = ["origin_unit", "unit", "acknowledged_by", "resolved_by", "recipients"]
    readonly_fields = ["origin_path", "subject_type", "subject_id"]
    inlines = [AlertStepInline, DeliveryInline]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["alert", "user", "channel", "level", "sent_at", "ok", "read_at"]
    list_filter = ["channel", "ok"]
    raw_id_fields = ["alert", "user"]
