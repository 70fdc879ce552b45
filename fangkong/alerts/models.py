"""One alert mechanism (预警提醒) for the whole system.

A rule (kind + settings as data) produces an `Alert` addressed to a unit and, optionally, to
named users. The alert sits in the inbox of the responsible users; if nobody acknowledges it
before `ack_due_at`, the worker escalates it to the parent unit (`level` + 1), and so on up
to the rule's `max_level`. Every delivery through a channel (in-app always; SMS/WeChat
adapters are pluggable) is recorded as a `Delivery`.

`origin_path` is the tree path of the unit where the alert was raised: jurisdiction filters on
it, so the origin's users and everyone above them see the alert wherever it has climbed to.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from fangkong.orgs.jurisdiction import JurisdictionQuerySet
from fangkong.orgs.models import Unit


class AlertKind(models.TextChoices):
    ABNORMAL_FOLLOW_UP = "abnormal_follow_up", _("健康监测异常")
    MISSED_SLOT = "missed_slot", _("漏报健康监测")
    LEAD_OVERDUE = "lead_overdue", _("线索处置超时")
    TEST_DUE = "test_due", _("核酸检测到期")
    TEST_OVERDUE = "test_overdue", _("核酸检测逾期")
    RELEASE_DUE = "release_due", _("管控期满提醒")
    SITE_OVER_CAPACITY = "site_over_capacity", _("隔离点超容")
    SITE_BELOW_RESERVE = "site_below_reserve", _("隔离房间储备不足")
    SUSPICIOUS_ENTRIES = "suspicious_entries", _("监测记录疑似代填")
    TRANSFER_PENDING = "transfer_pending", _("协查移交待接收")
    REPORT_MISSING = "report_missing", _("日报未报")
    POSITIVE_TUBE = "positive_tube", _("核酸混管阳性或异常")
    RESULT_CONFLICT = "result_conflict", _("检测结果冲突")
    CHASE_OVERDUE = "chase_overdue", _("阳性管人员追踪超时")
    OTHER = "other", _("其他")


class Severity(models.TextChoices):
    INFO = "info", _("提示")
    WARNING = "warning", _("预警")
    URGENT = "urgent", _("紧急")


class AlertRule(models.Model):
    """How alerts of one kind behave, optionally for one subtree and from a date (rules as
    data): the time to acknowledge before escalation, how far up they climb, and the kind's own
    parameters (e.g. {"temperature": "37.3"} for abnormal follow-up)."""

    kind = models.CharField(_("预警类型"), max_length=32, choices=AlertKind.choices)
    unit = models.ForeignKey(
        Unit, verbose_name=_("适用单位"), null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        help_text=_("不填表示全部单位；下级单位的规则优先"),
    )
    effective_from = models.DateField(_("生效日期"), null=True, blank=True)
    enabled = models.BooleanField(_("启用"), default=True)
    severity = models.CharField(_("级别"), max_length=8, choices=Severity.choices, default=Severity.WARNING)
    ack_minutes = models.PositiveIntegerField(_("确认时限（分钟）"), default=60)
    max_level = models.PositiveSmallIntegerField(_("最多上报层级"), default=2)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("预警规则")
        verbose_name_plural = _("预警规则")
        ordering = ["kind", "id"]

    def __str__(self):
        return self.get_kind_display()


# Open first, then unacknowledged first, then newest first.
INBOX_ORDER = (
    models.F("resolved_at").desc(nulls_first=True),
    models.F("acknowledged_at").desc(nulls_first=True),
    "-raised_at",
    "-id",
)


class AlertQuerySet(JurisdictionQuerySet):
    def open(self):
        return self.filter(resolved_at__isnull=True)

    def unacknowledged(self):
        return self.filter(acknowledged_at__isnull=True, resolved_at__isnull=True)

    def inbox(self, user):
        """The user's inbox: alerts delivered to them in the app, sitting now at a unit where
        they hold a role, or naming them as responsible; open first, then unacknowledged
        first, newest first."""
        if user is None or not user.is_authenticated:
            return self.none()
        mine = (
            models.Q(pk__in=Delivery.objects.filter(user=user, channel=IN_APP).values("alert_id"))
            | models.Q(unit__in=user.role_assignments.values("unit_id"))
            | models.Q(pk__in=Alert.recipients.through.objects.filter(user=user).values("alert_id"))
        )
        return self.filter(mine).order_by(*INBOX_ORDER)

    def visible_to(self, user):
        """What a user may open: their jurisdiction (by where the alert was raised) and their
        own inbox (an alert naming them from outside it)."""
        return self.filter(pk__in=self.model.objects.restrict(user).values("pk")) | self.filter(
            pk__in=self.model.objects.inbox(user).order_by().values("pk")
        )


IN_APP = "in_app"


class Alert(models.Model):
    kind = models.CharField(_("预警类型"), max_length=32, choices=AlertKind.choices, db_index=True)
    severity = models.CharField(_("级别"), max_length=8, choices=Severity.choices, default=Severity.WARNING)
    # Where it was raised, and where it sits now (the origin or an ancestor after escalation).
    origin_unit = models.ForeignKey(Unit, verbose_name=_("发生单位"), on_delete=models.PROTECT, related_name="+")
    origin_path = models.CharField(max_length=255, db_index=True, editable=False)
    unit = models.ForeignKey(Unit, verbose_name=_("当前责任单位"), on_delete=models.PROTECT, related_name="alerts")
    level = models.PositiveSmallIntegerField(_("上报层级"), default=0)
    recipients = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("责任人"), blank=True, related_name="named_alerts"
    )
    title = models.CharField(_("标题"), max_length=200)
    detail = models.TextField(_("详情"), blank=True)
    # One open alert per (kind, key): raising the same thing again does not duplicate it.
    key = models.CharField(_("去重键"), max_length=120)
    subject_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    raised_at = models.DateTimeField(_("发出时间"), db_index=True)
    ack_due_at = models.DateTimeField(_("确认时限"), null=True, blank=True, db_index=True)
    escalated_at = models.DateTimeField(_("上报时间"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("确认人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", db_index=False,  # shown, never searched by (users are deactivated, not deleted)
    )
    resolved_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("解除人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", db_index=False,
    )
    note = models.TextField(_("处理说明"), blank=True)

    objects = AlertQuerySet.as_manager()
    jurisdiction_path_field = "origin_path"

    class Meta:
        verbose_name = _("预警")
        verbose_name_plural = _("预警")
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "key"], condition=models.Q(resolved_at__isnull=True), name="one_open_alert_per_key"
            )
        ]
        indexes = [models.Index(fields=["unit", "acknowledged_at", "resolved_at"])]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.origin_path = self.origin_unit.path
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("alerts:detail", args=[self.pk])

    @property
    def is_open(self):
        return self.resolved_at is None

    def subject_url(self):
        """The page of what the alert is about, when that record has one."""
        try:
            subject = self.subject
        except Exception:  # the subject's model or row is gone
            return None
        url = getattr(subject, "get_absolute_url", None)
        return url() if callable(url) else None


class Delivery(models.Model):
    """One alert sent to one user through one channel."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(_("渠道"), max_length=32)
    level = models.PositiveSmallIntegerField(_("上报层级"), default=0)
    sent_at = models.DateTimeField(_("发送时间"))
    ok = models.BooleanField(_("成功"), default=True)
    error = models.CharField(_("错误"), max_length=300, blank=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("预警送达")
        verbose_name_plural = _("预警送达")
        ordering = ["-sent_at", "-id"]
        indexes = [models.Index(fields=["user", "channel", "read_at"])]


class AlertStep(models.Model):
    """Where an alert was sent at each level: raised at the responsible unit (level 0), then
    each escalation to the unit above. The trail on the alert's page; one row per level, which
    also keeps two workers from escalating the same alert twice."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="steps")
    level = models.PositiveSmallIntegerField(_("上报层级"))
    unit = models.ForeignKey(Unit, verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("预警流转")
        verbose_name_plural = _("预警流转")
        ordering = ["alert", "level"]
        constraints = [models.UniqueConstraint(fields=["alert", "level"], name="one_step_per_alert_level")]
