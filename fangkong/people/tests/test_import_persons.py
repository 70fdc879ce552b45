import datetime

import openpyxl
import pytest
from django.db import DatabaseError

from fangkong.conftest import fictional_id
from fangkong.people.models import Household, ImportBatch, Person
from fangkong.people.services import importer, sheets
from fangkong.people.services.columns import EXCEL_NUMBER_MESSAGE
from fangkong.people.services.ledger import LedgerError, import_persons, write_persons_template

from .ledger_files import HEADERS, person_row, rejected_rows, write_csv, write_xls, write_xlsx

EAST_GRID = "430626100201-01"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def family_rows():
    head = fictional_id(seq=101)
    return [
        person_row(101, "赵大", 与户主关系="户主", 户主身份证号=head, 所属网格=EAST_GRID),
        person_row(102, "钱二", 与户主关系="配偶", 户主身份证号=head, 所属网格="东门一组"),
        person_row(103, "孙三", 联系电话="0731-84123456"),
    ]


def counts(created=0, updated=0, unchanged=0, rejected=0):
    return {"rows": created + updated + unchanged + rejected, "created": created, "updated": updated,
            "unchanged": unchanged, "rejected": rejected}


def test_good_csv_imports_people_with_household_and_derived_fields(county, tmp_path):
    batch = import_persons(write_csv(tmp_path / "东门台账.csv", family_rows()), unit=county.east)

    assert batch.counts() == counts(created=3)
    assert batch.file_name == "东门台账.csv" and batch.finished_at and not batch.error_file and not batch.failure
    head = Person.objects.get(name="赵大")
    assert (head.sex, head.birth_date, head.name_initials) == ("M", datetime.date(1980, 1, 1), "zd")
    assert head.unit == county.east_grid and head.unit_path == county.east_grid.path
    household = head.household
    assert household.number == "H" + head.id_number and household.head == head
    assert household.unit == county.east_grid and household.unit_path == county.east_grid.path
    spouse = Person.objects.get(name="钱二")
    assert spouse.household == household and spouse.relation_to_head == "配偶" and spouse.sex == "F"
    alone = Person.objects.get(name="孙三")
    assert alone.unit == county.east and alone.household is None and alone.phone == "0731-84123456"
    assert alone.population_type == "resident"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_csv_in_utf8_with_or_without_bom_and_gb18030(county, tmp_path, encoding):
    batch = import_persons(write_csv(tmp_path / "ledger.csv", family_rows(), encoding=encoding), unit=county.east)
    assert batch.counts() == counts(created=3)
    assert set(Person.objects.values_list("name", flat=True)) == {"赵大", "钱二", "孙三"}


@pytest.mark.parametrize("write", [write_xlsx, write_xls], ids=["xlsx", "xls"])
def test_excel_files(county, tmp_path, write):
    suffix = "xlsx" if write is write_xlsx else "xls"
    batch = import_persons(write(tmp_path / f"ledger.{suffix}", family_rows()), unit=county.east)
    assert batch.counts() == counts(created=3)
    assert Person.objects.get(name="赵大").household.head.name == "赵大"


@pytest.mark.parametrize("headers", [
    ["姓名", "身份证号码", "手机号", "住址", "网格编码"],
    ["姓名", "证件号码", "电话", "居住地址", "所属网格"],
    [" 姓 名 ", "身份证号（必填）", "联系电话", "现住址", "*网格编码"],
])
def test_header_variants(county, tmp_path, headers):
    row = dict(zip(headers, ["周六", fictional_id(seq=105), "13900139000", "西街1号", EAST_GRID]))
    batch = import_persons(write_csv(tmp_path / "ledger.csv", [row], headers=headers), unit=county.east)
    assert batch.counts() == counts(created=1)
    person = Person.objects.get()
    assert (person.name, person.phone, person.address, person.unit) == ("周六", "13900139000", "西街1号", county.east_grid)


