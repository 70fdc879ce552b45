"""Pages of the lab: uploading a results file, with the error report or the counts, and the
tubes whose results conflict (both results shown)."""

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.core.validators import FileExtensionValidator
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.lib.uploads import saved_upload

from .services.lab import ResultRowsError, conflicting_tubes
from .services.results_import import import_results


class ResultsUploadForm(forms.Form):
    file = forms.FileField(
        label=_("检测结果文件"),
        help_text=_("Excel（.xlsx/.xls）或CSV；列：试管条码、检测结果（阴性/阳性/异常/可疑/无效）、ORF1ab、N（Ct值，可不填）、检测时间"),
        validators=[FileExtensionValidator(["xlsx", "xls", "csv"])],
    )


@login_required
@permission_required("testing.add_tuberesult", raise_exception=True)
def results_upload(request):
    form = ResultsUploadForm(request.POST or None, request.FILES or None)
    counts = errors = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        with saved_upload(upload) as path:
            try:
                counts = import_results(path, request.user, timezone.now(), file_name=upload.name)
            except ResultRowsError as error:
                errors = error.errors
    return render(request, "testing/lab_upload.html", {"form": form, "counts": counts, "errors": errors})


@login_required
@permission_required("testing.view_tuberesult", raise_exception=True)
def conflicts(request):
    page = Paginator(conflicting_tubes(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "testing/lab_conflicts.html", {"page": page})
