"""The demo county's people: households of 1–6 with a head and relations, and their places in
the other trees (pupils in classes, teachers in schools, employees in teams, site staff).

Everything is planned in memory first (classes are sized to the pupils found), then written
with bulk_create in batches. bulk_create bypasses save(), so `unit_path` and `name_initials`
are filled here; it also bypasses django-simple-history, so the demo load leaves no history.
"""

import datetime
import math
from dataclasses import dataclass, field

from django.db.models import OuterRef, Subquery

from fangkong.lib.idnumbers import birth_date_from_resident_id
from fangkong.lib.pinyin import initials
from fangkong.people.models import Affiliation, Household, Person, PopulationType

from .county import SCHOOL_KINDS

HOUSEHOLD_SIZES = [1, 2, 3, 4, 5, 6]
HOUSEHOLD_SIZE_WEIGHTS = [18, 28, 25, 16, 8, 5]
POPULATION_TYPES = [PopulationType.RESIDENT, PopulationType.MOBILE, PopulationType.TEMPORARY]
POPULATION_WEIGHTS = {True: [80, 13, 7], False: [93, 5, 2]}  # urban, rural
# Share of working-age adults employed by the county's companies.
EMPLOYED_SHARE = 0.06
PUPILS_PER_TEACHER = 14
BATCH = 2000
HEAD = "户主"


@dataclass
class HouseholdPlan:
    household: Household
    residence: object
    population_type: str
    members: list = field(default_factory=list)


@dataclass
class PeoplePlan:
    households: list = field(default_factory=list)
    # People registered without a household (a likely duplicate entered twice): (person, residence).
    loose: list = field(default_factory=list)
    # (person, unit code, Affiliation.Kind, since)
    affiliations: list = field(default_factory=list)


def age_on(birth, today):
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


