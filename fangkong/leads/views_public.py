"""Self-declaration (主动申报, 001:237 4.): the public page a unit's QR code opens. No login;
CSRF protected; rate-limited per client address and unit. It creates a lead in the unit of
the declared address and shows the person what applies to them: the category their origin
falls in on the day they left, and the plan of the regimen in force for that category."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_protect

from fangkong.areas.services import classify_origin
from fangkong.lib.ratelimit import over_limit
from fangkong.orgs.models import Unit

from .forms import SYMPTOMS, DeclareForm
from .models import LeadSource
from .services.intake import create_lead

RATE_LIMIT = getattr(settings, "FANGKONG_DECLARE_RATE_LIMIT", 5)
RATE_WINDOW_SECONDS = getattr(settings, "FANGKONG_DECLARE_RATE_WINDOW", 600)


def _allowed(request, unit):
    """Count this submission; False once the client has sent RATE_LIMIT in the window."""
    key = f"declare:{request.META.get('REMOTE_ADDR', '')}:{unit.pk}"
    return not over_limit(key, RATE_LIMIT, RATE_WINDOW_SECONDS)


def plan_preview(category, unit, departed_on, arrived_on):
    """The phases and tests of the regimen in force for `category`, or None when none applies."""
    if not category:
        return None
    from fangkong.control.regimens import compute_plan
    from fangkong.control.regimens.selection import regimen_in_force

    anchor_day = departed_on or arrived_on
    regimen = regimen_in_force(anchor_day, category, unit)
    if regimen is None:
        return None
    rule = regimen.rules[category]
    anchor = {"arrival": arrived_on}.get(rule.get("anchor"), departed_on) or arrived_on
    arrival = arrived_on if arrived_on and arrived_on >= anchor else None
    try:
        plan = compute_plan(rule, anchor, arrival)
    except (ValidationError, ValueError, KeyError):
        return None
    if not plan.phases and not plan.tests:
        return None
    return {
        "regimen": regimen, "release_on": plan.release_on,
        "phases": [{"label": measure_label(p.measure), "measure": p.measure, "first_day": p.first_day,
                    "last_day": p.last_day} for p in plan.phases],
        "tests": [{"date": t.date, "label": t.label, "co_residents": t.who == "co_residents"} for t in plan.tests],
    }


@csrf_protect
def declare(request, code):
    unit = get_object_or_404(Unit.objects.filter(is_active=True), code=code)
    form = DeclareForm(request.POST or None)
    if request.method == "POST":
        if not _allowed(request, unit):
            return render(request, "leads/declare_limited.html", {"unit": unit}, status=429)
        if form.is_valid():
            data = dict(form.cleaned_data)
            symptoms = data.pop("symptoms")
            labels = dict(SYMPTOMS)
            data["symptoms"] = [str(labels[s]) for s in symptoms]
            now = timezone.now()
            try:
                lead = create_lead(LeadSource.SELF_DECLARATION, unit, data, now)
            except ValidationError as error:
                for name, texts in error.message_dict.items():
                    form.add_error(name if name in form.fields else None, texts)
            else:
                category = classify_origin(lead.origin_division_code, lead.departed_on or lead.arrived_on)
                if category and not lead.category:
                    type(lead).objects.filter(pk=lead.pk).update(category=category)
                context = {
                    "unit": unit, "lead": lead, "category": category,
                    "category_label": _category_label(category),
                    "preview": plan_preview(category, lead.unit, lead.departed_on, lead.arrived_on),
                    "today": timezone.localdate(now),
                }
                return render(request, "leads/declare_done.html", context)
    return render(request, "leads/declare_form.html", {"unit": unit, "form": form})


def _category_label(category):
    from fangkong.control.models import Category

    return Category(category).label if category in Category.values else ""


def measure_label(measure):
    from fangkong.control.models import Measure

    return Measure(measure).label if measure in Measure.values else measure


