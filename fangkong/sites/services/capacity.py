from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.alerts.models import Alert, AlertKind
from fangkong.alerts.services import raise_alert, resolve_alerts
from fangkong.orgs.models import Unit, UnitType

from .occupancy import occupancy, reserve, served_area


def check_capacity(now):
    """Worker pass: a site with more people checked in than beds raises SITE_OVER_CAPACITY
    (key site:<pk>), resolved when it is back within its beds; an area whose isolation rooms
    fall below its reserve target raises SITE_BELOW_RESERVE (key area:<pk>), resolved when
    enough rooms are added. Raising is idempotent per open key and resolving is one
    conditional update, so two workers at once change nothing twice."""
    today = timezone.localdate(now)
    sites = list(Unit.objects.filter(type=UnitType.ISOLATION_SITE, is_active=True))
    counts = {"sites_over_capacity": 0, "areas_below_reserve": 0, "site_alerts_resolved": 0}
    for figures in occupancy(sites).values():
        site = figures.site
        key = f"site:{site.pk}"
        if figures.over_capacity:
            counts["sites_over_capacity"] += 1
            raise_alert(
                AlertKind.SITE_OVER_CAPACITY, site, key=key, subject=site, now=now,
                title=_("%(site)s超容：入住%(occupied)d人，床位%(beds)d张") % {
                    "site": site.name, "occupied": figures.occupied, "beds": figures.beds},
            )
        else:
            counts["site_alerts_resolved"] += resolve_alerts(AlertKind.SITE_OVER_CAPACITY, key, now=now)
    areas = {}
    for site in sites:
        area = served_area(site)
        if area is not None:
            areas[area.pk] = area
    for area in areas.values():
        figures = reserve(area, today)
        key = f"area:{area.pk}"
        if figures.below:
            counts["areas_below_reserve"] += 1
            raise_alert(
                AlertKind.SITE_BELOW_RESERVE, area, key=key, subject=area, now=now,
                title=_("%(area)s隔离房间储备不足：现有%(rooms)d间，按每万人%(target)s间需%(needed)d间") % {
                    "area": area.name, "rooms": figures.rooms, "target": figures.target_per_10k,
                    "needed": figures.needed},
            )
        else:
            counts["site_alerts_resolved"] += resolve_alerts(AlertKind.SITE_BELOW_RESERVE, key, now=now)
    # An area whose last site was closed no longer has a reserve to watch.
    stale = Alert.objects.open().filter(kind=AlertKind.SITE_BELOW_RESERVE).exclude(
        key__in=[f"area:{pk}" for pk in areas]).values_list("key", flat=True)
    for key in list(stale):
        counts["site_alerts_resolved"] += resolve_alerts(AlertKind.SITE_BELOW_RESERVE, key, now=now)
    return counts
