"""The shape of a regimen document and of one rule in it (as written in YAML or stored in
`RegimenVersion.rules`), and its validation with Chinese messages that name the place of each
error, e.g. "close_contact.phases[1].days：必须是正整数".

A document::

    code: gongtian-2022                  # slug, unique; a changed regimen gets a new code
    name: 公田镇2022年春节期间疫情防控管控措施
    issuer: 公田镇疫情防控指挥部
    effective_from: 2022-01-10
    effective_to: null                   # open
    unit: null                           # unit code: only under that unit; null: everywhere
    source: "001:237 …"
    rules:
      high_risk_area: {…one rule…}

One rule::

    anchor: departure                    # last_exposure | departure | arrival | discharge | isolation_release
    fill_and_top_up: true                # 填平补齐: periods counted from the anchor (default false)
    phases:                              # in order, at least one
      - measure: centralized_isolation   # centralized_isolation | home_isolation |
        days: 14                         #   home_health_monitoring | daily_health_monitoring
        note: 县隔离点                   # optional words shown with the phase
      - measure: home_health_monitoring
        days: 7
        tests:                           # tests on days of this phase's period
          - {day: 2}                     # day k of the period (1 ≤ k ≤ days)
          - {day: 7, who: co_residents}  # who: person (default) | co_residents
          - {every: 2}                   # every n days: days 1, 1+n, 1+2n, … (optional from: first day)
    tests:                               # tests of the whole rule
      - {on_arrival: true}               # on the arrival date
      - {after_release: 7}               # last day of the last period + 7
    follow_up: {windows: [["08:00", "10:00"], ["16:00", "18:00"]]}   # checks per day = windows
    release_conditions: [all_tests_negative]   # and/or samples_negative (person/object/environment)
    team: {name: 五包一, roles: [镇干部, 村干部, 村医, 民警, 网格员], daily_sign_off: true, photo: true}
    notes: 出发前须持48小时内核酸检测阴性证明        # optional words for people and workers
    source: "001:237 …"                  # optional quote for this rule
"""

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fangkong.control.models import Anchor, Category, Measure, TestWho
from fangkong.lib.documents import Errors, as_date, unknown_keys

RELEASE_CONDITIONS = {
    "all_tests_negative": gettext_lazy("全部核酸检测阴性"),
    "samples_negative": gettext_lazy("人、物、环境样本均为阴性"),
}
DEFAULT_WINDOWS = (("08:00", "10:00"), ("16:00", "18:00"))
DEFAULT_RELEASE_CONDITIONS = ("all_tests_negative",)

RULE_KEYS = ("anchor", "fill_and_top_up", "phases", "tests", "follow_up", "release_conditions", "team", "notes",
             "source")
PHASE_KEYS = ("measure", "days", "note", "tests")
PHASE_TEST_KEYS = ("day", "every", "from", "who")
RULE_TEST_KEYS = ("on_arrival", "after_release", "who")
TEAM_KEYS = ("name", "roles", "daily_sign_off", "photo")
FOLLOW_UP_KEYS = ("windows",)
DOCUMENT_KEYS = ("code", "name", "issuer", "effective_from", "effective_to", "unit", "source", "rules")

RESERVED_CODES = ("import",)  # /control/regimens/import/ is the upload page
CODE_RE = re.compile(r"^[-a-zA-Z0-9_]+$")
TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _positive_int(value):
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _check_who(errors, place, test):
    who = test.get("who", TestWho.PERSON)
    if who not in TestWho.values:
        errors.add(f"{place}.who", _("必须是 person（本人）或 co_residents（共同居住人）"))


def _check_phase_test(errors, place, test, days):
    if not isinstance(test, dict):
        errors.add(place, _("必须是一个映射，如 {day: 2}"))
        return
    unknown_keys(errors, place, test, PHASE_TEST_KEYS)
    has_day, has_every = "day" in test, "every" in test
    if has_day == has_every:
        errors.add(place, _("必须且只能给出 day（第几天）或 every（每几天）之一"))
    if has_day:
        if not _positive_int(test["day"]):
            errors.add(f"{place}.day", _("必须是正整数"))
        elif _positive_int(days) and test["day"] > days:
            errors.add(f"{place}.day", _("超出本阶段天数（%(days)d天）") % {"days": days})
    if has_every:
        if not _positive_int(test["every"]):
            errors.add(f"{place}.every", _("必须是正整数"))
    if "from" in test:
        if not has_every:
            errors.add(f"{place}.from", _("只能与 every 一起使用"))
        elif not _positive_int(test["from"]):
            errors.add(f"{place}.from", _("必须是正整数"))
        elif _positive_int(days) and test["from"] > days:
            errors.add(f"{place}.from", _("超出本阶段天数（%(days)d天）") % {"days": days})
    _check_who(errors, place, test)


