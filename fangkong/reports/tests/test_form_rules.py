"""Report forms as data: what a form document must hold, the Chinese messages naming the place
of each problem, new versions by import, and YAML that imports back to the same form."""

import copy

import pytest
import yaml
from django.core.exceptions import ValidationError

from fangkong.reports.models import Filing, ReportForm
from fangkong.reports.services.form_rules import (
    export_form_yaml,
    form_document,
    import_form_yaml,
    load_form_yaml,
    validate_form,
)
from fangkong.reports.services.presets import preset_forms

pytestmark = pytest.mark.django_db


@pytest.fixture
def doc():
    return copy.deepcopy(next(form for form in preset_forms() if form["code"] == "daily"))


def problems(doc):
    with pytest.raises(ValidationError) as error:
        validate_form(doc)
    return error.value.messages


def test_the_preset_daily_form_is_valid_and_fills_nothing_it_did_not_say(doc):
    assert doc["code"] == "daily" and doc["version"] == 1 and doc["unit_types"] == ["village", "school", "company"]
    assert doc["deadlines"]["village"] == "14:00" and doc["lock_after_days"] == 3
    assert set(doc) == {"code", "version", "name", "period", "effective_from", "effective_to", "unit_types",
                        "deadlines", "lock_after_days", "items", "rules", "source"}
    assert validate_form(doc) == doc


def test_unknown_source_and_measure_name_the_item(doc):
    doc["items"][3]["source"] = "xxx"
    doc["items"][8]["measure"] = "both"  # under_control: a source of records in force counts only 在管
    assert problems(doc) == [
        'items[3].source：未知的数据来源 "xxx"（可用：screened_persons、screened_households、flagged_persons、'
        'leads_received、key_persons、key_persons_current、released、follow_up_anomalies、tests_done、tests_positive、'
        'samples_taken、samples_positive、samples_pending、round_coverage、vaccination）',
        'items[8].measure：数据来源 "key_persons_current" 只能统计 current',
    ]


def test_a_computed_item_without_a_measure_gets_the_source_default(doc):
    del doc["items"][0]["measure"]
    del doc["items"][8]["measure"]
    cleaned = validate_form(doc)
    assert cleaned["items"][0]["measure"] == "both" and cleaned["items"][8]["measure"] == "current"


def test_item_codes_kinds_and_keys(doc):
    doc["items"][1]["code"] = "screened_persons"
    doc["items"][2]["kind"] = "formula"
    doc["items"][19]["source"] = "tests_done"
    doc["items"][20]["colour"] = "red"
    doc["items"][21]["code"] = "带 空格"
    found = problems(doc)
    assert 'items[1].code：项目编码 "screened_persons" 重复' in found
    assert "items[2].kind：必须是 computed（系统统计）、number（手工填报数字）、text（手工填报文字）或 ratio（比率）" in found
    assert "items[19].source：只有系统统计项目（computed）才能设置" in found
    assert any(message.startswith("items[20].colour：未知的字段") for message in found)
    assert "items[21].code：必须是不超过40个字符的编码（字母、数字、-、_）" in found


def test_header_fields(doc):
    doc.update(version=0, period="monthly", unit_types=["village", "hamlet"], lock_after_days=-1,
               effective_to=doc["effective_from"].replace(year=2019), name=" ")
    doc["deadlines"] = {"village": 840, "school": "24:30", "moon": "10:00"}
    found = problems(doc)
    assert "version：版本号必须是不小于1的整数" in found
    assert "name：必须填写" in found
    assert "period：报送周期必须是 daily（每日）或 weekly（每周）" in found
    assert any(message.startswith('unit_types[1]：未知的单位类型 "hamlet"') for message in found)
    assert "lock_after_days：锁定天数必须是不小于0的整数" in found
    assert "effective_to：废止日期不能早于生效日期" in found
    assert 'deadlines.village：截止时间必须写成带引号的 "HH:MM"，如 "14:00"' in found
    assert "deadlines.school：截止时间必须在 00:00 至 24:00 之间" in found
    assert any(message.startswith("deadlines.moon：未知的单位类型") for message in found)
    assert "unit_types：必须列出至少一种填报单位类型" in problems({**doc, "unit_types": []})