def test_rejected_rows_come_back_with_row_number_column_and_reason(county, tmp_path):
    bad_checksum = fictional_id(seq=107)[:-1] + ("0" if fictional_id(seq=107)[-1] != "0" else "1")
    rows = [
        person_row(106),
        person_row(107, 身份证号=bad_checksum),
        person_row(108, 联系电话="12345"),
        person_row(109, 性别="女"),
        person_row(110, 姓名=""),
        person_row(111, 所属网格="西门一组"),
    ]
    batch = import_persons(write_csv(tmp_path / "ledger.csv", rows), unit=county.east)

    assert batch.counts() == counts(created=1, rejected=5)
    assert list(Person.objects.values_list("name", flat=True)) == ["王五"]
    reasons = rejected_rows(batch)
    assert reasons[3] == "第2列「身份证号」：身份证号校验位不正确"
    assert reasons[4].startswith("第4列「联系电话」：不是有效的手机号或固定电话")
    assert reasons[5] == "第3列「性别」：性别与身份证号不符（身份证号显示为男）"
    assert reasons[6] == "第1列「姓名」：姓名不能为空"
    assert reasons[7].startswith("第6列「所属网格」：在「东门村」范围内找不到网格「西门一组」")
    assert batch.error_file.name.startswith("import-errors/")


def test_error_file_keeps_the_original_cells(county, tmp_path):
    rows = [person_row(112, 联系电话="=1+1")]
    batch = import_persons(write_csv(tmp_path / "ledger.csv", rows), unit=county.east)
    with batch.error_file.open("rb") as f:
        sheet = openpyxl.load_workbook(f).active
    assert [c.value for c in sheet[1]] == [*HEADERS, "原文件行号", "错误原因"]
    phone = sheet.cell(row=2, column=4)
    assert phone.value == "=1+1" and phone.data_type == "s"
    assert sheet.cell(row=2, column=2).value == fictional_id(seq=112)


def test_id_stored_by_excel_as_a_number_gets_its_own_message(county, tmp_path):
    rows = [person_row(113), person_row(114)]
    xlsx = import_persons(write_xlsx(tmp_path / "ledger.xlsx", rows, numbers=("身份证号",)), unit=county.east)
    assert xlsx.rejected == 2
    assert rejected_rows(xlsx)[2] == f"第2列「身份证号」：{EXCEL_NUMBER_MESSAGE}"

    csv_rows = [person_row(113, 身份证号="4.30626E+17"), person_row(114, 身份证号=fictional_id(seq=114)[:15] + "000")]
    batch = import_persons(write_csv(tmp_path / "ledger.csv", csv_rows), unit=county.east)
    assert set(rejected_rows(batch).values()) == {f"第2列「身份证号」：{EXCEL_NUMBER_MESSAGE}"}


def test_id_normalisation_lowercase_x_full_width_spaces_and_15_digits(county, tmp_path):
    with_x = next(fictional_id(seq=s) for s in range(120, 200) if fictional_id(seq=s).endswith("X"))
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in fictional_id(seq=121))
    old = "430626800101125"
    rows = [
        person_row(0, "小写x", 身份证号=" " + with_x.lower(), 性别=""),
        person_row(121, "全角", 身份证号=full_width),
        person_row(0, "老号", 身份证号=old, 性别=""),
    ]
    batch = import_persons(write_csv(tmp_path / "ledger.csv", rows), unit=county.east)
    assert batch.counts() == counts(created=3)
    assert Person.objects.get(name="小写x").id_number == with_x
    assert Person.objects.get(name="全角").id_number == fictional_id(seq=121)
    assert Person.objects.get(name="老号").id_number.startswith("43062619800101125")


def test_reimport_changes_nothing_and_creates_no_duplicates(county, tmp_path):
    path = write_csv(tmp_path / "ledger.csv", family_rows())
    import_persons(path, unit=county.east)
    before = list(Person.objects.order_by("pk").values())

    again = import_persons(path, unit=county.east)

    assert again.counts() == counts(unchanged=3)
    assert list(Person.objects.order_by("pk").values()) == before
    assert Household.objects.count() == 1


def test_changed_phone_counts_as_updated_and_blank_cells_keep_stored_values(county, tmp_path):
    import_persons(write_csv(tmp_path / "first.csv", family_rows()), unit=county.east)
    rows = family_rows()
    rows[0]["联系电话"] = "13700137000"
    rows[1]["联系电话"] = ""
    rows[2]["现住址"] = ""

    batch = import_persons(write_csv(tmp_path / "second.csv", rows), unit=county.east)

    assert batch.counts() == counts(updated=1, unchanged=2)
    assert Person.objects.get(name="赵大").phone == "13700137000"
    assert Person.objects.get(name="钱二").phone == "13800138000"
    assert Person.objects.get(name="孙三").address == "东门村8号"


