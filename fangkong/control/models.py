"""Key-person control (重点人员管控): regimens as versioned data, control cases (一人一档) with
their computed plan, the responsible team, follow-up slots and entries (一天两测一报), the
team's daily sign-off and hand-overs between areas (协查).

The plan is computed by `control.regimens.engine` from the regimen rule of the case's
category and stored on the case (phases, tests, slots as rows) so that a later regimen never
changes a past case silently; `control.services.regimen_change` previews and applies a new
version explicitly.
"""

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from fangkong.orgs.jurisdiction import JurisdictionQuerySet, jurisdiction_paths, path_filter
from fangkong.orgs.models import Unit


class Category(models.TextChoices):
    INBOUND = "inbound", _("入境人员")
    CLOSE_CONTACT = "close_contact", _("密切接触者")
    SECONDARY_CONTACT = "secondary_contact", _("次密切接触者")
    SPACETIME_COMPANION = "spacetime_companion", _("时空伴随者")
    DISCHARGED_CASE = "discharged_case", _("出院后14天内病例")
    POST_ISOLATION_CONTACT = "post_isolation_contact", _("解除隔离后7天内的密接")
    HIGH_RISK_AREA = "high_risk_area", _("高风险地区返乡人员")
    MEDIUM_RISK_AREA = "medium_risk_area", _("中风险地区返乡人员")
    LOW_RISK_AREA = "low_risk_area", _("低风险地区返乡人员")
    HIGH_RISK_POST = "high_risk_post", _("高风险岗位人员")
    LOCAL_CASE_PROVINCE = "local_case_province", _("有本土病例省份返乡人员")


class Measure(models.TextChoices):
    CENTRALIZED_ISOLATION = "centralized_isolation", _("集中隔离医学观察")
    HOME_ISOLATION = "home_isolation", _("居家隔离医学观察")
    HOME_HEALTH_MONITORING = "home_health_monitoring", _("居家健康监测")
    DAILY_HEALTH_MONITORING = "daily_health_monitoring", _("日常健康监测")


class Anchor(models.TextChoices):
    LAST_EXPOSURE = "last_exposure", _("末次暴露")
    DEPARTURE = "departure", _("离开风险地区")
    ARRIVAL = "arrival", _("抵达")
    DISCHARGE = "discharge", _("出院")
    ISOLATION_RELEASE = "isolation_release", _("解除隔离")


