import socket

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, F
from django.test import RequestFactory

from fangkong.accounts.models import RoleAssignment, User
from fangkong.accounts.roles import ROLES
from fangkong.demo.services import COUNTY_CODE, DEMO_PASSWORD
from fangkong.lib.idnumbers import birth_date_from_resident_id, sex_from_resident_id, validate_resident_id
from fangkong.lib.pinyin import initials
from fangkong.orgs.models import (
    RESIDENCE_TYPES,
    TREE_OF_TYPE,
    Assignment,
    CommandBody,
    CommandPost,
    TaskGroup,
    Tree,
    Unit,
    UnitType,
)
from fangkong.people.models import Affiliation, Household, Person
from fangkong.people.services.rollup import persons_per_tree
from fangkong.screening.models import Campaign, FollowUpFlag, MemberAnswer, Visit

from .conftest import SCALE

GROUPS = {"综合组", "疫情防控组", "医疗救治组", "宣传组", "应急处置组", "后勤保障组", "督导督查组"}
RELATIONS = {"户主", "配偶", "子女", "父母", "孙子女", "其他"}
# user name: (role, type of the unit the role is held in)
DEMO_ROLES = {
    "leader": ("leader", "county"),
    "statistician": ("statistician", "county"),
    "grid_worker": ("grid_worker", "grid"),
    "village_worker": ("grid_worker", "village"),
    "school_officer": ("school_officer", "school"),
    "company_officer": ("company_officer", "company"),
    "checkpoint_staff": ("checkpoint_staff", "checkpoint"),
    "isolation_staff": ("isolation_staff", "isolation_site"),
    "testing_staff": ("testing_staff", "sampling_point"),
    "vaccination_staff": ("vaccination_staff", "town"),
    "inspector": ("inspector", "county"),
    "readonly": ("readonly", "town"),
}


def county():
    return Unit.objects.get(code=COUNTY_CODE)


def test_demo_builds_every_type_of_unit_in_a_consistent_tree(run_demo):
    run_demo()
    units = Unit.objects.filter(path__startswith=county().path)
    assert set(units.values_list("type", flat=True)) == set(UnitType.values) - {"province", "city"}
    assert all(problems == [] for problems in Unit.objects.find_problems())
    assert all(unit.tree == TREE_OF_TYPE[unit.type] for unit in units)
    divisions = units.filter(type__in=["town", "village"]).values_list("division_code", flat=True)
    assert divisions and all(len(code) == 12 and code.isdigit() for code in divisions)
    assert all(room.capacity for room in units.filter(type="room"))
    for site in units.filter(type="isolation_site"):
        assert site.capacity == Unit.objects.get_children(site).filter(type="room").count()


def test_demo_users_hold_their_role_in_a_fitting_unit_and_can_log_in(run_demo, client):
    output = run_demo()
    held = {
        a.user.username: (a.role.code, a.unit.type)
        for a in RoleAssignment.objects.select_related("user", "role", "unit")
    }
    assert held == DEMO_ROLES
    assert {code for code, *_rest in ROLES} == {role for role, _type in DEMO_ROLES.values()}
    assert User.objects.get(username="admin").is_superuser
    for username in ["admin", *DEMO_ROLES]:
        assert any(line.split()[:2] == [username, DEMO_PASSWORD] for line in output.splitlines()), username
        # django-axes wants the request that a login form would bring.
        request = RequestFactory().post("/login/")
        assert client.login(request=request, username=username, password=DEMO_PASSWORD), username
        client.logout()


def test_demo_people_have_valid_ids_and_every_household_a_head(run_demo):
    run_demo()
    path = county().path
    persons = Person.objects.filter(unit_path__startswith=path).select_related("unit")
    assert persons.count() > 500
    for person in persons:
        assert person.unit_path == person.unit.path and person.unit.type in RESIDENCE_TYPES
        assert person.name_initials == initials(person.name)
        if person.id_number:
            assert validate_resident_id(person.id_number) == person.id_number
            assert birth_date_from_resident_id(person.id_number) == person.birth_date
            assert sex_from_resident_id(person.id_number) == person.sex
    assert {t for t in persons.values_list("population_type", flat=True)} == {"resident", "mobile", "temporary"}
    assert persons.filter(is_elderly=True).exists() and persons.filter(has_chronic_illness=True).exists()

    households = Household.objects.filter(unit_path__startswith=path)
    assert households.count() > 100
    assert not households.filter(head=None).exists()
    assert not households.exclude(head__household=F("pk")).exists()
    assert set(households.values_list("head__relation_to_head", flat=True)) == {"户主"}
    members = persons.exclude(household=None)
    assert set(members.values_list("relation_to_head", flat=True)) == RELATIONS
    sizes = set(households.annotate(n=Count("members")).values_list("n", flat=True))
    assert sizes == {1, 2, 3, 4, 5, 6}
    # A few people entered twice, once without an ID number, for the duplicates page.
    assert persons.filter(id_number="", household=None).exists()


