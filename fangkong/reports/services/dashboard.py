"""The figures of the dashboards (防控态势、大屏): today's key figures of a unit, the trends of
the last weeks, the key persons by status and category, recent abnormal follow-ups and the
figures of each child unit for drilling down.

Past days come from the kept daily snapshots (their latest version), so a dashboard shows what
was reported; days without one, and today, are rolled up live by the one roll-up engine.
"""

import datetime

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.control.models import CaseStatus, Category, ControlCase, FollowUpEntry
from fangkong.control.services.followup import symptom_labels
from fangkong.lib.dates import cn_date, cn_datetime
from fangkong.orgs.jurisdiction import path_range

from ..models import ItemKind, ReportForm, Snapshot
from .completeness import children_completeness, completeness_tree, rate
from .daily import daily_report
from .forms import DEFAULT_FORM, form_in_force
from .rollup import default_as_of, rollup, rollup_many

TREND_DAYS = (14, 30)
ANOMALY_HOURS = 48


def _figure_specs():
    """(key, label, item code, part of a new/cumulative item, unit of measure) of the cards."""
    person, times = _("人"), _("人次")
    return [
        ("under_control", _("在管重点人员"), "under_control", None, person),
        ("key_persons_new", _("今日新增重点人员"), "key_persons", "new", person),
        ("isolated_total", _("集中隔离"), "isolated_total", None, person),
        ("home_controlled", _("居家管控"), "home_controlled", None, person),
        ("released_new", _("今日解除"), "released", "new", person),
        ("anomalies_new", _("随访异常"), "follow_up_anomalies", "new", person),
        ("tests_done_new", _("核酸检测"), "tests_done", "new", times),
        ("tests_positive_new", _("核酸阳性"), "tests_positive", "new", times),
        ("screened_cumulative", _("摸排累计"), "screened_persons", "cumulative", person),
        # The figures of the form's version 2 (全员核酸、疫苗接种); not shown on a day whose form lacks them.
        ("samples_new", _("全员核酸采样"), "samples_taken", "new", times),
        ("samples_pending", _("待出结果"), "samples_pending", None, times),
        ("round_coverage", _("本轮检测覆盖率"), "round_coverage", None, "%"),
        ("vaccination_coverage", _("疫苗接种覆盖率"), "vaccination_coverage", None, "%"),
    ]


def _trend_specs():
    """(key, label, item code, unit of measure) of the trend series counted from records."""
    person = _("人")
    return [
        ("key_persons_new", _("新增重点人员"), "key_persons", person),
        ("released_new", _("解除管控"), "released", person),
        ("under_control", _("在管重点人员"), "under_control", person),
        ("anomalies_new", _("随访异常"), "follow_up_anomalies", person),
        ("screened_new", _("摸排人数"), "screened_persons", person),
    ]


def _value(values, code, part):
    """An item's value from a roll-up or snapshot: the part of a new/cumulative pair, or the
    number itself; None when the item is not there (a snapshot of an older form version)."""
    value = values.get(code)
    if isinstance(value, dict):
        return value.get(part or "new")
    return value


def _figure_value(values, code, part, measure):
    """A card's number: 0 for nothing counted, but a ratio (unit %) with no denominator stays
    None, shown as —."""
    value = _value(values, code, part)
    return value if measure == "%" else value or 0


def _counts(done):
    return {
        "expected": done["expected"], "received": done["received"], "on_time": done["on_time"],
        "received_rate": rate(done["received"], done["expected"]),
        "on_time_rate": rate(done["on_time"], done["expected"]),
    }


def _narrowed(form, specs):
    """An unsaved copy of `form` with only the items the specs name, each counted as the day's
    new events (or in force, for a current item): the dashboards need neither the hand-entered
    items nor the cumulative counts over the whole history, which cost the most. A ratio keeps
    its numerator and denominator as they are counted on the form."""
    wanted = {spec[2] for spec in specs}
    operands = {
        item[key] for item in form.items_of_kind(ItemKind.RATIO) if item["code"] in wanted
        for key in ("numerator", "denominator")
    }
    items = []
    for item in form.items:
        if item["code"] in operands:
            items.append(item)
        elif item["code"] in wanted:
            if item["kind"] == ItemKind.COMPUTED:
                item = {**item, "measure": "current" if item.get("measure") == "current" else "new"}
            items.append(item)
    return ReportForm(code=form.code, version=form.version, period=form.period, unit_types=form.unit_types,
                      deadlines=form.deadlines, items=items)


def key_figures(unit, now):
    """Today's key figures of `unit`'s subtree, from the daily report."""
    today = timezone.localdate(now)
    report = daily_report(unit, today, now=now)
    items = report["items"]
    figures = [
        {"key": key, "label": label, "value": _figure_value(items, code, part, measure), "unit": measure}
        for key, label, code, part, measure in _figure_specs() if code in items
    ]
    return {
        "date": report["date"], "date_text": cn_date(today), "as_of": report["as_of"],
        "as_of_text": report["as_of_text"], "figures": figures,
        "completeness": _counts(report["completeness"]),
    }


