"""Testing frequency of key groups (重点人群定期核酸检测), as versioned data like the regimens.

A rule (`FrequencyRule`) lists groups {"code", "label", "times", "days"}: at least `times` tests in
any `days` days (high-risk posts 1 in 2 days, other staff 2 in 7, families 1 in 7 — 001:237;
cold-chain staff 1 in 7 — 003:119). The rule for a member on a date: among the rules in force that
define the member's group and hold at the member's unit (the rule's unit subtree, or everywhere
when it has none), the deepest wins (then the latest effective, then the highest version).

When a member is due: the `times`-th most recent test plus `days` — with fewer tests, the oldest
of them plus `days` — and never before `since` (never tested: due since `since`). Overdue once
that date has passed. A test is a sample of the person (`Sample.scanned_at`) or a done test of a
control case of theirs (`control.CaseTest`, who = the person).
"""

import datetime
import io
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.db.models import F, Max, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from fangkong.alerts.models import Alert, AlertKind
from fangkong.alerts.services.core import PendingAlert, raise_alerts, resolve_alerts, responsible_units
from fangkong.control.models import CaseTest, TestStatus, TestWho
from fangkong.lib.dates import cn_date, day_end
from fangkong.lib.documents import Errors, as_date, parse_yaml, unknown_keys
from fangkong.lib.idnumbers import normalise
from fangkong.lib.masking import mask_id_number, mask_phone
from fangkong.orgs.models import Unit
from fangkong.people.models import Person, with_id_number
from fangkong.people.services.columns import CellError, cell_text, is_blank, normalise_header, parse_date
from fangkong.people.services.sheets import LedgerError, open_sheet
from fangkong.people.services.xlsx import new_workbook

from ..models import FrequencyRule, GroupMember, Sample
from .rounds import within

PRESET_DIR = Path(__file__).resolve().parent.parent / "presets" / "frequency"
FIELDS = ("code", "version", "name", "unit", "effective_from", "effective_to", "groups", "source")
GROUP_KEYS = ("code", "label", "times", "days")
CODE_RE = re.compile(r"^[-a-zA-Z0-9_]+$")
MAX_TIMES = 10
MAX_DAYS = 366


# ---------------------------------------------------------------------------------------------
# Rule documents


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _code(errors, place, value):
    if not isinstance(value, str) or not CODE_RE.match(value) or len(value) > 40:
        errors.add(place, _("必须是不超过40个字符的编码（字母、数字、-、_）"))


def _text(errors, place, value, limit, required=True):
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.add(place, _("必须填写"))
        return ""
    if not isinstance(value, str):
        errors.add(place, _("必须是文字"))
        return ""
    value = value.strip()
    if limit and len(value) > limit:
        errors.add(place, _("不能超过%(limit)d个字") % {"limit": limit})
    return value


def _group(errors, place, group):
    if not isinstance(group, dict):
        errors.add(place, _("每个人群必须是一个映射（code、label、times、days）"))
        return None
    unknown_keys(errors, place, group, GROUP_KEYS)
    _code(errors, f"{place}.code", group.get("code"))
    label = _text(errors, f"{place}.label", group.get("label"), 50)
    times, days = group.get("times"), group.get("days")
    if not _is_int(times) or not 1 <= times <= MAX_TIMES:
        errors.add(f"{place}.times", _("检测次数必须是1到%(max)d之间的整数") % {"max": MAX_TIMES})
    if not _is_int(days) or not 1 <= days <= MAX_DAYS:
        errors.add(f"{place}.days", _("天数必须是1到%(max)d之间的整数") % {"max": MAX_DAYS})
    return {"code": group.get("code"), "label": label, "times": times, "days": days}


def _groups(errors, value):
    if not isinstance(value, list) or not value:
        errors.add("groups", _("必须列出至少一个人群"))
        return []
    groups, seen = [], set()
    for i, item in enumerate(value):
        group = _group(errors, f"groups[{i}]", item)
        if group is None:
            continue
        if isinstance(group["code"], str) and group["code"] in seen:
            errors.add(f"groups[{i}].code", _("人群编码 \"%(code)s\" 重复") % {"code": group["code"]})
        seen.add(group["code"])
        groups.append(group)
    return groups


