"""Checking documents that users write as data (regimens, report forms): every problem is
collected with its place (`items[3].source：…`) and reported at once, in Chinese."""

import datetime

import yaml
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class Errors:
    def __init__(self):
        self.messages = []

    def add(self, place, message):
        self.messages.append(f"{place}：{message}" if place else message)

    def raise_if_any(self):
        if self.messages:
            raise ValidationError(self.messages)


def unknown_keys(errors, place, value, allowed):
    for key in value:
        if key not in allowed:
            here = f"{place}.{key}" if place else str(key)
            errors.add(here, _("未知的字段（可用：%(keys)s）") % {"keys": "、".join(allowed)})


def as_date(errors, place, value, required):
    if value is None or value == "":
        if required:
            errors.add(place, _("必须填写日期（YYYY-MM-DD）"))
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            pass
    errors.add(place, _("日期格式应为 YYYY-MM-DD"))
    return None


def parse_yaml(text):
    """The YAML document in `text`; ValidationError with the line and column of a syntax error."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = _("第%(line)d行第%(column)d列：") % {"line": mark.line + 1, "column": mark.column + 1} if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ValidationError(_("YAML 格式错误：%(where)s%(problem)s") % {"where": where, "problem": problem}) from None
