"""Which form applies, and the deadline of a unit's report."""

import datetime

from django.utils import timezone

from fangkong.lib.dates import local_moment

from ..models import ReportForm

DEFAULT_FORM = "daily"


class FormNotFound(LookupError):
    pass


def form_in_force(code=DEFAULT_FORM, on_date=None):
    """The version of form `code` in force on a date (today by default)."""
    on_date = on_date or timezone.localdate()
    form = ReportForm.objects.in_force(on_date).filter(code=code).first()
    if form is None:
        raise FormNotFound(code)
    return form


def forms_in_force(on_date):
    return list(ReportForm.objects.in_force(on_date).order_by("code"))


def deadline(form, unit_type, day):
    """The moment the report of `day` (its period) from a unit of this type is due: the form's
    time of day on the last day of the period ("24:00" is midnight at its end)."""
    hours, minutes = form.deadline_time(unit_type)
    last = form.period_last_day(form.period_start(day))
    if hours >= 24:
        return local_moment(last + datetime.timedelta(days=1), datetime.time(0, 0))
    return local_moment(last, datetime.time(hours, minutes))


def locked_after(form, day):
    """The moment after which the period of `day` takes no more filings or corrections."""
    last = form.period_last_day(form.period_start(day))
    return local_moment(last + datetime.timedelta(days=form.lock_after_days + 1), datetime.time(0, 0))
