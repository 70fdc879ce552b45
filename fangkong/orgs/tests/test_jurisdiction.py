from fangkong.accounts.models import Role, RoleAssignment
from fangkong.orgs.models import Unit
from fangkong.orgs.services import move_unit
from fangkong.people.models import Household, Person


def test_user_of_unit_sees_own_subtree_only(triad):
    assert list(Person.objects.restrict(triad.inside)) == [triad.east_person]
    assert list(Household.objects.restrict(triad.inside)) == [triad.east_household]


def test_user_of_neighbouring_unit_sees_none_of_it(triad):
    assert triad.east_person not in Person.objects.restrict(triad.neighbour)
    assert list(Person.objects.restrict(triad.neighbour)) == [triad.west_person]


def test_user_above_sees_both(triad):
    assert set(Person.objects.restrict(triad.above)) == {triad.east_person, triad.west_person}


def test_jurisdiction_is_union_of_role_units(triad):
    RoleAssignment.objects.create(
        user=triad.inside, role=Role.objects.get(code="readonly"), unit=triad.county.west
    )
    assert set(Person.objects.restrict(triad.inside)) == {triad.east_person, triad.west_person}


def test_user_without_roles_sees_nothing(triad, django_user_model):
    nobody = django_user_model.objects.create_user("nobody", password="x-Very-long-pass")
    assert not Person.objects.restrict(nobody).exists()
    assert not Unit.objects.restrict(nobody).exists()


def test_units_restricted_to_subtree(triad):
    codes = set(Unit.objects.restrict(triad.inside).values_list("code", flat=True))
    assert codes == {"430626100201", "430626100201-01"}


def test_moving_a_unit_carries_people_into_new_jurisdiction(triad):
    move_unit(triad.county.east, triad.county.other_town)
    triad.inside._jurisdiction_paths = None
    assert list(Person.objects.restrict(triad.inside)) == [triad.east_person]
    above = Person.objects.restrict(triad.above)
    assert triad.east_person not in above and triad.west_person in above


def test_masking_follows_role_permission(triad):
    person = triad.east_person
    assert person.id_number_for(triad.inside) == person.id_number
    masked = person.id_number_for(triad.readonly)
    assert masked == person.id_number[:4] + "*" * 10 + person.id_number[-4:]
    assert person.phone_for(triad.readonly) == "138****5678"


def test_path_range_holds_exactly_the_paths_under_a_prefix():
    from fangkong.orgs.jurisdiction import path_range

    assert path_range("00010001") == ("00010001", "00010002")
    low, high = path_range("0001000Z")
    inside = ["0001000Z", "0001000Z0001", "0001000ZZZZZ"]
    outside = ["0001000Y", "00010010", "0001001", "0002"]
    assert all(low <= p < high for p in inside)
    assert not any(low <= p < high for p in outside)