def test_a_failure_part_way_writes_nothing(county, tmp_path, monkeypatch):
    def fail(self):
        assert Person.objects.count() == 3  # the people were written when it failed
        raise DatabaseError("disk full")

    monkeypatch.setattr(importer.Staging, "link_heads", fail)
    with pytest.raises(LedgerError, match="未写入任何数据"):
        import_persons(write_csv(tmp_path / "ledger.csv", family_rows()), unit=county.east)

    assert Person.objects.count() == 0 and Household.objects.count() == 0
    batch = ImportBatch.objects.get()
    assert "disk full" in batch.failure and batch.finished_at


def test_dry_run_counts_but_writes_nothing(county, tmp_path):
    rows = [*family_rows(), person_row(130, 联系电话="1")]
    batch = import_persons(write_csv(tmp_path / "ledger.csv", rows), unit=county.east, dry_run=True)

    assert batch.counts() == counts(created=3, rejected=1)
    assert batch.dry_run and batch.pk and batch.error_file
    assert Person.objects.count() == 0 and Household.objects.count() == 0


def test_rows_outside_the_unit_subtree_are_rejected(county, tmp_path):
    Person.objects.create(name="河口人", id_number=fictional_id(seq=140), unit=county.river)
    rows = [
        person_row(141, 所属网格="430626100202-01"),
        person_row(142, 所属网格="430626101"),
        person_row(140, "河口人"),
        person_row(143, 所属网格=EAST_GRID),
    ]
    batch = import_persons(write_csv(tmp_path / "ledger.csv", rows), unit=county.east)

    assert batch.counts() == counts(created=1, rejected=3)
    reasons = rejected_rows(batch)
    assert "找不到网格「430626100202-01」" in reasons[2]
    assert "找不到网格「430626101」" in reasons[3]
    assert reasons[4].startswith("第2列「身份证号」：该证件号码已在导入范围以外登记")
    assert Person.objects.get(id_number=fictional_id(seq=140)).unit == county.river


def test_rows_without_a_grid_need_a_residence_unit(county, tmp_path):
    rows = [person_row(150), person_row(151, 所属网格="东门村")]
    batch = import_persons(write_csv(tmp_path / "ledger.csv", rows), unit=county.town)
    assert batch.counts() == counts(created=1, rejected=1)
    assert "「城关镇」不是村/社区、网格或楼栋" in rejected_rows(batch)[2]
    assert Person.objects.get().unit == county.east


def test_user_imports_only_within_their_jurisdiction(triad, tmp_path):
    county = triad.county
    rows = [person_row(160), person_row(161, 所属网格=EAST_GRID)]
    path = write_csv(tmp_path / "ledger.csv", rows)

    batch = import_persons(path, unit=county.east, user=triad.neighbour)

    assert batch.counts() == counts(rejected=2) and batch.user == triad.neighbour
    assert all("不在您的辖区内" in reason for reason in rejected_rows(batch).values())
    assert not Person.objects.filter(id_number__in=[fictional_id(seq=160), fictional_id(seq=161)]).exists()

    assert import_persons(path, unit=county.east, user=triad.inside).counts() == counts(created=2)


def test_ids_and_households_of_another_jurisdiction_reveal_nothing(triad, tmp_path):
    county = triad.county
    east = triad.east_person
    rows = [
        person_row(11, east.name, 身份证号=east.id_number, 联系电话="13600136000"),
        person_row(170, 户号="H-EAST-1"),
    ]
    headers = [*HEADERS, "户号"]
    batch = import_persons(write_csv(tmp_path / "ledger.csv", rows, headers=headers), unit=county.west,
                           user=triad.neighbour)

    assert batch.counts() == counts(rejected=2)
    reasons = rejected_rows(batch)
    assert "已在导入范围以外登记" in reasons[2]
    assert reasons[3] == "第10列「户号」：户号「H-EAST-1」已在其他辖区登记，不能加入该户"
    assert not any(word in reason for reason in reasons.values() for word in ("东门", "东门村", county.east.code))
    east.refresh_from_db()
    assert east.phone == "13800135678" and east.unit == county.east_grid


def test_duplicate_ids_and_second_heads_within_the_file(county, tmp_path):
    rows = [
        person_row(180, 户号="H1", 与户主关系="户主"),
        person_row(181, 户号="H1", 与户主关系="户主"),
        person_row(180, "重复"),
        person_row(182, 户号="H1", 与户主关系="子女"),
    ]
    headers = [*HEADERS, "户号"]
    batch = import_persons(write_csv(tmp_path / "ledger.csv", rows, headers=headers), unit=county.east)

    assert batch.counts() == counts(created=2, rejected=2)
    reasons = rejected_rows(batch)
    assert reasons[3] == "第8列「与户主关系」：户号「H1」已有户主（第2行），一户只能有一个户主"
    assert reasons[4] == "第2列「身份证号」：证件号码与第2行重复"
    household = Household.objects.get(number="H1")
    assert household.head.id_number == fictional_id(seq=180) and household.members.count() == 2


