"""Recording a household visit, and where each household stands in a campaign.

A household is visited (已走访) once a visit is completed; a visit that found nobody home or
could not get through on the phone leaves it awaiting a revisit (待回访) until a later
completed visit. A completed visit accounts for every registered member (户不漏人)."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Exists, OuterRef, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.lib.dates import cn_date
from fangkong.people.models import Household
from fangkong.screening.models import VERIFIED, HouseholdStatus, MemberAnswer, Outcome, Visit

from .campaigns import in_scope, scope_filter
from .criteria import flag_follow_ups

# Phones and servers disagree on the time by a little; more than this is a wrong date.
CLOCK_SKEW = datetime.timedelta(minutes=10)


def _check_dates(campaign, visited_at):
    if visited_at > timezone.now() + CLOCK_SKEW:
        return _("走访时间不能晚于现在。")
    day = timezone.localdate(visited_at)
    if day < campaign.starts_on or (campaign.ends_on and day > campaign.ends_on):
        end = cn_date(campaign.ends_on) if campaign.ends_on else _("今")
        return _("走访日期应在活动期间（%(start)s至%(end)s）内。") % {"start": cn_date(campaign.starts_on), "end": end}
    return None


def _check_answers(household, outcome, answers):
    errors = []
    members = {person.pk: person for person in household.members.all()}
    seen = set()
    for answer in answers:
        person = answer["person"]
        if person.pk not in members:
            errors.append(_("“%(name)s”不是该户成员。") % {"name": person.name})
        elif person.pk in seen:
            errors.append(_("“%(name)s”填写了不止一次。") % {"name": person.name})
        seen.add(person.pk)
    verified = [a for a in answers if a["presence"] in VERIFIED]
    if outcome == Outcome.COMPLETED:
        missing = [
            _("请填写户内成员“%(name)s”的在家情况。") % {"name": person.name}
            for pk, person in members.items() if pk not in seen
        ]
        errors += missing
        if members and not missing and not verified:
            errors.append(_("走访结果为“已完成”时，至少应有一名成员在家或已电话核实。"))
    elif verified:
        errors.append(
            _("走访结果为“%(outcome)s”时，成员不能是“在家”或“电话核实”。") % {"outcome": Outcome(outcome).label}
        )
    return errors


def check_visit(campaign, household, outcome, answers, visited_at):
    """Raise ValidationError (by field) when the visit cannot be recorded as given."""
    errors = {}
    if not in_scope(campaign, household):
        errors["household"] = _("该户不在“%(campaign)s”的摸排范围内。") % {"campaign": campaign.name}
    date_error = _check_dates(campaign, visited_at)
    if date_error:
        errors["visited_at"] = date_error
    answer_errors = _check_answers(household, outcome, answers)
    if answer_errors:
        errors["answers"] = answer_errors
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def record_visit(*, campaign, household, user, outcome, answers=(), visited_at=None, note=""):
    """Record a visit with its member answers (dicts of MemberAnswer fields, `person` a Person)
    and mark whoever meets the campaign's criteria for follow-up. Returns the visit."""
    answers = list(answers)
    visited_at = visited_at or timezone.now()
    check_visit(campaign, household, outcome, answers, visited_at)
    visit = Visit.objects.create(
        campaign=campaign, household=household, visited_at=visited_at, visited_by=user, outcome=outcome, note=note
    )
    MemberAnswer.objects.bulk_create([MemberAnswer(visit=visit, **answer) for answer in answers])
    flag_follow_ups(visit)
    return visit


def households_in(campaign, unit):
    """The households under `unit` that the campaign covers, with their status (see with_status)."""
    households = Household.objects.filter(scope_filter(campaign), unit_path__startswith=unit.path)
    return with_status(households, campaign)


def with_status(households, campaign):
    """Annotate each household with `status` (HouseholdStatus) and `last_visited_at` in this campaign."""
    visits = Visit.objects.filter(campaign=campaign, household=OuterRef("pk"))
    return households.annotate(
        status=Case(
            When(Exists(visits.filter(outcome=Outcome.COMPLETED)), then=Value(HouseholdStatus.VISITED)),
            When(Exists(visits), then=Value(HouseholdStatus.REVISIT)),
            default=Value(HouseholdStatus.NOT_VISITED),
        ),
        last_visited_at=Subquery(visits.order_by("-visited_at").values("visited_at")[:1]),
    )
