from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission


class RoleBackend(ModelBackend):
    """Django's model backend, plus the permissions of the roles a user holds in units."""

    def _get_role_permissions(self, user_obj):
        return Permission.objects.filter(role__assignments__user=user_obj)

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_role_perm_cache"):
            perms = self._get_role_permissions(user_obj).values_list("content_type__app_label", "codename")
            user_obj._role_perm_cache = {f"{app}.{name}" for app, name in perms}
        return {*super().get_all_permissions(user_obj, obj), *user_obj._role_perm_cache}
