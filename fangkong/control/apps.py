from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ControlConfig(AppConfig):
    name = "fangkong.control"
    verbose_name = _("重点人员管控")

    def ready(self):
        from .regimens.presets import load_presets

        # The preset regimens (control/presets/*.yaml): missing ones are created after every
        # migrate, existing rows are left as an admin may have edited them.
        post_migrate.connect(load_presets, sender=self, dispatch_uid="fangkong.control.load_presets")
