"""The day convention of issue 3 (the contract), on small hand-made rules: N-day periods from
A cover A+1…A+N; fill-and-top-up skips periods already over and starts the current one on the
arrival; without it periods are laid out from the arrival; missed tests move onto the arrival
once; "N days after release" counts from the last period's last day."""

from datetime import date, time

import pytest
from django.core.exceptions import ValidationError

from fangkong.control.regimens import compute_plan


def d(month, day, year=2022):
    return date(year, month, day)


def iso(*values):
    return [v.isoformat() for v in values]


TWO_PHASES = {
    "anchor": "departure",
    "fill_and_top_up": True,
    "phases": [
        {"measure": "centralized_isolation", "days": 14},
        {"measure": "home_health_monitoring", "days": 7, "tests": [{"day": 2}, {"day": 7}]},
    ],
    "tests": [{"after_release": 7}],
}


def test_a_period_counted_from_the_anchor_covers_the_next_n_days():
    # A = 1月10日: 14 days are 1月11日…1月24日; the 7 after are 1月25日…1月31日.
    plan = compute_plan(TWO_PHASES, d(1, 10))
    assert [(p.first_day, p.last_day) for p in plan.phases] == [(d(1, 11), d(1, 24)), (d(1, 25), d(1, 31))]
    assert plan.release_on == d(2, 1)


def test_no_arrival_means_the_day_after_the_anchor_with_or_without_fill_and_top_up():
    without = {**TWO_PHASES, "fill_and_top_up": False}
    assert compute_plan(TWO_PHASES, d(1, 10)).preview() == compute_plan(without, d(1, 10)).preview()
    assert compute_plan(without, d(1, 10)).preview() == compute_plan(without, d(1, 10), d(1, 11)).preview()


def test_fill_and_top_up_starts_the_phase_under_way_on_the_arrival():
    plan = compute_plan(TWO_PHASES, d(1, 10), d(1, 15))
    first = plan.phases[0]
    assert (first.period_first_day, first.first_day, first.last_day) == (d(1, 11), d(1, 15), d(1, 24))
    assert plan.phases[1].first_day == d(1, 25)
    assert plan.release_on == d(2, 1)


def test_fill_and_top_up_skips_a_phase_whose_period_ended_before_the_arrival():
    # Isolation ran 1月11日–1月24日 on paper; arriving 1月27日 only the rest of monitoring is left.
    plan = compute_plan(TWO_PHASES, d(1, 10), d(1, 27))
    assert [p.measure for p in plan.phases] == ["home_health_monitoring"]
    assert (plan.phases[0].first_day, plan.phases[0].last_day) == (d(1, 27), d(1, 31))
    assert plan.phases[0].index == 0


def test_a_phase_ending_on_the_arrival_date_is_kept_for_that_one_day():
    plan = compute_plan(TWO_PHASES, d(1, 10), d(1, 24))
    assert [(p.first_day, p.last_day) for p in plan.phases] == [(d(1, 24), d(1, 24)), (d(1, 25), d(1, 31))]


def test_without_fill_and_top_up_periods_are_laid_out_from_the_arrival():
    rule = {**TWO_PHASES, "fill_and_top_up": False}
    plan = compute_plan(rule, d(1, 10), d(1, 15))
    # First period covers the arrival and the 13 days after it.
    assert [(p.first_day, p.last_day) for p in plan.phases] == [(d(1, 15), d(1, 28)), (d(1, 29), d(2, 4))]
    assert plan.release_on == d(2, 5)
    assert [t.date for t in plan.tests] == [d(1, 30), d(2, 4), d(2, 11)]


def test_tests_fall_on_days_of_the_phase_period_and_after_release():
    plan = compute_plan(TWO_PHASES, d(1, 10), d(1, 15))
    assert plan.preview()["tests"] == [
        {"date": "2022-01-26", "who": "person"},
        {"date": "2022-01-31", "who": "person"},
        {"date": "2022-02-07", "who": "person"},  # last period day 1月31日 + 7
    ]
    assert [t.label for t in plan.tests] == ["居家健康监测第2天", "居家健康监测第7天", "解除居家健康监测后第7天"]
    assert [t.phase_index for t in plan.tests] == [1, 1, None]


def test_missed_tests_are_done_on_the_arrival_once_keeping_who_distinct():
    rule = {
        "anchor": "last_exposure",
        "fill_and_top_up": True,
        "phases": [{"measure": "centralized_isolation", "days": 7, "tests": [
            {"day": 1}, {"day": 2}, {"day": 3}, {"day": 1, "who": "co_residents"}, {"day": 2, "who": "co_residents"},
            {"day": 5}]}],
    }
    # Period 1月2日–1月8日; arrival 1月5日: days 1–3 (1月2–4日) were missed.
    plan = compute_plan(rule, d(1, 1), d(1, 5))
    assert plan.preview()["tests"] == [
        {"date": "2022-01-05", "who": "person"},
        {"date": "2022-01-05", "who": "co_residents"},
        {"date": "2022-01-06", "who": "person"},
    ]
    assert plan.tests[0].label.count("抵达补检") == 3


def test_a_missed_test_merges_with_a_test_already_on_the_arrival_day():
    rule = {"anchor": "departure", "fill_and_top_up": True,
            "phases": [{"measure": "home_isolation", "days": 7, "tests": [{"day": 1}, {"day": 2}]}],
            "tests": [{"on_arrival": True}]}
    plan = compute_plan(rule, d(1, 1), d(1, 3))
    assert plan.preview()["tests"] == [{"date": "2022-01-03", "who": "person"}]


