"""Report forms as data: validation of a form document (the YAML of a form, or what the admin
saves), and forms in and out as YAML. A form is never changed in place: importing a form under
an existing code makes a new, higher version, so filings keep the version they were filed on."""

import re

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from fangkong.lib.documents import Errors, as_date, parse_yaml, unknown_keys
from fangkong.orgs.models import UnitType

from ..models import ItemKind, Period, ReportForm
from .sources import SOURCES

FIELDS = ("code", "version", "name", "period", "effective_from", "effective_to", "unit_types", "deadlines",
          "lock_after_days", "items", "rules", "source")
ITEM_KEYS = ("code", "label", "unit", "kind", "source", "measure", "params", "accumulate", "numerator",
             "denominator")
COMPUTED_ONLY = ("source", "measure", "params")
RATIO_ONLY = ("numerator", "denominator")
STORAGE_KEY = "slot"
RULE_KEYS = {"sum": ("type", "total", "parts"), "max_population": ("type", "items")}
CODE_RE = re.compile(r"^[-a-zA-Z0-9_]+$")
TIME_RE = re.compile(r"^(\d{2}):(\d{2})$")


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


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


def _check_time(errors, place, value):
    # Unquoted 14:00 is read by YAML 1.1 as the number 840, hence the hint about quotes.
    match = TIME_RE.match(value) if isinstance(value, str) else None
    if match is None:
        errors.add(place, _("截止时间必须写成带引号的 \"HH:MM\"，如 \"14:00\""))
        return
    hours, minutes = int(match[1]), int(match[2])
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        errors.add(place, _("截止时间必须在 00:00 至 24:00 之间"))


def _unit_types(errors, value):
    if not isinstance(value, list) or not value:
        errors.add("unit_types", _("必须列出至少一种填报单位类型"))
        return []
    for i, unit_type in enumerate(value):
        if unit_type not in UnitType.values:
            errors.add(f"unit_types[{i}]", _("未知的单位类型 \"%(value)s\"（可用：%(values)s）")
                       % {"value": unit_type, "values": "、".join(UnitType.values)})
        elif unit_type in value[:i]:
            errors.add(f"unit_types[{i}]", _("单位类型 \"%(value)s\" 重复") % {"value": unit_type})
    return list(value)


def _deadlines(errors, value):
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.add("deadlines", _("必须是“单位类型: \"HH:MM\"”的映射"))
        return {}
    for key, time in value.items():
        if key != "*" and key not in UnitType.values:
            errors.add(f"deadlines.{key}",
                       _("未知的单位类型（可用：%(values)s 或 *）") % {"values": "、".join(UnitType.values)})
        _check_time(errors, f"deadlines.{key}", time)
    return dict(value)


def _item(errors, place, item):
    """The item with its keys in the documented order and the default measure filled in. A
    number item's "slot" (its storage column, given by `ReportForm.assign_slots`) is never taken
    from a document: a slot carried over to another item would add up two different things."""
    if not isinstance(item, dict):
        errors.add(place, _("每个项目必须是一个映射（code、label、kind …）"))
        return None
    unknown_keys(errors, place, [key for key in item if key != STORAGE_KEY], ITEM_KEYS)
    code = item.get("code")
    if not isinstance(code, str) or not CODE_RE.match(code) or len(code) > 40:
        errors.add(f"{place}.code", _("必须是不超过40个字符的编码（字母、数字、-、_）"))
    label = _text(errors, f"{place}.label", item.get("label"), 100)
    unit = _text(errors, f"{place}.unit", item.get("unit"), 10, required=False)
    kind = item.get("kind")
    if kind not in ItemKind.values:
        errors.add(f"{place}.kind", _("必须是 computed（系统统计）、number（手工填报数字）、text（手工填报文字）"
                                      "或 ratio（比率）"))
    cleaned = {"code": code, "label": label}
    if unit:
        if kind == ItemKind.RATIO:
            errors.add(f"{place}.unit", _("比率项目按百分数显示，不能设置单位"))
        cleaned["unit"] = unit
    cleaned["kind"] = kind
    if kind == ItemKind.COMPUTED:
        cleaned.update(_computed(errors, place, item))
    elif kind in ItemKind.values:
        for key in COMPUTED_ONLY:
            if key in item:
                errors.add(f"{place}.{key}", _("只有系统统计项目（computed）才能设置"))
    if kind == ItemKind.RATIO:
        for key in RATIO_ONLY:
            if not isinstance(item.get(key), str) or not item[key]:
                errors.add(f"{place}.{key}", _("比率项目必须写明分子和分母（numerator、denominator：项目编码）"))
            cleaned[key] = item.get(key)
    elif kind in ItemKind.values:
        for key in RATIO_ONLY:
            if key in item:
                errors.add(f"{place}.{key}", _("只有比率项目（ratio）才能设置"))
    if "accumulate" in item:
        if kind != ItemKind.NUMBER:
            errors.add(f"{place}.accumulate", _("只有手工填报数字项目（number）才能累计"))
        elif not isinstance(item["accumulate"], bool):
            errors.add(f"{place}.accumulate", _("必须是 true 或 false"))
        elif item["accumulate"]:
            cleaned["accumulate"] = True
    return cleaned


