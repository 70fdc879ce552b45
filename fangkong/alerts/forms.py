from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from fangkong.orgs.models import Unit

from .models import AlertKind, AlertRule


class NoteForm(forms.Form):
    note = forms.CharField(label=_("处理说明"), required=False, max_length=1000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class AlertFilterForm(forms.Form):
    STATUSES = [
        ("open", _("未解除")),
        ("unacknowledged", _("未确认")),
        ("acknowledged", _("已确认未解除")),
        ("resolved", _("已解除")),
        ("all", _("全部")),
    ]
    SCOPES = [("mine", _("我的预警")), ("area", _("辖区全部"))]

    scope = forms.ChoiceField(label=_("范围"), choices=SCOPES, required=False)
    kind = forms.ChoiceField(label=_("预警类型"), choices=[("", _("全部类型")), *AlertKind.choices], required=False)
    status = forms.ChoiceField(label=_("状态"), choices=STATUSES, required=False)

    def apply(self, queryset):
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("kind"):
            queryset = queryset.filter(kind=data["kind"])
        status = data.get("status") or "open"
        if status == "open":
            queryset = queryset.filter(resolved_at__isnull=True)
        elif status == "unacknowledged":
            queryset = queryset.filter(resolved_at__isnull=True, acknowledged_at__isnull=True)
        elif status == "acknowledged":
            queryset = queryset.filter(resolved_at__isnull=True, acknowledged_at__isnull=False)
        elif status == "resolved":
            queryset = queryset.filter(resolved_at__isnull=False)
        return queryset


class AlertRuleForm(forms.ModelForm):
    """A rule, for all units or for one unit of the editor's jurisdiction (given by its code)."""

    unit_code = forms.CharField(label=_("适用单位编码"), required=False, max_length=32,
                                help_text=_("不填表示全部单位；下级单位的规则优先"))

    class Meta:
        model = AlertRule
        fields = ["kind", "unit_code", "effective_from", "enabled", "severity", "ack_minutes", "max_level", "params"]
        widgets = {"effective_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                   "params": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if self.instance.unit_id:
            self.initial["unit_code"] = self.instance.unit.code

    def clean_unit_code(self):
        code = self.cleaned_data["unit_code"].strip()
        if not code:
            if not self.user.is_superuser:
                raise forms.ValidationError(_("只有系统管理员可以设置适用于全部单位的规则。"))
            return None
        unit = Unit.objects.restrict(self.user).filter(code=code).first()
        if unit is None:
            raise forms.ValidationError(_("单位编码“%(code)s”不存在或不在您的辖区内。"), params={"code": code})
        return unit

    def clean_ack_minutes(self):
        value = self.cleaned_data["ack_minutes"]
        if value < 1:
            raise forms.ValidationError(_("确认时限至少为1分钟。"))
        return value

    def clean_params(self):
        params = self.cleaned_data["params"]
        if params in (None, ""):
            return {}
        if not isinstance(params, dict):
            raise forms.ValidationError(_("参数应为键值对，例如 {\"temperature\": \"37.3\"}。"))
        if "temperature" in params:
            try:
                temperature = Decimal(str(params["temperature"]))
            except InvalidOperation:
                temperature = None
            if temperature is None or not Decimal("35") <= temperature <= Decimal("42"):
                raise forms.ValidationError(_("体温阈值应在35至42℃之间。"))
            params["temperature"] = str(temperature)
        return params

    def save(self, commit=True):
        self.instance.unit = self.cleaned_data["unit_code"]
        return super().save(commit=commit)
