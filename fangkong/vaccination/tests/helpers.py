"""Making people and doses for the vaccination tests."""

import datetime
import itertools

from fangkong.conftest import fictional_id
from fangkong.people.models import Person
from fangkong.vaccination.models import Deferral, Dose, Product

DAY = datetime.date(2022, 1, 27)
_seq = itertools.count(100)


def product(code="inactivated-sinovac"):
    return Product.objects.get(code=code)


def person(unit, birth, name="测试", provisional=False, **extra):
    """A person of `unit` born on `birth` (a date), with a valid ID number of that birth date."""
    seq = next(_seq)
    return Person.objects.create(
        name=f"{name}{seq}", id_number=fictional_id(birth=birth.strftime("%Y%m%d"), seq=seq % 1000),
        birth_date=birth, unit=unit, is_provisional=provisional, **extra,
    )


def aged(unit, years, on=DAY, days=0, **extra):
    """A person exactly `years` old on `on` (born that day, `years` earlier), plus `days` later."""
    birth = on.replace(year=on.year - years) + datetime.timedelta(days=days)
    return person(unit, birth, **extra)


def doses(who, count, code="inactivated-sinovac", first=datetime.date(2021, 4, 1), every=30, start=1):
    """`count` doses numbered from `start`, `every` days apart from `first`."""
    made = []
    for offset in range(count):
        made.append(Dose.objects.create(
            person=who, product=product(code), dose_number=start + offset,
            given_on=first + datetime.timedelta(days=every * offset), site="城关镇卫生院",
        ))
    return made


def defer(who, starts_on=datetime.date(2021, 12, 1), ends_on=None, reason="contraindication"):
    return Deferral.objects.create(person=who, reason=reason, starts_on=starts_on, ends_on=ends_on)
