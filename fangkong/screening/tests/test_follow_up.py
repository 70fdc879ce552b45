from fangkong.people.models import Person
from fangkong.screening.services.follow_up import open_flags, resolve_flag
from fangkong.screening.services.visits import record_visit

from .conftest import answer, visit_time


def flag_both_villages(triad, campaign):
    for household, person, user in [
        (triad.east_household, triad.east_person, triad.inside),
        (triad.west_household, triad.west_person, triad.neighbour),
    ]:
        record_visit(campaign=campaign, household=household, user=user, outcome="completed",
                     answers=[answer(person, places_visited="武汉")], visited_at=visit_time(1))


def names(flags):
    return sorted(flag.person.name for flag in flags)


def test_open_flags_are_restricted_to_the_jurisdiction(triad, campaigns):
    flag_both_villages(triad, campaigns.town)
    assert names(open_flags(triad.inside)) == ["张三丰"]
    assert names(open_flags(triad.neighbour)) == ["李四"]
    assert names(open_flags(triad.above)) == ["张三丰", "李四"]


def test_a_resolved_flag_leaves_the_list_and_the_person_needs_no_more_follow_up(triad, campaigns):
    flag_both_villages(triad, campaigns.town)
    [flag] = open_flags(triad.inside)
    resolve_flag(flag)
    assert names(open_flags(triad.above)) == ["李四"]
    assert not Person.objects.get(pk=triad.east_person.pk).needs_follow_up


def test_the_person_still_needs_follow_up_while_another_flag_is_open(triad, campaigns):
    flag_both_villages(triad, campaigns.town)
    record_visit(campaign=campaigns.east, household=triad.east_household, user=triad.inside, outcome="completed",
                 answers=[answer(triad.east_person, case_contact=True)], visited_at=visit_time(1))
    first, second = open_flags(triad.inside)
    resolve_flag(first)
    assert Person.objects.get(pk=triad.east_person.pk).needs_follow_up
    resolve_flag(second)
    assert not Person.objects.get(pk=triad.east_person.pk).needs_follow_up
