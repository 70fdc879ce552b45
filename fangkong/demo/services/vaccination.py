"""The demo county's COVID-19 vaccination (新冠疫苗接种): doses for its people as the
vaccination lists of 2021 would have recorded them, with coverage that differs by age as it did
— adults nearly all fully vaccinated and most of them boosted, the elderly behind, children
3–11 vaccinated from November 2021 and many still waiting for their second dose — and a few
people deferred (禁忌症, acute illness, pregnancy), so that the coverage pages, the ranking of
towns and villages and the lists for door-knocking have something to show.

Villages differ a little (each gets its own drive), so the ranking is not a tie. Written with
bulk_create in batches (bypassing save(): `unit_path` is filled here)."""

import datetime

from django.utils import timezone

from fangkong.people.models import Person
from fangkong.vaccination.models import Deferral, DeferralReason, Dose, Product
from fangkong.vaccination.services.coverage import age_on

BATCH = 5000
# Cohort: (lowest age, share with a first dose, share of those with the full course, share of
# the fully vaccinated with a booster, first day of the cohort's first doses, days they spread over)
COHORTS = [
    (60, 0.80, 0.88, 0.50, datetime.date(2021, 4, 1), 200),
    (18, 0.96, 0.95, 0.68, datetime.date(2021, 3, 15), 150),
    (12, 0.95, 0.93, 0.0, datetime.date(2021, 7, 20), 90),
    (3, 0.85, 0.70, 0.0, datetime.date(2021, 11, 1), 75),
]
# Products of first doses for adults; children had the inactivated vaccines only.
ADULT_PRODUCTS = [("inactivated-bibp", 40), ("inactivated-sinovac", 35), ("inactivated-wibp", 10),
                  ("recombinant-zf2001", 10), ("adenovirus-ad5", 5)]
CHILD_PRODUCTS = [("inactivated-bibp", 50), ("inactivated-sinovac", 50)]
# Days between doses of the primary series, and from the full course to the booster.
DOSE_INTERVAL = (21, 56)
BOOSTER_AFTER = (183, 240)
HETEROLOGOUS_BOOSTER = 0.15  # boosters with the recombinant protein vaccine after another product
VILLAGE_DRIVE = 0.06  # each village's shares move up or down by up to this much
DEFERRED_SHARE = 0.08  # of those never vaccinated
DEFERRAL_NOTES = {
    DeferralReason.CONTRAINDICATION: ["对疫苗成分过敏史", "既往接种后严重过敏反应", "免疫功能缺陷"],
    DeferralReason.ILLNESS: ["发热待查", "慢性病急性发作期，住院治疗中", "近期手术恢复期"],
    DeferralReason.PREGNANT: ["妊娠期", "哺乳期，本人暂缓"],
    DeferralReason.OTHER: ["长期卧床，待上门评估", "本人暂不愿接种，已宣传动员"],
}


def _weighted(rng, choices):
    codes, weights = zip(*choices)
    return rng.choices(codes, weights)[0]


def _cohort(age):
    for cohort in COHORTS:
        if age >= cohort[0]:
            return cohort
    return None


def _sites(county):
    """{town path: vaccination site name}: each town's health centre vaccinates its people."""
    from fangkong.orgs.models import Unit

    towns = Unit.objects.filter(path__startswith=county.path, depth=county.depth + 1, type="town")
    return {town.path: f"{town.name}卫生院预防接种门诊" for town in towns}


class Planner:
    def __init__(self, county, rng, today):
        self.rng, self.today = rng, today
        self.products = {product.code: product for product in Product.objects.all()}
        self.sites = _sites(county)
        self.town_length = len(county.path) + 4
        self.village_length = len(county.path) + 8
        self.drives = {}
        self.doses, self.deferrals = [], []

    def drive(self, unit_path):
        village = unit_path[:self.village_length]
        if village not in self.drives:
            self.drives[village] = self.rng.uniform(-VILLAGE_DRIVE, VILLAGE_DRIVE)
        return self.drives[village]

    def person(self, pk, unit_path, birth_date):
        age = age_on(birth_date, self.today)
        cohort = _cohort(age)
        if cohort is None:
            return
        _low, first_share, full_share, booster_share, start, spread = cohort
        drive = self.drive(unit_path)
        if self.rng.random() >= first_share + drive:
            if self.rng.random() < DEFERRED_SHARE:
                self.defer(pk, unit_path)
            return
        code = _weighted(self.rng, ADULT_PRODUCTS if age >= 18 else CHILD_PRODUCTS)
        course = self.products[code].full_course_doses
        day = start + datetime.timedelta(days=self.rng.randrange(spread))
        given = 1 if self.rng.random() >= full_share + drive else course
        if given > 1 and course > 1 and given == course and self.rng.random() < 0.03:
            given = course - 1  # a few still between doses
        boosted = given == course and booster_share > 0 and self.rng.random() < booster_share + drive
        site = self.sites.get(unit_path[:self.town_length], "县疾控中心预防接种门诊")
        for number in range(1, given + 1):
            if number > 1:
                day += datetime.timedelta(days=self.rng.randint(*DOSE_INTERVAL))
            if day > self.today:
                return
            self.add(pk, unit_path, code, number, day, site)
        if boosted:
            day += datetime.timedelta(days=self.rng.randint(*BOOSTER_AFTER))
            booster = "recombinant-zf2001" if self.rng.random() < HETEROLOGOUS_BOOSTER else code
            if day <= self.today:
                self.add(pk, unit_path, booster, course + 1, day, site)

    def add(self, pk, unit_path, code, number, day, site):
        self.doses.append(Dose(
            person_id=pk, unit_path=unit_path, product=self.products[code], dose_number=number, given_on=day,
            site=site, batch_number=f"{day:%Y%m}{self.rng.randrange(1, 60):03d}",
        ))

    def defer(self, pk, unit_path):
        reason = self.rng.choice(list(DEFERRAL_NOTES))
        starts = self.today - datetime.timedelta(days=self.rng.randrange(10, 200))
        ends = None if self.rng.random() < 0.7 else self.today + datetime.timedelta(days=self.rng.randrange(10, 90))
        self.deferrals.append(Deferral(
            person_id=pk, unit_path=unit_path, reason=reason, note=self.rng.choice(DEFERRAL_NOTES[reason]),
            starts_on=starts, ends_on=ends,
        ))


def create_vaccination(county, rng, today=None):
    """Doses and deferrals for the demo county's registered people; returns (doses, deferrals)."""
    planner = Planner(county, rng, today or timezone.localdate())
    people = (
        Person.objects.filter(unit_path__startswith=county.path, is_provisional=False, birth_date__isnull=False)
        .order_by("pk").values_list("pk", "unit_path", "birth_date")
    )
    for pk, unit_path, birth_date in people.iterator(chunk_size=BATCH):
        planner.person(pk, unit_path, birth_date)
    Dose.objects.bulk_create(planner.doses, batch_size=BATCH)
    Deferral.objects.bulk_create(planner.deferrals, batch_size=BATCH)
    return len(planner.doses), len(planner.deferrals)
