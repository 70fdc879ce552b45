"""Key-group members: the sheet import (all or nothing, row and column errors), adding and ending
through the page and the API, the overdue list and its export, and the worker's TEST_OVERDUE
alerts — with the jurisdiction triad and masking."""

import datetime
import io

import pytest
from openpyxl import Workbook, load_workbook

from fangkong.alerts.models import Alert, AlertKind
from fangkong.control.testing import local
from fangkong.orgs.services import add_unit
from fangkong.testing.models import GroupMember
from fangkong.testing.services.frequency import MemberRowsError, check_testing_overdue, import_members
from fangkong.testing.tests.test_coverage_support import DAY, make_round, member, sample

D = datetime.timedelta


def sheet(tmp_path, rows, headers=("姓名", "身份证号", "人群", "起始日期")):
    book = Workbook()
    book.active.append(list(headers))
    for row in rows:
        book.active.append(list(row))
    path = tmp_path / "members.xlsx"
    book.save(path)
    return path


@pytest.fixture
def units(triad):
    county = triad.county
    return (add_unit(county.east, code="C-EAST", name="东门冷库", type="company"),
            add_unit(county.west, code="C-WEST", name="西门市场", type="company"))


def test_sheet_import_writes_every_row_by_label_or_code(triad, units, tmp_path):
    east_company, _west = units
    path = sheet(tmp_path, [("张三丰", triad.east_person.id_number, "冷链物流从业人员", "2022-04-01"),
                            ("李四", triad.west_person.id_number, "high_risk_post", "2022/4/2")])
    counts = import_members(path, east_company, triad.above, today=DAY)
    assert counts == {"rows": 2, "created": 2, "unchanged": 0}
    assert sorted(GroupMember.objects.values_list("group", "since")) == [
        ("cold_chain", datetime.date(2022, 4, 1)), ("high_risk_post", datetime.date(2022, 4, 2))]
    assert import_members(path, east_company, triad.above, today=DAY)["unchanged"] == 2


def test_sheet_import_reports_row_and_column_errors_and_writes_nothing(triad, units, tmp_path):
    east_company, _west = units
    path = sheet(tmp_path, [("张三丰", triad.east_person.id_number, "冷链", "2022-04-01"),
                            ("王五", triad.west_person.id_number, "cold_chain", "昨天"),
                            ("赵六", "430626198001019999", "cold_chain", "2022-04-01"),
                            ("张三丰", triad.east_person.id_number, "cold_chain", "")])
    with pytest.raises(MemberRowsError) as raised:
        import_members(path, east_company, triad.above, today=DAY)
    errors = {(e["row"], e["column"]): e["message"] for e in raised.value.errors}
    assert errors[(2, "人群")].startswith("未知的人群“冷链”")
    assert errors[(3, "起始日期")] == "无法识别的日期，请写成1980-01-31"
    assert errors[(3, "姓名")] == "姓名与登记的“李四”不一致"
    assert errors[(4, "身份证号")] == "身份证号未登记，请先在人员台账中登记"
    assert errors[(5, "起始日期")] == "起始日期不能为空"
    assert not GroupMember.objects.exists()
    with pytest.raises(MemberRowsError, match="有1处错误") as raised:
        import_members(path, units[1], triad.inside, today=DAY)
    assert "不在您的辖区内" in raised.value.errors[0]["message"]
    with pytest.raises(MemberRowsError) as raised:
        import_members(sheet(tmp_path, [], headers=("姓名", "电话")), east_company, triad.inside, today=DAY)
    assert "找不到表头" in raised.value.errors[0]["message"]


def test_group_page_adds_ends_and_imports_within_the_jurisdiction(triad, units, as_user, tmp_path):
    east_company, west_company = units
    client = as_user(triad.inside)
    refused = client.post("/testing/coverage/groups/", {"person": triad.west_person.id_number, "group": "cold_chain",
                                                       "unit": west_company.code, "since": "2022-04-01"})
    assert refused.status_code == 400 and "不存在或不在您的辖区内" in refused.content.decode()
    added = client.post("/testing/coverage/groups/", {"person": triad.west_person.id_number, "group": "cold_chain",
                                                     "unit": east_company.code, "since": "2022-04-01"})
    assert added.status_code == 302
    assert "李四" in client.get("/testing/coverage/groups/").content.decode()
    assert "李四" not in as_user(triad.neighbour).get("/testing/coverage/groups/").content.decode()
    assert "李四" in as_user(triad.above).get("/testing/coverage/groups/").content.decode()
    joined = GroupMember.objects.get()
    assert as_user(triad.neighbour).post(f"/testing/coverage/groups/{joined.pk}/end/",
                                         {"until": "2022-04-09"}).status_code == 404
    client.post(f"/testing/coverage/groups/{joined.pk}/end/", {"until": "2022-04-09"})
    joined.refresh_from_db()
    assert joined.until == datetime.date(2022, 4, 9)

    path = sheet(tmp_path, [("张三丰", triad.east_person.id_number, "冷链", "2022-04-01")])
    with path.open("rb") as upload:
        page = client.post("/testing/coverage/groups/import/", {"unit": east_company.code, "file": upload})
    text = page.content.decode()
    assert page.status_code == 400 and "人群" in text and "未知的人群" in text and "<td>2</td>" in text


