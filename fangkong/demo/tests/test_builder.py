import datetime
import random

import pytest

from fangkong.demo.services.county import plan_county
from fangkong.demo.services.people import plan_people
from fangkong.demo.services.size import Size
from fangkong.lib.synthetic import PersonFactory


def planned(seed, scale=0.01):
    size = Size.for_scale(scale)
    rng = random.Random(seed)
    factory = PersonFactory(seed=seed, today=datetime.date(2022, 1, 27))
    plan = plan_county(size, rng)
    people = plan_people(plan, size, rng, factory)
    codes = []
    stack = [plan.root]
    while stack:
        node = stack.pop()
        codes.append((node["data"]["code"], node["data"]["name"]))
        stack.extend(node["children"])
    persons = [(p.name, p.id_number, h.household.number) for h in people.households for p in h.members]
    return codes, persons


def test_the_same_seed_gives_the_same_county():
    assert planned(7) == planned(7)
    assert planned(7)[1] != planned(8)[1]


def test_the_full_size_is_the_county_of_the_readme():
    size = Size.for_scale(1)
    assert (size.towns, size.villages, size.villages * size.grids_per_village) == (12, 150, 600)
    assert size.households == 35_000 and sum(size.schools.values()) == 30 and size.companies == 20
    assert (size.checkpoints, size.isolation_sites) == (10, 3)


def test_a_small_scale_keeps_one_of_everything():
    size = Size.for_scale(0.001)
    assert size.towns >= 2 and size.streets >= 1 and size.villages >= 2 * size.towns
    assert all(n >= 1 for n in size.schools.values())
    assert min(size.companies, size.checkpoints, size.isolation_sites, size.sampling_points, size.venues) >= 1


@pytest.mark.parametrize("scale", [0, -1, 1.5])
def test_scale_outside_zero_to_one_is_refused(scale):
    with pytest.raises(ValueError):
        Size.for_scale(scale)
