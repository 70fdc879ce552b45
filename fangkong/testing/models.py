"""Nucleic-acid testing at scale (全员核酸): rounds, sampling points, pooled tubes and the samples
scanned into them, lab batches and results.

A person's sample goes into a tube (混管) opened at a sampling point; a tube holds up to its
round's pool size (1:10 by default, 1:5 in medium-risk areas, 1:1 for key persons under control).
The lab receives tubes in batches and reports one result per tube. A second, different result for
a tube never overwrites the first: every result is kept (`TubeResult`), the tube keeps the first
and is flagged as conflicting, and an alert is raised.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from fangkong.lib.versions import VersionedQuerySet
from fangkong.orgs.jurisdiction import JurisdictionQuerySet
from fangkong.orgs.models import Unit


class Target(models.TextChoices):
    ALL_RESIDENTS = "all_residents", _("全员")
    KEY_GROUPS = "key_groups", pgettext_lazy("testing", "重点人群")


class TestingRound(models.Model):
    """一轮核酸检测: its scope (units), dates, target population and pool sizes (rules as data:
    {"default": 10, "medium_risk": 5, "controlled": 1})."""

    name = models.CharField(_("名称"), max_length=100)
    owner_unit = models.ForeignKey(Unit, verbose_name=_("组织单位"), on_delete=models.PROTECT, related_name="+")
    unit_path = models.CharField(max_length=255, db_index=True, editable=False)
    scope = models.ManyToManyField(Unit, verbose_name=_("检测范围"), related_name="testing_rounds")
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    target = models.CharField(_("检测对象"), max_length=16, choices=Target.choices, default=Target.ALL_RESIDENTS)
    pool_sizes = models.JSONField(_("混采比例"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    history = HistoricalRecords()

    objects = JurisdictionQuerySet.as_manager()
    jurisdiction_path_field = "unit_path"

    class Meta:
        verbose_name = _("核酸检测轮次")
        verbose_name_plural = _("核酸检测轮次")
        ordering = ["-starts_on", "-id"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.unit_path = self.owner_unit.path
        super().save(*args, **kwargs)

    def pool_size(self, kind="default"):
        sizes = {"default": 10, "medium_risk": 5, "controlled": 1, **(self.pool_sizes or {})}
        return int(sizes.get(kind) or sizes["default"])


class SamplingPoint(models.Model):
    """A sampling point of a round (采样点): a unit of the site tree, its hours and staff."""

    round = models.ForeignKey(TestingRound, verbose_name=_("轮次"), on_delete=models.CASCADE, related_name="points")
    unit = models.ForeignKey(Unit, verbose_name=_("采样点"), on_delete=models.PROTECT, related_name="+")
    unit_path = models.CharField(max_length=255, db_index=True, editable=False)
    opens_at = models.TimeField(_("开始时间"), null=True, blank=True)
    closes_at = models.TimeField(_("结束时间"), null=True, blank=True)
    staff = models.CharField(_("采样人员"), max_length=200, blank=True)

    objects = JurisdictionQuerySet.as_manager()
    jurisdiction_path_field = "unit_path"

    class Meta:
        verbose_name = _("采样点")
        verbose_name_plural = _("采样点")
        constraints = [models.UniqueConstraint(fields=["round", "unit"], name="samplingpoint_round_unit")]

    def __str__(self):
        return self.unit.name

    def save(self, *args, **kwargs):
        self.unit_path = self.unit.path
        super().save(*args, **kwargs)


class TubeStatus(models.TextChoices):
    OPEN = "open", _("采样中")
    CLOSED = "closed", _("已封管")
    RECEIVED = "received", _("已接收")
    RESULTED = "resulted", _("已出结果")


class Result(models.TextChoices):
    NEGATIVE = "negative", _("阴性")
    POSITIVE = "positive", _("阳性")
    ABNORMAL = "abnormal", _("异常（可疑）")
    INVALID = "invalid", _("无效")


# The results whose tubes are chased (`services.chasing`); they have an index of their own.
CHASED_RESULTS = (Result.POSITIVE, Result.ABNORMAL)


class LabBatch(models.Model):
    """Tubes received by a lab together (送检批次)."""

    lab = models.ForeignKey(Unit, verbose_name=_("检测机构"), on_delete=models.PROTECT, related_name="+")
    unit_path = models.CharField(max_length=255, db_index=True, editable=False)
    received_at = models.DateTimeField(_("接收时间"))
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    tubes = models.PositiveIntegerField(_("管数"), default=0)

    objects = JurisdictionQuerySet.as_manager()
    jurisdiction_path_field = "unit_path"

    class Meta:
        verbose_name = _("送检批次")
        verbose_name_plural = _("送检批次")
        ordering = ["-received_at"]

    def save(self, *args, **kwargs):
        self.unit_path = self.lab.path
        super().save(*args, **kwargs)


class Tube(models.Model):
    # A day of whole-population testing opens a million tubes, and receipt and results update
    # each of them: every index is paid on each. So the indexes are those the tubes are read by —
    # barcode, batch, point, jurisdiction, the round's tubes by status, and the few positive or
    # abnormal ones — and the round, point and opener are not foreign-key constraints in the
    # database (checked row by row at commit, they cost about as much as writing the tubes):
    # tubes are only written by `sampling.open_tube` and `ingest`, which read the round and the
    # point in the same transaction; deletions cascade and protect through Django.
    barcode = models.CharField(_("试管条码"), max_length=40)
    round = models.ForeignKey(TestingRound, verbose_name=_("轮次"), on_delete=models.PROTECT, related_name="tubes",
                              db_index=False, db_constraint=False)
    point = models.ForeignKey(SamplingPoint, verbose_name=_("采样点"), on_delete=models.PROTECT, related_name="tubes",
                              db_constraint=False)
    unit_path = models.CharField(max_length=255, db_index=True, editable=False)  # the point's
    capacity = models.PositiveSmallIntegerField(_("混采人数上限"), default=10)
    size = models.PositiveSmallIntegerField(_("已采人数"), default=0)
    status = models.CharField(_("状态"), max_length=10, choices=TubeStatus.choices, default=TubeStatus.OPEN)
    opened_at = models.DateTimeField(_("开管时间"))
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", db_index=False, db_constraint=False)
    closed_at = models.DateTimeField(_("封管时间"), null=True, blank=True)
    batch = models.ForeignKey(LabBatch, verbose_name=_("送检批次"), null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="tube_set")
    received_at = models.DateTimeField(_("接收时间"), null=True, blank=True)
    # The first result reported; later different results are kept as TubeResult rows and flagged.
    result = models.CharField(_("检测结果"), max_length=10, choices=Result.choices, blank=True)
    result_at = models.DateTimeField(_("结果时间"), null=True, blank=True)
    conflict = models.BooleanField(_("结果冲突"), default=False)

    objects = JurisdictionQuerySet.as_manager()
    jurisdiction_path_field = "unit_path"

    class Meta:
        verbose_name = _("采样管")
        verbose_name_plural = _("采样管")
        ordering = ["-opened_at", "-id"]
        # A unique constraint, not unique=True: that would add a second (pattern) index on PostgreSQL.
        constraints = [models.UniqueConstraint(fields=["barcode"], name="tube_barcode_unique")]
        indexes = [models.Index(fields=["round", "status"], name="tube_round_status"),
                   models.Index(fields=["result"], condition=models.Q(result__in=CHASED_RESULTS),
                                name="tube_result_chased")]

    def __str__(self):
        return self.barcode

    def save(self, *args, **kwargs):
        self.unit_path = self.point.unit_path
        super().save(*args, **kwargs)


class Sample(models.Model):
    """One person's sample in one tube (a scan at the point)."""

    # A day's samples run into the millions, and every index and constraint is paid on each of
    # them. The foreign keys have no index of their own: the unique (tube, person) and the (person,
    # scanned_at) indexes below serve tube and person. A round's samples are most of the table
    # (reading them is a scan anyway), and a round is never deleted with samples (its tubes
    # protect it). Nor are the keys constraints in the database: PostgreSQL checks each one row by
    # row at commit, locking the referenced person and tube rows, which cost more than three times
    # the writing of the samples. Samples are only written by `sampling.scan` and `ingest`, which
    # read the tube, round and person they refer to in the same transaction, and deletions
    # cascade and protect through Django.
    tube = models.ForeignKey(Tube, verbose_name=_("采样管"), on_delete=models.CASCADE, related_name="samples",
                             db_index=False, db_constraint=False)
    round = models.ForeignKey(TestingRound, verbose_name=_("轮次"), on_delete=models.CASCADE, related_name="+",
                              db_index=False, db_constraint=False)
    person = models.ForeignKey("people.Person", verbose_name=_("受检人"), on_delete=models.PROTECT,
                               related_name="samples", db_index=False, db_constraint=False)
    unit_path = models.CharField(max_length=255, db_index=True, editable=False)  # the person's
    scanned_at = models.DateTimeField(_("采样时间"))
    scanned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", db_constraint=False)

    objects = JurisdictionQuerySet.as_manager()
    jurisdiction_path_field = "unit_path"

    class Meta:
        verbose_name = _("采样记录")
        verbose_name_plural = _("采样记录")
        constraints = [models.UniqueConstraint(fields=["tube", "person"], name="sample_tube_person")]
        # (person, scanned_at) also answers "was this person sampled in this round" (a person has
        # a sample or two a round); a (round, person) index would be a second one written at
        # random places for every sample.
        indexes = [models.Index(fields=["person", "scanned_at"], name="sample_person_time")]

    def save(self, *args, **kwargs):
        self.unit_path = self.person.unit_path
        super().save(*args, **kwargs)


