"""Pool planning (混采规划): Dorfman's two-stage pooling and what a lab's daily capacity covers.

Dorfman (1943): n samples share one tube; a positive tube has each of its n members retested
singly. With prevalence P the expected number of tests per person is

    t(n) = 1/n + 1 − (1 − P)^n

t falls while the tube is small, reaches a minimum, rises past 1 and then creeps back towards 1
from above; so the first local minimum is the global one when it is below 1, and when it is not,
pooling never saves tests at that prevalence (Dorfman's break-even lies near P ≈ 0.31).
"""

import math
from dataclasses import dataclass
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Beyond this the optimum is arithmetic, not tubes; it is about 1/√P, so this reaches down to P ≈ 1e-8.
MAX_POOL_SIZE = 10_000


def _check_prevalence(prevalence):
    if isinstance(prevalence, bool) or not isinstance(prevalence, (int, float)) or math.isnan(prevalence):
        raise ValidationError(_("阳性率应为 0 到 1 之间的数（不含 1），如 0.01 表示 1%。"))
    if not 0 <= prevalence < 1:
        raise ValidationError(
            _("阳性率应在 0 到 1 之间（不含 1），如 0.01 表示 1%%；收到的是 %(p)s。"), params={"p": prevalence}
        )


def _check_pool_size(size, label):
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValidationError(_("%(label)s应为正整数。"), params={"label": label})
    if size > MAX_POOL_SIZE:
        raise ValidationError(
            _("%(label)s不能超过 %(max)d。"), params={"label": label, "max": MAX_POOL_SIZE}
        )


def dorfman_tests_per_person(prevalence, size):
    """Expected tests per person when `size` samples share a tube and a positive tube is retested
    member by member. A tube of one is a single test: nothing to retest."""
    _check_prevalence(prevalence)
    _check_pool_size(size, _("混采人数"))
    if size == 1:
        return 1.0
    return 1 / size + 1 - (1 - prevalence) ** size


class PoolSize(NamedTuple):
    size: int
    tests_per_person: float

    @property
    def beats_individual(self):
        """Whether pooling at this size needs fewer tests than one tube per person."""
        return self.tests_per_person < 1

    @property
    def saving(self):
        """The share of tests saved against one tube per person (negative when pooling costs more)."""
        return 1 - self.tests_per_person


def optimal_pool_size(prevalence, max_size=None):
    """The pool size n ≥ 2 (up to `max_size` when given) with the fewest expected tests per
    person, as a `PoolSize` that unpacks to (n, t). Ties go to the smaller tube.

    Without `max_size` there must be a finite optimum: at P = 0 every larger tube is better, and
    when pooling never gets below one test per person there is nothing to recommend."""
    _check_prevalence(prevalence)
    if max_size is not None:
        _check_pool_size(max_size, _("最大混采人数"))
        if max_size < 2:
            raise ValidationError(_("最大混采人数至少为 2。"))
        best = min(range(2, max_size + 1), key=lambda n: (dorfman_tests_per_person(prevalence, n), n))
        return PoolSize(best, dorfman_tests_per_person(prevalence, best))
    if prevalence == 0:
        raise ValidationError(_("阳性率为 0 时混采人数越大越省，请指定最大混采人数。"))
    size, tests = 2, dorfman_tests_per_person(prevalence, 2)
    while size < MAX_POOL_SIZE:
        following = dorfman_tests_per_person(prevalence, size + 1)
        if following >= tests:
            break
        size, tests = size + 1, following
    if size == MAX_POOL_SIZE and tests < 1:
        raise ValidationError(
            _("阳性率过低，最优混采人数超过 %(max)d，请指定最大混采人数。"), params={"max": MAX_POOL_SIZE}
        )
    if tests >= 1:
        raise ValidationError(
            _("阳性率为 %(p)s 时，无论几人一管，混采的每人检测次数都不少于单采，应单人单管检测。"),
            params={"p": f"{prevalence:g}"},
        )
    return PoolSize(size, tests)


def pool_size_table(prevalence, sizes=range(2, 21)):
    """[PoolSize(n, t(n))] for a small table beside the optimum."""
    return [PoolSize(n, dorfman_tests_per_person(prevalence, n)) for n in sizes]


@dataclass(frozen=True)
class CapacityPlan:
    lab_tests_per_day: int
    pool_size: int
    population: int
    positivity: float
    tests_per_person: float
    people_per_day: int
    tubes_per_day: int  # pooled tubes sampled a day (first stage)
    retests_per_day: int  # single-tube retests of the members of positive tubes, expected
    days_to_cover: int | None  # None: the lab cannot cover even one person a day
    tubes_total: int  # pooled tubes to cover the whole population once


def plan_capacity(lab_tests_per_day, pool_size, population, positivity=0):
    """What a lab doing `lab_tests_per_day` tests covers with tubes of `pool_size`: people a day,
    days to cover `population` and tubes. At a positivity above 0 the positive tubes' members are
    retested singly, which takes part of the lab's tests (Dorfman's expected tests per person)."""
    if isinstance(lab_tests_per_day, bool) or not isinstance(lab_tests_per_day, int) or lab_tests_per_day < 1:
        raise ValidationError(_("实验室日检测能力应为正整数（管/天）。"))
    _check_pool_size(pool_size, _("混采人数"))
    if isinstance(population, bool) or not isinstance(population, int) or population < 0:
        raise ValidationError(_("人口数应为不小于 0 的整数。"))
    tests_per_person = dorfman_tests_per_person(positivity, pool_size)
    if positivity == 0 or pool_size == 1:
        people_per_day = lab_tests_per_day * pool_size
    else:
        # The day's tests are first-stage tubes plus retests: people × t(n) ≤ tests.
        # (the small allowance keeps a float just under a whole number from losing a person)
        people_per_day = math.floor(lab_tests_per_day / tests_per_person + 1e-9)
    positive_share = 0.0 if pool_size == 1 else 1 - (1 - positivity) ** pool_size
    return CapacityPlan(
        lab_tests_per_day=lab_tests_per_day,
        pool_size=pool_size,
        population=population,
        positivity=positivity,
        tests_per_person=tests_per_person,
        people_per_day=people_per_day,
        tubes_per_day=math.ceil(people_per_day / pool_size),
        retests_per_day=round(people_per_day * positive_share),
        days_to_cover=math.ceil(population / people_per_day) if people_per_day else None,
        tubes_total=math.ceil(population / pool_size),
    )
