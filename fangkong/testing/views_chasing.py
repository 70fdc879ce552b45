"""Pages of chasing positive or abnormal tubes (阳性管追踪): the list of chases a user may see
(the point or a member in their jurisdiction), with located/total and the time left, and one
chase with its members, their leads, retest orders and the time each took to be found."""

from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from fangkong.web.views import paginate, render_list

from .services.chasing import is_single, member_details, visible_chases


def _chases(user):
    return visible_chases(user).select_related("tube__point__unit", "tube__round").annotate(
        total=Count("members"), located=Count("members", filter=Q(members__located_at__isnull=False)),
    )


def _minutes(delta):
    return int(delta.total_seconds() // 60)


def _timing(chase, now):
    chase.overdue = chase.completed_at is None and chase.due_at <= now
    chase.minutes_left = _minutes(chase.due_at - now) if chase.completed_at is None else None
    chase.minutes_over = _minutes(now - chase.due_at) if chase.overdue else None
    return chase


@login_required
@permission_required("testing.view_chase", raise_exception=True)
def chase_list(request):
    now = timezone.now()
    state = request.GET.get("state", "")
    chases = _chases(request.user)
    if state == "open":
        chases = chases.filter(completed_at__isnull=True)
    elif state == "overdue":
        chases = chases.filter(completed_at__isnull=True, due_at__lte=now)
    page = paginate(request, chases.order_by("completed_at", "-started_at", "-pk"))
    for chase in page.object_list:
        _timing(chase, now)
    return render_list(request, "testing/chase_list.html", "testing/chase_list_results.html",
                       {"page": page, "state": state, "now": now})


@login_required
@permission_required("testing.view_chase", raise_exception=True)
def chase_detail(request, pk):
    now = timezone.now()
    chase = _timing(get_object_or_404(_chases(request.user), pk=pk), now)
    result_at = chase.tube.result_at or chase.started_at
    context = {
        "chase": chase, "members": member_details(chase, request.user), "single": is_single(chase.tube),
        "deadline_minutes": _minutes(chase.due_at - result_at),
    }
    return render(request, "testing/chase_detail.html", context)
