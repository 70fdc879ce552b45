from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class TestingConfig(AppConfig):
    name = "fangkong.testing"
    label = "testing"
    verbose_name = _("核酸检测")

    def ready(self):
        from .services.frequency import load_presets

        # The preset testing frequencies of key groups (testing/presets/frequency/*.yaml):
        # missing ones are created after every migrate, edited ones are left alone.
        post_migrate.connect(load_presets, sender=self, dispatch_uid="fangkong.testing.load_frequency_presets")
