"""Missing filings at the deadline (日报未报), through the shared alert mechanism.

Once the deadline of a unit type has passed, the units of that type that have not filed the
period's report are alerted to their parent unit — one REPORT_MISSING alert per form, period and
parent (key `report_missing:<form>:<period>:<parent id>`), listing the units still missing. The
alert mechanism delivers it there and escalates it up the tree when nobody acknowledges it. Each
filing re-checks its parent's alert (`filing_received`): it is resolved when the last unit has
filed and otherwise shows the units still missing.

The worker pass is set-based — one query per form for the missing units, one for the open alerts —
whatever the number of units; only new alerts go through `raise_alert` one parent at a time. It is
safe in two processes at once: `raise_alert` keeps one open alert per key.
"""

import datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.alerts.models import Alert, AlertKind
from fangkong.alerts.services import raise_alert, resolve_alerts
from fangkong.lib.dates import cn_date, cn_datetime, day_start
from fangkong.orgs.jurisdiction import path_range
from fangkong.orgs.models import Unit

from ..models import Filing
from .forms import deadline, forms_in_force

KIND = AlertKind.REPORT_MISSING
STEP = Unit.steplen
CHUNK = 2000  # paths per `IN (…)`, far below SQLite's parameter limit


def alert_key(form_code, period, parent_pk):
    return f"report_missing:{form_code}:{period.isoformat()}:{parent_pk}"


def group_path(path):
    """The tree path of the unit a missing filing is alerted to: the parent, or the unit itself at
    the top of the tree."""
    return path[:-STEP] if len(path) > STEP else path


def due_types(form, period, now):
    """The unit types of `form` whose report of `period` was due by `now`."""
    return [unit_type for unit_type in form.unit_types if deadline(form, unit_type, period) <= now]


def missing_units(form, period, unit_types=None, root=None, group=None):
    """The active units of `unit_types` (default: all the form's) that have no current filing of
    `form` for `period`; under `root` (itself included) or only those alerted to `group` (its
    children, and itself when it is at the top of the tree)."""
    # NOT IN over the filed units rather than NOT EXISTS: PostgreSQL hashes the list once, where a
    # correlated anti-join planned on stale statistics (right after a bulk import) can go quadratic.
    filed = Filing.objects.current().filter(form_code=form.code, day=period).values("unit_id")
    units = Unit.objects.filter(type__in=form.unit_types if unit_types is None else unit_types, is_active=True)
    if root is not None:
        low, high = path_range(root.path)
        units = units.filter(path__gte=low, path__lt=high)
    if group is not None:
        low, high = path_range(group.path)
        in_group = Q(path__gte=low, path__lt=high, depth=group.depth + 1)
        if group.depth == 1:
            in_group |= Q(pk=group.pk)
        units = units.filter(in_group)
    return units.exclude(pk__in=filed)


def _lines(form, period, rows):
    """One line per missing unit (name, code, deadline): the body of the alert, and what a later
    pass compares with an alert closed by hand."""
    due = {}
    lines = []
    for code, name, unit_type in rows:
        if unit_type not in due:
            moment = deadline(form, unit_type, period)
            due[unit_type] = cn_datetime(moment, minutes=bool(timezone.localtime(moment).minute))
        lines.append(_("%(name)s（%(code)s），应于%(due)s前报送") % {"name": name, "code": code, "due": due[unit_type]})
    return lines


def _text(form, period, parent, lines):
    title = _("%(unit)s %(date)s%(form)s未报：%(count)d个单位") % {
        "unit": parent.name, "date": cn_date(period), "form": form.name, "count": len(lines)}
    detail = _("截止时间已过，以下%(count)d个单位尚未报送%(form)s（报告期%(date)s）：") % {
        "count": len(lines), "form": form.name, "date": cn_date(period)}
    return title[:200], "\n".join([detail, *lines])


def _body_lines(detail):
    return set(detail.split("\n")[1:])


def chunks(items):
    """`items` in lists of at most CHUNK."""
    items = list(items)
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


