"""Shared fixtures. The jurisdiction triad: a user of the unit, a user of the neighbouring
unit and a user above both, over a small county with people in both villages."""

import types

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from fangkong.accounts.models import Role, RoleAssignment, User
from fangkong.lib.idnumbers import with_check_digit
from fangkong.orgs.services import add_unit
from fangkong.people.models import Household, Person

PASSWORD = "Fk-test-pass-2022"


def make_user(username, role_code, unit, **extra):
    user = User.objects.create_user(username=username, password=PASSWORD, **extra)
    RoleAssignment.objects.create(user=user, role=Role.objects.get(code=role_code), unit=unit)
    return user


def fictional_id(region="430626", birth="19800101", seq=1):
    return with_check_digit(f"{region}{birth}{seq:03d}")


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Tests make many users; the real hasher would spend most of the run on key stretching."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def county(db):
    """示范县 > 城关镇 > (东门村 > 东门一组, 西门村 > 西门一组); 城关镇's neighbour 河口镇."""
    c = add_unit(None, code="430626", name="示范县", type="county", division_code="430626")
    town = add_unit(c, code="430626100", name="城关镇", type="town", division_code="430626100000")
    other_town = add_unit(c, code="430626101", name="河口镇", type="town", division_code="430626101000")
    east = add_unit(town, code="430626100201", name="东门村", type="village")
    west = add_unit(town, code="430626100202", name="西门村", type="village")
    east_grid = add_unit(east, code="430626100201-01", name="东门一组", type="grid")
    west_grid = add_unit(west, code="430626100202-01", name="西门一组", type="grid")
    river = add_unit(other_town, code="430626101201", name="河口村", type="village")
    return types.SimpleNamespace(
        county=c, town=town, other_town=other_town, east=east, west=west,
        east_grid=east_grid, west_grid=west_grid, river=river,
    )


@pytest.fixture
def triad(county):
    """inside: grid worker of 东门村; neighbour: grid worker of 西门村; above: leader of 城关镇.
    `readonly` sits in 东门村 with a role that may not see ID and phone numbers."""
    east_household = Household.objects.create(number="H-EAST-1", address="东门村1号", unit=county.east_grid)
    west_household = Household.objects.create(number="H-WEST-1", address="西门村1号", unit=county.west_grid)
    east_person = Person.objects.create(
        name="张三丰", id_number=fictional_id(seq=11), phone="13800135678", unit=county.east_grid,
        household=east_household, relation_to_head="户主", sex="M", address="东门村1号",
    )
    west_person = Person.objects.create(
        name="李四", id_number=fictional_id(seq=22), phone="13900135679", unit=county.west_grid,
        household=west_household, relation_to_head="户主", sex="F", address="西门村1号",
    )
    return types.SimpleNamespace(
        county=county,
        inside=make_user("east_worker", "grid_worker", county.east),
        neighbour=make_user("west_worker", "grid_worker", county.west),
        above=make_user("town_leader", "leader", county.town),
        readonly=make_user("east_readonly", "readonly", county.east),
        east_household=east_household, west_household=west_household,
        east_person=east_person, west_person=west_person,
    )


@pytest.fixture
def api(db):
    """api(user) → a client calling as that user with a token; api() → anonymous."""

    def client_for(user=None):
        client = APIClient()
        if user is not None:
            token, _created = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return client_for


@pytest.fixture
def as_user(db):
    """as_user(user) → a test client logged in as that user (Chinese unless told otherwise)."""

    def client_for(user, language="zh-hans"):
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        client.force_login(user)
        return client

    return client_for
