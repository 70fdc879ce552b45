"""Check-in and check-out: beds, one open stay per case, the case's place."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from fangkong.conftest import fictional_id
from fangkong.control.models import CaseStatus, ControlCase
from fangkong.control.testing import make_case
from fangkong.people.models import Person
from fangkong.sites.models import Stay
from fangkong.sites.services import check_in, check_out, occupancy

from .conftest import NOW


def another_case(triad, seq):
    person = Person.objects.create(name=f"密接{seq}", id_number=fictional_id(seq=seq), unit=triad.county.east_grid)
    return make_case(person)


def test_check_in_places_the_case_in_the_room(sites, triad):
    stay = check_in(sites.east_case, sites.rooms["101"], by=sites.east_clerk, now=NOW)
    case = ControlCase.objects.get(pk=sites.east_case.pk)
    assert (case.place, case.site, case.room) == ("site", sites.east, sites.rooms["101"])
    assert stay.unit_path == sites.east.path and stay.checked_in_by == sites.east_clerk
    assert case.history.first().room_id == sites.rooms["101"].pk  # recorded in the case's history


def test_a_full_room_is_refused(sites, triad):
    check_in(sites.east_case, sites.rooms["101"], now=NOW)
    with pytest.raises(ValidationError, match="房间101已住满（1张床位）"):
        check_in(another_case(triad, 31), sites.rooms["101"], now=NOW)
    # The double room takes two.
    check_in(another_case(triad, 32), sites.rooms["201"], now=NOW)
    check_in(another_case(triad, 33), sites.rooms["201"], now=NOW)
    with pytest.raises(ValidationError, match="已住满"):
        check_in(another_case(triad, 34), sites.rooms["201"], now=NOW)


def test_a_second_open_stay_is_refused(sites, triad):
    check_in(sites.east_case, sites.rooms["101"], now=NOW)
    with pytest.raises(ValidationError, match="张三丰已在隔离点入住"):
        check_in(sites.east_case, sites.rooms["102"], now=NOW)
    assert Stay.objects.count() == 1


def test_inactive_room_and_released_case_are_refused(sites, triad):
    room = sites.rooms["103"]
    room.is_active = False
    room.save()
    with pytest.raises(ValidationError, match="已停用"):
        check_in(sites.east_case, room, now=NOW)
    released = another_case(triad, 35)
    released.status = CaseStatus.RELEASED
    released.save()
    with pytest.raises(ValidationError, match="不在管控中"):
        check_in(released, sites.rooms["101"], now=NOW)


def test_check_out_frees_the_bed_once(sites, triad):
    stay = check_in(sites.east_case, sites.rooms["101"], now=NOW)
    check_out(stay, by=sites.east_clerk, now=NOW + timedelta(days=7))
    stay.refresh_from_db()
    assert stay.checked_out_at == NOW + timedelta(days=7) and stay.checked_out_by == sites.east_clerk
    case = ControlCase.objects.get(pk=sites.east_case.pk)
    assert (case.place, case.site, case.room) == ("home", None, None)
    with pytest.raises(ValidationError, match="已办理离开"):
        check_out(stay, now=NOW + timedelta(days=8))
    # The room and the case are free again.
    check_in(sites.east_case, sites.rooms["101"], now=NOW + timedelta(days=9))


def test_occupancy_counts_rooms_beds_and_people(sites, triad):
    check_in(sites.east_case, sites.rooms["101"], now=NOW)
    check_in(another_case(triad, 36), sites.rooms["201"], now=NOW)
    stay = check_in(another_case(triad, 37), sites.rooms["102"], now=NOW)
    check_out(stay, now=NOW + timedelta(hours=1))
    figures = occupancy([sites.east, sites.west])
    east = figures[sites.east.pk]
    assert (east.rooms, east.beds, east.occupied, east.free, east.rooms_free) == (4, 5, 2, 3, 2)
    assert east.percent == 40 and not east.over_capacity
    west = figures[sites.west.pk]
    assert (west.rooms, west.beds, west.occupied, west.free) == (2, 2, 0, 2)
