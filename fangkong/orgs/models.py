"""Organisation trees (组织机构): administrative, education, enterprise and sites, one model.

All units live in one tree so that a county's jurisdiction covers its schools, companies and
checkpoints too; `tree` tells which of the parallel trees a unit belongs to, and roll-ups
count a person once per tree.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from .jurisdiction import JurisdictionQuerySet


class Tree(models.TextChoices):
    ADMINISTRATIVE = "admin", _("属地")
    EDUCATION = "education", _("教育")
    ENTERPRISE = "enterprise", _("企业")
    SITE = "site", _("场所")


class UnitType(models.TextChoices):
    PROVINCE = "province", _("省")
    CITY = "city", _("市")
    COUNTY = "county", _("县/区")
    TOWN = "town", _("乡镇/街道")
    VILLAGE = "village", _("村/社区")
    GRID = "grid", _("网格/组")
    BUILDING = "building", _("楼栋")
    EDU_BUREAU = "edu_bureau", _("教育局")
    SCHOOL = "school", _("学校")
    GRADE = "grade", _("年级")
    CLASS = "class", _("班级")
    COMPANY = "company", _("企业")
    DEPARTMENT = "department", _("单位/部门")
    TEAM = "team", _("班组")
    CHECKPOINT = "checkpoint", _("卡口")
    ISOLATION_SITE = "isolation_site", _("集中隔离点")
    ROOM = "room", _("隔离房间")
    SAMPLING_POINT = "sampling_point", _("采样点")
    CLINIC = "clinic", _("卫生院/发热门诊")
    LAB = "lab", _("检测机构")
    VENUE = "venue", _("重点场所")


TREE_OF_TYPE = {
    **dict.fromkeys(["province", "city", "county", "town", "village", "grid", "building"], Tree.ADMINISTRATIVE),
    **dict.fromkeys(["edu_bureau", "school", "grade", "class"], Tree.EDUCATION),
    **dict.fromkeys(["company", "department", "team"], Tree.ENTERPRISE),
    **dict.fromkeys(
        ["checkpoint", "isolation_site", "room", "sampling_point", "clinic", "lab", "venue"], Tree.SITE
    ),
}

# Units a person can live in (their residence unit); the import puts people in these.
RESIDENCE_TYPES = ("village", "grid", "building")


class UnitQuerySet(MP_NodeQuerySet, JurisdictionQuerySet):
    pass


class UnitManager(MP_NodeManager.from_queryset(UnitQuerySet)):
    def get_queryset(self):
        return UnitQuerySet(self.model).order_by("path")


class Unit(MP_Node):
    """A node of any organisation tree (单位/网格/学校/企业/场所)."""

    steplen = 4
    jurisdiction_path_field = "path"

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    type = models.CharField(_("类型"), max_length=20, choices=UnitType.choices, db_index=True)
    tree = models.CharField(_("体系"), max_length=12, choices=Tree.choices, editable=False, db_index=True)
    division_code = models.CharField(_("区划代码"), max_length=12, blank=True, db_index=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    capacity = models.PositiveIntegerField(_("容量"), null=True, blank=True, help_text=_("隔离点房间数、学校人数等"))
    is_active = models.BooleanField(_("启用"), default=True)
    history = HistoricalRecords(excluded_fields=["path", "depth", "numchild"])

    objects = UnitManager()

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.tree = TREE_OF_TYPE[self.type]
        super().save(*args, **kwargs)

    @property
    def history_label(self):
        return f"{self.name}（{self.code}）"

    def full_name(self):
        """县 / 镇 / 村 / 网格: the names from the top down."""
        return " / ".join(u.name for u in [*Unit.objects.get_ancestors(self), self])


class CommandBody(models.Model):
    """Leading group / headquarters (领导小组/指挥部) of a unit."""

    unit = models.ForeignKey(Unit, verbose_name=_("单位"), on_delete=models.CASCADE, related_name="command_bodies")
    name = models.CharField(_("名称"), max_length=100)
    established_on = models.DateField(_("成立日期"), null=True, blank=True)
    history = HistoricalRecords()

    objects = JurisdictionQuerySet.as_manager()
    jurisdiction_path_field = "unit__path"

    class Meta:
        verbose_name = _("领导小组/指挥部")
        verbose_name_plural = _("领导小组/指挥部")

    def __str__(self):
        return self.name


class CommandPost(models.Model):
    """A named post in a command body: commander, deputy, office director or staff."""

    class Kind(models.TextChoices):
        COMMANDER = "commander", _("指挥长/组长")
        DEPUTY = "deputy", _("副指挥长/副组长")
        OFFICE = "office", _("办公室")
        MEMBER = "member", _("成员")

    body = models.ForeignKey(CommandBody, on_delete=models.CASCADE, related_name="posts")
    kind = models.CharField(_("职务"), max_length=12, choices=Kind.choices)
    person_name = models.CharField(_("姓名"), max_length=50)
    title = models.CharField(_("职务/单位"), max_length=100, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    user = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        verbose_name = _("指挥部职务")
        verbose_name_plural = _("指挥部职务")


class TaskGroup(models.Model):
    """A specialist group (专项工作组, e.g. 综合组, 医疗救治组) with its lead and member units."""

    body = models.ForeignKey(CommandBody, on_delete=models.CASCADE, related_name="task_groups")
    name = models.CharField(_("名称"), max_length=100)
    lead_unit = models.ForeignKey(
        Unit, verbose_name=_("牵头单位"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lead_unit_name = models.CharField(_("牵头单位（名称）"), max_length=100, blank=True)
    member_units = models.ManyToManyField(Unit, verbose_name=_("成员单位"), blank=True, related_name="+")
    member_unit_names = models.TextField(_("成员单位（名称）"), blank=True)
    duties = models.TextField(_("职责"), blank=True)
    staff = models.TextField(_("工作人员"), blank=True, help_text=_("每行一人：姓名 职务 电话"))

    class Meta:
        verbose_name = _("专项工作组")
        verbose_name_plural = _("专项工作组")


class Assignment(models.Model):
    """包联/包保: a named cadre answers for a unit (a county leader for a town, a cadre for a village)."""

    unit = models.ForeignKey(Unit, verbose_name=_("包联单位"), on_delete=models.CASCADE, related_name="assignments")
    person_name = models.CharField(_("包联人"), max_length=50)
    title = models.CharField(_("职务"), max_length=100, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    user = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL)
    history = HistoricalRecords()

    objects = JurisdictionQuerySet.as_manager()
    jurisdiction_path_field = "unit__path"

    class Meta:
        verbose_name = _("包联")
        verbose_name_plural = _("包联")
