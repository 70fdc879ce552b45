"""Shared setting for the lab and certificate tests: a county lab, sampling points in 东门村 and
西门村, one round, and tubes with samples written straight to the tables."""

import datetime
import types

import pytest

from fangkong.conftest import make_user
from fangkong.control.testing import local
from fangkong.orgs.services import add_unit
from fangkong.testing import models
from fangkong.testing.models import LabBatch, Sample, SamplingPoint, Tube, TubeStatus

NOW = local(datetime.date(2022, 4, 1), datetime.time(14))


def make_tube(point, barcode, people=(), *, status=TubeStatus.CLOSED, opened_at=None, batch=None):
    """A tube with samples of `people`; received in `batch` when given."""
    opened_at = opened_at or NOW - datetime.timedelta(hours=6)
    if batch is not None:
        status = TubeStatus.RECEIVED
    tube = Tube.objects.create(
        batch=batch, received_at=batch and batch.received_at,
        barcode=barcode, round=point.round, point=point, unit_path=point.unit_path, size=len(people), status=status,
        opened_at=opened_at, closed_at=None if status == TubeStatus.OPEN else opened_at + datetime.timedelta(minutes=20),
    )
    for person in people:
        Sample.objects.create(tube=tube, round=point.round, person=person, unit_path=person.unit_path,
                              scanned_at=opened_at + datetime.timedelta(minutes=5))
    return tube


@pytest.fixture(name="lab")
def lab_fixture(triad):
    county = triad.county
    lab_unit = add_unit(county.county, code="430626-JC01", name="示范县疾控中心实验室", type="lab")
    east_unit = add_unit(county.east, code="430626-CY01", name="东门村采样点", type="sampling_point")
    west_unit = add_unit(county.west, code="430626-CY02", name="西门村采样点", type="sampling_point")
    # Through the module: a class named Test… imported into a test module would be collected.
    testing_round = models.TestingRound.objects.create(name="第一轮全员核酸", owner_unit=county.town,
                                                       starts_on=NOW.date(), ends_on=NOW.date())
    east_point = SamplingPoint.objects.create(round=testing_round, unit=east_unit)
    west_point = SamplingPoint.objects.create(round=testing_round, unit=west_unit)
    worker = make_user("lab_worker", "testing_staff", lab_unit)
    batch = LabBatch.objects.create(lab=lab_unit, received_at=NOW - datetime.timedelta(hours=5), received_by=worker)
    return types.SimpleNamespace(
        triad=triad, unit=lab_unit, batch=batch, worker=worker, round=testing_round, east_point=east_point, west_point=west_point,
    )
