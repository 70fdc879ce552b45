"""Leading groups (领导小组/指挥部) of the county and of each town, with their posts and
specialist groups, and the 包联 assignments: a county leader for each town, a town cadre for
each village, a department cadre for each company."""

import datetime

from fangkong.orgs.models import Assignment, CommandBody, CommandPost, TaskGroup

from . import names
from .names import COUNTY_NAME

ESTABLISHED = datetime.date(2020, 1, 24)


def _staff(factory):
    """Named staff of a specialist group, one per line: 姓名 职务 电话."""
    return "\n".join(f"{factory.name()} {title} {factory.phone()}" for title in ("组长", "副组长", "联络员"))


def create_leadership(plan, units, factory):
    county = units[plan.root["data"]["code"]]
    town_units = [units[t.code] for t in plan.towns]
    county_members = {
        "疫情防控组": [*town_units, units[plan.lab], units[plan.edu_bureau]],
        "医疗救治组": [units[c] for c in plan.county_clinics] + [units[t.clinic] for t in plan.towns],
        "应急处置组": [units[c] for c in plan.checkpoints],
    }
    county_posts = [
        ("commander", "县委书记"), ("commander", "县委副书记、县长"),
        ("deputy", "县委副书记"), ("deputy", "县委常委、常务副县长"), ("deputy", "副县长（分管卫健）"),
        ("office", "县卫健局局长、指挥部办公室主任"), ("office", "县卫健局副局长、指挥部办公室副主任"),
        ("member", "县公安局局长"), ("member", "县教育局局长"), ("member", "县交通运输局局长"),
    ]
    body = _create_body(county, f"{COUNTY_NAME}新冠肺炎疫情防控指挥部", ESTABLISHED, county_posts, factory)
    _create_groups(body, names.COUNTY_GROUPS, {}, county_members, factory)

    for town, unit in zip(plan.towns, town_units):
        head = "街道党工委书记" if town.is_street else "镇党委书记"
        chief = "街道办事处主任" if town.is_street else "镇长"
        posts = [
            ("commander", head), ("deputy", chief), ("deputy", "分管副职（社会事务）"),
            ("office", "社会事务办主任"), ("member", "社区卫生服务中心主任" if town.is_street else "卫生院院长"),
            ("member", "派出所所长"),
        ]
        body = _create_body(unit, f"{unit.name}疫情防控指挥部", ESTABLISHED + datetime.timedelta(days=1), posts,
                            factory)
        lead_units = {"医疗救治组": units[town.clinic]}
        members = {"疫情防控组": [units[v] for v in town.villages] + [units[town.clinic]]}
        _create_groups(body, names.TOWN_GROUPS, lead_units, members, factory)

    _create_assignments(plan, units, factory)


def _create_body(unit, name, established_on, posts, factory):
    body = CommandBody.objects.create(unit=unit, name=name, established_on=established_on)
    CommandPost.objects.bulk_create(
        CommandPost(body=body, kind=kind, person_name=factory.name(), title=title, phone=factory.phone())
        for kind, title in posts
    )
    return body


def _create_groups(body, groups, lead_units, member_units, factory):
    for name, lead_name, member_names, duties in groups:
        lead_unit = lead_units.get(name)
        group = TaskGroup.objects.create(
            body=body, name=name, lead_unit=lead_unit, lead_unit_name=lead_unit.name if lead_unit else lead_name,
            member_unit_names=member_names, duties=duties, staff=_staff(factory),
        )
        if member_units.get(name):
            group.member_units.set(member_units[name])


def _create_assignments(plan, units, factory):
    """bulk_create: like the rest of the demo load, these leave no history."""
    leaders = [(factory.name(), title, factory.phone()) for title in names.COUNTY_LEADER_TITLES]
    rows = []
    for i, town in enumerate(plan.towns):
        name, title, phone = leaders[i % len(leaders)]
        rows.append(Assignment(unit=units[town.code], person_name=name, title=title, phone=phone))
        for village in town.villages:
            rows.append(Assignment(unit=units[village], person_name=factory.name(), title=f"{town.name}机关干部",
                                   phone=factory.phone()))
    for company in plan.companies:
        rows.append(Assignment(unit=units[company], person_name=factory.name(), title="县工信局干部",
                               phone=factory.phone()))
    Assignment.objects.bulk_create(rows)
