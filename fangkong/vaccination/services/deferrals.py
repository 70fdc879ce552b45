"""Deferrals (暂缓接种): a person who should not be vaccinated for now (禁忌症, acute illness,
pregnancy) is recorded with the reason and the dates, which takes them off the lists of people
to vaccinate while it lasts; ending it puts them back."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fangkong.lib.idnumbers import normalise
from fangkong.people.models import Person

from ..models import Deferral


def find_person(user, id_number):
    """The registered person with this ID number within the user's jurisdiction."""
    person = Person.objects.restrict(user).filter(id_number=normalise(id_number)).first() if id_number else None
    if person is None:
        raise ValidationError(_("您辖区的人员台账中没有该证件号码的人员，请先在人员台账中登记"))
    return person


def add_deferral(person, reason, starts_on, user, ends_on=None, note=""):
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError(_("截止日期不能早于起始日期"))
    with transaction.atomic():
        deferral = Deferral(person=person, reason=reason, note=note, starts_on=starts_on, ends_on=ends_on,
                            created_by=user)
        deferral.save()
    return deferral


def end_deferral(deferral, on_date):
    """End the deferral on `on_date` (the person is back on the lists from the next day); a
    deferral already ended earlier is left as it is."""
    if deferral.ends_on is not None and deferral.ends_on <= on_date:
        return deferral
    if on_date < deferral.starts_on:
        raise ValidationError(_("结束日期不能早于起始日期"))
    deferral.ends_on = on_date
    deferral.save(update_fields=["ends_on"])
    return deferral
