import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fangkong.api.filters import SubtreeFilter
from fangkong.lib.idnumbers import IDNumberError, normalise, validate_resident_id
from fangkong.people.models import Household, Person, with_id_number
from fangkong.people.services.search import search_persons


class PersonFilterSet(django_filters.FilterSet):
    unit = SubtreeFilter()
    household = django_filters.NumberFilter(field_name="household_id", label=_("家庭户编号"))
    q = django_filters.CharFilter(method="filter_q", label=_("姓名、拼音首字母（如 zsf）或证件号/手机号尾号"))
    id_number = django_filters.CharFilter(method="filter_id_number", label=_("完整证件号码"))

    class Meta:
        model = Person
        fields = ["id_type", "sex", "population_type", "needs_follow_up", "is_elderly", "has_chronic_illness",
                  "is_pregnant", "is_disabled"]

    def filter_q(self, queryset, name, value):
        return search_persons(queryset, value)

    def filter_id_number(self, queryset, name, value):
        try:
            number = validate_resident_id(value)
        except IDNumberError:
            # Not a valid resident ID: a passport or permit number, matched as written.
            number = normalise(value)
        return queryset.filter(with_id_number(number))


class HouseholdFilterSet(django_filters.FilterSet):
    unit = SubtreeFilter()
    q = django_filters.CharFilter(method="filter_q", label=_("户号或住址"))

    class Meta:
        model = Household
        fields = []

    def filter_q(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(number__icontains=value) | Q(address__contains=value)) if value else queryset
