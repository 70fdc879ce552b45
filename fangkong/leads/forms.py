from django import forms
from django.core.validators import FileExtensionValidator
from django.utils.translation import gettext_lazy as _

from fangkong.control.models import Category
from fangkong.orgs.models import Unit
from fangkong.people.models import IDType

from .models import LeadOutcome, LeadSource, LeadStatus

DATE = forms.DateInput(attrs={"type": "date"})
# Sources entered by hand on the page (lists come through the import, door-to-door through
# the screening action, self-declaration through the public form).
HAND_SOURCES = [(value, label) for value, label in LeadSource.choices
                if value in ("tip_off", "checkpoint", "clinic", "pharmacy", "health_code", "testing", "other")]
# The extra fields some sources carry, kept in the lead's payload.
EXTRA_FIELDS = {
    "checkpoint": [("checkpoint_name", _("卡口名称")), ("vehicle_plate", _("车牌号")), ("travel_mode", _("交通方式"))],
    "clinic": [("clinic_name", _("就诊机构")), ("diagnosis", _("症状/诊断"))],
    "pharmacy": [("pharmacy_name", _("药店名称")), ("medicine", _("购买药品")), ("bought_at", _("购药时间"))],
    "tip_off": [("informant", _("举报人（可匿名）")), ("informant_phone", _("举报人电话"))],
}


class UnitCodeMixin:
    """A unit given by code, within the user's jurisdiction."""

    def clean_unit_code(self, field="unit"):
        code = (self.cleaned_data.get(field) or "").strip()
        if not code:
            return None
        unit = Unit.objects.restrict(self.user).filter(code=code).first()
        if unit is None:
            raise forms.ValidationError(_("单位编码“%(code)s”不存在或不在您的辖区内。"), params={"code": code})
        return unit


class LeadFilterForm(UnitCodeMixin, forms.Form):
    status = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部"))] + LeadStatus.choices)
    source = forms.ChoiceField(label=_("线索来源"), required=False, choices=[("", _("全部"))] + LeadSource.choices)
    overdue = forms.BooleanField(label=_("只看超时"), required=False)
    unit = forms.CharField(label=_("单位编码"), required=False, max_length=32,
                           widget=forms.TextInput(attrs={"placeholder": _("单位编码，含下级")}))
    received_from = forms.DateField(label=_("接收日期自"), required=False, widget=DATE)
    received_to = forms.DateField(label=_("至"), required=False, widget=DATE)
    q = forms.CharField(label=_("姓名/证件号/电话"), required=False, max_length=40)

    def __init__(self, data, *, user):
        super().__init__(data)
        self.user = user

    def clean_unit(self):
        return self.clean_unit_code("unit")


