from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from fangkong.control.models import ACTIVE_STATUSES, ControlCase, PlaceKind
from fangkong.sites.models import Room, Stay


def check_in(case, room, by=None, now=None):
    """入住: the case moves into the room (its place becomes the site). Refused when the room is
    out of use or all its beds are taken, when the case is not under control, or when it
    already has an open stay somewhere. The room row is locked for the count, so two check-ins
    cannot take the last bed together."""
    if case.status not in ACTIVE_STATUSES:
        raise ValidationError(_("该管控对象不在管控中，不能入住。"))
    try:
        with transaction.atomic():
            room = Room.objects.select_for_update().select_related("site").get(pk=room.pk)
            if not room.is_active:
                raise ValidationError(_("房间%(room)s已停用。") % {"room": room.number})
            if Stay.objects.filter(case=case, checked_out_at__isnull=True).exists():
                raise ValidationError(_("%(name)s已在隔离点入住，请先办理离开。") % {"name": case.person.name})
            occupied = Stay.objects.filter(room=room, checked_out_at__isnull=True).count()
            if occupied >= room.beds:
                raise ValidationError(_("房间%(room)s已住满（%(beds)d张床位）。") % {"room": room.number,
                                                                            "beds": room.beds})
            stay = Stay.objects.create(room=room, case=case, checked_in_at=now, checked_in_by=by)
            case.place, case.site, case.room = PlaceKind.SITE, room.site, room
            case.save(update_fields=["place", "site", "room"])
    except IntegrityError:  # the same case checked in elsewhere at the same moment
        raise ValidationError(_("%(name)s已在隔离点入住，请先办理离开。") % {"name": case.person.name}) from None
    return stay


def check_out(stay, by=None, now=None):
    """离开: closes the stay (once: a second check-out of the same stay is refused) and the case
    is no longer placed at the site."""
    with transaction.atomic():
        closed = Stay.objects.filter(pk=stay.pk, checked_out_at__isnull=True).update(
            checked_out_at=now, checked_out_by=by)
        if not closed:
            raise ValidationError(_("该入住记录已办理离开。"))
        case = ControlCase.objects.select_for_update().get(pk=stay.case_id)
        if case.room_id == stay.room_id:
            case.place, case.site, case.room = PlaceKind.HOME, None, None
            case.save(update_fields=["place", "site", "room"])
    stay.refresh_from_db()
    return stay
