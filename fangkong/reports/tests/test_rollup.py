"""The roll-up engine: computed items counted from records once per person per subtree, hand
numbers summed over the filings that stand, as of a cut-off."""

import datetime

from django.utils import timezone

from fangkong.control.models import CaseStatus
from fangkong.control.testing import local, make_case
from fangkong.people.models import Person
from fangkong.reports.models import Filing, ReportForm
from fangkong.reports.services.forms import form_in_force
from fangkong.reports.services.rollup import rollup, rollup_many

DAY = datetime.date(2022, 1, 27)


def _file(form, unit, values, at, version=1, day=DAY):
    return Filing.objects.create(form=form, unit=unit, day=day, values=values, filed_at=at, version=version)


def test_key_persons_are_counted_new_cumulative_and_current_up_the_tree(triad):
    county = triad.county
    form = form_in_force("daily", DAY)
    make_case(triad.east_person, unit=county.east, opened_at=local(DAY - datetime.timedelta(days=3), datetime.time(9)),
              phases=[("centralized_isolation", DAY - datetime.timedelta(days=2), DAY + datetime.timedelta(days=5))],
              place="site")
    make_case(triad.west_person, unit=county.west, category="secondary_contact",
              opened_at=local(DAY, datetime.time(9)),
              phases=[("home_isolation", DAY, DAY + datetime.timedelta(days=5))])
    values = rollup(form, county.town, DAY, local(DAY, datetime.time(12)))
    assert values["key_persons"] == {"new": 1, "cumulative": 2}
    assert values["close_contacts"] == {"new": 0, "cumulative": 1}
    assert values["under_control"] == 2
    assert values["isolated_total"] == 1 and values["isolated_close_contacts"] == 1
    early = rollup(form, county.town, DAY, local(DAY, datetime.time(8)))
    assert early["key_persons"] == {"new": 0, "cumulative": 1}
    by_unit = rollup_many(form, [county.east, county.west, county.river], DAY, local(DAY, datetime.time(12)))
    assert by_unit[county.east.pk]["key_persons"] == {"new": 0, "cumulative": 1}
    assert by_unit[county.west.pk]["key_persons"] == {"new": 1, "cumulative": 1}
    assert by_unit[county.river.pk]["key_persons"] == {"new": 0, "cumulative": 0}


def test_a_person_with_two_cases_in_two_villages_counts_once_for_the_town(triad):
    county = triad.county
    form = form_in_force("daily", DAY)
    moment = local(DAY, datetime.time(9))
    make_case(triad.east_person, unit=county.east, opened_at=moment, status=CaseStatus.RELEASED,
              closed_at=moment + datetime.timedelta(hours=1),
              phases=[("home_isolation", DAY, DAY)])
    make_case(triad.east_person, unit=county.west, opened_at=moment + datetime.timedelta(hours=2),
              phases=[("home_isolation", DAY, DAY + datetime.timedelta(days=3))])
    by_unit = rollup_many(form, [county.town, county.east, county.west], DAY)
    assert by_unit[county.east.pk]["key_persons"]["new"] == 1
    assert by_unit[county.west.pk]["key_persons"]["new"] == 1
    assert by_unit[county.town.pk]["key_persons"]["new"] == 1
    assert by_unit[county.town.pk]["released"] == {"new": 1, "cumulative": 1}


def test_hand_numbers_sum_the_filings_standing_at_the_moment(triad):
    county = triad.county
    form = form_in_force("daily", DAY)
    first = _file(form, county.east, {"gatherings_stopped": 2, "events": "劝阻聚餐一起"}, local(DAY, datetime.time(13)))
    _file(form, county.west, {"gatherings_stopped": 3}, local(DAY, datetime.time(13)))
    yesterday = DAY - datetime.timedelta(days=1)
    _file(form, county.east, {"gatherings_stopped": 1}, local(yesterday, datetime.time(13)), day=yesterday)
    Filing.objects.filter(pk=first.pk).update(superseded_at=local(DAY, datetime.time(18)))
    _file(form, county.east, {"gatherings_stopped": 5}, local(DAY, datetime.time(18)), version=2)
    assert rollup(form, county.town, DAY)["gatherings_stopped"] == {"new": 8, "cumulative": 9}
    before = rollup(form, county.town, DAY, known_at=local(DAY, datetime.time(15)))
    assert before["gatherings_stopped"]["new"] == 5
    assert before["events"] == [{"unit": county.east.code, "name": "东门村", "text": "劝阻聚餐一起"}]
    assert rollup(form, county.other_town, DAY)["gatherings_stopped"] == {"new": 0, "cumulative": 0}


def test_yesterdays_filing_counts_in_the_cumulative_total(triad):
    county = triad.county
    form = form_in_force("daily", DAY)
    Filing.objects.create(form=form, unit=county.east, day=DAY - datetime.timedelta(days=1),
                          values={"places_disinfected": 4}, filed_at=timezone.now())
    _file(form, county.east, {"places_disinfected": 1}, timezone.now())
    assert rollup(form, county.county, DAY)["places_disinfected"] == {"new": 1, "cumulative": 5}
    assert Person.objects.count() == 2


def test_a_number_item_keeps_its_column_across_versions_so_days_add_up(triad):
    county = triad.county
    first = ReportForm.objects.create(code="weekly-test", name="测试", unit_types=["village"],
                                      effective_from=DAY - datetime.timedelta(days=10),
                                      items=[{"code": "a", "label": "甲", "kind": "number", "accumulate": True},
                                             {"code": "b", "label": "乙", "kind": "number"}])
    second = ReportForm.objects.create(code="weekly-test", version=2, name="测试", unit_types=["village"],
                                       effective_from=DAY,
                                       items=[{"code": "c", "label": "丙", "kind": "number"},
                                              {"code": "a", "label": "甲", "kind": "number", "accumulate": True}])
    slots = {item["code"]: item["slot"] for item in first.items + second.items}
    assert slots["a"] == first.item("a")["slot"] == second.item("a")["slot"]
    assert len({slots["a"], slots["b"], slots["c"]}) == 3
    yesterday = DAY - datetime.timedelta(days=1)
    _file(first, county.east, {"a": 4, "b": 1}, timezone.now(), day=yesterday)
    _file(second, county.east, {"a": 3, "c": 9}, timezone.now())
    assert rollup(second, county.town, DAY)["a"] == {"new": 3, "cumulative": 7}
    assert rollup(second, county.town, DAY)["c"] == 9
