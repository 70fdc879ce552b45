import datetime

import pytest
from django.utils import timezone

from fangkong.people.models import Move
from fangkong.people.services.moves import MoveError, move_household, move_person


def test_the_service_refuses_a_destination_outside_the_movers_jurisdiction(triad):
    # Pages and commands call the service directly, without the API's field check.
    with pytest.raises(MoveError, match="不在您的辖区内"):
        move_person(triad.east_person, triad.county.west_grid, user=triad.inside)
    with pytest.raises(MoveError, match="不在您的辖区内"):
        move_household(triad.east_household, triad.county.west_grid, user=triad.inside)
    assert not Move.objects.exists()


def test_the_history_names_the_mover_without_a_request(triad):
    move_person(triad.east_person, triad.county.west_grid, user=triad.above, moved_on=datetime.date(2022, 1, 5),
                reason="投亲")
    record = triad.east_person.history.latest()
    assert (record.history_user, record.history_change_reason) == (triad.above, "迁移：投亲")
    assert record.unit == triad.county.west_grid


def test_a_household_move_writes_one_move_per_household_and_member(triad):
    moves = move_household(triad.east_household, triad.county.west_grid, user=triad.above, to_address="西门村9号")
    assert [(m.household_id, m.person_id) for m in moves] == [
        (triad.east_household.pk, None), (triad.east_household.pk, triad.east_person.pk),
    ]
    triad.east_person.refresh_from_db()
    assert (triad.east_person.unit_path, triad.east_person.address) == (triad.county.west_grid.path, "西门村9号")
    assert all(m.moved_on == timezone.localdate() for m in moves)
