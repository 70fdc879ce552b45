"""Negative-result certificates (核酸阴性证明): what checkpoints and school gates ask — does this
person hold a negative result within the last 24, 48, 72 hours or 7 days?

A result is the result of the tube the person's sample went into (`Tube.result`, the tube's
first real result) at the time the lab tested it (`Tube.result_at`); the window counts from
that time. Only the person's latest result counts: a positive or abnormal result, or a tube
whose results conflict, after a negative one voids the certificate. Invalid runs and tubes
without a result yet are not results and are passed over.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.testing.models import Result, Sample

from .lab import FINDINGS

WINDOWS = (24, 48, 72, 168)


@dataclass
class NegativeResult:
    tested_at: datetime
    sampled_at: datetime
    age: timedelta

    @property
    def age_hours(self):
        return _hours(self.age)


def _hours(age):
    return round(age.total_seconds() / 3600, 1)


def _results(person, now):
    # Several records of one human (the same ID number registered twice) are read together.
    samples = Sample.objects.filter(person=person) if hasattr(person, "pk") else Sample.objects.filter(person__in=person)
    return (samples.filter(tube__result__in=FINDINGS, tube__result_at__lte=now)
            .select_related("tube").order_by("-tube__result_at", "-scanned_at", "-id"))


def latest_negative(person, now=None):
    """The person's (or persons') newest negative result (of a tube without conflicting results) and its age
    at `now`, or None."""
    now = now or timezone.now()
    sample = _results(person, now).filter(tube__result=Result.NEGATIVE, tube__conflict=False).first()
    if sample is None:
        return None
    return NegativeResult(tested_at=sample.tube.result_at, sampled_at=sample.scanned_at,
                          age=now - sample.tube.result_at)


def certificate(person, hours, now):
    """{"valid", "tested_at", "age_hours", "result", "conflict", "window_hours"} at `now`.

    Valid means the person's latest result (see the module docstring) is negative, its tube has
    no conflicting result, and it was tested within the last `hours` (24, 48, 72 or 168).
    `result` and `tested_at` are those of that latest result (None when there is none)."""
    if hours not in WINDOWS:
        raise ValidationError(_("时限只能是24、48、72或168小时（7天）。"))
    latest = _results(person, now).first()
    if latest is None:
        return {"valid": False, "tested_at": None, "age_hours": None, "result": None, "conflict": False,
                "window_hours": hours}
    tube = latest.tube
    age = now - tube.result_at
    valid = tube.result == Result.NEGATIVE and not tube.conflict and age <= timedelta(hours=hours)
    return {"valid": valid, "tested_at": tube.result_at, "age_hours": _hours(age), "result": tube.result,
            "conflict": tube.conflict, "window_hours": hours}
