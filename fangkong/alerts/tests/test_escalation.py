"""Raising, escalating, acknowledging and resolving alerts, with time injected."""

from datetime import date, timedelta

import pytest

from fangkong.alerts.models import Alert, AlertKind, AlertRule, AlertStep, Delivery
from fangkong.alerts.services import (
    acknowledge,
    escalate_due,
    raise_alert,
    resolve,
    resolve_alerts,
    responsible_users,
    rule_for,
)

from .conftest import NOW

KIND = AlertKind.ABNORMAL_FOLLOW_UP  # default: 60 minutes to acknowledge, climbs 2 levels


def raise_fever(unit, **extra):
    return raise_alert(KIND, unit, key="case:1:fever", title="张三丰 体温37.8℃", now=NOW, **extra)


def delivered_to(alert, level=None):
    rows = Delivery.objects.filter(alert=alert, channel="in_app")
    if level is not None:
        rows = rows.filter(level=level)
    return sorted(rows.values_list("user__username", flat=True))


def test_raised_alert_goes_to_the_users_of_the_unit(triad, staff):
    alert = raise_fever(triad.county.east)
    assert alert.unit == triad.county.east and alert.level == 0
    assert alert.ack_due_at == NOW + timedelta(minutes=60)
    assert delivered_to(alert) == ["east_readonly", "east_worker"]
    assert [(s.level, s.unit.name) for s in alert.steps.all()] == [(0, "东门村")]


def test_a_grid_without_accounts_is_answered_for_by_its_village(triad, staff):
    alert = raise_fever(triad.county.east_grid)
    assert alert.origin_unit == triad.county.east_grid
    assert alert.unit == triad.county.east
    assert delivered_to(alert) == ["east_readonly", "east_worker"]
    assert sorted(u.username for u in responsible_users(triad.county.east_grid)) == ["east_readonly", "east_worker"]


def test_raising_the_same_thing_again_returns_the_open_alert(triad, staff):
    first = raise_fever(triad.county.east)
    again = raise_fever(triad.county.east)
    assert again.pk == first.pk
    assert Alert.objects.count() == 1 and Delivery.objects.count() == 2
    resolve_alerts(KIND, "case:1:fever", now=NOW + timedelta(hours=1))
    third = raise_fever(triad.county.east)
    assert third.pk != first.pk and Alert.objects.count() == 2


def test_unacknowledged_alert_climbs_to_parent_then_grandparent_and_stops(triad, staff):
    alert = raise_fever(triad.county.east)
    assert escalate_due(NOW + timedelta(minutes=59))["alerts_escalated"] == 0

    first = NOW + timedelta(minutes=60)
    assert escalate_due(first)["alerts_escalated"] == 1
    alert.refresh_from_db()
    assert (alert.unit, alert.level, alert.escalated_at) == (triad.county.town, 1, first)
    assert alert.ack_due_at == first + timedelta(minutes=60)
    assert delivered_to(alert, level=1) == ["town_leader"]

    second = first + timedelta(minutes=60)
    assert escalate_due(second)["alerts_escalated"] == 1
    alert.refresh_from_db()
    assert (alert.unit, alert.level) == (triad.county.county, 2)
    assert delivered_to(alert, level=2) == ["county_leader"]

    # max_level 2: it stays with the county and the clock stops.
    result = escalate_due(second + timedelta(hours=5))
    assert result == {"alerts_escalated": 0, "alerts_at_top": 1}
    alert.refresh_from_db()
    assert (alert.level, alert.ack_due_at) == (2, None)
    assert [(s.level, s.unit.name, s.at) for s in alert.steps.all()] == [
        (0, "东门村", NOW), (1, "城关镇", first), (2, "示范县", second)]


def test_escalation_skips_a_unit_without_staff(triad, staff):
    """东门一组 has no accounts and 城关镇's leader is removed: from 东门村 it goes to the county."""
    triad.above.is_active = False
    triad.above.save()
    alert = raise_fever(triad.county.east_grid)
    escalate_due(NOW + timedelta(minutes=60))
    alert.refresh_from_db()
    assert alert.unit == triad.county.county and delivered_to(alert, level=1) == ["county_leader"]


def test_acknowledging_stops_the_escalation(triad, staff):
    alert = raise_fever(triad.county.east)
    assert acknowledge(alert, triad.inside, now=NOW + timedelta(minutes=10), note="已电话联系，复测36.9℃")
    assert not acknowledge(alert, triad.above, now=NOW + timedelta(minutes=20))
    assert escalate_due(NOW + timedelta(hours=3))["alerts_escalated"] == 0
    alert.refresh_from_db()
    assert alert.acknowledged_by == triad.inside and alert.level == 0
    assert alert.note == "已电话联系，复测36.9℃"
    # The acknowledging user has read it; the other user of the village has not.
    unread = Delivery.objects.filter(alert=alert, read_at__isnull=True).values_list("user__username", flat=True)
    assert list(unread) == ["east_readonly"]