def test_existing_household_in_the_jurisdiction_is_joined(triad, tmp_path):
    rows = [person_row(190, 户号="H-EAST-1", 与户主关系="子女", 所属网格=EAST_GRID)]
    batch = import_persons(write_csv(tmp_path / "ledger.csv", rows, headers=[*HEADERS, "户号"]),
                           unit=triad.county.east, user=triad.inside)
    assert batch.counts() == counts(created=1)
    assert Person.objects.get(id_number=fictional_id(seq=190)).household == triad.east_household
    assert Household.objects.count() == 2


def test_rows_below_a_title_keep_their_excel_row_numbers(county, tmp_path):
    rows = [person_row(200), person_row(201, 联系电话="555")]
    batch = import_persons(write_xlsx(tmp_path / "ledger.xlsx", rows, title="东门村人员台账"), unit=county.east)
    assert batch.counts() == counts(created=1, rejected=1)
    assert list(rejected_rows(batch)) == [5]


def test_template_example_row_is_skipped(county, tmp_path):
    path = tmp_path / "模板.xlsx"
    write_persons_template(path)
    assert import_persons(path, unit=county.east).counts() == counts()


@pytest.mark.parametrize("name, content, message", [
    ("missing.csv", None, "找不到文件"),
    ("ledger.xlsx", b"PK\x03\x04 not really a zip", "无法读取Excel文件"),
    ("ledger.xlsx", b"%PDF-1.4 a document", "不是Excel文件"),
    ("ledger.csv", "名字,电话\n张三,1\n".encode(), "找不到表头"),
    ("ledger.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\xff\xfe", "不是Excel或CSV文件"),
])
def test_unreadable_files_raise_and_are_recorded(county, tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(LedgerError, match=message):
        import_persons(path, unit=county.east)
    assert message in ImportBatch.objects.get().failure


def test_rows_the_database_rejects_keep_their_cells_in_the_error_file(county, tmp_path):
    Person.objects.create(name="河口人", id_number=fictional_id(seq=210), unit=county.river)
    rows = [person_row(210, "河口人", 现住址="河口村3号"), person_row(211), person_row(211, "又一个")]
    batch = import_persons(write_xlsx(tmp_path / "ledger.xlsx", rows), unit=county.east)

    assert batch.counts() == counts(created=1, rejected=2)
    with batch.error_file.open("rb") as f:
        sheet = openpyxl.load_workbook(f).active
    cells = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert [(row[0], row[4], row[9]) for row in cells] == [("河口人", "河口村3号", 2), ("又一个", "东门村8号", 4)]
    assert cells[1][10] == "第2列「身份证号」：证件号码与第3行重复"


@pytest.fixture
def stream_every_xlsx(monkeypatch):
    """Large .xlsx files are streamed with openpyxl; make every file count as large, and
    calamine unusable so that a test cannot pass through it."""
    monkeypatch.setattr(sheets, "STREAM_XLSX_ABOVE_BYTES", 0)
    monkeypatch.setattr(sheets, "CalamineWorkbook", None)


def test_streamed_xlsx_imports_like_a_small_one(county, tmp_path, stream_every_xlsx):
    batch = import_persons(write_xlsx(tmp_path / "ledger.xlsx", family_rows()), unit=county.east)
    assert batch.counts() == counts(created=3)
    assert Person.objects.get(name="赵大").household.head.name == "赵大"


def test_streamed_xlsx_keeps_row_numbers_and_the_excel_number_message(county, tmp_path, stream_every_xlsx):
    rows = [person_row(202), person_row(203, 联系电话="555")]
    batch = import_persons(write_xlsx(tmp_path / "titled.xlsx", rows, title="东门村人员台账"), unit=county.east)
    assert batch.counts() == counts(created=1, rejected=1)
    assert list(rejected_rows(batch)) == [5]
    numbers = import_persons(
        write_xlsx(tmp_path / "numbers.xlsx", [person_row(113)], numbers=("身份证号",)), unit=county.east
    )
    assert list(rejected_rows(numbers).values()) == [f"第2列「身份证号」：{EXCEL_NUMBER_MESSAGE}"]
