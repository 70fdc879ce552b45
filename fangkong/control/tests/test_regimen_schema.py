"""A regimen document or rule that is not well formed is refused with Chinese messages that
name the place of each error."""

import pytest
from django.core.exceptions import ValidationError

from fangkong.control.regimens.schema import validate_document, validate_rule


def messages(call):
    with pytest.raises(ValidationError) as error:
        call()
    return error.value.messages


def document(**changes):
    doc = {
        "code": "test-2022",
        "name": "测试方案",
        "effective_from": "2022-01-10",
        "rules": {"close_contact": {"anchor": "last_exposure", "phases": [
            {"measure": "centralized_isolation", "days": 14}]}},
    }
    doc.update(changes)
    return doc


def test_a_good_document_is_normalised():
    doc = validate_document(document(effective_to="2022-03-01", issuer=" 指挥部 "))
    assert str(doc["effective_from"]) == "2022-01-10" and str(doc["effective_to"]) == "2022-03-01"
    assert doc["issuer"] == "指挥部" and doc["unit"] is None


def test_errors_name_the_place():
    rule = {"anchor": "last_exposure", "phases": [
        {"measure": "centralized_isolation", "days": 14},
        {"measure": "home_health_monitoring", "days": 0},
    ]}
    assert messages(lambda: validate_document(document(rules={"close_contact": rule}))) == [
        "close_contact.phases[1].days：必须是正整数"
    ]


def test_every_error_is_reported_at_once():
    rule = {
        "anchor": "yesterday",
        "fill_and_top_up": "yes",
        "phases": [{"measure": "quarantine", "days": 7, "tests": [{"day": 9}, {"day": 1, "every": 2},
                                                                   {"day": 2, "who": "family"}]}],
        "tests": [{"after_release": -1}, {"on_arrival": False}, {}],
        "follow_up": {"windows": [["10:00", "08:00"], ["25:00", "26:00"]]},
        "release_conditions": ["all_tests_negative", "prayer"],
        "team": {"roles": "村干部", "daily_sign_off": "yes"},
        "colour": "red",
    }
    found = messages(lambda: validate_rule(rule, "close_contact"))
    for expected in [
        "close_contact.colour：未知的字段",
        "close_contact.anchor：必须是以下之一",
        "close_contact.fill_and_top_up：只能是 true 或 false",
        "close_contact.phases[0].measure：必须是以下之一",
        "close_contact.phases[0].tests[0].day：超出本阶段天数（7天）",
        "close_contact.phases[0].tests[1]：必须且只能给出 day（第几天）或 every（每几天）之一",
        "close_contact.phases[0].tests[2].who：必须是 person（本人）或 co_residents（共同居住人）",
        "close_contact.tests[0].after_release：必须是正整数",
        "close_contact.tests[1].on_arrival：只能是 true",
        "close_contact.tests[2]：必须且只能给出 on_arrival",
        "close_contact.follow_up.windows[0]：结束时间必须晚于开始时间",
        "close_contact.follow_up.windows[1]：时间格式应为 HH:MM（24小时制）",
        "close_contact.release_conditions：必须是以下值的列表",
        "close_contact.team.roles：必须是职责名称的列表",
        "close_contact.team.daily_sign_off：只能是 true 或 false",
    ]:
        assert any(message.startswith(expected) for message in found), (expected, found)


def test_a_rule_needs_phases():
    assert messages(lambda: validate_rule({"anchor": "arrival", "phases": []}, "inbound")) == [
        "inbound.phases：必须是至少包含一个阶段的列表"
    ]


def test_document_fields_are_checked():
    found = messages(lambda: validate_document({
        "code": "有 空格", "name": "", "effective_from": "2022-02-30", "effective_to": "2022-01-01",
        "rules": {"aliens": {}}, "extra": 1,
    }))
    assert "code：必须是不超过40个字符的编码（字母、数字、-、_）" in found
    assert "name：必须填写方案名称" in found
    assert "effective_from：日期格式应为 YYYY-MM-DD" in found
    assert any(m.startswith("rules.aliens：未知的人员类别") for m in found)
    assert any(m.startswith("extra：未知的字段") for m in found)


def test_effective_to_not_before_effective_from():
    assert messages(lambda: validate_document(document(effective_to="2022-01-09"))) == [
        "effective_to：废止日期不能早于生效日期"
    ]


def test_a_document_needs_rules_and_no_reserved_code():
    assert "rules：必须至少为一类人员给出管控规则" in messages(lambda: validate_document(document(rules={})))
    assert any("保留字" in m for m in messages(lambda: validate_document(document(code="import"))))


def test_a_yaml_document_must_be_a_mapping():
    assert messages(lambda: validate_document(["code"])) == ["方案文件必须是一个映射（code、name、rules 等）"]
