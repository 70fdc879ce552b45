"""The demo county (示范县): a fictional county with its organisation trees, leading groups,
people and households, a door-to-door screening under way, key persons under control, a round
of nucleic-acid testing with its key groups, vaccination records and a month of daily reports,
built deterministically from a seed, and its demo users."""

import random

from django.db import transaction
from django.utils import timezone

from fangkong.lib.synthetic import PersonFactory
from fangkong.orgs.models import Unit

from .control import create_control
from .county import COUNTY_CODE, plan_county, save_units
from .leadership import create_leadership
from .people import plan_people, save_people
from .reports import create_reports
from .screening import create_screening
from .size import Size
from .testing import create_testing
from .users import DEMO_PASSWORD, ensure_demo_users
from .vaccination import create_vaccination

DEMO_SEED = 20220127

__all__ = ["COUNTY_CODE", "DEMO_PASSWORD", "build_demo", "demo_county", "ensure_demo_users"]


def demo_county():
    """The demo county's root unit, or None when it is not loaded."""
    return Unit.objects.filter(code=COUNTY_CODE).first()


def build_demo(scale=1.0, seed=DEMO_SEED):
    """Load the demo county unless it is there, and make the demo users that are missing;
    returns (county unit, created, the demo users as ensure_demo_users lists them)."""
    county = demo_county()
    if county is not None:
        return county, False, ensure_demo_users(county)
    size = Size.for_scale(scale)
    rng = random.Random(seed)
    factory = PersonFactory(seed=seed, today=timezone.localdate())
    plan = plan_county(size, rng)
    people = plan_people(plan, size, rng, factory)
    with transaction.atomic():
        units = save_units(plan)
        county = units[COUNTY_CODE]
        save_people(people, units, county)
        create_leadership(plan, units, factory)
        # The screening's visits are recorded by the demo users.
        users = ensure_demo_users(county)
        create_screening(county, rng)
    with transaction.atomic():
        create_control(county, rng)
    # Parts added later draw from random streams of their own, so the earlier parts stay as they were.
    with transaction.atomic():
        create_testing(county, random.Random(f"{seed}:testing"))
    with transaction.atomic():
        create_vaccination(county, random.Random(f"{seed}:vaccination"))
    create_reports(county, rng)
    return county, True, users
