from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SitesConfig(AppConfig):
    name = "fangkong.sites"
    verbose_name = _("集中隔离点")
