"""Delivery channels. In-app delivery (the inbox) is always on; other channels are adapters
named in settings.FANGKONG_ALERT_CHANNELS (dotted paths of classes with a `code` and a
`send(alert, user) -> None` that raises on failure). `LoggingChannel` stands in for SMS or
WeChat in tests and in deployments without a gateway."""

import logging

from django.conf import settings
from django.utils.module_loading import import_string

from fangkong.alerts.models import IN_APP, Delivery

logger = logging.getLogger("fangkong.alerts")


class Channel:
    code = "base"

    def send(self, alert, user):
        raise NotImplementedError


class InAppChannel(Channel):
    """The inbox: the Delivery row is the message."""

    code = IN_APP

    def send(self, alert, user):
        return None


class LoggingChannel(Channel):
    """Writes what an SMS would say to the `fangkong.alerts` log."""

    code = "sms_log"

    def send(self, alert, user):
        logger.info("预警短信 → %s：%s", user.get_username(), alert.title)


def channels():
    extra = [import_string(path)() for path in getattr(settings, "FANGKONG_ALERT_CHANNELS", [])]
    return [InAppChannel(), *extra]


def deliver(alert, users, now, only=None):
    """Send the alert to each user through every channel (or the channels in `only`), recording
    each attempt as a Delivery (ok=False with the error when a gateway fails: the in-app copy
    is kept)."""
    rows = []
    for channel in only if only is not None else channels():
        for user in users:
            try:
                channel.send(alert, user)
                rows.append(Delivery(alert=alert, user=user, channel=channel.code, level=alert.level, sent_at=now))
            except Exception as exc:  # a gateway failure must not lose the in-app alert
                logger.warning("alert %s via %s to %s failed: %s", alert.pk, channel.code, user.pk, exc)
                rows.append(Delivery(alert=alert, user=user, channel=channel.code, level=alert.level, sent_at=now,
                                     ok=False, error=str(exc)[:300]))
    Delivery.objects.bulk_create(rows)
