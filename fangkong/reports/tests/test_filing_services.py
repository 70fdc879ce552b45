"""Filing and correcting a unit's report: the checks on the values and the form's rules, the
zero report, late filings, the lock, and corrections that keep every version."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from fangkong.control.testing import local, make_case
from fangkong.orgs.services import add_unit
from fangkong.reports.models import Filing, ReportForm, Snapshot
from fangkong.reports.services.filing import correct_filing, file_report, my_filing_units, open_form
from fangkong.reports.services.forms import form_in_force
from fangkong.reports.services.snapshots import take_snapshots

DAY = datetime.date(2022, 1, 27)
NOON = local(DAY, datetime.time(12))
VALUES = {
    "outsiders_registered": 3, "outsiders_from_risk_areas": 1, "outsiders_from_elsewhere": 2,
    "temperature_checked": 1, "gatherings_stopped": 0, "places_disinfected": 2, "leaflets_handed_out": 10,
    "events": "劝阻聚餐一起",
}


@pytest.fixture
def daily(db):
    return form_in_force("daily", DAY)


def messages_of(error):
    return error.value.message_dict if hasattr(error.value, "error_dict") else {"": error.value.messages}


def test_a_village_files_its_report_with_the_computed_items_locked_in(triad, daily):
    make_case(triad.east_person, unit=triad.county.east, opened_at=local(DAY, datetime.time(9)))
    filing = file_report(daily, triad.county.east, DAY, VALUES, triad.inside, now=NOON)
    assert filing.version == 1 and filing.values == VALUES and not filing.late and not filing.zero_report
    assert filing.filed_by == triad.inside and filing.filed_at == NOON
    assert filing.computed["key_persons"] == {"new": 1, "cumulative": 1}
    assert filing.computed["under_control"] == 1
    page = open_form(daily, triad.county.east, DAY, NOON)
    assert page.filing == filing and page.computed["key_persons"] == {"new": 1, "cumulative": 1}
    assert page.deadline == local(DAY, datetime.time(14)) and not page.late and not page.locked


def test_numbers_must_be_non_negative_integers_and_unknown_codes_are_refused(triad, daily):
    bad = {**VALUES, "outsiders_registered": -1, "gatherings_stopped": "两起", "places_disinfected": 1.5,
           "key_persons": 3, "nonsense": 1, "events": "长" * 1001}
    del bad["leaflets_handed_out"]
    with pytest.raises(ValidationError) as error:
        file_report(daily, triad.county.east, DAY, bad, triad.inside, now=NOON)
    found = messages_of(error)
    assert found["outsiders_registered"] == ["外来人员登记必须是不小于0的整数"]
    assert found["gatherings_stopped"] == ["劝阻聚集性活动必须是不小于0的整数"]
    assert found["places_disinfected"] == ["消杀公共场所必须是不小于0的整数"]
    assert found["leaflets_handed_out"] == ["请填写发放宣传资料（没有请填0）"]
    assert found["key_persons"] == ["新登记重点人员由系统统计，不能手工填报"]
    assert found["nonsense"] == ["未知的填报项目“nonsense”"]
    assert found["events"] == ["有事报事（当日重要情况）不能超过1000个字"]
    assert not Filing.objects.exists()


def test_numbers_typed_into_the_page_are_read_as_integers(triad, daily):
    typed = {code: str(value) for code, value in VALUES.items()}
    filing = file_report(daily, triad.county.east, DAY, typed, triad.inside, now=NOON)
    assert filing.values["outsiders_registered"] == 3 and filing.values["events"] == "劝阻聚餐一起"


def test_parts_must_add_up_to_their_total(triad, daily):
    values = {**VALUES, "outsiders_registered": 10, "outsiders_from_risk_areas": 4, "outsiders_from_elsewhere": 5}
    with pytest.raises(ValidationError) as error:
        file_report(daily, triad.county.east, DAY, values, triad.inside, now=NOON)
    assert messages_of(error)["outsiders_registered"] == ["外来人员登记（10）应等于各分项之和（4 + 5 = 9）"]


def test_the_sum_rule_of_a_form_as_data(triad):
    """003:136: 集中隔离339人，其中密接2人、次密接95人、境外返回24人、其他218人."""
    items = [{"code": code, "label": label, "kind": "number"} for code, label in (
        ("isolated", "集中隔离人员"), ("close", "其中密接"), ("secondary", "其中次密接"), ("inbound", "其中境外返回"),
        ("others", "其中其他"))]
    form = ReportForm.objects.create(
        code="isolation", name="隔离日报", unit_types=["village"], effective_from=DAY, items=items,
        rules=[{"type": "sum", "total": "isolated", "parts": ["close", "secondary", "inbound", "others"]}],
    )
    values = {"isolated": 340, "close": 2, "secondary": 95, "inbound": 24, "others": 218}
    with pytest.raises(ValidationError) as error:
        file_report(form, triad.county.east, DAY, values, triad.inside, now=NOON)
    assert messages_of(error)["isolated"] == ["集中隔离人员（340）应等于各分项之和（2 + 95 + 24 + 218 = 339）"]
    assert file_report(form, triad.county.east, DAY, {**values, "isolated": 339}, triad.inside, now=NOON).pk


def test_no_more_temperature_checks_than_registered_people(triad, daily):
    with pytest.raises(ValidationError) as error:
        file_report(daily, triad.county.east, DAY, {**VALUES, "temperature_checked": 2}, triad.inside, now=NOON)
    assert messages_of(error)["temperature_checked"] == ["入户测温人数（2）不能超过本单位登记人口（1人）"]
    assert file_report(daily, triad.county.east, DAY, {**VALUES, "temperature_checked": 1}, triad.inside, now=NOON)


def test_zero_report_is_one_action(triad, daily):
    filing = file_report(daily, triad.county.west, DAY, {}, triad.neighbour, now=NOON, zero=True)
    assert filing.zero_report
    assert filing.values["events"] == ""
    assert {v for code, v in filing.values.items() if code != "events"} == {0}
    assert len(filing.values) == len(daily.items_of_kind("number", "text"))


def test_late_when_filed_after_the_deadline_of_the_unit_type(triad, daily):
    assert not file_report(daily, triad.county.east, DAY, VALUES, triad.inside,
                           now=local(DAY, datetime.time(13, 59))).late
    assert file_report(daily, triad.county.west, DAY, VALUES, triad.neighbour,
                       now=local(DAY, datetime.time(14, 1))).late
    school = add_unit(triad.county.town, code="430626100301", name="城关小学", type="school")
    assert file_report(daily, school, DAY, {**VALUES, "temperature_checked": 0}, None,
                       now=local(DAY, datetime.time(11))).late
    assert open_form(daily, school, DAY, local(DAY, datetime.time(11))).late


def test_a_second_filing_is_refused_a_correction_is_needed(triad, daily):
    file_report(daily, triad.county.east, DAY, VALUES, triad.inside, now=NOON)
    with pytest.raises(ValidationError) as error:
        file_report(daily, triad.county.east, DAY, VALUES, triad.inside, now=NOON, zero=True)
    assert error.value.code == "duplicate" and "更正" in error.value.messages[0]
    assert Filing.objects.count() == 1


def test_only_units_of_the_form_types_file_and_not_ahead_of_the_day(triad, daily):
    with pytest.raises(ValidationError) as error:
        file_report(daily, triad.county.town, DAY, VALUES, triad.above, now=NOON)
    assert error.value.messages == ["城关镇不填报“疫情防控日报告”"]
    with pytest.raises(ValidationError) as error:
        file_report(daily, triad.county.east, DAY + datetime.timedelta(days=1), VALUES, triad.inside, now=NOON)
    assert error.value.code == "future"


def test_correction_keeps_both_versions_and_needs_a_reason(triad, daily):
    first = file_report(daily, triad.county.east, DAY, {}, triad.inside, now=local(DAY, datetime.time(15)), zero=True)
    assert first.late
    with pytest.raises(ValidationError) as error:
        correct_filing(first, VALUES, "  ", triad.inside, now=local(DAY, datetime.time(16)))
    assert messages_of(error)["reason"] == ["请填写更正原因"]
    later = local(DAY, datetime.time(16))
    second = correct_filing(first, VALUES, "漏报外来人员3人", triad.inside, now=later)
    first.refresh_from_db()
    assert first.superseded_at == later and first.values["outsiders_registered"] == 0
    assert second.version == 2 and second.reason == "漏报外来人员3人" and second.filed_at == later
    assert second.late and not second.zero_report and second.values == VALUES
    assert list(Filing.objects.current().values_list("pk", flat=True)) == [second.pk]
    with pytest.raises(ValidationError) as error:
        correct_filing(first, VALUES, "再改一次", triad.inside, now=later)
    assert error.value.code == "superseded"
    third = correct_filing(second, {code: 0 if code != "events" else "" for code in VALUES}, "误报", triad.inside,
                           now=later + datetime.timedelta(minutes=5))
    assert third.version == 3 and third.zero_report


def test_correction_of_a_closed_day_takes_new_snapshots_with_the_reason(triad, daily):
    filing = file_report(daily, triad.county.east, DAY, VALUES, triad.inside, now=NOON)
    next_day = DAY + datetime.timedelta(days=1)
    take_snapshots(daily, DAY, [triad.county.town, triad.county.east], now=local(next_day, datetime.time(1)))
    correct_filing(filing, {**VALUES, "places_disinfected": 7}, "消杀处数填错", triad.inside,
                   now=local(next_day, datetime.time(9)))
    latest = Snapshot.objects.filter(unit=triad.county.town, day=DAY).order_by("-version").first()
    assert latest.version == 2 and latest.reason == "东门村更正：消杀处数填错"
    assert latest.values["places_disinfected"] == {"new": 7, "cumulative": 7}


def test_nothing_is_filed_or_corrected_after_the_lock(triad, daily):
    lock = local(DAY + datetime.timedelta(days=4), datetime.time(0))
    with pytest.raises(ValidationError) as error:
        file_report(daily, triad.county.east, DAY, VALUES, triad.inside, now=lock)
    assert error.value.code == "locked" and "2022年1月31日0时" in error.value.messages[0]
    filing = file_report(daily, triad.county.east, DAY, VALUES, triad.inside, now=lock - datetime.timedelta(hours=1))
    assert filing.late
    with pytest.raises(ValidationError) as error:
        correct_filing(filing, VALUES, "补充", triad.inside, now=lock)
    assert error.value.code == "locked"
    assert open_form(daily, triad.county.east, DAY, lock).locked


def test_filing_units_are_those_of_the_jurisdiction(triad, daily):
    assert list(my_filing_units(triad.inside, daily)) == [triad.county.east]
    assert list(my_filing_units(triad.neighbour, daily)) == [triad.county.west]
    assert list(my_filing_units(triad.above, daily)) == [triad.county.east, triad.county.west]
