"""Testing frequency of key groups: the presets, the rule for a member (deepest wins), the due
and overdue maths of each preset, and rule documents in and out as YAML."""

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from fangkong.control.models import CaseTest, TestStatus
from fangkong.control.testing import local, make_case
from fangkong.orgs.services import add_unit
from fangkong.testing.models import FrequencyRule, GroupMember
from fangkong.testing.services.frequency import (
    due_date,
    export_rule_yaml,
    import_rule_yaml,
    member_statuses,
    overdue,
    rule_for,
    rules_in_force,
    validate_rule,
)
from fangkong.testing.tests.test_coverage_support import DAY, make_people, make_round, member, sample

D = datetime.timedelta


def test_presets_are_loaded_by_migrate_with_their_source(db):
    gongtian = FrequencyRule.objects.get(code="gongtian-2022-key-groups")
    assert [(g["code"], g["times"], g["days"]) for g in gongtian.groups] == [
        ("high_risk_post", 1, 2), ("other_staff", 2, 7), ("staff_family", 1, 7)]
    assert "001:237" in gongtian.source and "每隔1天進行1次核酸檢測" in gongtian.source
    cold = FrequencyRule.objects.get(code="cold-chain-2020")
    assert cold.groups == [{"code": "cold_chain", "label": "冷链物流从业人员", "times": 1, "days": 7}]
    assert "003:119" in cold.source and cold.is_preset


@pytest.mark.parametrize("tests, times, days, since, due", [
    ([], 1, 2, DAY, DAY),                                    # never tested: due since joining
    ([DAY], 1, 2, DAY - D(30), DAY + D(2)),                  # every other day: tested day 10, due day 12
    ([DAY, DAY - D(3)], 2, 7, DAY - D(30), DAY + D(4)),      # twice a week: second latest + 7
    ([DAY], 2, 7, DAY - D(30), DAY + D(7)),                  # one test of two: the oldest + 7
    ([DAY - D(1)], 1, 7, DAY - D(30), DAY + D(6)),           # weekly
    ([DAY - D(60)], 1, 7, DAY - D(3), DAY - D(3)),           # tested long before joining
])
def test_due_date(tests, times, days, since, due):
    assert due_date(tests, times, days, since) == due


@pytest.fixture
def workplace(triad):
    county = triad.county
    company = add_unit(county.town, code="C-LL", name="冷链公司", type="company")
    return company, make_people(county.river, 4)


def statuses_on(day):
    return {s.member.person.name: s for s in member_statuses(GroupMember.objects.all(), day)}


def test_overdue_maths_for_each_preset(triad, workplace):
    company, (post, staff, family, cold) = workplace
    since = DAY - D(20)
    member(post, company, "high_risk_post", since=since)
    member(staff, company, "other_staff", since=since)
    member(family, company, "staff_family", since=since)
    member(cold, company, "cold_chain", since=since)
    testing_round = make_round(triad.county.town, starts_on=DAY - D(10), ends_on=DAY)
    sample(testing_round, [post], at=local(DAY - D(3), datetime.time(9)))          # every other day: due day 9
    sample(testing_round, [staff], at=local(DAY - D(6), datetime.time(9)))
    sample(testing_round, [staff], at=local(DAY - D(2), datetime.time(9)))         # 2 in 7: due day 11
    sample(testing_round, [family], at=local(DAY - D(8), datetime.time(9)))        # weekly: due day 9
    sample(testing_round, [cold], at=local(DAY - D(7), datetime.time(9)))          # weekly: due today

    found = statuses_on(DAY)
    assert (found[post.name].due_on, found[post.name].days_overdue) == (DAY - D(1), 1)
    assert (found[staff.name].due_on, found[staff.name].days_overdue) == (DAY + D(1), -1)
    assert (found[family.name].due_on, found[family.name].days_overdue) == (DAY - D(1), 1)
    assert (found[cold.name].due_on, found[cold.name].days_overdue) == (DAY, 0)
    assert found[cold.name].rule.code == "cold-chain-2020"
    names = [s.member.person.name for s in overdue(GroupMember.objects.all(), DAY)]
    assert sorted(names) == sorted([post.name, family.name])
    with_today = overdue(GroupMember.objects.all(), DAY, include_due_today=True)
    assert cold.name in [s.member.person.name for s in with_today]