@pytest.fixture
def overdue_members(triad, units):
    east_company, west_company = units
    since = DAY - D(20)
    member(triad.east_person, east_company, "high_risk_post", since=since)
    member(triad.west_person, west_company, "cold_chain", since=since)
    sample(make_round(triad.county.town, starts_on=DAY - D(10), ends_on=DAY), [triad.east_person],
           at=local(DAY - D(4), datetime.time(9)))
    return east_company, west_company


def test_overdue_page_and_export_follow_the_jurisdiction(triad, overdue_members, as_user):
    url = f"/testing/coverage/overdue/?date={DAY.isoformat()}"
    inside = as_user(triad.inside).get(url).content.decode()
    assert "张三丰" in inside and "东门冷库" in inside and "李四" not in inside and "13800135678" in inside
    town = as_user(triad.above).get(url).content.decode()
    assert "张三丰" in town and "李四" in town
    assert "张三丰" not in as_user(triad.neighbour).get(url).content.decode()
    readonly = as_user(triad.readonly).get(url).content.decode()
    assert "138****5678" in readonly and "13800135678" not in readonly
    assert as_user(triad.inside).get(f"{url}&unit={triad.county.west.code}").status_code == 404
    export = as_user(triad.above).get(f"{url}&format=xlsx")
    rows = list(load_workbook(io.BytesIO(export.content))["逾期未检"].values)
    assert rows[1][:3] == ("序号", "所在单位", "姓名")
    assert {(row[2], row[9]) for row in rows[2:]} == {("张三丰", 2), ("李四", 20)}  # never tested: due since joining


def test_frequency_rules_page_lists_versions_and_source(triad, as_user):
    page = as_user(triad.readonly).get("/testing/coverage/frequency/").content.decode()
    assert "高风险岗位人员" in page and "每2天1次" in page and "001:237" in page and "003:119" in page


def test_api_members_and_overdue(triad, overdue_members, api):
    east_company, _west = overdue_members
    created = api(triad.inside).post("/api/v1/testing-group-members/", {
        "id_number": triad.west_person.id_number, "group": "其他工作人员", "unit": east_company.code,
        "since": "2022-04-01"}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["group"] == "other_staff"
    names = {row["name"] for row in api(triad.inside).get("/api/v1/testing-group-members/").json()["results"]}
    assert names == {"张三丰", "李四"}
    assert {r["name"] for r in api(triad.neighbour).get("/api/v1/testing-group-members/").json()["results"]} == {
        "李四"}
    ended = api(triad.inside).patch(f"/api/v1/testing-group-members/{created.json()['id']}/",
                                    {"until": "2022-04-05"}, format="json")
    assert ended.json()["until"] == "2022-04-05"
    rows = api(triad.readonly).get(
        f"/api/v1/testing-coverage/overdue/?unit={triad.county.east.code}&date={DAY.isoformat()}").json()["results"]
    assert [(r["name"], r["days_overdue"], r["phone"]) for r in rows] == [("张三丰", 2, "138****5678")]
    assert api(triad.inside).get(
        f"/api/v1/testing-coverage/overdue/?unit={triad.county.west.code}").status_code == 404


def test_worker_raises_one_alert_per_responsible_unit_and_resolves_it(triad, overdue_members):
    now = local(DAY, datetime.time(9))
    counts = check_testing_overdue(now)
    assert counts["overdue_alerts_raised"] == 2
    alerts = {a.unit.name: a for a in Alert.objects.filter(kind=AlertKind.TEST_OVERDUE).select_related("unit")}
    assert set(alerts) == {"东门村", "西门村"}  # the companies have no staff: their villages answer
    assert "张三丰（高风险岗位人员，逾期2天）" in alerts["东门村"].detail
    assert check_testing_overdue(now)["overdue_alerts_raised"] == 0
    testing_round = make_round(triad.county.town, starts_on=DAY, ends_on=DAY, name="补检")
    sample(testing_round, [triad.east_person], at=local(DAY, datetime.time(8)))
    assert check_testing_overdue(now)["overdue_alerts_resolved"] == 1
    alerts["东门村"].refresh_from_db()
    alerts["西门村"].refresh_from_db()
    assert alerts["东门村"].resolved_at == now and alerts["西门村"].resolved_at is None
