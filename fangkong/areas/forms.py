from django import forms
from django.core.validators import FileExtensionValidator
from django.utils.translation import gettext_lazy as _

from .models import RiskArea, RiskLevel


class AreaFilterForm(forms.Form):
    on = forms.DateField(label=_("生效于"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    level = forms.ChoiceField(label=_("风险等级"), required=False, choices=[("", _("全部"))] + RiskLevel.choices)
    q = forms.CharField(label=_("地区名称或代码"), required=False, max_length=60)

    def filter(self, queryset, in_force):
        if not self.is_valid():
            return queryset.none()
        data = self.cleaned_data
        if data["on"]:
            queryset = queryset.filter(pk__in=in_force(data["on"]).values("pk"))
        if data["level"]:
            queryset = queryset.filter(level=data["level"])
        if data["q"]:
            text = data["q"].strip()
            queryset = queryset.filter(name__contains=text) | queryset.filter(division_code__startswith=text)
        return queryset


class AreaForm(forms.ModelForm):
    division_code = forms.CharField(label=_("区划代码"), required=False, max_length=12,
                                    help_text=_("可不填，按地区名称识别；2位省、4位市、6位县区、9位街道乡镇"))

    class Meta:
        model = RiskArea
        fields = ["level", "name", "division_code", "effective_from", "effective_to", "local_cases", "source"]
        widgets = {"effective_from": forms.DateInput(attrs={"type": "date"}),
                   "effective_to": forms.DateInput(attrs={"type": "date"})}


class LiftForm(forms.Form):
    effective_to = forms.DateField(label=_("解除日期"), widget=forms.DateInput(attrs={"type": "date"}))


class AreaImportForm(forms.Form):
    file = forms.FileField(label=_("风险地区名单"), help_text=_("Excel（.xlsx/.xls）或CSV；列：风险等级、地区名称、区划代码（可不填）、生效日期、解除日期"),
                           validators=[FileExtensionValidator(["xlsx", "xls", "csv"])])
