from django import forms
from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from fangkong.control.models import ControlCase

from .models import Room, Stay


class AddRoomsForm(forms.Form):
    numbers = forms.CharField(label=_("房间号"), max_length=500, help_text=_("如 101-130, 201-210, A8"))
    beds = forms.IntegerField(label=_("每间床位"), min_value=1, max_value=20, initial=1)


def free_rooms(site):
    return (
        Room.objects.filter(site=site, is_active=True)
        .annotate(taken=Count("stays", filter=Q(stays__checked_out_at__isnull=True)))
        .filter(taken__lt=F("beds")).order_by("number")
    )


def cases_to_place(user, query=""):
    """Active control cases of the user's jurisdiction not yet in a site."""
    cases = (
        ControlCase.objects.restrict(user).active()
        .exclude(Exists(Stay.objects.filter(case=OuterRef("pk"), checked_out_at__isnull=True)))
        .select_related("person").order_by("person__name", "pk")
    )
    if query:
        cases = cases.filter(Q(person__name__contains=query) | Q(person__id_number__endswith=query))
    return cases


class CaseChoiceField(forms.ModelChoiceField):
    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def label_from_instance(self, case):
        return f"{case.person.name} {case.person.id_number_for(self.user)} · {case.get_category_display()}"


class CheckInForm(forms.Form):
    def __init__(self, *args, site, user, query="", **kwargs):
        super().__init__(*args, **kwargs)
        # Unbound (the page): at most 200 choices, narrowed by the search; bound: any of them.
        cases = cases_to_place(user) if self.is_bound else cases_to_place(user, query)[:200]
        self.fields["case"] = CaseChoiceField(
            queryset=cases,
            label=_("管控对象"), user=user, empty_label=_("请选择"))
        self.fields["room"] = forms.ModelChoiceField(queryset=free_rooms(site), label=_("房间"),
                                                     empty_label=_("请选择"))
