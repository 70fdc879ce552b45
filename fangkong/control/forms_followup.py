"""Forms of the follow-up pages: the team's quick entry, the person's own report through the
link, and the daily sign-off. The rules themselves live in the services (record_entry,
sign_off); the forms only gather the values and put the services' errors on the fields."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import FollowUpSymptom, Method


class ServiceErrorsMixin:
    def add_service_errors(self, error):
        """Put a service's ValidationError on the fields it names, the rest at the top."""
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
        else:
            for message in error.messages:
                self.add_error(None, message)


class TemperatureField(forms.DecimalField):
    def __init__(self, **kwargs):
        super().__init__(
            label=_("体温（℃）"), max_digits=3, decimal_places=1,
            widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal", "placeholder": "36.5",
                                            "min": "34", "max": "43"}),
            error_messages={"required": _("请填写体温。"), "invalid": _("体温格式不正确，请填写如 36.5 的数字。"),
                            "max_digits": _("体温应在34℃至43℃之间，请核对后重新填写。"),
                            "max_decimal_places": _("体温保留一位小数。")},
            **kwargs,
        )


class SelfReportForm(ServiceErrorsMixin, forms.Form):
    temperature = TemperatureField()
    symptoms = forms.MultipleChoiceField(
        label=_("今天是否有以下症状（没有不选）"), choices=FollowUpSymptom.choices, widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class EntryForm(SelfReportForm):
    method = forms.ChoiceField(label=_("方式"), choices=[(m.value, m.label) for m in (Method.VISIT, Method.PHONE)],
                               widget=forms.RadioSelect, initial=Method.VISIT)
    photo = forms.FileField(label=_("照片（可选，JPG/PNG，5MB以内）"), required=False,
                            widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}))
    note = forms.CharField(label=_("备注"), required=False, max_length=200)

    def __init__(self, *args, case=None, **kwargs):
        if case is not None:
            kwargs.setdefault("prefix", f"case-{case.pk}")
        super().__init__(*args, **kwargs)
        self.fields["symptoms"].label = _("症状（没有不选）")


class SignOffForm(ServiceErrorsMixin, forms.Form):
    member = forms.ModelChoiceField(label=_("签字人"), queryset=None, required=False,
                                    empty_label=_("本人（不在包保名单中）"))
    day = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                          error_messages={"required": _("请选择日期。"), "invalid": _("日期格式不正确。")})
    photo = forms.FileField(label=_("工作照（JPG/PNG，5MB以内）"),
                            widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}),
                            error_messages={"required": _("请上传工作照。")})
    note = forms.CharField(label=_("说明"), required=False, max_length=200)

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = case.team.all()
        self.fields["member"].label_from_instance = lambda member: f"{member.role} {member.name}"
