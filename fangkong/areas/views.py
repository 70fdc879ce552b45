"""Risk area pages: the list (filtered by the date in force, level, name), entering one by
hand, importing a published list, and lifting an area. Risk areas are reference data shared
by every unit: any logged-in user reads them; entering and lifting need the permissions."""


from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.lib.history import history_entries
from fangkong.lib.uploads import saved_upload

from .forms import AreaFilterForm, AreaForm, AreaImportForm, LiftForm
from .imports import import_areas
from .models import RiskArea
from .services import in_force, lift_area, save_area


def _add_errors(form, error):
    if hasattr(error, "error_dict"):
        for name, messages_ in error.message_dict.items():
            form.add_error(name if name in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


@login_required
def area_list(request):
    data = request.GET.copy() if request.GET else {"on": timezone.localdate().isoformat()}
    form = AreaFilterForm(data)
    areas = form.filter(RiskArea.objects.all(), in_force)
    page = Paginator(areas.order_by("-effective_from", "division_code"), 50).get_page(request.GET.get("page"))
    return render(request, "areas/area_list.html", {"form": form, "page": page, "today": timezone.localdate()})


@login_required
def area_detail(request, pk):
    area = get_object_or_404(RiskArea, pk=pk)
    context = {"area": area, "history": history_entries(area, request.user),
               "lift_form": LiftForm(initial={"effective_to": timezone.localdate()})}
    return render(request, "areas/area_detail.html", context)


@login_required
@permission_required("areas.add_riskarea", raise_exception=True)
def area_create(request):
    form = AreaForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            area = save_area(by=request.user, **data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("已登记风险地区“%(name)s”。") % {"name": area.name})
            return redirect("areas:detail", pk=area.pk)
    return render(request, "areas/area_form.html", {"form": form})


@login_required
@permission_required("areas.change_riskarea", raise_exception=True)
def area_lift(request, pk):
    area = get_object_or_404(RiskArea, pk=pk)
    form = LiftForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            lift_area(area, form.cleaned_data["effective_to"])
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        else:
            messages.success(request, _("已解除“%(name)s”。") % {"name": area.name})
    return redirect("areas:detail", pk=area.pk)


@login_required
@permission_required("areas.add_riskarea", raise_exception=True)
def area_import(request):
    form = AreaImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        with saved_upload(upload) as path:
            result = import_areas(path, by=request.user)
        if result.ok:
            messages.success(request, _("已导入%(count)s个风险地区。") % {"count": result.created})
            return redirect("areas:list")
    return render(request, "areas/area_import.html", {"form": form, "result": result})
