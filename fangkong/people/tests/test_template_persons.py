import openpyxl
from django.core.management import call_command

from fangkong.people.services.columns import COLUMNS, EXAMPLE_ID_NUMBER
from fangkong.people.services.ledger import write_persons_template


def validations_by_column(sheet):
    result = {}
    for validation in sheet.data_validations.dataValidation:
        column = str(validation.sqref).split(":")[0].rstrip("0123456789")
        result[column] = validation
    return result


def test_template_has_the_headers_an_example_and_drop_downs(tmp_path):
    path = tmp_path / "模板.xlsx"
    write_persons_template(path)

    workbook = openpyxl.load_workbook(path)
    sheet = workbook["人员台账"]
    headers = [cell.value for cell in sheet[1]]
    assert headers[:4] == ["姓名", "证件类型", "证件号码", "性别"]
    assert {"联系电话", "现住址", "所属网格", "户号", "户主身份证号", "与户主关系", "人员类别", "老年人"} <= set(headers)
    example = dict(zip(headers, (cell.value for cell in sheet[2])))
    assert example["证件号码"] == EXAMPLE_ID_NUMBER and example["与户主关系"] == "户主"

    letters = {header: openpyxl.utils.get_column_letter(i) for i, header in enumerate(headers, start=1)}
    validations = validations_by_column(sheet)
    assert validations[letters["证件类型"]].formula1 == '"居民身份证,护照,港澳居民来往内地通行证,台湾居民来往大陆通行证,其他"'
    assert validations[letters["性别"]].formula1 == '"男,女"'
    assert validations[letters["人员类别"]].formula1 == '"常住,流动,暂住"'
    assert validations[letters["残疾人"]].formula1 == '"是,否"'
    assert validations[letters["与户主关系"]].errorStyle == "information"
    assert letters["证件号码"] not in validations
    assert sheet.column_dimensions[letters["证件号码"]].number_format == "@"
    assert sheet[f"{letters['证件号码']}2"].number_format == "@"
    assert "填写说明" in workbook.sheetnames


def test_template_command_writes_the_file(tmp_path, capsys):
    path = tmp_path / "t.xlsx"
    call_command("template", "persons", "-o", str(path))
    sheet = openpyxl.load_workbook(path).active
    assert [cell.value for cell in sheet[1]] == [column.header for column in COLUMNS]
