"""Forms of the control-case pages (一人一档)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from fangkong.lib.phones import PhoneError, normalise_phone
from fangkong.orgs.models import Unit, UnitType
from fangkong.people.models import Person
from fangkong.people.services.search import person_query
from fangkong.web.forms import UnitFilterForm

from .models import CaseStatus, Category, Measure, PlaceKind, RegimenVersion, TestResult
from .services.cases import CLOSING_STATUSES

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def search_cases(queryset, text):
    """Cases by the person's name, pinyin initials or the tail of the ID or phone number."""
    query = person_query(text)
    if query is None:
        return queryset
    return queryset.filter(person__in=Person.objects.filter(query).values("pk"))


class CaseFilterForm(UnitFilterForm):
    status = forms.ChoiceField(
        label=_("状态"), required=False,
        choices=[("", _("全部状态")), ("active", _("在管（待落实和管控中）")), *CaseStatus.choices],
    )
    category = forms.ChoiceField(label=_("管控类别"), required=False, choices=[("", _("全部类别")), *Category.choices])
    measure = forms.ChoiceField(label=_("当前措施"), required=False, choices=[("", _("全部措施")), *Measure.choices])
    release_from = forms.DateField(label=_("解除日期自"), required=False, widget=DATE)
    release_to = forms.DateField(label=_("至"), required=False, widget=DATE)

    def search(self, queryset, text):
        return search_cases(queryset, text)

    def filter(self, queryset):
        queryset = super().filter(queryset)
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        if data["status"] == "active":
            queryset = queryset.active()
        elif data["status"]:
            queryset = queryset.filter(status=data["status"])
        if data["category"]:
            queryset = queryset.filter(category=data["category"])
        if data["measure"]:
            queryset = queryset.filter(current_measure=data["measure"])
        if data["release_from"]:
            queryset = queryset.filter(release_on__gte=data["release_from"])
        if data["release_to"]:
            queryset = queryset.filter(release_on__lte=data["release_to"])
        return queryset


class RegimenChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, regimen):
        return f"{regimen.name}（{regimen.code}）"


class CaseOpenForm(forms.Form):
    person = forms.ModelChoiceField(label=_("人员"), queryset=Person.objects.none(), widget=forms.HiddenInput,
                                    error_messages={"required": _("请先查找并选择人员。"),
                                                    "invalid_choice": _("该人员不存在或不在您的辖区内。")})
    category = forms.ChoiceField(label=_("管控类别"), choices=Category.choices)
    anchor_date = forms.DateField(label=_("起算日期"), widget=DATE,
                                  help_text=_("末次暴露、离开风险地区、抵达、出院或解除隔离的日期（按方案规定）"))
    arrival_date = forms.DateField(label=_("抵达日期"), required=False, widget=DATE,
                                   help_text=_("不填按起算日期次日计"))
    regimen = RegimenChoiceField(label=_("管控方案"), queryset=RegimenVersion.objects.all(), required=False,
                                 empty_label=_("按起算日期自动选用生效方案"))
    place = forms.ChoiceField(label=_("管控地点"), choices=PlaceKind.choices, initial=PlaceKind.HOME)
    site = forms.ModelChoiceField(label=_("隔离点"), queryset=Unit.objects.none(), required=False)
    note = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["person"].queryset = Person.objects.restrict(user)
        self.fields["site"].queryset = Unit.objects.restrict(user).filter(type=UnitType.ISOLATION_SITE)

    def clean(self):
        data = super().clean()
        anchor, arrival = data.get("anchor_date"), data.get("arrival_date")
        if anchor and arrival and arrival < anchor:
            self.add_error("arrival_date", _("抵达日期不能早于起算日期。"))
        if data.get("place") == PlaceKind.SITE and not data.get("site"):
            self.add_error("site", _("集中隔离须选择隔离点。"))
        return data

    def add_service_errors(self, error):
        """Put a service's ValidationError on the fields it names, the rest at the top."""
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
        else:
            for message in error.messages:
                self.add_error(None, message)


class TeamMemberForm(forms.Form):
    role = forms.CharField(label=_("职责"), max_length=30, required=False)
    name = forms.CharField(label=_("姓名"), max_length=50, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        if not phone:
            return ""
        try:
            return normalise_phone(phone)
        except PhoneError as error:
            raise forms.ValidationError(str(error)) from None

    def clean(self):
        data = super().clean()
        if data.get("phone") and not (data.get("name") or "").strip():
            self.add_error("name", _("填写了电话须填写姓名。"))
        return data


TeamFormSet = forms.formset_factory(TeamMemberForm, extra=0, max_num=10)


def team_initial(roles, minimum=3):
    """Rows for the team form: one per role of the regimen's team, at least `minimum`."""
    rows = [{"role": role} for role in roles]
    return rows + [{} for _ in range(max(0, minimum - len(rows)))]


class PhaseChangeForm(forms.Form):
    phase = forms.TypedChoiceField(label=_("管控阶段"), coerce=int)
    new_last_day = forms.DateField(label=_("新结束日期"), widget=DATE)
    reason = forms.CharField(label=_("调整原因"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phase"].choices = [
            (p.index, f"{p.get_measure_display()}（{p.first_day:%m-%d}—{p.last_day:%m-%d}）")
            for p in case.phases.order_by("index")
        ]


class ReleaseForm(forms.Form):
    note = forms.CharField(label=_("解除说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CloseForm(forms.Form):
    status = forms.ChoiceField(label=_("结案方式"),
                               choices=[(s.value, s.label) for s in CaseStatus if s in CLOSING_STATUSES])
    note = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 2}))


class TransferForm(forms.Form):
    to_unit = forms.CharField(label=_("接收单位编码"), required=False, max_length=32,
                              help_text=_("本系统内的单位；接收单位须确认接收"))
    to_area = forms.CharField(label=_("外地接收地区"), required=False, max_length=100,
                              help_text=_("移交本系统以外的地区时填写；交接后由本单位确认"))
    reason = forms.CharField(label=_("移交原因"), widget=forms.Textarea(attrs={"rows": 2}))

    def clean_to_unit(self):
        code = self.cleaned_data["to_unit"].strip()
        if not code:
            return None
        unit = Unit.objects.filter(code=code).first()
        if unit is None:
            raise forms.ValidationError(_("单位编码“%(code)s”不存在。"), params={"code": code})
        return unit

    def clean(self):
        data = super().clean()
        if not self.errors and (data.get("to_unit") is None) == (not (data.get("to_area") or "").strip()):
            raise forms.ValidationError(_("请填写接收单位编码，或填写外地接收地区（二选一）。"))
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), widget=forms.Textarea(attrs={"rows": 2}))


class TestRecordForm(forms.Form):
    result = forms.ChoiceField(label=_("检测结果"), choices=TestResult.choices)


class RegimenChangeForm(forms.Form):
    regimen = RegimenChoiceField(label=_("新方案"), queryset=RegimenVersion.objects.all(),
                                 empty_label=_("请选择方案"))
