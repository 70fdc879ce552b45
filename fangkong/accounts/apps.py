from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "fangkong.accounts"
    verbose_name = _("用户与角色")

    def ready(self):
        from .roles import ensure_roles

        # Permissions are made in each app's post_migrate; the preset roles need all of them,
        # so they are made after the last app's.
        last_app = [a for a in apps.get_app_configs() if a.models_module][-1]
        post_migrate.connect(ensure_roles, sender=last_app, dispatch_uid="fangkong.accounts.ensure_roles")