def _computed(errors, place, item):
    """The source, measure and params of a computed item, checked against its source."""
    src = SOURCES.get(item.get("source"))
    params = item.get("params")
    if params is not None and not isinstance(params, dict):
        errors.add(f"{place}.params", _("必须是一个映射"))
        params = None
    if src is None:
        errors.add(f"{place}.source", _("未知的数据来源 \"%(value)s\"（可用：%(values)s）")
                   % {"value": item.get("source"), "values": "、".join(SOURCES)})
        measure = item.get("measure")
    else:
        measure = item.get("measure") or src.measures[-1]
        if measure not in src.measures:
            errors.add(f"{place}.measure", _("数据来源 \"%(source)s\" 只能统计 %(values)s")
                       % {"source": src.code, "values": "、".join(src.measures)})
        if src.fields and (params or {}).get("field") not in src.fields:
            errors.add(f"{place}.params.field",
                       _("数据来源 \"%(source)s\" 须用 params.field 选定统计哪一项（可用：%(values)s）")
                       % {"source": src.code, "values": "、".join(src.fields)})
    cleaned = {"source": item.get("source"), "measure": measure}
    if params:
        cleaned["params"] = params
    return cleaned


def _ratio_operands(errors, items):
    """A ratio's numerator and denominator must be computed items of this form with one number
    each, so that the ratio is worked out of figures counted the same way for every unit."""
    by_code = {item["code"]: item for item in items if isinstance(item.get("code"), str)}
    for i, item in enumerate(items):
        if item.get("kind") != ItemKind.RATIO:
            continue
        for key in RATIO_ONLY:
            code = item.get(key)
            if not isinstance(code, str) or not code:
                continue
            operand = by_code.get(code)
            if operand is None:
                errors.add(f"items[{i}].{key}", _("未知的项目 \"%(code)s\"") % {"code": code})
            elif operand.get("kind") != ItemKind.COMPUTED or not single_number(operand):
                errors.add(f"items[{i}].{key}", _("项目 \"%(code)s\" 必须是只有一个数的系统统计项目"
                                                  "（measure 为 new、cumulative 或 current）") % {"code": code})
        if item.get("numerator") and item.get("numerator") == item.get("denominator"):
            errors.add(f"items[{i}].denominator", _("分母不能与分子是同一个项目"))


def _items(errors, value):
    if not isinstance(value, list) or not value:
        errors.add("items", _("必须列出至少一个填报项目"))
        return []
    items = []
    seen = set()
    for i, item in enumerate(value):
        cleaned = _item(errors, f"items[{i}]", item)
        if cleaned is None:
            continue
        code = cleaned["code"]
        if isinstance(code, str) and code in seen:
            errors.add(f"items[{i}].code", _("项目编码 \"%(code)s\" 重复") % {"code": code})
        seen.add(code)
        items.append(cleaned)
    _ratio_operands(errors, items)
    return items


def single_number(item):
    """Whether an item has one number per filing (a sum rule can use it)."""
    if item["kind"] == ItemKind.NUMBER:
        return True
    return item["kind"] == ItemKind.COMPUTED and item.get("measure") in ("new", "cumulative", "current")


def _rule_item(errors, place, code, by_code, check, wrong):
    item = by_code.get(code) if isinstance(code, str) else None
    if item is None:
        errors.add(place, _("未知的项目 \"%(code)s\"") % {"code": code})
    elif not check(item):
        errors.add(place, wrong % {"code": code})


def _rules(errors, value, items):
    if value is None:
        return []
    if not isinstance(value, list):
        errors.add("rules", _("必须是校验规则的列表"))
        return []
    by_code = {item["code"]: item for item in items if isinstance(item.get("code"), str)}
    cleaned = []
    for i, rule in enumerate(value):
        place = f"rules[{i}]"
        if not isinstance(rule, dict) or rule.get("type") not in RULE_KEYS:
            errors.add(f"{place}.type", _("规则类型必须是 sum（分项之和）或 max_population（不超过登记人口）"))
            continue
        cleaned.append({key: rule[key] for key in RULE_KEYS[rule["type"]] if key in rule})
        unknown_keys(errors, place, rule, RULE_KEYS[rule["type"]])
        if rule["type"] == "sum":
            wrong = _("项目 \"%(code)s\" 必须是数字项目或只有一个数的系统统计项目")
            _rule_item(errors, f"{place}.total", rule.get("total"), by_code, single_number, wrong)
            parts = rule.get("parts")
            if not isinstance(parts, list) or not parts:
                errors.add(f"{place}.parts", _("必须列出至少一个分项"))
                continue
            for j, code in enumerate(parts):
                _rule_item(errors, f"{place}.parts[{j}]", code, by_code, single_number, wrong)
                if code == rule.get("total"):
                    errors.add(f"{place}.parts[{j}]", _("分项不能是合计项本身"))
        else:
            codes = rule.get("items")
            if not isinstance(codes, list) or not codes:
                errors.add(f"{place}.items", _("必须列出至少一个项目"))
                continue
            wrong = _("项目 \"%(code)s\" 必须是手工填报数字项目（number）")
            for j, code in enumerate(codes):
                _rule_item(errors, f"{place}.items[{j}]", code, by_code,
                           lambda item: item["kind"] == ItemKind.NUMBER, wrong)
    return cleaned