def validate_rule(doc):
    """The rule document cleaned to the model's fields (`unit` as a Unit or None); raises
    ValidationError listing every problem with its place, in Chinese."""
    errors = Errors()
    if not isinstance(doc, dict):
        errors.add("", _("频次规则文件必须是一个映射（code、name、groups 等）"))
        errors.raise_if_any()
    unknown_keys(errors, "", doc, FIELDS)
    _code(errors, "code", doc.get("code"))
    version = doc.get("version")
    if not _is_int(version) or version < 1:
        errors.add("version", _("版本号必须是不小于1的整数"))
    name = _text(errors, "name", doc.get("name"), 100)
    unit = None
    unit_code = doc.get("unit")
    if unit_code not in (None, ""):
        unit = Unit.objects.filter(code=str(unit_code)).first()
        if unit is None:
            errors.add("unit", _("单位编码 \"%(code)s\" 不存在") % {"code": unit_code})
    effective_from = as_date(errors, "effective_from", doc.get("effective_from"), required=True)
    effective_to = as_date(errors, "effective_to", doc.get("effective_to"), required=False)
    if effective_from and effective_to and effective_to < effective_from:
        errors.add("effective_to", _("废止日期不能早于生效日期"))
    groups = _groups(errors, doc.get("groups"))
    source = _text(errors, "source", doc.get("source"), None, required=False)
    errors.raise_if_any()
    return {"code": doc["code"], "version": version, "name": name, "unit": unit, "effective_from": effective_from,
            "effective_to": effective_to, "groups": groups, "source": source}


def rule_document(rule):
    """A saved rule as a document (keys in the documented order)."""
    return {"code": rule.code, "version": rule.version, "name": rule.name,
            "unit": rule.unit.code if rule.unit_id else None, "effective_from": rule.effective_from,
            "effective_to": rule.effective_to,
            "groups": [{key: group[key] for key in GROUP_KEYS} for group in rule.groups], "source": rule.source}


def import_rule_yaml(text, user=None):
    """A new rule version from YAML; under an existing code the version must be higher than
    every version there is. Returns the FrequencyRule."""
    doc = validate_rule(parse_yaml(text))
    with transaction.atomic():
        latest = (FrequencyRule.objects.select_for_update().filter(code=doc["code"])
                  .aggregate(top=Max("version"))["top"])
        if latest is not None and doc["version"] <= latest:
            raise ValidationError(_("version：频次规则 \"%(code)s\" 已有第%(latest)d版，新版本号必须大于%(latest)d")
                                  % {"code": doc["code"], "latest": latest})
        rule = FrequencyRule(**doc)
        if user is not None:
            rule._history_user = user
        rule.save()
    return rule


class _Dumper(yaml.SafeDumper):
    """Groups one per line in flow style, as the presets are written."""

    def represent_dict(self, data):
        return self.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style="times" in data)


_Dumper.add_representer(dict, _Dumper.represent_dict)


def export_rule_yaml(rule):
    """The rule version as YAML that `import_rule_yaml` reads back (with a higher version)."""
    doc = {key: value for key, value in rule_document(rule).items() if value not in (None, "")}
    return yaml.dump(doc, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000)


def preset_rules():
    return [validate_rule(yaml.safe_load(path.read_text(encoding="utf-8")))
            for path in sorted(PRESET_DIR.glob("*.yaml"))]


def load_presets(using="default", **kwargs):
    """post_migrate receiver: the preset rules missing by code are created (an edited or newer
    one is never touched). Returns the codes created."""
    if FrequencyRule._meta.db_table not in connections[using].introspection.table_names():
        return []
    created = []
    for doc in preset_rules():
        if FrequencyRule.objects.using(using).filter(code=doc["code"]).exists():
            continue
        FrequencyRule.objects.using(using).create(**doc, is_preset=True)
        created.append(doc["code"])
    return created


