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
