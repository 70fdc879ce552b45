"""The completeness page (报送情况) and the missing list export: figures and rates of a unit,
a row per child to drill down, the units not filed with their people, the jurisdiction triad."""

import datetime
import io
from datetime import time

import openpyxl
import pytest

from fangkong.accounts.models import User
from fangkong.conftest import make_user
from fangkong.control.testing import local
from fangkong.reports.models import Filing
from fangkong.reports.services.forms import form_in_force

DAY = datetime.date(2022, 1, 27)
PAGE = "/reports/completeness/"
XLSX = "/reports/completeness/missing.xlsx"


def url(unit, day=DAY, base=PAGE):
    return f"{base}?unit={unit.code}&date={day.isoformat()}"


def file(unit, day=DAY, late=False):
    return Filing.objects.create(form=form_in_force("daily", day), unit=unit, day=day, late=late, values={},
                                 filed_at=local(day, time(16 if late else 9)))


def workbook(response):
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


@pytest.fixture
def phones(triad):
    User.objects.filter(pk=triad.inside.pk).update(phone="13800135678")
    User.objects.filter(pk=triad.neighbour.pk).update(phone="13900139999")
    return triad


def test_triad_on_a_village_page(as_user, triad):
    county = triad.county
    inside = as_user(triad.inside).get(url(county.east))
    assert inside.status_code == 200
    text = inside.content.decode()
    assert "东门村疫情防控日报告报送情况" in text and "2022年1月27日" in text
    assert as_user(triad.neighbour).get(url(county.east)).status_code == 404
    assert as_user(triad.above).get(url(county.east)).status_code == 200


def test_above_sees_the_town_table_with_both_villages(as_user, triad):
    county = triad.county
    file(county.east)
    text = as_user(triad.above).get(url(county.town)).content.decode()
    assert "下级单位报送情况" in text
    assert f'href="?unit={county.east.code}&amp;date=2022-01-27&amp;form=daily">东门村</a>' in text
    assert f'href="?unit={county.west.code}&amp;date=2022-01-27&amp;form=daily">西门村</a>' in text
    assert "河口村" not in text
    assert as_user(triad.inside).get(url(county.town)).status_code == 404


def test_the_default_is_the_users_top_unit_and_today(as_user, triad):
    text = as_user(triad.above).get(PAGE).content.decode()
    assert "城关镇疫情防控日报告报送情况" in text
    text = as_user(triad.inside).get(PAGE).content.decode()
    assert "东门村疫情防控日报告报送情况" in text


def test_figures_and_rates_count_on_time_and_late_filings(as_user, triad):
    county = triad.county
    file(county.east)
    file(county.west, late=True)
    response = as_user(triad.above).get(url(county.town))
    figures = response.context["figures"]
    assert (figures["expected"], figures["received"], figures["on_time"], figures["missing_count"]) == (2, 2, 1, 0)
    assert figures["report_rate"] == 100.0 and figures["timely_rate"] == 50.0
    text = response.content.decode()
    assert "100.0%" in text and "50.0%" in text and "应报单位均已报送" in text


def test_the_missing_list_shows_deadline_parent_and_people_with_phones_masked_by_role(as_user, phones):
    county = phones.county
    file(county.east)
    text = as_user(phones.above).get(url(county.town)).content.decode()
    assert "西门村" in text and "430626100202" in text and "城关镇" in text
    assert "2022年1月27日14时" in text and "14时0分" not in text and "已逾期" in text
    assert "网格员 west_worker" in text and "13900139999" in text  # a leader may see numbers
    Filing.objects.all().delete()
    masked = as_user(phones.readonly).get(url(county.east)).content.decode()
    assert "网格员 east_worker" in masked and "138****5678" in masked and "13800135678" not in masked
    assert "13800135678" in as_user(phones.inside).get(url(county.east)).content.decode()


