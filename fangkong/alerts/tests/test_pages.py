"""The alert pages: inbox, detail with the trail, acknowledge/resolve, badge, rules."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission

from fangkong.alerts.models import Alert, AlertKind, AlertRule, Delivery
from fangkong.alerts.services import acknowledge, escalate_due, raise_alert
from fangkong.conftest import make_user

from .conftest import NOW


@pytest.fixture
def alerts(triad, handlers):
    county = triad.county
    return {
        "east": raise_alert(AlertKind.ABNORMAL_FOLLOW_UP, county.east_grid, key="east", title="张三丰 体温37.8℃",
                            subject=county.east_grid, now=NOW),
        "east_old": raise_alert(AlertKind.TEST_DUE, county.east, key="east-old", title="核酸检测今日到期",
                                now=NOW - timedelta(hours=3)),
        "west": raise_alert(AlertKind.MISSED_SLOT, county.west, key="west", title="李四 漏报", now=NOW),
    }


def test_inbox_lists_unacknowledged_first_then_newest(as_user, triad, alerts):
    acknowledge(alerts["east"], triad.inside, now=NOW)
    page = as_user(triad.inside).get("/alerts/")
    assert page.status_code == 200
    text = page.content.decode()
    assert text.index("核酸检测今日到期") < text.index("张三丰 体温37.8℃")
    assert "李四 漏报" not in text


def test_inbox_filters_by_kind_and_status(as_user, triad, alerts):
    client = as_user(triad.inside)
    text = client.get("/alerts/", {"kind": "test_due"}).content.decode()
    assert "核酸检测今日到期" in text and "张三丰" not in text
    acknowledge(alerts["east"], triad.inside, now=NOW)
    text = client.get("/alerts/", {"status": "unacknowledged"}).content.decode()
    assert "核酸检测今日到期" in text and "张三丰" not in text
    fragment = client.get("/alerts/", {"status": "acknowledged"}, HTTP_HX_REQUEST="true").content.decode()
    assert "张三丰" in fragment and "<html" not in fragment


def test_area_scope_shows_the_jurisdiction(as_user, triad, alerts):
    text = as_user(triad.above).get("/alerts/").content.decode()
    assert "李四 漏报" not in text  # nothing in the town leader's own inbox yet
    text = as_user(triad.above).get("/alerts/", {"scope": "area"}).content.decode()
    assert "李四 漏报" in text and "张三丰 体温37.8℃" in text


def test_detail_shows_the_trail_and_marks_read(as_user, triad, alerts):
    escalate_due(NOW + timedelta(minutes=60))
    page = as_user(triad.inside).get(f"/alerts/{alerts['east'].pk}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "发出至东门村" in text and "上报至城关镇" in text and "town_leader" in text
    assert "相关记录" not in text  # a unit has no page of its own to link to
    assert Delivery.objects.get(alert=alerts["east"], user=triad.inside).read_at is not None


def test_detail_links_to_a_subject_that_has_a_page(as_user, triad, alerts, monkeypatch):
    from fangkong.orgs.models import Unit

    monkeypatch.setattr(Unit, "get_absolute_url", lambda unit: f"/units/{unit.pk}/", raising=False)
    text = as_user(triad.inside).get(f"/alerts/{alerts['east'].pk}/").content.decode()
    assert f'<a href="/units/{triad.county.east_grid.pk}/">东门一组</a>' in text


def test_detail_triad(as_user, triad, alerts):
    url = f"/alerts/{alerts['east'].pk}/"
    assert as_user(triad.inside).get(url).status_code == 200
    assert as_user(triad.above).get(url).status_code == 200
    assert as_user(triad.neighbour).get(url).status_code == 404


def test_acknowledge_with_note_then_resolve(as_user, triad, alerts):
    client = as_user(triad.inside)
    alert = alerts["east"]
    response = client.post(f"/alerts/{alert.pk}/acknowledge/", {"note": "已电话联系"})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == triad.inside and alert.note == "已电话联系"
    response = client.post(f"/alerts/{alert.pk}/resolve/", {"next": "/alerts/"})
    assert response["Location"] == "/alerts/"
    alert.refresh_from_db()
    assert alert.resolved_by == triad.inside


def test_neighbour_cannot_acknowledge_and_readonly_is_refused(as_user, triad, alerts):
    assert as_user(triad.neighbour).post(f"/alerts/{alerts['east'].pk}/acknowledge/").status_code == 404
    assert as_user(triad.readonly).post(f"/alerts/{alerts['east'].pk}/acknowledge/").status_code == 403
    assert Alert.objects.get(pk=alerts["east"].pk).acknowledged_at is None


def test_badge_counts_unread_or_unacknowledged(as_user, triad, alerts):
    client = as_user(triad.inside)
    assert ">2<" in client.get("/alerts/badge/").content.decode()
    acknowledge(alerts["east"], triad.inside, now=NOW)  # acknowledged and read
    assert ">1<" in client.get("/alerts/badge/").content.decode()
    client.get(f"/alerts/{alerts['east_old'].pk}/")  # read, still unacknowledged: still counts
    assert ">1<" in client.get("/alerts/badge/").content.decode()
    acknowledge(alerts["east_old"], triad.inside, now=NOW)
    assert client.get("/alerts/badge/").content.decode().strip() == ""


def test_pages_need_login(client, alerts):
    assert client.get("/alerts/").status_code == 302
    assert client.get("/alerts/badge/").status_code == 302


def test_rules_page_shows_defaults_and_stored_rules(as_user, triad):
    AlertRule.objects.create(kind=AlertKind.ABNORMAL_FOLLOW_UP, unit=triad.county.town, params={"temperature": "37.2"})
    AlertRule.objects.create(kind=AlertKind.MISSED_SLOT, unit=triad.county.river, ack_minutes=15)
    text = as_user(triad.inside).get("/alerts/rules/").content.decode()
    assert "temperature=37.2" in text and "城关镇" in text
    assert "河口村" not in text  # another town's rule
    assert "修改" not in text  # a grid worker may not change rules


@pytest.fixture
def rule_editor(triad):
    user = make_user("town_admin", "leader", triad.county.town)
    for codename in ("add_alertrule", "change_alertrule"):
        user.user_permissions.add(Permission.objects.get(content_type__app_label="alerts", codename=codename))
    return type(user).objects.get(pk=user.pk)


def test_rule_editor_adds_and_changes_a_rule_for_the_town(as_user, rule_editor, triad):
    client = as_user(rule_editor)
    response = client.post("/alerts/rules/new/", {
        "kind": "abnormal_follow_up", "unit_code": "430626100", "severity": "urgent", "ack_minutes": "30",
        "max_level": "2", "params": '{"temperature": "37.2"}', "enabled": "on"})
    assert response.status_code == 302
    rule = AlertRule.objects.get()
    assert (rule.unit, rule.ack_minutes, rule.params) == (triad.county.town, 30, {"temperature": "37.2"})
    response = client.post(f"/alerts/rules/{rule.pk}/", {
        "kind": "abnormal_follow_up", "unit_code": "430626100", "severity": "urgent", "ack_minutes": "45",
        "max_level": "1", "params": '{"temperature": "43"}'})
    assert response.status_code == 200 and "体温阈值应在35至42℃之间" in response.content.decode()
    response = client.post(f"/alerts/rules/{rule.pk}/", {
        "kind": "abnormal_follow_up", "unit_code": "430626101", "severity": "urgent", "ack_minutes": "45",
        "max_level": "1", "params": "{}"})
    assert "不在您的辖区内" in response.content.decode()
    rule.refresh_from_db()
    assert rule.ack_minutes == 30


def test_a_village_leader_may_not_change_the_towns_rule(as_user, triad):
    town_rule = AlertRule.objects.create(kind=AlertKind.MISSED_SLOT, unit=triad.county.town, ack_minutes=15)
    own_rule = AlertRule.objects.create(kind=AlertKind.MISSED_SLOT, unit=triad.county.east, ack_minutes=20)
    user = make_user("east_admin", "leader", triad.county.east)
    for codename in ("add_alertrule", "change_alertrule"):
        user.user_permissions.add(Permission.objects.get(content_type__app_label="alerts", codename=codename))
    client = as_user(type(user).objects.get(pk=user.pk))
    page = client.get("/alerts/rules/").content.decode()
    assert f"/alerts/rules/{own_rule.pk}/" in page and f"/alerts/rules/{town_rule.pk}/" not in page
    assert client.get(f"/alerts/rules/{town_rule.pk}/").status_code == 403
    response = client.post(f"/alerts/rules/{town_rule.pk}/", {
        "kind": "missed_slot", "unit_code": triad.county.east.code, "severity": "warning", "ack_minutes": "5",
        "max_level": "1", "params": "{}"})
    assert response.status_code == 403
    town_rule.refresh_from_db()
    assert (town_rule.unit, town_rule.ack_minutes) == (triad.county.town, 15)
    assert client.get(f"/alerts/rules/{own_rule.pk}/").status_code == 200


def test_rule_edit_needs_the_permission(as_user, triad):
    # Leaders may set their area's alert rules; a grid worker may not.
    assert as_user(triad.inside).get("/alerts/rules/new/").status_code == 403
    assert as_user(triad.above).get("/alerts/rules/new/").status_code == 200
