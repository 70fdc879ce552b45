from decimal import Decimal

from fangkong.people.models import Person
from fangkong.screening.models import FollowUpFlag
from fangkong.screening.services.visits import record_visit

from .conftest import add_campaign, answer, visit_time


def visit(triad, campaign, day=1, **fields):
    return record_visit(
        campaign=campaign, household=triad.east_household, user=triad.inside, outcome="completed",
        answers=[answer(triad.east_person, **fields)], visited_at=visit_time(day),
    )


def flagged(person):
    return Person.objects.get(pk=person.pk).needs_follow_up


def test_travel_to_a_place_of_concern_flags_the_person(triad, campaigns):
    recorded = visit(triad, campaigns.town, places_visited="武汉市、长沙")
    [flag] = FollowUpFlag.objects.all()
    assert flag.person == triad.east_person and flag.visit == recorded and flag.campaign == campaigns.town
    assert flag.reasons == [{"code": "travel", "detail": "武汉市（属湖北）"}]
    assert flag.reason_text() == "到过关注地区：武汉市（属湖北）"
    assert flagged(triad.east_person)


def test_clean_answers_flag_nobody(triad, campaigns):
    visit(triad, campaigns.town, places_visited="长沙", temperature=Decimal("36.6"))
    assert not FollowUpFlag.objects.exists()
    assert not flagged(triad.east_person)


def test_contact_with_cases_fever_and_symptoms_are_reasons(triad, campaigns):
    visit(triad, campaigns.town, case_contact=True, temperature=Decimal("37.3"), symptoms=["cough", "fatigue"])
    [flag] = FollowUpFlag.objects.all()
    assert [r["code"] for r in flag.reasons] == ["case_contact", "fever", "symptoms"]
    assert flag.reason_text() == "接触过确诊或疑似病例；发热：37.3℃；有症状：咳嗽、乏力"


def test_temperature_below_the_campaign_threshold_is_not_fever(triad, county):
    campaign = add_campaign(county.town, [county.town], fever_threshold=Decimal("37.5"))
    visit(triad, campaign, temperature=Decimal("37.4"))
    assert not FollowUpFlag.objects.exists()


def test_answers_the_campaign_does_not_count_flag_nobody(triad, county):
    campaign = add_campaign(county.town, [county.town], flag_travel=False, flag_symptoms=False)
    visit(triad, campaign, places_visited="武汉", symptoms=["fever"], temperature=Decimal("38.5"))
    assert not FollowUpFlag.objects.exists()


def test_what_the_family_says_of_an_absent_member_counts(triad, campaigns):
    second_member = Person.objects.create(name="张小丰", unit=triad.county.east_grid, household=triad.east_household)
    record_visit(
        campaign=campaigns.town, household=triad.east_household, user=triad.inside, outcome="completed",
        answers=[answer(triad.east_person), answer(second_member, "absent", places_visited="湖北省孝感市")],
        visited_at=visit_time(1),
    )
    assert [flag.person for flag in FollowUpFlag.objects.all()] == [second_member]


def test_found_again_on_a_later_visit_stays_one_open_flag(triad, campaigns):
    visit(triad, campaigns.town, places_visited="武汉")
    later = visit(triad, campaigns.town, day=2, places_visited="武汉", case_contact=True)
    [flag] = FollowUpFlag.objects.all()
    assert flag.visit == later
    assert [r["code"] for r in flag.reasons] == ["travel", "case_contact"]


def test_each_campaign_keeps_its_own_flag(triad, campaigns):
    visit(triad, campaigns.town, places_visited="武汉")
    visit(triad, campaigns.east, places_visited="武汉")
    assert FollowUpFlag.objects.count() == 2
