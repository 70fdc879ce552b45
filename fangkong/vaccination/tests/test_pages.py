"""The vaccination pages and API with the jurisdiction triad: a user of 东门村, a user of the
neighbouring 西门村 (404 or nothing) and a user of 城关镇 above both; ID and phone masking."""

import datetime
import io

import openpyxl
import pytest
from django.utils import timezone

from fangkong.conftest import make_user
from fangkong.vaccination.models import Deferral, Dose
from fangkong.vaccination.tests.helpers import aged, defer, doses

DATE = datetime.date(2022, 1, 27)


@pytest.fixture
def world(triad):
    """东门村: 张三丰 (40, not vaccinated) and a fully vaccinated 30-year-old; 西门村: 李四 (35,
    one dose) and a deferred 50-year-old."""
    county = triad.county
    for person, years in ((triad.east_person, 40), (triad.west_person, 35)):
        person.birth_date = DATE.replace(year=DATE.year - years)
        person.save()
    doses(aged(county.east_grid, 30, name="东全程"), 2)
    doses(triad.west_person, 1)
    defer(aged(county.west_grid, 50, name="西暂缓"), reason="pregnant")
    return triad


def page(client, url):
    response = client.get(url)
    return response.status_code, response.content.decode() if response.status_code == 200 else ""


def test_overview_shows_cohorts_for_the_users_unit(world, as_user):
    status, html = page(as_user(world.inside), f"/vaccination/?date={DATE}")
    assert status == 200 and "东门村疫苗接种" in html and "18—59岁" in html and "50.0%" in html
    assert 'aria-current="page">疫苗接种' in html


def test_neighbour_and_above(world, as_user):
    east = world.county.east.code
    assert as_user(world.neighbour).get(f"/vaccination/?unit={east}").status_code == 404
    assert as_user(world.neighbour).get(f"/vaccination/ranking/?unit={east}").status_code == 404
    assert as_user(world.neighbour).get(f"/vaccination/lists/?unit={east}").status_code == 404
    assert as_user(world.neighbour).get(f"/vaccination/lists/export/?unit={east}").status_code == 404
    status, html = page(as_user(world.above), f"/vaccination/?date={DATE}")
    assert status == 200 and "城关镇疫苗接种" in html and "东门村" in html and "西门村" in html
    assert as_user(world.above).get(f"/vaccination/?unit={east}&date={DATE}").status_code == 200


def test_ranking_page_sorts_and_charts(world, as_user):
    status, html = page(as_user(world.above), f"/vaccination/ranking/?date={DATE}&metric=full_rate")
    assert status == 200 and "echarts.min.js" in html and 'id="ranking-data"' in html
    assert html.index("东门村</a>") < html.index("西门村</a>") and "第1名" in html
    assert as_user(world.above).get("/vaccination/ranking/?metric=nonsense").status_code == 404


def test_lists_per_grid_leave_out_the_deferred_and_mask_by_role(world, as_user):
    status, html = page(as_user(world.inside), f"/vaccination/lists/?date={DATE}")
    assert status == 200 and "张三丰" in html and "东门村1号" in html and "13800135678" in html
    assert "东全程" not in html and "李四" not in html
    readonly = as_user(world.readonly).get(f"/vaccination/lists/?date={DATE}").content.decode()
    assert "13800135678" not in readonly and "138****5678" in readonly
    status, html = page(as_user(world.above), f"/vaccination/lists/?date={DATE}&grid={world.county.west_grid.code}")
    assert "西暂缓" in html and "妊娠期" in html and "张三丰" not in html
    assert html.index("暂缓接种（不计入名单）") < html.index("西暂缓")
    status, html = page(as_user(world.above), f"/vaccination/lists/?date={DATE}&kind=not_full")
    assert "李四" in html and "张三丰" not in html
    assert as_user(world.inside).get(f"/vaccination/lists/?grid={world.county.west_grid.code}").status_code == 404


def test_booster_due_list(triad, as_user):
    due = aged(triad.county.east_grid, 40, name="待加强")
    doses(due, 2, first=datetime.date(2021, 3, 1))
    recent = aged(triad.county.east_grid, 40, name="未满期")
    doses(recent, 2, first=datetime.date(2021, 11, 1))
    boosted = aged(triad.county.east_grid, 40, name="已加强")
    doses(boosted, 3, first=datetime.date(2021, 3, 1), every=100)
    young = aged(triad.county.east_grid, 16, name="未成年")
    doses(young, 2, first=datetime.date(2021, 3, 1))
    html = as_user(triad.inside).get(f"/vaccination/lists/?date={DATE}&kind=booster_due").content.decode()
    assert "待加强" in html and "未满期" not in html and "已加强" not in html and "未成年" not in html


def test_export_has_chinese_headers_and_masks(world, as_user):
    response = as_user(world.readonly).get(f"/vaccination/lists/export/?date={DATE}")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("姓名", "证件号码", "联系电话", "年龄", "家庭住址", "所属网格")
    assert rows[1][0] == "张三丰" and rows[1][2] == "138****5678" and "*" in rows[1][1]
    assert book.worksheets[1].title == "暂缓接种"
    above = as_user(world.above).get(f"/vaccination/lists/export/?date={DATE}")
    rows = list(openpyxl.load_workbook(io.BytesIO(b"".join(above.streaming_content))).worksheets[1].values)
    assert rows[1][0].startswith("西暂缓") and rows[1][6] == "妊娠期"


