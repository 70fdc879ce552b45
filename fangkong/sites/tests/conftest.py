import types
from datetime import datetime

import pytest
from django.utils import timezone

from fangkong.conftest import make_user
from fangkong.control.testing import make_case
from fangkong.orgs.services import add_unit
from fangkong.sites.services import add_rooms

NOW = timezone.make_aware(datetime(2022, 1, 27, 9, 0))


@pytest.fixture
def sites(triad):
    """An isolation site under 东门村 (3 single rooms and a double) and one under 西门村; a
    statistician of each village may check people in."""
    county = triad.county
    east = add_unit(county.east, code="ISO-EAST", name="东门隔离点", type="isolation_site")
    west = add_unit(county.west, code="ISO-WEST", name="西门隔离点", type="isolation_site")
    east_rooms, _ = add_rooms(east, "101-103")
    double, _ = add_rooms(east, "201", beds=2)
    west_rooms, _ = add_rooms(west, "101-102")
    return types.SimpleNamespace(
        east=east, west=west,
        rooms={r.number: r for r in [*east_rooms, *double]}, west_rooms={r.number: r for r in west_rooms},
        east_case=make_case(triad.east_person),
        west_case=make_case(triad.west_person),
        east_clerk=make_user("east_clerk", "statistician", county.east),
        west_clerk=make_user("west_clerk", "statistician", county.west),
    )
