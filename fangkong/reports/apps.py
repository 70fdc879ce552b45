from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "fangkong.reports"
    verbose_name = _("日报与汇报")

    def ready(self):
        from .services.presets import load_presets

        # The preset report forms (reports/presets/*.yaml) and the built-in situation-report
        # templates: missing ones are created after every migrate, edited ones are left alone.
        post_migrate.connect(load_presets, sender=self, dispatch_uid="fangkong.reports.load_presets")
