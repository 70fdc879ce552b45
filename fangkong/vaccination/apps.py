from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class VaccinationConfig(AppConfig):
    name = "fangkong.vaccination"
    label = "vaccination"
    verbose_name = _("疫苗接种")

    def ready(self):
        from .services.presets import load_presets

        # The preset vaccine products (vaccination/presets/products.yaml): missing ones are
        # created after every migrate, edited ones are left alone.
        post_migrate.connect(load_presets, sender=self, dispatch_uid="fangkong.vaccination.load_presets")