def test_demo_puts_people_in_several_trees(run_demo):
    run_demo()
    root = county()
    where = {
        "student": {"class"}, "teacher": {"school"}, "employee": {"team"},
        "staff": {"checkpoint", "isolation_site", "clinic", "sampling_point", "lab"},
    }
    affiliations = Affiliation.objects.filter(unit_path__startswith=root.path)
    for kind, types in where.items():
        found = set(affiliations.filter(kind=kind).values_list("unit__type", flat=True))
        assert found and found <= types, kind
    assert not affiliations.exclude(unit_path=F("unit__path")).exists()
    counts = persons_per_tree([root.path])
    assert counts[Tree.ADMINISTRATIVE] == Person.objects.filter(unit_path__startswith=root.path).count()
    assert counts[Tree.EDUCATION] > 0 and counts[Tree.ENTERPRISE] > 0 and counts[Tree.SITE] > 0
    assert not Unit.objects.filter(type="class").exclude(affiliations__kind="student").exists()


def test_demo_has_leading_groups_and_assignments(run_demo):
    run_demo()
    root = county()
    towns = list(Unit.objects.get_children(root).filter(type="town"))
    county_body = CommandBody.objects.get(unit=root)
    assert {"commander", "deputy", "office"} <= set(county_body.posts.values_list("kind", flat=True))
    assert set(county_body.task_groups.values_list("name", flat=True)) == GROUPS
    control = county_body.task_groups.get(name="疫情防控组")
    assert set(towns) <= set(control.member_units.all()) and control.lead_unit_name
    for town in towns:
        body = CommandBody.objects.get(unit=town)
        assert set(body.task_groups.values_list("name", flat=True)) == GROUPS
        lead = body.task_groups.get(name="医疗救治组").lead_unit
        assert lead.type == "clinic" and lead.path.startswith(town.path)
        assert Assignment.objects.filter(unit=town).count() == 1
    villages = Unit.objects.filter(path__startswith=root.path, type="village")
    assert not villages.exclude(assignments__isnull=False).exists()
    assert CommandPost.objects.filter(body__unit=root, kind="commander").count() == 2


def snapshot():
    models = [Unit, Person, Household, Affiliation, CommandBody, CommandPost, TaskGroup, Assignment, User,
              RoleAssignment, Campaign, Visit, MemberAnswer, FollowUpFlag]
    state = {m.__name__: list(m.objects.order_by("pk").values_list("pk", flat=True)) for m in models}
    state["paths"] = list(Unit.objects.values_list("path", "numchild"))
    state["passwords"] = list(User.objects.order_by("pk").values_list("password", flat=True))
    state["heads"] = list(Household.objects.order_by("pk").values_list("head", flat=True))
    state["history"] = [m.history.count() for m in [Unit, User, RoleAssignment, Person, Campaign, Visit]]
    state["flagged"] = list(Person.objects.filter(needs_follow_up=True).order_by("pk").values_list("pk", flat=True))
    return state


def test_a_second_run_reuses_the_data_and_changes_nothing(run_demo):
    run_demo()
    before = snapshot()
    output = run_demo()
    assert "已存在" in output
    assert snapshot() == before


def test_a_changed_password_is_not_printed_as_the_demo_password(run_demo):
    run_demo()
    leader = User.objects.get(username="leader")
    leader.set_password("Another-pass-2023")
    leader.save()
    line = next(line for line in run_demo().splitlines() if line.startswith("leader "))
    assert DEMO_PASSWORD not in line and "已修改" in line
    assert User.objects.get(username="leader").check_password("Another-pass-2023")


def test_a_busy_port_is_reported_after_building(db, settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(CommandError, match="--port"):
            call_command("demo", "--scale", SCALE, "--port", str(port))
    assert Unit.objects.filter(code=COUNTY_CODE).exists()
