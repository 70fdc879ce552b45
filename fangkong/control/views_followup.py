"""Phone-friendly follow-up pages for the team (健康监测): today's cases of the user's
jurisdiction with their slots and a quick entry form each (htmx, inline), the history of one
case, the daily sign-off, the personal link's QR code and printable card.

Every case goes through `ControlCase.objects.restrict(request.user)`: one outside the
jurisdiction is 404, as if it did not exist."""

import io
from datetime import date, time, timedelta

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.lib.dates import local_moment
from fangkong.lib.masking import mask_phone
from fangkong.orgs.models import Unit

from .forms_followup import EntryForm, SignOffForm
from .models import ACTIVE_STATUSES, ControlCase, FollowUpEntry, FollowUpSlot, FollowUpSymptom, SlotStatus, new_token
from .services.followup import record_entry, symptom_labels
from .services.signoff import missing_sign_offs, sign_off, sign_offs_for

PAGE_SIZE = 30
VIEW = "control.view_followupentry"
ADD = "control.add_followupentry"


def _day(request):
    try:
        return date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return timezone.localdate()


def _case(request, pk):
    queryset = ControlCase.objects.restrict(request.user).select_related("person", "unit", "regimen")
    return get_object_or_404(queryset, pk=pk)


def _unit_filter(request):
    """The unit chosen in the filter (within the jurisdiction), or None."""
    pk = request.GET.get("unit", "")
    if not pk.isdigit():
        return None
    return Unit.objects.restrict(request.user).filter(pk=pk).first()


def _units(request):
    """Units the filter offers: those of the user's jurisdiction that have active cases."""
    paths = ControlCase.objects.restrict(request.user).active().values("unit_id")
    return Unit.objects.restrict(request.user).filter(pk__in=paths).order_by("path")


def _day_span(day):
    start = local_moment(day, time.min)
    return start, start + timedelta(days=1)


def _entries_of(day):
    start, end = _day_span(day)
    return FollowUpEntry.objects.filter(recorded_at__gte=start, recorded_at__lt=end)


def _with_day(cases, day):
    return cases.prefetch_related(
        Prefetch("slots", queryset=FollowUpSlot.objects.filter(day=day).order_by("starts_at"), to_attr="day_slots"),
        Prefetch("entries", queryset=_entries_of(day).order_by("recorded_at"), to_attr="day_entries"),
    )


def _row(case, day, form=None):
    """What the page shows of one case on `day` (with the quick entry form when given)."""
    for entry in case.day_entries:
        entry.symptom_text = symptom_labels(entry.symptoms)
    abnormal = any(entry.abnormal for entry in case.day_entries)
    return {"case": case, "slots": case.day_slots, "entries": case.day_entries, "abnormal": abnormal,
            "missed": sum(slot.status == SlotStatus.MISSED for slot in case.day_slots), "form": form}


