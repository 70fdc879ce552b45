"""Forms of the filing pages: the list filter, and the hand items of a report form as inputs.
The values are checked by `services.filing` (one set of rules for pages and API); these forms
only carry them and show its messages next to the inputs."""

from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Filing, ItemKind
from .services.filing import REASON_LIMIT, STATUS_FILED, STATUS_LATE, STATUS_MISSING, STATUS_ZERO, TEXT_LIMIT

STATUS_CHOICES = [
    ("", _("全部")),
    (STATUS_MISSING, _("未报")),
    (STATUS_FILED, _("已报")),
    (STATUS_LATE, _("迟报")),
    (STATUS_ZERO, _("零报告")),
]


class FilingFilterForm(forms.Form):
    day = forms.DateField(label=_("日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    q = forms.CharField(label=_("单位名称或编码"), required=False, max_length=60, widget=forms.SearchInput)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=STATUS_CHOICES)

    def day_or_today(self):
        if self.is_valid() and self.cleaned_data["day"]:
            return self.cleaned_data["day"]
        return timezone.localdate()

    def filter(self, units, form, day):
        """The filing units matching the name/code search and the status of their report."""
        if not self.is_valid():
            return units
        text = self.cleaned_data["q"].strip()
        if text:
            units = units.filter(Q(name__icontains=text) | Q(code__startswith=text))
        status = self.cleaned_data["status"]
        if status:
            filed = Filing.objects.current().filter(
                form_code=form.code, day=form.period_start(day), unit=OuterRef("pk"))
            units = {
                STATUS_MISSING: units.filter(~Exists(filed)),
                STATUS_FILED: units.filter(Exists(filed)),
                STATUS_LATE: units.filter(Exists(filed.filter(late=True))),
                STATUS_ZERO: units.filter(Exists(filed.filter(zero_report=True))),
            }[status]
        return units


class ValuesForm(forms.Form):
    """The hand items of `report_form` as inputs, named by item code."""

    def __init__(self, report_form, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for item in report_form.items_of_kind(ItemKind.NUMBER, ItemKind.TEXT):
            label = item["label"] + (f"（{item['unit']}）" if item.get("unit") else "")
            if item["kind"] == ItemKind.NUMBER:
                field = forms.CharField(label=label, required=False, widget=forms.NumberInput(
                    attrs={"min": 0, "step": 1, "inputmode": "numeric", "required": True}))
            else:
                field = forms.CharField(label=label, required=False, strip=True, widget=forms.Textarea(
                    attrs={"rows": 3, "maxlength": TEXT_LIMIT}))
            self.fields[item["code"]] = field
        self.item_codes = list(self.fields)

    def values(self):
        return {code: self.cleaned_data.get(code) for code in self.item_codes}

    def add_service_errors(self, error):
        """Show a ValidationError of the filing services next to the inputs it names."""
        if hasattr(error, "error_dict"):
            for code, errors in error.message_dict.items():
                self.add_error(code if code in self.fields else None, errors)
        else:
            self.add_error(None, error.messages)


class CorrectionForm(ValuesForm):
    def __init__(self, report_form, *args, **kwargs):
        super().__init__(report_form, *args, **kwargs)
        self.fields["reason"] = forms.CharField(
            label=_("更正原因"), max_length=REASON_LIMIT, required=False,
            widget=forms.TextInput(attrs={"required": True, "maxlength": REASON_LIMIT}),
        )

    def reason(self):
        return self.cleaned_data.get("reason", "")