class TubeResult(models.Model):
    """Every result reported for a tube, kept as reported (a second, different one is a conflict)."""

    tube = models.ForeignKey(Tube, verbose_name=_("采样管"), on_delete=models.CASCADE, related_name="results")
    result = models.CharField(_("检测结果"), max_length=10, choices=Result.choices)
    ct_values = models.JSONField(_("Ct值"), default=dict, blank=True)
    tested_at = models.DateTimeField(_("检测时间"))
    reported_at = models.DateTimeField(_("上报时间"))
    source = models.CharField(_("来源"), max_length=20, blank=True)  # import file name, or "api"
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    conflicting = models.BooleanField(_("与首次结果不一致"), default=False)

    class Meta:
        verbose_name = _("检测结果")
        verbose_name_plural = _("检测结果")
        ordering = ["tube", "reported_at", "id"]


class Chase(models.Model):
    """Chasing a positive or abnormal tube (即采即走即追): every member located within the deadline
    (default 2 hours from the result)."""

    tube = models.OneToOneField(Tube, verbose_name=_("采样管"), on_delete=models.CASCADE, related_name="chase")
    unit_path = models.CharField(max_length=255, db_index=True, editable=False)  # the point's
    result = models.CharField(_("检测结果"), max_length=10, choices=Result.choices)
    started_at = models.DateTimeField(_("开始追踪时间"))
    due_at = models.DateTimeField(_("追踪时限"))
    completed_at = models.DateTimeField(_("全部找到时间"), null=True, blank=True)

    objects = JurisdictionQuerySet.as_manager()
    jurisdiction_path_field = "unit_path"

    class Meta:
        verbose_name = _("阳性管追踪")
        verbose_name_plural = _("阳性管追踪")
        ordering = ["-started_at"]


