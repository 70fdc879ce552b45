"""Hand-over of a case to another unit (协查移交): the receiver must accept; until then the
sender keeps sight of the case; afterwards only the receiver has it."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangkong.alerts.models import Alert, AlertKind
from fangkong.control.models import CaseStatus, ControlCase, FollowUpEntry, FollowUpSlot
from fangkong.control import models as control
from fangkong.control.services.transfers import (
    accept_transfer, confirm_handover, decline_transfer, incoming_for, transfer_case,
)

from .test_case_support import D, at, open_v8_close_contact, v8  # noqa: F401


def visible(user):
    return set(ControlCase.objects.restrict(user).values_list("pk", flat=True))


@pytest.fixture
def handed(triad, v8):
    case = open_v8_close_contact(triad.east_person, triad.inside)
    slot = case.slots.order_by("starts_at").first()
    FollowUpEntry.objects.create(case=case, slot=slot, unit_path=case.unit_path, recorded_at=at(D(2022, 1, 11), 8, 30),
                                 temperature="36.5", method="phone")
    transfer = transfer_case(case, to_unit=triad.county.west_grid, reason="实际居住在西门村", by=triad.inside,
                             now=at(D(2022, 1, 12)))
    return case, transfer


def test_transfer_visible_to_sender_until_accepted_then_only_to_receiver(triad, handed):
    case, transfer = handed
    assert case.pk in visible(triad.inside)
    assert case.pk not in visible(triad.neighbour)
    assert list(incoming_for(triad.neighbour)) == [transfer]
    assert list(incoming_for(triad.inside)) == []
    alert = Alert.objects.get(kind=AlertKind.TRANSFER_PENDING, key=f"transfer:{transfer.pk}")
    assert alert.origin_unit == triad.county.west_grid and alert.resolved_at is None
    assert alert.deliveries.filter(user=triad.neighbour).exists()
    assert alert.subject == transfer

    accepted = accept_transfer(transfer, triad.neighbour, at(D(2022, 1, 12), 11))
    assert accepted.accepted_by == triad.neighbour
    case.refresh_from_db()
    assert case.unit == triad.county.west_grid and case.unit_path == triad.county.west_grid.path
    assert case.pk not in visible(triad.inside)
    assert case.pk in visible(triad.neighbour)
    assert case.pk in visible(triad.above)
    # Tests, slots and entries move with the case.
    for model in (control.CaseTest, FollowUpSlot, FollowUpEntry):
        assert set(model.objects.filter(case=case).values_list("unit_path", flat=True)) == {case.unit_path}
    alert.refresh_from_db()
    assert alert.resolved_at is not None
    assert case.history.order_by("-history_date", "-history_id").first().history_user == triad.neighbour


def test_only_the_receiving_unit_may_accept(triad, handed):
    _case, transfer = handed
    with pytest.raises(PermissionDenied):
        accept_transfer(transfer, triad.inside, at(D(2022, 1, 12), 11))
    with pytest.raises(PermissionDenied):
        accept_transfer(transfer, triad.readonly, at(D(2022, 1, 12), 11))


def test_a_transfer_is_settled_once(triad, handed):
    _case, transfer = handed
    accept_transfer(transfer, triad.neighbour, at(D(2022, 1, 12), 11))
    with pytest.raises(ValidationError, match="已处理"):
        accept_transfer(transfer, triad.neighbour, at(D(2022, 1, 12), 12))
    with pytest.raises(ValidationError, match="已处理"):
        decline_transfer(transfer, triad.neighbour, at(D(2022, 1, 12), 12), "不是本村")


def test_declined_transfer_leaves_the_case_with_the_sender_who_is_told(triad, handed):
    case, transfer = handed
    with pytest.raises(ValidationError, match="须填写原因"):
        decline_transfer(transfer, triad.neighbour, at(D(2022, 1, 12), 11), "")
    decline_transfer(transfer, triad.neighbour, at(D(2022, 1, 12), 11), "查无此人")
    case.refresh_from_db()
    assert case.unit == triad.county.east_grid
    assert case.pk in visible(triad.inside) and case.pk not in visible(triad.neighbour)
    assert Alert.objects.get(kind=AlertKind.TRANSFER_PENDING).resolved_at is not None
    told = Alert.objects.get(key=f"transfer:{transfer.pk}:declined")
    assert told.origin_unit == triad.county.east_grid and "查无此人" in told.detail
    # It may be handed over again.
    transfer_case(case, to_area="广东省深圳市", reason="返回深圳", by=triad.inside, now=at(D(2022, 1, 13)))


def test_one_pending_transfer_at_a_time_and_a_reason_and_target_are_needed(triad, handed):
    case, _transfer = handed
    with pytest.raises(ValidationError, match="待接收"):
        transfer_case(case, to_unit=triad.county.river, reason="再移交", by=triad.inside, now=at(D(2022, 1, 12)))
    other = open_v8_close_contact(triad.west_person, triad.neighbour)
    with pytest.raises(ValidationError, match="须填写原因"):
        transfer_case(other, to_unit=triad.county.river, reason="", by=triad.neighbour, now=at(D(2022, 1, 12)))
    with pytest.raises(ValidationError, match="二选一"):
        transfer_case(other, reason="x", by=triad.neighbour, now=at(D(2022, 1, 12)))
    with pytest.raises(PermissionDenied):
        transfer_case(other, to_unit=triad.county.river, reason="x", by=triad.inside, now=at(D(2022, 1, 12)))


def test_handover_to_an_outside_area_is_closed_when_the_sender_confirms(triad, v8):
    case = open_v8_close_contact(triad.east_person, triad.inside)
    transfer = transfer_case(case, to_area="广东省深圳市南山区", reason="协查函要求移交", by=triad.inside,
                             now=at(D(2022, 1, 12)))
    assert not Alert.objects.filter(kind=AlertKind.TRANSFER_PENDING).exists()
    with pytest.raises(ValidationError):
        accept_transfer(transfer, triad.inside, at(D(2022, 1, 12), 11))
    with pytest.raises(PermissionDenied):
        confirm_handover(transfer, triad.neighbour, at(D(2022, 1, 12), 11))
    confirm_handover(transfer, triad.inside, at(D(2022, 1, 13), 9))
    case.refresh_from_db()
    assert case.status == CaseStatus.TRANSFERRED_OUT
    assert "广东省深圳市南山区" in case.closed_note
    assert not case.slots.filter(status="open").exists()
