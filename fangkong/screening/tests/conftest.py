"""Campaigns over the triad's county: one run by 城关镇 over the whole town, one by 东门村
over the village alone."""

import datetime
import types

import pytest
from django.utils import timezone

from fangkong.screening.models import Campaign

START = datetime.date(2022, 1, 25)


def add_campaign(owner_unit, units, **fields):
    fields = {"name": "敲门行动", "starts_on": START, "places_of_concern": "湖北", **fields}
    campaign = Campaign.objects.create(owner_unit=owner_unit, **fields)
    campaign.units.set(units)
    return campaign


def visit_time(day=0, hour=10):
    """A time during the campaigns (the `day`-th day after the start)."""
    moment = datetime.datetime.combine(START + datetime.timedelta(days=day), datetime.time(hour))
    return timezone.make_aware(moment)


@pytest.fixture
def campaigns(triad):
    county = triad.county
    return types.SimpleNamespace(
        town=add_campaign(county.town, [county.town], name="城关镇敲门行动"),
        east=add_campaign(county.east, [county.east], name="东门村入户摸排"),
    )


def answer(person, presence="present", **fields):
    """A member answer as record_visit takes it."""
    return {"person": person, "presence": presence, **fields}
