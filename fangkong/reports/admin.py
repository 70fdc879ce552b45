from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Bulletin, Filing, ReportForm, ReportTemplate, Snapshot


@admin.register(ReportForm)
class ReportFormAdmin(SimpleHistoryAdmin):
    list_display = ["code", "version", "name", "period", "effective_from", "effective_to", "is_preset"]
    list_filter = ["period", "is_preset"]


@admin.register(Filing)
class FilingAdmin(admin.ModelAdmin):
    list_display = ["unit", "form_code", "day", "version", "zero_report", "late", "filed_at", "superseded_at"]
    list_filter = ["form_code", "late", "zero_report"]
    raw_id_fields = ["unit", "filed_by"]
    date_hierarchy = "day"


@admin.register(Snapshot)
class SnapshotAdmin(admin.ModelAdmin):
    list_display = ["unit", "form_code", "day", "version", "as_of", "taken_at", "reason"]
    raw_id_fields = ["unit"]


@admin.register(ReportTemplate)
class ReportTemplateAdmin(admin.ModelAdmin):
    list_display = ["code", "version", "name", "form_code", "is_preset", "uploaded_at"]
    exclude = ["content"]


@admin.register(Bulletin)
class BulletinAdmin(admin.ModelAdmin):
    list_display = ["unit", "number", "title", "as_of", "issued_at"]
    raw_id_fields = ["unit"]
    exclude = ["content"]
