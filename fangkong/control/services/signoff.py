"""The team's daily sign-off on the control sheet (签字确认, 001:237 五包一: every day, a
signature and a work photo): one per team member per day.

A sign-off names the team member who signs. When none is given, the member whose account is
the signing user's is taken; a user who is not on the team signs for the case as themself
(member left empty), once per day as well."""

from collections import namedtuple

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.control.models import ACTIVE_STATUSES, CasePhase, ControlCase, SignOff, TeamMember
from fangkong.lib.dates import cn_date
from fangkong.orgs.jurisdiction import jurisdiction_paths, path_filter

from .followup import check_photo

MissingSignOff = namedtuple("MissingSignOff", "case member")


def sign_offs_for(user):
    """Sign-offs of cases in the user's jurisdiction (SignOff has no path column of its own)."""
    paths = jurisdiction_paths(user)
    queryset = SignOff.objects.all()
    if paths is None:
        return queryset
    if not paths:
        return queryset.none()
    return queryset.filter(path_filter("case__unit_path", paths))


def _check_day(case, day, now):
    if day > timezone.localdate(now):
        return _("不能为今天以后的日期签字确认。")
    span = CasePhase.objects.filter(case=case).order_by("index")
    first, last = span.first(), span.last()
    if first is not None and not first.first_day <= day <= last.last_day:
        return _("%(day)s 不在管控期（%(first)s至%(last)s）内。") % {
            "day": cn_date(day), "first": cn_date(first.first_day), "last": cn_date(last.last_day)
        }
    return None


def sign_off(case, day, member=None, *, by, photo, now, note=""):
    """Record the daily signature of one team member (or of `by` when not on the team) for
    `case` on `day`, with the work photo. ValidationError (in Chinese) when it cannot."""
    errors = {}
    if member is None:
        member = TeamMember.objects.filter(case=case, user=by).order_by("pk").first() if by else None
    elif member.case_id != case.pk:
        errors["member"] = [_("签字人不是该对象的包保责任人。")]
    day_error = _check_day(case, day, now)
    if day_error:
        errors["day"] = [day_error]
    if not photo:
        errors["photo"] = [_("请上传工作照。")]
    else:
        try:
            photo = check_photo(photo)
        except ValidationError as error:
            errors.update(error.message_dict)
    note = (note or "").strip()
    if len(note) > 200:
        errors["note"] = [_("说明不能超过200字。")]
    if errors:
        raise ValidationError(errors)

    same = SignOff.objects.filter(case=case, day=day)
    same = same.filter(member=member) if member is not None else same.filter(member__isnull=True, signed_by=by)
    name = member.name if member is not None else str(by)
    duplicate = ValidationError(_("%(name)s 已于%(day)s签字确认，每人每天一次。") % {"name": name, "day": cn_date(day)})
    if same.exists():
        raise duplicate
    record = SignOff(case=case, day=day, member=member, signed_by=by, signed_at=now, note=note)
    record.photo.save(photo.name, photo, save=False)
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:  # the same member signed at the same moment elsewhere
        record.photo.delete(save=False)
        raise duplicate from None
    return record


def cases_on(day, user):
    """Active cases of the user's jurisdiction under control on `day` (a phase covers it)."""
    covering = CasePhase.objects.filter(case=OuterRef("pk"), first_day__lte=day, last_day__gte=day)
    return ControlCase.objects.restrict(user).filter(status__in=ACTIVE_STATUSES).filter(Exists(covering))


def missing_sign_offs(day, user):
    """Who has not signed off for `day`: (case, member) for each team member of each case
    under control that day in the user's jurisdiction without a sign-off; (case, None) for a
    case without a team and without any sign-off. Ordered by case."""
    cases = list(cases_on(day, user).select_related("person", "unit").order_by("unit_path", "pk"))
    members = TeamMember.objects.filter(case__in=[case.pk for case in cases]).order_by("case", "pk")
    signed = set(
        SignOff.objects.filter(case__in=[case.pk for case in cases], day=day).values_list("case_id", "member_id")
    )
    signed_cases = {case_id for case_id, _member in signed}
    by_case = {}
    for member in members:
        by_case.setdefault(member.case_id, []).append(member)
    missing = []
    for case in cases:
        team = by_case.get(case.pk, [])
        if not team:
            if case.pk not in signed_cases:
                missing.append(MissingSignOff(case, None))
            continue
        missing.extend(MissingSignOff(case, member) for member in team if (case.pk, member.pk) not in signed)
    return missing


__all__ = ["MissingSignOff", "cases_on", "missing_sign_offs", "sign_off", "sign_offs_for"]