@login_required
@permission_required(VIEW, raise_exception=True)
def today(request):
    day = _day(request)
    unit = _unit_filter(request)
    slots_of_day = FollowUpSlot.objects.filter(case=OuterRef("pk"), day=day)
    cases = ControlCase.objects.restrict(request.user).active().filter(Exists(slots_of_day))
    if unit is not None:
        cases = cases.filter(unit_path__startswith=unit.path)
    show = request.GET.get("show", "")
    if show == "abnormal":
        cases = cases.filter(Exists(_entries_of(day).filter(case=OuterRef("pk"), abnormal=True)))
    elif show in (SlotStatus.OPEN, SlotStatus.MISSED):
        cases = cases.filter(Exists(slots_of_day.filter(status=show)))
    cases = _with_day(cases.select_related("person", "unit").order_by("unit_path", "person__name", "pk"), day)
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    can_add = request.user.has_perm(ADD)
    context = {
        "day": day, "is_today": day == timezone.localdate(), "unit": unit, "units": _units(request), "show": show,
        "page": page, "can_add": can_add,
        "rows": [_row(case, day, EntryForm(case=case) if can_add else None) for case in page.object_list],
        "missing_count": len(missing_sign_offs(day, request.user)),
    }
    return render(request, "control/followup_today.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
def case_history(request, pk):
    case = _case(request, pk)
    entries = case.entries.select_related("recorder", "slot").order_by("-recorded_at", "-pk")
    slots = case.slots.order_by("-day", "starts_at")
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    for entry in page:
        entry.symptom_labels = [str(FollowUpSymptom(value).label) for value in entry.symptoms if value in
                                FollowUpSymptom.values]
    active = case.status in ACTIVE_STATUSES
    context = {
        "case": case, "active": active,
        "entries": page,
        "slot_days": _slot_days(slots),
        "sign_offs": sign_offs_for(request.user).filter(case=case).select_related("member", "signed_by")
        .order_by("-day", "pk"),
        "form": EntryForm(case=case) if active and request.user.has_perm(ADD) else None,
        "sign_off_form": SignOffForm(case=case, initial={"day": timezone.localdate()})
        if request.user.has_perm(ADD) else None,
        "can_change": request.user.has_perm("control.change_controlcase"),
    }
    return render(request, "control/followup_case.html", context)


def _slot_days(slots):
    days = {}
    for slot in slots:
        days.setdefault(slot.day, []).append(slot)
    return list(days.items())


@login_required
@permission_required(ADD, raise_exception=True)
@require_POST
def entry_create(request, pk):
    """The quick entry: with htmx the case's card comes back in place, otherwise a redirect."""
    case = _case(request, pk)
    form = EntryForm(request.POST, request.FILES, case=case)
    saved = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            saved = record_entry(case, temperature=data["temperature"], symptoms=data["symptoms"],
                                 method=data["method"], recorder=request.user, photo=data["photo"],
                                 note=data["note"], now=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
    if request.headers.get("HX-Request"):
        day = timezone.localdate()
        fresh = _with_day(ControlCase.objects.filter(pk=case.pk).select_related("person", "unit"), day).get()
        row = _row(fresh, day, EntryForm(case=case) if saved else form)
        context = {"row": row, "can_add": True, "saved": saved,
                   "day": day, "is_today": True}
        return render(request, "control/followup_part_case.html", context)
    if saved:
        _report(request, saved)
    else:
        for field, errors in form.errors.items():
            for error in errors:
                messages.error(request, error)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = reverse("control:followup_case", args=[case.pk])
    return redirect(target)


def _report(request, entry):
    if entry.abnormal:
        messages.warning(request, _("已登记 %(name)s 的健康监测：异常，已发出预警。") % {"name": entry.case.person.name})
    else:
        messages.success(request, _("已登记 %(name)s 的健康监测。") % {"name": entry.case.person.name})


@login_required
@permission_required(ADD, raise_exception=True)
@require_POST
def sign_off_create(request, pk):
    case = _case(request, pk)
    form = SignOffForm(request.POST, request.FILES, case=case)
    if form.is_valid():
        data = form.cleaned_data
        try:
            record = sign_off(case, data["day"], data["member"], by=request.user, photo=data["photo"],
                              now=timezone.now(), note=data["note"])
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("%(name)s 已签字确认。") % {
                "name": record.member.name if record.member else str(request.user)})
            return redirect("control:followup_case", pk=case.pk)
    for field, errors in form.errors.items():
        for error in errors:
            messages.error(request, error)
    return redirect("control:followup_case", pk=case.pk)


@login_required
@permission_required(VIEW, raise_exception=True)
def missing(request):
    day = _day(request)
    return render(request, "control/followup_missing.html",
                  {"day": day, "rows": missing_sign_offs(day, request.user)})


def self_report_url(request, case):
    return request.build_absolute_uri(reverse("selfreport", args=[case.self_report_token]))


@login_required
# The link lets whoever holds it report as the person: only the follow-up team prints it.
@permission_required("control.add_followupentry", raise_exception=True)
def qr_svg(request, pk):
    case = _case(request, pk)
    buffer = io.BytesIO()
    segno.make(self_report_url(request, case), error="m").save(buffer, kind="svg", scale=6, border=2,
                                                               xmldecl=False)
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
# The link lets whoever holds it report as the person: only the follow-up team prints it.
@permission_required("control.add_followupentry", raise_exception=True)
def card(request, pk):
    """A card to print and hand to the person: the QR code of their own link."""
    case = _case(request, pk)
    url = self_report_url(request, case)
    qr = segno.make(url, error="m").svg_inline(scale=6, border=2)
    team = list(case.team.all())
    masked = not request.user.sees_identity()
    for member in team:  # team phones masked as on the case page for roles that may not see numbers
        member.shown_phone = mask_phone(member.phone) if masked else member.phone
    context = {"case": case, "url": url, "qr": qr, "team": team, "phases": case.phases.all(),
               "can_change": request.user.has_perm("control.change_controlcase"),
               "active": case.status in ACTIVE_STATUSES}
    response = render(request, "control/followup_card.html", context)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@permission_required("control.change_controlcase", raise_exception=True)
@require_POST
def regenerate_token(request, pk):
    """A new link: the old one stops working at once (e.g. a lost card)."""
    case = _case(request, pk)
    ControlCase.objects.filter(pk=case.pk).update(self_report_token=new_token())
    messages.success(request, _("已重新生成 %(name)s 的本人填报链接，原链接和二维码已失效。") % {"name": case.person.name})
    return redirect("control:followup_card", pk=case.pk)


def _serve(field_file):
    if not field_file:
        raise Http404
    try:
        handle = field_file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type="image/png" if field_file.name.endswith(".png") else "image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@permission_required(VIEW, raise_exception=True)
def entry_photo(request, pk):
    entry = get_object_or_404(FollowUpEntry.objects.restrict(request.user), pk=pk)
    return _serve(entry.photo)


@login_required
@permission_required(VIEW, raise_exception=True)
def sign_off_photo(request, pk):
    record = get_object_or_404(sign_offs_for(request.user), pk=pk)
    return _serve(record.photo)

