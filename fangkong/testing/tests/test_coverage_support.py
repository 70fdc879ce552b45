"""Shared setting for the coverage and frequency tests: rounds with a scope, people, samples
written straight to the tables, key-group members."""

import datetime
import itertools

from fangkong.conftest import fictional_id
from fangkong.control.testing import local
from fangkong.orgs.services import add_unit
from fangkong.people.models import Person
from fangkong.testing import models
from fangkong.testing.models import GroupMember, Sample, SamplingPoint, Target, Tube, TubeStatus

DAY = datetime.date(2022, 4, 10)
_serial = itertools.count(1)


def make_round(owner, *scope, starts_on=DAY, ends_on=None, target=Target.ALL_RESIDENTS, name="第1轮全员核酸"):
    # Through the module: a class named Test… imported into a test module would be collected.
    testing_round = models.TestingRound.objects.create(
        name=name, owner_unit=owner, starts_on=starts_on, ends_on=ends_on or starts_on + datetime.timedelta(days=2),
        target=target)
    testing_round.scope.set(scope or [owner])
    return testing_round


def make_people(unit, n, start=None, **extra):
    start = start if start is not None else 300 + next(_serial) * 20
    return [Person.objects.create(name=f"居民{start + i}", id_number=fictional_id(seq=start + i),
                                  phone=f"1380013{start + i:04d}", unit=unit, address=f"{unit.name}{i}号", **extra)
            for i in range(n)]


def sample(testing_round, people, at=None):
    """A tube of the round at a point under the round's owner unit holding `people`."""
    serial = next(_serial)
    at = at or local(testing_round.starts_on, datetime.time(9))
    point_unit = add_unit(testing_round.owner_unit, code=f"CY-{serial}", name=f"采样点{serial}",
                          type="sampling_point")
    point = SamplingPoint.objects.create(round=testing_round, unit=point_unit)
    tube = Tube.objects.create(barcode=f"TB{serial:06d}", round=testing_round, point=point, size=len(people),
                               status=TubeStatus.CLOSED, opened_at=at)
    for person in people:
        Sample.objects.create(tube=tube, round=testing_round, person=person, scanned_at=at)
    return tube


def member(person, unit, group="high_risk_post", since=DAY - datetime.timedelta(days=30), until=None):
    return GroupMember.objects.create(person=person, unit=unit, group=group, since=since, until=until)
