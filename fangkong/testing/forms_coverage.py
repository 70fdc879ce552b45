"""Forms of coverage: exemptions, key-group members and their import."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from fangkong.lib.idnumbers import normalise
from fangkong.orgs.models import Unit
from fangkong.people.models import Person, with_id_number

from .models import ExemptionReason, TestingRound
from .services.frequency import known_groups


def _date(label, required=True):
    return forms.DateField(label=label, required=required, widget=forms.DateInput(attrs={"type": "date"}))


class PersonByIdField(forms.CharField):
    """A person typed by ID number, found among `persons`."""

    def __init__(self, *args, persons=None, **kwargs):
        self.persons = persons
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = normalise(super().clean(value))
        person = self.persons.filter(with_id_number(value)).order_by("is_provisional", "pk").first() if value else None
        if person is None:
            raise ValidationError(_("证件号码“%(number)s”没有登记或不在您的辖区内") % {"number": value})
        return person


class UnitCodeField(forms.CharField):
    def __init__(self, *args, units=None, **kwargs):
        self.units = units
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value).strip()
        unit = self.units.filter(code=value).first()
        if unit is None:
            raise ValidationError(_("单位编码“%(code)s”不存在或不在您的辖区内") % {"code": value})
        return unit


class ExemptionForm(forms.Form):
    person = PersonByIdField(label=_("证件号码"), max_length=40)
    reason = forms.ChoiceField(label=_("免检原因"), choices=ExemptionReason.choices)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)
    round = forms.ModelChoiceField(queryset=TestingRound.objects.none(), label=_("检测轮次"), required=False,
                                   empty_label=_("不限轮次（按日期）"))
    starts_on = _date(_("起始日期"), required=False)
    ends_on = _date(_("截止日期"), required=False)

    def __init__(self, *args, user, rounds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].persons = Person.objects.restrict(user)
        self.fields["round"].queryset = rounds


class MemberForm(forms.Form):
    person = PersonByIdField(label=_("证件号码"), max_length=40)
    group = forms.ChoiceField(label=_("人群"))
    unit = UnitCodeField(label=_("所在单位编码"), max_length=32)
    since = _date(_("起始日期"))
    until = _date(_("截止日期"), required=False)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # A key group's workers often live outside the unit: any registered person may be added.
        self.fields["person"].persons = Person.objects.all()
        self.fields["unit"].units = Unit.objects.restrict(user)
        self.fields["group"].choices = list(known_groups().items())


class MemberImportForm(forms.Form):
    unit = UnitCodeField(label=_("所在单位编码"), max_length=32)
    file = forms.FileField(label=_("名单文件"), help_text=_("列：姓名、身份证号、人群、起始日期（可选：截止日期、说明）；.xlsx、.xls 或 .csv"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].units = Unit.objects.restrict(user)


class EndMemberForm(forms.Form):
    until = _date(_("截止日期"))