class ChaseMember(models.Model):
    """A member of a chased tube: the lead raised in their unit, the single-tube retest ordered,
    and when they were located (lead verified or control case opened)."""

    # Members are written by chase_tubes, ten thousand in one statement that takes the chase, person
    # and lead from their tables: the database does not check the keys again at commit (a check
    # each, a third of a chase's time), and deletions cascade and protect through Django. The
    # chase is found through the (chase, person) constraint's index.
    chase = models.ForeignKey(Chase, on_delete=models.CASCADE, related_name="members", db_index=False,
                              db_constraint=False)
    person = models.ForeignKey("people.Person", verbose_name=_("人员"), on_delete=models.PROTECT, related_name="+",
                               db_constraint=False)
    unit_path = models.CharField(max_length=255, db_index=True, editable=False)  # the person's
    lead = models.ForeignKey("leads.Lead", verbose_name=_("线索"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", db_constraint=False)
    located_at = models.DateTimeField(_("找到时间"), null=True, blank=True)

    objects = JurisdictionQuerySet.as_manager()
    jurisdiction_path_field = "unit_path"

    class Meta:
        verbose_name = _("追踪对象")
        verbose_name_plural = _("追踪对象")
        constraints = [models.UniqueConstraint(fields=["chase", "person"], name="chasemember_chase_person")]


class RetestOrder(models.Model):
    """A single-tube retest (单采单检) ordered for a person, done when they are sampled again in a
    tube of capacity 1."""

    # Written by chase_tubes with the members, from the same rows: keys unchecked by the database,
    # as for members.
    person = models.ForeignKey("people.Person", verbose_name=_("人员"), on_delete=models.PROTECT, related_name="+",
                               db_constraint=False)
    unit_path = models.CharField(max_length=255, db_index=True, editable=False)
    reason_tube = models.ForeignKey(Tube, verbose_name=_("原混管"), null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="retest_orders", db_constraint=False)
    ordered_at = models.DateTimeField(_("下达时间"))
    sample = models.ForeignKey(Sample, verbose_name=_("复检采样"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+", db_constraint=False)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    objects = JurisdictionQuerySet.as_manager()
    jurisdiction_path_field = "unit_path"

    class Meta:
        verbose_name = _("单管复检")
        verbose_name_plural = _("单管复检")
        ordering = ["-ordered_at"]


class ExemptionReason(models.TextChoices):
    BEDRIDDEN = "bedridden", _("卧床（行动不便）")
    AWAY = "away", _("外出不在本地")
    TESTED_ELSEWHERE = "tested_elsewhere", _("已在外地检测")
    CONTROLLED = "controlled", _("集中隔离（由隔离点检测）")
    OTHER = "other", _("其他")


class Exemption(models.Model):
    """A person left out of the target of a round (应检尽检 but not here): bedridden, away, tested
    elsewhere. With no round it holds for every round whose dates overlap `starts_on` to
    `ends_on` (open-ended when `ends_on` is empty)."""

    person = models.ForeignKey("people.Person", verbose_name=_("人员"), on_delete=models.CASCADE,
                               related_name="testing_exemptions")
    unit_path = models.CharField(max_length=255, db_index=True, editable=False)  # the person's
    round = models.ForeignKey(TestingRound, verbose_name=_("轮次"), null=True, blank=True, on_delete=models.CASCADE,
                              related_name="exemptions")
    reason = models.CharField(_("原因"), max_length=20, choices=ExemptionReason.choices)
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
        verbose_name = _("免检登记")
        verbose_name_plural = _("免检登记")
        ordering = ["-starts_on", "-id"]
        indexes = [models.Index(fields=["round", "person"], name="exemption_round_person")]

    def save(self, *args, **kwargs):
        self.unit_path = self.person.unit_path
        super().save(*args, **kwargs)


class FrequencyRule(models.Model):
    """How often key groups are tested (定期核酸检测频次), as versioned data like the regimens.
    `groups` is a list of {"code", "label", "times", "days"}: at least `times` tests in any
    `days` days (high-risk posts 1 in 2 days, other staff 2 in 7, families 1 in 7 — 001:237;
    cold-chain staff 1 in 7 — 003:119). A rule with a unit holds in that unit's subtree; the
    deepest one in force wins over the wider ones."""

    code = models.CharField(_("规则编码"), max_length=40)
    version = models.PositiveIntegerField(_("版本"), default=1)
    name = models.CharField(_("名称"), max_length=100)
    unit = models.ForeignKey(Unit, verbose_name=_("适用单位"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    unit_path = models.CharField(max_length=255, blank=True, db_index=True, editable=False)
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("废止日期"), null=True, blank=True)
    groups = models.JSONField(_("人群与频次"), default=list)
    source = models.TextField(_("依据"), blank=True)
    is_preset = models.BooleanField(_("内置规则"), default=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    history = HistoricalRecords()

    objects = VersionedQuerySet.as_manager()

    class Meta:
        verbose_name = _("定期检测频次")
        verbose_name_plural = _("定期检测频次")
        ordering = ["code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="frequencyrule_code_version")]

    def __str__(self):
        return f"{self.name}（{self.code} v{self.version}）"

    def save(self, *args, **kwargs):
        self.unit_path = self.unit.path if self.unit_id else ""
        super().save(*args, **kwargs)


class GroupMember(models.Model):
    """A person in a key group tested on a schedule (重点人群): the group's code names a group of
    the frequency rules; `unit` is where they belong for it (the company, hospital, market)."""

    person = models.ForeignKey("people.Person", verbose_name=_("人员"), on_delete=models.CASCADE,
                               related_name="testing_groups")
    group = models.CharField(_("人群"), max_length=40, db_index=True)
    unit = models.ForeignKey(Unit, verbose_name=_("所在单位"), on_delete=models.PROTECT, related_name="+")
    unit_path = models.CharField(max_length=255, db_index=True, editable=False)
    since = models.DateField(_("起始日期"))
    until = models.DateField(_("截止日期"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["unit_path"])

    objects = JurisdictionQuerySet.as_manager()
    jurisdiction_path_field = "unit_path"

    class Meta:
        verbose_name = _("重点人群定期检测对象")
        verbose_name_plural = _("重点人群定期检测对象")
        ordering = ["group", "id"]
        constraints = [models.UniqueConstraint(fields=["person", "group", "unit", "since"],
                                               name="groupmember_person_group_unit_since")]

    def save(self, *args, **kwargs):
        self.unit_path = self.unit.path
        super().save(*args, **kwargs)
