"""COVID-19 vaccination (新冠疫苗接种): the products and how many doses make their full course,
the doses each person received (imported from vaccination lists), and the people who should
not be vaccinated for now (禁忌症), so that coverage by age cohort, the share boosted, the
ranking of units (003:141) and the lists of eligible people not yet vaccinated can be counted.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from fangkong.orgs.jurisdiction import JurisdictionQuerySet


class Product(models.Model):
    """A vaccine product and its full course (全程): inactivated vaccines take 2 doses, the
    recombinant protein vaccine 3, the adenovirus-vector vaccine 1. A dose beyond the full
    course is a booster (加强针)."""

    code = models.CharField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("疫苗名称"), max_length=100)
    manufacturer = models.CharField(_("生产企业"), max_length=100, blank=True)
    full_course_doses = models.PositiveSmallIntegerField(_("全程剂次"), default=2)
    aliases = models.JSONField(_("别名"), default=list, blank=True)  # as vaccination lists spell it
    is_preset = models.BooleanField(_("内置"), default=False)

    class Meta:
        verbose_name = _("疫苗产品")
        verbose_name_plural = _("疫苗产品")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Dose(models.Model):
    """One dose a person received: product, dose number (剂次), date and vaccination site."""

    person = models.ForeignKey("people.Person", verbose_name=_("受种者"), on_delete=models.CASCADE,
                               related_name="vaccine_doses")
    unit_path = models.CharField(max_length=255, db_index=True, editable=False)  # the person's
    product = models.ForeignKey(Product, verbose_name=_("疫苗"), on_delete=models.PROTECT, related_name="doses")
    dose_number = models.PositiveSmallIntegerField(_("剂次"))
    given_on = models.DateField(_("接种日期"))
    site = models.CharField(_("接种单位"), max_length=100, blank=True)
    batch_number = models.CharField(_("疫苗批号"), max_length=40, blank=True)
    import_batch = models.ForeignKey("people.ImportBatch", verbose_name=_("导入批次"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = JurisdictionQuerySet.as_manager()
    jurisdiction_path_field = "unit_path"

    class Meta:
        verbose_name = _("接种记录")
        verbose_name_plural = _("接种记录")
        ordering = ["person", "dose_number"]
        constraints = [models.UniqueConstraint(fields=["person", "dose_number"], name="dose_person_number")]
        indexes = [models.Index(fields=["unit_path", "given_on"], name="dose_path_date")]

    def save(self, *args, **kwargs):
        self.unit_path = self.person.unit_path
        super().save(*args, **kwargs)


class DeferralReason(models.TextChoices):
    CONTRAINDICATION = "contraindication", _("禁忌症")
    ILLNESS = "illness", _("急性疾病、慢性病急性发作期")
    PREGNANT = "pregnant", _("妊娠期")
    OTHER = "other", _("其他")


class Deferral(models.Model):
    """A person who should not be vaccinated for now (暂缓接种), so not on the eligible list."""

    person = models.ForeignKey("people.Person", verbose_name=_("人员"), on_delete=models.CASCADE,
                               related_name="vaccine_deferrals")
    unit_path = models.CharField(max_length=255, db_index=True, editable=False)
    reason = models.CharField(_("原因"), max_length=20, choices=DeferralReason.choices)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    starts_on = models.DateField(_("起始日期"))
    ends_on = models.DateField(_("截止日期"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["unit_path"])

    objects = JurisdictionQuerySet.as_manager()
    jurisdiction_path_field = "unit_path"

    class Meta:
        verbose_name = _("暂缓接种")
        verbose_name_plural = _("暂缓接种")
        ordering = ["-starts_on", "-id"]

    def save(self, *args, **kwargs):
        self.unit_path = self.person.unit_path
        super().save(*args, **kwargs)
