"""Demo users: one per preset role, each holding the role in a fitting unit of the demo
county, and a superuser. Created when missing; an existing user keeps its password."""

from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext as _

from fangkong.accounts.models import Role, RoleAssignment, User
from fangkong.orgs.models import Unit

DEMO_PASSWORD = "Demo-2022-fk"

# user name, role code, where the role is held: a unit type (the first of that type in the
# county) or "county"; an optional name suffix narrows the type (a 村, not a 社区).
DEMO_USERS = [
    ("leader", "leader", "county", ""),
    ("statistician", "statistician", "county", ""),
    ("grid_worker", "grid_worker", "grid", ""),
    ("village_worker", "grid_worker", "village", "村"),
    ("school_officer", "school_officer", "school", ""),
    ("company_officer", "company_officer", "company", ""),
    ("checkpoint_staff", "checkpoint_staff", "checkpoint", ""),
    ("isolation_staff", "isolation_staff", "isolation_site", ""),
    ("testing_staff", "testing_staff", "sampling_point", ""),
    # The town health centre's vaccinators look after the town's residents (接种名单、暂缓接种).
    ("vaccination_staff", "vaccination_staff", "town", "镇"),
    ("inspector", "inspector", "county", ""),
    ("readonly", "readonly", "town", ""),
]


@dataclass
class DemoUser:
    username: str
    role: str
    unit: str
    password_unchanged: bool


def _unit_for(county, unit_type, name_suffix):
    if unit_type == "county":
        return county
    units = Unit.objects.filter(path__startswith=county.path, type=unit_type, name__endswith=name_suffix)
    return units.order_by("path").first()


def _user(username, **fields):
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user, user.check_password(DEMO_PASSWORD)
    user = User(username=username, **fields)
    validate_password(DEMO_PASSWORD, user)
    user.set_password(DEMO_PASSWORD)
    user.save()
    return user, True


def ensure_demo_users(county):
    """Create the demo users that are missing; returns a DemoUser row for each, superuser first."""
    admin, unchanged = _user("admin", display_name=_("演示管理员"), is_staff=True, is_superuser=True)
    rows = [DemoUser(admin.username, _("超级管理员 (superuser)"), _("全部 (everything)"), unchanged)]
    roles = {role.code: role for role in Role.objects.all()}
    for username, role_code, unit_type, name_suffix in DEMO_USERS:
        role = roles[role_code]
        unit = _unit_for(county, unit_type, name_suffix)
        user, unchanged = _user(username, display_name=_("演示%(role)s") % {"role": role.name})
        RoleAssignment.objects.get_or_create(user=user, role=role, unit=unit)
        rows.append(DemoUser(user.username, f"{role.name} ({role.code})", unit.full_name(), unchanged))
    return rows
