from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Chase, LabBatch, RetestOrder, SamplingPoint, TestingRound, Tube


@admin.register(TestingRound)
class TestingRoundAdmin(SimpleHistoryAdmin):
    list_display = ["name", "owner_unit", "starts_on", "ends_on", "target"]
    raw_id_fields = ["owner_unit"]
    filter_horizontal = ["scope"]


@admin.register(SamplingPoint)
class SamplingPointAdmin(admin.ModelAdmin):
    list_display = ["unit", "round", "opens_at", "closes_at"]
    raw_id_fields = ["unit"]


@admin.register(Tube)
class TubeAdmin(admin.ModelAdmin):
    list_display = ["barcode", "round", "point", "size", "capacity", "status", "result", "conflict"]
    list_filter = ["status", "result", "conflict"]
    search_fields = ["barcode"]
    raw_id_fields = ["point", "batch"]


@admin.register(LabBatch)
class LabBatchAdmin(admin.ModelAdmin):
    list_display = ["lab", "received_at", "tubes"]
    raw_id_fields = ["lab"]


@admin.register(Chase)
class ChaseAdmin(admin.ModelAdmin):
    list_display = ["tube", "result", "started_at", "due_at", "completed_at"]
    raw_id_fields = ["tube"]


@admin.register(RetestOrder)
class RetestOrderAdmin(admin.ModelAdmin):
    list_display = ["person", "ordered_at", "done_at"]
    raw_id_fields = ["person", "reason_tube", "sample"]
