"""The team's daily sign-off (签字确认 with a work photo, 001:237): once per member per day,
within the control period, and who has not signed yet."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from fangkong.conftest import make_user
from fangkong.control.models import SignOff, TeamMember
from fangkong.control.services.signoff import missing_sign_offs, sign_off

from .test_followup_support import START, at, cases, jpeg, png  # noqa: F401

pytestmark = pytest.mark.django_db


def test_one_sign_off_per_member_per_day(cases, settings):
    member = cases.east.team.get()
    record = sign_off(cases.east, START, member, by=cases.east_team, photo=png(), now=at(0, 20))
    assert record.member == member and record.signed_at == at(0, 20)
    assert (settings.MEDIA_ROOT / record.photo.name).exists()
    with pytest.raises(ValidationError, match="王网格 已于2022年1月27日签字确认，每人每天一次"):
        sign_off(cases.east, START, member, by=cases.east_team, photo=png(), now=at(0, 21))
    sign_off(cases.east, START + timedelta(days=1), member, by=cases.east_team, photo=jpeg(), now=at(1, 20))
    assert SignOff.objects.count() == 2


def test_member_is_taken_from_the_signing_user(cases):
    record = sign_off(cases.east, START, by=cases.east_team, photo=png(), now=at(0, 20))
    assert record.member == cases.east.team.get()


def test_a_user_off_the_team_signs_once_a_day_as_themself(cases, triad):
    record = sign_off(cases.east, START, by=triad.inside, photo=png(), now=at(0, 20))
    assert record.member is None and record.signed_by == triad.inside
    with pytest.raises(ValidationError, match="每人每天一次"):
        sign_off(cases.east, START, by=triad.inside, photo=png(), now=at(0, 21))


def test_photo_is_required_and_checked(cases):
    member = cases.east.team.get()
    with pytest.raises(ValidationError) as error:
        sign_off(cases.east, START, member, by=cases.east_team, photo=None, now=at(0, 20))
    assert error.value.message_dict["photo"] == ["请上传工作照。"]
    with pytest.raises(ValidationError) as error:
        sign_off(cases.east, START, member, by=cases.east_team, photo=png("a.png", b"%PDF-1.4"), now=at(0, 20))
    assert error.value.message_dict["photo"] == ["照片只能是JPG或PNG格式。"]


def test_day_must_be_in_the_period_and_not_in_the_future(cases):
    member = cases.east.team.get()
    with pytest.raises(ValidationError) as error:
        sign_off(cases.east, START + timedelta(days=2), member, by=cases.east_team, photo=png(), now=at(1, 20))
    assert error.value.message_dict["day"] == ["不能为今天以后的日期签字确认。"]
    with pytest.raises(ValidationError) as error:
        sign_off(cases.east, START - timedelta(days=1), member, by=cases.east_team, photo=png(), now=at(1, 20))
    assert "不在管控期" in error.value.message_dict["day"][0]


def test_member_of_another_case_is_refused(cases):
    with pytest.raises(ValidationError) as error:
        sign_off(cases.east, START, cases.west.team.get(), by=cases.east_team, photo=png(), now=at(0, 20))
    assert error.value.message_dict["member"] == ["签字人不是该对象的包保责任人。"]


def test_missing_sign_offs_in_the_jurisdiction(cases, triad):
    TeamMember.objects.create(case=cases.east, role="医生", name="赵医生")
    sign_off(cases.east, START, cases.east.team.get(name="王网格"), by=cases.east_team, photo=png(), now=at(0, 20))
    inside = missing_sign_offs(START, triad.inside)
    assert [(row.case, row.member.name) for row in inside] == [(cases.east, "赵医生")]
    above = missing_sign_offs(START, triad.above)
    assert sorted(row.member.name for row in above) == ["李网格", "赵医生"]
    assert missing_sign_offs(START - timedelta(days=1), triad.above) == []
    reader = make_user("west_reader", "readonly", triad.county.west)
    assert [row.member.name for row in missing_sign_offs(START, reader)] == ["李网格"]