def test_a_done_control_case_test_counts_as_a_test(triad, workplace):
    company, (post, *_rest) = workplace
    member(post, company, "high_risk_post", since=DAY - D(20))
    case = make_case(post)
    CaseTest.objects.create(case=case, due_on=DAY - D(1), status=TestStatus.DONE,
                            done_at=local(DAY - D(1), datetime.time(8)))
    assert statuses_on(DAY)[post.name].due_on == DAY + D(1)


def test_deepest_rule_in_force_wins(triad, workplace):
    company, _people = workplace
    import_rule_yaml(f"""
code: town-cold-chain
version: 1
name: 城关镇冷链从业人员加密检测
unit: "{triad.county.town.code}"
effective_from: 2022-04-01
groups:
  - {{code: cold_chain, label: 冷链物流从业人员, times: 1, days: 3}}
""")
    rules = rules_in_force(DAY)
    rule, group = rule_for(company.path, "cold_chain", rules)
    assert rule.code == "town-cold-chain" and group["days"] == 3
    rule, group = rule_for(triad.county.river.path, "cold_chain", rules)
    assert rule.code == "cold-chain-2020" and group["days"] == 7
    assert rule_for(company.path, "unknown", rules) == (None, None)
    assert rule_for(company.path, "cold_chain", rules_in_force(datetime.date(2022, 3, 1)))[0].code == "cold-chain-2020"


def test_rule_document_errors_are_listed_in_chinese_with_their_place(db):
    with pytest.raises(ValidationError) as raised:
        validate_rule({"code": "bad code", "version": 0, "effective_from": "2022-13-01", "unit": "NOPE",
                       "groups": [{"code": "a", "label": "甲", "times": 0, "days": 2},
                                  {"code": "a", "label": "", "times": 1, "days": "7", "every": 1}],
                       "colour": "red"})
    messages = raised.value.messages
    for expected in ["colour：未知的字段", "code：必须是不超过40个字符的编码", "version：版本号必须是不小于1的整数",
                     "name：必须填写", "unit：单位编码 \"NOPE\" 不存在", "effective_from：日期格式应为 YYYY-MM-DD",
                     "groups[0].times：检测次数必须是1到10之间的整数", "groups[1].days：天数必须是1到366之间的整数",
                     "groups[1].code：人群编码 \"a\" 重复", "groups[1].every：未知的字段", "groups[1].label：必须填写"]:
        assert any(message.startswith(expected) for message in messages), expected


def test_yaml_syntax_error_names_line_and_column(db):
    with pytest.raises(ValidationError) as raised:
        import_rule_yaml("code: x\ngroups: [\n")
    assert "第" in raised.value.messages[0] and "行" in raised.value.messages[0]


def test_export_then_import_makes_a_new_version(db):
    rule = FrequencyRule.objects.get(code="cold-chain-2020")
    text = export_rule_yaml(rule)
    with pytest.raises(ValidationError, match="已有第1版"):
        import_rule_yaml(text)
    again = import_rule_yaml(text.replace("version: 1", "version: 2"))
    assert (again.version, again.groups, again.source) == (2, rule.groups, rule.source)


def test_command_lists_imports_and_exports_rules(db, tmp_path, capsys):
    call_command("testing", "frequency-list", "--json")
    rows = json.loads(capsys.readouterr().out)
    assert {row["code"] for row in rows} >= {"gongtian-2022-key-groups", "cold-chain-2020"}
    out = tmp_path / "rule.yaml"
    call_command("testing", "frequency-export", "gongtian-2022-key-groups", "-o", str(out))
    out.write_text(out.read_text(encoding="utf-8").replace("version: 1", "version: 2"), encoding="utf-8")
    call_command("testing", "frequency-import", str(out))
    assert "第2版" in capsys.readouterr().out
    assert FrequencyRule.objects.filter(code="gongtian-2022-key-groups").count() == 2
    out.write_text("code: x\nversion: 1\n", encoding="utf-8")
    with pytest.raises(CommandError, match="name：必须填写"):
        call_command("testing", "frequency-import", str(out))
    with pytest.raises(CommandError, match="频次规则不存在"):
        call_command("testing", "frequency-export", "nope")
