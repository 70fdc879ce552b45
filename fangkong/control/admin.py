"""Admin for key-person control. Cases are opened, re-planned and closed through the services
(pages and API), which keep phases, tests and slots in step; here they are mainly for looking
things up and fixing a record by hand, with the change history kept."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    CasePhase, CaseTest, CaseTransfer, ControlCase, FollowUpEntry, FollowUpSlot, PhaseChange, RegimenVersion, SignOff,
    TeamMember,
)


@admin.register(RegimenVersion)
class RegimenVersionAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "issuer", "effective_from", "effective_to", "unit", "is_preset"]
    list_filter = ["is_preset"]
    search_fields = ["code", "name", "issuer"]
    raw_id_fields = ["unit"]


class CasePhaseInline(admin.TabularInline):
    model = CasePhase
    extra = 0
    fields = ["index", "measure", "first_day", "last_day", "planned_last_day"]


class CaseTestInline(admin.TabularInline):
    model = CaseTest
    extra = 0
    fields = ["due_on", "who", "label", "status", "result", "done_at", "recorded_by"]
    raw_id_fields = ["recorded_by"]


class TeamMemberInline(admin.TabularInline):
    model = TeamMember
    extra = 0
    raw_id_fields = ["user"]


class CaseTransferInline(admin.TabularInline):
    model = CaseTransfer
    extra = 0
    fk_name = "case"
    fields = ["from_unit", "to_unit", "to_area", "reason", "requested_at", "accepted_at", "declined_at"]
    raw_id_fields = ["from_unit", "to_unit"]


@admin.register(ControlCase)
class ControlCaseAdmin(SimpleHistoryAdmin):
    list_display = ["person", "category", "status", "current_measure", "release_on", "unit", "regimen", "opened_at"]
    list_filter = ["status", "category", "current_measure", "place"]
    search_fields = ["person__name", "person__id_number"]
    date_hierarchy = "opened_at"
    raw_id_fields = ["person", "unit", "lead", "site", "room", "opened_by", "regimen"]
    readonly_fields = ["unit_path", "self_report_token"]
    inlines = [CasePhaseInline, CaseTestInline, TeamMemberInline, CaseTransferInline]
    list_select_related = ["person", "unit", "regimen"]


@admin.register(PhaseChange)
class PhaseChangeAdmin(admin.ModelAdmin):
    list_display = ["phase", "old_last_day", "new_last_day", "reason", "changed_by", "changed_at"]
    raw_id_fields = ["phase", "changed_by"]


@admin.register(CaseTransfer)
class CaseTransferAdmin(admin.ModelAdmin):
    list_display = ["case", "from_unit", "to_unit", "to_area", "requested_at", "accepted_at", "declined_at"]
    raw_id_fields = ["case", "from_unit", "to_unit", "requested_by", "accepted_by"]


@admin.register(FollowUpSlot)
class FollowUpSlotAdmin(admin.ModelAdmin):
    list_display = ["case", "day", "starts_at", "ends_at", "status", "closed_at"]
    list_filter = ["status"]
    date_hierarchy = "day"
    raw_id_fields = ["case"]
    readonly_fields = ["unit_path"]


@admin.register(FollowUpEntry)
class FollowUpEntryAdmin(admin.ModelAdmin):
    list_display = ["case", "recorded_at", "temperature", "method", "recorder", "abnormal", "suspicious"]
    list_filter = ["method", "abnormal", "suspicious"]
    date_hierarchy = "recorded_at"
    raw_id_fields = ["case", "slot", "recorder"]
    readonly_fields = ["unit_path"]


@admin.register(SignOff)
class SignOffAdmin(admin.ModelAdmin):
    list_display = ["case", "day", "member", "signed_by", "signed_at"]
    raw_id_fields = ["case", "member", "signed_by"]
