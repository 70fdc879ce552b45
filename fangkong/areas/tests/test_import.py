"""Importing a published list of risk areas: all rows or none, errors by row and column."""

import csv
import datetime

from openpyxl import Workbook

from fangkong.areas.imports import import_areas
from fangkong.areas.models import RiskArea


def write_csv(path, rows):
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def test_xlsx_list_imported_with_codes_from_names(db, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["2022年1月风险地区名单"])
    ws.append(["风险等级", "地区名称", "区划代码", "生效日期", "解除日期"])
    ws.append(["高风险", "湖北省武汉市江夏区", "", datetime.date(2022, 1, 10), None])
    ws.append(["中风险", "西安市雁塔区", "610113000000", "2022/1/5", "2022-02-03"])
    wb.save(tmp_path / "areas.xlsx")
    result = import_areas(tmp_path / "areas.xlsx")
    assert result.ok, result.errors
    assert result.created == 2
    jiangxia = RiskArea.objects.get(name="湖北省武汉市江夏区")
    assert (jiangxia.division_code, jiangxia.scope, jiangxia.level) == ("420115", "county", "high")
    yanta = RiskArea.objects.get(division_code="610113")
    assert yanta.effective_to == datetime.date(2022, 2, 3)
    assert yanta.history.count() == 1


def test_one_bad_row_and_nothing_is_written(db, tmp_path):
    path = write_csv(tmp_path / "areas.csv", [
        ["风险等级", "地区", "区划代码", "生效日期", "解除日期"],
        ["高风险", "湖北省武汉市江夏区", "", "2022-01-10", ""],
        ["很高", "火星基地", "", "2022-13-01", ""],
        ["中风险", "西安市雁塔区", "", "2022-02-05", "2022-02-01"],
    ])
    result = import_areas(path)
    assert not result.ok
    assert RiskArea.objects.count() == 0
    errors = {(e["row"], e["column"]): e["message"] for e in result.errors}
    assert "风险等级应填写" in errors[(3, "风险等级")]
    assert "无法从地区名称“火星基地”识别区划代码" in errors[(3, "区划代码")]
    assert errors[(3, "生效日期")] == "日期不存在"
    assert errors[(4, "解除日期")] == "解除日期不能早于生效日期"


def test_file_without_the_headers_is_refused(db, tmp_path):
    path = write_csv(tmp_path / "areas.csv", [["姓名", "电话"], ["张三", "13800135678"]])
    result = import_areas(path)
    assert result.errors[0]["message"].startswith("找不到表头：表格中需要有「风险等级」")
