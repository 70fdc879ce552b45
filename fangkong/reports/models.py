"""Daily and zero reports (日报告、零报告), their roll-ups, and the situation reports written
from them.

- `ReportForm` is a versioned form as data: which unit types file it, by when, and its items —
  computed from records (locked on the form) or entered by hand — with validation rules.
- `Filing` is one unit's report for one period. A correction is a new version of the filing; the
  old version is kept with `superseded_at` set, so a roll-up "as of" any moment sees what had been
  filed by then.
- `Snapshot` keeps each day's rolled-up figures of a unit, so that yesterday's report does not
  change silently: a later correction makes a new snapshot version, shown as a correction.
- `ReportTemplate` is a .docx (docxtpl) that office staff edit in Word and upload as a new
  version; `Bulletin` is one written situation report, numbered per unit (简报第N期).
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from fangkong.lib.versions import VersionedQuerySet
from fangkong.orgs.jurisdiction import JurisdictionQuerySet
from fangkong.orgs.models import Unit


class Period(models.TextChoices):
    DAILY = "daily", _("每日")
    WEEKLY = "weekly", _("每周")


class ItemKind(models.TextChoices):
    COMPUTED = "computed", _("系统统计")
    NUMBER = "number", _("手工填报数字")
    TEXT = "text", _("手工填报文字")
    RATIO = "ratio", _("比率（系统计算）")


class ReportForm(models.Model):
    """A report form as data (报表). `items` is a list of
    {"code", "label", "kind": computed|number|text|ratio, "source", "params", "measure", "unit",
    "numerator", "denominator"}:
    a computed item names a source of `reports.services.sources` and a measure (new: 当日新增,
    cumulative: 累计, both, current: 截至时点在管); a number item may set "accumulate" to
    have a cumulative total too; a ratio item (覆盖率) is its numerator item as a percentage of
    its denominator item — two computed items of one number each — with one decimal (87.5 for
    87.5%; null when the denominator is 0), never filed by hand. `rules` validate a filing: {"type": "sum", "total": code,
    "parts": [codes]} (parts add up to their total) and {"type": "max_population", "items":
    [codes]} (no more than the unit's registered population). Every number is non-negative.
    `deadlines` maps a unit type (or "*") to the local time the report of a day is due."""

    code = models.CharField(_("报表编码"), max_length=40)
    version = models.PositiveIntegerField(_("版本"), default=1)
    name = models.CharField(_("报表名称"), max_length=100)
    period = models.CharField(_("报送周期"), max_length=8, choices=Period.choices, default=Period.DAILY)
    unit_types = models.JSONField(_("填报单位类型"), default=list)
    deadlines = models.JSONField(_("报送截止时间"), default=dict)
    lock_after_days = models.PositiveSmallIntegerField(
        _("锁定天数"), default=3, help_text=_("超过报告期这么多天后不能再补报或更正")
    )
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("废止日期"), null=True, blank=True)
    items = models.JSONField(_("填报项目"), default=list)
    rules = models.JSONField(_("校验规则"), default=list, blank=True)
    source = models.TextField(_("依据"), blank=True)
    is_preset = models.BooleanField(_("内置报表"), default=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    history = HistoricalRecords()

    objects = VersionedQuerySet.as_manager()

    class Meta:
        verbose_name = _("报表")
        verbose_name_plural = _("报表")
        ordering = ["code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="reportform_code_version")]

    def __str__(self):
        return f"{self.name}（{self.code} v{self.version}）"

    def item(self, code):
        return next((item for item in self.items if item["code"] == code), None)

    def save(self, *args, **kwargs):
        self.assign_slots()
        super().save(*args, **kwargs)

    def assign_slots(self):
        """Give each number item its typed column on `Filing` (its slot). An item keeps the slot
        its code had in the form's other versions, so sums over days filed on different versions
        add up the same item; a new item takes a slot no version has used, while one is free."""
        numbers = [item for item in self.items if item.get("kind") == ItemKind.NUMBER]
        earlier = {}
        for other in ReportForm.objects.filter(code=self.code).exclude(pk=self.pk).order_by("-version"):
            for item in other.items:
                if item.get("slot"):
                    earlier.setdefault(item["code"], item["slot"])
        used = set()
        for item in numbers:
            slot = item.get("slot") or earlier.get(item["code"])
            if slot and slot not in used:
                item["slot"] = slot
                used.add(slot)
            else:
                item.pop("slot", None)
        avoid = used | set(earlier.values())
        for item in numbers:
            if item.get("slot"):
                continue
            slot = next((n for n in range(1, NUMBER_SLOTS + 1) if n not in avoid), None) or next(
                (n for n in range(1, NUMBER_SLOTS + 1) if n not in used), None
            )
            if slot is None:
                raise ValidationError(_("一张报表最多有%(n)s个数字项目") % {"n": NUMBER_SLOTS})
            item["slot"] = slot
            used.add(slot)
            avoid.add(slot)

    def items_of_kind(self, *kinds):
        return [item for item in self.items if item.get("kind") in kinds]

    def deadline_time(self, unit_type):
        """The local time of day a report of this unit type is due."""
        text = self.deadlines.get(unit_type) or self.deadlines.get("*") or "24:00"
        hours, minutes = (int(part) for part in text.split(":"))
        return hours, minutes

    def period_start(self, day):
        """The first day of the period `day` falls in (Monday for weekly forms)."""
        if self.period == Period.WEEKLY:
            return day - datetime.timedelta(days=day.weekday())
        return day

    def period_last_day(self, start):
        return start + datetime.timedelta(days=6 if self.period == Period.WEEKLY else 0)


# Hand-entered numbers are kept in `Filing.values` and copied to typed columns n01…n40 (a number
# item's "slot"), which roll-ups sum: reading a number out of JSON costs several times more.
NUMBER_SLOTS = 40


def slot_column(slot):
    return f"n{slot:02d}"


class FilingQuerySet(JurisdictionQuerySet):
    def current(self):
        return self.filter(superseded_at__isnull=True)

    def as_of(self, moment):
        """The version of each filing that stood at `moment`."""
        return self.filter(filed_at__lte=moment).filter(
            models.Q(superseded_at__isnull=True) | models.Q(superseded_at__gt=moment)
        )


class Filing(models.Model):
    form = models.ForeignKey(ReportForm, verbose_name=_("报表"), on_delete=models.PROTECT, related_name="filings")
    form_code = models.CharField(max_length=40, editable=False)  # copied for the roll-up index
    unit = models.ForeignKey(Unit, verbose_name=_("填报单位"), on_delete=models.PROTECT, related_name="filings")
    unit_path = models.CharField(max_length=255, editable=False)
    day = models.DateField(_("报告期"))  # the first day of the period
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    values = models.JSONField(_("填报数据"), default=dict, blank=True)
    computed = models.JSONField(_("系统统计数据"), default=dict, blank=True)
    zero_report = models.BooleanField(_("零报告"), default=False)
    late = models.BooleanField(_("迟报"), default=False)
    filed_at = models.DateTimeField(_("报送时间"))
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("报送人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(_("更正原因"), max_length=200, blank=True)
    superseded_at = models.DateTimeField(_("被更正时间"), null=True, blank=True)

    objects = FilingQuerySet.as_manager()
    jurisdiction_path_field = "unit_path"

    class Meta:
        verbose_name = _("日报")
        verbose_name_plural = _("日报")
        ordering = ["-day", "unit_path", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["form_code", "unit", "day", "version"], name="filing_version"),
            models.UniqueConstraint(
                fields=["form_code", "unit", "day"], condition=models.Q(superseded_at__isnull=True),
                name="filing_one_current",
            ),
        ]
        indexes = [models.Index(fields=["form_code", "day", "unit_path"], name="filing_rollup")]

    def __str__(self):
        return f"{self.unit} {self.day} v{self.version}"

    def save(self, *args, **kwargs):
        self.unit_path = self.unit.path
        self.form_code = self.form.code
        self.fill_slots()
        super().save(*args, **kwargs)

    def fill_slots(self):
        """Copy the number items of `values` into their typed columns (bulk loads call this
        before `bulk_create`)."""
        for item in self.form.items:
            if item.get("slot"):
                value = self.values.get(item["code"])
                setattr(self, slot_column(item["slot"]), int(value) if value not in (None, "") else None)


for _slot in range(1, NUMBER_SLOTS + 1):
    Filing.add_to_class(slot_column(_slot), models.BigIntegerField(null=True, blank=True, editable=False))


class Snapshot(models.Model):
    """A unit's rolled-up figures of one day as they were reported (`values` in the shape of
    the daily report's items, `completeness` its filing counts). Version 1 is taken when the day
    is over; a correction filed later adds a version with the reason."""

    form_code = models.CharField(_("报表编码"), max_length=40)
    unit = models.ForeignKey(Unit, verbose_name=_("单位"), on_delete=models.CASCADE, related_name="+")
    unit_path = models.CharField(max_length=255, editable=False)
    day = models.DateField(_("日期"))
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    as_of = models.DateTimeField(_("统计截至"))
    values = models.JSONField(_("汇总数据"), default=dict)
    completeness = models.JSONField(_("报送情况"), default=dict)
    taken_at = models.DateTimeField(_("生成时间"))
    reason = models.CharField(_("更正说明"), max_length=300, blank=True)

    objects = JurisdictionQuerySet.as_manager()
    jurisdiction_path_field = "unit_path"

    class Meta:
        verbose_name = _("每日汇总快照")
        verbose_name_plural = _("每日汇总快照")
        ordering = ["-day", "unit_path", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["form_code", "unit", "day", "version"], name="snapshot_version"),
        ]
        indexes = [models.Index(fields=["form_code", "unit", "day"], name="snapshot_unit_day")]

    def save(self, *args, **kwargs):
        self.unit_path = self.unit.path
        super().save(*args, **kwargs)


class ReportTemplate(models.Model):
    """A situation-report template (.docx with docxtpl tags). Uploading a file under an existing
    code makes a new version; the latest version of a code is the one used."""

    code = models.CharField(_("模板编码"), max_length=40)
    version = models.PositiveIntegerField(_("版本"), default=1)
    name = models.CharField(_("模板名称"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    form_code = models.CharField(_("数据来源报表"), max_length=40, default="daily")
    content = models.BinaryField(_("模板文件"))
    file_name = models.CharField(_("文件名"), max_length=200)
    is_preset = models.BooleanField(_("内置模板"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("汇报模板")
        verbose_name_plural = _("汇报模板")
        ordering = ["code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="reporttemplate_code_version")]

    def __str__(self):
        return f"{self.name} v{self.version}"


class Bulletin(models.Model):
    """One written situation report of a unit (工作简报第N期), kept as written."""

    unit = models.ForeignKey(Unit, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="bulletins")
    unit_path = models.CharField(max_length=255, db_index=True, editable=False)
    number = models.PositiveIntegerField(_("期数"))
    template = models.ForeignKey(ReportTemplate, verbose_name=_("模板"), on_delete=models.PROTECT, related_name="+")
    as_of = models.DateTimeField(_("统计截至"))
    title = models.CharField(_("标题"), max_length=200)
    content = models.BinaryField(_("文件"))
    issued_at = models.DateTimeField(_("生成时间"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("生成人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = JurisdictionQuerySet.as_manager()
    jurisdiction_path_field = "unit_path"

    class Meta:
        verbose_name = _("工作简报")
        verbose_name_plural = _("工作简报")
        ordering = ["-issued_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["unit", "number"], name="bulletin_number")]
        permissions = [("generate_bulletin", _("可以生成情况汇报"))]

    def __str__(self):
        return f"{self.unit.name}第{self.number}期"

    def save(self, *args, **kwargs):
        self.unit_path = self.unit.path
        super().save(*args, **kwargs)
