"""Lead pages: the list with deadlines, the detail with its history, verify and dispose,
entering a lead by hand, importing a list, taking up screening flags, and each unit's QR code
for self-declaration. Every lead goes through `Lead.objects.restrict(user)`."""

import io

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.lib.history import history_entries
from fangkong.lib.masking import mask_id_number, mask_phone
from fangkong.lib.uploads import saved_upload
from fangkong.orgs.jurisdiction import jurisdiction_paths
from fangkong.orgs.models import Unit
from fangkong.people.services.sheets import LedgerError

from .forms import DisposeForm, LeadFilterForm, LeadForm, LeadImportForm, VerifyForm
from .models import Lead, LeadBatch, LeadStatus
from .services.deadlines import is_overdue
from .services.from_screening import convert_flags
from .services.imports import import_leads, map_header
from .services.intake import create_lead
from .services.workflow import dispose_lead, verify_lead

PAGE_SIZE = 50


def home_unit(user):
    """The first unit of the user's jurisdiction (for default codes in forms)."""
    paths = jurisdiction_paths(user)
    if paths is None:
        return Unit.objects.filter(depth=1).order_by("path").first()
    return Unit.objects.filter(path__in=paths).order_by("path").first()


def _add_errors(form, error):
    if hasattr(error, "error_dict"):
        for name, texts in error.message_dict.items():
            form.add_error(name if name in form.fields else None, texts)
    else:
        form.add_error(None, error.messages)


class LeadRow:
    """A lead as the list and detail show it: identity masked per role, time left or overdue."""

    def __init__(self, lead, user, now):
        self.lead = lead
        sees = user.sees_identity()
        self.id_number = lead.id_number if sees else mask_id_number(lead.id_number)
        self.phone = lead.phone if sees else mask_phone(lead.phone)
        self.overdue = is_overdue(lead, now)
        due = None
        if lead.status == LeadStatus.RECEIVED:
            due = lead.verify_due_at
        elif lead.status == LeadStatus.VERIFIED:
            due = lead.dispose_due_at
        self.due = due
        self.minutes_left = int((due - now).total_seconds() // 60) if due else None
        self.minutes_over = -self.minutes_left if self.minutes_left is not None and self.minutes_left < 0 else None


def filtered_leads(form, queryset, now):
    if not form.is_valid():
        return queryset.none()
    data = form.cleaned_data
    if data["status"]:
        queryset = queryset.filter(status=data["status"])
    if data["source"]:
        queryset = queryset.filter(source=data["source"])
    if data["unit"] is not None:
        queryset = queryset.filter(unit_path__startswith=data["unit"].path)
    if data["received_from"]:
        queryset = queryset.filter(received_at__date__gte=data["received_from"])
    if data["received_to"]:
        queryset = queryset.filter(received_at__date__lte=data["received_to"])
    if data["overdue"]:
        queryset = queryset.filter(
            Q(status=LeadStatus.RECEIVED, verify_due_at__lte=now)
            | Q(status__in=[LeadStatus.RECEIVED, LeadStatus.VERIFIED], dispose_due_at__lte=now)
        )
    if data["q"]:
        text = data["q"].strip()
        queryset = queryset.filter(Q(name__contains=text) | Q(id_number=text.upper()) | Q(phone=text))
    return queryset


@login_required
@permission_required("leads.view_lead", raise_exception=True)
def lead_list(request):
    now = timezone.now()
    form = LeadFilterForm(request.GET or None, user=request.user)
    if not request.GET:
        form = LeadFilterForm({}, user=request.user)
    leads = filtered_leads(form, Lead.objects.restrict(request.user).select_related("unit"), now)
    page = Paginator(leads, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [LeadRow(lead, request.user, now) for lead in page.object_list]
    open_leads = Lead.objects.restrict(request.user).exclude(status=LeadStatus.DISPOSED)
    context = {
        "form": form, "page": page, "rows": rows, "now": now,
        "open_count": open_leads.count(),
        "overdue_count": filtered_leads(LeadFilterForm({"overdue": "on"}, user=request.user), open_leads, now).count(),
        "home_unit": home_unit(request.user),
    }
    return render(request, "leads/lead_list.html", context)


def _lead(request, pk):
    return get_object_or_404(
        Lead.objects.restrict(request.user).select_related("unit", "person", "batch", "verified_by", "disposed_by"),
        pk=pk,
    )


IDENTITY_WORDS = ("证件", "身份证", "电话", "手机", "id_number", "phone")


def _is_identity_key(key):
    """A payload key holding an ID or phone number: a form field name, or any column header
    the import reads as one (公民身份号码, 联系方式, …)."""
    key = str(key)
    return any(word in key for word in IDENTITY_WORDS) or bool({"id_number", "phone"} & set(map_header([key])))


def shown_payload(lead, user):
    """The lead's original data as received, without internal keys; ID and phone numbers
    hidden for roles that may not see them."""
    payload = {k: v for k, v in lead.payload.items() if not str(k).startswith("_")}
    if user.sees_identity():
        return payload
    return {k: ("***" if _is_identity_key(k) else v) for k, v in payload.items()}


@login_required
@permission_required("leads.view_lead", raise_exception=True)
def lead_detail(request, pk):
    lead = _lead(request, pk)
    now = timezone.now()
    context = {
        "lead": lead, "row": LeadRow(lead, request.user, now), "payload": shown_payload(lead, request.user),
        "routed": lead.payload.get("_routed"), "received_by": lead.payload.get("_received_by"),
        "history": history_entries(lead, request.user),
        "verify_form": VerifyForm(), "dispose_form": DisposeForm(initial={"category": lead.category}),
        "cases": list(lead.cases.restrict(request.user)),
    }
    return render(request, "leads/lead_detail.html", context)


@login_required
@permission_required("leads.dispose_lead", raise_exception=True)
@require_POST
def lead_verify(request, pk):
    lead = _lead(request, pk)
    form = VerifyForm(request.POST)
    if form.is_valid():
        try:
            verify_lead(lead, request.user, timezone.now(), form.cleaned_data["note"])
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        else:
            messages.success(request, _("已核实。"))
    return redirect("leads:detail", pk=lead.pk)


@login_required
@permission_required("leads.dispose_lead", raise_exception=True)
@require_POST
def lead_dispose(request, pk):
    lead = _lead(request, pk)
    form = DisposeForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            dispose_lead(lead, data["outcome"], request.user, timezone.now(), data["note"], data["handed_to"],
                         category=data["category"] or None, anchor_date=data["anchor_date"],
                         arrival_date=data["arrival_date"])
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        else:
            messages.success(request, _("已处置。"))
    else:
        messages.error(request, _("请选择处置结果。"))
    return redirect("leads:detail", pk=lead.pk)


@login_required
@permission_required("leads.add_lead", raise_exception=True)
def lead_create(request):
    unit = home_unit(request.user)
    form = LeadForm(request.POST or None, user=request.user,
                    initial={"unit": unit.code if unit else "", "source": request.GET.get("source", "tip_off")})
    if request.method == "POST" and form.is_valid():
        data, extras = form.lead_data()
        try:
            lead = create_lead(form.cleaned_data["source"], form.cleaned_data["unit"], data, timezone.now(),
                               by=request.user, payload={**_payload(data), **extras})
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("已登记线索，分派至%(unit)s。") % {"unit": lead.unit.name})
            if Lead.objects.restrict(request.user).filter(pk=lead.pk).exists():
                return redirect("leads:detail", pk=lead.pk)
            return redirect("leads:list")
    return render(request, "leads/lead_form.html", {"form": form})


def _payload(data):
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items() if v not in (None, "")}


