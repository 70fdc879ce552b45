"""Pages of control cases (一人一档 for key persons): the list, opening a case (directly or from a
lead), the case file with its plan, tests, follow-up, team, transfers and history, and the
actions on it (extend/shorten, release, close, hand over, accept/decline, regimen change).

Every case goes through `ControlCase.objects.restrict(user)`: outside the jurisdiction is 404.
A unit that received a transfer sees it in its pending list and accepts or declines it there;
the case itself becomes visible to it once accepted."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.lib.history import history_entries
from fangkong.lib.masking import mask_phone
from fangkong.people.models import Person
from fangkong.people.services.search import search_persons
from fangkong.web.views import paginate, render_list

from .forms_cases import (
    CaseFilterForm, CaseOpenForm, CloseForm, PhaseChangeForm, ReasonForm, RegimenChangeForm, ReleaseForm, TeamFormSet,
    TestRecordForm, TransferForm, team_initial,
)
from .models import ACTIVE_STATUSES, CaseTest, ControlCase, FollowUpEntry, Measure, PhaseChange
from .regimens.describe import describe_rule
from .services import cases as case_services
from .services import regimen_change as regimen_changes
from .services import transfers

PERSON_RESULTS = 20


def _cases(user):
    return ControlCase.objects.restrict(user)


def _case(request, pk):
    return get_object_or_404(
        _cases(request.user).select_related("person", "unit", "regimen", "site", "room", "lead", "opened_by"), pk=pk
    )


def _service_error(request, error):
    for message in error.messages:
        messages.error(request, message)


def _now():
    return timezone.now()


@login_required
@permission_required("control.view_controlcase", raise_exception=True)
def case_list(request):
    user = request.user
    form = CaseFilterForm(request.GET, user=user)
    cases = form.filter(_cases(user)).select_related("person", "unit", "regimen").order_by("-opened_at", "-pk")
    context = {
        "form": form,
        "page": paginate(request, cases),
        "incoming": transfers.incoming_for(user).select_related("case__person", "from_unit", "to_unit"),
        "outgoing": transfers.pending_transfers().filter(case__in=_cases(user).values("pk"))
        .exclude(pk__in=transfers.incoming_for(user).values("pk"))
        .select_related("case__person", "from_unit", "to_unit"),
    }
    return render_list(request, "control/case_list.html", "control/case_list_results.html", context)


def _open_initial(request):
    """Initial values from ?lead=ID (a lead in the jurisdiction) or ?person=ID."""
    initial, lead = {}, None
    lead_id = request.GET.get("lead") or request.POST.get("lead")
    if lead_id:
        from fangkong.leads.models import Lead

        lead = get_object_or_404(Lead.objects.restrict(request.user), pk=lead_id)
        anchor = lead.last_exposure_on or lead.departed_on or lead.arrived_on
        initial.update({
            "person": lead.person_id, "category": lead.category or None, "anchor_date": anchor,
            "arrival_date": lead.arrived_on,
        })
    person_id = request.GET.get("person")
    if person_id:
        initial["person"] = get_object_or_404(Person.objects.restrict(request.user), pk=person_id).pk
    return {k: v for k, v in initial.items() if v}, lead


def _team_roles(form, user):
    """The team roles of the rule the form would use (empty when it cannot be worked out)."""
    data = form.cleaned_data if form.is_bound and hasattr(form, "cleaned_data") else form.initial
    category, anchor = data.get("category"), data.get("anchor_date")
    if not category or not anchor:
        return (), None
    person = data.get("person")
    if isinstance(person, int):
        person = Person.objects.restrict(user).filter(pk=person).first()
    try:
        regimen, rule = case_services.resolve_regimen(category, anchor, person.unit if person else None,
                                                      data.get("regimen"))
        plan = case_services.plan_for(rule, anchor, data.get("arrival_date"))
    except ValidationError:
        return (), None
    phases = [(Measure(p.measure).label, p.first_day, p.last_day) for p in plan.phases]
    return plan.team_roles, {"regimen": regimen, "plan": plan, "phases": phases}


@login_required
@permission_required("control.add_controlcase", raise_exception=True)
def case_open(request):
    user = request.user
    initial, lead = _open_initial(request)
    preview = None
    if request.method == "POST":
        form = CaseOpenForm(request.POST, user=user)
        team = TeamFormSet(request.POST, prefix="team")
        valid = form.is_valid() and team.is_valid()
        if valid:
            roles, preview = _team_roles(form, user)
        if valid and request.POST.get("action") != "preview":
            data = form.cleaned_data
            members = [(m["role"], m["name"], m["phone"], None) for m in team.cleaned_data if m.get("name")]
            try:
                case = case_services.open_case(
                    data["person"], data["category"], anchor_date=data["anchor_date"],
                    arrival_date=data["arrival_date"], regimen=data["regimen"], lead=lead,
                    place=data["place"], site=data["site"], team=members, by=user, now=_now(), note=data["note"],
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                if lead is not None:
                    _dispose_lead(request, lead, case)
                messages.success(request, _("已为%(name)s建档管控。") % {"name": case.person.name})
                return redirect("control:case_detail", case.pk)
        if valid and request.POST.get("action") == "preview" and not any(m.get("name") for m in team.cleaned_data):
            # Fill the team rows with the roles of the regimen's team (五包一 …).
            team = TeamFormSet(prefix="team", initial=team_initial(roles))
    else:
        form = CaseOpenForm(initial=initial, user=user)
        roles, preview = (), None
        if initial.get("category") and initial.get("anchor_date"):
            roles, preview = _team_roles(form, user)
        team = TeamFormSet(prefix="team", initial=team_initial(roles))
    person = None
    person_value = form["person"].value()
    if person_value:
        person = Person.objects.restrict(user).select_related("unit").filter(pk=person_value).first()
    persons = None
    text = request.GET.get("q", "").strip()
    if text:
        persons = _person_results(request.user, text)
    context = {"form": form, "team": team, "lead": lead, "person": person, "preview": preview, "persons": persons,
               "q": text}
    return render(request, "control/case_open.html", context)


def _dispose_lead(request, lead, case):
    """Opening a case from an open lead disposes of the lead (outcome: control case opened)."""
    from fangkong.leads.services.workflow import dispose_lead

    if lead.status == "disposed":
        return
    try:
        dispose_lead(lead, "case_opened", request.user, case.opened_at, case=case,
                     note=_("已建档管控（档案%(pk)s）") % {"pk": case.pk})
    except (ValidationError, PermissionDenied):
        messages.warning(request, _("请到线索页登记该线索的处置结果。"))


def _person_results(user, text):
    persons = search_persons(Person.objects.restrict(user), text).select_related("unit")
    return list(persons.order_by("name", "pk")[:PERSON_RESULTS])


@login_required
@permission_required("control.add_controlcase", raise_exception=True)
def case_person_search(request):
    """Persons within the jurisdiction for the open-case form (an htmx fragment)."""
    text = request.GET.get("q", "").strip()
    persons = _person_results(request.user, text) if text else []
    return render(request, "control/case_person_results.html", {"persons": persons, "q": text})


@login_required
@permission_required("control.view_controlcase", raise_exception=True)
def case_detail(request, pk):
    user = request.user
    case = _case(request, pk)
    today = timezone.localdate()
    phases = list(case.phases.order_by("index").prefetch_related(
        Prefetch("changes", queryset=PhaseChange.objects.select_related("changed_by"))))
    try:
        plan = case_services.case_plan(case)
    except ValidationError:
        plan = None
    context = {
        "case": case,
        "today": today,
        "phases": phases,
        "plan": plan,
        "rule_words": _rule_words(case),
        "tests": case.tests.select_related("recorded_by").order_by("due_on", "id"),
        "slots_today": case.slots.filter(day=today).order_by("starts_at"),
        "entries": FollowUpEntry.objects.filter(case=case).select_related("recorder")[:10],
        "team": _team(case, user),
        "transfers": case.transfers.select_related("from_unit", "to_unit", "requested_by", "accepted_by"),
        "pending_transfer": transfers.pending_transfers().filter(case=case).select_related("to_unit").first(),
        "history": history_entries(case, user),
        "active": case.status in ACTIVE_STATUSES,
        "release": case_services.release_check(case, timezone.now()) if case.status in ACTIVE_STATUSES else None,
        "phase_form": PhaseChangeForm(case=case),
        "release_form": ReleaseForm(),
        "close_form": CloseForm(),
        "result_form": TestRecordForm(),
    }
    return render(request, "control/case_detail.html", context)


def _team(case, user):
    """The case's team, each member's phone as `shown_phone` (masked for roles that may not see it)."""
    team = list(case.team.all())
    sees = user.sees_identity()
    for member in team:
        member.shown_phone = member.phone if sees else mask_phone(member.phone)
    return team


def _rule_words(case):
    """The rule of the case in words (a list of short sentences)."""
    try:
        return describe_rule(case.rule or {})
    except (KeyError, TypeError, ValueError):
        return []


def _post_case(request, pk, permission):
    if not request.user.has_perm(permission):
        raise PermissionDenied
    return _case(request, pk)


@login_required
@require_POST
def case_phase_change(request, pk):
    case = _post_case(request, pk, "control.change_controlcase")
    form = PhaseChangeForm(request.POST, case=case)
    if form.is_valid():
        data = form.cleaned_data
        try:
            case_services.change_phase(case, data["phase"], data["new_last_day"], data["reason"], request.user,
                                       _now())
        except ValidationError as error:
            _service_error(request, error)
        else:
            messages.success(request, _("已调整管控期。"))
    else:
        _form_errors(request, form)
    return redirect("control:case_detail", case.pk)


def _form_errors(request, form):
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}：{error}" if label else error)


@login_required
@require_POST
def case_release(request, pk):
    case = _post_case(request, pk, "control.release_controlcase")
    form = ReleaseForm(request.POST)
    form.is_valid()
    try:
        case_services.release_case(case, request.user, _now(), note=form.cleaned_data.get("note", ""))
    except ValidationError as error:
        _service_error(request, error)
    else:
        messages.success(request, _("已解除管控。"))
    return redirect("control:case_detail", case.pk)


@login_required
@require_POST
def case_close(request, pk):
    case = _post_case(request, pk, "control.change_controlcase")
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            case_services.close_case(case, form.cleaned_data["status"], request.user, _now(),
                                     form.cleaned_data["note"])
        except ValidationError as error:
            _service_error(request, error)
        else:
            messages.success(request, _("已结案。"))
    else:
        _form_errors(request, form)
    return redirect("control:case_detail", case.pk)


@login_required
@require_POST
def case_test_record(request, pk, test_pk):
    case = _post_case(request, pk, "control.change_controlcase")
    test = get_object_or_404(CaseTest, case=case, pk=test_pk)
    form = TestRecordForm(request.POST)
    if form.is_valid():
        try:
            case_services.record_test(test, form.cleaned_data["result"], request.user, _now())
        except ValidationError as error:
            _service_error(request, error)
        else:
            messages.success(request, _("已登记检测结果。"))
    else:
        _form_errors(request, form)
    return redirect("control:case_detail", case.pk)


@login_required
@permission_required("control.change_controlcase", raise_exception=True)
def case_transfer(request, pk):
    case = _case(request, pk)
    form = TransferForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            transfers.transfer_case(case, to_unit=data["to_unit"], to_area=data["to_area"], reason=data["reason"],
                                    by=request.user, now=_now())
        except ValidationError as error:
            form.add_error(None, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("已发起移交，待接收方确认。"))
            return redirect("control:case_detail", case.pk)
    return render(request, "control/case_transfer.html", {"case": case, "form": form})


def _incoming(request, pk):
    return get_object_or_404(transfers.incoming_for(request.user).select_related("case__person", "to_unit"), pk=pk)


@login_required
@permission_required("control.change_controlcase", raise_exception=True)
@require_POST
def transfer_accept(request, pk):
    transfer = _incoming(request, pk)
    try:
        transfers.accept_transfer(transfer, request.user, _now())
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, "".join(getattr(error, "messages", [str(error)])))
        return redirect("control:case_list")
    messages.success(request, _("已接收%(name)s的管控档案。") % {"name": transfer.case.person.name})
    return redirect("control:case_detail", transfer.case_id)


@login_required
@permission_required("control.change_controlcase", raise_exception=True)
@require_POST
def transfer_decline(request, pk):
    transfer = _incoming(request, pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("退回须填写原因。"))
        return redirect("control:case_list")
    try:
        transfers.decline_transfer(transfer, request.user, _now(), form.cleaned_data["reason"])
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, "".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(request, _("已退回移交。"))
    return redirect("control:case_list")


@login_required
@permission_required("control.change_controlcase", raise_exception=True)
@require_POST
def transfer_confirm(request, pk):
    """The sender confirms a case handed to an area outside the system was taken over."""
    transfer = get_object_or_404(
        transfers.pending_transfers().filter(case__in=_cases(request.user).values("pk"), to_unit__isnull=True), pk=pk
    )
    try:
        transfers.confirm_handover(transfer, request.user, _now(), note=request.POST.get("note", ""))
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, "".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(request, _("已确认移交外地，档案已结案。"))
    return redirect("control:case_detail", transfer.case_id)


@login_required
@permission_required("control.change_regimenversion_cases", raise_exception=True)
def regimen_change(request):
    """Pick a regimen version → preview every affected case old vs new → apply the chosen."""
    form = RegimenChangeForm(request.POST or request.GET or None)
    rows = None
    if form.is_bound and form.is_valid():
        regimen = form.cleaned_data["regimen"]
        if request.method == "POST":
            ids = [int(pk) for pk in request.POST.getlist("case") if pk.isdigit()]
            if not ids:
                messages.error(request, _("请勾选要调整的管控对象。"))
            else:
                changed = regimen_changes.apply_regimen_change(regimen, ids, request.user, _now())
                messages.success(request, _("已按新方案调整%(count)d个管控对象。") % {"count": len(changed)})
                return redirect(f"{request.path}?regimen={regimen.pk}")
        rows = regimen_changes.preview_regimen_change(regimen, _cases(request.user))
    return render(request, "control/case_regimen_change.html", {"form": form, "rows": rows})

