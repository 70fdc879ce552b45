"""Users and their roles in units. A user may hold roles in several units; the
jurisdiction is the union of those subtrees (see orgs.jurisdiction)."""

from django.contrib.auth.models import AbstractUser, Permission
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from fangkong.orgs.jurisdiction import JurisdictionQuerySet

# Whether a role sees ID and phone numbers unmasked is this permission.
VIEW_IDENTITY = "people.view_identity"


class User(AbstractUser):
    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self):
        return self.display_name or self.username

    def sees_identity(self):
        """May this user see ID and phone numbers unmasked?"""
        return self.has_perm(VIEW_IDENTITY)

    def units(self):
        from fangkong.orgs.models import Unit

        return Unit.objects.filter(role_assignments__user=self).distinct()


class Role(models.Model):
    """A role (指挥长、统计员、网格员…) is a named set of permissions, held in a unit."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    permissions = models.ManyToManyField(Permission, verbose_name=_("权限"), blank=True)

    class Meta:
        verbose_name = _("角色")
        verbose_name_plural = _("角色")

    def __str__(self):
        return self.name


class RoleAssignment(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.ForeignKey(Role, verbose_name=_("角色"), on_delete=models.PROTECT, related_name="assignments")
    unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("单位"), on_delete=models.CASCADE, related_name="role_assignments"
    )
    history = HistoricalRecords()

    objects = JurisdictionQuerySet.as_manager()
    jurisdiction_path_field = "unit__path"

    class Meta:
        verbose_name = _("角色任职")
        verbose_name_plural = _("角色任职")
        constraints = [models.UniqueConstraint(fields=["user", "role", "unit"], name="unique_role_assignment")]

    def __str__(self):
        return f"{self.user} · {self.role} · {self.unit}"
