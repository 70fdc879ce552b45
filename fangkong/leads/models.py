"""Leads (排查线索): somebody who may need control, from any source, routed to the unit of the
person's address, with deadlines to verify and dispose of it (rules as data in `LeadPolicy`)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from fangkong.orgs.jurisdiction import JurisdictionQuerySet
from fangkong.orgs.models import Unit
from fangkong.people.models import IDType


class LeadSource(models.TextChoices):
    PUSH = "push", _("大数据推送")
    ASSIST = "assist", _("外地协查函")
    HEALTH_CODE = "health_code", _("健康码预警")
    DOOR_TO_DOOR = "door_to_door", _("入户摸排")
    SELF_DECLARATION = "self_declaration", _("主动申报")
    TIP_OFF = "tip_off", _("群众举报")
    CHECKPOINT = "checkpoint", _("卡口发现")
    CLINIC = "clinic", _("诊所/发热门诊报告")
    PHARMACY = "pharmacy", _("药店购药登记")
    TESTING = "testing", _("核酸检测")
    OTHER = "other", _("其他")


class LeadStatus(models.TextChoices):
    RECEIVED = "received", _("待核实")
    VERIFIED = "verified", _("已核实待处置")
    DISPOSED = "disposed", _("已处置")


class LeadOutcome(models.TextChoices):
    CASE_OPENED = "case_opened", _("已落实管控")
    NOT_FOUND = "not_found", _("查无此人")
    NOT_IN_SCOPE = "not_in_scope", _("不属于管控范围")
    DUPLICATE = "duplicate", _("重复线索")
    HANDED_OVER = "handed_over", _("已转交其他地区")


class LeadPolicy(models.Model):
    """Deadlines for leads (defaults: verified within 2 hours, 004:18; disposed the same day,
    001:231), optionally for one subtree and one source, from a date."""

    unit = models.ForeignKey(Unit, verbose_name=_("适用单位"), null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+", help_text=_("不填表示全部单位"))
    source = models.CharField(_("线索来源"), max_length=20, choices=LeadSource.choices, blank=True,
                              help_text=_("不填表示全部来源"))
    effective_from = models.DateField(_("生效日期"), null=True, blank=True)
    verify_minutes = models.PositiveIntegerField(_("核实时限（分钟）"), default=120)
    dispose_same_day = models.BooleanField(_("当日处置完毕"), default=True)
    dispose_minutes = models.PositiveIntegerField(
        _("处置时限（分钟）"), null=True, blank=True, help_text=_("不选“当日处置”时使用")
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("线索处置时限")
        verbose_name_plural = _("线索处置时限")


class LeadBatch(models.Model):
    """One imported list (大数据推送名单、协查函)."""

    source = models.CharField(_("线索来源"), max_length=20, choices=LeadSource.choices)
    unit = models.ForeignKey(Unit, verbose_name=_("接收单位"), on_delete=models.PROTECT, related_name="+")
    unit_path = models.CharField(max_length=255, db_index=True, editable=False)
    file_name = models.CharField(_("文件名"), max_length=200)
    reference = models.CharField(_("文号/批次"), max_length=100, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(_("导入时间"), auto_now_add=True)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)

    objects = JurisdictionQuerySet.as_manager()
    jurisdiction_path_field = "unit_path"

    class Meta:
        verbose_name = _("线索导入批次")
        verbose_name_plural = _("线索导入批次")
        ordering = ["-uploaded_at"]

    def save(self, *args, **kwargs):
        self.unit_path = self.unit.path
        super().save(*args, **kwargs)


class Lead(models.Model):
    source = models.CharField(_("线索来源"), max_length=20, choices=LeadSource.choices)
    batch = models.ForeignKey(LeadBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads")
    unit = models.ForeignKey(Unit, verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="leads")
    unit_path = models.CharField(max_length=255, db_index=True, editable=False)
    person = models.ForeignKey(
        "people.Person", verbose_name=_("人员"), null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    name = models.CharField(_("姓名"), max_length=50)
    id_type = models.CharField(_("证件类型"), max_length=10, choices=IDType.choices, default=IDType.RESIDENT)
    # Looked up by equality only (the same person's lead in a unit): a plain index, without the
    # pattern copy `db_index` adds.
    id_number = models.CharField(_("证件号码"), max_length=40, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    address = models.CharField(_("现住址"), max_length=200, blank=True)
    origin = models.CharField(_("来自地区"), max_length=100, blank=True)
    origin_division_code = models.CharField(_("来自地区代码"), max_length=12, blank=True)
    route = models.TextField(_("行程轨迹"), blank=True)
    departed_on = models.DateField(_("离开风险地区日期"), null=True, blank=True)
    arrived_on = models.DateField(_("抵达日期"), null=True, blank=True)
    last_exposure_on = models.DateField(_("末次暴露日期"), null=True, blank=True)
    category = models.CharField(_("建议管控类别"), max_length=32, blank=True)
    health = models.JSONField(_("健康状况"), default=dict, blank=True)  # {"temperature": "36.5", "symptoms": [...]}
    reason = models.TextField(_("线索内容"), blank=True)
    reported_by = models.CharField(_("报告人/来源单位"), max_length=100, blank=True)
    payload = models.JSONField(default=dict, blank=True)  # the original row or form, as received

    # No index of its own: the (status, due) indexes below serve status queries too. Leads come by
    # the ten thousand when positive tubes are chased, and every index is paid on each.
    status = models.CharField(_("状态"), max_length=10, choices=LeadStatus.choices, default=LeadStatus.RECEIVED)
    received_at = models.DateTimeField(_("接收时间"), db_index=True)
    verify_due_at = models.DateTimeField(_("核实时限"), null=True, blank=True)
    dispose_due_at = models.DateTimeField(_("处置时限"), null=True, blank=True)
    verified_at = models.DateTimeField(_("核实时间"), null=True, blank=True)
    # Who verified and disposed of a lead are shown, never searched by: no index (users are
    # deactivated, not deleted).
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", db_index=False)
    disposed_at = models.DateTimeField(_("处置时间"), null=True, blank=True)
    disposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", db_index=False)
    outcome = models.CharField(_("处置结果"), max_length=16, choices=LeadOutcome.choices, blank=True)
    outcome_note = models.TextField(_("处置说明"), blank=True)
    handed_to = models.CharField(_("转交地区/单位"), max_length=100, blank=True)
    # The history is read one lead at a time (by id); the lead's query indexes are not copied to it.
    history = HistoricalRecords(excluded_fields=["unit_path", "payload"],
                                no_db_index=["batch", "unit", "person", "id_number", "status", "received_at",
                                             "verified_by", "disposed_by"])

    objects = JurisdictionQuerySet.as_manager()
    jurisdiction_path_field = "unit_path"

    class Meta:
        verbose_name = _("排查线索")
        verbose_name_plural = _("排查线索")
        ordering = ["-received_at", "-id"]
        permissions = [("dispose_lead", _("核实处置线索"))]
        indexes = [models.Index(fields=["status", "verify_due_at"]), models.Index(fields=["status", "dispose_due_at"]),
                   models.Index(fields=["id_number"], name="lead_id_number")]

    def __str__(self):
        return f"{self.name} · {self.get_source_display()}"

    def save(self, *args, **kwargs):
        self.unit_path = self.unit.path
        super().save(*args, **kwargs)
