from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import RiskArea


@admin.register(RiskArea)
class RiskAreaAdmin(SimpleHistoryAdmin):
    list_display = ["name", "division_code", "scope", "level", "effective_from", "effective_to", "local_cases"]
    list_filter = ["level", "scope", "local_cases"]
    search_fields = ["name", "division_code"]
    date_hierarchy = "effective_from"
