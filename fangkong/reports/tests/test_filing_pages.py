"""The filing pages: today's list of the user's filing units, a unit's form (file, zero report,
correct), the lock, and the jurisdiction triad."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from fangkong.reports.models import Filing
from fangkong.reports.services.filing import file_report
from fangkong.reports.services.forms import form_in_force

from .test_filing_services import VALUES

pytestmark = pytest.mark.django_db
LIST = reverse("reports:filing_list")


def body(response, status=200):
    assert response.status_code == status, response.status_code
    return response.content.decode()


def form_url(unit, day=None):
    return reverse("reports:filing_form", args=[unit.code, (day or timezone.localdate()).isoformat()])


def correct_url(unit, day=None):
    return reverse("reports:filing_correct", args=[unit.code, (day or timezone.localdate()).isoformat()])


def test_the_list_shows_the_filing_units_of_the_jurisdiction(as_user, triad):
    inside = body(as_user(triad.inside).get(LIST))
    assert "今日日报" in inside and "东门村" in inside and "西门村" not in inside and "未报" in inside
    neighbour = body(as_user(triad.neighbour).get(LIST))
    assert "西门村" in neighbour and "东门村" not in neighbour
    above = body(as_user(triad.above).get(LIST))
    assert "东门村" in above and "西门村" in above and "河口村" not in above and "城关镇</td>" not in above


def test_the_list_filters_by_status_and_name_and_looks_at_another_day(as_user, triad):
    day = timezone.localdate()
    file_report(form_in_force("daily", day), triad.county.east, day, {}, triad.inside, now=timezone.now(), zero=True)
    client = as_user(triad.above)
    missing = body(client.get(LIST, {"status": "missing"}))
    assert "西门村" in missing and "东门村" not in missing
    zero = body(client.get(LIST, {"status": "zero"}))
    assert "东门村" in zero and "西门村" not in zero
    by_name = body(client.get(LIST, {"q": "西门"}))
    assert "西门村" in by_name and "东门村" not in by_name
    yesterday = body(client.get(LIST, {"day": (day - datetime.timedelta(days=1)).isoformat(), "status": "missing"}))
    assert "东门村" in yesterday and "西门村" in yesterday and "今日日报" not in yesterday


def test_the_form_shows_computed_items_locked_and_the_zero_report_button(as_user, triad):
    page = body(as_user(triad.inside).get(form_url(triad.county.east)))
    assert "无事报平安（零报告）" in page and "报送截止" in page
    assert "摸排人数" in page and "readonly disabled" in page
    assert 'name="outsiders_registered"' in page and 'name="screened_persons"' not in page


def test_the_neighbour_gets_404_and_the_leader_sees_but_may_not_file(as_user, triad):
    url = form_url(triad.county.east)
    assert as_user(triad.neighbour).get(url).status_code == 404
    assert as_user(triad.neighbour).post(url, {"action": "zero"}).status_code == 404
    above = body(as_user(triad.above).get(url))
    assert "东门村" in above and "无事报平安" not in above and "不能填报" in above
    assert as_user(triad.above).post(url, {"action": "zero"}).status_code == 403
    assert as_user(triad.readonly).post(url, {"action": "zero"}).status_code == 403
    assert not Filing.objects.exists()
    assert as_user(triad.inside).get(form_url(triad.county.town)).status_code == 404  # 城关镇 does not file


def test_filing_from_the_page_then_refusing_a_second_one(as_user, triad):
    client = as_user(triad.inside)
    response = client.post(form_url(triad.county.east), {**VALUES, "action": "file"})
    assert response.status_code == 302 and response.url == form_url(triad.county.east)
    filing = Filing.objects.get()
    assert filing.values["outsiders_registered"] == 3 and filing.filed_by == triad.inside
    page = body(client.get(form_url(triad.county.east)))
    assert "已报送内容" in page and "劝阻聚餐一起" in page and "更正" in page and "第1版" in page
    again = body(client.post(form_url(triad.county.east), {"action": "zero"}), 400)
    assert "东门村已报送该期报告；如需修改，请填写原因后更正" in again
    assert Filing.objects.count() == 1


def test_a_zero_report_is_one_click(as_user, triad):
    response = as_user(triad.inside).post(form_url(triad.county.east), {"action": "zero"})
    assert response.status_code == 302
    assert Filing.objects.get().zero_report


def test_wrong_values_come_back_with_the_message_next_to_the_input(as_user, triad):
    data = {**VALUES, "outsiders_registered": "10", "outsiders_from_risk_areas": "4",
            "outsiders_from_elsewhere": "5", "gatherings_stopped": "-2", "action": "file"}
    page = body(as_user(triad.inside).post(form_url(triad.county.east), data), 400)
    assert "劝阻聚集性活动必须是不小于0的整数" in page
    assert not Filing.objects.exists()
    del data["gatherings_stopped"]
    page = body(as_user(triad.inside).post(form_url(triad.county.east), {**data, "gatherings_stopped": "0"}), 400)
    assert "外来人员登记（10）应等于各分项之和（4 + 5 = 9）" in page


def test_correction_needs_a_reason_and_keeps_the_versions(as_user, triad):
    client = as_user(triad.inside)
    client.post(form_url(triad.county.east), {"action": "zero"})
    refused = body(client.post(correct_url(triad.county.east), {**VALUES, "reason": ""}), 400)
    assert "请填写更正原因" in refused
    response = client.post(correct_url(triad.county.east), {**VALUES, "reason": "漏报外来人员"})
    assert response.status_code == 302
    assert list(Filing.objects.order_by("version").values_list("version", "zero_report")) == [(1, True), (2, False)]
    page = body(client.get(form_url(triad.county.east)))
    assert "第2版" in page and "漏报外来人员" in page and "被更正" in page and "east_worker" in page
    assert as_user(triad.neighbour).post(correct_url(triad.county.east), {**VALUES, "reason": "x"}).status_code == 404
    assert as_user(triad.above).post(correct_url(triad.county.east), {**VALUES, "reason": "x"}).status_code == 403


def test_a_locked_period_is_read_only(as_user, triad):
    old = timezone.localdate() - datetime.timedelta(days=10)
    page = body(as_user(triad.inside).get(form_url(triad.county.east, old)))
    assert "锁定" in page and "无事报平安" not in page
    refused = body(as_user(triad.inside).post(form_url(triad.county.east, old), {"action": "zero"}), 400)
    assert "报告期已锁定" in refused
    assert not Filing.objects.exists()


def test_a_version_detail_follows_the_jurisdiction(as_user, triad):
    as_user(triad.inside).post(form_url(triad.county.east), {**VALUES, "action": "file"})
    url = reverse("reports:filing_detail", args=[Filing.objects.get().pk])
    assert "劝阻聚餐一起" in body(as_user(triad.inside).get(url))
    assert "劝阻聚餐一起" in body(as_user(triad.above).get(url))
    assert as_user(triad.neighbour).get(url).status_code == 404


def test_a_bad_date_is_404(as_user, triad):
    url = reverse("reports:filing_form", args=[triad.county.east.code, "2022-13-40"])
    assert as_user(triad.inside).get(url).status_code == 404
