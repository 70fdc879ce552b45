"""Pages of the situation reports (情况汇报、工作简报): the bulletins written for units of the
jurisdiction, writing one from a template (the .docx is downloaded and kept with its issue
number), and the templates with their versions — download one to edit in Word, upload the
edited file as a new version. Bulletins go through `Bulletin.objects.restrict`, the unit
written for through `Unit.objects.restrict`: outside the jurisdiction is 404. Templates are
reference data shared by every unit."""

import datetime
import io

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fangkong.lib.dates import local_moment
from fangkong.orgs.jurisdiction import jurisdiction_paths
from fangkong.orgs.models import Unit, UnitType
from fangkong.web.views import paginate

from .models import Bulletin, ReportTemplate
from .services.situation import bulletin_file_name, write_situation
from .services.templates import (
    DOCX_CONTENT_TYPE,
    MAX_TEMPLATE_BYTES,
    latest_templates,
    template_context_help,
    upload_template,
)

VIEW = "reports.view_bulletin"
WRITE = "reports.generate_bulletin"
VIEW_TEMPLATES = "reports.view_reporttemplate"
ADD_TEMPLATE = "reports.add_reporttemplate"
# Units offered for a situation report, besides the roots of the user's jurisdiction: the
# summary levels and the units that file daily reports. Any unit of the jurisdiction may be posted.
OFFERED_TYPES = [UnitType.PROVINCE, UnitType.CITY, UnitType.COUNTY, UnitType.TOWN, UnitType.EDU_BUREAU,
                 UnitType.VILLAGE, UnitType.SCHOOL, UnitType.COMPANY]
NOON = datetime.time(12, 0)


def writable_units(user):
    """The units offered in the form, in tree order."""
    paths = jurisdiction_paths(user)
    wanted = Q(type__in=OFFERED_TYPES) | (Q(path__in=paths) if paths else Q(pk__in=[]))
    return Unit.objects.restrict(user).filter(wanted, is_active=True).order_by("path")


def default_as_of(now):
    """Today 12:00 (the usual 截至12时), or the last full hour while the morning runs."""
    local = timezone.localtime(now)
    noon = local_moment(local.date(), NOON)
    return min(noon, local.replace(minute=0, second=0, microsecond=0))