def _check_rule_test(errors, place, test):
    if not isinstance(test, dict):
        errors.add(place, _("必须是一个映射，如 {on_arrival: true} 或 {after_release: 7}"))
        return
    unknown_keys(errors, place, test, RULE_TEST_KEYS)
    has_arrival, has_release = "on_arrival" in test, "after_release" in test
    if has_arrival == has_release:
        errors.add(place, _("必须且只能给出 on_arrival（抵达时）或 after_release（解除后第几天）之一"))
    if has_arrival and test["on_arrival"] is not True:
        errors.add(f"{place}.on_arrival", _("只能是 true"))
    if has_release and not _positive_int(test["after_release"]):
        errors.add(f"{place}.after_release", _("必须是正整数"))
    _check_who(errors, place, test)


def _check_phase(errors, place, phase):
    if not isinstance(phase, dict):
        errors.add(place, _("必须是一个映射，如 {measure: centralized_isolation, days: 14}"))
        return
    unknown_keys(errors, place, phase, PHASE_KEYS)
    if phase.get("measure") not in Measure.values:
        errors.add(f"{place}.measure", _("必须是以下之一：%(values)s") % {"values": "、".join(Measure.values)})
    days = phase.get("days")
    if not _positive_int(days):
        errors.add(f"{place}.days", _("必须是正整数"))
    if "note" in phase and not isinstance(phase["note"], str):
        errors.add(f"{place}.note", _("必须是文字"))
    tests = phase.get("tests", [])
    if not isinstance(tests, list):
        errors.add(f"{place}.tests", _("必须是列表"))
        return
    for i, test in enumerate(tests):
        _check_phase_test(errors, f"{place}.tests[{i}]", test, days)


def _check_windows(errors, place, windows):
    if not isinstance(windows, list) or not windows:
        errors.add(place, _("必须是非空列表，如 [[\"08:00\", \"10:00\"], [\"16:00\", \"18:00\"]]"))
        return
    previous_end = None
    for i, window in enumerate(windows):
        here = f"{place}[{i}]"
        if not (isinstance(window, list) and len(window) == 2):
            errors.add(here, _("必须是 [开始, 结束] 两个时间，如 [\"08:00\", \"10:00\"]"))
            continue
        if not all(isinstance(t, str) for t in window):
            # YAML reads an unquoted 10:00 as the number 600.
            errors.add(here, _("时间须加引号，如 [\"08:00\", \"10:00\"]"))
            continue
        if not all(TIME_RE.match(t) for t in window):
            errors.add(here, _("时间格式应为 HH:MM（24小时制）"))
            continue
        start, end = window
        if start >= end:
            errors.add(here, _("结束时间必须晚于开始时间"))
        elif previous_end is not None and start < previous_end:
            errors.add(here, _("各时段须按时间先后排列且不重叠"))
        previous_end = end


def _check_team(errors, place, team):
    if not isinstance(team, dict):
        errors.add(place, _("必须是一个映射，如 {name: 五包一, roles: [镇干部, 村干部]}"))
        return
    unknown_keys(errors, place, team, TEAM_KEYS)
    if "name" in team and not isinstance(team["name"], str):
        errors.add(f"{place}.name", _("必须是文字"))
    roles = team.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(r, str) and r.strip() for r in roles):
        errors.add(f"{place}.roles", _("必须是职责名称的列表"))
    for key in ("daily_sign_off", "photo"):
        if key in team and not isinstance(team[key], bool):
            errors.add(f"{place}.{key}", _("只能是 true 或 false"))


