import datetime

import pytest

from fangkong.conftest import fictional_id
from fangkong.people.models import Affiliation, Person
from fangkong.people.services.duplicates import MergeError, likely_duplicate_groups, merge_persons


@pytest.fixture
def twins(county):
    born = datetime.date(1960, 5, 1)
    first = Person.objects.create(name="王芳", birth_date=born, phone="13712345678", unit=county.east_grid)
    second = Person.objects.create(
        name="王芳", birth_date=born, phone="13712345678", unit=county.east_grid,
        id_number=fictional_id(birth="19600501", seq=2), address="东门村5号",
    )
    return first, second


def test_same_name_birth_and_phone_without_id_is_listed(twins):
    groups = list(likely_duplicate_groups(Person.objects.all()))
    assert [(g["name"], g["count"]) for g in groups] == [("王芳", 2)]


def test_people_with_different_ids_are_not_duplicates(county):
    born = datetime.date(1970, 1, 1)
    for seq in (3, 5):
        Person.objects.create(name="赵六", birth_date=born, phone="13600000000", unit=county.east_grid,
                              id_number=fictional_id(birth="19700101", seq=seq))
    assert not likely_duplicate_groups(Person.objects.all()).exists()


def test_duplicates_are_listed_only_within_jurisdiction(triad, twins):
    assert likely_duplicate_groups(Person.objects.restrict(triad.inside)).exists()
    assert not likely_duplicate_groups(Person.objects.restrict(triad.neighbour)).exists()
    assert likely_duplicate_groups(Person.objects.restrict(triad.above)).exists()


def test_merge_fills_blanks_repoints_relations_and_keeps_history(twins, county):
    keep, duplicate = twins
    Affiliation.objects.create(person=duplicate, unit=county.river, kind="employee")
    id_number = duplicate.id_number
    merge_persons(keep, duplicate)
    keep.refresh_from_db()
    assert keep.id_number == id_number and keep.address == "东门村5号"
    assert list(keep.affiliations.values_list("unit__code", flat=True)) == ["430626101201"]
    assert not Person.objects.filter(pk=duplicate.pk).exists()
    assert keep.history.first().history_change_reason.startswith("合并重复人员")


def test_merging_people_with_different_ids_is_refused(county):
    a = Person.objects.create(name="甲", unit=county.east_grid, id_number=fictional_id(seq=7))
    b = Person.objects.create(name="甲", unit=county.east_grid, id_number=fictional_id(seq=9))
    with pytest.raises(MergeError):
        merge_persons(a, b)
