"""Isolation sites (集中隔离点): the site is a unit of type `isolation_site`; here are its rooms,
who stays in which room (check-in/check-out) and the reserve target per 10,000 residents
(default 20 rooms, 003:142)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from fangkong.orgs.jurisdiction import JurisdictionQuerySet
from fangkong.orgs.models import Unit


class Room(models.Model):
    site = models.ForeignKey(Unit, verbose_name=_("隔离点"), on_delete=models.CASCADE, related_name="rooms")
    unit_path = models.CharField(max_length=255, db_index=True, editable=False)
    number = models.CharField(_("房间号"), max_length=20)
    beds = models.PositiveSmallIntegerField(_("床位"), default=1)
    is_active = models.BooleanField(_("可用"), default=True)
    history = HistoricalRecords(excluded_fields=["unit_path"])

    objects = JurisdictionQuerySet.as_manager()
    jurisdiction_path_field = "unit_path"

    class Meta:
        verbose_name = _("隔离房间")
        verbose_name_plural = _("隔离房间")
        ordering = ["site", "number"]
        constraints = [models.UniqueConstraint(fields=["site", "number"], name="unique_room_number")]

    def __str__(self):
        return f"{self.site.name} {self.number}"

    def save(self, *args, **kwargs):
        self.unit_path = self.site.path
        super().save(*args, **kwargs)


class Stay(models.Model):
    room = models.ForeignKey(Room, verbose_name=_("房间"), on_delete=models.PROTECT, related_name="stays")
    case = models.ForeignKey("control.ControlCase", verbose_name=_("管控对象"), on_delete=models.PROTECT,
                             related_name="stays")
    unit_path = models.CharField(max_length=255, db_index=True, editable=False)
    checked_in_at = models.DateTimeField(_("入住时间"))
    checked_out_at = models.DateTimeField(_("离开时间"), null=True, blank=True)
    checked_in_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    checked_out_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+")
    history = HistoricalRecords(excluded_fields=["unit_path"])

    objects = JurisdictionQuerySet.as_manager()
    jurisdiction_path_field = "unit_path"

    class Meta:
        verbose_name = _("入住记录")
        verbose_name_plural = _("入住记录")
        ordering = ["-checked_in_at"]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=models.Q(checked_out_at__isnull=True),
                                    name="one_open_stay_per_case")
        ]

    def __str__(self):
        return f"{self.case.person.name} · {self.room}"

    def save(self, *args, **kwargs):
        self.unit_path = self.room.site.path
        super().save(*args, **kwargs)


class ReserveTarget(models.Model):
    """Rooms to hold in reserve per 10,000 residents of the served area (003:142: 20; ×3 for Omicron)."""

    unit = models.ForeignKey(Unit, verbose_name=_("服务区域"), on_delete=models.CASCADE, related_name="+")
    rooms_per_10k = models.DecimalField(_("每万人房间数"), max_digits=6, decimal_places=1, default=20)
    effective_from = models.DateField(_("生效日期"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("隔离房间储备标准")
        verbose_name_plural = _("隔离房间储备标准")
        ordering = ["unit", "-effective_from"]

    def __str__(self):
        return f"{self.unit.name} {self.rooms_per_10k}"
