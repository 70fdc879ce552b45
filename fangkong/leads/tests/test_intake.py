"""Intake: validation (same rules as the ledger), deadlines from the policy or the defaults,
person linked, duplicates disposed at once."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from fangkong.leads.models import LeadOutcome, LeadPolicy, LeadStatus
from fangkong.leads.services.intake import clean_lead_data, create_lead

from .conftest import DAY, at


def test_defaults_two_hours_and_end_of_day(triad, newcomer):
    lead = create_lead("push", triad.county.county, newcomer, at(DAY, 9, 30))
    assert lead.unit == triad.county.east and lead.person is None
    assert lead.verify_due_at == at(DAY, 11, 30)
    assert lead.dispose_due_at == at(DAY + datetime.timedelta(days=1), 0)
    assert lead.origin_division_code == "420115"
    assert lead.departed_on == datetime.date(2022, 1, 17)
    assert lead.payload["reason"] == "大数据推送：武汉江夏来返" and lead.payload["_routed"] == "address"


def test_nearest_policy_source_specific_first(triad, newcomer):
    county = triad.county
    LeadPolicy.objects.create(verify_minutes=90)
    LeadPolicy.objects.create(unit=county.town, verify_minutes=60, dispose_same_day=False, dispose_minutes=240)
    LeadPolicy.objects.create(unit=county.town, source="assist", verify_minutes=30)
    LeadPolicy.objects.create(unit=county.town, source="push", verify_minutes=45,
                              effective_from=datetime.date(2022, 2, 1))  # not yet in force
    push = create_lead("push", county.county, newcomer, at(DAY, 9))
    assert push.verify_due_at == at(DAY, 10) and push.dispose_due_at == at(DAY, 13)
    assist = create_lead("assist", county.county, {**newcomer, "id_number": ""}, at(DAY, 9))
    assert assist.verify_due_at == at(DAY, 9, 30) and assist.dispose_due_at == at(DAY + datetime.timedelta(days=1), 0)
    elsewhere = create_lead("push", county.county, {**newcomer, "id_number": "", "address": "河口村"}, at(DAY, 9))
    assert elsewhere.unit == county.river and elsewhere.verify_due_at == at(DAY, 10, 30)


def test_registered_person_linked(triad):
    lead = create_lead("tip_off", triad.county.town, {"name": "张三丰", "id_number": triad.east_person.id_number},
                       at(DAY, 9))
    assert lead.person == triad.east_person and lead.unit == triad.county.east_grid


def test_invalid_data_reported_by_field_in_chinese(db):
    with pytest.raises(ValidationError) as raised:
        clean_lead_data({"name": "", "id_number": "430626198001010010", "phone": "12345",
                         "arrived_on": "2022-01-10", "departed_on": "2022-01-12", "category": "外星人"},
                        today=DAY)
    errors = raised.value.message_dict
    assert errors["name"] == ["姓名必填"]
    assert errors["id_number"] == ["身份证号校验位不正确"]
    assert "不是有效的手机号" in errors["phone"][0]
    assert errors["arrived_on"] == ["抵达日期不能早于离开日期"]
    assert errors["category"] == ["无法识别的管控类别：外星人"]


def test_passport_allowed_through_id_type(db):
    cleaned = clean_lead_data({"name": "John Smith", "id_type": "护照", "id_number": "e12345678"}, today=DAY)
    assert (cleaned["id_type"], cleaned["id_number"]) == ("passport", "E12345678")


def test_second_open_lead_for_the_same_person_is_disposed_as_duplicate(triad, newcomer):
    first = create_lead("push", triad.county.county, newcomer, at(DAY, 9))
    second = create_lead("assist", triad.county.town, newcomer, at(DAY, 10))
    assert second.unit == first.unit
    second.refresh_from_db()
    assert second.status == LeadStatus.DISPOSED and second.outcome == LeadOutcome.DUPLICATE
    assert f"#{first.pk}" in second.outcome_note
    first.refresh_from_db()
    assert first.status == LeadStatus.RECEIVED