@login_required
@permission_required("leads.add_lead", raise_exception=True)
def lead_import(request):
    unit = home_unit(request.user)
    form = LeadImportForm(request.POST or None, request.FILES or None, user=request.user,
                          initial={"unit": unit.code if unit else ""})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        try:
            with saved_upload(upload) as path:
                batch = import_leads(path, source=data["source"], unit=data["unit"], now=timezone.now(),
                                     by=request.user, file_name=upload.name, reference=data["reference"])
        except LedgerError as error:
            form.add_error("file", str(error))
        else:
            return redirect("leads:batch", pk=batch.pk)
    batches = LeadBatch.objects.restrict(request.user).select_related("unit", "uploaded_by")[:20]
    return render(request, "leads/lead_import.html", {"form": form, "batches": batches})


@login_required
@permission_required("leads.view_lead", raise_exception=True)
def batch_detail(request, pk):
    batch = get_object_or_404(LeadBatch.objects.restrict(request.user).select_related("unit", "uploaded_by"), pk=pk)
    leads = Lead.objects.restrict(request.user).filter(batch=batch).select_related("unit")
    return render(request, "leads/batch_detail.html", {"batch": batch, "leads": leads})


@login_required
@permission_required("leads.add_lead", raise_exception=True)
@require_POST
def flags_convert(request):
    code = request.POST.get("unit", "").strip()
    unit = get_object_or_404(Unit.objects.restrict(request.user), code=code)
    leads = convert_flags(request.user, unit, timezone.now())
    messages.success(request, _("已将%(count)s名入户摸排需跟进人员转为排查线索。") % {"count": len(leads)})
    return redirect(reverse("leads:list") + "?source=door_to_door")


# QR codes for self-declaration -----------------------------------------------------------------

def declare_url(request, unit):
    return request.build_absolute_uri(reverse("declare:form", args=[unit.code]))


@login_required
def qr_svg(request, code):
    unit = get_object_or_404(Unit.objects.restrict(request.user), code=code)
    out = io.BytesIO()
    segno.make(declare_url(request, unit), error="m").save(out, kind="svg", scale=8, border=2)
    return HttpResponse(out.getvalue(), content_type="image/svg+xml")


@login_required
def qr_poster(request, code):
    unit = get_object_or_404(Unit.objects.restrict(request.user), code=code)
    out = io.BytesIO()
    segno.make(declare_url(request, unit), error="m").save(out, kind="svg", scale=10, border=2, xmldecl=False,
                                                          svgns=True)
    context = {"unit": unit, "svg": out.getvalue().decode(), "url": declare_url(request, unit)}
    return render(request, "leads/qr_poster.html", context)
