"""Isolation site pages (phone-friendly): the sites of the jurisdiction with occupancy and the
room reserve, a site's rooms (who is in which room), adding rooms in bulk, check-in and
check-out. Sites come from `Unit.objects.restrict`, rooms and stays from their own
`restrict`: a site outside the jurisdiction is 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.orgs.models import Unit, UnitType

from .forms import AddRoomsForm, CheckInForm
from .models import Room, Stay
from .services import add_rooms, check_in, check_out, occupancy, reserve, served_area


def _sites(user):
    return Unit.objects.restrict(user).filter(type=UnitType.ISOLATION_SITE)


def _site(request, pk):
    return get_object_or_404(_sites(request.user), pk=pk)


@login_required
@permission_required("sites.view_room", raise_exception=True)
def site_list(request):
    sites = list(_sites(request.user).order_by("path"))
    figures = occupancy(sites)
    today = timezone.localdate()
    areas = {}
    rows = []
    for site in sites:
        area = served_area(site)
        if area is not None and area.pk not in areas:
            areas[area.pk] = reserve(area, today)
        rows.append({"site": site, "occupancy": figures[site.pk], "reserve": areas.get(area.pk) if area else None})
    return render(request, "sites/site_list.html", {"rows": rows, "reserves": list(areas.values())})


def _detail_context(request, site, check_in_form=None, rooms_form=None):
    rooms = list(Room.objects.restrict(request.user).filter(site=site).order_by("number"))
    stays = (
        Stay.objects.restrict(request.user).filter(room__site=site, checked_out_at__isnull=True)
        .select_related("case__person", "room").order_by("checked_in_at")
    )
    by_room = {}
    for stay in stays:
        by_room.setdefault(stay.room_id, []).append(stay)
    for room in rooms:
        room.open_stays = by_room.get(room.pk, [])
        room.free_beds = max(room.beds - len(room.open_stays), 0)
    query = request.GET.get("q", "").strip()
    user = request.user
    return {
        "site": site,
        "rooms": rooms,
        "occupancy": occupancy([site])[site.pk],
        "reserve": reserve(area, timezone.localdate()) if (area := served_area(site)) else None,
        "query": query,
        "check_in_form": check_in_form or (CheckInForm(site=site, user=user, query=query)
                                           if user.has_perm("sites.add_stay") else None),
        "rooms_form": rooms_form or (AddRoomsForm() if user.has_perm("sites.add_room") else None),
        "can_check_out": user.has_perm("sites.change_stay"),
        "recent": Stay.objects.restrict(user).filter(room__site=site, checked_out_at__isnull=False)
        .select_related("case__person", "room").order_by("-checked_out_at")[:20],
    }


@login_required
@permission_required("sites.view_room", raise_exception=True)
def site_detail(request, pk):
    site = _site(request, pk)
    return render(request, "sites/site_detail.html", _detail_context(request, site))


@login_required
@require_POST
@permission_required("sites.add_room", raise_exception=True)
def rooms_add(request, pk):
    site = _site(request, pk)
    form = AddRoomsForm(request.POST)
    if form.is_valid():
        try:
            created, skipped = add_rooms(site, form.cleaned_data["numbers"], form.cleaned_data["beds"])
        except ValidationError as error:
            form.add_error("numbers", error)
        else:
            messages.success(request, _("已添加%(n)d间房。") % {"n": len(created)})
            if skipped:
                messages.info(request, _("已有的房间未重复添加：%(numbers)s") % {"numbers": "、".join(skipped)})
            return redirect("sites:detail", pk=site.pk)
    return render(request, "sites/site_detail.html", _detail_context(request, site, rooms_form=form), status=400)


@login_required
@require_POST
@permission_required("sites.add_stay", raise_exception=True)
def check_in_view(request, pk):
    site = _site(request, pk)
    form = CheckInForm(request.POST, site=site, user=request.user)
    if form.is_valid():
        case = form.cleaned_data["case"]
        try:
            stay = check_in(case, form.cleaned_data["room"], by=request.user, now=timezone.now())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("%(name)s已入住%(room)s房间。") % {"name": case.person.name,
                                                                      "room": stay.room.number})
            return redirect("sites:detail", pk=site.pk)
    return render(request, "sites/site_detail.html", _detail_context(request, site, check_in_form=form), status=400)


@login_required
@require_POST
@permission_required("sites.change_stay", raise_exception=True)
def check_out_view(request, pk):
    stay = get_object_or_404(Stay.objects.restrict(request.user).select_related("room__site", "case__person"), pk=pk)
    try:
        check_out(stay, by=request.user, now=timezone.now())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(name)s已离开隔离点。") % {"name": stay.case.person.name})
    return redirect("sites:detail", pk=stay.room.site_id)
