"""The regimen in force on a date: within its dates, for all places or an ancestor-or-self of
the unit (the nearest unit wins, then the newest), and with a rule for the category."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from fangkong.control.models import RegimenVersion
from fangkong.control.regimens.presets import load_presets
from fangkong.control.regimens.selection import regimen_in_force, rule_of

RULE = {"anchor": "last_exposure", "phases": [{"measure": "centralized_isolation", "days": 14}]}


@pytest.fixture(autouse=True)
def presets(db):
    load_presets()


def version(code, start, end=None, unit=None, categories=("close_contact",)):
    return RegimenVersion.objects.create(code=code, name=code, effective_from=start, effective_to=end, unit=unit,
                                         rules={c: RULE for c in categories})


def test_the_newest_preset_in_force_wins():
    assert regimen_in_force(date(2020, 2, 1)).code == "early-2020"
    assert regimen_in_force(date(2021, 5, 10)).code == "early-2020"  # its last day
    assert regimen_in_force(date(2021, 5, 11)).code == "national-v8"
    assert regimen_in_force(date(2022, 1, 5)).code == "qingliangfeng-2022"
    assert regimen_in_force(date(2022, 2, 1)).code == "gongtian-2022"
    assert regimen_in_force(date(2022, 7, 1)).code == "national-v9"
    assert regimen_in_force(date(2019, 12, 1)) is None


def test_the_category_must_have_a_rule():
    # national-v9 has no rule for space-time companions: the newest one that has applies.
    assert regimen_in_force(date(2022, 7, 1), "spacetime_companion").code == "gongtian-2022"
    assert regimen_in_force(date(2021, 6, 1), "close_contact").code == "national-v8"
    assert regimen_in_force(date(2021, 6, 1), "low_risk_area") is None


def test_a_version_for_the_unit_or_above_wins_over_one_for_all_places(county):
    town = version("town-2022", date(2022, 2, 1), unit=county.town)
    village = version("village-2022", date(2022, 1, 15), unit=county.east)
    version("river-2022", date(2022, 3, 1), unit=county.river)
    on = date(2022, 3, 5)
    assert regimen_in_force(on, "close_contact", county.east_grid) == village  # nearest unit, though older
    assert regimen_in_force(on, "close_contact", county.west_grid) == town
    assert regimen_in_force(on, "close_contact", county.town) == town
    assert regimen_in_force(on, "close_contact", county.other_town).code == "gongtian-2022"
    assert regimen_in_force(on, "close_contact").code == "gongtian-2022"  # no unit: all-place versions only


def test_an_ended_local_version_no_longer_applies(county):
    version("town-2022", date(2022, 2, 1), date(2022, 2, 28), unit=county.town)
    assert regimen_in_force(date(2022, 2, 28), "close_contact", county.east).code == "town-2022"
    assert regimen_in_force(date(2022, 3, 1), "close_contact", county.east).code == "gongtian-2022"


def test_rule_of_a_missing_category_says_so():
    national = RegimenVersion.objects.get(code="national-v8")
    assert rule_of(national, "close_contact")["phases"][0]["days"] == 14
    with pytest.raises(ValidationError, match="管控方案“national-v8”没有“低风险地区返乡人员”的管控规则"):
        rule_of(national, "low_risk_area")
