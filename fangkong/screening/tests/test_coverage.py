from fangkong.people.models import Household, Person
from fangkong.screening.models import Campaign
from fangkong.screening.services.coverage import campaign_totals, coverage
from fangkong.screening.services.visits import record_visit

from .conftest import answer, visit_time


def counts(row):
    return (row.households, row.households_visited, row.households_revisit, row.persons, row.persons_verified)


def add_household(number, unit, *names):
    household = Household.objects.create(number=number, unit=unit)
    for name in names:
        Person.objects.create(name=name, unit=unit, household=household)
    return household


def screen_town(triad, campaign):
    """东门村: one household completed, one found nobody home; 西门村: unreachable, then
    completed by phone the next day."""
    county = triad.county
    second = add_household("H-EAST-2", county.east_grid, "王五", "赵六")
    record_visit(campaign=campaign, household=triad.east_household, user=triad.inside, outcome="completed",
                 answers=[answer(triad.east_person)], visited_at=visit_time(1))
    record_visit(campaign=campaign, household=second, user=triad.inside, outcome="nobody_home",
                 visited_at=visit_time(1))
    record_visit(campaign=campaign, household=triad.west_household, user=triad.neighbour, outcome="unreachable",
                 visited_at=visit_time(1))
    record_visit(campaign=campaign, household=triad.west_household, user=triad.neighbour, outcome="completed",
                 answers=[answer(triad.west_person, "phone")], visited_at=visit_time(2))
    return second


def test_rows_per_village_and_total_for_the_town(triad, campaigns):
    screen_town(triad, campaigns.town)
    result = coverage(campaigns.town, triad.county.town)
    assert [(row.unit.name, counts(row)) for row in result.rows] == [
        ("东门村", (2, 1, 1, 3, 1)),
        ("西门村", (1, 1, 0, 1, 1)),
    ]
    assert counts(result.total) == (3, 2, 1, 4, 2)
    assert result.total.household_rate == 66.7 and result.total.person_rate == 50.0
    assert result.total.households_not_visited == 0


def test_a_unit_rolls_up_its_whole_subtree(triad, campaigns):
    screen_town(triad, campaigns.town)
    county = triad.county
    from_county = coverage(campaigns.town, county.county)
    # 河口镇 lies outside the campaign's scope and gets no row.
    assert [(row.unit.name, counts(row)) for row in from_county.rows] == [("城关镇", (3, 2, 1, 4, 2))]
    from_village = coverage(campaigns.town, county.east)
    assert [(row.unit.name, counts(row)) for row in from_village.rows] == [("东门一组", (2, 1, 1, 3, 1))]
    grid = coverage(campaigns.town, county.east_grid)
    assert grid.rows == [] and counts(grid.total) == (2, 1, 1, 3, 1)


def test_a_later_completed_visit_clears_the_revisit(triad, campaigns):
    second = screen_town(triad, campaigns.town)
    record_visit(campaign=campaigns.town, household=second, user=triad.inside, outcome="completed",
                 answers=[answer(p) for p in second.members.all()], visited_at=visit_time(3))
    assert counts(coverage(campaigns.town, triad.county.east).total) == (2, 2, 0, 3, 3)


def test_only_households_in_the_campaign_scope_count(triad, campaigns):
    add_household("H-WEST-2", triad.county.west_grid, "钱七")
    result = coverage(campaigns.east, triad.county.town)
    assert [row.unit.name for row in result.rows] == ["东门村"]
    assert counts(result.total) == (1, 0, 0, 1, 0)


def test_query_count_does_not_grow_with_the_data(triad, campaigns, django_assert_num_queries):
    screen_town(triad, campaigns.town)
    # The scope, the child units and one aggregate per number.
    with django_assert_num_queries(7) as first:
        coverage(campaigns.town, triad.county.town)
    for i in range(5):
        household = add_household(f"H-MORE-{i}", triad.county.west_grid, f"居民{i}")
        record_visit(campaign=campaigns.town, household=household, user=triad.neighbour, outcome="nobody_home",
                     visited_at=visit_time(1))
    with django_assert_num_queries(len(first.captured_queries)):
        result = coverage(campaigns.town, triad.county.town)
    assert counts(result.total) == (8, 2, 6, 9, 2)


def test_campaign_totals_cover_only_the_users_jurisdiction(triad, campaigns, django_assert_num_queries):
    screen_town(triad, campaigns.town)
    both = Campaign.objects.filter(pk__in=[campaigns.town.pk, campaigns.east.pk]).prefetch_related("units")
    # The user's jurisdiction, the campaigns with their scopes, one aggregate per number.
    with django_assert_num_queries(8):
        inside = campaign_totals(both, triad.inside)
    assert counts(inside[campaigns.town.pk]) == (2, 1, 1, 3, 1)
    assert counts(inside[campaigns.east.pk]) == (2, 0, 0, 3, 0)
    above = campaign_totals([campaigns.town, campaigns.east], triad.above)
    assert counts(above[campaigns.town.pk]) == (3, 2, 1, 4, 2)
    neighbour = campaign_totals([campaigns.town], triad.neighbour)
    assert counts(neighbour[campaigns.town.pk]) == (1, 1, 0, 1, 1)
