"""Door-to-door screening (入户摸排/敲门行动): campaigns, household visits with each member's
answers, and the people the answers mark for follow-up.

Visits and flags carry `unit_path`, a copy of the household's (or person's) unit path, so that
jurisdiction and coverage roll-ups are prefix matches on one indexed column (kept in step by
orgs.services.move_unit). A campaign's own `unit_path` is that of the unit that owns it.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from fangkong.orgs.jurisdiction import (
    JurisdictionQuerySet,
    ancestor_paths,
    jurisdiction_paths,
    path_filter,
)
from fangkong.orgs.models import Unit


class CampaignQuerySet(JurisdictionQuerySet):
    def restrict(self, user):
        """Campaigns the user takes part in: owned by a unit in the user's jurisdiction, or
        with a scope that reaches into it (a town's campaign is worked by its villages)."""
        paths = jurisdiction_paths(user)
        if not paths:
            return super().restrict(user)
        return self.filter(path_filter("unit_path", paths) | models.Q(pk__in=self._reaching(paths)))

    def reaching(self, paths):
        """Campaigns whose scope overlaps any of the subtrees at `paths`."""
        return self.filter(pk__in=self._reaching(paths))

    @staticmethod
    def _reaching(paths):
        # A scope unit overlaps a subtree when it lies inside it or above it.
        above = {a for path in paths for a in ancestor_paths(path, Unit.steplen)}
        return Campaign.units.through.objects.filter(
            models.Q(unit__path__in=above) | path_filter("unit__path", paths)
        ).values("campaign_id")

    def restrict_owned(self, user):
        """Campaigns the user may manage: owned by a unit in the user's jurisdiction."""
        return super().restrict(user)


class Campaign(models.Model):
    """入户摸排活动: a scope, dates, and the screening criteria as data."""

    name = models.CharField(_("活动名称"), max_length=100)
    owner_unit = models.ForeignKey(
        Unit, verbose_name=_("发起单位"), on_delete=models.PROTECT, related_name="owned_campaigns"
    )
    unit_path = models.CharField(max_length=255, db_index=True, editable=False)
    units = models.ManyToManyField(
        Unit, verbose_name=_("摸排范围"), related_name="campaigns", help_text=_("范围内全部下级单位的住户")
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"), null=True, blank=True, help_text=_("不填表示持续进行"))
    places_of_concern = models.TextField(
        _("关注地区"),
        blank=True,
        help_text=_("省、市、县名称或行政区划代码前缀，每行一个或用顿号分隔，如：湖北、武汉、4201"),
    )
    lookback_days = models.PositiveSmallIntegerField(
        _("追溯天数"), default=14, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    flag_travel = models.BooleanField(_("到过关注地区需跟进"), default=True)
    flag_case_contact = models.BooleanField(_("接触确诊或疑似病例需跟进"), default=True)
    flag_symptoms = models.BooleanField(_("发热或呼吸道等症状需跟进"), default=True)
    fever_threshold = models.DecimalField(
        _("发热体温（℃）"), max_digits=3, decimal_places=1, default=Decimal("37.3"),
        validators=[MinValueValidator(Decimal("36.0")), MaxValueValidator(Decimal("40.0"))],
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["unit_path"], m2m_fields=[units])

    objects = CampaignQuerySet.as_manager()
    jurisdiction_path_field = "unit_path"

    class Meta:
        verbose_name = _("入户摸排活动")
        verbose_name_plural = _("入户摸排活动")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
                name="campaign_ends_after_start",
            )
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.unit_path = self.owner_unit.path
        super().save(*args, **kwargs)


class Outcome(models.TextChoices):
    COMPLETED = "completed", _("已完成")
    NOBODY_HOME = "nobody_home", _("无人在家")
    UNREACHABLE = "unreachable", _("电话无法接通")


class HouseholdStatus(models.TextChoices):
    """A household's standing in a campaign, from its visits (see services.visits)."""

    NOT_VISITED = "not_visited", _("未走访")
    REVISIT = "revisit", _("待回访")
    VISITED = "visited", _("已走访")


class Visit(models.Model):
    """One visit (or call) to a household in a campaign. Any outcome but completed leaves
    the household awaiting a revisit (待回访) until a completed visit."""

    campaign = models.ForeignKey(Campaign, verbose_name=_("摸排活动"), on_delete=models.PROTECT, related_name="visits")
    household = models.ForeignKey(
        "people.Household", verbose_name=_("家庭户"), on_delete=models.PROTECT, related_name="screening_visits"
    )
    unit_path = models.CharField(max_length=255, db_index=True, editable=False)
    visited_at = models.DateTimeField(_("走访时间"))
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("走访人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(_("走访结果"), max_length=12, choices=Outcome.choices)
    note = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["unit_path"])

    objects = JurisdictionQuerySet.as_manager()
    jurisdiction_path_field = "unit_path"

    class Meta:
        verbose_name = _("入户走访")
        verbose_name_plural = _("入户走访")
        ordering = ["-visited_at", "-id"]
        indexes = [
            models.Index(fields=["campaign", "unit_path"]),
            models.Index(fields=["campaign", "household", "outcome"]),
        ]

    def __str__(self):
        return f"{self.household} · {self.get_outcome_display()}"

    def save(self, *args, **kwargs):
        self.unit_path = self.household.unit_path
        super().save(*args, **kwargs)

    @property
    def needs_revisit(self):
        return self.outcome != Outcome.COMPLETED


class Presence(models.TextChoices):
    PRESENT = "present", _("在家")
    PHONE = "phone", _("电话核实")
    ABSENT = "absent", _("不在家（未核实）")


# A person counts as verified (核实到人) when seen at home or reached by phone.
VERIFIED = (Presence.PRESENT, Presence.PHONE)


class Symptom(models.TextChoices):
    FEVER = "fever", _("发热")
    COUGH = "cough", _("咳嗽")
    SORE_THROAT = "sore_throat", _("咽痛")
    CHEST_TIGHTNESS = "chest_tightness", _("胸闷")
    SHORTNESS_OF_BREATH = "shortness_of_breath", _("气促")
    FATIGUE = "fatigue", _("乏力")
    DIARRHOEA = "diarrhoea", _("腹泻")
    LOSS_OF_TASTE = "loss_of_taste", _("嗅觉味觉减退")


class MemberAnswer(models.Model):
    """One household member in a visit: present or not, and the answers about the last
    `lookback_days` days (given by the member, or by the family for an absent member)."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="answers")
    person = models.ForeignKey("people.Person", verbose_name=_("成员"), on_delete=models.CASCADE, related_name="+")
    presence = models.CharField(_("在家情况"), max_length=8, choices=Presence.choices)
    places_visited = models.CharField(_("近期到过的地方"), max_length=300, blank=True)
    case_contact = models.BooleanField(_("接触过确诊或疑似病例"), default=False)
    symptoms = models.JSONField(_("症状"), default=list, blank=True)
    temperature = models.DecimalField(
        _("体温（℃）"), max_digits=3, decimal_places=1, null=True, blank=True,
        validators=[
            MinValueValidator(Decimal("34.0"), _("体温不应低于34℃，请核对。")),
            MaxValueValidator(Decimal("43.0"), _("体温不应高于43℃，请核对。")),
        ],
    )

    class Meta:
        verbose_name = _("成员情况")
        verbose_name_plural = _("成员情况")
        constraints = [models.UniqueConstraint(fields=["visit", "person"], name="unique_member_answer")]

    def __str__(self):
        return f"{self.person} · {self.get_presence_display()}"


class FollowUpReason(models.TextChoices):
    TRAVEL = "travel", _("到过关注地区")
    CASE_CONTACT = "case_contact", _("接触过确诊或疑似病例")
    FEVER = "fever", _("发热")
    SYMPTOMS = "symptoms", _("有症状")


class FollowUpFlag(models.Model):
    """A person whose answers met a campaign's criteria (需跟进排查), for key-person control
    to take up. One open flag per person and campaign; a later visit updates its reasons."""

    person = models.ForeignKey(
        "people.Person", verbose_name=_("人员"), on_delete=models.CASCADE, related_name="screening_flags"
    )
    campaign = models.ForeignKey(Campaign, verbose_name=_("摸排活动"), on_delete=models.CASCADE, related_name="flags")
    visit = models.ForeignKey(Visit, verbose_name=_("发现走访"), on_delete=models.CASCADE, related_name="flags")
    unit_path = models.CharField(max_length=255, db_index=True, editable=False)
    # [{"code": FollowUpReason, "detail": "武汉（关注地区：湖北）"}, …]
    reasons = models.JSONField(_("原因"), default=list)
    created_at = models.DateTimeField(_("发现时间"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    objects = JurisdictionQuerySet.as_manager()
    jurisdiction_path_field = "unit_path"

    class Meta:
        verbose_name = _("需跟进人员")
        verbose_name_plural = _("需跟进人员")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "campaign"], condition=models.Q(resolved_at__isnull=True),
                name="one_open_flag_per_person_and_campaign",
            )
        ]

    def __str__(self):
        return f"{self.person} · {self.reason_text()}"

    def save(self, *args, **kwargs):
        self.unit_path = self.person.unit_path
        super().save(*args, **kwargs)

    def reason_text(self):
        """到过关注地区：武汉（湖北）；发热：37.8℃"""
        labels = dict(FollowUpReason.choices)
        return "；".join(
            f"{labels.get(r['code'], r['code'])}：{r['detail']}" if r.get("detail") else str(labels.get(r["code"]))
            for r in self.reasons
        )
