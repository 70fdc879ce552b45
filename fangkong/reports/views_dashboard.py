"""The dashboard pages (防控态势、大屏) of a unit chosen with ?unit=CODE (the user's top unit by
default). A unit outside the user's jurisdiction is 404, as if it did not exist."""

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from fangkong.orgs.jurisdiction import ancestor_paths, jurisdiction_paths
from fangkong.orgs.models import Unit

from .services.dashboard import TREND_DAYS, dashboard_data, trend

VIEW = "reports.view_filing"
SCREEN_REFRESH_SECONDS = 60


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


def _breadcrumb(user, unit):
    """The units above `unit` that lie within the user's jurisdiction, from the top down."""
    chain = ancestor_paths(unit.path)[:-1]
    roots = jurisdiction_paths(user)
    if roots is not None:
        chain = [path for path in chain if any(path.startswith(root) for root in roots)]
    return list(Unit.objects.filter(path__in=chain).order_by("path")) if chain else []


def _urls(unit):
    query = "?" + urlencode({"unit": unit.code})
    return {
        "page": reverse("reports:dashboard") + query,
        "screen": reverse("reports:dashboard_screen") + query,
        "data": reverse("reports:dashboard_data") + query,
    }


def _context(request, unit):
    data = dashboard_data(unit, request.user, timezone.now())
    return {"unit": unit, "data": data, "urls": _urls(unit), "trend_days": TREND_DAYS, "labels": _labels()}


def _labels():
    """The words the charts write themselves (axes, tooltips, empty charts)."""
    return {
        "received": _("已报"), "expected": _("应报"), "on_time": _("按时报"), "rate": _("报送率"),
        "persons": _("人"), "percent": "%", "none": _("暂无数据"), "refresh_failed": _("刷新失败，稍后重试"),
        "no_anomalies": _("近48小时没有随访异常。"), "temperature": _("体温"), "symptoms": _("症状"),
    }


@login_required
@permission_required(VIEW, raise_exception=True)
@require_GET
def dashboard(request):
    unit = _unit(request)
    context = _context(request, unit)
    context["breadcrumb"] = _breadcrumb(request.user, unit)
    context["columns"] = [(column["key"], column["label"], column["unit"])
                          for column in context["data"]["children_columns"]]
    context["children"] = [
        {
            "name": row["name"], "completeness": row["completeness"],
            "url": reverse("reports:dashboard") + "?" + urlencode({"unit": row["code"]}),
            "cells": [(label, row["figures"][key]) for key, label, _measure in context["columns"]],
        }
        for row in context["data"]["children"]
    ]
    context["can_follow_up"] = request.user.has_perm("control.view_followupentry")
    return render(request, "reports/dashboard.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
@require_GET
def screen(request):
    unit = _unit(request)
    context = _context(request, unit)
    context["refresh_seconds"] = SCREEN_REFRESH_SECONDS
    context["time_zone"] = settings.TIME_ZONE
    return render(request, "reports/dashboard_screen.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
@require_GET
def data(request):
    """?unit=CODE&days=14|30; with part=trend only the trend (the page's 14/30-day switch)."""
    unit = _unit(request)
    text = request.GET.get("days", "14")
    if not text.isdigit() or int(text) not in TREND_DAYS:
        return JsonResponse({"error": _("趋势天数只能是14或30。")}, status=400)
    days, now = int(text), timezone.now()
    if request.GET.get("part") == "trend":
        return JsonResponse({"unit": {"code": unit.code, "name": unit.name}, "trend": trend(unit, days, now)})
    return JsonResponse(dashboard_data(unit, request.user, now, days))
