import openpyxl
import pytest
from django.core.management import call_command

from fangkong.conftest import fictional_id
from fangkong.people.models import Person
from fangkong.people.services.ledger import export_persons, import_persons

from .ledger_files import person_row, write_csv


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def read(path):
    sheet = openpyxl.load_workbook(path).active
    rows = list(sheet.iter_rows())
    headers = [cell.value for cell in rows[0]]
    return [dict(zip(headers, row)) for row in rows[1:]]


def test_masked_export_and_cells_that_look_like_formulas_stay_text(triad, tmp_path):
    Person.objects.create(name="=1+1", id_number=fictional_id(seq=300), phone="13700137000",
                          unit=triad.county.east_grid, address="@SUM(1+1)")
    path = tmp_path / "export.xlsx"
    export_persons(Person.objects.order_by("pk"), path, masked=True)

    rows = {row["姓名"].value: row for row in read(path)}
    formula = rows["=1+1"]
    assert formula["姓名"].data_type == "s" and formula["现住址"].value == "@SUM(1+1)"
    assert formula["现住址"].data_type == "s"
    assert formula["证件号码"].value == "4306**********" + fictional_id(seq=300)[-4:]
    assert formula["联系电话"].value == "137****7000"
    east = rows["张三丰"]
    assert east["户号"].value == "H-EAST-1" and east["所属网格"].value == "430626100201-01"
    assert (east["性别"].value, east["证件类型"].value, east["人员类别"].value, east["老年人"].value) == (
        "男", "居民身份证", "常住", "否")


def test_unmasked_export_keeps_numbers(triad, tmp_path):
    path = tmp_path / "export.xlsx"
    export_persons(Person.objects.filter(pk=triad.east_person.pk), path, masked=False)
    (row,) = read(path)
    assert row["证件号码"].value == triad.east_person.id_number and row["联系电话"].value == "13800135678"


def test_export_command_is_limited_to_the_unit_and_can_be_imported_again(triad, tmp_path):
    county = triad.county
    head = fictional_id(seq=310)
    rows = [
        person_row(310, "赵大", 与户主关系="户主", 户主身份证号=head, 所属网格=county.east_grid.code),
        person_row(311, "钱二", 与户主关系="配偶", 户主身份证号=head, 联系电话="0731-84123456"),
    ]
    import_persons(write_csv(tmp_path / "ledger.csv", rows), unit=county.east)
    path = tmp_path / "东门.xlsx"
    call_command("export", "persons", "--unit", county.east.code, "-o", str(path))

    assert [row["姓名"].value for row in read(path)] == ["钱二", "张三丰", "赵大"]
    batch = import_persons(path, unit=county.east)
    assert batch.counts() == {"rows": 3, "created": 0, "updated": 1, "unchanged": 2, "rejected": 0}
    # The one update: 张三丰 of the fixture had no birth date; the ID gives it.
    assert str(Person.objects.get(name="张三丰").birth_date) == "1980-01-01"


def test_export_command_masks(triad, tmp_path):
    path = tmp_path / "县.xlsx"
    call_command("export", "persons", "--unit", triad.county.county.code, "-o", str(path), "--masked")
    rows = read(path)
    assert sorted(row["姓名"].value for row in rows) == ["张三丰", "李四"]
    assert all("*" in row["证件号码"].value and "*" in row["联系电话"].value for row in rows)
