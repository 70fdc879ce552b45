import django_filters
from django.utils.translation import gettext_lazy as _

from fangkong.api.filters import SubtreeFilter

from .models import Alert, AlertKind


class AlertFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=AlertKind.choices, label=_("预警类型"))
    acknowledged = django_filters.BooleanFilter(field_name="acknowledged_at", lookup_expr="isnull", exclude=True,
                                                label=_("已确认"))
    resolved = django_filters.BooleanFilter(field_name="resolved_at", lookup_expr="isnull", exclude=True,
                                            label=_("已解除"))
    unit = SubtreeFilter(field_name="origin_path", label=_("发生单位编码（含下级）"))

    class Meta:
        model = Alert
        fields = []
