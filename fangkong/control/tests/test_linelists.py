"""Line lists: who is on which list at an injected time, the counts per child unit and what
they cost in queries."""

from datetime import date, time, timedelta
from decimal import Decimal

import pytest

from fangkong.control.models import CaseStatus, FollowUpEntry, SlotStatus
from fangkong.control.models import TestStatus as CaseTestStatus
from fangkong.control.services import linelists
from fangkong.control.services.linelists import CaseList, counts_by_child, jurisdiction_counts
from fangkong.control.testing import local, make_case
from fangkong.people.models import Person

TODAY = date(2022, 1, 27)
MORNING = local(TODAY, time(9))  # today's first window (08:00–10:00) still open
EVENING = local(TODAY, time(19))  # both of today's windows closed
PHASES = [("home_isolation", TODAY - timedelta(days=7), TODAY + timedelta(days=6))]


def person(name, unit):
    return Person.objects.create(name=name, unit=unit)


def report(case, day, window, *, temperature="36.5", abnormal=False, at=None, symptoms=()):
    """An entry for the morning (0) or afternoon (1) slot of `day`; `at` overrides the time
    (a late report, with no slot)."""
    slot = None
    if at is None:
        slot = case.slots.filter(day=day).order_by("starts_at")[window]
        at = slot.starts_at + timedelta(minutes=30)
        slot.status = SlotStatus.DONE
        slot.save(update_fields=["status"])
    return FollowUpEntry.objects.create(
        case=case, slot=slot, unit_path=case.unit_path, recorded_at=at, temperature=Decimal(temperature),
        symptoms=list(symptoms), method="phone", abnormal=abnormal,
    )


def report_until(case, last_day, last_window=1):
    day = PHASES[0][1]
    while day <= last_day:
        for window in (0, 1):
            if day == last_day and window > last_window:
                break
            report(case, day, window)
        day += timedelta(days=1)


def members(user, code, now, **filters):
    return {case.person.name for case in CaseList(user, code, now, **filters)}


@pytest.fixture
def cases(triad):
    grid = triad.county.east_grid
    made = {}

    def case(name, **extra):
        made[name] = make_case(person(name, grid), phases=extra.pop("phases", PHASES), **extra)
        return made[name]

    yesterday, before = TODAY - timedelta(days=1), TODAY - timedelta(days=2)
    report_until(case("全勤"), yesterday)
    report_until(case("漏一次"), yesterday, last_window=0)
    report_until(case("漏一天"), before)
    report_until(case("漏两天"), TODAY - timedelta(days=3))
    report_until(case("补报"), before)
    report(made["补报"], yesterday, 0, at=local(yesterday, time(20)))  # late, after both windows closed
    report_until(case("发热"), yesterday, last_window=0)
    report(made["发热"], yesterday, 1, temperature="37.8", abnormal=True, symptoms=["fever"])
    report_until(case("前天发热"), yesterday)
    made["前天发热"].entries.filter(recorded_at__date=before).update(abnormal=True)
    report_until(case("今天解除", phases=[("home_isolation", TODAY - timedelta(days=14), yesterday)]), yesterday)
    report_until(case("明天解除", phases=[("home_isolation", TODAY - timedelta(days=13), TODAY)]), yesterday)
    report_until(case("今日应检", tests=[(TODAY, "person", "第8天")]), yesterday)
    report_until(case("检测逾期", tests=[(yesterday, "person", "第7天")]), yesterday)
    done = case("已检", tests=[(yesterday, "person", "第7天")])
    done.tests.update(status=CaseTestStatus.DONE, result="negative")
    report_until(done, yesterday)
    case("已解除", status=CaseStatus.RELEASED)  # no entries at all, but not active
    made["邻村"] = make_case(person("邻村", triad.county.west_grid), phases=PHASES)
    return made


def test_each_list_holds_the_cases_that_belong_on_it_in_the_morning(triad, cases):
    user = triad.inside
    assert members(user, "symptomatic", MORNING) == {"发热"}
    assert members(user, "missed_slot", MORNING) == {"漏一次"}
    assert members(user, "missed_day", MORNING) == {"漏一天"}
    assert members(user, "missed_days", MORNING) == {"漏两天"}
    assert members(user, "release_due", MORNING) == {"今天解除", "明天解除"}
    assert members(user, "tests_due", MORNING) == {"今日应检"}
    assert members(user, "tests_overdue", MORNING) == {"检测逾期"}
    assert "已解除" not in members(user, "active", MORNING)
    assert len(members(user, "active", MORNING)) == 12


