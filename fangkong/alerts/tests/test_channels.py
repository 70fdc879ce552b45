"""Delivery channels: in-app always, adapters from settings; a failing gateway is recorded
and does not cost the in-app delivery."""

import logging

from fangkong.alerts.models import AlertKind, Delivery
from fangkong.alerts.services import raise_alert

from .conftest import NOW


class BrokenGateway:
    code = "sms_broken"

    def send(self, alert, user):
        raise ConnectionError("短信网关无响应")


def fever(unit):
    return raise_alert(AlertKind.ABNORMAL_FOLLOW_UP, unit, key="k", title="体温异常", now=NOW)


def test_in_app_only_by_default(triad, settings):
    settings.FANGKONG_ALERT_CHANNELS = []
    alert = fever(triad.county.west)
    assert list(Delivery.objects.filter(alert=alert).values_list("channel", "user__username", "ok")) == [
        ("in_app", "west_worker", True)]


def test_logging_channel_writes_what_an_sms_would_say(triad, settings, caplog):
    settings.FANGKONG_ALERT_CHANNELS = ["fangkong.alerts.services.channels.LoggingChannel"]
    with caplog.at_level(logging.INFO, logger="fangkong.alerts"):
        alert = fever(triad.county.west)
    assert sorted(Delivery.objects.filter(alert=alert).values_list("channel", flat=True)) == ["in_app", "sms_log"]
    assert "预警短信 → west_worker：体温异常" in caplog.text


def test_failing_adapter_is_recorded_and_in_app_still_delivered(triad, settings):
    settings.FANGKONG_ALERT_CHANNELS = ["fangkong.alerts.tests.test_channels.BrokenGateway"]
    alert = fever(triad.county.west)
    rows = {d.channel: d for d in Delivery.objects.filter(alert=alert)}
    assert rows["in_app"].ok and rows["in_app"].error == ""
    assert not rows["sms_broken"].ok and rows["sms_broken"].error == "短信网关无响应"


def test_an_escalated_alert_reaches_the_parent_unit_through_every_channel(triad, settings):
    from datetime import timedelta

    from fangkong.alerts.services import escalate_due

    settings.FANGKONG_ALERT_CHANNELS = ["fangkong.alerts.services.channels.LoggingChannel"]
    alert = fever(triad.county.west)
    escalate_due(alert.ack_due_at + timedelta(seconds=1))
    assert sorted(Delivery.objects.filter(alert=alert, user=triad.above).values_list("channel", "level")) == [
        ("in_app", 1), ("sms_log", 1)]
    # Nobody who had it already is sent it again.
    assert Delivery.objects.filter(alert=alert, user=triad.neighbour).count() == 2
