import csv

import pytest
from django.core.management import call_command

from fangkong.people.models import Household, Person
from fangkong.people.services.ledger import import_persons


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_generated_ledger_has_n_rows_that_import_cleanly(county, tmp_path, suffix):
    path = tmp_path / f"generated.{suffix}"
    grids = [county.east_grid.code, county.west_grid.code]
    call_command("generate", "persons", "--rows", "60", "-o", str(path), "--unit-codes", *grids)

    batch = import_persons(path, unit=county.town)

    assert batch.counts() == {"rows": 60, "created": 60, "updated": 0, "unchanged": 0, "rejected": 0}
    assert set(Person.objects.values_list("unit__code", flat=True)) <= set(grids)
    households = Household.objects.all()
    assert 12 <= households.count() <= 60
    assert not households.filter(head=None).exists()
    assert all(1 <= h.members.count() <= 5 for h in households)


def test_generated_csv_rows_and_households(tmp_path):
    path = tmp_path / "generated.csv"
    call_command("generate", "persons", "--rows", "200", "-o", str(path))
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 200
    assert len({row["证件号码"] for row in rows}) == 200
    heads = {row["证件号码"] for row in rows if row["与户主关系"] == "户主"}
    assert {row["户主身份证号"] for row in rows} == heads
