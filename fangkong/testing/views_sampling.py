"""Pages of rounds and sampling: the rounds a user takes part in, a round with its points and
their tube and sample counts, and the phone-friendly scanning page of a tube (a handheld
scanner types into the box and presses Enter; htmx posts the code and the member list is
redrawn). Rounds come from `rounds_for(user)`, points and tubes from their `restrict`: a tube
at a point outside the jurisdiction is 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.web.views import is_htmx

from .forms_sampling import OpenTubeForm, PointForm, RoundForm, ScanForm
from .models import Sample, SamplingPoint, Tube, TubeStatus
from .services.rounds import add_point, create_round, rounds_for
from .services.sampling import close_tube, open_tube, scan


def _points(user, testing_round):
    return (
        SamplingPoint.objects.restrict(user).filter(round=testing_round).select_related("unit")
        .annotate(tube_count=Count("tubes"),
                  open_tubes=Count("tubes", filter=Q(tubes__status=TubeStatus.OPEN)),
                  samples=Sum("tubes__size"))
        .order_by("unit__path")
    )


@login_required
@permission_required("testing.view_testinground", raise_exception=True)
def round_list(request):
    rounds = rounds_for(request.user).select_related("owner_unit").annotate(point_count=Count("points"))
    form = None
    if request.user.has_perm("testing.add_testinground"):
        form = RoundForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                created = create_round(data["owner_unit"], data["name"], data["scope"], data["starts_on"],
                                       data["ends_on"], data["target"], form.pool_sizes(), request.user)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("已新建检测轮次“%(name)s”。") % {"name": created.name})
                return redirect("testing:round", pk=created.pk)
    elif request.method == "POST":
        raise PermissionDenied
    status = 400 if request.method == "POST" else 200
    return render(request, "testing/round_list.html", {"rounds": rounds.order_by("-starts_on", "-id"),
                                                       "form": form}, status=status)


def _round(request, pk):
    return get_object_or_404(rounds_for(request.user).select_related("owner_unit"), pk=pk)


def _round_context(request, testing_round, point_form=None, tube_form=None):
    user = request.user
    points = list(_points(user, testing_round))
    return {
        "round": testing_round,
        "scope": testing_round.scope.order_by("path"),
        "points": points,
        "totals": {"tubes": sum(p.tube_count for p in points), "samples": sum(p.samples or 0 for p in points)},
        "pool_sizes": {kind: testing_round.pool_size(kind) for kind in ("default", "medium_risk", "controlled")},
        "point_form": point_form or (PointForm(user=user, round=testing_round)
                                     if user.has_perm("testing.add_samplingpoint") else None),
        "tube_form": tube_form or (OpenTubeForm(points=SamplingPoint.objects.restrict(user)
                                                .filter(round=testing_round).select_related("unit"))
                                   if user.has_perm("testing.add_tube") else None),
    }


@login_required
@permission_required("testing.view_testinground", raise_exception=True)
def round_detail(request, pk):
    testing_round = _round(request, pk)
    return render(request, "testing/round_detail.html", _round_context(request, testing_round))


@login_required
@require_POST
@permission_required("testing.add_samplingpoint", raise_exception=True)
def point_add(request, pk):
    testing_round = _round(request, pk)
    form = PointForm(request.POST, user=request.user, round=testing_round)
    if form.is_valid():
        data = form.cleaned_data
        try:
            point = add_point(testing_round, data["unit"], data["opens_at"], data["closes_at"], data["staff"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("已添加采样点“%(name)s”。") % {"name": point.unit.name})
            return redirect("testing:round", pk=testing_round.pk)
    return render(request, "testing/round_detail.html", _round_context(request, testing_round, point_form=form),
                  status=400)


@login_required
@require_POST
@permission_required("testing.add_tube", raise_exception=True)
def tube_open(request, pk):
    testing_round = _round(request, pk)
    points = SamplingPoint.objects.restrict(request.user).filter(round=testing_round).select_related("unit")
    form = OpenTubeForm(request.POST, points=points)
    if form.is_valid():
        data = form.cleaned_data
        try:
            tube = open_tube(testing_round, data["point"], data["barcode"], request.user, timezone.now(),
                             capacity=data["capacity"])
        except ValidationError as error:
            form.add_error("barcode", error)
        else:
            return redirect("testing:scan", barcode=tube.barcode)
    return render(request, "testing/round_detail.html", _round_context(request, testing_round, tube_form=form),
                  status=400)


def _tube(request, barcode):
    return get_object_or_404(Tube.objects.restrict(request.user).select_related("round", "point__unit"),
                             barcode=barcode)


def _scan_context(request, tube, form=None, results=None):
    members = Sample.objects.filter(tube=tube).select_related("person").order_by("-scanned_at", "-id")
    user = request.user
    return {
        "tube": tube,
        "members": members,
        "form": form or ScanForm(user=user),
        "results": results or [],
        "can_scan": user.has_perm("testing.add_sample"),
        "can_close": user.has_perm("testing.change_tube"),
        "can_open": user.has_perm("testing.add_tube"),
    }


@login_required
@permission_required("testing.view_tube", raise_exception=True)
def scan_page(request, barcode):
    tube = _tube(request, barcode)
    if request.method != "POST":
        return render(request, "testing/scan.html", _scan_context(request, tube))
    if not request.user.has_perm("testing.add_sample"):
        raise PermissionDenied
    form = ScanForm(request.POST, user=request.user)
    results = []
    status = 200
    if form.is_valid():
        outcome = scan(tube, form.codes(), request.user, timezone.now(), unit=form.cleaned_data["unit"])
        tube, results = outcome.tube, outcome.results
        form = ScanForm(user=request.user, initial={"unit": request.POST.get("unit", "")})
    else:
        status = 400
    context = _scan_context(request, tube, form=form, results=results)
    template = "testing/scan_part.html" if is_htmx(request) else "testing/scan.html"
    return render(request, template, context, status=status)


@login_required
@require_POST
@permission_required("testing.change_tube", raise_exception=True)
def scan_close(request, barcode):
    tube = _tube(request, barcode)
    try:
        close_tube(tube, request.user, timezone.now())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("试管“%(barcode)s”已封管。") % {"barcode": tube.barcode})
    return redirect("testing:scan", barcode=tube.barcode)


@login_required
@require_POST
@permission_required("testing.add_tube", raise_exception=True)
def scan_next(request, barcode):
    """Open the next tube at the same point, from the scanning page."""
    tube = _tube(request, barcode)
    try:
        new = open_tube(tube.round, tube.point, request.POST.get("barcode", ""), request.user, timezone.now())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("testing:scan", barcode=tube.barcode)
    return redirect("testing:scan", barcode=new.barcode)
