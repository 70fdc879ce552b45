from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    name = "fangkong.leads"
    verbose_name = _("排查线索")
