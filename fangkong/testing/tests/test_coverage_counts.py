"""Coverage counts: target, exempt and sampled per unit; the daily report's contract
`round_coverage(paths, on_date, as_of)` with nested paths, two rounds and key groups."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from fangkong.control.testing import local
from fangkong.orgs.services import add_unit
from fangkong.testing.models import Exemption, ExemptionReason, Target
from fangkong.testing.services.coverage import drill_down, round_coverage
from fangkong.testing.tests.test_coverage_support import DAY, make_people, make_round, member, sample


def paths(county, *names):
    return [getattr(county, name).path for name in names]


def test_all_residents_round_counts_target_exempt_and_sampled_per_subtree(triad):
    county = triad.county
    east = [triad.east_person, *make_people(county.east_grid, 4)]
    west = [triad.west_person, *make_people(county.west_grid, 2)]
    make_people(county.river, 3)  # outside the round's scope
    make_people(county.east_grid, 1, is_provisional=True)
    testing_round = make_round(county.town)
    sample(testing_round, east[:3] + west[:1])
    Exemption.objects.create(person=east[4], round=testing_round, reason=ExemptionReason.BEDRIDDEN, starts_on=DAY)

    counts = round_coverage(paths(county, "county", "town", "east", "east_grid", "west", "river"), DAY)
    assert counts[county.east.path] == {"target": 4, "exempt": 1, "sampled": 3}
    assert counts[county.east_grid.path] == counts[county.east.path]
    assert counts[county.west.path] == {"target": 3, "exempt": 0, "sampled": 1}
    assert counts[county.town.path] == {"target": 7, "exempt": 1, "sampled": 4}
    assert counts[county.county.path] == counts[county.town.path]
    assert counts[county.river.path] == {"target": 0, "exempt": 0, "sampled": 0}


def test_samples_after_the_cut_off_and_rounds_not_in_force_are_not_counted(triad):
    county = triad.county
    testing_round = make_round(county.town)
    sample(testing_round, [triad.east_person], at=local(DAY, datetime.time(15)))
    before = round_coverage([county.east.path], DAY, as_of=local(DAY, datetime.time(12)))
    after = round_coverage([county.east.path], DAY, as_of=local(DAY, datetime.time(16)))
    assert before[county.east.path]["sampled"] == 0 and after[county.east.path]["sampled"] == 1
    assert round_coverage([county.east.path], DAY + datetime.timedelta(days=5))[county.east.path] == {
        "target": 0, "exempt": 0, "sampled": 0}


def test_standing_exemption_counts_when_its_dates_overlap_the_round(triad):
    county = triad.county
    make_round(county.town)
    Exemption.objects.create(person=triad.east_person, reason=ExemptionReason.AWAY, starts_on=DAY - datetime.timedelta(5),
                             ends_on=DAY)
    Exemption.objects.create(person=triad.west_person, reason=ExemptionReason.AWAY, starts_on=DAY - datetime.timedelta(9),
                             ends_on=DAY - datetime.timedelta(days=1))
    counts = round_coverage(paths(county, "east", "west"), DAY)
    assert counts[county.east.path] == {"target": 0, "exempt": 1, "sampled": 0}
    assert counts[county.west.path] == {"target": 1, "exempt": 0, "sampled": 0}


def test_a_person_counts_against_the_latest_starting_round_covering_them(triad):
    county = triad.county
    town_round = make_round(county.town, starts_on=DAY - datetime.timedelta(days=1))
    east_round = make_round(county.town, county.east, starts_on=DAY, name="东门村加密检测")
    sample(town_round, [triad.east_person, triad.west_person])  # 张三丰's belongs to the older round

    counts = round_coverage(paths(county, "town", "east", "west"), DAY)
    assert counts[county.east.path] == {"target": 1, "exempt": 0, "sampled": 0}
    assert counts[county.west.path] == {"target": 1, "exempt": 0, "sampled": 1}
    assert counts[county.town.path] == {"target": 2, "exempt": 0, "sampled": 1}
    sample(east_round, [triad.east_person])
    assert round_coverage([county.town.path], DAY)[county.town.path]["sampled"] == 2


def test_key_group_round_counts_active_members_at_their_unit_once(triad):
    county = triad.county
    company = add_unit(county.town, code="C-01", name="冷链公司", type="company")
    workers = make_people(county.river, 3)
    member(workers[0], company, group="cold_chain")
    member(workers[0], company, group="high_risk_post")  # two groups: still one person
    member(workers[1], company, group="cold_chain", until=DAY - datetime.timedelta(days=1))  # ended before
    member(workers[2], company, group="cold_chain")
    testing_round = make_round(county.town, company, target=Target.KEY_GROUPS, name="冷链从业人员检测")
    sample(testing_round, [workers[2]])
    counts = round_coverage([company.path, county.town.path, county.river.path], DAY)
    assert counts[company.path] == {"target": 2, "exempt": 0, "sampled": 1}
    assert counts[county.town.path] == counts[company.path]
    assert counts[county.river.path] == {"target": 0, "exempt": 0, "sampled": 0}  # residence not in the target


def test_contract_costs_the_same_queries_for_many_paths(triad):
    county = triad.county
    make_round(county.town)
    make_round(county.county, starts_on=DAY - datetime.timedelta(days=1), name="全县")
    few = paths(county, "east")
    many = paths(county, "county", "town", "other_town", "east", "west", "east_grid", "west_grid", "river")
    with CaptureQueriesContext(connection) as small:
        round_coverage(few, DAY)
    with CaptureQueriesContext(connection) as large:
        round_coverage(many, DAY)
    assert len(large) == len(small) <= 4


def test_drill_down_lists_children_with_counts_and_unregistered_samples(triad):
    county = triad.county
    testing_round = make_round(county.town)
    provisional = make_people(county.west_grid, 1, is_provisional=True)
    sample(testing_round, [triad.east_person, *provisional])
    total, rows = drill_down(testing_round, county.town, as_of=local(DAY, datetime.time(23)))
    assert (total.target, total.sampled, total.unregistered) == (2, 1, 1)
    assert [(r.unit.name, r.target, r.sampled, r.rate) for r in rows] == [("东门村", 1, 1, 100.0), ("西门村", 1, 0, 0.0)]
