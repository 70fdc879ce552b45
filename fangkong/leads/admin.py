from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Lead, LeadBatch, LeadPolicy


@admin.register(LeadPolicy)
class LeadPolicyAdmin(SimpleHistoryAdmin):
    list_display = ["unit", "source", "effective_from", "verify_minutes", "dispose_same_day", "dispose_minutes"]
    list_filter = ["source", "dispose_same_day"]
    raw_id_fields = ["unit"]


@admin.register(LeadBatch)
class LeadBatchAdmin(admin.ModelAdmin):
    list_display = ["uploaded_at", "source", "unit", "file_name", "rows", "created", "rejected"]
    list_filter = ["source"]
    raw_id_fields = ["unit"]
    readonly_fields = ["errors"]


@admin.register(Lead)
class LeadAdmin(SimpleHistoryAdmin):
    list_display = ["name", "source", "unit", "status", "received_at", "verify_due_at", "dispose_due_at", "outcome"]
    list_filter = ["status", "source", "outcome"]
    search_fields = ["name", "id_number", "phone"]
    raw_id_fields = ["unit", "person", "batch"]
    date_hierarchy = "received_at"
