"""Regimens in and out as YAML: a round trip keeps the document; a code that cases already use
is never changed (a new version needs a new code); presets loaded after migrate never
overwrite an edited row."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from fangkong.control.models import RegimenVersion
from fangkong.control.regimens.presets import load_presets
from fangkong.control.regimens.yaml_io import document_of, dump_regimen_yaml, load_regimen_yaml, save_regimen
from fangkong.control.testing import make_case

YAML = """\
code: town-2022-v2
name: 城关镇2022年管控措施（第二版）
issuer: 城关镇疫情防控指挥部
effective_from: 2022-02-01
effective_to: null
unit: "430626100"
source: 测试用
rules:
  high_risk_area:
    anchor: departure
    fill_and_top_up: true
    phases:
      - {measure: centralized_isolation, days: 7}
      - measure: home_health_monitoring
        days: 7
        tests: [{day: 2}, {day: 7, who: co_residents}]
    tests: [{after_release: 7}]
    team: {name: 五包一, roles: [镇干部, 村干部, 村医, 民警, 网格员], daily_sign_off: true, photo: true}
  close_contact:
    anchor: last_exposure
    phases: [{measure: home_isolation, days: 14, tests: [{every: 2, from: 2}]}]
"""


@pytest.fixture(autouse=True)
def presets(db):
    load_presets()


def test_round_trip_keeps_the_document(county):
    doc = load_regimen_yaml(YAML)
    version = save_regimen(doc)
    version.refresh_from_db()
    assert version.unit == county.town
    text = dump_regimen_yaml(version)
    assert load_regimen_yaml(text) == doc
    # Categories come out in their canonical order whatever the database kept.
    assert list(load_regimen_yaml(text)["rules"]) == ["close_contact", "high_risk_area"]
    assert "城关镇2022年管控措施" in text  # Chinese kept as is


def test_every_preset_round_trips():
    for version in RegimenVersion.objects.filter(is_preset=True):
        assert load_regimen_yaml(dump_regimen_yaml(version)) == document_of(version)


def test_yaml_syntax_error_says_where():
    with pytest.raises(ValidationError) as error:
        load_regimen_yaml("code: x\nrules: [\n  - a: b\n bad")
    assert error.value.messages[0].startswith("YAML 格式错误：第")


def test_unknown_unit_is_refused(db):
    doc = load_regimen_yaml(YAML.replace('"430626100"', '"999"'))
    with pytest.raises(ValidationError, match="单位编码“999”不存在"):
        save_regimen(doc)


def test_changing_a_version_without_cases_keeps_history(county, triad):
    version = save_regimen(load_regimen_yaml(YAML))
    changed = save_regimen(load_regimen_yaml(YAML.replace("days: 14", "days: 10")), user=triad.above)
    assert changed.pk == version.pk
    assert changed.rules["close_contact"]["phases"][0]["days"] == 10
    assert version.history.count() == 2
    assert version.history.first().history_user == triad.above


def test_a_version_used_by_cases_cannot_change_but_a_new_code_can_be_saved(county, triad):
    version = save_regimen(load_regimen_yaml(YAML))
    make_case(triad.east_person, regimen=version, category="close_contact")
    with pytest.raises(ValidationError, match="已有管控对象在使用"):
        save_regimen(load_regimen_yaml(YAML.replace("days: 14", "days: 10")))
    version.refresh_from_db()
    assert version.rules["close_contact"]["phases"][0]["days"] == 14
    new = save_regimen(load_regimen_yaml(YAML.replace("days: 14", "days: 10").replace("town-2022-v2", "town-2022-v3")))
    assert new.pk != version.pk and new.rules["close_contact"]["phases"][0]["days"] == 10


def test_presets_are_created_once_and_never_overwrite_an_edited_row():
    preset = RegimenVersion.objects.get(code="gongtian-2022")
    preset.name = "管理员改过的名称"
    preset.save()
    RegimenVersion.objects.filter(code="national-v9").delete()
    assert load_presets() == ["national-v9"]
    assert RegimenVersion.objects.get(code="gongtian-2022").name == "管理员改过的名称"
    assert RegimenVersion.objects.get(code="national-v9").is_preset
    assert RegimenVersion.objects.get(code="national-v9").effective_from == date(2022, 6, 28)
    assert load_presets() == []


def test_an_unquoted_time_gets_a_clear_message():
    text = YAML.replace("    tests: [{after_release: 7}]\n",
                        "    tests: [{after_release: 7}]\n    follow_up: {windows: [[10:00, 12:00]]}\n")
    with pytest.raises(ValidationError) as error:
        load_regimen_yaml(text)
    assert error.value.messages == ['high_risk_area.follow_up.windows[0]：时间须加引号，如 ["08:00", "10:00"]']