def test_deferral_add_and_end(world, as_user):
    client = as_user(world.inside)
    today = timezone.localdate()
    response = client.post("/vaccination/deferrals/add/", {
        "id_number": world.east_person.id_number, "reason": "illness", "note": "发热", "starts_on": today})
    assert response.status_code == 302
    deferral = Deferral.objects.get(person=world.east_person)
    assert deferral.created_by == world.inside
    refused = client.post("/vaccination/deferrals/add/", {
        "id_number": world.west_person.id_number, "reason": "illness", "starts_on": today})
    assert "请先在人员台账中登记" in refused.content.decode()
    html = client.get("/vaccination/deferrals/").content.decode()
    assert "张三丰" in html and "结束暂缓" in html and "西暂缓" not in html
    assert as_user(world.neighbour).post(f"/vaccination/deferrals/{deferral.pk}/end/").status_code == 404
    assert client.post(f"/vaccination/deferrals/{deferral.pk}/end/").status_code == 302
    deferral.refresh_from_db()
    assert deferral.ends_on == today
    assert "西暂缓" in as_user(world.above).get("/vaccination/deferrals/").content.decode()


def test_import_page(world, as_user, tmp_path):
    staff = make_user("vaccinator", "vaccination_staff", world.county.east)
    path = tmp_path / "list.csv"
    path.write_text("姓名,身份证号,疫苗,剂次,接种日期\n"
                    f"张三丰,{world.east_person.id_number},科兴,1,2021-05-01\n", encoding="utf-8")
    with open(path, "rb") as f:
        html = as_user(staff).post("/vaccination/import/", {"file": f}).content.decode()
    assert "已导入" in html and Dose.objects.filter(person=world.east_person).count() == 1
    path.write_text("姓名,身份证号,疫苗,剂次,接种日期\n"
                    f"李四,{world.west_person.id_number},科兴,2,2021-05-01\n", encoding="utf-8")
    with open(path, "rb") as f:
        html = as_user(staff).post("/vaccination/import/", {"file": f}).content.decode()
    assert "第2行" in html and "身份证号" in html and "请先在人员台账中登记" in html
    assert as_user(world.inside).get("/vaccination/import/").status_code == 403


def test_pages_need_a_vaccination_role(world, as_user):
    checker = make_user("checker", "checkpoint_staff", world.county.east)
    assert as_user(checker).get("/vaccination/").status_code == 403
    assert as_user(checker).get("/vaccination/lists/").status_code == 403


# API ---------------------------------------------------------------------------------------


def test_api_doses_are_restricted_and_masked(world, api):
    rows = api(world.readonly).get("/api/v1/vaccine-doses/").json()["results"]
    assert len(rows) == 2 and all(row["name"].startswith("东全程") for row in rows)
    assert "*" in rows[0]["id_number"] and rows[0]["product"] == "inactivated-sinovac"
    assert api(world.neighbour).get("/api/v1/vaccine-doses/").json()["count"] == 1
    assert api(world.above).get("/api/v1/vaccine-doses/").json()["count"] == 3
    west = api(world.above).get(f"/api/v1/vaccine-doses/?unit={world.county.west.code}").json()
    assert west["count"] == 1 and west["results"][0]["name"] == "李四"
    dose = Dose.objects.get(person=world.west_person)
    assert api(world.inside).get(f"/api/v1/vaccine-doses/{dose.pk}/").status_code == 404


def test_api_coverage_and_ranking(world, api):
    body = api(world.inside).get(f"/api/v1/vaccination/coverage/?date={DATE}").json()
    assert body["unit"] == world.county.east.code and body["population"] == 2
    assert body["cohorts"]["18-59"]["full"] == 1 and body["metrics"]["full_rate"] == 50.0
    assert body["cohorts"]["all"]["rates"]["coverage"] == 50.0
    assert api(world.neighbour).get(f"/api/v1/vaccination/coverage/?unit={world.county.east.code}").status_code == 404
    ranked = api(world.above).get(f"/api/v1/vaccination/ranking/?date={DATE}&metric=full_rate").json()
    assert [row["unit"] for row in ranked["results"]] == [world.county.east.code, world.county.west.code]
    assert ranked["results"][0]["ranks"]["full_rate"] == 1
    assert api(world.above).get("/api/v1/vaccination/ranking/?metric=x").status_code == 400


def test_api_people_lists(world, api):
    body = api(world.readonly).get(f"/api/v1/vaccination/people/?date={DATE}").json()
    assert [row["name"] for row in body["results"]] == ["张三丰"]
    assert body["results"][0]["phone"] == "138****5678" and body["results"][0]["age"] == 40
    full = api(world.inside).get(f"/api/v1/vaccination/people/?date={DATE}").json()["results"][0]
    assert full["phone"] == "13800135678" and full["address"] == "东门村1号"
    above = api(world.above).get(f"/api/v1/vaccination/people/?date={DATE}&kind=not_full").json()
    assert [row["name"] for row in above["results"]] == ["李四"]
    grid = world.county.west_grid.code
    assert api(world.inside).get(f"/api/v1/vaccination/people/?grid={grid}").status_code == 404
    assert api(world.above).get("/api/v1/vaccination/people/?kind=x").status_code == 400


def test_api_schema_builds(api, triad):
    response = api(triad.above).get("/api/v1/schema/")
    assert response.status_code == 200 and b"/api/v1/vaccination/people/" in response.content
