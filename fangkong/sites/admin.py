from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import ReserveTarget, Room, Stay


@admin.register(Room)
class RoomAdmin(SimpleHistoryAdmin):
    list_display = ["site", "number", "beds", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["number", "site__name", "site__code"]
    raw_id_fields = ["site"]


@admin.register(Stay)
class StayAdmin(SimpleHistoryAdmin):
    list_display = ["case", "room", "checked_in_at", "checked_out_at"]
    raw_id_fields = ["room", "case", "checked_in_by", "checked_out_by"]
    date_hierarchy = "checked_in_at"


@admin.register(ReserveTarget)
class ReserveTargetAdmin(SimpleHistoryAdmin):
    list_display = ["unit", "rooms_per_10k", "effective_from"]
    raw_id_fields = ["unit"]
