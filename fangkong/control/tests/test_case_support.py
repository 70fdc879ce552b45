"""Shared helpers for the control-case tests (no tests here)."""

from datetime import date, datetime, time

import pytest
from django.utils import timezone

from fangkong.control.models import RegimenVersion
from fangkong.control.services.cases import open_case


def at(day, hour=9, minute=0):
    """An aware local datetime on `day` (a date) at hour:minute."""
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


D = date


@pytest.fixture
def v8(db):
    return RegimenVersion.objects.get(code="national-v8")


@pytest.fixture
def v9(db):
    return RegimenVersion.objects.get(code="national-v9")


def open_v8_close_contact(person, by=None, *, anchor=D(2022, 1, 10), now=None, **extra):
    """national-v8, close contact, last exposure 1月10日: centralised 1月11日–24日, home health
    monitoring 1月25日–31日, tests on days 1, 4, 7, 14 (1月11、14、17、24日), release 2月1日."""
    return open_case(
        person, "close_contact", anchor_date=anchor, regimen=extra.pop("regimen", None)
        or RegimenVersion.objects.get(code="national-v8"), by=by, now=now or at(anchor, 20), **extra,
    )
