"""Line-list pages (/control/lists/): the dashboard of a unit (the user's jurisdiction by
default) with the count of each list and a row per child unit to drill down; each list
paginated; the control ledger and a case's control sheet as .xlsx. Every case goes through
`restrict(request.user)`: a unit or case outside the jurisdiction is 404."""

import tempfile

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.orgs.jurisdiction import ancestor_paths
from fangkong.orgs.models import Unit

from .models import Category, ControlCase, Measure
from .services import linelists
from .services.ledgers import write_control_sheet, write_ledger

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
VIEW = "control.view_controlcase"


class Filters:
    """The unit (?unit=pk, 404 outside the jurisdiction), measure and category of a request."""

    def __init__(self, request):
        self.unit = None
        unit_pk = request.GET.get("unit", "").strip()
        if unit_pk:
            if not unit_pk.isdigit():
                raise Http404
            self.unit = get_object_or_404(Unit.objects.restrict(request.user), pk=unit_pk)
        measure = request.GET.get("measure", "")
        category = request.GET.get("category", "")
        self.measure = measure if measure in Measure.values else ""
        self.category = category if category in Category.values else ""

    @property
    def kwargs(self):
        return {"unit": self.unit, "measure": self.measure or None, "category": self.category or None}


def trail(user, unit):
    """The unit's ancestors the user may open, then the unit."""
    if unit is None:
        return []
    above = ancestor_paths(unit.path)[:-1]
    return [*Unit.objects.restrict(user).filter(path__in=above).order_by("path"), unit]


def _context(request, filters):
    return {
        "filters": filters,
        "trail": trail(request.user, filters.unit),
        "measures": Measure.choices,
        "categories": Category.choices,
        "lists": linelists.LISTS,
    }


@login_required
@permission_required(VIEW, raise_exception=True)
def dashboard(request):
    filters = Filters(request)
    now = timezone.now()
    if filters.unit is not None:
        rollup = linelists.counts_by_child(filters.unit, request.user, now, filters.measure, filters.category)
    else:
        rollup = linelists.jurisdiction_counts(request.user, now, filters.measure, filters.category)
    context = _context(request, filters)
    labels = {"measure": dict(Measure.choices), "category": dict(Category.choices)}
    context.update(
        rollup=rollup,
        now=now,
        breakdown=[
            (measure, labels["measure"].get(measure, _("未开始")), category, labels["category"].get(category, category), n)
            for measure, category, n in linelists.counts_by_measure_and_category(request.user, now, filters.unit)
        ],
    )
    return render(request, "control/linelists.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
def linelist(request, code):
    if code not in linelists.LISTS:
        raise Http404
    filters = Filters(request)
    now = timezone.now()
    cases = linelists.CaseList(request.user, code, now, **filters.kwargs)
    number = request.GET.get("page", "1")
    number = int(number) if number.isdigit() and int(number) > 0 else 1
    cases.prefetch((number - 1) * linelists.PAGE_SIZE, number * linelists.PAGE_SIZE)
    page = Paginator(cases, linelists.PAGE_SIZE).get_page(request.GET.get("page"))
    context = _context(request, filters)
    context.update(code=code, title=linelists.LISTS[code], page=page, now=now)
    return render(request, "control/linelist.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
def ledger_export(request):
    """管控台账: the cases of a list (?list=code, active cases) or, without one, every case of
    the jurisdiction whatever its status; with the unit, measure and category filters."""
    filters = Filters(request)
    code = request.GET.get("list", "")
    if code:
        if code not in linelists.LISTS:
            raise Http404
        cases = linelists.CaseList(request.user, code, timezone.now(), **filters.kwargs).queryset()
    else:
        cases = ControlCase.objects.restrict(request.user)
        if filters.unit is not None:
            cases = cases.filter(unit_path__startswith=filters.unit.path)
        if filters.measure:
            cases = cases.filter(current_measure=filters.measure)
        if filters.category:
            cases = cases.filter(category=filters.category)
    out = tempfile.TemporaryFile()
    write_ledger(cases, out, request.user)
    out.seek(0)
    name = _("管控台账") + (f"-{linelists.LISTS[code]}" if code else "") + timezone.localtime().strftime(
        "-%Y%m%d-%H%M.xlsx")
    return FileResponse(out, as_attachment=True, filename=name, content_type=XLSX)


@login_required
@permission_required(VIEW, raise_exception=True)
def control_sheet(request, pk):
    case = get_object_or_404(
        ControlCase.objects.restrict(request.user).select_related("person", "unit", "regimen"), pk=pk
    )
    out = tempfile.TemporaryFile()
    write_control_sheet(case, out, request.user)
    out.seek(0)
    name = f"{case.person.name}-" + _("管控表") + ".xlsx"
    return FileResponse(out, as_attachment=True, filename=name, content_type=XLSX)
