"""Vaccination coverage (接种率) of units as of a date, by age cohort.

Who counts:
- population (应种人群): registered persons (not provisional) with a birth date, aged 3 or more
  on the date, counted where they live (the person's `unit_path`, so a move moves their doses);
- eligible (可接种): the population less the persons under an active deferral (暂缓接种);
- a person's doses are those given on or before the date; how far they got is the highest dose
  number (剂次: a list that records only the third dose still states that two came before), and
  their full course (全程) is that of the product of their first recorded dose — the primary
  series decides, whatever product a booster was.

Metrics (each by cohort and over everyone aged 3 or more):
- 接种覆盖率: at least one dose, of the population;
- 全程接种率: doses ≥ full course, of the population;
- 第二剂接种率: at least two doses, of the population;
- 加强针接种占比: boosted (doses > full course) among the fully vaccinated aged 18 or more — the
  share of those who could have had a booster who did; by cohort, among the cohort's fully
  vaccinated.

The four figures ranked in 003:141 are 3岁以上全程接种率, 加强针接种占比, 60岁以上接种覆盖率 and
3—11岁第二剂接种率 (`RANKED`).

Every count comes from one SQL statement grouped by (residence path, cohort, highest dose, full
course, deferred), a few rows per unit, rolled up to any set of paths in Python.
"""

import datetime
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection
from django.utils.translation import gettext_lazy as _

from fangkong.orgs.jurisdiction import ancestor_paths, minimal_paths, path_range
from fangkong.orgs.models import Unit
from fangkong.people.models import Person

from ..models import Deferral, Dose, Product

# (key, label, lowest age, age it ends before)
COHORTS = (
    ("3-11", _("3—11岁"), 3, 12),
    ("12-17", _("12—17岁"), 12, 18),
    ("18-59", _("18—59岁"), 18, 60),
    ("60+", _("60岁以上"), 60, None),
)
COHORT_KEYS = tuple(key for key, *_rest in COHORTS)
COHORT_LABELS = {key: label for key, label, *_rest in COHORTS}
MIN_AGE = 3
ADULT_COHORTS = ("18-59", "60+")
FIELDS = ("population", "deferred", "vaccinated", "second", "full", "boosted")


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    numerator: str
    denominator: str
    cohorts: tuple  # the cohorts counted; all of them when empty


METRICS = {
    metric.key: metric for metric in (
        Metric("full_rate", _("3岁以上全程接种率"), "full", "population", ()),
        Metric("booster_share", _("加强针接种占比"), "boosted", "full", ADULT_COHORTS),
        Metric("coverage_60", _("60岁以上接种覆盖率"), "vaccinated", "population", ("60+",)),
        Metric("second_3_11", _("3—11岁第二剂接种率"), "second", "population", ("3-11",)),
        Metric("coverage_rate", _("3岁以上接种覆盖率"), "vaccinated", "population", ()),
    )
}
RANKED = ("full_rate", "booster_share", "coverage_60", "second_3_11")
# The rates shown for each cohort: (key, label, numerator, denominator).
COHORT_RATES = (
    ("coverage", _("接种覆盖率"), "vaccinated", "population"),
    ("full", _("全程接种率"), "full", "population"),
    ("second", _("第二剂接种率"), "second", "population"),
    ("booster", _("加强针接种占比"), "boosted", "full"),
)


def years_before(day, years):
    """The same day `years` earlier (29 February becomes the 28th): someone born on or before
    it is at least `years` old on `day`."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def months_before(day, months):
    """The same day `months` earlier, or the last day of that month when it is shorter."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    following = datetime.date(year + month // 12, month % 12 + 1, 1)
    return datetime.date(year, month, min(day.day, (following - datetime.timedelta(days=1)).day))


