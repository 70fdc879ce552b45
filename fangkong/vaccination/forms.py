from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import DeferralReason
from .services.deferrals import find_person


class DoseImportForm(forms.Form):
    file = forms.FileField(
        label=_("接种名单"),
        help_text=_("Excel（.xlsx/.xls）或CSV；列：姓名、身份证号、疫苗名称（或生产企业）、剂次（1、第2剂、第三针、加强针）、"
                    "接种日期、接种单位、疫苗批号"),
        validators=[FileExtensionValidator(["xlsx", "xls", "csv"])],
    )
    replace = forms.BooleanField(label=_("覆盖已有记录"), required=False,
                                 help_text=_("同一人同一剂次已登记而疫苗或日期不同时，以名单为准更正"))
    dry_run = forms.BooleanField(label=_("只检查，不导入"), required=False)


class DeferralForm(forms.Form):
    id_number = forms.CharField(label=_("证件号码"), max_length=40)
    reason = forms.ChoiceField(label=_("原因"), choices=DeferralReason.choices)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)
    starts_on = forms.DateField(label=_("起始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                              help_text=_("不填表示暂缓至另行通知"))

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["starts_on"].initial = timezone.localdate()

    def clean_id_number(self):
        try:
            self.person = find_person(self.user, self.cleaned_data["id_number"])
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from None
        return self.cleaned_data["id_number"]

    def clean(self):
        data = super().clean()
        if data.get("ends_on") and data.get("starts_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("截止日期不能早于起始日期"))
        return data