def _due_now(now):
    """[(form, period, unit types due)] to check: today's periods with the types whose deadline
    has passed, and yesterday's with those due at its end ("24:00"), which only pass today."""
    today = timezone.localdate(now)
    midnight = day_start(today)
    seen = set()
    checks = []
    for day, since in ((today, None), (today - datetime.timedelta(days=1), midnight)):
        for form in forms_in_force(day):
            period = form.period_start(day)
            types = [t for t in due_types(form, period, now) if since is None or deadline(form, t, period) >= since]
            if types and (form.code, period) not in seen:
                seen.add((form.code, period))
                checks.append((form, period, types))
    return checks


def check_report_deadlines(now=None):
    """Worker pass: raise one REPORT_MISSING alert per parent unit whose units of a type past its
    deadline have not filed, and keep the open ones listing the units still missing. A parent
    whose alert of the period was closed by hand is alerted again only for units not listed in
    the closed alert."""
    now = now or timezone.now()
    raised = updated = 0
    for form, period, types in _due_now(now):
        by_group = {}
        rows = missing_units(form, period, types).order_by("path").values_list("path", "code", "name", "type")
        for path, code, name, unit_type in rows.iterator(chunk_size=CHUNK):
            by_group.setdefault(group_path(path), []).append((code, name, unit_type))
        if not by_group:
            continue
        parents = {}
        for paths in chunks(by_group):
            parents.update((unit.path, unit) for unit in Unit.objects.filter(path__in=paths))
        prefix = alert_key(form.code, period, "")
        alerts = Alert.objects.filter(kind=KIND, key__startswith=prefix)
        open_alerts = {a.key: a for a in alerts.filter(resolved_at__isnull=True).only("pk", "key", "title", "detail")}
        closed_by_hand = {}
        for key, detail in alerts.filter(resolved_by__isnull=False).values_list("key", "detail"):
            closed_by_hand.setdefault(key, set()).update(_body_lines(detail))
        changed = []
        for path, units in by_group.items():
            parent = parents[path]
            key = alert_key(form.code, period, parent.pk)
            lines = _lines(form, period, units)
            title, detail = _text(form, period, parent, lines)
            alert = open_alerts.get(key)
            if alert is not None:
                if (alert.title, alert.detail) != (title, detail):
                    alert.title, alert.detail = title, detail
                    changed.append(alert)
                continue
            if key in closed_by_hand and set(lines) <= closed_by_hand[key]:
                continue
            alert = raise_alert(KIND, parent, key=key, title=title, detail=detail, subject=parent, now=now)
            if alert is not None and alert.raised_at == now:
                raised += 1
        for alert in changed:
            updated += _update_open(alert)
    return {"report_missing_alerts": raised, "report_missing_updated": updated}


def _update_open(alert):
    """Rewrite an open alert's title and detail (never one closed meanwhile)."""
    return Alert.objects.filter(pk=alert.pk, resolved_at__isnull=True).update(
        title=alert.title, detail=alert.detail)


def filing_received(filing, now=None):
    """After a filing or a correction: resolve the parent's missing-report alert of the period
    when none of its units are missing any more, else show those still missing. Returns
    "resolved", "updated" or None (no open alert)."""
    now = now or timezone.now()
    form = filing.form
    parent = Unit.objects.filter(path=group_path(filing.unit_path)).first()
    if parent is None:
        return None
    key = alert_key(form.code, filing.day, parent.pk)
    alert = Alert.objects.filter(kind=KIND, key=key, resolved_at__isnull=True).only("pk", "title", "detail").first()
    if alert is None:
        return None
    rows = list(
        missing_units(form, filing.day, due_types(form, filing.day, now), group=parent)
        .order_by("path").values_list("code", "name", "type")
    )
    if not rows:
        resolve_alerts(KIND, key, now=now, note=_("所有单位均已报送，自动解除。"))
        return "resolved"
    alert.title, alert.detail = _text(form, filing.day, parent, _lines(form, filing.day, rows))
    _update_open(alert)
    return "updated"
