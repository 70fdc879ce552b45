from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from fangkong.orgs.models import RESIDENCE_TYPES, Tree, Unit, UnitType

from .models import SamplingPoint, Target
from .services.rounds import MAX_POOL_SIZE


def _codes(text):
    return [code for code in text.replace("，", ",").replace("、", ",").replace("\n", ",").split(",") if code.strip()]


class UnitCodeChoice(forms.CharField):
    """A unit typed by its code, found within `units` (the user's jurisdiction)."""

    def __init__(self, *args, units=None, **kwargs):
        self.units = units
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value).strip()
        if not value:
            return None
        unit = self.units.filter(code=value).first()
        if unit is None:
            raise ValidationError(_("单位编码“%(code)s”不存在或不在您的辖区内") % {"code": value})
        return unit


class RoundForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    owner_unit = forms.ModelChoiceField(queryset=Unit.objects.none(), label=_("组织单位"), empty_label=_("请选择"))
    scope = forms.CharField(label=_("检测范围"), required=False, max_length=2000,
                            help_text=_("单位编码，多个用逗号分隔；留空为整个组织单位"))
    starts_on = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}))
    target = forms.ChoiceField(label=_("检测对象"), choices=Target.choices, initial=Target.ALL_RESIDENTS)
    default = forms.IntegerField(label=_("默认混采人数"), min_value=1, max_value=MAX_POOL_SIZE, initial=10)
    medium_risk = forms.IntegerField(label=_("中风险地区混采人数"), min_value=1, max_value=MAX_POOL_SIZE, initial=5)
    controlled = forms.IntegerField(label=_("在管重点人员混采人数"), min_value=1, max_value=MAX_POOL_SIZE, initial=1)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.units = Unit.objects.restrict(user)
        self.fields["owner_unit"].queryset = self.units.filter(tree=Tree.ADMINISTRATIVE).exclude(
            type__in=[UnitType.GRID, UnitType.BUILDING])

    def clean_scope(self):
        units = []
        for code in _codes(self.cleaned_data["scope"]):
            unit = self.units.filter(code=code.strip()).first()
            if unit is None:
                raise ValidationError(_("单位编码“%(code)s”不存在或不在您的辖区内") % {"code": code.strip()})
            units.append(unit)
        return units

    def pool_sizes(self):
        return {kind: self.cleaned_data[kind] for kind in ("default", "medium_risk", "controlled")}


class PointForm(forms.Form):
    unit = forms.ModelChoiceField(queryset=Unit.objects.none(), label=_("采样点"), empty_label=_("请选择"))
    opens_at = forms.TimeField(label=_("开始时间"), required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    closes_at = forms.TimeField(label=_("结束时间"), required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    staff = forms.CharField(label=_("采样人员"), max_length=200, required=False)

    def __init__(self, *args, user, round, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = (
            Unit.objects.restrict(user).filter(type=UnitType.SAMPLING_POINT, path__startswith=round.unit_path)
            .exclude(pk__in=round.points.values("unit_id"))
        )


class OpenTubeForm(forms.Form):
    point = forms.ModelChoiceField(queryset=SamplingPoint.objects.none(), label=_("采样点"), empty_label=_("请选择"))
    barcode = forms.CharField(label=_("试管条码"), max_length=40,
                              widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}))
    capacity = forms.IntegerField(label=_("混采人数上限"), min_value=1, max_value=MAX_POOL_SIZE, required=False,
                                  help_text=_("留空按本轮混采比例"))

    def __init__(self, *args, points, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["point"].queryset = points


class ScanForm(forms.Form):
    code = forms.CharField(label=_("扫码"), max_length=2000, widget=forms.TextInput(attrs={
        "autofocus": True, "autocomplete": "off", "inputmode": "text",
        "placeholder": _("身份证号、健康码或人员条码")}))
    unit = UnitCodeChoice(label=_("未登记人员所属单位编码"), required=False, max_length=32,
                          help_text=_("留空为采样点的上级村（社区）或网格"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].units = Unit.objects.restrict(user).filter(type__in=RESIDENCE_TYPES)

    def codes(self):
        # A scanner may send several codes at once, one per line.
        return [line for line in self.cleaned_data["code"].splitlines() if line.strip()]
