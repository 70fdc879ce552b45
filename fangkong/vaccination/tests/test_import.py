"""Importing vaccination lists: header and cell variants, errors naming row and column, all or
nothing, idempotence, --replace, jurisdiction, and the command."""

import datetime
import io
import json

import openpyxl
import pytest
import xlwt
from django.core.management import CommandError, call_command

from fangkong.conftest import make_user
from fangkong.people.models import ImportBatch
from fangkong.vaccination.models import Dose
from fangkong.vaccination.services.importer import DoseImportError, import_doses, parse_dose
from fangkong.vaccination.tests.helpers import aged, doses

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2022, 1, 27)
HEADER = ["序号", "姓名", "身份证号", "疫苗名称", "生产企业", "剂次", "接种日期", "接种单位", "疫苗批号"]


@pytest.fixture
def people(county):
    east = [aged(county.east_grid, 40, name="东") for _ in range(3)]
    west = aged(county.west_grid, 30, name="西")
    return east, west


@pytest.fixture
def staff(county):
    return make_user("east_vaccinator", "vaccination_staff", county.east)


def write_csv(tmp_path, rows, header=HEADER, name="list.csv", encoding="utf-8"):
    path = tmp_path / name
    lines = [",".join(header)] + [",".join(str(cell) for cell in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


def row(who, dose, date="2021-05-01", product="新冠病毒灭活疫苗（Vero细胞）", maker="北京科兴", site="城关镇卫生院",
        batch="202104001", number=1):
    return [number, who.name, who.id_number, product, maker, dose, date, site, batch]


def run(path, user=None, **options):
    return import_doses(path, user=user, today=TODAY, **options)


def test_csv_list_creates_doses_and_records_the_batch(tmp_path, people, staff):
    (a, b, _c), _west = people
    path = write_csv(tmp_path, [row(a, 1), row(a, "第2剂", "2021/5/29"), row(b, "第一针", "2021年6月3日")])
    batch = run(path, staff)
    assert batch.counts() == {"rows": 3, "created": 3, "updated": 0, "unchanged": 0, "rejected": 0}
    assert batch.kind == "vaccination" and batch.user == staff and batch.unit.code == "430626100201"
    stored = {(d.person_id, d.dose_number): d for d in Dose.objects.all()}
    second = stored[(a.pk, 2)]
    assert second.given_on == datetime.date(2021, 5, 29) and second.product.code == "inactivated-sinovac"
    assert second.site == "城关镇卫生院" and second.batch_number == "202104001"
    assert second.unit_path == a.unit_path and second.import_batch == batch
    assert stored[(b.pk, 1)].given_on == datetime.date(2021, 6, 3)


@pytest.mark.parametrize("raw, expected", [
    (1, 1), (2.0, 2), ("1", 1), ("第1剂", 1), ("第一针", 1), ("第二剂", 2), ("第3剂次", 3), ("２", 2),
    ("加强针", ("booster", 1)), ("加强", ("booster", 1)), ("第二剂加强针", ("booster", 2)),
])
def test_dose_spellings(raw, expected):
    assert parse_dose(raw) == expected


@pytest.mark.parametrize("product, maker, code", [
    ("新冠病毒灭活疫苗（Vero细胞）", "北京生物", "inactivated-bibp"),
    ("新冠病毒灭活疫苗(Vero细胞)", "国药北京", "inactivated-bibp"),
    ("", "武汉生物制品研究所有限责任公司", "inactivated-wibp"),
    ("新冠病毒灭活疫苗（Vero细胞）北京科兴", "", "inactivated-sinovac"),
    ("科兴", "", "inactivated-sinovac"),
    ("重组新冠病毒蛋白疫苗（CHO细胞）", "", "recombinant-zf2001"),
    ("", "安徽智飞龙科马生物制药有限公司", "recombinant-zf2001"),
    ("腺病毒载体疫苗（Ad5-nCoV）", "康希诺", "adenovirus-ad5"),
])
def test_product_spellings(tmp_path, people, product, maker, code):
    (a, *_rest), _west = people
    run(write_csv(tmp_path, [row(a, 1, product=product, maker=maker)]))
    assert Dose.objects.get().product.code == code


def test_booster_is_the_dose_after_the_first_products_full_course(tmp_path, people):
    (a, b, c), _west = people
    doses(a, 2, code="inactivated-bibp")  # 2 doses on record: a 智飞 booster is dose 3
    rows = [
        row(a, "加强针", "2021-12-01", product="", maker="智飞"),
        row(b, 1, "2021-05-01", product="", maker="康希诺"), row(b, "加强", "2021-12-01", product="", maker="康希诺"),
        row(c, "加强针", "2021-12-01", product="重组新冠病毒蛋白疫苗（CHO细胞）", maker=""),
    ]
    run(write_csv(tmp_path, rows))
    numbers = {(d.person_id, d.dose_number, d.product.code) for d in Dose.objects.filter(given_on="2021-12-01")}
    assert numbers == {(a.pk, 3, "recombinant-zf2001"), (b.pk, 2, "adenovirus-ad5"), (c.pk, 4, "recombinant-zf2001")}


def test_header_variants_and_title_rows_in_xlsx(tmp_path, people):
    (a, b, _c), _west = people
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["城关镇新冠疫苗接种名单"])
    sheet.append(["受种者姓名", "证件号码", "疫苗厂家", "针次", "接种时间", "接种点", "批号"])
    sheet.append([a.name, a.id_number, "北京生物", "第1针", datetime.datetime(2021, 4, 1, 9, 30), "东门村接种点", "B1"])
    sheet.append([b.name, b.id_number, "康希诺生物", 1, "2021-04-02 10:15", "东门村接种点", None])
    path = tmp_path / "list.xlsx"
    workbook.save(path)
    batch = run(path)
    assert batch.created == 2
    dose = Dose.objects.get(person=b)
    assert dose.given_on == datetime.date(2021, 4, 2) and dose.product.code == "adenovirus-ad5"
    assert Dose.objects.get(person=a).site == "东门村接种点"


def test_xls_and_gb18030_csv(tmp_path, people):
    (a, b, _c), _west = people
    book = xlwt.Workbook()
    sheet = book.add_sheet("名单")
    for col, text in enumerate(["姓名", "身份证号", "疫苗", "剂次", "接种日期"]):
        sheet.write(0, col, text)
    for col, value in enumerate([a.name, a.id_number, "科兴", "1", "2021-04-01"]):
        sheet.write(1, col, value)
    book.save(str(tmp_path / "list.xls"))
    assert run(tmp_path / "list.xls").created == 1
    path = write_csv(tmp_path, [row(b, 1)], name="gbk.csv", encoding="gb18030")
    assert run(path).created == 1


def test_every_error_names_its_row_and_column_and_nothing_is_written(tmp_path, people, staff):
    (a, b, c), west = people
    rows = [
        row(a, 1),
        row(b, "第九剂"),
        row(c, 1, date="2030-01-01"),
        row(c, 2, product="辉瑞", maker=""),
        row(west, 1),
        [6, "王五", "430626198001011234", "科兴", "", 1, "2021-05-01", "", ""],
        [7, "不符", a.id_number, "科兴", "", 2, "2021-06-01", "", ""],
        row(a, 3, date="2020-01-01"),
    ]
    path = write_csv(tmp_path, rows)
    with pytest.raises(DoseImportError) as raised:
        run(path, staff)
    errors = {(error["row"], error["column"]): error["message"] for error in raised.value.errors}
    assert "剂次" in errors[(3, "剂次")]
    assert "晚于今天" in errors[(4, "接种日期")]
    assert "无法识别的疫苗" in errors[(5, "疫苗名称")]
    # 西门村 is outside the importer's jurisdiction: as if unregistered.
    assert "请先在人员台账中登记" in errors[(6, "身份证号")]
    assert (7, "身份证号") in errors
    assert "姓名与人员台账不符" in errors[(8, "姓名")]
    assert "早于新冠疫苗" in errors[(9, "接种日期")]
    assert Dose.objects.count() == 0
    batch = ImportBatch.objects.get(kind="vaccination")
    assert batch.rows == 8 and batch.rejected == 7 and batch.created == 0 and "第3行" in batch.failure


def test_reimporting_the_same_list_changes_nothing(tmp_path, people):
    (a, b, _c), _west = people
    path = write_csv(tmp_path, [row(a, 1), row(a, 2, "2021-05-29"), row(b, 1)])
    run(path)
    again = run(path)
    assert again.counts() == {"rows": 3, "created": 0, "updated": 0, "unchanged": 3, "rejected": 0}
    assert Dose.objects.count() == 3


def test_a_different_dose_on_record_is_an_error_unless_replaced(tmp_path, people):
    (a, _b, _c), _west = people
    run(write_csv(tmp_path, [row(a, 1, "2021-05-01")]))
    changed = write_csv(tmp_path, [row(a, 1, "2021-05-03", maker="北京生物")], name="changed.csv")
    with pytest.raises(DoseImportError) as raised:
        run(changed)
    [error] = raised.value.errors
    assert error["row"] == 2 and error["column"] == "剂次" and "覆盖已有记录" in error["message"]
    assert Dose.objects.get().given_on == datetime.date(2021, 5, 1)
    batch = run(changed, replace=True)
    assert batch.updated == 1
    dose = Dose.objects.get()
    assert dose.given_on == datetime.date(2021, 5, 3) and dose.product.code == "inactivated-bibp"


def test_repeated_rows_in_one_list(tmp_path, people):
    (a, _b, _c), _west = people
    same = write_csv(tmp_path, [row(a, 1), row(a, "第1剂")])
    assert run(same).counts()["unchanged"] == 1
    Dose.objects.all().delete()
    conflicting = write_csv(tmp_path, [row(a, 1), row(a, 1, "2021-05-02")], name="c.csv")
    with pytest.raises(DoseImportError) as raised:
        run(conflicting)
    assert "与第2行是同一人的同一剂次" in raised.value.errors[0]["message"]


def test_doses_out_of_order_are_refused(tmp_path, people):
    (a, _b, _c), _west = people
    path = write_csv(tmp_path, [row(a, 1, "2021-06-01"), row(a, 2, "2021-05-01")])
    with pytest.raises(DoseImportError) as raised:
        run(path)
    assert raised.value.errors[0]["row"] == 3 and "早于第1剂" in raised.value.errors[0]["message"]


def test_dry_run_writes_nothing(tmp_path, people):
    (a, _b, _c), _west = people
    batch = run(write_csv(tmp_path, [row(a, 1)]), dry_run=True)
    assert batch.created == 1 and batch.dry_run and Dose.objects.count() == 0


def test_a_file_without_the_columns_is_refused(tmp_path, people):
    path = write_csv(tmp_path, [["张三", "1"]], header=["姓名", "年龄"])
    with pytest.raises(DoseImportError) as raised:
        run(path)
    assert "找不到表头" in raised.value.errors[0]["message"]


def test_command_imports_and_reports(tmp_path, people, staff):
    (a, _b, _c), west = people
    out = io.StringIO()
    call_command("vaccination", "import", str(write_csv(tmp_path, [row(a, 1)])), "--user", staff.username,
                 "--json", stdout=out)
    assert json.loads(out.getvalue())["created"] == 1
    with pytest.raises(CommandError) as raised:
        call_command("vaccination", "import", str(write_csv(tmp_path, [row(west, 1)], name="w.csv")),
                     "--user", staff.username)
    assert "第2行「身份证号」" in str(raised.value)
    out = io.StringIO()
    call_command("vaccination", "coverage", "--unit", "430626100201", "--date", "2022-01-27", "--json", stdout=out)
    assert json.loads(out.getvalue())["population"] == 3
