"""Pages of the regimens (管控方案): the versions, each one's rules in words, a preview of the
plan for given dates, editing as YAML, and YAML upload/download. Regimens are reference data
for every place, so they are not filtered by jurisdiction; the number of cases using each is
counted within the user's jurisdiction only."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from .forms_regimens import PreviewForm, RegimenUploadForm, RegimenYamlForm
from .models import ControlCase, Measure, RegimenVersion, TestWho
from .regimens import compute_plan
from .regimens.describe import describe_rule
from .regimens.selection import categories_of, rule_of
from .regimens.yaml_io import dump_regimen_yaml, save_regimen

VIEW = "control.view_regimenversion"
CHANGE = "control.change_regimenversion"
ADD = "control.add_regimenversion"


def _case_counts(user):
    """Cases per regimen within the user's jurisdiction."""
    rows = ControlCase.objects.restrict(user).values("regimen").annotate(n=Count("id")).order_by()
    return {row["regimen"]: row["n"] for row in rows}


def _version(code):
    return get_object_or_404(RegimenVersion.objects.select_related("unit"), code=code)


@login_required
@permission_required(VIEW, raise_exception=True)
def regimen_list(request):
    counts = _case_counts(request.user)
    rows = [
        {"version": v, "categories": categories_of(v), "cases": counts.get(v.pk, 0)}
        for v in RegimenVersion.objects.select_related("unit").order_by("-effective_from", "code")
    ]
    return render(request, "control/regimen_list.html", {"rows": rows})


@login_required
@permission_required(VIEW, raise_exception=True)
def regimen_detail(request, code):
    version = _version(code)
    rules = version.rules or {}
    categories = [
        {"category": c, "lines": describe_rule(rules[c.value]), "source": rules[c.value].get("source", "")}
        for c in categories_of(version)
    ]
    history = version.history.select_related("history_user").order_by("-history_date")[:20]
    context = {
        "version": version,
        "categories": categories,
        "cases": _case_counts(request.user).get(version.pk, 0),
        "history": history,
    }
    return render(request, "control/regimen_detail.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
def regimen_preview(request, code):
    version = _version(code)
    form = PreviewForm(request.GET or None, regimen=version)
    plan = None
    if form.is_bound and form.is_valid():
        try:
            plan = compute_plan(rule_of(version, form.cleaned_data["category"]), form.cleaned_data["anchor"],
                                form.cleaned_data["arrival"])
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
    context = {"version": version, "form": form, "plan": plan}
    if plan is not None:
        context["phases"] = [
            {"phase": p, "measure": Measure(p.measure).label, "days": (p.last_day - p.first_day).days + 1}
            for p in plan.phases
        ]
        context["tests"] = [{"test": t, "who": TestWho(t.who).label} for t in plan.tests]
    return render(request, "control/regimen_preview.html", context)


def _save(request, document):
    """Save a document the user may save; the version, or None with the reason added."""
    exists = RegimenVersion.objects.filter(code=document["code"]).exists()
    needed = CHANGE if exists else ADD
    if not request.user.has_perm(needed):
        raise ValidationError(_("您没有权限修改方案“%(code)s”。") % {"code": document["code"]} if exists
                              else _("您没有权限新建管控方案。"))
    return save_regimen(document, user=request.user)


@login_required
@permission_required(CHANGE, raise_exception=True)
def regimen_edit(request, code):
    version = _version(code)
    if request.method == "POST":
        form = RegimenYamlForm(request.POST)
        if form.is_valid():
            try:
                saved = _save(request, form.document)
            except ValidationError as error:
                for message in error.messages:
                    form.add_error("text", message)
            else:
                messages.success(request, _("已保存管控方案 %(code)s。") % {"code": saved.code})
                return redirect("control:regimen_detail", code=saved.code)
    else:
        form = RegimenYamlForm(initial={"text": dump_regimen_yaml(version)})
    in_use = version.cases.exists()
    return render(request, "control/regimen_edit.html", {"version": version, "form": form, "in_use": in_use})


@login_required
@permission_required(ADD, raise_exception=True)
def regimen_import(request):
    if request.method == "POST":
        form = RegimenUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                saved = _save(request, form.document)
            except ValidationError as error:
                for message in error.messages:
                    form.add_error("file", message)
            else:
                messages.success(request, _("已导入管控方案 %(code)s。") % {"code": saved.code})
                return redirect("control:regimen_detail", code=saved.code)
    else:
        form = RegimenUploadForm()
    return render(request, "control/regimen_import.html", {"form": form})


@login_required
@permission_required(VIEW, raise_exception=True)
def regimen_export(request, code):
    version = _version(code)
    response = HttpResponse(dump_regimen_yaml(version), content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{version.code}.yaml"'
    return response