def check_rule(rule, place, errors):
    if not isinstance(rule, dict):
        errors.add(place, _("必须是一个映射（anchor、phases 等）"))
        return
    unknown_keys(errors, place, rule, RULE_KEYS)
    if rule.get("anchor") not in Anchor.values:
        errors.add(f"{place}.anchor", _("必须是以下之一：%(values)s") % {"values": "、".join(Anchor.values)})
    if "fill_and_top_up" in rule and not isinstance(rule["fill_and_top_up"], bool):
        errors.add(f"{place}.fill_and_top_up", _("只能是 true 或 false"))
    phases = rule.get("phases")
    if not isinstance(phases, list) or not phases:
        errors.add(f"{place}.phases", _("必须是至少包含一个阶段的列表"))
    else:
        for i, phase in enumerate(phases):
            _check_phase(errors, f"{place}.phases[{i}]", phase)
    tests = rule.get("tests", [])
    if not isinstance(tests, list):
        errors.add(f"{place}.tests", _("必须是列表"))
    else:
        for i, test in enumerate(tests):
            _check_rule_test(errors, f"{place}.tests[{i}]", test)
    if "follow_up" in rule:
        follow_up = rule["follow_up"]
        if not isinstance(follow_up, dict):
            errors.add(f"{place}.follow_up", _("必须是一个映射，如 {windows: [[\"08:00\", \"10:00\"]]}"))
        else:
            unknown_keys(errors, f"{place}.follow_up", follow_up, FOLLOW_UP_KEYS)
            if "windows" in follow_up:
                _check_windows(errors, f"{place}.follow_up.windows", follow_up["windows"])
    if "release_conditions" in rule:
        conditions = rule["release_conditions"]
        if not isinstance(conditions, list) or not all(c in RELEASE_CONDITIONS for c in conditions):
            errors.add(f"{place}.release_conditions",
                       _("必须是以下值的列表：%(values)s") % {"values": "、".join(RELEASE_CONDITIONS)})
    if "team" in rule:
        _check_team(errors, f"{place}.team", rule["team"])
    for key in ("notes", "source"):
        if key in rule and not isinstance(rule[key], str):
            errors.add(f"{place}.{key}", _("必须是文字"))


def validate_rule(rule, place="rule"):
    """Raise ValidationError listing every problem of one rule; return the rule."""
    errors = Errors()
    check_rule(rule, place, errors)
    errors.raise_if_any()
    return rule


def validate_document(doc):
    """Validate a whole regimen document and return it normalised: dates as `date`, text
    stripped, `rules` with the categories in their canonical order. Raises ValidationError
    with every problem found."""
    errors = Errors()
    if not isinstance(doc, dict):
        errors.add("", _("方案文件必须是一个映射（code、name、rules 等）"))
        errors.raise_if_any()
    unknown_keys(errors, "", doc, DOCUMENT_KEYS)
    code = doc.get("code")
    if not isinstance(code, str) or not CODE_RE.match(code) or len(code) > 40:
        errors.add("code", _("必须是不超过40个字符的编码（字母、数字、-、_）"))
    elif code in RESERVED_CODES:
        errors.add("code", _("“%(code)s”是保留字，请换一个编码") % {"code": code})
    name = doc.get("name")
    if not isinstance(name, str) or not name.strip():
        errors.add("name", _("必须填写方案名称"))
    elif len(name.strip()) > 100:
        errors.add("name", _("不能超过100个字"))
    for key, limit in (("issuer", 100), ("source", None)):
        value = doc.get(key)
        if value is not None and not isinstance(value, str):
            errors.add(key, _("必须是文字"))
        elif limit and value and len(value) > limit:
            errors.add(key, _("不能超过%(limit)d个字") % {"limit": limit})
    unit = doc.get("unit")
    if unit is not None and not isinstance(unit, str | int):
        errors.add("unit", _("必须是单位编码"))
    effective_from = as_date(errors, "effective_from", doc.get("effective_from"), required=True)
    effective_to = as_date(errors, "effective_to", doc.get("effective_to"), required=False)
    if effective_from and effective_to and effective_to < effective_from:
        errors.add("effective_to", _("废止日期不能早于生效日期"))
    rules = doc.get("rules")
    ordered = {}
    if not isinstance(rules, dict) or not rules:
        errors.add("rules", _("必须至少为一类人员给出管控规则"))
    else:
        for category, rule in rules.items():
            if category not in Category.values:
                errors.add(f"rules.{category}",
                           _("未知的人员类别（可用：%(values)s）") % {"values": "、".join(Category.values)})
                continue
            check_rule(rule, category, errors)
        ordered = {c: rules[c] for c in Category.values if c in rules}
    errors.raise_if_any()
    return {
        "code": code,
        "name": name.strip(),
        "issuer": (doc.get("issuer") or "").strip(),
        "effective_from": effective_from,
        "effective_to": effective_to,
        "unit": None if unit in (None, "") else str(unit),
        "source": (doc.get("source") or "").strip(),
        "rules": ordered,
    }


def canonical_rule(rule):
    """The rule with its keys in the documented order (PostgreSQL's jsonb does not keep key
    order), so exports read the same from either database."""

    def ordered(mapping, keys):
        return {k: mapping[k] for k in keys if k in mapping}

    out = ordered(rule, RULE_KEYS)
    if "phases" in out:
        out["phases"] = [
            {**ordered(p, PHASE_KEYS), **({"tests": [ordered(t, PHASE_TEST_KEYS) for t in p["tests"]]}
                                           if "tests" in p else {})}
            for p in out["phases"]
        ]
    if "tests" in out:
        out["tests"] = [ordered(t, RULE_TEST_KEYS) for t in out["tests"]]
    if "team" in out:
        out["team"] = ordered(out["team"], TEAM_KEYS)
    return out