# ---------------------------------------------------------------------------------------------
# Which rule holds for a member


def rules_in_force(on_date):
    return list(FrequencyRule.objects.in_force(on_date).select_related("unit"))


def known_groups(on_date=None):
    """{code: label} of the groups of the rules in force (all rules when no date)."""
    rules = rules_in_force(on_date) if on_date else FrequencyRule.objects.order_by("code", "version")
    return {group["code"]: group["label"] for rule in rules for group in rule.groups}


def rule_for(unit_path, group_code, rules):
    """(rule, group) for a member at `unit_path` in `group_code`, or (None, None)."""
    best = None
    for rule in rules:
        if rule.unit_path and not unit_path.startswith(rule.unit_path):
            continue
        group = next((g for g in rule.groups if g["code"] == group_code), None)
        if group is None:
            continue
        rank = (len(rule.unit_path), rule.effective_from, rule.version)
        if best is None or rank > best[0]:
            best = (rank, rule, group)
    return (best[1], best[2]) if best else (None, None)


# ---------------------------------------------------------------------------------------------
# Who is due


@dataclass
class MemberStatus:
    member: GroupMember
    rule: FrequencyRule
    group: dict
    tests: list  # the recent test dates counted, latest first
    due_on: datetime.date
    days_overdue: int  # > 0 overdue, 0 due today, < 0 not yet due

    @property
    def last_test(self):
        return self.tests[0] if self.tests else None


def recent_tests(person_ids, depth, until):
    """{person id: [dates of the latest `depth` tests up to `until`, latest first]}: samples and
    done control-case tests of the person, each source ranked in SQL (ROW_NUMBER), so a member
    tested every other day for a year costs `depth` rows, not hundreds."""
    found = defaultdict(list)
    if not person_ids or depth < 1:
        return found
    person_ids = list(person_ids)
    for start in range(0, len(person_ids), 1000):
        chunk = person_ids[start:start + 1000]
        samples = (Sample.objects.filter(person_id__in=chunk, scanned_at__lte=until)
                   .annotate(n=Window(RowNumber(), partition_by=F("person_id"), order_by=F("scanned_at").desc()))
                   .filter(n__lte=depth).values_list("person_id", "scanned_at"))
        case_tests = (CaseTest.objects.filter(case__person_id__in=chunk, who=TestWho.PERSON, status=TestStatus.DONE,
                                              done_at__isnull=False, done_at__lte=until)
                      .annotate(n=Window(RowNumber(), partition_by=F("case__person_id"),
                                         order_by=F("done_at").desc()))
                      .filter(n__lte=depth).values_list("case__person_id", "done_at"))
        for person_id, moment in [*samples, *case_tests]:
            found[person_id].append(timezone.localdate(moment))
    for dates in found.values():
        dates.sort(reverse=True)
    return found


def due_date(tests, times, days, since):
    """The day the next test is due (see the module docstring)."""
    if not tests:
        return since
    anchor = tests[min(times, len(tests)) - 1]
    return max(since, anchor + datetime.timedelta(days=days))


def active_members(on_date):
    return GroupMember.objects.filter(since__lte=on_date).filter(Q(until__isnull=True) | Q(until__gte=on_date))


def member_statuses(members, on_date, as_of=None):
    """[MemberStatus] of the members (a queryset) active on `on_date` that a rule covers;
    tests counted up to `as_of` (default the end of the day). A few queries for any number."""
    as_of = as_of or day_end(on_date)
    rules = rules_in_force(on_date)
    members = list(members.filter(pk__in=active_members(on_date).values("pk"))
                   .select_related("person", "person__unit", "person__household", "unit"))
    chosen = {}
    for member in members:
        key = (member.unit_path, member.group)
        if key not in chosen:
            chosen[key] = rule_for(member.unit_path, member.group, rules)
    depth = max((group["times"] for _rule, group in chosen.values() if group), default=0)
    tests = recent_tests({m.person_id for m in members}, depth, as_of)
    statuses = []
    for member in members:
        rule, group = chosen[(member.unit_path, member.group)]
        if rule is None:
            continue
        taken = tests.get(member.person_id, [])[:group["times"]]
        due = due_date(taken, group["times"], group["days"], member.since)
        statuses.append(MemberStatus(member, rule, group, taken, due, (on_date - due).days))
    return statuses


