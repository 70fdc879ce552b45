"""Moving people and households between units (迁入/迁出).

One `Move` row per person or household records where from, where to, when and why; the
person's own history (django-simple-history) records the same change with the mover as its
author. The destination must lie in the mover's jurisdiction, whoever calls this: the API,
a page or a command.
"""

from django.db import transaction
from django.utils import timezone

from fangkong.orgs.models import Unit
from fangkong.people.models import Move


class MoveError(ValueError):
    """A move that cannot be made; the message is for the user (Chinese)."""


def _check_destination(current_unit, to_unit, user):
    if to_unit.pk == current_unit.pk:
        raise MoveError(f"已在“{to_unit.name}”，无需迁移")
    if not Unit.objects.restrict(user).filter(pk=to_unit.pk).exists():
        raise MoveError(f"迁入单位“{to_unit.name}”不在您的辖区内")


def _relocate(instance, to_unit, to_address, user, reason):
    instance.unit = to_unit
    if to_address:
        instance.address = to_address
    instance._history_user = user
    instance._change_reason = f"迁移：{reason}" if reason else "迁移"


@transaction.atomic
def move_person(person, to_unit, *, user, moved_on=None, reason="", to_address=""):
    """Move one person to `to_unit` and return the `Move` recorded.

    A person who moves alone leaves their household (a household lives in one place);
    if they were its head, the household is left without a head until one is named."""
    _check_destination(person.unit, to_unit, user)
    move = Move.objects.create(
        person=person,
        from_unit=person.unit,
        to_unit=to_unit,
        from_address=person.address,
        to_address=to_address or person.address,
        moved_on=moved_on or timezone.localdate(),
        reason=reason,
        recorded_by=user,
    )
    household = person.household
    if household is not None and household.unit_id != to_unit.pk:
        if household.head_id == person.pk:
            household.head = None
            household._history_user = user
            household._change_reason = f"户主{person.name}迁出"
            household.save()
        person.household = None
        person.relation_to_head = ""
    _relocate(person, to_unit, to_address, user, reason)
    person.save()
    return move


@transaction.atomic
def move_household(household, to_unit, *, user, moved_on=None, reason="", to_address=""):
    """Move a household and all its members to `to_unit`; return the `Move` rows
    recorded, the household's first, then one per member."""
    _check_destination(household.unit, to_unit, user)
    moved_on = moved_on or timezone.localdate()
    moves = [
        Move.objects.create(
            household=household,
            from_unit=household.unit,
            to_unit=to_unit,
            from_address=household.address,
            to_address=to_address or household.address,
            moved_on=moved_on,
            reason=reason,
            recorded_by=user,
        )
    ]
    for member in household.members.select_related("unit").order_by("id"):
        moves.append(
            Move.objects.create(
                person=member,
                household=household,
                from_unit=member.unit,
                to_unit=to_unit,
                from_address=member.address,
                to_address=to_address or member.address,
                moved_on=moved_on,
                reason=reason,
                recorded_by=user,
            )
        )
        _relocate(member, to_unit, to_address, user, reason)
        member.save()
    _relocate(household, to_unit, to_address, user, reason)
    household.save()
    return moves