class PeoplePlanner:
    def __init__(self, plan, size, rng, factory):
        self.plan, self.size, self.rng, self.factory = plan, size, rng, factory
        self.today = factory.today
        self.people = PeoplePlan()
        self.town_of = {}  # id(person) -> town code

    def run(self):
        self._households()
        self._likely_duplicates()
        self._pupils()
        self._workers()
        return self.people

    # Households -------------------------------------------------------------------------

    def _households(self):
        residences = self.plan.residences
        chosen = self.rng.choices(residences, weights=[r.weight for r in residences], k=self.size.households)
        order = {r.code: i for i, r in enumerate(residences)}
        counters = {}
        for residence in sorted(chosen, key=lambda r: order[r.code]):
            k = counters[residence.code] = counters.get(residence.code, 0) + 1
            self._household(residence, k)

    def _household(self, residence, k):
        if residence.is_building:  # 1单元101室, 1单元102室, 1单元201室 …
            door = f"{(k - 1) // 24 + 1}单元{((k - 1) % 24) // 2 + 1}0{(k - 1) % 2 + 1}室"
        else:
            door = f"{k}号"
        household = Household(number=f"{residence.code}-{k:04d}", address=residence.address + door)
        population_type = self.rng.choices(POPULATION_TYPES, weights=POPULATION_WEIGHTS[residence.urban])[0]
        plan = HouseholdPlan(household, residence, population_type)
        self.people.households.append(plan)
        self._family(plan)

    def _family(self, plan):
        """A head, usually a spouse, then children, parents, grandchildren or others by the head's age."""
        rng = self.rng
        size = rng.choices(HOUSEHOLD_SIZES, weights=HOUSEHOLD_SIZE_WEIGHTS)[0]
        head_age = rng.randint(20, 88) if size == 1 else rng.randint(24, 80)
        head_sex = "M" if rng.random() < 0.7 else "F"
        head = self._person(plan, HEAD, self.factory.name(), head_sex, head_age)
        # Children take the father's surname.
        surname = head.name[0]
        left = size - 1
        if left and rng.random() < 0.85:
            spouse_sex = "F" if head_sex == "M" else "M"
            spouse_age = min(100, max(20, head_age + rng.randint(-4, 4)))
            spouse = self._person(plan, "配偶", self.factory.name(), spouse_sex, spouse_age)
            left -= 1
            if spouse_sex == "M":
                surname = spouse.name[0]
        if head_age < 55 and left >= 2 and rng.random() < 0.3:
            sex = self._sex()
            self._relative(plan, "父母", head.name[0] if sex == "M" else None, sex,
                           min(100, head_age + rng.randint(22, 32)))
            left -= 1
        if head_age >= 58:
            children = min(left, rng.randint(1, 2))
            for _ in range(children):
                self._relative(plan, "子女", surname, self._sex(), max(18, head_age - rng.randint(22, 35)))
            for _ in range(left - children):
                self._relative(plan, "孙子女", surname, self._sex(), rng.randint(0, 17))
        else:
            children = min(left, 3)
            for _ in range(children):
                self._relative(plan, "子女", surname, self._sex(), rng.randint(0, max(0, min(head_age - 20, 35))))
            for _ in range(left - children):
                self._relative(plan, "其他", None, self._sex(), rng.randint(16, 75))

    def _sex(self):
        return "M" if self.rng.random() < 0.51 else "F"

    def _relative(self, plan, relation, surname, sex, age):
        name = self.factory.name()
        return self._person(plan, relation, (surname + name[1:]) if surname else name, sex, age)

    def _person(self, plan, relation, name, sex, age):
        rng, today = self.rng, self.today
        birth = today - datetime.timedelta(days=age * 365 + rng.randint(0, 364))
        id_number = self.factory.resident_id(birth, sex)
        birth = birth_date_from_resident_id(id_number)
        age = age_on(birth, today)
        person = Person(
            name=name, sex=sex, birth_date=birth, id_number=id_number,
            phone=self.factory.phone() if age >= 14 else "",
            relation_to_head=relation, address=plan.household.address, population_type=plan.population_type,
            is_elderly=age >= 60,
            has_chronic_illness=rng.random() < (0.3 if age >= 60 else 0.12 if age >= 40 else 0.02),
            is_pregnant=sex == "F" and 20 <= age <= 40 and relation != "子女" and rng.random() < 0.04,
            is_disabled=rng.random() < 0.015,
        )
        plan.members.append(person)
        self.town_of[id(person)] = plan.residence.town
        return person

    def _likely_duplicates(self):
        """A few people registered twice, the second time without an ID number (合并疑似重复人员)."""
        adults = [(p, h.residence) for h in self.people.households for p in h.members if p.phone]
        for person, residence in self.rng.sample(adults, self.size.likely_duplicates):
            copy = Person(name=person.name, sex=person.sex, birth_date=person.birth_date, phone=person.phone,
                          address=person.address, population_type=person.population_type,
                          is_elderly=person.is_elderly)
            self.people.loose.append((copy, residence))

    # Other trees ------------------------------------------------------------------------

    def _everyone(self):
        return (p for h in self.people.households for p in h.members)

    def _pupils(self):
        today, rng = self.today, self.rng
        school_year = datetime.date(today.year if today.month >= 9 else today.year - 1, 9, 1)
        kind_of_age = {age: kind for kind, school_kind in SCHOOL_KINDS.items() for _g, age in school_kind.grades}
        schools_of = {}
        for school in self.plan.schools:
            schools_of.setdefault((school.kind, school.town), []).append(school)
            schools_of.setdefault((school.kind, None), []).append(school)
        pupils = {(school.code, age): [] for school in self.plan.schools for age in school.grades}
        for person in self._everyone():
            age = age_on(person.birth_date, today)
            kind = kind_of_age.get(age)
            if kind is None or rng.random() >= SCHOOL_KINDS[kind].enrolled:
                continue
            town = self.town_of[id(person)]
            school = rng.choice(schools_of.get((kind, town)) or schools_of[(kind, None)])
            pupils[(school.code, age)].append(person)
        self.pupils_of_school = {}
        for school in self.plan.schools:
            per_class = SCHOOL_KINDS[school.kind].per_class
            enrolled = 0
            for age in school.grades:
                grade_pupils = pupils[(school.code, age)]
                classes = school.add_classes(age, max(1, math.ceil(len(grade_pupils) / per_class)))
                for i, person in enumerate(grade_pupils):
                    self.people.affiliations.append((person, classes[i % len(classes)], "student", school_year))
                enrolled += len(grade_pupils)
            school.node["data"]["capacity"] = enrolled
            self.pupils_of_school[school.code] = enrolled

    def _workers(self):
        """Teachers from the school's town where possible; employees and site staff from anywhere."""
        rng, today = self.rng, self.today
        taken = {id(p) for p, _u, _k, _s in self.people.affiliations}
        adults = [p for p in self._everyone() if 22 <= age_on(p.birth_date, today) <= 58 and id(p) not in taken]
        rng.shuffle(adults)
        by_town = {}
        for person in adults:
            by_town.setdefault(self.town_of[id(person)], []).append(person)

        def take(pool):
            while pool:
                person = pool.pop()
                if id(person) not in taken:
                    taken.add(id(person))
                    return person
            return None

        def since():
            return today - datetime.timedelta(days=rng.randint(30, 3650))

        def hire(count, pools, code, kind):
            for _ in range(count):
                person = next((p for p in map(take, pools) if p), None)
                if person is None:
                    return
                self.people.affiliations.append((person, code, kind, since()))

        for school in self.plan.schools:
            teachers = max(3, math.ceil(self.pupils_of_school[school.code] / PUPILS_PER_TEACHER))
            hire(teachers, [by_town.get(school.town, []), adults], school.code, "teacher")
        for code, staff in self.plan.staffed_sites:
            hire(staff, [adults], code, "staff")
        employees = round(len(adults) * EMPLOYED_SHARE)
        for _ in range(employees):
            hire(1, [adults], rng.choice(self.plan.teams), "employee")


def plan_people(plan, size, rng, factory):
    return PeoplePlanner(plan, size, rng, factory).run()


def save_people(people, units, county):
    """Write households, people (then each household's head) and affiliations."""
    households = []
    for plan in people.households:
        unit = units[plan.residence.code]
        plan.household.unit, plan.household.unit_path = unit, unit.path
        households.append(plan.household)
    Household.objects.bulk_create(households, batch_size=BATCH)

    persons = []
    for plan in people.households:
        for person in plan.members:
            person.household, person.unit = plan.household, plan.household.unit
            persons.append(person)
    for person, residence in people.loose:
        person.unit = units[residence.code]
        persons.append(person)
    for person in persons:
        person.unit_path = person.unit.path
        person.name_initials = initials(person.name)
    Person.objects.bulk_create(persons, batch_size=BATCH)

    # The heads exist only now; one UPDATE is much faster than bulk_update's CASE per row.
    heads = Person.objects.filter(household=OuterRef("pk"), relation_to_head=HEAD).values("pk")[:1]
    Household.objects.filter(unit_path__startswith=county.path, head=None).update(head=Subquery(heads))

    Affiliation.objects.bulk_create(
        [
            Affiliation(person=person, unit=units[code], unit_path=units[code].path, kind=kind, since=since)
            for person, code, kind, since in people.affiliations
        ],
        batch_size=BATCH,
    )