def overdue(members, on_date, as_of=None, include_due_today=False):
    """Members overdue on `on_date` (and due that day when asked), most overdue first."""
    limit = 0 if include_due_today else 1
    rows = [s for s in member_statuses(members, on_date, as_of) if s.days_overdue >= limit]
    return sorted(rows, key=lambda s: (-s.days_overdue, s.member.unit_path, s.member.person.name, s.member.pk))


OVERDUE_HEADERS = ["序号", "所在单位", "姓名", "证件号码", "联系电话", "人群", "检测频次", "最近检测", "应检日期",
                   "逾期天数"]


def frequency_text(group):
    if group["days"] == 1:
        return _("每天%(times)d次") % group
    return _("每%(days)d天%(times)d次") % group


def overdue_xlsx(statuses, user, title):
    """重点人群逾期未检名单.xlsx."""
    sees = user.sees_identity()
    buffer = io.BytesIO()
    book = new_workbook(buffer)
    head = book.add_format({"bold": True, "border": 1, "bg_color": "#DDEBF7"})
    sheet = book.add_worksheet("逾期未检")
    sheet.write_string(0, 0, title)
    sheet.write_row(1, 0, OVERDUE_HEADERS, head)
    sheet.set_column(0, 0, 6)
    sheet.set_column(1, 9, 16)
    for n, status in enumerate(statuses, 1):
        person = status.member.person
        sheet.write_row(n + 1, 0, [
            n, status.member.unit.name, person.name,
            person.id_number if sees else mask_id_number(person.id_number),
            person.phone if sees else mask_phone(person.phone),
            status.group["label"], frequency_text(status.group),
            status.last_test.isoformat() if status.last_test else "", status.due_on.isoformat(),
            max(status.days_overdue, 0),
        ])
    book.close()
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# The worker pass

ALERT_PREFIX = "group_test_overdue:"


def _alert_text(rows):
    names = "、".join(
        _("%(name)s（%(group)s，逾期%(days)d天）") % {"name": s.member.person.name, "group": s.group["label"],
                                                   "days": s.days_overdue}
        for s in rows)
    return _("重点人群核酸检测逾期：%(n)d人") % {"n": len(rows)}, names


def check_testing_overdue(now):
    """Worker pass: one TEST_OVERDUE alert per responsible unit listing its key-group members
    overdue for their regular test (its list kept up to date while open), resolved when none
    is left. Returns counts."""
    today = timezone.localdate(now)
    rows = overdue(GroupMember.objects.all(), today, as_of=now)
    places = responsible_units({s.member.unit_path for s in rows}) if rows else {}
    by_unit = defaultdict(list)
    for status in rows:
        by_unit[places[status.member.unit_path]].append(status)
    units = Unit.objects.in_bulk(list(by_unit))
    keys = {f"{ALERT_PREFIX}{unit_id}": unit_id for unit_id in by_unit}
    open_alerts = {a.key: a for a in Alert.objects.filter(kind=AlertKind.TEST_OVERDUE, resolved_at__isnull=True,
                                                          key__startswith=ALERT_PREFIX)}
    resolved = 0
    for key in set(open_alerts) - set(keys):
        resolved += resolve_alerts(AlertKind.TEST_OVERDUE, key, now=now, note=_("已无逾期人员"))
    pending, updated = [], 0
    for key, unit_id in keys.items():
        title, detail = _alert_text(by_unit[unit_id])
        alert = open_alerts.get(key)
        if alert is None:
            pending.append(PendingAlert(unit=units[unit_id], key=key, title=title, detail=detail,
                                        subject=units[unit_id]))
        elif (alert.title, alert.detail) != (title, detail):
            updated += Alert.objects.filter(pk=alert.pk).update(title=title, detail=detail)
    raised = raise_alerts(AlertKind.TEST_OVERDUE, pending, now)
    return {"group_members_overdue": len(rows), "overdue_alerts_raised": len(raised),
            "overdue_alerts_updated": updated, "overdue_alerts_resolved": resolved}


