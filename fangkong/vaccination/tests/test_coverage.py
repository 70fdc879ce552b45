"""Coverage by cohort: who is counted, birthdays on the cohort boundaries, full course by product,
the counts the daily report uses (nested paths, one query) and the ranking of child units."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fangkong.vaccination.services.coverage import (
    age_on,
    cohort_of,
    coverage_by_path,
    doses_unchanged,
    months_before,
    ranking,
    sort_ranking,
    unit_coverage,
    vaccination_counts,
    years_before,
)
from fangkong.vaccination.tests.helpers import DAY, aged, defer, doses, person

pytestmark = pytest.mark.django_db


def test_presets_give_each_product_its_full_course():
    from fangkong.vaccination.models import Product

    courses = dict(Product.objects.values_list("code", "full_course_doses"))
    assert courses == {"inactivated-bibp": 2, "inactivated-sinovac": 2, "inactivated-wibp": 2,
                       "recombinant-zf2001": 3, "adenovirus-ad5": 1}


def test_preset_loading_never_overwrites_an_edited_product():
    from fangkong.vaccination.models import Product
    from fangkong.vaccination.services.presets import load_presets

    Product.objects.filter(code="adenovirus-ad5").update(full_course_doses=2, aliases=["克威莎"])
    Product.objects.filter(code="inactivated-wibp").delete()
    assert load_presets() == ["inactivated-wibp"]
    assert Product.objects.get(code="adenovirus-ad5").full_course_doses == 2


@pytest.mark.parametrize("born, on, age", [
    (datetime.date(2019, 1, 27), DAY, 3),
    (datetime.date(2019, 1, 28), DAY, 2),
    (datetime.date(2012, 2, 29), datetime.date(2022, 2, 28), 9),
    (datetime.date(2012, 2, 29), datetime.date(2022, 3, 1), 10),
])
def test_age_turns_on_the_birthday(born, on, age):
    assert age_on(born, on) == age


def test_years_and_months_before_clamp_to_the_month():
    assert years_before(datetime.date(2024, 2, 29), 3) == datetime.date(2021, 2, 28)
    assert months_before(datetime.date(2022, 8, 31), 6) == datetime.date(2022, 2, 28)
    assert months_before(datetime.date(2022, 1, 27), 6) == datetime.date(2021, 7, 27)


@pytest.mark.parametrize("years, days, cohort", [
    (3, 0, "3-11"), (3, 1, None), (11, -1, "3-11"), (12, 0, "12-17"), (12, 1, "3-11"),
    (17, 0, "12-17"), (18, 0, "18-59"), (18, 1, "12-17"), (59, 0, "18-59"), (60, 0, "60+"), (60, 1, "18-59"),
])
def test_cohort_boundaries_fall_on_birthdays(county, years, days, cohort):
    """Born `years` years before the day (+`days`): the SQL count agrees with the Python rule."""
    who = aged(county.east_grid, years, days=days)
    assert cohort_of(who.birth_date, DAY) == cohort
    cover = unit_coverage(county.east, DAY)
    if cohort is None:
        assert cover.population == 0
    else:
        assert cover.cohorts[cohort]["population"] == 1 and cover.population == 1


def test_population_leaves_out_provisional_people_and_those_without_birth_date(county):
    aged(county.east_grid, 30)
    aged(county.east_grid, 30, provisional=True)
    person(county.east_grid, datetime.date(1990, 1, 1))
    from fangkong.people.models import Person

    Person.objects.create(name="无生日", unit=county.east_grid)
    assert unit_coverage(county.east, DAY).population == 2


@pytest.mark.parametrize("code, given, full, boosted", [
    ("adenovirus-ad5", 1, 1, 0), ("adenovirus-ad5", 2, 1, 1),
    ("inactivated-bibp", 1, 0, 0), ("inactivated-bibp", 2, 1, 0), ("inactivated-bibp", 3, 1, 1),
    ("recombinant-zf2001", 2, 0, 0), ("recombinant-zf2001", 3, 1, 0), ("recombinant-zf2001", 4, 1, 1),
])
def test_full_course_depends_on_the_product(county, code, given, full, boosted):
    doses(aged(county.east_grid, 40), given, code=code)
    cover = unit_coverage(county.east, DAY)
    assert (cover.total("vaccinated"), cover.total("full"), cover.total("boosted")) == (1, full, boosted)
    assert cover.total("second") == (1 if given >= 2 else 0)


def test_first_dose_product_decides_a_mixed_schedule(county):
    """Two inactivated doses and a recombinant booster: full and boosted, not 3 of 3 recombinant."""
    who = aged(county.east_grid, 40)
    doses(who, 2, code="inactivated-wibp")
    doses(who, 1, code="recombinant-zf2001", first=datetime.date(2021, 12, 1), start=3)
    cover = unit_coverage(county.east, DAY)
    assert cover.total("full") == 1 and cover.total("boosted") == 1


def test_doses_after_the_date_do_not_count(county):
    who = aged(county.east_grid, 40)
    doses(who, 2, first=DAY - datetime.timedelta(days=10), every=20)
    assert unit_coverage(county.east, DAY).total("vaccinated") == 1
    assert unit_coverage(county.east, DAY).total("second") == 0
    assert unit_coverage(county.east, DAY + datetime.timedelta(days=10)).total("full") == 1


def test_deferred_people_are_left_out_of_the_eligible_while_deferred(county):
    a, b, c = (aged(county.east_grid, 40) for _ in range(3))
    defer(a)
    defer(b, ends_on=DAY - datetime.timedelta(days=1))
    defer(c, starts_on=DAY + datetime.timedelta(days=1))
    cover = unit_coverage(county.east, DAY)
    assert cover.population == 3 and cover.eligible == 2


def test_metrics_by_cohort(county):
    grid = county.east_grid
    for _ in range(2):
        doses(aged(grid, 7), 2)  # 3-11: two of four had a second dose
        aged(grid, 8)
    doses(aged(grid, 70), 1)  # 60+: one of two covered
    aged(grid, 65)
    doses(aged(grid, 30), 3)  # 18-59: two fully vaccinated, one boosted
    doses(aged(grid, 31), 2)
    cover = unit_coverage(county.east, DAY)
    assert cover.metric("second_3_11") == 50.0
    assert cover.metric("coverage_60") == 50.0
    assert cover.metric("booster_share") == 50.0
    assert cover.metric("full_rate") == round(100 * 4 / 8, 1)
    rows = {row["key"]: row for row in cover.cohort_rows()}
    assert rows["3-11"]["rates"]["second"] == 50.0 and rows["12-17"]["rates"]["coverage"] is None
    assert rows["all"]["counts"]["population"] == 8


def test_counts_for_nested_paths_in_one_query(county):
    doses(aged(county.east_grid, 70), 3)
    aged(county.east_grid, 65)
    doses(aged(county.west_grid, 30), 2)
    doses(aged(county.river, 20), 1)
    paths = [county.county.path, county.town.path, county.east.path, county.east_grid.path, county.west.path,
             county.river.path, county.other_town.path]
    with CaptureQueriesContext(connection) as queries:
        counts = vaccination_counts(paths, DAY)
    assert len(queries) == 1
    assert counts[county.east_grid.path] == counts[county.east.path] == {
        "population": 2, "vaccinated": 1, "full": 1, "boosted": 1, "population_60": 2, "vaccinated_60": 1}
    assert counts[county.town.path] == {
        "population": 3, "vaccinated": 2, "full": 2, "boosted": 1, "population_60": 2, "vaccinated_60": 1}
    assert counts[county.county.path]["population"] == 4 and counts[county.county.path]["vaccinated"] == 3
    assert counts[county.other_town.path] == counts[county.river.path]
    assert counts[county.river.path]["full"] == 0 and counts[county.river.path]["vaccinated"] == 1


def test_while_doses_are_unchanged_each_date_is_read_once(county):
    doses(aged(county.east_grid, 30), 2)
    paths = [county.town.path, county.east.path]
    with doses_unchanged(), CaptureQueriesContext(connection) as queries:
        first = vaccination_counts(paths, DAY)
        again = vaccination_counts([county.east.path, county.town.path], DAY)
        vaccination_counts(paths, DAY - datetime.timedelta(days=1))
    assert len(queries) == 2
    assert first == again
    assert first[county.town.path]["full"] == 1
    # Outside the block every call reads the tables again.
    doses(aged(county.east_grid, 40), 2)
    assert vaccination_counts(paths, DAY)[county.town.path]["full"] == 2


def test_counts_of_a_unit_without_people_are_zero(county):
    counts = vaccination_counts([county.west.path], DAY)
    assert counts == {county.west.path: {"population": 0, "vaccinated": 0, "full": 0, "boosted": 0,
                                         "population_60": 0, "vaccinated_60": 0}}
    assert vaccination_counts([], DAY) == {}


def test_ranking_of_child_units(county):
    doses(aged(county.east_grid, 30), 2)
    doses(aged(county.east_grid, 70), 1)
    doses(aged(county.west_grid, 30), 3)
    aged(county.west_grid, 70)
    aged(county.west_grid, 7)
    rows = ranking(county.town, DAY)
    assert [row["unit"] for row in rows] == [county.east, county.west]
    east, west = rows
    assert east["values"]["full_rate"] == 50.0 and west["values"]["full_rate"] == round(100 / 3, 1)
    assert east["ranks"]["full_rate"] == 1 and west["ranks"]["full_rate"] == 2
    assert east["values"]["coverage_60"] == 100.0 and west["values"]["coverage_60"] == 0.0
    assert west["ranks"]["booster_share"] == 1 and east["ranks"]["booster_share"] == 2
    # East has no child aged 3–11: no value, no rank, listed last.
    assert east["values"]["second_3_11"] is None and east["ranks"]["second_3_11"] is None
    assert [row["unit"] for row in sort_ranking(rows, "second_3_11")] == [county.west, county.east]
    # 河口镇 has nobody: not ranked among the county's towns.
    assert [row["unit"] for row in ranking(county.county, DAY)] == [county.town]


def test_equal_values_share_a_rank(county):
    doses(aged(county.east_grid, 30), 2)
    doses(aged(county.west_grid, 30), 2)
    rows = ranking(county.town, DAY)
    assert [row["ranks"]["full_rate"] for row in rows] == [1, 1]


def test_coverage_by_path_counts_a_person_once_at_every_level(county):
    doses(aged(county.east_grid, 30), 2)
    result = coverage_by_path([county.east_grid.path, county.town.path, county.county.path], DAY)
    assert {path: cover.total("full") for path, cover in result.items()} == dict.fromkeys(result, 1)