class RegimenVersion(models.Model):
    """管控方案: one version of a regimen, in force from `effective_from` (to `effective_to`),
    optionally only under one unit. `rules` maps a category code to its rule, in the shape
    `control.regimens.schema` validates and `control.regimens.engine` computes from."""

    code = models.SlugField(_("方案编码"), max_length=40, unique=True)
    name = models.CharField(_("方案名称"), max_length=100)
    issuer = models.CharField(_("发布机关"), max_length=100, blank=True)
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("废止日期"), null=True, blank=True)
    unit = models.ForeignKey(Unit, verbose_name=_("适用单位"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+", help_text=_("不填表示全部地区"))
    source = models.TextField(_("依据原文"), blank=True)
    rules = models.JSONField(_("各类人员管控规则"), default=dict)
    is_preset = models.BooleanField(_("内置方案"), default=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("管控方案")
        verbose_name_plural = _("管控方案")
        ordering = ["-effective_from", "code"]

    def __str__(self):
        return f"{self.name}（{self.code}）"


class CaseStatus(models.TextChoices):
    PENDING = "pending", _("待落实")
    UNDER_CONTROL = "under_control", _("管控中")
    RELEASED = "released", _("已解除")
    TRANSFERRED_OUT = "transferred_out", _("已转出")
    HOSPITAL = "hospital", _("已转诊")
    CONVERTED = "converted", _("已转为病例")
    LOST = "lost", _("失联")


ACTIVE_STATUSES = (CaseStatus.PENDING, CaseStatus.UNDER_CONTROL)


class PlaceKind(models.TextChoices):
    HOME = "home", _("居家")
    SITE = "site", _("集中隔离点")


class ControlCaseQuerySet(JurisdictionQuerySet):
    def restrict(self, user):
        """Cases of the user's jurisdiction; cases staying at an isolation site in it (the
        site's staff look after them); and cases the user's units have handed to another unit
        that has not yet accepted them (the sender keeps sight of them until then)."""
        paths = jurisdiction_paths(user)
        if not paths:
            return super().restrict(user)
        pending = CaseTransfer.objects.filter(
            path_filter("from_unit__path", paths), accepted_at__isnull=True, declined_at__isnull=True
        ).values("case_id")
        return self.filter(
            path_filter("unit_path", paths) | path_filter("site__path", paths) | models.Q(pk__in=pending)
        )

    def active(self):
        return self.filter(status__in=ACTIVE_STATUSES)


def new_token():
    return secrets.token_urlsafe(32)


class ControlCase(models.Model):
    person = models.ForeignKey("people.Person", verbose_name=_("人员"), on_delete=models.PROTECT,
                               related_name="control_cases")
    unit = models.ForeignKey(Unit, verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="control_cases")
    unit_path = models.CharField(max_length=255, db_index=True, editable=False)
    lead = models.ForeignKey("leads.Lead", verbose_name=_("来源线索"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="cases")
    category = models.CharField(_("管控类别"), max_length=32, choices=Category.choices, db_index=True)
    regimen = models.ForeignKey(RegimenVersion, verbose_name=_("管控方案"), on_delete=models.PROTECT,
                                related_name="cases")
    anchor_date = models.DateField(_("起算日期"))
    arrival_date = models.DateField(_("抵达日期"), null=True, blank=True)
    # The rule and the plan as computed when the case was opened or last re-planned.
    rule = models.JSONField(_("适用规则"), default=dict)
    status = models.CharField(_("状态"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.PENDING,
                              db_index=True)
    current_measure = models.CharField(_("当前措施"), max_length=32, choices=Measure.choices, blank=True,
                                       db_index=True)
    release_on = models.DateField(_("解除日期"), null=True, blank=True, db_index=True)
    place = models.CharField(_("管控地点"), max_length=8, choices=PlaceKind.choices, default=PlaceKind.HOME)
    site = models.ForeignKey(Unit, verbose_name=_("隔离点"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="site_cases")
    room = models.ForeignKey("sites.Room", verbose_name=_("房间"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="cases")
    opened_at = models.DateTimeField(_("建档时间"))
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    closed_note = models.TextField(_("结案说明"), blank=True)
    self_report_token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    note = models.TextField(_("备注"), blank=True)
    history = HistoricalRecords(excluded_fields=["unit_path", "self_report_token"])

    objects = ControlCaseQuerySet.as_manager()
    jurisdiction_path_field = "unit_path"

    class Meta:
        verbose_name = _("管控对象")
        verbose_name_plural = _("管控对象")
        ordering = ["-opened_at", "-id"]
        permissions = [("release_controlcase", _("解除管控")), ("change_regimenversion_cases", _("按新方案调整管控"))]
        indexes = [models.Index(fields=["status", "unit_path"])]

    def __str__(self):
        return f"{self.person.name} · {self.get_category_display()}"

    def save(self, *args, **kwargs):
        self.unit_path = self.unit.path
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("control:case_detail", args=[self.pk])


class CasePhase(models.Model):
    case = models.ForeignKey(ControlCase, on_delete=models.CASCADE, related_name="phases")
    index = models.PositiveSmallIntegerField()
    measure = models.CharField(_("措施"), max_length=32, choices=Measure.choices)
    first_day = models.DateField(_("开始日期"))
    last_day = models.DateField(_("结束日期"))
    planned_last_day = models.DateField(_("原定结束日期"))

    class Meta:
        ordering = ["case", "index"]
        constraints = [models.UniqueConstraint(fields=["case", "index"], name="unique_case_phase")]


class PhaseChange(models.Model):
    """Extending or shortening a phase (延长/缩短), with the reason; never silent."""

    phase = models.ForeignKey(CasePhase, on_delete=models.CASCADE, related_name="changes")
    old_last_day = models.DateField(_("原结束日期"))
    new_last_day = models.DateField(_("新结束日期"))
    reason = models.TextField(_("原因"))
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField(_("调整时间"))

    class Meta:
        ordering = ["-changed_at"]


class TestWho(models.TextChoices):
    PERSON = "person", _("本人")
    CO_RESIDENTS = "co_residents", _("共同居住人")


class TestStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("待检测")
    DONE = "done", _("已检测")
    MISSED = "missed", _("逾期未检")
    CANCELLED = "cancelled", _("已取消")


class TestResult(models.TextChoices):
    PENDING = "pending", _("待出结果")
    NEGATIVE = "negative", _("阴性")
    POSITIVE = "positive", _("阳性")


# Not test classes, whatever pytest thinks of their names.
TestWho.__test__ = TestStatus.__test__ = TestResult.__test__ = False


class CaseTest(models.Model):
    case = models.ForeignKey(ControlCase, on_delete=models.CASCADE, related_name="tests")
    unit_path = models.CharField(max_length=255, db_index=True, editable=False)
    due_on = models.DateField(_("检测日期"), db_index=True)
    who = models.CharField(_("对象"), max_length=16, choices=TestWho.choices, default=TestWho.PERSON)
    label = models.CharField(_("说明"), max_length=60, blank=True)  # e.g. 居家健康监测第2天
    status = models.CharField(_("状态"), max_length=10, choices=TestStatus.choices, default=TestStatus.SCHEDULED)
    result = models.CharField(_("结果"), max_length=10, choices=TestResult.choices, blank=True)
    done_at = models.DateTimeField(_("采样时间"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    objects = JurisdictionQuerySet.as_manager()
    jurisdiction_path_field = "unit_path"

    class Meta:
        ordering = ["case", "due_on", "id"]
        indexes = [models.Index(fields=["status", "due_on"])]

    def save(self, *args, **kwargs):
        self.unit_path = self.case.unit_path
        super().save(*args, **kwargs)


class TeamMember(models.Model):
    """One named person of the responsible team (三包一/五包一)."""

    case = models.ForeignKey(ControlCase, on_delete=models.CASCADE, related_name="team")
    role = models.CharField(_("职责"), max_length=30)  # e.g. 镇干部、村干部、医生、民警、网格员
    name = models.CharField(_("姓名"), max_length=50)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="control_teams")

    class Meta:
        ordering = ["case", "id"]


class CaseTransfer(models.Model):
    """协查移交: a case handed to another unit (or outside the system's area), which must accept it."""

    case = models.ForeignKey(ControlCase, on_delete=models.CASCADE, related_name="transfers")
    from_unit = models.ForeignKey(Unit, verbose_name=_("移交单位"), on_delete=models.PROTECT, related_name="+")
    to_unit = models.ForeignKey(Unit, verbose_name=_("接收单位"), null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    to_area = models.CharField(_("接收地区（外地）"), max_length=100, blank=True)
    reason = models.TextField(_("移交原因"))
    requested_at = models.DateTimeField(_("移交时间"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    accepted_at = models.DateTimeField(_("接收时间"), null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    declined_at = models.DateTimeField(_("退回时间"), null=True, blank=True)
    decline_reason = models.TextField(_("退回原因"), blank=True)

    class Meta:
        ordering = ["-requested_at"]


class SlotStatus(models.TextChoices):
    OPEN = "open", _("待监测")
    DONE = "done", _("已监测")
    MISSED = "missed", _("漏报")


class FollowUpSlot(models.Model):
    """One follow-up window of one day (defaults 08:00–10:00 and 16:00–18:00)."""

    case = models.ForeignKey(ControlCase, on_delete=models.CASCADE, related_name="slots")
    unit_path = models.CharField(max_length=255, editable=False)
    day = models.DateField(_("日期"))
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("截止时间"))
    status = models.CharField(_("状态"), max_length=8, choices=SlotStatus.choices, default=SlotStatus.OPEN)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)

    objects = JurisdictionQuerySet.as_manager()
    jurisdiction_path_field = "unit_path"

    class Meta:
        ordering = ["case", "starts_at"]
        indexes = [
            models.Index(fields=["status", "ends_at"]),
            models.Index(fields=["case", "day"]),
            models.Index(fields=["unit_path", "day"]),
        ]

    def save(self, *args, **kwargs):
        if not self.unit_path:
            self.unit_path = self.case.unit_path
        super().save(*args, **kwargs)


class Method(models.TextChoices):
    VISIT = "visit", _("上门")
    PHONE = "phone", _("电话")
    SELF_REPORT = "self_report", _("本人填报")


class FollowUpSymptom(models.TextChoices):
    FEVER = "fever", _("发热")
    COUGH = "cough", _("咳嗽")
    CHEST_TIGHTNESS = "chest_tightness", _("胸闷")
    FATIGUE = "fatigue", _("乏力")
    DRY_COUGH = "dry_cough", _("干咳")
    SORE_THROAT = "sore_throat", _("咽痛")
    LOSS_OF_TASTE_OR_SMELL = "loss_of_taste_or_smell", _("嗅觉味觉减退")


class FollowUpEntry(models.Model):
    case = models.ForeignKey(ControlCase, on_delete=models.CASCADE, related_name="entries")
    slot = models.ForeignKey(FollowUpSlot, null=True, blank=True, on_delete=models.SET_NULL, related_name="entries")
    unit_path = models.CharField(max_length=255, editable=False)
    recorded_at = models.DateTimeField(_("监测时间"))
    temperature = models.DecimalField(
        _("体温（℃）"), max_digits=3, decimal_places=1,
        validators=[MinValueValidator(34), MaxValueValidator(43)],
    )
    symptoms = models.JSONField(_("症状"), default=list, blank=True)
    method = models.CharField(_("方式"), max_length=12, choices=Method.choices)
    recorder = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("记录人"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    photo = models.FileField(_("照片"), upload_to="followup/%Y/%m/%d/", blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    abnormal = models.BooleanField(_("异常"), default=False)
    suspicious = models.BooleanField(_("疑似代填"), default=False)

    objects = JurisdictionQuerySet.as_manager()
    jurisdiction_path_field = "unit_path"

    class Meta:
        verbose_name = _("健康监测记录")
        verbose_name_plural = _("健康监测记录")
        ordering = ["-recorded_at", "-id"]
        indexes = [
            models.Index(fields=["case", "recorded_at"]),
            models.Index(fields=["unit_path", "recorded_at"]),
            # The line lists' "symptomatic in the last 24 hours": abnormal entries are few.
            models.Index(fields=["recorded_at", "unit_path"], condition=models.Q(abnormal=True),
                         name="followupentry_abnormal_idx"),
        ]

    def save(self, *args, **kwargs):
        if not self.unit_path:
            self.unit_path = self.case.unit_path
        super().save(*args, **kwargs)


class SignOff(models.Model):
    """The team's daily signature on the control sheet with a work photo (签字确认, 001:237)."""

    case = models.ForeignKey(ControlCase, on_delete=models.CASCADE, related_name="sign_offs")
    day = models.DateField(_("日期"))
    member = models.ForeignKey(TeamMember, verbose_name=_("签字人"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    signed_at = models.DateTimeField(_("签字时间"))
    photo = models.FileField(_("工作照"), upload_to="signoff/%Y/%m/%d/", blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["case", "day"]
        constraints = [models.UniqueConstraint(fields=["case", "day", "member"], name="one_signoff_per_member_day")]