class LeadForm(UnitCodeMixin, forms.Form):
    source = forms.ChoiceField(label=_("线索来源"), choices=HAND_SOURCES)
    unit = forms.CharField(label=_("接收单位编码"), max_length=32, help_text=_("按住址分派到所属村/网格"))
    name = forms.CharField(label=_("姓名"), max_length=50)
    id_type = forms.ChoiceField(label=_("证件类型"), choices=IDType.choices, initial=IDType.RESIDENT)
    id_number = forms.CharField(label=_("证件号码"), max_length=40, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    address = forms.CharField(label=_("现住址"), max_length=200, required=False)
    origin = forms.CharField(label=_("来自地区"), max_length=100, required=False)
    departed_on = forms.DateField(label=_("离开日期"), required=False, widget=DATE)
    arrived_on = forms.DateField(label=_("抵达日期"), required=False, widget=DATE)
    last_exposure_on = forms.DateField(label=_("末次暴露日期"), required=False, widget=DATE)
    temperature = forms.CharField(label=_("体温（℃）"), max_length=6, required=False)
    category = forms.ChoiceField(label=_("建议管控类别"), required=False, choices=[("", "—")] + Category.choices)
    reason = forms.CharField(label=_("线索内容"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    reported_by = forms.CharField(label=_("报告人/来源单位"), max_length=100, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.extra_names = []
        for source, fields in EXTRA_FIELDS.items():
            for name, label in fields:
                self.fields[name] = forms.CharField(label=label, max_length=100, required=False)
                self.fields[name].widget.attrs["data-source"] = source
                self.extra_names.append(name)

    def clean_unit(self):
        return self.clean_unit_code("unit")

    def lead_data(self):
        data = {k: v for k, v in self.cleaned_data.items() if k not in ("source", "unit", *self.extra_names)}
        extras = {name: self.cleaned_data[name] for name, _label in EXTRA_FIELDS.get(self.cleaned_data["source"], ())
                  if self.cleaned_data.get(name)}
        return data, extras


class VerifyForm(forms.Form):
    note = forms.CharField(label=_("核实情况"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DisposeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("处置结果"), choices=LeadOutcome.choices)
    note = forms.CharField(label=_("处置说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    handed_to = forms.CharField(label=_("转交地区/单位"), max_length=100, required=False)
    category = forms.ChoiceField(label=_("管控类别"), required=False, choices=[("", "—")] + Category.choices,
                                 help_text=_("落实管控时填写"))
    anchor_date = forms.DateField(label=_("起算日期"), required=False, widget=DATE,
                                  help_text=_("不填按末次暴露、离开、抵达日期"))
    arrival_date = forms.DateField(label=_("抵达日期"), required=False, widget=DATE)


class LeadImportForm(UnitCodeMixin, forms.Form):
    source = forms.ChoiceField(label=_("名单类型"), choices=[(LeadSource.PUSH, LeadSource.PUSH.label),
                                                          (LeadSource.ASSIST, LeadSource.ASSIST.label)])
    unit = forms.CharField(label=_("接收单位编码"), max_length=32)
    reference = forms.CharField(label=_("文号/批次"), max_length=100, required=False)
    file = forms.FileField(label=_("名单文件"), validators=[FileExtensionValidator(["xlsx", "xls", "csv"])],
                           help_text=_("列：姓名、证件类型、身份证号/证件号码、联系电话、现住址、来自地区、离开日期、抵达日期、末次暴露日期、线索内容、建议管控类别"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_unit(self):
        return self.clean_unit_code("unit")


SYMPTOMS = [("fever", _("发热")), ("cough", _("咳嗽")), ("dry_cough", _("干咳")), ("sore_throat", _("咽痛")),
            ("fatigue", _("乏力")), ("chest_tightness", _("胸闷")), ("taste_smell", _("嗅觉味觉减退")),
            ("diarrhea", _("腹泻"))]


class DeclareForm(forms.Form):
    """The public self-declaration (主动申报)."""

    name = forms.CharField(label=_("姓名"), max_length=50)
    id_type = forms.ChoiceField(label=_("证件类型"), choices=IDType.choices, initial=IDType.RESIDENT)
    id_number = forms.CharField(label=_("证件号码"), max_length=40)
    phone = forms.CharField(label=_("联系电话"), max_length=20)
    address = forms.CharField(label=_("现住址"), max_length=200, help_text=_("本村/社区的详细住址，如：东门村一组5号"))
    origin = forms.CharField(label=_("从哪里来"), max_length=100, help_text=_("省市县，如：湖北省武汉市江夏区"))
    route = forms.CharField(label=_("途经地/行程"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    departed_on = forms.DateField(label=_("离开日期"), widget=DATE)
    arrived_on = forms.DateField(label=_("抵达日期"), widget=DATE)
    temperature = forms.CharField(label=_("体温（℃）"), max_length=6, required=False)
    symptoms = forms.MultipleChoiceField(label=_("有无以下症状"), required=False, choices=SYMPTOMS,
                                         widget=forms.CheckboxSelectMultiple)
