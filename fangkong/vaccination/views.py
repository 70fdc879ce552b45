"""Pages of vaccination, for a unit chosen with ?unit=CODE (the user's top unit by default) and
a date ?date=YYYY-MM-DD (today by default): coverage by cohort with the child units, the ranking
of the child units, the lists for door-knocking with their export, the import of vaccination
lists and the deferrals. A unit outside the user's jurisdiction is 404."""

import datetime
import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.lib.uploads import saved_upload
from fangkong.orgs.jurisdiction import ancestor_paths, jurisdiction_paths
from fangkong.orgs.models import RESIDENCE_TYPES, Unit

from .forms import DeferralForm, DoseImportForm
from .models import Deferral
from .services.coverage import (
    COHORT_RATES,
    METRICS,
    RANKED,
    child_units,
    coverage_by_path,
    ranking,
    sort_ranking,
    unit_coverage,
)
from .services.deferrals import add_deferral, end_deferral
from .services.importer import DoseImportError, import_doses
from .services.lists import KINDS, deferred_people, export_list, people_list, person_row

VIEW = "vaccination.view_dose"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_SIZE = 50


def _unit(request):
    code = request.GET.get("unit", "").strip()
    if code:
        return get_object_or_404(Unit.objects.restrict(request.user), code=code)
    paths = jurisdiction_paths(request.user)
    tops = Unit.objects.get_root_nodes() if paths is None else Unit.objects.filter(path__in=paths)
    unit = tops.order_by("path").first()
    if unit is None:
        raise Http404(_("没有可查看的单位。"))
    return unit


def _date(request):
    text = request.GET.get("date", "").strip()
    if not text:
        return timezone.localdate()
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise Http404(_("日期格式应为YYYY-MM-DD")) from None


def _breadcrumb(user, unit):
    """The units above `unit` that lie within the user's jurisdiction, from the top down."""
    chain = ancestor_paths(unit.path)[:-1]
    roots = jurisdiction_paths(user)
    if roots is not None:
        chain = [path for path in chain if any(path.startswith(root) for root in roots)]
    return list(Unit.objects.filter(path__in=chain).order_by("path")) if chain else []


def _query(unit, day, **extra):
    return "?" + urlencode({"unit": unit.code, "date": day.isoformat(), **{k: v for k, v in extra.items() if v}})


def _common(request, unit, day):
    return {"unit": unit, "day": day, "breadcrumb": _breadcrumb(request.user, unit), "query": _query(unit, day),
            "kinds": KINDS}


