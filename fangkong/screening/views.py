"""Pages for grid workers and their leaders: campaigns with their coverage, the tree drilled
down to the households of a grid, and the visit form. Every record goes through
`restrict(request.user)`: one outside the jurisdiction is 404, as if it did not exist."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from fangkong.orgs.models import Unit
from fangkong.people.models import Household

from .forms import MemberAnswerForm, VisitForm
from .models import Campaign, HouseholdStatus
from .services.campaigns import in_scope
from .services.coverage import campaign_totals, coverage, coverage_root
from .services.visits import households_in, record_visit

PAGE_SIZE = 50


def _campaign(request, pk):
    queryset = Campaign.objects.restrict(request.user).select_related("owner_unit").prefetch_related("units")
    return get_object_or_404(queryset, pk=pk)


def _unit(request, campaign, unit_pk):
    """The unit asked for (404 outside the jurisdiction), or where the user's view starts."""
    if unit_pk is not None:
        return get_object_or_404(Unit.objects.restrict(request.user), pk=unit_pk)
    unit = coverage_root(campaign, request.user)
    if unit is None:
        raise Http404
    return unit


def _trail(request, unit):
    """The unit's ancestors the user may open, then the unit: the way back up the tree."""
    above = [unit.path[:end] for end in range(unit.steplen, len(unit.path), unit.steplen)]
    return [*Unit.objects.restrict(request.user).filter(path__in=above).order_by("path"), unit]


@login_required
@permission_required("screening.view_campaign", raise_exception=True)
def campaign_list(request):
    campaigns = Campaign.objects.restrict(request.user).select_related("owner_unit").prefetch_related("units")
    page = Paginator(campaigns, PAGE_SIZE).get_page(request.GET.get("page"))
    totals = campaign_totals(page.object_list, request.user)
    rows = [(campaign, totals[campaign.pk]) for campaign in page.object_list]
    return render(request, "screening/campaign_list.html", {"page": page, "rows": rows})


@login_required
@permission_required("screening.view_campaign", raise_exception=True)
def campaign_coverage(request, pk, unit_pk=None):
    campaign = _campaign(request, pk)
    unit = _unit(request, campaign, unit_pk)
    context = {"campaign": campaign, "coverage": coverage(campaign, unit), "trail": _trail(request, unit)}
    return render(request, "screening/coverage.html", context)


@login_required
@permission_required("screening.view_visit", raise_exception=True)
def household_list(request, pk, unit_pk):
    campaign = _campaign(request, pk)
    unit = _unit(request, campaign, unit_pk)
    households = households_in(campaign, unit).select_related("unit", "head").annotate(member_count=Count("members"))
    status = request.GET.get("status")
    if status in HouseholdStatus.values:
        households = households.filter(status=status)
    context = {
        "campaign": campaign,
        "unit": unit,
        "trail": _trail(request, unit),
        "total": coverage(campaign, unit).total,
        "status": status,
        "statuses": HouseholdStatus.choices,
        "page": Paginator(households.order_by("unit_path", "number"), PAGE_SIZE).get_page(request.GET.get("page")),
    }
    return render(request, "screening/household_list.html", context)


@login_required
@permission_required("screening.add_visit", raise_exception=True)
def visit_create(request, pk, household_pk):
    campaign = _campaign(request, pk)
    household = get_object_or_404(Household.objects.restrict(request.user).select_related("unit"), pk=household_pk)
    if not in_scope(campaign, household):
        raise Http404
    data = request.POST if request.method == "POST" else None
    form = VisitForm(data)
    members = [
        MemberAnswerForm(data, person=person, lookback_days=campaign.lookback_days)
        for person in household.members.order_by("pk")
    ]
    if data is not None and all([form.is_valid(), *[member.is_valid() for member in members]]):
        answers = [answer for answer in (member.answer() for member in members) if answer]
        try:
            visit = record_visit(campaign=campaign, household=household, user=request.user, answers=answers,
                                 **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            _report(request, visit)
            return redirect("screening:household_list", pk=campaign.pk, unit_pk=household.unit_id)
    context = {
        "campaign": campaign,
        "household": household,
        "form": form,
        "members": members,
        "visits": household.screening_visits.filter(campaign=campaign).select_related("visited_by"),
    }
    return render(request, "screening/visit_form.html", context)


def _report(request, visit):
    messages.success(request, _("已登记“%(household)s”的走访。") % {"household": visit.household.number})
    for flag in visit.flags.select_related("person"):
        messages.warning(
            request, _("%(name)s 需跟进排查：%(reasons)s") % {"name": flag.person.name, "reasons": flag.reason_text()}
        )
