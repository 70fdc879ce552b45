from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ControlConfig(AppConfig):
    name = "fangkong.control"
    verbose_name = _("重点人员管控")