def test_two_workers_at_the_same_moment_escalate_once(triad, staff):
    alert = raise_fever(triad.county.east)
    due = NOW + timedelta(minutes=60)
    stale = Alert.objects.get(pk=alert.pk)  # what a second worker read before the first one wrote
    assert escalate_due(due)["alerts_escalated"] == 1
    assert escalate_due(due)["alerts_escalated"] == 0
    # A worker still holding the level-0 row cannot claim it any more.
    claimed = Alert.objects.filter(pk=stale.pk, level=stale.level, acknowledged_at__isnull=True).update(level=9)
    assert claimed == 0
    alert.refresh_from_db()
    assert alert.level == 1 and AlertStep.objects.filter(alert=alert).count() == 2
    assert delivered_to(alert, level=1) == ["town_leader"]


def test_resolved_alert_does_not_escalate(triad, staff):
    alert = raise_fever(triad.county.east)
    assert resolve(alert, triad.inside, now=NOW + timedelta(minutes=5), note="误报")
    assert not resolve(alert, triad.inside, now=NOW + timedelta(minutes=6))
    assert escalate_due(NOW + timedelta(hours=2))["alerts_escalated"] == 0
    alert.refresh_from_db()
    assert alert.resolved_by == triad.inside and alert.note == "误报"


def test_resolve_alerts_keeps_the_acknowledgement_note(triad, staff):
    alert = raise_fever(triad.county.east)
    acknowledge(alert, triad.inside, now=NOW, note="已处置")
    assert resolve_alerts(KIND, "case:1:fever", now=NOW + timedelta(hours=1)) == 1
    assert resolve_alerts(KIND, "case:1:fever", now=NOW + timedelta(hours=2)) == 0
    alert.refresh_from_db()
    assert alert.note == "已处置" and alert.resolved_at == NOW + timedelta(hours=1)


def test_named_recipients_receive_it_too(triad, staff):
    alert = raise_fever(triad.county.east, recipients=[staff.river])
    assert delivered_to(alert) == ["east_readonly", "east_worker", "river_worker"]
    assert list(alert.recipients.all()) == [staff.river]


def test_escalation_times_follow_the_rule(triad, staff):
    AlertRule.objects.create(kind=KIND, unit=triad.county.town, ack_minutes=30, max_level=1)
    alert = raise_fever(triad.county.east)
    assert alert.ack_due_at == NOW + timedelta(minutes=30)
    escalate_due(NOW + timedelta(minutes=30))
    escalate_due(NOW + timedelta(minutes=60))
    alert.refresh_from_db()
    assert alert.level == 1 and alert.ack_due_at is None


@pytest.mark.parametrize("on, expected", [(date(2022, 1, 1), "37.3"), (date(2022, 3, 1), "37.0")])
def test_rule_for_picks_the_rule_in_force(triad, on, expected):
    AlertRule.objects.create(kind=KIND, params={"temperature": "37.3"})
    AlertRule.objects.create(kind=KIND, params={"temperature": "37.0"}, effective_from=date(2022, 2, 1))
    assert rule_for(KIND, triad.county.east, on).params["temperature"] == expected


def test_rule_for_prefers_the_nearest_unit(triad):
    AlertRule.objects.create(kind=KIND, params={"temperature": "37.3"})
    AlertRule.objects.create(kind=KIND, unit=triad.county.county, params={"temperature": "37.2"})
    AlertRule.objects.create(kind=KIND, unit=triad.county.town, params={"temperature": "37.1"},
                             effective_from=date(2022, 1, 1))
    on = date(2022, 1, 27)
    assert rule_for(KIND, triad.county.east, on).params["temperature"] == "37.1"
    assert rule_for(KIND, triad.county.river, on).params["temperature"] == "37.2"
    assert rule_for(KIND, None, on).params["temperature"] == "37.3"
    assert rule_for(KIND, triad.county.east, date(2021, 12, 31)).params["temperature"] == "37.2"


def test_rule_for_defaults_when_nothing_is_stored(triad):
    rule = rule_for(KIND, triad.county.east, date(2022, 1, 27))
    assert rule.pk is None and rule.params == {"temperature": "37.3"} and rule.max_level == 2


def test_a_switched_off_rule_raises_nothing(triad, staff):
    AlertRule.objects.create(kind=KIND, unit=triad.county.town, enabled=False)
    assert raise_fever(triad.county.east) is None
    assert raise_fever(triad.county.river) is not None