def age_on(birth_date, day):
    """Whole years of age on `day`."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def cohort_of(birth_date, day):
    """The cohort key of someone born on `birth_date`, on `day`; None under 3."""
    age = age_on(birth_date, day)
    for key, _label, low, high in COHORTS:
        if age >= low and (high is None or age < high):
            return key
    return None


def rate(part, whole):
    """A share in per cent with one decimal, or None when there is nobody to count."""
    return round(100.0 * part / whole, 1) if whole else None


class Coverage:
    """The counts of one unit's subtree: `cohorts[key][field]` for FIELDS."""

    def __init__(self, cohorts=None):
        self.cohorts = cohorts or {key: Counter() for key in COHORT_KEYS}

    def add(self, other):
        for key in COHORT_KEYS:
            self.cohorts[key].update(other.cohorts[key])

    def total(self, field, cohorts=()):
        return sum(self.cohorts[key][field] for key in (cohorts or COHORT_KEYS))

    @property
    def population(self):
        return self.total("population")

    @property
    def eligible(self):
        return self.population - self.total("deferred")

    def metric(self, key):
        metric = METRICS[key]
        return rate(self.total(metric.numerator, metric.cohorts), self.total(metric.denominator, metric.cohorts))

    def cohort_rows(self):
        """One row per cohort and one for everyone aged 3 or more: counts and rates."""
        rows = []
        for key, label in [*COHORT_LABELS.items(), ("all", _("3岁以上合计"))]:
            cohorts = () if key == "all" else (key,)
            counts = {field: self.total(field, cohorts) for field in FIELDS}
            counts["eligible"] = counts["population"] - counts["deferred"]
            rates = {name: rate(counts[num], counts[den]) for name, _label, num, den in COHORT_RATES}
            if key == "all":
                rates["booster"] = self.metric("booster_share")
            rows.append({"key": key, "label": label, "counts": counts, "rates": rates})
        return rows

    def as_dict(self):
        return {
            "population": self.population, "eligible": self.eligible,
            "cohorts": {row["key"]: {**row["counts"], "rates": row["rates"]} for row in self.cohort_rows()},
            "metrics": {key: self.metric(key) for key in METRICS},
        }


def _table(model):
    return connection.ops.quote_name(model._meta.db_table)


def _path_condition(alias, prefixes):
    ranges = [path_range(prefix) for prefix in prefixes]
    sql = " OR ".join([f"({alias}.unit_path >= %s AND {alias}.unit_path < %s)"] * len(ranges))
    return f"({sql})", [bound for pair in ranges for bound in pair]


