"""The plan engine: `compute_plan(rule, anchor, arrival=None) -> Plan`.

Day convention (the contract of issue 3):

* For an anchor date A, an N-day period counted from A covers A+1 … A+N; day k of it is A+k.
* Phases follow one another: each period begins the day after the previous one ends.
* With fill-and-top-up (填平补齐) the periods are laid out from the anchor, as if the person had
  been under control since A+1: a phase whose period ended before the arrival date is skipped,
  and the phase under way on the arrival date starts on the arrival date. Without it, the
  periods are laid out from the arrival date (the first period covers the arrival date and the
  N−1 days after it).
* A test on day k of a phase falls on day k of that phase's period. A test whose date is before
  the arrival date is done on the arrival date instead — once, however many were missed; one
  for the person and one for the co-residents if tests of both were missed.
* A test "N days after release" falls on the last day of the last period + N.
* A phase's `first_day` is the later of its period's first day and the arrival date; its
  `last_day` is the period's last day; `release_on` is the day after the last period's last day.
* With no arrival date, the arrival is A+1. An arrival before the anchor is an error; an
  arrival on the anchor date is allowed (nothing is before it, so nothing moves).

Decided here (documented, tested):

* Arrival after every period has ended (only possible with fill-and-top-up): no phase remains,
  `release_on` is still the day after the last period's last day (a date before or on the
  arrival: the person is not put under control). Tests before the arrival are then dropped —
  they move onto the arrival date only when the arrival is before `release_on` — while tests
  on or after the arrival (e.g. "7 days after release") and on-arrival tests stay.
* Tests are in date order, the person's before the co-residents' on the same day; identical
  (date, who) pairs are merged into one, their labels joined.
* `TestPlan.phase_index` is the index in `Plan.phases` of the phase under way on the test's
  date, or None (e.g. a test after release).
"""

from datetime import date, time, timedelta

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from fangkong.control.models import Measure

from .plan import PhasePlan, Plan, TestPlan
from .schema import DEFAULT_RELEASE_CONDITIONS, DEFAULT_WINDOWS, validate_rule

ONE_DAY = timedelta(days=1)
WHO_ORDER = {"person": 0, "co_residents": 1}
LABEL_LIMIT = 60  # CaseTest.label


def _measure_label(measure):
    return str(Measure(measure).label)


def _phase_test_days(test, days):
    if "day" in test:
        return [test["day"]]
    step, first = test["every"], test.get("from", 1)
    return list(range(first, days + 1, step))


def _windows(rule):
    windows = rule.get("follow_up", {}).get("windows") or DEFAULT_WINDOWS
    return tuple((time.fromisoformat(start), time.fromisoformat(end)) for start, end in windows)


def compute_plan(rule, anchor, arrival=None):
    """The plan of one person under one rule, counted from `anchor` (a date), arriving on
    `arrival` (a date or None: the day after the anchor). Raises ValidationError for an
    invalid rule or an arrival before the anchor."""
    validate_rule(rule)
    if not isinstance(anchor, date):
        raise ValidationError(_("起算日期必须是日期"))
    if arrival is None:
        arrival = anchor + ONE_DAY
    elif arrival < anchor:
        raise ValidationError(_("抵达日期（%(arrival)s）不能早于起算日期（%(anchor)s）")
                              % {"arrival": arrival.isoformat(), "anchor": anchor.isoformat()})
    fill = rule.get("fill_and_top_up", False)

    # Lay out the periods, one per phase of the rule.
    start = anchor + ONE_DAY if fill else arrival
    periods = []
    for phase in rule["phases"]:
        last = start + timedelta(days=phase["days"] - 1)
        periods.append((phase, start, last))
        start = last + ONE_DAY
    last_period_day = periods[-1][2]
    release_on = last_period_day + ONE_DAY

    phases = tuple(
        PhasePlan(index=i, measure=phase["measure"], period_first_day=first, period_last_day=last,
                  first_day=max(first, arrival), last_day=last)
        for i, (phase, first, last) in enumerate((p for p in periods if p[2] >= arrival))
    )

    # Every test as the rule dates it, then moved onto the arrival if it is before it.
    raw = []
    for phase, first, _last in periods:
        label = _measure_label(phase["measure"])
        for test in phase.get("tests", []):
            who = str(test.get("who", "person"))
            for k in _phase_test_days(test, phase["days"]):
                text = _("%(measure)s第%(day)d天") % {"measure": label, "day": k}
                raw.append((first + timedelta(days=k - 1), who, text))
    last_label = _measure_label(rule["phases"][-1]["measure"])
    for test in rule.get("tests", []):
        who = str(test.get("who", "person"))
        if test.get("on_arrival"):
            raw.append((arrival, who, _("抵达检测")))
        else:
            n = test["after_release"]
            raw.append((last_period_day + timedelta(days=n),
                        who, _("解除%(measure)s后第%(day)d天") % {"measure": last_label, "day": n}))

    merged = {}
    for day, who, label in raw:
        if day < arrival:
            if arrival >= release_on:
                continue  # the regimen was over before the person arrived
            day, label = arrival, _("%(label)s（抵达补检）") % {"label": label}
        merged.setdefault((day, who), []).append(label)

    def phase_of(day):
        return next((p.index for p in phases if p.first_day <= day <= p.last_day), None)

    tests = tuple(
        TestPlan(date=day, who=who, label="、".join(labels)[:LABEL_LIMIT], phase_index=phase_of(day))
        for (day, who), labels in sorted(merged.items(), key=lambda item: (item[0][0], WHO_ORDER[item[0][1]]))
    )

    team = rule.get("team", {})
    return Plan(
        phases=phases,
        tests=tests,
        release_on=release_on,
        windows=_windows(rule),
        team_roles=tuple(team.get("roles", ())),
        team_name=team.get("name", ""),
        daily_sign_off=bool(team.get("daily_sign_off", False)),
        sign_off_photo=bool(team.get("photo", False)),
        release_conditions=tuple(rule.get("release_conditions") or DEFAULT_RELEASE_CONDITIONS),
    )
