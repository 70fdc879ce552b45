"""Filing pages (今日日报): the user's filing units with the status of their report for a day,
and a unit's form — computed items filled and locked, hand items as inputs, one click for a zero
report (无事报平安), corrections with a reason, every version kept. Units come from
`Unit.objects.restrict`, filings from `Filing.objects.restrict`: outside the jurisdiction is 404."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.orgs.models import Unit

from .forms_filing import CorrectionForm, FilingFilterForm, ValuesForm
from .models import Filing, ItemKind
from .services.filing import (
    correct_filing,
    current_filings,
    file_report,
    my_filing_units,
    open_form,
    status_of,
)
from .services.forms import DEFAULT_FORM, deadline, forms_in_force
from .services.rollup import percent_text, with_ratios
from .services.sources import source

VIEW, FILE, CORRECT = "reports.view_filing", "reports.add_filing", "reports.change_filing"
PAGE_SIZE = 50


def _chosen_form(code, day, unit_type=None):
    """The form in force on `day` with this code (the daily report by default) that units of
    `unit_type` file; None when there is none."""
    candidates = [form for form in forms_in_force(day) if unit_type is None or unit_type in form.unit_types]
    wanted = code or DEFAULT_FORM
    return next((form for form in candidates if form.code == wanted), None) or (
        None if code else next(iter(candidates), None))


def precision(moment):
    """Deadlines are set in whole hours mostly: 14时, and 14时30分 only when there are minutes."""
    return "minute" if timezone.localtime(moment).minute else "hour"


def _day(text):
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise Http404 from None


@login_required
@permission_required(VIEW, raise_exception=True)
def filing_list(request):
    now = timezone.now()
    data = request.GET.copy()
    data.setdefault("day", timezone.localdate(now).isoformat())
    filters = FilingFilterForm(data)
    day = filters.day_or_today()
    form = _chosen_form(request.GET.get("form", ""), day)
    context = {"filters": filters, "day": day, "form": form, "forms": forms_in_force(day), "now": now}
    if form is not None:
        units = my_filing_units(request.user, form)
        page = Paginator(filters.filter(units, form, day), PAGE_SIZE).get_page(request.GET.get("page"))
        filings = current_filings(form, page.object_list, day)
        rows = []
        for unit in page.object_list:
            filing = filings.get(unit.pk)
            due = deadline(form, unit.type, day)
            rows.append({"unit": unit, "filing": filing, "status": status_of(filing), "deadline": due,
                         "deadline_precision": precision(due),
                         "overdue": filing is None and now > due})
        context.update(page=page, rows=rows, day_text=day.isoformat(),
                       previous=day - datetime.timedelta(days=1), next=day + datetime.timedelta(days=1),
                       today=timezone.localdate(now))
    return render(request, "reports/filing_list.html", context)


def _computed_rows(page):
    """Each computed item as (label, unit, 当日新增, 累计或截至时点) for the table; a ratio as
    its percentage in the second column."""
    rows = []
    for item in page.computed_items:
        value, measure = item["value"], item.get("measure")
        if item["kind"] == ItemKind.RATIO:
            new, total = None, percent_text(value)
        elif isinstance(value, dict):
            new, total = value.get("new"), value.get("cumulative")
        elif measure == "new":
            new, total = value, None
        else:
            new, total = None, value
        current_word = source(item["source"]).current_word if measure == "current" else ""
        rows.append({"code": item["code"], "label": item["label"], "unit": item.get("unit", ""),
                     "new": new, "total": total, "current": measure == "current", "current_word": current_word})
    return rows


def _form_url(unit, day, form):
    url = reverse("reports:filing_form", args=[unit.code, day.isoformat()])
    return url if form.code == DEFAULT_FORM else f"{url}?form={form.code}"


def _open(request, unit_code, day_text):
    day = _day(day_text)
    unit = get_object_or_404(Unit.objects.restrict(request.user), code=unit_code)
    form = _chosen_form(request.GET.get("form", ""), day, unit.type)
    if form is None:
        raise Http404
    return unit, day, form


def _render_form(request, unit, day, form, values_form=None, correction_form=None, status=200):
    now = timezone.now()
    page = open_form(form, unit, day, now)
    user = request.user
    can_file = user.has_perm(FILE) and page.filing is None and not page.locked and day <= timezone.localdate(now)
    can_correct = user.has_perm(CORRECT) and page.filing is not None and not page.locked
    if can_file and values_form is None:
        values_form = ValuesForm(form)
    if can_correct and correction_form is None:
        correction_form = CorrectionForm(form, initial=page.filing.values)
    submitted = values_form or correction_form
    context = {
        "page": page, "unit": unit, "form": form, "day": page.day, "now": now,
        # A refusal (already filed, locked …) is shown even when the inputs are no longer offered.
        "form_errors": submitted.non_field_errors() if submitted is not None else [],
        "computed_rows": _computed_rows(page),
        "deadline_precision": precision(page.deadline),
        "values_form": values_form if can_file else None,
        "correction_form": correction_form if can_correct else None,
        "status": status_of(page.filing),
        "future": day > timezone.localdate(now),
        "previous_url": _form_url(unit, page.day - datetime.timedelta(days=1), form),
        "next_url": _form_url(unit, page.day + datetime.timedelta(days=1), form),
        "form_url": _form_url(unit, page.day, form),
        "correct_url": reverse("reports:filing_correct", args=[unit.code, page.day.isoformat()])
        + ("" if form.code == DEFAULT_FORM else f"?form={form.code}"),
    }
    return render(request, "reports/filing_form.html", context, status=status)


@login_required
@permission_required(VIEW, raise_exception=True)
def filing_form(request, unit_code, day):
    unit, day, form = _open(request, unit_code, day)
    if request.method != "POST":
        return _render_form(request, unit, day, form)
    if not request.user.has_perm(FILE):
        raise PermissionDenied
    zero = request.POST.get("action") == "zero"
    values_form = ValuesForm(form, request.POST)
    values_form.is_valid()
    try:
        filing = file_report(form, unit, day, {} if zero else values_form.values(), request.user,
                             now=timezone.now(), zero=zero)
    except ValidationError as error:
        values_form.add_service_errors(error)
        return _render_form(request, unit, day, form, values_form=values_form, status=400)
    if filing.zero_report:
        messages.success(request, _("已报送零报告（无事报平安）。"))
    else:
        messages.success(request, _("已报送。"))
    if filing.late:
        messages.warning(request, _("已过报送截止时间，本次记为迟报。"))
    return redirect(_form_url(unit, filing.day, form))


@login_required
@require_POST
@permission_required(VIEW, raise_exception=True)
def filing_correct(request, unit_code, day):
    unit, day, form = _open(request, unit_code, day)
    if not request.user.has_perm(CORRECT):
        raise PermissionDenied
    filing = get_object_or_404(
        Filing.objects.restrict(request.user).current(), form_code=form.code, unit=unit, day=form.period_start(day))
    correction_form = CorrectionForm(form, request.POST)
    correction_form.is_valid()
    try:
        corrected = correct_filing(filing, correction_form.values(), correction_form.reason(), request.user,
                                   now=timezone.now())
    except ValidationError as error:
        correction_form.add_service_errors(error)
        return _render_form(request, unit, day, form, correction_form=correction_form, status=400)
    messages.success(request, _("已更正，当前为第%(version)d版。") % {"version": corrected.version})
    return redirect(_form_url(unit, corrected.day, form))


@login_required
@permission_required(VIEW, raise_exception=True)
def filing_detail(request, pk):
    filing = get_object_or_404(Filing.objects.restrict(request.user).select_related("form", "unit", "filed_by"),
                               pk=pk)
    form = filing.form
    rows = []
    computed = with_ratios(form, filing.computed)
    for item in form.items:
        value = (computed if item["kind"] in (ItemKind.COMPUTED, ItemKind.RATIO) else filing.values).get(item["code"])
        if item["kind"] == ItemKind.RATIO:
            value = percent_text(value)
        elif isinstance(value, dict):
            value = _("当日新增%(new)s，累计%(total)s") % {"new": value.get("new"), "total": value.get("cumulative")}
        rows.append({"label": item["label"], "unit": item.get("unit", ""), "kind": item["kind"], "value": value})
    return render(request, "reports/filing_detail.html", {
        "filing": filing, "form": form, "rows": rows, "status": status_of(filing),
        "form_url": _form_url(filing.unit, filing.day, form),
    })
