"""Filters for the API's campaign and visit lists."""

import django_filters
from django.utils.translation import gettext_lazy as _

from fangkong.api.filters import SubtreeFilter
from fangkong.orgs.models import Unit

from .models import Campaign, Outcome, Visit


class CampaignFilterSet(django_filters.FilterSet):
    unit = django_filters.CharFilter(method="filter_unit", label=_("单位编码（摸排范围涉及该单位）"))
    active_on = django_filters.DateFilter(method="filter_active_on", label=_("进行中的日期"))
    q = django_filters.CharFilter(field_name="name", lookup_expr="contains", label=_("活动名称"))

    class Meta:
        model = Campaign
        fields = []

    def filter_unit(self, queryset, name, value):
        path = Unit.objects.filter(code=value.strip()).values_list("path", flat=True).first()
        return queryset.none() if path is None else queryset.reaching([path])

    def filter_active_on(self, queryset, name, value):
        return queryset.filter(starts_on__lte=value).exclude(ends_on__lt=value)


class VisitFilterSet(django_filters.FilterSet):
    campaign = django_filters.NumberFilter(field_name="campaign_id", label=_("摸排活动编号"))
    household = django_filters.NumberFilter(field_name="household_id", label=_("家庭户编号"))
    unit = SubtreeFilter()
    outcome = django_filters.ChoiceFilter(choices=Outcome.choices, label=_("走访结果"))
    date = django_filters.DateFilter(field_name="visited_at", lookup_expr="date", label=_("走访日期"))
    date_from = django_filters.DateFilter(field_name="visited_at", lookup_expr="date__gte", label=_("走访日期起"))
    date_to = django_filters.DateFilter(field_name="visited_at", lookup_expr="date__lte", label=_("走访日期止"))

    class Meta:
        model = Visit
        fields = []
