"""Importing a pushed list: every row checked, bad rows reported by row and column, the rest
created in one go; a broken file writes nothing."""

import csv

import pytest
from openpyxl import Workbook

from fangkong.conftest import fictional_id
from fangkong.leads.models import Lead, LeadBatch
from fangkong.leads.services.imports import import_leads
from fangkong.people.services.sheets import LedgerError

from .conftest import DAY, at


def test_xlsx_push_list_with_a_bad_row(triad, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["湘防指推送 第12批"])
    ws.append(["姓名", "身份证号", "联系电话", "现住址", "出发地", "抵达日期", "推送原因"])
    ws.append(["王五", fictional_id("420115", "19900305", 31), "13712345678", "东门村5号", "武汉市江夏区", "2022-01-18", "江夏来返"])
    ws.append(["赵六", "420115199003050312", "1371234", "西门村", "武汉", "2022-01-18", ""])
    ws.append(["张三丰", triad.east_person.id_number, "", "", "西安市雁塔区", "2022/1/19", "雁塔来返"])
    wb.save(tmp_path / "push.xlsx")
    batch = import_leads(tmp_path / "push.xlsx", source="push", unit=triad.county.county, now=at(DAY, 8),
                         by=triad.above, reference="第12批")
    assert (batch.rows, batch.created, batch.rejected) == (3, 2, 1)
    assert {(e["row"], e["column"]) for e in batch.errors} == {(4, "身份证号"), (4, "联系电话")}
    assert any(e["message"] == "身份证号校验位不正确" for e in batch.errors)
    leads = {lead.name: lead for lead in Lead.objects.filter(batch=batch)}
    assert leads["王五"].unit == triad.county.east and leads["王五"].origin_division_code == "420115"
    assert leads["张三丰"].person == triad.east_person and leads["张三丰"].unit == triad.county.east_grid
    assert leads["王五"].payload["推送原因"] == "江夏来返" and leads["王五"].payload["_row"] == 3


def test_csv_assistance_letter(triad, tmp_path):
    path = tmp_path / "assist.csv"
    with open(path, "w", encoding="gb18030", newline="") as f:
        csv.writer(f).writerows([["姓名", "证件类型", "证件号码", "联系电话", "来自地区", "末次暴露日期", "建议管控类别"],
                                 ["John Smith", "护照", "E12345678", "13712345679", "", "2022-01-15", "密切接触者"]])
    batch = import_leads(path, source="assist", unit=triad.county.town, now=at(DAY, 8))
    lead = batch.leads.get()
    assert (lead.id_type, lead.category, lead.unit) == ("passport", "close_contact", triad.county.town)


@pytest.mark.parametrize("content", [b"PK\x03\x04 broken zip", b"\xff\xfe\x00garbage\x00\x00"])
def test_broken_file_writes_nothing(triad, tmp_path, content):
    path = tmp_path / "push.xlsx"
    path.write_bytes(content)
    with pytest.raises(LedgerError):
        import_leads(path, source="push", unit=triad.county.county, now=at(DAY, 8))
    assert not LeadBatch.objects.exists() and not Lead.objects.exists()


def test_file_without_headers(triad, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("地区,日期\n武汉,2022-01-01\n", encoding="utf-8")
    with pytest.raises(LedgerError, match="找不到表头：表格中需要有「姓名」"):
        import_leads(path, source="push", unit=triad.county.county, now=at(DAY, 8))