# ---------------------------------------------------------------------------------------------
# Group members: add, end, import


def group_code(value, groups):
    """The group code for a code or a label of `groups` ({code: label}); None if unknown."""
    text = str(value or "").strip()
    if text in groups:
        return text
    return next((code for code, label in groups.items() if label == text), None)


def add_member(person, group, unit, since, user, *, until=None, note=""):
    """Put a person in a key group at `unit` (in the user's jurisdiction) from `since`."""
    groups = known_groups()
    errors = []
    if unit is None or not within(user, unit.path):
        errors.append(_("所在单位不存在或不在您的辖区内"))
    code = group_code(group, groups)
    if code is None:
        errors.append(_("未知的人群“%(group)s”（可用：%(groups)s）")
                      % {"group": group, "groups": "、".join(f"{label}（{c}）" for c, label in groups.items())})
    if since is None:
        errors.append(_("请填写起始日期"))
    elif until is not None and until < since:
        errors.append(_("截止日期（%(end)s）不能早于起始日期（%(start)s）")
                      % {"end": cn_date(until), "start": cn_date(since)})
    if errors:
        raise ValidationError(errors)
    open_member = GroupMember.objects.filter(person=person, group=code, unit=unit).filter(
        Q(until__isnull=True) | Q(until__gte=since))
    if open_member.exists():
        raise ValidationError(_("%(name)s 已在“%(group)s”人群中") % {"name": person.name, "group": groups[code]})
    member = GroupMember(person=person, group=code, unit=unit, since=since, until=until, note=(note or "")[:200],
                         created_by=user)
    member._history_user = user
    member.save()
    return member


def end_member(member, until, user):
    """End a membership on `until` (the last day it holds)."""
    if not within(user, member.unit_path):
        raise ValidationError(_("该人员不在您的辖区内"))
    if until < member.since:
        raise ValidationError(_("截止日期（%(end)s）不能早于起始日期（%(start)s）")
                              % {"end": cn_date(until), "start": cn_date(member.since)})
    member.until = until
    member._history_user = user
    member.save(update_fields=["until", "unit_path"])
    return member


MEMBER_COLUMNS = {
    "name": ("姓名",),
    "id_number": ("身份证号", "证件号码", "身份证号码", "公民身份号码"),
    "group": ("人群", "人群类别", "人员类别", "检测人群"),
    "since": ("起始日期", "开始日期", "纳入日期"),
    "until": ("截止日期", "结束日期"),
    "note": ("说明", "备注"),
}
MEMBER_HEADERS = {name: key for key, names in MEMBER_COLUMNS.items() for name in names}
MEMBER_REQUIRED = ("name", "id_number", "group", "since")


class MemberRowsError(Exception):
    """Some rows are bad; nothing was written. `errors` lists {row, column, message} in Chinese."""

    def __init__(self, errors):
        super().__init__(_("有%(n)s处错误，未导入任何人员。") % {"n": len(errors)})
        self.errors = errors


def _member_header(cells):
    mapping = {}
    for index, cell in enumerate(cells):
        key = MEMBER_HEADERS.get(normalise_header(cell))
        if key and key not in mapping:
            mapping[key] = index
    return mapping


