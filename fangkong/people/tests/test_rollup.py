from fangkong.orgs.services import add_unit
from fangkong.people.models import Affiliation, Person
from fangkong.people.services.rollup import child_counts, persons_per_tree


def test_person_in_several_trees_counts_once_per_tree(triad):
    county = triad.county
    bureau = add_unit(county.county, code="EDU", name="县教育局", type="edu_bureau")
    school = add_unit(bureau, code="S1", name="一中", type="school")
    class_a = add_unit(school, code="S1-1", name="一班", type="class")
    class_b = add_unit(school, code="S1-2", name="二班", type="class")
    company = add_unit(county.county, code="C1", name="示范公司", type="company")
    person = triad.east_person
    Affiliation.objects.create(person=person, unit=class_a, kind="student")
    Affiliation.objects.create(person=person, unit=class_b, kind="teacher")
    Affiliation.objects.create(person=person, unit=company, kind="employee")
    counts = persons_per_tree([county.county.path])
    assert counts == {"admin": 2, "education": 1, "enterprise": 1, "site": 0}


def test_child_counts_roll_up_whole_subtrees(triad):
    county = triad.county
    Person.objects.create(name="王五", unit=county.east)
    counts = child_counts(county.town)
    assert counts == {county.east.path: 2, county.west.path: 1}
    assert child_counts(county.county) == {county.town.path: 3}


def test_nothing_counted_without_paths():
    assert persons_per_tree([]) == {"admin": 0, "education": 0, "enterprise": 0, "site": 0}