@login_required
@permission_required(VIEW, raise_exception=True)
def overview(request):
    unit, day = _unit(request), _date(request)
    coverage = unit_coverage(unit, day)
    children = child_units(unit)
    by_child = coverage_by_path([child.path for child in children], day)
    rows = [
        {"unit": child, "query": _query(child, day), "population": by_child[child.path].population,
         "values": [(METRICS[key].label, by_child[child.path].metric(key)) for key in ("coverage_rate", *RANKED)]}
        for child in children if by_child[child.path].population
    ]
    context = _common(request, unit, day) | {
        "coverage": coverage, "cohorts": coverage.cohort_rows(), "rate_columns": COHORT_RATES,
        "headline": [(METRICS[key].label, coverage.metric(key)) for key in RANKED],
        "child_columns": [METRICS[key].label for key in ("coverage_rate", *RANKED)], "children": rows,
    }
    return render(request, "vaccination/overview.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
def ranking_page(request):
    unit, day = _unit(request), _date(request)
    metric = request.GET.get("metric") or RANKED[0]
    if metric not in RANKED:
        raise Http404(_("没有这项指标。"))
    rows = sort_ranking(ranking(unit, day), metric)
    table = [
        {"unit": row["unit"], "query": _query(row["unit"], day, metric=metric),
         "cells": [(row["values"][key], row["ranks"][key]) for key in RANKED]}
        for row in rows
    ]
    chart = {
        "metric": str(METRICS[metric].label),
        "names": [row["unit"].name for row in rows],
        "values": [row["values"][metric] for row in rows],
    }
    context = _common(request, unit, day) | {
        "metric": metric, "table": table, "chart": chart, "keep_metric": [("metric", metric)],
        "metrics": [(key, METRICS[key].label, _query(unit, day, metric=key)) for key in RANKED],
    }
    return render(request, "vaccination/ranking.html", context)


def _grid(request, unit):
    """The grid (or village) chosen within `unit`, or None."""
    code = request.GET.get("grid", "").strip()
    if not code:
        return None
    return get_object_or_404(Unit.objects.restrict(request.user).filter(path__startswith=unit.path), code=code)


def _grids(user, unit):
    return Unit.objects.restrict(user).filter(path__startswith=unit.path, type__in=RESIDENCE_TYPES).order_by("path")


def _kind(request):
    kind = request.GET.get("kind") or "not_vaccinated"
    if kind not in KINDS:
        raise Http404(_("没有这种名单。"))
    return kind


@login_required
@permission_required(VIEW, raise_exception=True)
def lists(request):
    unit, day = _unit(request), _date(request)
    kind, grid = _kind(request), _grid(request, unit)
    page = Paginator(people_list(request.user, unit, kind, day, grid), PAGE_SIZE).get_page(request.GET.get("page"))
    deferred = [
        {"deferral": deferral, "person": person_row(deferral.person, request.user, day)}
        for deferral in deferred_people(request.user, unit, day, grid)[:200]
    ]
    context = _common(request, unit, day) | {
        "kind": kind, "grid": grid, "grids": _grids(request.user, unit), "page": page,
        "keep": [("kind", kind)] + ([("grid", grid.code)] if grid else []),
        "rows": [person_row(person, request.user, day) for person in page],
        "deferred": deferred,
        "tabs": [(key, label, _query(unit, day, kind=key, grid=grid.code if grid else "")) for key, label in KINDS.items()],
        "export_query": _query(unit, day, kind=kind, grid=grid.code if grid else ""),
    }
    return render(request, "vaccination/lists.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
def list_export(request):
    unit, day = _unit(request), _date(request)
    kind, grid = _kind(request), _grid(request, unit)
    out = tempfile.TemporaryFile()
    export_list(out, request.user, unit, kind, day, grid)
    out.seek(0)
    name = f"{(grid or unit).name}{KINDS[kind]}{day.strftime('%Y%m%d')}.xlsx"
    return FileResponse(out, as_attachment=True, filename=name, content_type=XLSX)


@login_required
@permission_required("vaccination.add_dose", raise_exception=True)
def import_page(request):
    form = DoseImportForm(request.POST or None, request.FILES or None)
    batch = errors = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        with saved_upload(upload) as path:
            try:
                batch = import_doses(path, user=request.user, file_name=upload.name,
                                     dry_run=form.cleaned_data["dry_run"], replace=form.cleaned_data["replace"])
            except DoseImportError as error:
                errors = error.errors
    return render(request, "vaccination/import.html", {"form": form, "batch": batch, "errors": errors})


@login_required
@permission_required("vaccination.view_deferral", raise_exception=True)
def deferrals(request):
    unit, day = _unit(request), _date(request)
    show = request.GET.get("show", "active")
    queryset = Deferral.objects.restrict(request.user).filter(unit_path__startswith=unit.path)
    if show == "active":
        queryset = queryset.filter(starts_on__lte=day).exclude(ends_on__lt=day)
    page = Paginator(queryset.select_related("person__unit", "person__household", "created_by"), PAGE_SIZE)
    page = page.get_page(request.GET.get("page"))
    can_end, today = request.user.has_perm("vaccination.change_deferral"), timezone.localdate()
    context = _common(request, unit, day) | {
        "page": page, "show": show, "can_add": request.user.has_perm("vaccination.add_deferral"),
        "rows": [{"deferral": deferral, "person": person_row(deferral.person, request.user, day),
                  "endable": can_end and (deferral.ends_on is None or deferral.ends_on > today)} for deferral in page],
    }
    return render(request, "vaccination/deferrals.html", context)


@login_required
@permission_required("vaccination.add_deferral", raise_exception=True)
def deferral_add(request):
    form = DeferralForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            add_deferral(form.person, data["reason"], data["starts_on"], request.user, ends_on=data["ends_on"],
                         note=data["note"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("已登记%(name)s暂缓接种。") % {"name": form.person.name})
            return redirect("vaccination:deferrals")
    return render(request, "vaccination/deferral_form.html", {"form": form})


@login_required
@permission_required("vaccination.change_deferral", raise_exception=True)
@require_POST
def deferral_end(request, pk):
    deferral = get_object_or_404(Deferral.objects.restrict(request.user).select_related("person"), pk=pk)
    try:
        end_deferral(deferral, timezone.localdate())
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, _("%(name)s的暂缓接种已结束。") % {"name": deferral.person.name})
    return redirect(reverse("vaccination:deferrals"))
