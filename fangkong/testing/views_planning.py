"""The pool planner (混采规划): a lab's daily capacity and a pool ratio turned into people covered
a day and days to cover a population, and Dorfman's optimal pool size at an estimated positivity.
The population may be taken from a unit of the user's jurisdiction (its registered persons, via
`Person.objects.restrict`); a unit outside the jurisdiction is 404."""

from decimal import Decimal

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from fangkong.orgs.models import Unit
from fangkong.people.models import Person
from fangkong.web.views import is_htmx, render_list

from .services.pooling import MAX_POOL_SIZE, optimal_pool_size, plan_capacity, pool_size_table

# Tubes above 20 dilute a single positive sample too far to be used in practice.
PRACTICAL_MAX_SIZE = 20
CUSTOM = "custom"


class PlanningForm(forms.Form):
    tests_per_day = forms.IntegerField(
        label=_("实验室日检测能力（管/天）"), min_value=1, max_value=100_000_000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "placeholder": _("如 2200")}),
    )
    ratio = forms.ChoiceField(
        label=_("混采比例"),
        choices=[("1", _("1:1（单采）")), ("5", "1:5"), ("10", "1:10"), ("20", "1:20"), (CUSTOM, _("自定义"))],
        initial="10",
    )
    custom_size = forms.IntegerField(
        label=_("自定义混采人数"), required=False, min_value=1, max_value=MAX_POOL_SIZE,
        help_text=_("混采比例选“自定义”时填写"), widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    unit = forms.CharField(
        label=_("从单位带出人口"), required=False, max_length=32,
        widget=forms.TextInput(attrs={"placeholder": _("单位编码，含下级"), "list": "planning-units"}),
    )
    population = forms.IntegerField(
        label=_("需覆盖人口"), required=False, min_value=0, max_value=2_000_000_000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    positivity = forms.DecimalField(
        label=_("估计阳性率（%）"), required=False, min_value=0, max_digits=9, decimal_places=6,
        help_text=_("如 0.1 表示千分之一；用于计算复检占用和最优混采人数"),
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    # The unit whose registered persons the population was last filled from: a new unit refills it,
    # a number typed over it is kept.
    filled_from = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_positivity(self):
        value = self.cleaned_data["positivity"]
        if value is not None and value >= 100:
            raise ValidationError(_("阳性率应小于 100%。"))
        return value

    def clean(self):
        data = super().clean()
        if data.get("ratio") == CUSTOM:
            if data.get("custom_size") is None:
                self.add_error("custom_size", _("选择自定义混采比例时，请填写混采人数。"))
            else:
                data["pool_size"] = data["custom_size"]
        elif data.get("ratio"):
            data["pool_size"] = int(data["ratio"])
        return data


def registered_persons(user, unit):
    """Persons registered in the unit's subtree that the user may see."""
    return Person.objects.restrict(user).filter(unit_path__startswith=unit.path).count()


def _unit_choices(user):
    """The top two levels of the user's jurisdiction, offered as unit codes to pick from."""
    units = Unit.objects.restrict(user)
    top = units.order_by("depth").values_list("depth", flat=True).first()
    if top is None:
        return []
    return list(units.filter(depth__lte=top + 1).order_by("path").only("code", "name")[:200])


def _dorfman(positivity):
    """The optimum, the best tube within practical sizes and the table t(n), n = 2..20."""
    result = {"table": pool_size_table(positivity, range(2, PRACTICAL_MAX_SIZE + 1))}
    try:
        result["optimum"] = optimal_pool_size(positivity)
    except ValidationError as error:
        result["optimum_error"] = "；".join(error.messages)
    result["practical"] = optimal_pool_size(positivity, max_size=PRACTICAL_MAX_SIZE)
    return result


@login_required
@require_GET
@permission_required("testing.view_testinground", raise_exception=True)
def planning(request):
    user = request.user
    data = request.GET.copy()
    unit = None
    prefilled = False
    code = data.get("unit", "").strip()
    if code:
        unit = get_object_or_404(Unit.objects.restrict(user), code=code)
        if not data.get("population", "").strip() or data.get("filled_from") != code:
            data["population"] = str(registered_persons(user, unit))
            data["filled_from"] = code
            prefilled = True
    form = PlanningForm(data or None)
    context = {"form": form, "unit": unit, "prefilled": prefilled and is_htmx(request),
               "units": _unit_choices(user)}
    if form.is_bound and form.is_valid():
        cleaned = form.cleaned_data
        percent = cleaned["positivity"] or Decimal(0)
        context["positivity_percent"] = format(percent.normalize(), "f")
        positivity = float(percent / 100)
        context["plan"] = plan_capacity(cleaned["tests_per_day"], cleaned["pool_size"],
                                        cleaned["population"] or 0, positivity)
        context["has_population"] = cleaned["population"] is not None
        if positivity > 0:
            context["dorfman"] = _dorfman(positivity)
    return render_list(request, "testing/planning.html", "testing/planning_results.html", context)