def test_rules_name_items_that_can_take_them(doc):
    doc["rules"] = [
        {"type": "sum", "total": "screened_persons", "parts": ["outsiders_registered", "nowhere"]},
        {"type": "sum", "total": "outsiders_registered", "parts": []},
        {"type": "max_population", "items": ["under_control", "events"]},
        {"type": "average"},
    ]
    assert problems(doc) == [
        'rules[0].total：项目 "screened_persons" 必须是数字项目或只有一个数的系统统计项目',
        'rules[0].parts[1]：未知的项目 "nowhere"',
        "rules[1].parts：必须列出至少一个分项",
        'rules[2].items[0]：项目 "under_control" 必须是手工填报数字项目（number）',
        'rules[2].items[1]：项目 "events" 必须是手工填报数字项目（number）',
        "rules[3].type：规则类型必须是 sum（分项之和）或 max_population（不超过登记人口）",
    ]


def test_yaml_syntax_errors_give_the_line():
    with pytest.raises(ValidationError) as error:
        load_form_yaml("code: daily\nitems: [\n  - a: b\n")
    assert error.value.messages[0].startswith("YAML 格式错误：第")
    with pytest.raises(ValidationError) as error:
        load_form_yaml("- just a list")
    assert error.value.messages == ["报表文件必须是一个映射（code、name、items 等）"]


def test_import_makes_a_new_higher_version(doc):
    daily = ReportForm.objects.get(code="daily", version=2)
    text = export_form_yaml(daily)
    with pytest.raises(ValidationError) as error:
        import_form_yaml(text)
    assert error.value.messages == ['version：报表 "daily" 已有第2版，新版本号必须大于2']
    newer = yaml.safe_load(text)
    newer["version"] = 3
    newer["deadlines"]["village"] = "12:00"
    form = import_form_yaml(yaml.safe_dump(newer, allow_unicode=True))
    assert form.version == 3 and form.deadline_time("village") == (12, 0)
    assert [item.get("slot") for item in form.items] == [item.get("slot") for item in daily.items]
    assert ReportForm.objects.filter(code="daily").count() == 3
    assert ReportForm.objects.in_force(daily.effective_from).get(code="daily").version == 3
    assert ReportForm.objects.in_force(doc["effective_from"]).get(code="daily").version == 1


@pytest.mark.parametrize("version", [1, 2])
def test_export_imports_back_identically(version):
    daily = ReportForm.objects.get(code="daily", version=version)
    text = export_form_yaml(daily)
    assert "'14:00'" in text and "- {code: events, label: 有事报事（当日重要情况）, kind: text}" in text
    before = form_document(daily)
    slots = {item["code"]: item.get("slot") for item in daily.items}
    Filing.objects.filter(form_code="daily").delete()
    ReportForm.objects.filter(code="daily").delete()
    again = import_form_yaml(text)
    assert form_document(again) == before
    assert {item["code"]: item.get("slot") for item in again.items} == slots
    assert export_form_yaml(again) == text


def test_a_form_with_every_kind_of_item_round_trips():
    text = """
code: school-weekly
version: 3
name: 学校周报
period: weekly
unit_types: [school]
deadlines: {"*": "24:00"}
lock_after_days: 0
effective_from: 2022-02-01
effective_to: 2022-06-30
items:
  - {code: tests, label: 核酸检测, kind: computed, source: tests_done, measure: new}
  - {code: absent, label: 缺勤, unit: 人, kind: number}
  - {code: notes, label: 情况说明, kind: text}
rules:
  - {type: sum, total: tests, parts: [absent]}
  - {type: max_population, items: [absent]}
source: 学校周报
"""
    form = import_form_yaml(text)
    assert form.period == "weekly" and form.deadlines == {"*": "24:00"} and form.lock_after_days == 0
    exported = export_form_yaml(form)
    form.delete()
    assert form_document(import_form_yaml(exported)) == validate_form(yaml.safe_load(text))
