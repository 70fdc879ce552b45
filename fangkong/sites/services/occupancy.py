import math
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from fangkong.orgs.jurisdiction import ancestor_paths
from fangkong.orgs.models import Tree, Unit, UnitType
from fangkong.people.models import Person
from fangkong.sites.models import ReserveTarget, Room, Stay

DEFAULT_ROOMS_PER_10K = Decimal("20")  # 003:142


@dataclass
class Occupancy:
    site: Unit
    rooms: int
    beds: int
    occupied: int
    rooms_free: int

    @property
    def free(self):
        return max(self.beds - self.occupied, 0)

    @property
    def over_capacity(self):
        return self.occupied > self.beds

    @property
    def percent(self):
        return min(round(100 * self.occupied / self.beds), 100) if self.beds else (100 if self.occupied else 0)


def occupancy(sites):
    """{site pk: Occupancy} for the given sites, in three queries. Rooms and beds count rooms
    in use; occupied counts everyone checked in and not yet out (also in a room taken out of
    use, which is how a site ends up over capacity)."""
    sites = list(sites)
    ids = [site.pk for site in sites]
    rooms = {
        row["site_id"]: row
        for row in Room.objects.filter(site_id__in=ids, is_active=True).values("site_id").annotate(
            rooms=Count("id"), beds=Sum("beds"))
    }
    occupied = dict(
        Stay.objects.filter(room__site_id__in=ids, checked_out_at__isnull=True).values("room__site_id")
        .annotate(n=Count("id")).values_list("room__site_id", "n")
    )
    rooms_in_use = dict(
        Stay.objects.filter(room__site_id__in=ids, room__is_active=True, checked_out_at__isnull=True)
        .values("room__site_id").annotate(n=Count("room_id", distinct=True)).values_list("room__site_id", "n")
    )
    return {
        site.pk: Occupancy(site=site, rooms=rooms.get(site.pk, {}).get("rooms", 0),
                           beds=rooms.get(site.pk, {}).get("beds") or 0, occupied=occupied.get(site.pk, 0),
                           rooms_free=rooms.get(site.pk, {}).get("rooms", 0) - rooms_in_use.get(site.pk, 0))
        for site in sites
    }


def served_area(site):
    """The administrative area a site serves: the nearest unit above it in the administrative
    tree (a county's site under the county serves the county)."""
    paths = ancestor_paths(site.path, Unit.steplen)[:-1]
    return Unit.objects.filter(path__in=paths, tree=Tree.ADMINISTRATIVE).order_by("-depth").first()


def reserve_target(area, on_date=None):
    """Rooms to hold per 10,000 residents: the target stored for the area or the nearest unit
    above it, the one most recently in force; 20 when none is stored."""
    on_date = on_date or timezone.localdate()
    paths = ancestor_paths(area.path, Unit.steplen)
    target = (
        ReserveTarget.objects.filter(unit__path__in=paths)
        .filter(Q(effective_from__isnull=True) | Q(effective_from__lte=on_date))
        .order_by("-unit__depth", "-effective_from", "-id").first()
    )
    return target.rooms_per_10k if target else DEFAULT_ROOMS_PER_10K


@dataclass
class Reserve:
    area: Unit
    residents: int
    rooms: int
    target_per_10k: Decimal

    @property
    def needed(self):
        """Rooms the target asks for (rounded up)."""
        return math.ceil(Decimal(self.residents) * self.target_per_10k / Decimal(10000))

    @property
    def per_10k(self):
        if not self.residents:
            return None
        return (Decimal(self.rooms) * Decimal(10000) / Decimal(self.residents)).quantize(Decimal("0.1"))

    @property
    def below(self):
        return self.rooms < self.needed

    @property
    def shortfall(self):
        return max(self.needed - self.rooms, 0)


def reserve(area, on_date=None):
    """The room reserve of an area: active rooms of every isolation site within it, residents
    (people registered in it), and the target per 10,000."""
    rooms = Room.objects.filter(
        unit_path__startswith=area.path, is_active=True, site__type=UnitType.ISOLATION_SITE, site__is_active=True
    ).count()
    residents = Person.objects.filter(unit_path__startswith=area.path).count()
    return Reserve(area=area, residents=residents, rooms=rooms, target_per_10k=reserve_target(area, on_date))