def import_members(path, unit, user, today=None):
    """Key-group members from a sheet (姓名, 身份证号, 人群 as label or code, 起始日期; optional
    截止日期, 说明) at `unit`: every row is checked first, then all are written in one
    transaction or none. A row already there is left alone. Returns {rows, created, unchanged}."""
    today = today or timezone.localdate()
    if unit is None or not within(user, unit.path):
        raise MemberRowsError([{"row": None, "column": "", "message": _("所在单位不存在或不在您的辖区内")}])
    try:
        sheet = open_sheet(path, lambda cells: all(k in _member_header(cells) for k in MEMBER_REQUIRED))
    except LedgerError as error:
        message = str(error)
        if message.startswith("找不到表头"):
            message = _("找不到表头：表格中需要有「姓名」「身份证号」「人群」「起始日期」列")
        raise MemberRowsError([{"row": None, "column": "", "message": message}]) from None
    mapping = _member_header(sheet.header)
    headers = {key: cell_text(sheet.header[index]) for key, index in mapping.items()}
    groups = known_groups()
    rows, errors = [], []
    for row_no, cells in sheet.rows():
        cells = list(cells)
        if all(is_blank(cell) for cell in cells):
            continue

        def cell(key, cells=cells):
            index = mapping.get(key)
            return cells[index] if index is not None and index < len(cells) else None

        def fail(key, message, row_no=row_no):
            errors.append({"row": row_no, "column": headers.get(key, ""), "message": str(message)})

        name = cell_text(cell("name"))
        id_number = normalise(cell_text(cell("id_number")))
        if not name:
            fail("name", _("姓名不能为空"))
        if not id_number:
            fail("id_number", _("身份证号不能为空"))
        code = group_code(cell_text(cell("group")), groups)
        if code is None:
            fail("group", _("未知的人群“%(group)s”（可用：%(groups)s）") % {
                "group": cell_text(cell("group")), "groups": "、".join(groups.values())})
        dates = {}
        for key in ("since", "until"):
            raw = cell(key)
            if is_blank(raw):
                if key == "since":
                    fail(key, _("起始日期不能为空"))
                continue
            try:
                dates[key] = parse_date(raw, today=today + datetime.timedelta(days=366))
            except CellError as error:
                fail(key, error)
        if dates.get("until") and dates.get("since") and dates["until"] < dates["since"]:
            fail("until", _("截止日期不能早于起始日期"))
        rows.append({"row": row_no, "name": name, "id_number": id_number, "group": code,
                     "note": cell_text(cell("note"))[:200], **dates})
    if not rows and not errors:
        errors.append({"row": None, "column": "", "message": _("文件中没有数据行")})
    persons = {}
    wanted = [row["id_number"] for row in rows if row["id_number"]]
    for start in range(0, len(wanted), 1000):
        for person in Person.objects.filter(with_id_number(wanted[start:start + 1000])).order_by("is_provisional", "pk"):
            persons.setdefault(person.id_number, person)
    for row in rows:
        person = persons.get(row["id_number"])
        if row["id_number"] and person is None:
            errors.append({"row": row["row"], "column": headers["id_number"],
                           "message": _("身份证号未登记，请先在人员台账中登记")})
        elif person is not None and row["name"] and person.name != row["name"]:
            errors.append({"row": row["row"], "column": headers["name"],
                           "message": _("姓名与登记的“%(name)s”不一致") % {"name": person.name}})
    if errors:
        raise MemberRowsError(sorted(errors, key=lambda e: (e["row"] or 0)))
    existing = set(GroupMember.objects.filter(unit=unit, person__in=list(persons.values()))
                   .values_list("person_id", "group", "since"))
    created = []
    for row in rows:
        key = (persons[row["id_number"]].pk, row["group"], row["since"])
        if key in existing:
            continue
        existing.add(key)
        created.append(GroupMember(person=persons[row["id_number"]], group=row["group"], unit=unit,
                                   unit_path=unit.path, since=row["since"], until=row.get("until"),
                                   note=row["note"], created_by=user))
    with transaction.atomic():
        bulk_create_with_history(created, GroupMember, batch_size=1000, default_user=user)
    return {"rows": len(rows), "created": len(created), "unchanged": len(rows) - len(created)}
