"""The demo county's organisation trees (属地、教育、企业、场所), planned in memory and saved in
one go with treebeard's bulk load, which computes path, depth and numchild itself."""

from dataclasses import dataclass, field
from typing import NamedTuple

from fangkong.orgs.models import TREE_OF_TYPE, Unit

from . import names
from .names import COUNTY_NAME, numeral

COUNTY_CODE = "430626"


class SchoolKind(NamedTuple):
    grades: list  # (grade name, usual age of its pupils)
    enrolled: float  # share of the age group at school in the county
    per_class: int


SCHOOL_KINDS = {
    "high": SchoolKind([("高一", 15), ("高二", 16), ("高三", 17)], 0.6, 50),
    "middle": SchoolKind([("七年级", 12), ("八年级", 13), ("九年级", 14)], 0.97, 45),
    "primary": SchoolKind([(f"{numeral(g)}年级", g + 5) for g in range(1, 7)], 0.98, 45),
    "kindergarten": SchoolKind([("小班", 3), ("中班", 4), ("大班", 5)], 0.8, 30),
}
# Staff affiliated to each site of a type (kind "staff").
SITE_STAFF = {"checkpoint": 4, "isolation_site": 8, "clinic": 6, "sampling_point": 4, "lab": 6}
# Villages (communities) of the first town with a sampling point of their own (村级采样点), where the
# demo's round of whole-population testing samples its residents. Not staffed: the people planned
# do not change with them.
POINT_VILLAGES = 3


def _node(code, name, type, **fields):
    return {"data": {"code": code, "name": name, "type": type, "tree": TREE_OF_TYPE[type], **fields}, "children": []}


def _add(parent, code, name, type, **fields):
    child = _node(code, name, type, **fields)
    parent["children"].append(child)
    return child


@dataclass
class Residence:
    """A unit households live in (grid or building) and the start of their addresses."""

    code: str
    address: str
    town: str
    urban: bool
    weight: float
    is_building: bool = False


@dataclass
class School:
    code: str
    kind: str
    town: str
    node: dict
    grades: dict = field(default_factory=dict)  # usual age -> grade node

    def add_classes(self, age, count):
        """Add `count` classes to the grade of pupils of `age`; returns their codes."""
        grade = self.grades[age]
        grade_name = grade["data"]["name"]
        label = grade_name[0] if self.kind == "kindergarten" else grade_name
        return [
            _add(grade, f"{grade['data']['code']}-{c:02d}", f"{label}({c})班", "class")["data"]["code"]
            for c in range(1, count + 1)
        ]


@dataclass
class Town:
    code: str
    name: str
    short: str  # 城北 for 城北街道, the whole name for a town: schools are named after it
    is_street: bool
    villages: list = field(default_factory=list)
    clinic: str = ""


@dataclass
class CountyPlan:
    root: dict
    towns: list = field(default_factory=list)
    residences: list = field(default_factory=list)
    schools: list = field(default_factory=list)
    companies: list = field(default_factory=list)
    teams: list = field(default_factory=list)
    checkpoints: list = field(default_factory=list)
    county_clinics: list = field(default_factory=list)
    lab: str = ""
    edu_bureau: str = ""
    staffed_sites: list = field(default_factory=list)  # (code, number of staff)


def plan_county(size, rng):
    county = _node(COUNTY_CODE, COUNTY_NAME, "county", division_code=COUNTY_CODE, address=names.COUNTY_ADDRESS)
    plan = CountyPlan(root=county)
    _plan_towns(plan, size, rng)
    _plan_education(plan, size)
    _plan_companies(plan, size, rng)
    _plan_sites(plan, size)
    return plan


