"""People and households (一人一档).

Hot tables carry `unit_path`, a copy of their residence unit's tree path, so that
jurisdiction is one indexed prefix match instead of a join (kept in step by
orgs.services.move_unit and by save()).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from fangkong.lib.masking import mask_id_number, mask_phone
from fangkong.lib.pinyin import initials
from fangkong.orgs.jurisdiction import JurisdictionQuerySet


def with_id_number(numbers):
    """The filter for persons holding an ID number of `numbers` (one string, or several), written
    so that the partial unique index on `id_number` serves it: that index leaves out the empty
    numbers, and a database uses it only when the query states the same condition (SQLite always,
    PostgreSQL for lists longer than 100)."""
    wanted = Q(id_number=numbers) if isinstance(numbers, str) else Q(id_number__in=numbers)
    return wanted & ~Q(id_number="")


class IDType(models.TextChoices):
    RESIDENT = "resident", _("居民身份证")
    PASSPORT = "passport", _("护照")
    HK_MACAO = "hk_macao", _("港澳居民来往内地通行证")
    TAIWAN = "taiwan", _("台湾居民来往大陆通行证")
    OTHER = "other", _("其他")


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class PopulationType(models.TextChoices):
    RESIDENT = "resident", _("常住")
    MOBILE = "mobile", _("流动")
    TEMPORARY = "temporary", _("暂住")


class Household(models.Model):
    """户: a household with its address and members; `number` is the household number (户号)."""

    number = models.CharField(_("户号"), max_length=40, unique=True)
    address = models.CharField(_("住址"), max_length=200, blank=True)
    unit = models.ForeignKey("orgs.Unit", verbose_name=_("所属网格"), on_delete=models.PROTECT, related_name="households")
    unit_path = models.CharField(max_length=255, db_index=True, editable=False)
    head = models.ForeignKey(
        "Person", verbose_name=_("户主"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["unit_path", "updated_at"])

    objects = JurisdictionQuerySet.as_manager()
    jurisdiction_path_field = "unit_path"

    class Meta:
        verbose_name = _("家庭户")
        verbose_name_plural = _("家庭户")

    def __str__(self):
        return f"{self.number} {self.address}".strip()

    @property
    def history_label(self):
        return self.number

    def save(self, *args, **kwargs):
        self.unit_path = self.unit.path
        super().save(*args, **kwargs)


class Person(models.Model):
    name = models.CharField(_("姓名"), max_length=50)
    name_initials = models.CharField(_("拼音首字母"), max_length=50, db_index=True, editable=False)
    id_type = models.CharField(_("证件类型"), max_length=12, choices=IDType.choices, default=IDType.RESIDENT)
    id_number = models.CharField(_("证件号码"), max_length=40, blank=True)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True, db_index=True)
    household = models.ForeignKey(
        Household, verbose_name=_("家庭户"), null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    relation_to_head = models.CharField(_("与户主关系"), max_length=20, blank=True)
    address = models.CharField(_("现住址"), max_length=200, blank=True)
    unit = models.ForeignKey("orgs.Unit", verbose_name=_("所属网格"), on_delete=models.PROTECT, related_name="residents")
    unit_path = models.CharField(max_length=255, db_index=True, editable=False)
    population_type = models.CharField(
        _("人员类别"), max_length=12, choices=PopulationType.choices, default=PopulationType.RESIDENT
    )
    is_elderly = models.BooleanField(_("老年人"), default=False)
    has_chronic_illness = models.BooleanField(_("慢性病"), default=False)
    is_pregnant = models.BooleanField(_("孕产妇"), default=False)
    is_disabled = models.BooleanField(_("残疾人"), default=False)
    # Registered on the spot (e.g. scanned at a sampling point without a record): to be checked.
    is_provisional = models.BooleanField(_("临时登记"), default=False, db_default=False)
    needs_follow_up = models.BooleanField(
        _("需跟进排查"), default=False, db_index=True, help_text=_("入户摸排发现符合排查条件，待重点人员管控处理")
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["unit_path", "name_initials", "updated_at"])

    objects = JurisdictionQuerySet.as_manager()
    jurisdiction_path_field = "unit_path"

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        permissions = [
            ("view_identity", _("查看完整证件号码和手机号")),
            ("import_person", _("导入人员台账")),
            ("export_person", _("导出人员台账")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number"], condition=~models.Q(id_number=""), name="unique_person_id_number"
            )
        ]
        indexes = [models.Index(fields=["name"]), models.Index(fields=["unit_path", "name"])]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.unit_path = self.unit.path
        self.name_initials = initials(self.name)
        super().save(*args, **kwargs)

    def id_number_for(self, user):
        return self.id_number if user.sees_identity() else mask_id_number(self.id_number)

    def phone_for(self, user):
        return self.phone if user.sees_identity() else mask_phone(self.phone)


class Affiliation(models.Model):
    """Membership of a person in another tree: studies in a class, works in a team."""

    class Kind(models.TextChoices):
        STUDENT = "student", _("学生")
        TEACHER = "teacher", _("教职工")
        EMPLOYEE = "employee", _("员工")
        STAFF = "staff", _("工作人员")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="affiliations")
    unit = models.ForeignKey("orgs.Unit", verbose_name=_("单位"), on_delete=models.CASCADE, related_name="affiliations")
    unit_path = models.CharField(max_length=255, db_index=True, editable=False)
    kind = models.CharField(_("身份"), max_length=12, choices=Kind.choices)
    since = models.DateField(_("起始日期"), null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["unit_path"])

    objects = JurisdictionQuerySet.as_manager()
    jurisdiction_path_field = "unit_path"

    class Meta:
        verbose_name = _("所属关系")
        verbose_name_plural = _("所属关系")
        constraints = [models.UniqueConstraint(fields=["person", "unit", "kind"], name="unique_affiliation")]

    def save(self, *args, **kwargs):
        self.unit_path = self.unit.path
        super().save(*args, **kwargs)


class Move(models.Model):
    """迁入/迁出: a person or household moved from one unit to another."""

    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE, related_name="moves")
    household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.CASCADE, related_name="moves")
    from_unit = models.ForeignKey("orgs.Unit", verbose_name=_("迁出单位"), on_delete=models.PROTECT, related_name="+")
    to_unit = models.ForeignKey("orgs.Unit", verbose_name=_("迁入单位"), on_delete=models.PROTECT, related_name="+")
    from_address = models.CharField(_("原住址"), max_length=200, blank=True)
    to_address = models.CharField(_("新住址"), max_length=200, blank=True)
    moved_on = models.DateField(_("迁移日期"))
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("迁入迁出")
        verbose_name_plural = _("迁入迁出")
        ordering = ["-moved_on", "-id"]


class ImportBatch(models.Model):
    """One import of a ledger: who, which file, what came of it."""

    kind = models.CharField(_("台账类型"), max_length=20, default="persons")
    file_name = models.CharField(_("文件名"), max_length=255)
    unit = models.ForeignKey("orgs.Unit", verbose_name=_("默认网格"), on_delete=models.PROTECT, related_name="+")
    unit_path = models.CharField(max_length=255, db_index=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    dry_run = models.BooleanField(_("试导入"), default=False)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    created = models.PositiveIntegerField(_("新增"), default=0)
    updated = models.PositiveIntegerField(_("更新"), default=0)
    unchanged = models.PositiveIntegerField(_("未变化"), default=0)
    rejected = models.PositiveIntegerField(_("拒绝"), default=0)
    error_file = models.FileField(_("错误行文件"), upload_to="import-errors/", blank=True)
    failure = models.TextField(_("失败原因"), blank=True)

    objects = JurisdictionQuerySet.as_manager()
    jurisdiction_path_field = "unit_path"

    class Meta:
        verbose_name = _("导入批次")
        verbose_name_plural = _("导入批次")
        ordering = ["-started_at"]

    def save(self, *args, **kwargs):
        self.unit_path = self.unit.path
        super().save(*args, **kwargs)

    def counts(self):
        return {k: getattr(self, k) for k in ("rows", "created", "updated", "unchanged", "rejected")}