def test_arrival_after_every_period_ended_leaves_no_phase_and_drops_missed_tests():
    # Periods 1月11日–1月31日 all over by 2月3日: nothing to do but the after-release test on 2月7日.
    plan = compute_plan(TWO_PHASES, d(1, 10), d(2, 3))
    assert plan.phases == ()
    assert plan.release_on == d(2, 1)
    assert plan.preview()["tests"] == [{"date": "2022-02-07", "who": "person"}]
    assert plan.follow_up_days() == []
    # Later still: the after-release test is over too.
    assert compute_plan(TWO_PHASES, d(1, 10), d(2, 10)).tests == ()


def test_an_on_arrival_test_stays_even_when_the_regimen_is_over():
    rule = {**TWO_PHASES, "tests": [{"on_arrival": True}]}
    plan = compute_plan(rule, d(1, 10), d(3, 1))
    assert plan.preview() == {"phases": [], "tests": [{"date": "2022-03-01", "who": "person"}],
                              "release_on": "2022-02-01"}


def test_anchor_equal_to_arrival():
    # With fill-and-top-up the first period still begins the day after the anchor.
    rule = {**TWO_PHASES, "tests": [{"on_arrival": True}]}
    plan = compute_plan(rule, d(1, 10), d(1, 10))
    assert plan.phases[0].first_day == d(1, 11)
    assert plan.tests[0].date == d(1, 10) and plan.tests[0].phase_index is None
    # Without it the first period covers the arrival day itself.
    plan = compute_plan({**rule, "fill_and_top_up": False}, d(1, 10), d(1, 10))
    assert plan.phases[0].first_day == d(1, 10) and plan.phases[0].last_day == d(1, 23)
    assert plan.tests[0].phase_index == 0


def test_arrival_before_the_anchor_is_an_error():
    with pytest.raises(ValidationError, match="抵达日期.*不能早于起算日期"):
        compute_plan(TWO_PHASES, d(1, 10), d(1, 9))


def test_recurring_tests_every_n_days_from_a_given_day():
    rule = {"anchor": "arrival", "phases": [{"measure": "daily_health_monitoring", "days": 10, "tests": [
        {"every": 2}, {"every": 7, "who": "co_residents"}, {"every": 4, "from": 3}]}]}
    plan = compute_plan(rule, d(1, 10), d(1, 10))
    # Every 2: days 1,3,5,7,9; from day 3 every 4: days 3,7 (merged); co-residents days 1, 8.
    assert plan.preview()["tests"] == [
        {"date": "2022-01-10", "who": "person"}, {"date": "2022-01-10", "who": "co_residents"},
        {"date": "2022-01-12", "who": "person"}, {"date": "2022-01-14", "who": "person"},
        {"date": "2022-01-16", "who": "person"}, {"date": "2022-01-17", "who": "co_residents"},
        {"date": "2022-01-18", "who": "person"},
    ]


def test_tests_in_date_order_person_before_co_residents():
    rule = {"anchor": "arrival", "phases": [
        {"measure": "home_isolation", "days": 3, "tests": [{"day": 3, "who": "co_residents"}, {"day": 3}]},
        {"measure": "daily_health_monitoring", "days": 3, "tests": [{"day": 1}]}],
        "tests": [{"after_release": 1, "who": "co_residents"}, {"on_arrival": True}]}
    plan = compute_plan(rule, d(1, 1))
    assert [(t.date, t.who) for t in plan.tests] == [
        (d(1, 2), "person"), (d(1, 4), "person"), (d(1, 4), "co_residents"), (d(1, 5), "person"),
        (d(1, 8), "co_residents")]


def test_follow_up_windows_team_and_release_conditions_come_from_the_rule():
    rule = {**TWO_PHASES, "follow_up": {"windows": [["07:30", "09:00"], ["15:00", "17:30"]]},
            "team": {"name": "五包一", "roles": ["镇干部", "村干部", "村医", "民警", "网格员"], "daily_sign_off": True,
                     "photo": True},
            "release_conditions": ["all_tests_negative", "samples_negative"]}
    plan = compute_plan(rule, d(1, 10))
    assert plan.windows == ((time(7, 30), time(9)), (time(15), time(17, 30)))
    assert plan.team_name == "五包一" and plan.team_roles == ("镇干部", "村干部", "村医", "民警", "网格员")
    assert plan.daily_sign_off and plan.sign_off_photo
    assert plan.release_conditions == ("all_tests_negative", "samples_negative")
    defaults = compute_plan(TWO_PHASES, d(1, 10))
    assert defaults.windows == ((time(8), time(10)), (time(16), time(18)))
    assert defaults.release_conditions == ("all_tests_negative",)
    assert not defaults.daily_sign_off and defaults.team_roles == ()


def test_follow_up_days_span_the_phases_under_control():
    plan = compute_plan(TWO_PHASES, d(1, 10), d(1, 29))
    assert plan.follow_up_days() == [d(1, 29), d(1, 30), d(1, 31)]


def test_an_invalid_rule_is_refused():
    with pytest.raises(ValidationError):
        compute_plan({"anchor": "departure", "phases": []}, d(1, 10))
