"""The personal self-report link (本人填报), reached by the QR code on the card the team hands
out: no login, the unguessable token in the address is the key.

The page shows nothing but that person's own plan (phases, test dates, release day), today's
follow-up windows and a two-field form; never another person, an ID number or a phone number.
It stops working (410) when the case is no longer under control, and a regenerated token
makes the old address unknown (404). Light rate limit per token (Django cache)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_protect

from fangkong.lib.ratelimit import over_limit

from .forms_followup import SelfReportForm
from .models import ACTIVE_STATUSES, ControlCase, FollowUpSlot, Method
from .services.followup import record_entry

# At most this many reports, and this many page views, per token in the window.
POST_LIMIT = 6
VIEW_LIMIT = 60
WINDOW_SECONDS = 10 * 60


def _over_limit(token, action, limit):
    return over_limit(f"selfreport:{action}:{token[:24]}", limit, WINDOW_SECONDS)


def masked_name(name):
    """张三丰 → 张**: enough for the person to recognise their own card, no more."""
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def _private(response):
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _closed(request, message, status):
    return _private(render(request, "control/selfreport_closed.html", {"message": message}, status=status))


@csrf_protect
def self_report(request, token):
    case = ControlCase.objects.select_related("person").filter(self_report_token=token).first()
    if case is None:
        raise Http404
    if case.status not in ACTIVE_STATUSES:
        return _closed(request, _("您的健康监测已结束（%(status)s），此链接已失效。如有疑问请联系包保责任人。") % {
            "status": case.get_status_display()}, 410)
    posting = request.method == "POST"
    if _over_limit(token, "post" if posting else "view", POST_LIMIT if posting else VIEW_LIMIT):
        return _closed(request, _("操作过于频繁，请10分钟后再试。"), 429)
    form = SelfReportForm(request.POST if posting else None)
    if posting and form.is_valid():
        try:
            entry = record_entry(case, temperature=form.cleaned_data["temperature"],
                                 symptoms=form.cleaned_data["symptoms"], method=Method.SELF_REPORT,
                                 now=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            if entry.abnormal:
                messages.warning(request, _("已提交。您的体温或症状异常，包保责任人会尽快与您联系，请留在家中，不要自行外出就医。"))
            else:
                messages.success(request, _("已提交，谢谢！"))
            return redirect("selfreport", token=token)
    today = timezone.localdate()
    context = {
        "name": masked_name(case.person.name),
        "category": case.get_category_display(),
        "release_on": case.release_on,
        "phases": case.phases.all(),
        "tests": case.tests.all(),
        "slots": FollowUpSlot.objects.filter(case=case, day=today).order_by("starts_at"),
        "today": today,
        "form": form,
    }
    return _private(render(request, "control/selfreport_form.html", context, status=400 if form.errors else 200))