def test_the_link_to_the_form_is_offered_to_those_who_file(as_user, triad):
    county = triad.county
    link = f'href="/reports/file/{county.east.code}/2022-01-27/"'
    assert link in as_user(triad.inside).get(url(county.east)).content.decode()
    assert link not in as_user(triad.above).get(url(county.town)).content.decode()  # a leader does not file
    assert as_user(triad.inside).get(f"/reports/file/{county.east.code}/2022-01-27/").status_code == 200


def test_drill_down_from_the_county_to_a_village(as_user, triad):
    county = triad.county
    chief = make_user("county_chief", "leader", county.county)
    client = as_user(chief)
    page = client.get(url(county.county))
    assert [row["unit"].name for row in page.context["children"]] == ["城关镇", "河口镇"]
    town = client.get(PAGE + "?" + page.context["children"][0]["query"])
    assert [row["unit"].name for row in town.context["children"]] == ["东门村", "西门村"]
    assert f'<a href="?unit={county.county.code}&amp;date=2022-01-27&amp;form=daily">示范县</a>' in \
        town.content.decode()  # the trail leads back up
    village = client.get(PAGE + "?" + town.context["children"][0]["query"])
    assert village.context["unit"] == county.east and village.context["children"] == []
    assert [row["unit"].name for row in village.context["missing"]] == ["东门村"]


def test_the_strip_shows_the_last_seven_days(as_user, triad):
    county = triad.county
    yesterday = DAY - datetime.timedelta(days=1)
    file(county.east, yesterday)
    file(county.west, yesterday)
    file(county.east)
    strip = as_user(triad.above).get(url(county.town)).context["strip"]
    assert [item["day"] for item in strip] == [DAY - datetime.timedelta(days=n) for n in range(6, -1, -1)]
    assert [item["report_rate"] for item in strip] == [0.0] * 5 + [100.0, 50.0]
    assert strip[-1]["query"] == f"unit={county.town.code}&date=2022-01-27&form=daily"


def test_a_wrong_date_says_so_and_shows_today(as_user, triad):
    response = as_user(triad.inside).get(f"{PAGE}?unit={triad.county.east.code}&date=2022-13-45")
    assert response.status_code == 200
    assert "日期“2022-13-45”有误" in response.content.decode()


def test_a_role_without_the_reports_permission_is_refused(as_user, triad):
    guard = make_user("guard", "checkpoint_staff", triad.county.east)
    assert as_user(guard).get(url(triad.county.east)).status_code == 403
    assert as_user(guard).get(url(triad.county.east, base=XLSX)).status_code == 403


def test_htmx_pages_of_the_missing_list_come_alone(as_user, triad):
    response = as_user(triad.above).get(url(triad.county.town), HTTP_HX_REQUEST="true")
    text = response.content.decode()
    assert "<html" not in text and "东门村" in text and "西门村" in text


def test_the_missing_list_exports_as_xlsx(as_user, phones):
    county = phones.county
    file(county.east)
    response = as_user(phones.above).get(url(county.town, base=XLSX))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"].startswith("attachment")
    sheet = workbook(response).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][0] == "城关镇疫情防控日报告未报单位清单（2022年1月27日）"
    assert "应报2个，已报1个，未报1个" in rows[1][0]
    assert rows[2] == ["序号", "单位名称", "单位编码", "单位类型", "上级单位", "截止时间", "状态", "责任人", "联系电话"]
    assert rows[3] == ["1", "西门村", "430626100202", "村/社区", "城关镇", "2022年1月27日14时", "已逾期",
                       "网格员 west_worker", "13900139999"]
    assert len(rows) == 4
    assert sheet.cell(row=4, column=3).data_type == "s"  # codes stay text
    assert as_user(phones.neighbour).get(url(county.east, base=XLSX)).status_code == 404


def test_the_export_masks_phones_for_roles_that_may_not_see_them(as_user, phones):
    response = as_user(phones.readonly).get(url(phones.county.east, base=XLSX))
    rows = [[cell.value for cell in row] for row in workbook(response).active.iter_rows()]
    assert rows[3][1] == "东门村" and "138****5678" in rows[3][8] and "13800135678" not in rows[3][8]