def trend(unit, days, now):
    """The series of the last `days` days (today included): the latest snapshot of a day where
    one was kept, a live roll-up (as of the end of the day, or now) otherwise."""
    if days not in TREND_DAYS:
        raise ValueError(days)
    today = timezone.localdate(now)
    form = form_in_force(DEFAULT_FORM, today)
    narrow = _narrowed(form, _trend_specs())
    dates = [today - datetime.timedelta(days=offset) for offset in range(days - 1, -1, -1)]
    kept = {}
    snapshots = Snapshot.objects.filter(form_code=form.code, unit=unit, day__gte=dates[0], day__lt=today)
    for snap in snapshots.order_by("day", "version").only("day", "values", "completeness"):
        kept[snap.day] = snap  # ordered by version: the latest one stays
    specs = _trend_specs()
    series = {key: [] for key, *_rest in specs}
    rates, sources = [], []
    for day in dates:
        snap = kept.get(day)
        if snap is not None:
            values, done = snap.values, snap.completeness
            sources.append("snapshot")
        else:
            values = rollup(narrow, unit, day, default_as_of(day, now))
            done = completeness_tree(form, unit, day).get(unit.path, {"expected": 0, "received": 0, "on_time": 0})
            sources.append("live")
        for key, _label, code, _measure in specs:
            series[key].append(_value(values, code, "new"))
        rates.append(rate(done.get("received", 0), done.get("expected", 0)))
    return {
        "days": [day.isoformat() for day in dates],
        "labels": [_("%(month)s月%(day)s日") % {"month": day.month, "day": day.day} for day in dates],
        "sources": sources,
        "series": [
            {"key": key, "label": label, "unit": measure, "data": series[key]}
            for key, label, _code, measure in specs
        ] + [{"key": "received_rate", "label": _("日报报送率"), "unit": "%", "data": rates}],
    }


def _subtree(queryset, field, unit):
    low, high = path_range(unit.path)
    return queryset.filter(**{f"{field}__gte": low, f"{field}__lt": high})


def by_status_and_category(unit):
    """The key persons (control cases, each person once per group) of `unit`'s subtree by status
    and by category:
    {"status": [{"key", "label", "value"}], "category": [...]}, in the order of the choices."""
    cases = _subtree(ControlCase.objects.all(), "unit_path", unit).order_by()
    result = {}
    for field, choices in (("status", CaseStatus), ("category", Category)):
        counts = dict(cases.values_list(field).annotate(n=Count("person", distinct=True)))
        result[field] = [
            {"key": value, "label": str(label), "value": counts[value]}
            for value, label in choices.choices if counts.get(value)
        ]
    return result


def anomalies(unit, user, now, limit=20):
    """The abnormal follow-up entries of the last 48 hours in `unit`'s subtree that `user` may
    see, newest first."""
    since = now - datetime.timedelta(hours=ANOMALY_HOURS)
    entries = _subtree(FollowUpEntry.objects.restrict(user), "unit_path", unit).filter(
        abnormal=True, recorded_at__gt=since, recorded_at__lte=now,
    ).select_related("case__person", "case__unit").order_by("-recorded_at", "-pk")[:limit]
    return [
        {
            "case": entry.case_id, "name": entry.case.person.name, "unit": entry.case.unit.name,
            "temperature": f"{entry.temperature}℃", "symptoms": symptom_labels(entry.symptoms) or _("无"),
            "time": timezone.localtime(entry.recorded_at).isoformat(),
            "time_text": cn_datetime(entry.recorded_at, minutes=bool(timezone.localtime(entry.recorded_at).minute)),
        }
        for entry in entries
    ]


# The figures each child unit gets in the drill-down table (the coverage of the round in force
# only where the form of the day has it).
CHILD_FIGURES = ("under_control", "key_persons_new", "isolated_total", "home_controlled", "released_new",
                 "anomalies_new", "round_coverage")


def _child_specs(form):
    return [spec for spec in _figure_specs() if spec[0] in CHILD_FIGURES and form.item(spec[2])]


def children_figures(unit, now):
    """Today's main figures and filing counts of each child of `unit` with filing units below."""
    today = timezone.localdate(now)
    form = form_in_force(DEFAULT_FORM, today)
    counts = children_completeness(form, unit, today)
    if not counts:
        return []
    specs = _child_specs(form)
    values = rollup_many(_narrowed(form, specs), [child for child, _done in counts], today,
                         default_as_of(today, now))
    return [
        {
            "code": child.code, "name": child.name,
            "figures": {
                key: _figure_value(values[child.pk], code, part, measure) for key, _l, code, part, measure in specs
            },
            "completeness": _counts(done),
        }
        for child, done in counts
    ]


def child_columns(now):
    """(key, label, unit of measure) of the figures `children_figures` gives each child."""
    form = form_in_force(DEFAULT_FORM, timezone.localdate(now))
    return [(key, label, measure) for key, label, _code, _part, measure in _child_specs(form)]


def dashboard_data(unit, user, now, days=14):
    """Everything a dashboard shows, as JSON-ready data."""
    return {
        "unit": {"code": unit.code, "name": unit.name},
        "now": timezone.localtime(now).isoformat(),
        **key_figures(unit, now),
        "trend": trend(unit, days, now),
        "cases": by_status_and_category(unit),
        # Names of people under follow-up only for roles that may read follow-up entries.
        "anomalies": anomalies(unit, user, now) if user.has_perm("control.view_followupentry") else [],
        "children": children_figures(unit, now),
        "children_columns": [
            {"key": key, "label": label, "unit": measure} for key, label, measure in child_columns(now)
        ],
    }

