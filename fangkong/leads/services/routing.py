"""Which unit a lead belongs to: the unit of the person's address (属地).

1. The ID number (or, failing that, a phone number only one person has) matches a
   registered person → that person's unit.
2. Otherwise the address is matched against the names of the residence units (村/社区,
   网格, 楼栋) under the receiving unit: the longest name found in the address wins, and
   of equal names the deeper unit.
3. Otherwise the receiving unit itself keeps the lead.
"""

from dataclasses import dataclass

from fangkong.orgs.models import RESIDENCE_TYPES, Unit
from fangkong.people.models import Person, with_id_number


@dataclass(frozen=True)
class Route:
    unit: Unit
    person: Person | None
    how: str  # "person" | "address" | "receiving"


def find_person(id_number="", phone=""):
    if id_number:
        person = Person.objects.select_related("unit").filter(with_id_number(id_number)).first()
        if person is not None:
            return person
    if phone:
        people = list(Person.objects.select_related("unit").filter(phone=phone)[:2])
        if len(people) == 1:
            return people[0]
    return None


def unit_for_address(receiving_unit, address):
    """The residence unit under `receiving_unit` whose name the address names (longest first)."""
    address = (address or "").replace(" ", "")
    if not address:
        return None
    best = None
    candidates = Unit.objects.filter(
        path__startswith=receiving_unit.path, type__in=RESIDENCE_TYPES, is_active=True
    ).exclude(pk=receiving_unit.pk).only("id", "name", "path", "depth", "type", "code")
    for unit in candidates.iterator(chunk_size=2000):
        name = unit.name.strip()
        if len(name) < 2 or name not in address:
            continue
        rank = (len(name), unit.depth)
        if best is None or rank > best[0]:
            best = (rank, unit)
    return best[1] if best else None


def route(receiving_unit, *, id_number="", phone="", address=""):
    person = find_person(id_number, phone)
    if person is not None:
        return Route(person.unit, person, "person")
    unit = unit_for_address(receiving_unit, address)
    if unit is not None:
        return Route(unit, None, "address")
    return Route(receiving_unit, None, "receiving")
