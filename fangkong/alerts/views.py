"""The alert pages: the inbox (open first, unacknowledged first, newest first), an alert with
its trail (raised where, escalated when to whom, delivered to whom), acknowledging and
resolving, the badge the navigation polls, and the rules as data."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.orgs.jurisdiction import ancestor_paths, jurisdiction_paths, path_filter

from .forms import AlertFilterForm, AlertRuleForm, NoteForm
from .models import IN_APP, INBOX_ORDER, Alert, AlertKind, AlertRule, Delivery
from .services import acknowledge, default_rule, mark_read, resolve

PAGE_SIZE = 30


def _unread(user):
    return Exists(Delivery.objects.filter(alert=OuterRef("pk"), user=user, channel=IN_APP, read_at__isnull=True))


def _visible(request):
    return Alert.objects.visible_to(request.user)


def _is_htmx(request):
    return "HX-Request" in request.headers and "HX-History-Restore-Request" not in request.headers


@login_required
@permission_required("alerts.view_alert", raise_exception=True)
def inbox(request):
    form = AlertFilterForm(request.GET or None)
    scope = form.cleaned_data.get("scope") if form.is_valid() else ""
    if scope == "area":
        alerts = Alert.objects.restrict(request.user).order_by(*INBOX_ORDER)
    else:
        alerts = Alert.objects.inbox(request.user)
    alerts = form.apply(alerts).select_related("unit", "origin_unit", "acknowledged_by").annotate(
        unread=_unread(request.user))
    page = Paginator(alerts, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "scope": scope or "mine", "can_handle": request.user.has_perm(
        "alerts.change_alert")}
    template = "alerts/_results.html" if _is_htmx(request) else "alerts/inbox.html"
    return render(request, template, context)


@login_required
@permission_required("alerts.view_alert", raise_exception=True)
def detail(request, pk):
    alert = get_object_or_404(_visible(request).select_related(
        "unit", "origin_unit", "acknowledged_by", "resolved_by", "subject_type"), pk=pk)
    mark_read(alert, request.user, timezone.now())
    steps = list(alert.steps.select_related("unit"))
    deliveries = list(alert.deliveries.select_related("user").order_by("level", "sent_at", "user_id", "channel"))
    for step in steps:
        step.deliveries = [d for d in deliveries if d.level == step.level]
    context = {
        "alert": alert,
        "steps": steps,
        "subject_url": alert.subject_url(),
        "recipients": list(alert.recipients.all()),
        "can_handle": request.user.has_perm("alerts.change_alert"),
        "note_form": NoteForm(),
    }
    return render(request, "alerts/detail.html", context)


def _back(request, alert):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("alerts:detail", pk=alert.pk)


@login_required
@require_POST
@permission_required("alerts.change_alert", raise_exception=True)
def acknowledge_view(request, pk):
    alert = get_object_or_404(_visible(request), pk=pk)
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    if acknowledge(alert, request.user, timezone.now(), note=note):
        messages.success(request, _("已确认预警“%(title)s”。") % {"title": alert.title})
    else:
        messages.info(request, _("该预警已被确认或已解除。"))
    return _back(request, alert)


@login_required
@require_POST
@permission_required("alerts.change_alert", raise_exception=True)
def resolve_view(request, pk):
    alert = get_object_or_404(_visible(request), pk=pk)
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    if resolve(alert, request.user, timezone.now(), note=note):
        messages.success(request, _("已解除预警“%(title)s”。") % {"title": alert.title})
    else:
        messages.info(request, _("该预警已解除。"))
    return _back(request, alert)


def badge_count(user):
    """Open alerts of the user's inbox that are unacknowledged or not yet read by them."""
    return (
        Alert.objects.inbox(user).order_by().filter(resolved_at__isnull=True)
        .annotate(unread=_unread(user)).filter(Q(acknowledged_at__isnull=True) | Q(unread=True)).count()
    )


@login_required
def badge(request):
    """A fragment for the navigation (htmx polls it): the count, or nothing when it is zero."""
    count = badge_count(request.user) if request.user.has_perm("alerts.view_alert") else 0
    return render(request, "alerts/_badge.html", {"count": count})


def _visible_rules(user):
    rules = AlertRule.objects.select_related("unit")
    paths = jurisdiction_paths(user)
    if paths is None:
        return rules
    above = {a for p in paths for a in ancestor_paths(p)}
    condition = Q(unit__isnull=True) | Q(unit__path__in=above)
    if paths:
        condition |= path_filter("unit__path", paths)
    return rules.filter(condition)


def _may_change(user, rule):
    """A rule can be changed by a user whose jurisdiction holds its unit (a rule for all units:
    by a superuser); the rules of the units above are shown, not changed."""
    paths = jurisdiction_paths(user)
    if paths is None:
        return True
    return rule.unit_id is not None and any(rule.unit.path.startswith(p) for p in paths)


@login_required
@permission_required("alerts.view_alert", raise_exception=True)
def rule_list(request):
    stored = list(_visible_rules(request.user).order_by("kind", "unit__path", "effective_from", "id"))
    can_change = request.user.has_perm("alerts.change_alertrule")
    for rule in stored:
        rule.editable = can_change and _may_change(request.user, rule)
    kinds = []
    for value, label in AlertKind.choices:
        kinds.append({"kind": value, "label": label, "default": default_rule(value),
                      "rules": [rule for rule in stored if rule.kind == value]})
    context = {"kinds": kinds,
               "can_add": request.user.has_perm("alerts.add_alertrule")}
    return render(request, "alerts/rule_list.html", context)


@login_required
def rule_edit(request, pk=None):
    if pk is None:
        if not request.user.has_perm("alerts.add_alertrule"):
            raise PermissionDenied
        rule = AlertRule(kind=request.GET.get("kind") or AlertKind.OTHER)
        if rule.kind in dict(AlertKind.choices):
            defaults = default_rule(rule.kind)
            rule.ack_minutes, rule.max_level = defaults.ack_minutes, defaults.max_level
            rule.severity = defaults.severity
            rule.params = defaults.params
    else:
        if not request.user.has_perm("alerts.change_alertrule"):
            raise PermissionDenied
        rule = get_object_or_404(_visible_rules(request.user), pk=pk)
        if not _may_change(request.user, rule):
            raise PermissionDenied
    form = AlertRuleForm(request.POST or None, instance=rule, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("预警规则已保存。"))
        return redirect("alerts:rule_list")
    return render(request, "alerts/rule_form.html", {"form": form, "rule": rule})
