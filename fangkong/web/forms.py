from django import forms
from django.core.validators import FileExtensionValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fangkong.orgs.jurisdiction import jurisdiction_paths
from fangkong.orgs.models import Unit
from fangkong.people.models import PopulationType
from fangkong.people.services.search import search_persons

# 重点人群: the flags a vulnerable-group filter can ask for; "any" is any of them.
VULNERABLE_FLAGS = {
    "elderly": "is_elderly",
    "chronic": "has_chronic_illness",
    "pregnant": "is_pregnant",
    "disabled": "is_disabled",
}


def search_households(queryset, text):
    """Households by household number or address."""
    text = text.strip()
    if not text:
        return queryset
    return queryset.filter(Q(number__icontains=text) | Q(address__contains=text))


class UnitFilterForm(forms.Form):
    """A unit code (the unit and everything under it, within the user's jurisdiction) and a
    search box. An unknown code or one outside the jurisdiction finds nothing. Subclasses
    name their search function in `search`."""

    q = forms.CharField(label=_("搜索"), required=False, max_length=60, widget=forms.SearchInput)
    unit = forms.CharField(
        label=_("单位编码"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"placeholder": _("单位编码，含下级"), "inputmode": "text"}),
    )

    def __init__(self, data, *, user):
        super().__init__(data)
        self.user = user

    def clean_unit(self):
        code = self.cleaned_data["unit"].strip()
        if not code:
            return None
        unit = Unit.objects.restrict(self.user).filter(code=code).first()
        if unit is None:
            raise forms.ValidationError(_("单位编码“%(code)s”不存在或不在您的辖区内。"), params={"code": code})
        return unit

    def filter(self, queryset):
        if not self.is_valid():
            return queryset.none()
        unit = self.cleaned_data["unit"]
        if unit is not None:
            queryset = queryset.filter(unit_path__startswith=unit.path)
        return self.search(queryset, self.cleaned_data["q"])


class PersonFilterForm(UnitFilterForm):
    population_type = forms.ChoiceField(
        label=_("人员类别"), required=False, choices=[("", _("全部类别")), *PopulationType.choices]
    )
    vulnerable = forms.ChoiceField(
        label=_("重点人群"),
        required=False,
        choices=[
            ("", _("全部人员")),
            ("any", _("任一重点人群")),
            ("elderly", _("老年人")),
            ("chronic", _("慢性病")),
            ("pregnant", _("孕产妇")),
            ("disabled", _("残疾人")),
        ],
    )
    follow_up = forms.BooleanField(label=_("仅需跟进排查"), required=False)

    search = staticmethod(search_persons)
    field_order = ["q", "unit", "population_type", "vulnerable", "follow_up"]

    def __init__(self, data, *, user):
        super().__init__(data, user=user)
        self.fields["q"].widget.attrs["placeholder"] = _("姓名、拼音首字母（如 zsf）、证件号或手机号后几位")

    def filter(self, queryset):
        queryset = super().filter(queryset)
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        if data["population_type"]:
            queryset = queryset.filter(population_type=data["population_type"])
        if data["vulnerable"] == "any":
            any_flag = Q()
            for flag in VULNERABLE_FLAGS.values():
                any_flag |= Q(**{flag: True})
            queryset = queryset.filter(any_flag)
        elif data["vulnerable"]:
            queryset = queryset.filter(**{VULNERABLE_FLAGS[data["vulnerable"]]: True})
        if data["follow_up"]:
            queryset = queryset.filter(needs_follow_up=True)
        return queryset


class HouseholdFilterForm(UnitFilterForm):
    search = staticmethod(search_households)

    def __init__(self, data, *, user):
        super().__init__(data, user=user)
        self.fields["q"].widget.attrs["placeholder"] = _("户号或住址")


class UnitChoiceField(forms.ModelChoiceField):
    """Units listed as an indented tree (the order is the tree path), the user's own top
    units flush left."""

    top_depth = 1

    def label_from_instance(self, unit):
        return f"{'　' * (unit.depth - self.top_depth)}{unit.name}（{unit.code}）"


class LedgerImportForm(forms.Form):
    file = forms.FileField(
        label=_("台账文件"),
        help_text=_("Excel（.xlsx、.xls）或 CSV 文件，首行为表头"),
        validators=[FileExtensionValidator(["xlsx", "xls", "csv"], message=_("只能导入 .xlsx、.xls 或 .csv 文件。"))],
    )
    unit = UnitChoiceField(
        label=_("导入到"),
        queryset=Unit.objects.none(),
        empty_label=_("请选择单位"),
        help_text=_("台账中的网格须在此单位之下；未写明网格的人员归入此单位（须为村/社区、网格或楼栋）"),
    )
    dry_run = forms.BooleanField(label=_("试导入：只检查，不写入"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.fields["unit"].queryset = Unit.objects.restrict(user).filter(is_active=True)
        paths = jurisdiction_paths(user)
        if paths:
            self.fields["unit"].top_depth = min(len(path) for path in paths) // Unit.steplen
