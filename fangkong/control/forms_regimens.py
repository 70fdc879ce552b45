"""Forms of the regimen pages: the preview (category, anchor, arrival), YAML edited in a
textarea, and a YAML file uploaded."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import Category
from .regimens.yaml_io import load_regimen_yaml

MAX_UPLOAD_BYTES = 512 * 1024


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class PreviewForm(forms.Form):
    category = forms.ChoiceField(label=_("人员类别"))
    anchor = forms.DateField(label=_("起算日期"), widget=DateInput(),
                             help_text=_("末次暴露、离开风险地区、入境、出院或解除隔离的日期，按该类别规则的起算依据"))
    arrival = forms.DateField(label=_("抵达日期"), required=False, widget=DateInput(),
                              help_text=_("开始管控（抵达本地）的日期；不填为起算日期的次日"))

    def __init__(self, *args, regimen, **kwargs):
        super().__init__(*args, **kwargs)
        rules = regimen.rules or {}
        self.fields["category"].choices = [(c.value, c.label) for c in Category if c.value in rules]

    def clean(self):
        cleaned = super().clean()
        anchor, arrival = cleaned.get("anchor"), cleaned.get("arrival")
        if anchor and arrival and arrival < anchor:
            self.add_error("arrival", _("抵达日期不能早于起算日期"))
        return cleaned


class RegimenYamlForm(forms.Form):
    text = forms.CharField(
        label=_("方案（YAML）"), strip=False,
        widget=forms.Textarea(attrs={"rows": 32, "cols": 100, "class": "code", "spellcheck": "false"}),
        help_text=_("保存后立即生效。已有管控对象使用的方案不能修改：请改用新的方案编码（code）另存为新版本。"),
    )

    def clean_text(self):
        text = self.cleaned_data["text"]
        self.document = load_regimen_yaml(text)
        return text


class RegimenUploadForm(forms.Form):
    file = forms.FileField(label=_("方案文件（.yaml）"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(_("文件太大（不能超过512KB）"))
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError(_("文件必须是 UTF-8 编码的 YAML 文本")) from None
        self.document = load_regimen_yaml(text)
        return upload