def validate_form(doc):
    """The form document cleaned to the model's fields; raises ValidationError with Chinese
    messages that name the place of the error (every problem found, not just the first)."""
    errors = Errors()
    if not isinstance(doc, dict):
        errors.add("", _("报表文件必须是一个映射（code、name、items 等）"))
        errors.raise_if_any()
    unknown_keys(errors, "", doc, FIELDS)
    code = doc.get("code")
    if not isinstance(code, str) or not CODE_RE.match(code) or len(code) > 40:
        errors.add("code", _("必须是不超过40个字符的编码（字母、数字、-、_）"))
    version = doc.get("version")
    if not _is_int(version) or version < 1:
        errors.add("version", _("版本号必须是不小于1的整数"))
    name = _text(errors, "name", doc.get("name"), 100)
    period = doc.get("period", Period.DAILY)
    if period not in Period.values:
        errors.add("period", _("报送周期必须是 daily（每日）或 weekly（每周）"))
    unit_types = _unit_types(errors, doc.get("unit_types"))
    deadlines = _deadlines(errors, doc.get("deadlines"))
    lock_after_days = doc.get("lock_after_days", 3)
    if not _is_int(lock_after_days) or lock_after_days < 0:
        errors.add("lock_after_days", _("锁定天数必须是不小于0的整数"))
    effective_from = as_date(errors, "effective_from", doc.get("effective_from"), required=True)
    effective_to = as_date(errors, "effective_to", doc.get("effective_to"), required=False)
    if effective_from and effective_to and effective_to < effective_from:
        errors.add("effective_to", _("废止日期不能早于生效日期"))
    items = _items(errors, doc.get("items"))
    rules = _rules(errors, doc.get("rules"), items)
    source = _text(errors, "source", doc.get("source"), None, required=False)
    errors.raise_if_any()
    return {
        "code": code, "version": version, "name": name, "period": period, "effective_from": effective_from,
        "effective_to": effective_to, "unit_types": unit_types, "deadlines": deadlines,
        "lock_after_days": lock_after_days, "items": items, "rules": rules, "source": source,
    }


def form_document(form):
    """A saved form as the document `validate_form` returns (keys in the documented order, as
    PostgreSQL's jsonb does not keep them)."""
    return validate_form({field: getattr(form, field) for field in FIELDS})


def load_form_yaml(text):
    """Parse and validate a form document; ValidationError (Chinese, with the line of a YAML
    syntax error or the place of each problem) if it is not one."""
    doc = parse_yaml(text)
    return validate_form(doc)


def import_form_yaml(text, user=None):
    """A new form version from YAML; under an existing code the version must be higher than
    every version there is. Returns the ReportForm."""
    doc = load_form_yaml(text)
    with transaction.atomic():
        # Lock the code's versions so two imports cannot both take the next number.
        latest = ReportForm.objects.select_for_update().filter(code=doc["code"]).aggregate(top=Max("version"))["top"]
        if latest is not None and doc["version"] <= latest:
            raise ValidationError(
                _("version：报表 \"%(code)s\" 已有第%(latest)d版，新版本号必须大于%(latest)d")
                % {"code": doc["code"], "latest": latest}, code="version")
        form = ReportForm(**doc)
        if user is not None:
            form._history_user = user
        form.save()
    return form


class _Dumper(yaml.SafeDumper):
    """Items and rules one per line in flow style, as the presets are written; the rest in
    block style."""

    def represent_dict(self, data):
        flow = "kind" in data or "type" in data
        return self.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=flow)

    def represent_list(self, data):
        flow = bool(data) and all(not isinstance(v, dict | list) for v in data)
        return self.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(dict, _Dumper.represent_dict)
_Dumper.add_representer(list, _Dumper.represent_list)


def export_form_yaml(form):
    """The form version as YAML text that `import_form_yaml` reads back to the same form."""
    return yaml.dump(form_document(form), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000)
