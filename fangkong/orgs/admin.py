from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from .models import Assignment, CommandBody, CommandPost, TaskGroup, Unit


@admin.register(Unit)
class UnitAdmin(TreeAdmin, SimpleHistoryAdmin):
    form = movenodeform_factory(Unit)
    list_display = ["name", "code", "type", "division_code", "is_active"]
    list_filter = ["tree", "type", "is_active"]
    search_fields = ["name", "code", "division_code"]


class CommandPostInline(admin.TabularInline):
    model = CommandPost
    extra = 0
    autocomplete_fields = ["user"]


class TaskGroupInline(admin.StackedInline):
    model = TaskGroup
    extra = 0
    fk_name = "body"
    autocomplete_fields = ["lead_unit", "member_units"]


@admin.register(CommandBody)
class CommandBodyAdmin(SimpleHistoryAdmin):
    list_display = ["name", "unit", "established_on"]
    search_fields = ["name", "unit__name"]
    autocomplete_fields = ["unit"]
    inlines = [CommandPostInline, TaskGroupInline]


@admin.register(Assignment)
class AssignmentAdmin(SimpleHistoryAdmin):
    list_display = ["unit", "person_name", "title", "phone"]
    search_fields = ["unit__name", "person_name"]
    autocomplete_fields = ["unit", "user"]
