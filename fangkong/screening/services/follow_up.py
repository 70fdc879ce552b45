"""The people screening marked for follow-up (需跟进排查), as key-person control takes them up."""

from django.db import transaction
from django.utils import timezone

from fangkong.screening.models import FollowUpFlag


def open_flags(user):
    """Flags not yet dealt with, for people within the user's jurisdiction, newest first."""
    return (
        FollowUpFlag.objects.restrict(user)
        .filter(resolved_at__isnull=True)
        .select_related("person", "campaign", "visit")
    )


@transaction.atomic
def resolve_flag(flag, when=None):
    """Close a flag; the person no longer needs follow-up once no flag of theirs is open."""
    flag.resolved_at = when or timezone.now()
    flag.save(update_fields=["resolved_at"])
    person = flag.person
    if person.needs_follow_up and not person.screening_flags.filter(resolved_at__isnull=True).exists():
        person.needs_follow_up = False
        person.save(update_fields=["needs_follow_up", "updated_at"])
    return flag
