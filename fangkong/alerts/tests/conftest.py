import types
from datetime import datetime

import pytest
from django.utils import timezone

from fangkong.accounts.models import Role
from fangkong.conftest import make_user

NOW = timezone.make_aware(datetime(2022, 1, 27, 9, 0))


@pytest.fixture
def handlers(db):
    """Acknowledging and resolving alerts takes `alerts.change_alert`; the preset roles that
    act on alerts are given it here (see the report: roles.py should grant it)."""
    from django.contrib.auth.models import Permission

    permission = Permission.objects.get(content_type__app_label="alerts", codename="change_alert")
    for code in ("grid_worker", "leader", "statistician"):
        Role.objects.get(code=code).permissions.add(permission)


@pytest.fixture
def staff(triad):
    """Users at each level above 东门村: the county has its own staff, 河口镇 too."""
    county = triad.county
    return types.SimpleNamespace(
        east=triad.inside,
        town=triad.above,
        county=make_user("county_leader", "leader", county.county),
        river=make_user("river_worker", "grid_worker", county.river),
    )
