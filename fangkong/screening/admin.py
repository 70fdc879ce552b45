from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import Campaign, FollowUpFlag, MemberAnswer, Visit
from .services.campaigns import check_campaign
from .services.follow_up import resolve_flag


class CampaignAdminForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = "__all__"

    def clean(self):
        data = super().clean()
        if data.get("owner_unit") is not None:
            try:
                check_campaign(data["owner_unit"], list(data.get("units") or []), data.get("starts_on"),
                               data.get("ends_on"))
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    self.add_error(field, messages)
        return data


@admin.register(Campaign)
class CampaignAdmin(SimpleHistoryAdmin):
    form = CampaignAdminForm
    list_display = ["name", "owner_unit", "starts_on", "ends_on", "places_of_concern"]
    search_fields = ["name"]
    autocomplete_fields = ["owner_unit", "units"]
    list_select_related = ["owner_unit"]


class MemberAnswerInline(admin.TabularInline):
    model = MemberAnswer
    extra = 0
    fields = ["person", "presence", "places_visited", "case_contact", "symptoms", "temperature"]
    readonly_fields = fields
    can_delete = False


@admin.register(Visit)
class VisitAdmin(SimpleHistoryAdmin):
    """Visits are recorded on the pages and through the API (where the rules run); here they are read."""

    list_display = ["visited_at", "campaign", "household", "outcome", "visited_by"]
    list_filter = ["outcome", "campaign"]
    list_select_related = ["campaign", "household", "visited_by"]
    search_fields = ["household__number"]
    readonly_fields = ["campaign", "household", "visited_at", "visited_by", "outcome"]
    inlines = [MemberAnswerInline]

    def has_add_permission(self, request):
        return False


@admin.register(FollowUpFlag)
class FollowUpFlagAdmin(admin.ModelAdmin):
    list_display = ["person", "campaign", "reason_text", "created_at", "resolved_at"]
    list_filter = ["campaign"]
    list_select_related = ["person", "campaign"]
    readonly_fields = ["person", "campaign", "visit", "reasons", "created_at", "resolved_at"]
    actions = ["resolve"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("标记为已处理"))
    def resolve(self, request, queryset):
        # Through the service, so the person's follow-up mark is cleared with the last open flag.
        for flag in queryset.filter(resolved_at__isnull=True).select_related("person"):
            resolve_flag(flag)