def _grouped_rows(prefixes, on_date):
    """(unit path, cohort number 1–4, highest dose, full course, deferred, persons) rows."""
    adapt = connection.ops.adapt_datefield_value
    day = adapt(on_date)
    cut = {years: adapt(years_before(on_date, years)) for years in (MIN_AGE, 12, 18, 60)}
    people, people_params = _path_condition("p", prefixes)
    dosed, dosed_params = _path_condition("q", prefixes)
    person, dose, product, deferral = _table(Person), _table(Dose), _table(Product), _table(Deferral)
    sql = (
        "SELECT p.unit_path, "
        "CASE WHEN p.birth_date > %s THEN 1 WHEN p.birth_date > %s THEN 2 WHEN p.birth_date > %s THEN 3 ELSE 4 END, "
        "COALESCE(g.top, 0), COALESCE(pr.full_course_doses, 0), "
        f"CASE WHEN EXISTS (SELECT 1 FROM {deferral} df WHERE df.person_id = p.id AND df.starts_on <= %s "
        "AND (df.ends_on IS NULL OR df.ends_on >= %s)) THEN 1 ELSE 0 END, COUNT(*) "
        f"FROM {person} p LEFT JOIN (SELECT d.person_id, MAX(d.dose_number) AS top, MIN(d.dose_number) AS first "
        f"FROM {dose} d JOIN {person} q ON q.id = d.person_id WHERE d.given_on <= %s AND {dosed} "
        "GROUP BY d.person_id) g ON g.person_id = p.id "
        f"LEFT JOIN {dose} f ON f.person_id = g.person_id AND f.dose_number = g.first "
        f"LEFT JOIN {product} pr ON pr.id = f.product_id "
        f"WHERE p.is_provisional = %s AND p.birth_date <= %s AND {people} "
        "GROUP BY 1, 2, 3, 4, 5"
    )
    params = [cut[12], cut[18], cut[60], day, day, day, *dosed_params, False, cut[MIN_AGE], *people_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def coverage_by_path(paths, on_date):
    """{path: Coverage} of the subtree of each of `paths` (any level, nested or not) as of
    `on_date`, from one query whatever the number of paths."""
    paths = list(dict.fromkeys(paths))
    result = {path: Coverage() for path in paths}
    if not paths:
        return result
    prefixes = tuple(sorted(minimal_paths(paths)))
    if _held is not None:
        key = (prefixes, on_date)
        if key not in _held:
            _held[key] = _by_unit(prefixes, on_date)
        by_unit = _held[key]
    else:
        by_unit = _by_unit(prefixes, on_date)
    for unit_path, cohorts in by_unit.items():
        unit_coverage = Coverage(cohorts)
        for prefix in ancestor_paths(unit_path):
            if prefix in result:
                result[prefix].add(unit_coverage)
    return result


# While `doses_unchanged()` holds: {(prefixes, date): counts by unit path}.
_held = None


@contextmanager
def doses_unchanged():
    """For a caller that counts the same dates many times while it knows that people, doses and
    deferrals do not change (the demo writing a month of daily reports after the doses): each
    date's counts are read once in the block and reused."""
    global _held
    outer, _held = _held, {} if _held is None else _held
    try:
        yield
    finally:
        _held = outer


def _by_unit(prefixes, on_date):
    """{unit path: {cohort: Counter of FIELDS}} of the persons living at each unit path."""
    by_unit = defaultdict(lambda: {key: Counter() for key in COHORT_KEYS})
    for unit_path, cohort, top, course, deferred, persons in _grouped_rows(prefixes, on_date):
        counts = by_unit[unit_path][COHORT_KEYS[cohort - 1]]
        counts["population"] += persons
        if deferred:
            counts["deferred"] += persons
        if top >= 1:
            counts["vaccinated"] += persons
        if top >= 2:
            counts["second"] += persons
        if course and top >= course:
            counts["full"] += persons
        if course and top > course:
            counts["boosted"] += persons
    return dict(by_unit)


def unit_coverage(unit, on_date):
    return coverage_by_path([unit.path], on_date)[unit.path]


def vaccination_counts(paths, on_date):
    """The vaccination figures of the daily report: for each unit path in `paths` (any level,
    may be nested) the counts over its subtree as of `on_date` — population aged 3 or more,
    vaccinated (≥1 dose), full course, boosted, and the population and vaccinated aged 60 or
    more. One query for any number of paths."""
    return {
        path: {
            "population": coverage.population,
            "vaccinated": coverage.total("vaccinated"),
            "full": coverage.total("full"),
            "boosted": coverage.total("boosted"),
            "population_60": coverage.total("population", ("60+",)),
            "vaccinated_60": coverage.total("vaccinated", ("60+",)),
        }
        for path, coverage in coverage_by_path(paths, on_date).items()
    }


def _ranks(values):
    """Competition ranks (1, 2, 2, 4) from the highest value; None (nobody to count) unranked."""
    ordered = sorted((v for v in values if v is not None), reverse=True)
    first = {}
    for position, value in enumerate(ordered, start=1):
        first.setdefault(value, position)
    return [first.get(v) for v in values]


def child_units(unit):
    return list(Unit.objects.get_children(unit).order_by("path")) if not unit.is_leaf() else []


def ranking(unit, on_date, metrics=RANKED):
    """The child units of `unit` with people aged 3 or more, each with its value and rank for
    every metric (rank 1 the highest): [{"unit", "coverage", "values": {key: rate},
    "ranks": {key: rank}}] in tree order."""
    children = child_units(unit)
    coverage = coverage_by_path([child.path for child in children], on_date)
    rows = [
        {"unit": child, "coverage": coverage[child.path],
         "values": {key: coverage[child.path].metric(key) for key in metrics}}
        for child in children if coverage[child.path].population
    ]
    for row in rows:
        row["ranks"] = {}
    for key in metrics:
        for row, rank in zip(rows, _ranks([row["values"][key] for row in rows])):
            row["ranks"][key] = rank
    return rows


def sort_ranking(rows, metric):
    """The rows by rank on `metric`, unranked last, ties in tree order."""
    return sorted(rows, key=lambda row: (row["ranks"][metric] is None, row["ranks"][metric] or 0))