class SituationForm(forms.Form):
    # The view resolves the posted code within the jurisdiction (404 outside); the list only offers.
    unit = forms.CharField(label=gettext_lazy("单位"), widget=forms.Select)
    as_of = forms.DateTimeField(
        label=gettext_lazy("统计截至"), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    template = forms.ChoiceField(label=gettext_lazy("模板"))

    def __init__(self, *args, units, templates, **kwargs):
        super().__init__(*args, **kwargs)
        top = min((len(unit.path) for unit in units), default=0)
        self.fields["unit"].widget.choices = [
            (unit.code, "　" * ((len(unit.path) - top) // 4) + unit.name) for unit in units
        ]
        self.fields["template"].choices = [(t.code, f"{t.name}（{t.code}）") for t in templates]


class TemplateUploadForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("模板编码"), max_length=40,
        help_text=gettext_lazy("上传已有编码即为该模板的新版本；新编码即新建模板（小写字母、数字、短横线）"),
    )
    name = forms.CharField(label=gettext_lazy("模板名称"), max_length=100, required=False,
                           help_text=gettext_lazy("已有模板可不填，沿用原名称"))
    description = forms.CharField(label=gettext_lazy("说明"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    file = forms.FileField(label=gettext_lazy("模板文件（.docx）"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_TEMPLATE_BYTES:
            raise ValidationError(_("文件太大（不能超过10MB）。"))
        return upload


def _situation_form(request, data=None):
    units = list(writable_units(request.user))
    now = timezone.now()
    initial = {
        "unit": units[0].code if units else None,
        "as_of": timezone.localtime(default_as_of(now)).replace(tzinfo=None),
        "template": "situation-2020",
    }
    return SituationForm(data, initial=initial, units=units, templates=latest_templates())


def _list_page(request, form=None, status=200):
    bulletins = Bulletin.objects.restrict(request.user).select_related("unit", "template", "issued_by").defer(
        "content", "template__content"
    )
    unit_code = request.GET.get("unit", "").strip()
    if unit_code:
        unit = get_object_or_404(Unit.objects.restrict(request.user), code=unit_code)
        bulletins = bulletins.filter(unit=unit)
    can_write = request.user.has_perm(WRITE)
    context = {
        "page": paginate(request, bulletins.order_by("-issued_at", "-id")),
        "unit_code": unit_code,
        "form": (form or _situation_form(request)) if can_write else None,
    }
    return render(request, "reports/situation_list.html", context, status=status)


@login_required
@permission_required(VIEW, raise_exception=True)
def situation_list(request):
    return _list_page(request)


@login_required
@require_POST
@permission_required(WRITE, raise_exception=True)
def situation_write(request):
    unit = get_object_or_404(Unit.objects.restrict(request.user), code=request.POST.get("unit", "").strip())
    form = _situation_form(request, request.POST)
    if form.is_valid():
        as_of = form.cleaned_data["as_of"]
        try:
            bulletin = write_situation(unit, as_of, template_code=form.cleaned_data["template"], user=request.user,
                                       now=timezone.now())
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        except LookupError as error:
            form.add_error("template", str(error))
        else:
            return _docx(bulletin.content, bulletin_file_name(bulletin))
    return _list_page(request, form=form, status=400)


def _docx(content, name):
    return FileResponse(io.BytesIO(bytes(content)), as_attachment=True, filename=name, content_type=DOCX_CONTENT_TYPE)


@login_required
@permission_required(VIEW, raise_exception=True)
def situation_download(request, pk):
    bulletin = get_object_or_404(Bulletin.objects.restrict(request.user).select_related("unit", "template"), pk=pk)
    return _docx(bulletin.content, bulletin_file_name(bulletin))


def _templates_page(request, form=None, status=200):
    versions = {}
    for template in ReportTemplate.objects.select_related("uploaded_by").defer("content").order_by("code", "-version"):
        versions.setdefault(template.code, []).append(template)
    can_upload = request.user.has_perm(ADD_TEMPLATE)
    context = {
        "groups": [{"latest": rows[0], "versions": rows} for rows in versions.values()],
        "form": (form or TemplateUploadForm()) if can_upload else None,
        "variables": template_context_help(),
        "syntax_help": _("在 Word 中直接输入标签，如 {{ unit_name }}；整段重复用 {%p for event in events %} … "
                         "{%p endfor %}，表格逐行重复用 {%tr for row in children %} … {%tr endfor %}（各占一行）。"),
    }
    return render(request, "reports/situation_templates.html", context, status=status)


@login_required
@permission_required(VIEW_TEMPLATES, raise_exception=True)
def template_list(request):
    return _templates_page(request)


@login_required
@permission_required(VIEW_TEMPLATES, raise_exception=True)
def template_download(request, pk):
    template = get_object_or_404(ReportTemplate, pk=pk)
    return _docx(template.content, f"{template.name}（{template.code}）v{template.version}.docx")


@login_required
@require_POST
@permission_required(ADD_TEMPLATE, raise_exception=True)
def template_upload(request):
    form = TemplateUploadForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            template = upload_template(
                form.cleaned_data["code"], form.cleaned_data["name"], upload.read(), upload.name, request.user,
                description=form.cleaned_data["description"],
            )
        except ValidationError as error:
            target = "code" if error.code == "code" else "name" if error.code == "name" else "file"
            for message in error.messages:
                form.add_error(target, message)
        else:
            messages.success(request, _("已上传模板“%(name)s”第%(version)d版，此后生成汇报使用该版本。") % {
                "name": template.name, "version": template.version})
            return redirect("reports:situation_templates")
    return _templates_page(request, form=form, status=400)
