from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "fangkong.alerts"
    verbose_name = _("预警提醒")
