"""The demo county's vaccination: deterministic, coverage differing by age as planned, boosters
after the full course, some deferrals — on a small county built with the demo's own planners."""

import datetime
import random

import pytest

from fangkong.demo.services.county import COUNTY_CODE, plan_county, save_units
from fangkong.demo.services.people import plan_people, save_people
from fangkong.demo.services.size import Size
from fangkong.demo.services.vaccination import create_vaccination
from fangkong.lib.synthetic import PersonFactory
from fangkong.vaccination.models import Deferral, Dose
from fangkong.vaccination.services.coverage import ranking, unit_coverage

TODAY = datetime.date(2022, 6, 1)


@pytest.fixture
def small_county(db):
    size = Size.for_scale(0.02)
    rng = random.Random(7)
    factory = PersonFactory(seed=7, today=TODAY)
    plan = plan_county(size, rng)
    people = plan_people(plan, size, rng, factory)
    units = save_units(plan)
    county = units[COUNTY_CODE]
    save_people(people, units, county)
    return county


def _snapshot():
    return sorted(Dose.objects.values_list("person_id", "dose_number", "product__code", "given_on")), sorted(
        Deferral.objects.values_list("person_id", "reason", "starts_on"))


def test_demo_vaccination_is_realistic_by_age(small_county):
    doses, deferrals = create_vaccination(small_county, random.Random(1), today=TODAY)
    assert doses == Dose.objects.count() and deferrals == Deferral.objects.count() > 0
    cover = unit_coverage(small_county, TODAY)
    assert cover.population > 1000

    def share(field, cohort, of="population"):
        return cover.cohorts[cohort][field] / cover.cohorts[cohort][of]

    assert 0.85 < share("full", "18-59") < 0.96
    assert share("vaccinated", "60+") < share("vaccinated", "18-59")
    assert share("second", "3-11") < share("second", "18-59")
    assert 0.5 < cover.metric("booster_share") / 100 < 0.75
    assert cover.cohorts["3-11"]["boosted"] == cover.cohorts["12-17"]["boosted"] == 0
    # Boosters come at least six months after the primary series; no dose after today.
    assert not Dose.objects.filter(given_on__gt=TODAY).exists()
    assert Dose.objects.filter(unit_path="").count() == 0
    rows = ranking(small_county, TODAY)
    assert len(rows) >= 2 and len({row["values"]["full_rate"] for row in rows}) > 1


def test_demo_vaccination_is_deterministic(small_county):
    create_vaccination(small_county, random.Random(1), today=TODAY)
    first = _snapshot()
    Dose.objects.all().delete()
    Deferral.objects.all().delete()
    create_vaccination(small_county, random.Random(1), today=TODAY)
    assert _snapshot() == first
