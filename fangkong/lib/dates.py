"""Dates and times in the users' conventions: 2022年1月27日12时."""

import datetime

from django.utils import timezone


def cn_date(value):
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


def cn_datetime(value, minutes=False):
    if not value:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    text = f"{value.year}年{value.month}月{value.day}日{value.hour}时"
    return text + (f"{value.minute}分" if minutes else "")


def local_moment(day, at):
    """The aware moment of local time `at` on `day` (in the deployment's time zone)."""
    return timezone.make_aware(datetime.datetime.combine(day, at))


END_OF_DAY = datetime.time(23, 59, 59)


def day_start(day):
    return local_moment(day, datetime.time(0, 0))


def day_end(day):
    """The last second of `day`: a day's figures are counted up to and including it."""
    return local_moment(day, END_OF_DAY)


def cn_cutoff(value):
    """A cut-off as reports write it: 2022年1月27日12时, 1月27日12时30分, and the end of a day
    as 2022年1月27日24时."""
    if not value:
        return ""
    value = timezone.localtime(value) if timezone.is_aware(value) else value
    if value.time().replace(microsecond=0) == END_OF_DAY:
        return f"{cn_date(value.date())}24时"
    return cn_datetime(value, minutes=bool(value.minute))
