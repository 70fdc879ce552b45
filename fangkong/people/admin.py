from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Affiliation, Household, ImportBatch, Move, Person


class AffiliationInline(admin.TabularInline):
    model = Affiliation
    extra = 0
    autocomplete_fields = ["unit"]


@admin.register(Person)
class PersonAdmin(SimpleHistoryAdmin):
    list_display = ["name", "id_type", "id_number", "phone", "unit", "population_type"]
    list_filter = ["population_type", "id_type", "needs_follow_up", "is_elderly"]
    search_fields = ["name", "name_initials", "id_number", "phone"]
    autocomplete_fields = ["unit", "household"]
    list_select_related = ["unit"]
    inlines = [AffiliationInline]


@admin.register(Household)
class HouseholdAdmin(SimpleHistoryAdmin):
    list_display = ["number", "address", "unit", "head"]
    search_fields = ["number", "address"]
    autocomplete_fields = ["unit", "head"]
    list_select_related = ["unit", "head"]


@admin.register(Move)
class MoveAdmin(admin.ModelAdmin):
    list_display = ["moved_on", "person", "household", "from_unit", "to_unit", "recorded_by"]
    list_select_related = ["person", "household", "from_unit", "to_unit", "recorded_by"]


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ["started_at", "file_name", "unit", "user", "rows", "created", "updated", "unchanged", "rejected"]
    list_select_related = ["unit", "user"]