def test_a_late_report_ends_non_reporting(triad, cases):
    for code in linelists.NON_REPORTING:
        assert "补报" not in members(triad.inside, code, MORNING)


def test_in_the_evening_todays_missed_slots_count_too(triad, cases):
    user = triad.inside
    # Nobody reported today: everyone who reported yesterday evening missed one whole day.
    assert "全勤" in members(user, "missed_day", EVENING)
    # 漏一天 has now missed yesterday and today; 漏一次 yesterday afternoon and all of today.
    assert members(user, "missed_days", EVENING) >= {"漏两天", "漏一天"}
    assert "漏一次" in members(user, "missed_day", EVENING)
    assert members(user, "missed_slot", EVENING) == set()


def test_an_abnormal_entry_older_than_a_day_is_off_the_symptomatic_list(triad, cases):
    assert "前天发热" not in members(triad.inside, "symptomatic", MORNING)
    next_evening = local(TODAY, time(17, 31))  # 24 h after the fever entry (yesterday 16:30) plus a minute
    assert "发热" not in members(triad.inside, "symptomatic", next_evening)


def test_lists_filter_by_measure_and_category(triad, cases):
    user = triad.inside
    cases["漏一次"].__class__.objects.filter(pk=cases["漏一次"].pk).update(
        current_measure="centralized_isolation", category="inbound"
    )
    assert members(user, "missed_slot", MORNING, measure="home_isolation") == set()
    assert members(user, "missed_slot", MORNING, measure="centralized_isolation") == {"漏一次"}
    assert members(user, "active", MORNING, category="inbound") == {"漏一次"}


def test_lists_stay_within_the_jurisdiction(triad, cases):
    assert "邻村" not in members(triad.inside, "active", MORNING)
    assert members(triad.neighbour, "active", MORNING) == {"邻村"}
    assert members(triad.neighbour, "missed_days", MORNING) == {"邻村"}  # not 漏两天 of 东门村
    assert "邻村" in members(triad.above, "active", MORNING)


def test_a_page_of_a_list_comes_with_what_the_table_shows(triad, cases):
    page = CaseList(triad.inside, "symptomatic", MORNING)[0:50]
    (case,) = page
    assert case.last_temperature == Decimal("37.8")
    assert case.last_entry_at == local(TODAY - timedelta(days=1), time(16, 30))
    assert (case.day_number, case.day_total) == (8, 14)


def test_counts_by_child_match_the_lists(triad, cases, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        rollup = counts_by_child(triad.county.town, triad.above, MORNING)
    by_unit = {row.unit.name: row for row in rollup.rows}
    assert set(by_unit) == {"东门村", "西门村"}
    east, west = by_unit["东门村"], by_unit["西门村"]
    assert east.active == 12 and west.active == 1
    assert (east.symptomatic, east.missed_slot, east.missed_day, east.missed_days) == (1, 1, 1, 1)
    assert (east.release_due, east.tests_due, east.tests_overdue) == (2, 1, 1)
    assert east.non_reporting == 3
    # 邻村 has no entries at all: seven days before today missed.
    assert west.missed_days == 1
    assert rollup.total.active == 13 and rollup.other.active == 0


def test_counts_by_child_cost_the_same_for_many_cases(triad, cases, django_assert_max_num_queries):
    for i in range(20):
        make_case(person(f"新增{i}", triad.county.west_grid), phases=PHASES)
    with django_assert_max_num_queries(3):
        rollup = counts_by_child(triad.county.town, triad.above, MORNING)
    assert rollup.total.active == 33


def test_the_neighbour_counts_only_their_own(triad, cases):
    rollup = jurisdiction_counts(triad.neighbour, MORNING)
    assert rollup.unit == triad.county.west
    assert rollup.total.active == 1
    inside = jurisdiction_counts(triad.inside, MORNING)
    assert inside.total.active == 12 and [row.unit.name for row in inside.rows] == ["东门一组"]


def test_a_prefetched_page_reads_ids_and_count_in_one_statement(triad, cases, django_assert_max_num_queries):
    whole = [case.pk for case in CaseList(triad.above, "missed_days", MORNING)[0:50]]
    cases_list = CaseList(triad.above, "missed_days", MORNING)
    cases_list._scope = ([triad.county.town.path], [])
    with django_assert_max_num_queries(1):
        cases_list.prefetch(1, 2)
        assert cases_list.count() == len(whole) == 2
        assert cases_list.ids(1, 2) == whole[1:2]
