"""The visit form a grid worker fills in at the door: the outcome, and for each member of
the household whether they are present and their answers."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import MemberAnswer, Outcome, Presence, Symptom


class VisitForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("走访结果"), choices=Outcome.choices, widget=forms.RadioSelect,
        error_messages={"required": _("请选择走访结果。")},
    )
    visited_at = forms.DateTimeField(
        label=_("走访时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"required": _("请填写走访时间。"), "invalid": _("走访时间格式不正确。")},
    )
    note = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"visited_at": timezone.localtime().replace(second=0, microsecond=0)})
        super().__init__(*args, **kwargs)

    def add_service_errors(self, error):
        """Put a service's ValidationError on the fields it names, the rest at the top."""
        for field, messages in error.message_dict.items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)


class MemberAnswerForm(forms.ModelForm):
    """One member's part of the visit; left without presence, the member is not recorded."""

    presence = forms.ChoiceField(label=_("在家情况"), choices=Presence.choices, widget=forms.RadioSelect, required=False)
    symptoms = forms.MultipleChoiceField(
        label=_("症状"), choices=Symptom.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = MemberAnswer
        fields = ["presence", "places_visited", "case_contact", "symptoms", "temperature"]
        widgets = {
            "places_visited": forms.TextInput(attrs={"placeholder": _("如：武汉、长沙；未外出不填")}),
            "temperature": forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal", "placeholder": "36.5"}),
        }

    def __init__(self, *args, person, lookback_days, **kwargs):
        kwargs.setdefault("prefix", f"member-{person.pk}")
        super().__init__(*args, **kwargs)
        self.person = person
        self.fields["places_visited"].label = _("近%(days)d天到过的地方") % {"days": lookback_days}

    def clean(self):
        data = super().clean()
        answered = data.get("places_visited") or data.get("case_contact") or data.get("symptoms") or (
            data.get("temperature") is not None
        )
        if not data.get("presence") and answered:
            self.add_error("presence", _("请先选择“%(name)s”的在家情况。") % {"name": self.person.name})
        return data

    def answer(self):
        """The answer as record_visit takes it, or None when the member was left out."""
        data = self.cleaned_data
        if not data.get("presence"):
            return None
        return {
            "person": self.person,
            "presence": data["presence"],
            "places_visited": data["places_visited"],
            "case_contact": data["case_contact"],
            "symptoms": sorted(data["symptoms"]),
            "temperature": data["temperature"],
        }
