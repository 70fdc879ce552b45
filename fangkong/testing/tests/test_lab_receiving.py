import pytest
from django.core.exceptions import ValidationError

from fangkong.testing.models import LabBatch, Tube, TubeStatus
from fangkong.testing.services.lab import receive_tubes

from .test_lab_support import NOW, lab_fixture, make_tube  # noqa: F401


def test_receiving_marks_closed_tubes_received_in_one_batch(lab):
    make_tube(lab.east_point, "T0001")
    make_tube(lab.west_point, "T0002")
    batch = receive_tubes(lab.unit, ["T0001", " t0002 ", "T0001"], lab.worker, NOW)
    assert batch.tubes == 2 and batch.lab == lab.unit and batch.received_at == NOW
    assert batch.unknown == [] and batch.already_received == [] and batch.messages == []
    tubes = Tube.objects.filter(batch=batch)
    assert {t.barcode for t in tubes} == {"T0001", "T0002"}
    assert {t.status for t in tubes} == {TubeStatus.RECEIVED}
    assert all(t.received_at == NOW for t in tubes)


def test_open_tube_is_closed_on_receipt(lab):
    tube = make_tube(lab.east_point, "T0003", status=TubeStatus.OPEN)
    batch = receive_tubes(lab.unit, ["T0003"], lab.worker, NOW)
    tube.refresh_from_db()
    assert tube.status == TubeStatus.RECEIVED and tube.closed_at == NOW
    assert batch.closed_on_receipt == ["T0003"]


def test_unknown_and_already_received_barcodes_are_reported_in_chinese(lab):
    make_tube(lab.east_point, "T0004")
    make_tube(lab.east_point, "T0005")
    receive_tubes(lab.unit, ["T0004"], lab.worker, NOW)
    batch = receive_tubes(lab.unit, ["T0004", "T0005", "NOPE1"], lab.worker, NOW)
    assert batch.tubes == 1
    assert batch.unknown == ["NOPE1"] and batch.already_received == ["T0004"]
    assert "查无此管" in batch.messages[0] and "NOPE1" in batch.messages[0]
    assert "已接收" in batch.messages[1] and "T0004" in batch.messages[1]
    assert Tube.objects.get(barcode="T0004").batch != batch


def test_nothing_receivable_writes_no_batch(lab):
    with pytest.raises(ValidationError) as raised:
        receive_tubes(lab.unit, ["NOPE1", "NOPE2"], lab.worker, NOW)
    assert "查无此管" in raised.value.messages[0]
    assert not LabBatch.objects.exclude(pk=lab.batch.pk).exists()


def test_thousands_of_barcodes_take_a_handful_of_queries(lab, django_assert_max_num_queries):
    tubes = [Tube(barcode=f"B{i:05d}", round=lab.round, point=lab.east_point, unit_path=lab.east_point.unit_path,
                  status=TubeStatus.CLOSED, opened_at=NOW) for i in range(4500)]
    Tube.objects.bulk_create(tubes)
    with django_assert_max_num_queries(20):
        batch = receive_tubes(lab.unit, [t.barcode for t in tubes] + ["NOPE1"], lab.worker, NOW)
    assert batch.tubes == 4500 and batch.unknown == ["NOPE1"]
    assert Tube.objects.filter(status=TubeStatus.RECEIVED).count() == 4500
