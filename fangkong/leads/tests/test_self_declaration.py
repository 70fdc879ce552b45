"""Self-declaration by QR code: public, validated like the import, rate-limited per client,
creates a lead in the unit of the declared address and shows what applies."""

import datetime

import pytest
from django.core.cache import cache
from django.test import Client

from fangkong.areas.models import RiskArea
from fangkong.conftest import fictional_id
from fangkong.leads.models import Lead


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def form(**changes):
    data = {"name": "返乡人", "id_type": "resident", "id_number": fictional_id("420115", "19900305", 41),
            "phone": "13712345673", "address": "东门村东门一组8号", "origin": "湖北省武汉市江夏区",
            "route": "武汉—岳阳", "departed_on": (datetime.date.today() - datetime.timedelta(days=2)).isoformat(),
            "arrived_on": (datetime.date.today() - datetime.timedelta(days=1)).isoformat(),
            "temperature": "36.6", "symptoms": ["cough"]}
    data.update(changes)
    return data


def test_happy_path_shows_the_category(triad):
    RiskArea.objects.create(level="high", scope="county", division_code="420115", name="武汉市江夏区",
                            effective_from=datetime.date.today() - datetime.timedelta(days=30))
    client = Client()
    url = f"/declare/{triad.county.east.code}/"
    assert "主动申报" in client.get(url).content.decode()
    page = client.post(url, form()).content.decode()
    assert "申报成功" in page and "您属于：高风险地区返乡人员" in page
    lead = Lead.objects.get()
    assert (lead.source, lead.unit, lead.category) == ("self_declaration", triad.county.east_grid, "high_risk_area")
    assert lead.health == {"temperature": "36.6", "symptoms": ["咳嗽"]}
    assert lead.origin_division_code == "420115" and lead.route == "武汉—岳阳"


def test_no_risk_says_daily_monitoring(triad):
    page = Client().post(f"/declare/{triad.county.east.code}/", form(origin="北京市朝阳区")).content.decode()
    assert "无需管控，请做好日常健康监测" in page


def test_invalid_input_gets_chinese_messages_and_no_lead(triad):
    good = fictional_id("420115", "19900305", 41)
    wrong = good[:-1] + ("1" if good[-1] != "1" else "2")
    page = Client().post(f"/declare/{triad.county.east.code}/", form(id_number=wrong, phone="123")).content.decode()
    assert "身份证号校验位不正确" in page and "不是有效的手机号" in page
    assert not Lead.objects.exists()


def test_rate_limited_per_client_and_unit(triad):
    client = Client(REMOTE_ADDR="10.0.0.7")
    url = f"/declare/{triad.county.east.code}/"
    for _ in range(5):
        assert client.post(url, form(phone="123")).status_code == 200
    response = client.post(url, form())
    assert response.status_code == 429 and "提交过于频繁" in response.content.decode()
    assert not Lead.objects.exists()
    # another client, or the same client at another unit, is not held back
    assert Client(REMOTE_ADDR="10.0.0.8").post(url, form()).status_code == 200
    assert client.post(f"/declare/{triad.county.west.code}/", form(phone="13712345674",
                                                                   id_number=fictional_id(seq=42))).status_code == 200


def test_csrf_protected(triad):
    client = Client(enforce_csrf_checks=True)
    assert client.post(f"/declare/{triad.county.east.code}/", form()).status_code == 403


def test_unknown_unit_is_404(db):
    assert Client().get("/declare/nowhere/").status_code == 404


def test_plan_preview_from_the_regimen_in_force(triad):
    from fangkong.control.models import RegimenVersion

    today = datetime.date.today()
    RiskArea.objects.create(level="high", scope="county", division_code="420115", name="武汉市江夏区",
                            effective_from=today - datetime.timedelta(days=30))
    RegimenVersion.objects.create(
        code="test-town", name="城关镇返乡管控方案", effective_from=today - datetime.timedelta(days=60),
        unit=triad.county.town,
        rules={"high_risk_area": {"anchor": "departure", "fill_and_top_up": True, "phases": [
            {"measure": "centralized_isolation", "days": 14},
            {"measure": "home_health_monitoring", "days": 7, "tests": [{"day": 2}, {"day": 7}]}]}})
    departed = today - datetime.timedelta(days=2)
    page = Client().post(f"/declare/{triad.county.east.code}/", form(
        departed_on=departed.isoformat(), arrived_on=(today - datetime.timedelta(days=1)).isoformat())).content.decode()

    def cn(day):
        return f"{day.year}年{day.month}月{day.day}日"

    assert "按《城关镇返乡管控方案》" in page
    assert f"集中隔离医学观察：{cn(today - datetime.timedelta(days=1))}至{cn(departed + datetime.timedelta(days=14))}" in page
    assert cn(departed + datetime.timedelta(days=16)) in page  # home monitoring day 2 test
    assert f"预计{cn(departed + datetime.timedelta(days=22))}解除" in page
