"""Template filters for the pages: dates in the users' convention, masked identity numbers,
and links that keep the current filter."""

from django import template
from django.utils import formats, timezone
from django.utils.translation import get_language

from fangkong.lib import dates

register = template.Library()


def _chinese():
    return (get_language() or "zh-hans").startswith("zh")


@register.filter
def local_date(value):
    """2022年1月27日 in Chinese; the language's own date format otherwise."""
    if not value:
        return ""
    return dates.cn_date(value) if _chinese() else formats.date_format(value, "DATE_FORMAT")


@register.filter
def local_datetime(value, precision="hour"):
    """2022年1月27日12时 (`|local_datetime:"minute"`: 12时5分) in Chinese; the language's own
    date-time format otherwise."""
    if not value:
        return ""
    if _chinese():
        return dates.cn_datetime(value, minutes=precision == "minute")
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "DATETIME_FORMAT")


@register.filter
def id_number_for(person, user):
    """The person's ID number as this user may see it (masked without the permission)."""
    return person.id_number_for(user)


@register.filter
def phone_for(person, user):
    """The person's phone number as this user may see it (masked without the permission)."""
    return person.phone_for(user)


@register.filter
def minutes(duration):
    """A timedelta in whole minutes."""
    return int(duration.total_seconds() // 60) if duration else 0


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with some parameters replaced (None drops one), e.g. for
    pagination links that keep the filter."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        query.pop(key, None)
        if value is not None and value != "":
            query[key] = value
    return query.urlencode()


@register.filter
def section(path):
    """The first segment of a page's path, which names its place in the navigation."""
    return path.strip("/").split("/", 1)[0]
