"""Pages of coverage (应检尽检): a round's sampled of target by unit down to the grids, the people
not yet sampled (for door-knocking), exemptions, key-group members with who is overdue for their
regular test, and the frequency rules. Units come from `Unit.objects.restrict(user)`, rounds
from `rounds_for(user)`, records from their `restrict`: outside the jurisdiction is 404."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.lib.dates import cn_date
from fangkong.lib.uploads import saved_upload
from fangkong.orgs.jurisdiction import ancestor_paths, jurisdiction_paths
from fangkong.orgs.models import Unit
from fangkong.web.views import XLSX, paginate, render_list

from .forms_coverage import EndMemberForm, ExemptionForm, MemberForm, MemberImportForm
from .models import Exemption, FrequencyRule, GroupMember
from .services import coverage, frequency
from .services.rounds import rounds_for


def _xlsx(content, name):
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
    return response


def _unit(request, default=None):
    """The unit named by ?unit=CODE within the user's jurisdiction (404 outside), else `default`,
    else the first root of the jurisdiction."""
    units = Unit.objects.restrict(request.user)
    code = request.GET.get("unit")
    if code:
        return get_object_or_404(units, code=code)
    if default is not None:
        return default
    paths = jurisdiction_paths(request.user)
    root = units.filter(depth=1).first() if paths is None else units.filter(path__in=paths).first()
    if root is None:
        raise Http404
    return root


def _breadcrumb(request, unit):
    """The units above `unit` that the user may open."""
    above = ancestor_paths(unit.path)[:-1]
    return list(Unit.objects.restrict(request.user).filter(path__in=above).order_by("path"))


def _day(request):
    try:
        return datetime.date.fromisoformat(request.GET.get("date") or "")
    except ValueError:
        return timezone.localdate()


@login_required
@permission_required("testing.view_testinground", raise_exception=True)
def index(request):
    rounds = rounds_for(request.user).select_related("owner_unit").order_by("-starts_on", "-id")[:50]
    return render(request, "testing/coverage_index.html", {"rounds": rounds})


def _round(request, pk):
    return get_object_or_404(rounds_for(request.user).select_related("owner_unit"), pk=pk)


@login_required
@permission_required("testing.view_sample", raise_exception=True)
def round_page(request, pk):
    testing_round = _round(request, pk)
    starts = coverage.round_units(testing_round, request.user)
    unit = _unit(request, starts[0] if starts else None)
    total, rows = coverage.drill_down(testing_round, unit)
    return render(request, "testing/coverage_round.html", {
        "round": testing_round, "unit": unit, "total": total, "rows": rows,
        "ancestors": _breadcrumb(request, unit), "now": timezone.now(),
    })


@login_required
@permission_required("testing.view_sample", raise_exception=True)
def missing_page(request, pk):
    testing_round = _round(request, pk)
    starts = coverage.round_units(testing_round, request.user)
    unit = _unit(request, starts[0] if starts else None)
    if request.GET.get("format") == "xlsx":
        content = coverage.not_sampled_xlsx(testing_round, unit, request.user)
        return _xlsx(content, f"{unit.code}-not-sampled.xlsx")
    page = paginate(request, coverage.not_sampled(testing_round, unit))
    lines = list(coverage.person_lines(page.object_list, request.user))
    exemptions = list(coverage.exempt_in_round(testing_round, unit)[:500])
    exempt_lines = zip(exemptions, coverage.person_lines([e.person for e in exemptions], request.user), strict=True)
    return render_list(request, "testing/coverage_missing.html", "testing/coverage_missing_results.html", {
        "round": testing_round, "unit": unit, "page": page, "lines": lines, "exempt_lines": list(exempt_lines),
    })


# ---------------------------------------------------------------------------------------------
# Exemptions


@login_required
@permission_required("testing.view_exemption", raise_exception=True)
def exemption_list(request):
    user = request.user
    rounds = rounds_for(user).order_by("-starts_on", "-id")
    form = None
    if user.has_perm("testing.add_exemption"):
        form = ExemptionForm(request.POST or None, user=user, rounds=rounds)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                coverage.create_exemption(data["person"], data["reason"], user, note=data["note"],
                                          round=data["round"], starts_on=data["starts_on"], ends_on=data["ends_on"])
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("已登记%(name)s免检。") % {"name": data["person"].name})
                return redirect("testing:exemptions")
    elif request.method == "POST":
        raise Http404
    exemptions = (Exemption.objects.restrict(user).select_related("person__unit", "round", "created_by")
                  .order_by("-starts_on", "-id"))
    page = paginate(request, exemptions)
    status = 400 if request.method == "POST" else 200
    return render(request, "testing/exemption_list.html", {"page": page, "form": form}, status=status)


@login_required
@require_POST
@permission_required("testing.delete_exemption", raise_exception=True)
def exemption_delete(request, pk):
    exemption = get_object_or_404(Exemption.objects.restrict(request.user).select_related("person"), pk=pk)
    coverage.remove_exemption(exemption, request.user)
    messages.success(request, _("已撤销%(name)s的免检登记。") % {"name": exemption.person.name})
    return redirect("testing:exemptions")


# ---------------------------------------------------------------------------------------------
# Key groups


@login_required
@permission_required("testing.view_groupmember", raise_exception=True)
def group_list(request):
    user = request.user
    form = import_form = None
    if user.has_perm("testing.add_groupmember"):
        form = MemberForm(request.POST or None, user=user)
        import_form = MemberImportForm(user=user)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                frequency.add_member(data["person"], data["group"], data["unit"], data["since"], user,
                                     until=data["until"], note=data["note"])
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("已将%(name)s加入重点人群。") % {"name": data["person"].name})
                return redirect("testing:groups")
    elif request.method == "POST":
        raise Http404
    members = GroupMember.objects.restrict(user).select_related("person", "unit").order_by("group", "unit_path", "id")
    group = request.GET.get("group")
    if group:
        members = members.filter(group=group)
    status = 400 if request.method == "POST" else 200
    return render(request, "testing/group_list.html", {
        "page": paginate(request, members), "form": form, "import_form": import_form,
        "groups": frequency.known_groups(), "group": group, "today": timezone.localdate(),
    }, status=status)


@login_required
@require_POST
@permission_required("testing.change_groupmember", raise_exception=True)
def group_end(request, pk):
    member = get_object_or_404(GroupMember.objects.restrict(request.user).select_related("person"), pk=pk)
    form = EndMemberForm(request.POST)
    if form.is_valid():
        try:
            frequency.end_member(member, form.cleaned_data["until"], request.user)
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        else:
            messages.success(request, _("%(name)s的重点人群登记截至%(date)s。")
                             % {"name": member.person.name, "date": cn_date(member.until)})
    else:
        messages.error(request, _("请填写截止日期"))
    return redirect("testing:groups")


@login_required
@require_POST
@permission_required("testing.add_groupmember", raise_exception=True)
def group_import(request):
    form = MemberImportForm(request.POST, request.FILES, user=request.user)
    errors = []
    counts = None
    if form.is_valid():
        with saved_upload(form.cleaned_data["file"]) as path:
            try:
                counts = frequency.import_members(path, form.cleaned_data["unit"], request.user)
            except frequency.MemberRowsError as error:
                errors = error.errors
    status = 200 if counts else 400
    return render(request, "testing/group_import.html", {"form": form, "errors": errors, "counts": counts},
                  status=status)


@login_required
@permission_required("testing.view_groupmember", raise_exception=True)
def overdue_page(request):
    user = request.user
    unit = _unit(request)
    day = _day(request)
    members = GroupMember.objects.restrict(user).filter(unit_path__startswith=unit.path)
    statuses = frequency.overdue(members, day, include_due_today=True)
    if request.GET.get("format") == "xlsx":
        title = _("%(unit)s重点人群核酸检测逾期及今日应检名单（%(date)s）") % {"unit": unit.name, "date": cn_date(day)}
        return _xlsx(frequency.overdue_xlsx(statuses, user, title), f"{unit.code}-overdue.xlsx")
    sees = user.sees_identity()
    return render(request, "testing/group_overdue.html", {
        "unit": unit, "day": day, "ancestors": _breadcrumb(request, unit),
        "overdue": [s for s in statuses if s.days_overdue > 0], "due_today": [s for s in statuses if s.days_overdue == 0],
        "sees": sees, "children": Unit.objects.get_children(unit).order_by("path") if not unit.is_leaf() else [],
    })


@login_required
@permission_required("testing.view_frequencyrule", raise_exception=True)
def frequency_rules(request):
    rules = FrequencyRule.objects.select_related("unit").order_by("code", "-version")
    in_force = set(FrequencyRule.objects.in_force(timezone.localdate()).values_list("pk", flat=True))
    return render(request, "testing/frequency_rules.html", {"rules": rules, "in_force": in_force})