def _split(total, parts):
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _plan_towns(plan, size, rng):
    stems = rng.sample(names.STREET_STEMS, size.streets) + rng.sample(names.TOWN_STEMS, size.towns - size.streets)
    for i, (stem, villages) in enumerate(zip(stems, _split(size.villages, size.towns))):
        is_street = i < size.streets
        # Division codes: streets 001–099, towns 100–199; communities 001–199, villages 200–399.
        code = f"{COUNTY_CODE}{(i + 1) if is_street else (100 + i - size.streets):03d}"
        name = stem + ("街道" if is_street else "镇")
        node = _add(plan.root, code, name, "town", division_code=code + "000", address=f"{COUNTY_NAME}{name}")
        town = Town(code=code, name=name, short=stem if is_street else name, is_street=is_street)
        plan.towns.append(town)
        community_count = villages if is_street else 1
        community_stems = names.distinct_names(rng, community_count, lambda r: r.choice(names.COMMUNITY_STEMS))
        village_stems = names.distinct_names(rng, villages - community_count, names.village_stem)
        for j, stem_j in enumerate(community_stems, start=1):
            _plan_village(plan, size, rng, town, node, f"{code}{j:03d}", stem_j, community=True)
        for j, stem_j in enumerate(village_stems, start=201):
            _plan_village(plan, size, rng, town, node, f"{code}{j:03d}", stem_j, community=False)


def _plan_village(plan, size, rng, town, town_node, code, stem, community):
    name = stem + ("社区" if community else "村")
    address = f"{COUNTY_NAME}{town.name}{name}"
    village = _add(town_node, code, name, "village", division_code=code, address=address)
    town.villages.append(code)
    for k in range(1, size.grids_per_village + 1):
        grid_code = f"{code}-{k:02d}"
        if not community:
            grid_address = f"{address}{numeral(k)}组"
            _add(village, grid_code, f"{stem}{numeral(k)}组", "grid", address=grid_address)
            plan.residences.append(Residence(grid_code, grid_address, town.code, urban=False, weight=1.0))
        elif not town.is_street:
            grid_address = f"{address}{stem}路"
            _add(village, grid_code, f"{stem}第{k}网格", "grid", address=grid_address)
            plan.residences.append(Residence(grid_code, grid_address, town.code, urban=True, weight=1.2))
        else:
            # A city grid is a housing estate; people live in its buildings (楼栋).
            estate = stem + names.ESTATE_SUFFIXES[(k - 1) % len(names.ESTATE_SUFFIXES)]
            grid = _add(village, grid_code, f"{stem}第{k}网格", "grid", address=f"{address}{estate}")
            for b in range(1, rng.randint(3, 6) + 1):
                building_address = f"{address}{estate}{b}栋"
                building_code = f"{grid_code}-{b:02d}"
                _add(grid, building_code, f"{estate}{b}栋", "building", address=building_address)
                plan.residences.append(Residence(
                    building_code, building_address, town.code, urban=True, weight=0.5, is_building=True))


def _school_names(kind, count, towns):
    if kind == "high":
        return [(f"{COUNTY_NAME}第{numeral(i)}中学", towns[0]) for i in range(1, count + 1)]
    if kind == "middle":
        return [(f"{towns[i % len(towns)].short}{'' if i < len(towns) else '第二'}中学", towns[i % len(towns)])
                for i in range(count)]
    first, suffix = {"primary": ("实验小学", "中心小学"), "kindergarten": ("机关幼儿园", "中心幼儿园")}[kind]
    result = [(f"{COUNTY_NAME}{first}", towns[0])]
    for i in range(count - 1):
        town = towns[i % len(towns)]
        result.append((f"{town.short}{suffix if i < len(towns) else '第二' + suffix}", town))
    return result


def _plan_education(plan, size):
    plan.edu_bureau = f"{COUNTY_CODE}-JY"
    bureau = _add(plan.root, plan.edu_bureau, f"{COUNTY_NAME}教育局", "edu_bureau", address=f"{COUNTY_NAME}城区")
    number = 0
    for kind, count in size.schools.items():
        grades = SCHOOL_KINDS[kind].grades
        for name, town in _school_names(kind, count, plan.towns):
            number += 1
            code = f"{plan.edu_bureau}{number:02d}"
            node = _add(bureau, code, name, "school", address=f"{COUNTY_NAME}{town.name}")
            school = School(code=code, kind=kind, town=town.code, node=node)
            for g, (grade_name, age) in enumerate(grades, start=1):
                school.grades[age] = _add(node, f"{code}-{g}", f"{name}{grade_name}", "grade")
            plan.schools.append(school)


