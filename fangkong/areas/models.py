"""Risk areas (中高风险地区): a level, a scope given by division code and name, and the dates it
was in force. Reference data published from above, shared by every unit; the queries the
rest of the system asks of it are in `areas.services`."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class RiskLevel(models.TextChoices):
    LOW = "low", _("低风险")
    MEDIUM = "medium", _("中风险")
    HIGH = "high", _("高风险")


class ScopeLevel(models.TextChoices):
    PROVINCE = "province", _("省")
    CITY = "city", _("市")
    COUNTY = "county", _("县/区")
    STREET = "street", _("街道/乡镇")


# How many leading digits of a 12-digit division code name a scope of each level.
SCOPE_DIGITS = {"province": 2, "city": 4, "county": 6, "street": 9}


class RiskArea(models.Model):
    level = models.CharField(_("风险等级"), max_length=8, choices=RiskLevel.choices)
    scope = models.CharField(_("范围"), max_length=8, choices=ScopeLevel.choices)
    # The code's leading digits for the scope (2, 4, 6 or 9 digits), so that
    # "is this place inside the area" is a prefix match on the place's code.
    division_code = models.CharField(_("区划代码"), max_length=12, db_index=True)
    name = models.CharField(_("地区名称"), max_length=100, help_text=_("如：湖北省武汉市江夏区"))
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("解除日期"), null=True, blank=True, help_text=_("不填表示仍在生效"))
    local_cases = models.BooleanField(_("有本土病例报告"), default=True)
    source = models.CharField(_("依据"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("风险地区")
        verbose_name_plural = _("风险地区")
        ordering = ["-effective_from", "division_code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(effective_to__isnull=True) | models.Q(effective_to__gte=models.F("effective_from")),
                name="risk_area_ends_after_start",
            )
        ]

    def __str__(self):
        return f"{self.name}（{self.get_level_display()}）"
