"""Rooms per 10,000 residents against the reserve target, and the worker pass raising and
resolving the capacity and reserve alerts."""

from datetime import date, timedelta
from decimal import Decimal

from fangkong.alerts.models import Alert, AlertKind
from fangkong.conftest import fictional_id
from fangkong.control.testing import make_case
from fangkong.orgs.services import add_unit
from fangkong.people.models import Person
from fangkong.sites.models import ReserveTarget
from fangkong.sites.services import add_rooms, check_capacity, check_in, reserve, reserve_target, served_area

from .conftest import NOW


def residents(unit, n):
    Person.objects.bulk_create(Person(name="居民", unit=unit, unit_path=unit.path) for _ in range(n))


def test_served_area_is_the_administrative_unit_above(sites, triad):
    assert served_area(sites.east) == triad.county.east
    county_site = add_unit(triad.county.county, code="ISO-COUNTY", name="县集中隔离点", type="isolation_site")
    assert served_area(county_site) == triad.county.county


def test_ten_thousand_residents_need_twenty_rooms(county):
    site = add_unit(county.county, code="ISO-C", name="县隔离点", type="isolation_site")
    residents(county.east_grid, 6000)
    residents(county.river, 4000)
    add_rooms(site, "101-115")
    figures = reserve(county.county, date(2022, 1, 27))
    assert (figures.residents, figures.rooms, figures.target_per_10k) == (10000, 15, Decimal("20"))
    assert figures.needed == 20 and figures.below and figures.shortfall == 5
    assert figures.per_10k == Decimal("15.0")
    add_rooms(site, "116-120")
    assert not reserve(county.county, date(2022, 1, 27)).below


def test_reserve_target_is_configurable_per_area_and_date(county):
    ReserveTarget.objects.create(unit=county.county, rooms_per_10k=Decimal("60"), effective_from=date(2022, 3, 1))
    assert reserve_target(county.town, date(2022, 2, 28)) == Decimal("20")
    assert reserve_target(county.town, date(2022, 3, 1)) == Decimal("60")
    ReserveTarget.objects.create(unit=county.town, rooms_per_10k=Decimal("30"))
    assert reserve_target(county.east, date(2022, 3, 1)) == Decimal("30")
    assert reserve_target(county.river, date(2022, 3, 1)) == Decimal("60")


def test_check_capacity_raises_below_reserve_once_and_resolves(county):
    site = add_unit(county.county, code="ISO-C", name="县隔离点", type="isolation_site")
    residents(county.east_grid, 10000)
    add_rooms(site, "101-115")
    first = check_capacity(NOW)
    assert first["areas_below_reserve"] == 1
    assert check_capacity(NOW + timedelta(minutes=5))["areas_below_reserve"] == 1
    alert = Alert.objects.get(kind=AlertKind.SITE_BELOW_RESERVE)
    assert alert.key == f"area:{county.county.pk}" and alert.origin_unit == county.county
    assert "现有15间" in alert.title and "需20间" in alert.title
    add_rooms(site, "116-120")
    assert check_capacity(NOW + timedelta(hours=1))["site_alerts_resolved"] == 1
    assert Alert.objects.open().filter(kind=AlertKind.SITE_BELOW_RESERVE).count() == 0


def test_check_capacity_over_capacity_is_idempotent_and_resolves(sites, triad):
    stay_people = []
    for seq in range(41, 43):
        person = Person.objects.create(name=f"隔离{seq}", id_number=fictional_id(seq=seq), unit=triad.county.east_grid)
        stay_people.append(make_case(person))
    check_in(stay_people[0], sites.rooms["201"], now=NOW)
    check_in(stay_people[1], sites.rooms["201"], now=NOW)
    assert check_capacity(NOW)["sites_over_capacity"] == 0
    # The double room is cut to one bed while two people are in it.
    room = sites.rooms["201"]
    room.beds = 1
    room.save()
    # Each of three other single rooms is free; beds 3+1 = 4, occupied 2: still fine.
    for number in ("101", "102", "103"):
        sites.rooms[number].is_active = False
        sites.rooms[number].save()
    result = check_capacity(NOW)
    assert result["sites_over_capacity"] == 1
    check_capacity(NOW + timedelta(minutes=1))
    alerts = Alert.objects.filter(kind=AlertKind.SITE_OVER_CAPACITY)
    assert alerts.count() == 1
    alert = alerts.get()
    assert alert.key == f"site:{sites.east.pk}" and "入住2人，床位1张" in alert.title
    assert alert.unit == triad.county.east  # the site has no staff of its own: its village answers
    room.beds = 2
    room.save()
    assert check_capacity(NOW + timedelta(hours=1))["site_alerts_resolved"] >= 1
    alert.refresh_from_db()
    assert alert.resolved_at == NOW + timedelta(hours=1)