def _plan_companies(plan, size, rng):
    for n, short in enumerate(names.COMPANY_NAMES[: size.companies], start=1):
        town = plan.towns[n % len(plan.towns)]
        code = f"{COUNTY_CODE}-QY{n:02d}"
        company = _add(plan.root, code, f"{COUNTY_NAME}{short}有限公司", "company",
                       address=f"{COUNTY_NAME}{town.name}工业园")
        plan.companies.append(code)
        for d, department_name in enumerate(rng.sample(names.DEPARTMENT_NAMES, rng.randint(2, 4)), start=1):
            department = _add(company, f"{code}-{d}", f"{short}{department_name}", "department")
            for t, team_name in enumerate(names.TEAM_NAMES[: rng.randint(2, 3)], start=1):
                team_code = f"{code}-{d}-{t}"
                _add(department, team_code, f"{department_name}{team_name}", "team")
                plan.teams.append(team_code)


def _plan_sites(plan, size):
    towns = plan.towns
    town_nodes = {n["data"]["code"]: n for n in plan.root["children"] if n["data"]["type"] == "town"}

    def staffed(code, type):
        plan.staffed_sites.append((code, SITE_STAFF[type]))
        return code

    for i, town in enumerate(towns, start=1):
        name = f"{town.name}{'社区卫生服务中心' if town.is_street else '卫生院'}"
        town.clinic = staffed(f"{COUNTY_CODE}-WS{i:02d}", "clinic")
        _add(town_nodes[town.code], town.clinic, name, "clinic", address=f"{COUNTY_NAME}{town.name}")
    for i, hospital in enumerate(["人民医院", "中医医院"], start=1):
        code = staffed(f"{COUNTY_CODE}-FR{i:02d}", "clinic")
        _add(plan.root, code, f"{COUNTY_NAME}{hospital}发热门诊", "clinic", address=f"{COUNTY_NAME}城区")
        plan.county_clinics.append(code)
    plan.lab = staffed(f"{COUNTY_CODE}-JC01", "lab")
    _add(plan.root, plan.lab, f"{COUNTY_NAME}疾病预防控制中心实验室", "lab", address=f"{COUNTY_NAME}城区")

    for i, name in enumerate(names.CHECKPOINT_NAMES[: size.checkpoints], start=1):
        town = towns[i % len(towns)]
        code = staffed(f"{COUNTY_CODE}-KK{i:02d}", "checkpoint")
        _add(town_nodes[town.code], code, name, "checkpoint", address=f"{COUNTY_NAME}{town.name}")
        plan.checkpoints.append(code)
    for i in range(1, size.sampling_points + 1):
        town = towns[(i - 1) % len(towns)]
        code = staffed(f"{COUNTY_CODE}-CY{i:02d}", "sampling_point")
        _add(town_nodes[town.code], code, f"{town.name}核酸采样点", "sampling_point",
             address=f"{COUNTY_NAME}{town.name}")
    first = town_nodes[towns[0].code]
    for village in [n for n in first["children"] if n["data"]["type"] == "village"][:POINT_VILLAGES]:
        data = village["data"]
        _add(village, f"{data['code']}-CY", f"{data['name']}核酸采样点", "sampling_point", address=data["address"])
    for i in range(1, size.venues + 1):
        town = towns[(i - 1) % len(towns)]
        kind = names.VENUE_KINDS[(i - 1) % len(names.VENUE_KINDS)]
        _add(town_nodes[town.code], f"{COUNTY_CODE}-CS{i:02d}", f"{town.name}{kind}", "venue",
             address=f"{COUNTY_NAME}{town.name}")

    for i, name in enumerate(names.ISOLATION_SITE_NAMES[: size.isolation_sites], start=1):
        rooms = max(4, round(names.ISOLATION_ROOMS[i - 1] * size.room_share))
        code = staffed(f"{COUNTY_CODE}-GL{i:02d}", "isolation_site")
        site = _add(plan.root, code, name, "isolation_site", address=f"{COUNTY_NAME}城区", capacity=rooms)
        for r in range(rooms):
            number = f"{r // 20 + 1}{r % 20 + 1:02d}"
            # Every tenth room is a family room for two.
            _add(site, f"{code}-{number}", f"{number}室", "room", capacity=2 if r % 10 == 9 else 1)


def save_units(plan):
    """Save the planned tree under a new root; returns {code: Unit} for the whole county."""
    Unit.objects.load_bulk([plan.root], bulk_create=True, batch_size=500)
    root = Unit.objects.get(code=plan.root["data"]["code"])
    return {unit.code: unit for unit in Unit.objects.filter(path__startswith=root.path)}
