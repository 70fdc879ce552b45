"""The demo county's daily reports (疫情防控日报告、零报告) over the last month, so that the filing,
completeness, dashboard and daily report pages show a real history on first start:

- every village, school and company of the daily form files each day: most on time, about one
  in ten late, a few not at all (a handful of units are often late or missing), some with nothing
  to report (无事报平安, a zero report), some with an event to report (有事报事); the hand numbers
  are plausible and pass the form's rules;
- today's reports are in as far as the day has got: units whose deadline has passed have mostly
  filed, the others partly; the units of the demo users have not filed today, so that they have
  a form to try;
- a few reports of past days are corrected the next morning (a version 2 with its reason);
- each past day has its snapshot taken when the day was over, and a corrected day a second
  snapshot version, as the worker would have done;
- the worker's missing-report pass runs as it would have at the end of yesterday (the units that
  never filed yesterday are alerted) and now, for today's deadlines that have passed.

The history is written in bulk, as an import would load it: filing a report one at a time through
the form's service would count each unit's figures on its own, which for a month of a county's
reports takes minutes. The figures a filing keeps (`computed`) are counted for all the units of a
day at once, as they stood at the villages' deadline, with the same roll-up engine the form uses.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count
from django.db.models.functions import Substr
from django.utils import timezone

from fangkong.accounts.models import RoleAssignment
from fangkong.lib.dates import day_end, local_moment
from fangkong.orgs.models import Unit, UnitType
from fangkong.people.models import Affiliation, Person
from fangkong.reports.models import Filing, ItemKind
from fangkong.reports.services.deadlines import check_report_deadlines
from fangkong.reports.services.forms import FormNotFound, deadline, form_in_force
from fangkong.reports.services.rollup import rollup_many
from fangkong.reports.services.snapshots import resnapshot_after_correction, snapshot_units, take_snapshots
from fangkong.vaccination.services.coverage import doses_unchanged

HISTORY_DAYS = 30
# Shares of a unit's reports filed late and not filed; a few units are often late or missing.
LATE, MISSING = 0.065, 0.03
SLACK_SHARE, SLACK_LATE, SLACK_MISSING = 0.12, 0.35, 0.15
# Shares of zero reports (无事报平安) by unit type: schools, with their pupils at home, have least to report.
ZERO = {UnitType.VILLAGE: 0.08, UnitType.SCHOOL: 0.4, UnitType.COMPANY: 0.3}
# Hours before the deadline that a unit files on time, and hours after it that a late one files.
ON_TIME_WINDOW = {UnitType.VILLAGE: 5, UnitType.SCHOOL: 2.5, UnitType.COMPANY: 5}
LATE_WINDOW = 6
CORRECTIONS = 3
SNAPSHOT_DELAY = datetime.timedelta(minutes=1)

EVENTS = {
    UnitType.VILLAGE: (0.07, [
        "劝阻一户村民操办寿宴，已取消，改为家庭内部聚餐",
        "发现一名外省返乡人员未主动报告，已登记并告知居家健康监测",
        "村口卡点劝返外地车辆3辆",
        "一名村民发热，已由村医陪同至镇卫生院发热门诊就诊",
        "组织志愿者对集贸市场、村部进行消杀",
        "两户村民拟办婚宴，经村干部上门劝说已推迟",
    ]),
    UnitType.SCHOOL: (0.05, [
        "一名教师家属有外省旅居史，已要求该教师居家健康监测",
        "对寒假留校学生逐一测温登记，均无异常",
        "一名学生发热，已通知家长带往发热门诊就诊",
        "开学前校园全面消杀，食堂、宿舍逐间登记",
    ]),
    UnitType.COMPANY: (0.05, [
        "两名外省返岗员工已安排单间居住观察",
        "复工前厂区全面消杀，员工逐一登记健康状况",
        "一名员工发热，已送医排查，所在班组暂停作业并消杀",
    ]),
}
# (reason, what the correction changes)
CORRECTIONS_MADE = [
    ("外来人员登记数漏报，补充更正", "outsiders"),
    ("入户测温人数录入有误，更正", "temperature"),
    ("补充当日重要情况", "events"),
]
LATE_EVENT = "晚间劝阻一起聚集性打牌活动，已登记参与人员"


@dataclass
class Profile:
    """How a filing unit files: its population (for the numbers) and how reliably it files."""

    unit: Unit
    population: int
    members: int  # pupils and staff of a school, employees of a company
    late: float
    missing: float
    filer: object


def create_reports(county, rng, now=None):
    """Write the month's filings and snapshots and run the missing-report pass; returns the number
    of filings written."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    days = [today - datetime.timedelta(days=back) for back in range(HISTORY_DAYS, -1, -1)]
    try:
        forms = {day: form_in_force("daily", day) for day in days}
    except FormNotFound:
        return 0
    form = forms[today]
    profiles = _profiles(county, form, rng)
    held_today = {profile.unit.pk for profile in profiles if profile.filer is not None}
    corrections = _pick_corrections(days, rng)
    made = iter(CORRECTIONS_MADE * CORRECTIONS)
    written = 0
    # The doses are in before the reports, and the reports change none: count each day once.
    with transaction.atomic(), doses_unchanged():
        for day in days:
            form = forms[day]
            filings = _plan_day(form, profiles, day, today, now, held_today, rng)
            _fill_computed(form, filings, day, now)
            Filing.objects.bulk_create(filings)
            written += len(filings)
            if day < today:
                # Corrections filed this morning stand before the day's snapshot is taken.
                for corrected_day in corrections.get(day, []):
                    written += _correct(forms[corrected_day], corrected_day, county, next(made), profiles, rng)
                take_snapshots(form, day, snapshot_units(form, county), now=day_end(day) + SNAPSHOT_DELAY)
    check_report_deadlines(day_end(today - datetime.timedelta(days=1)))
    check_report_deadlines(now)
    return written


def _profiles(county, form, rng):
    units = list(
        Unit.objects.filter(path__startswith=county.path, type__in=form.unit_types, is_active=True).order_by("path")
    )
    residents = _per_unit(units, Person.objects.all())
    members = _per_unit(units, Affiliation.objects.all(), distinct="person")
    filers = {
        assignment.unit_id: assignment.user
        for assignment in RoleAssignment.objects.filter(unit__in=units).select_related("user")
    }
    profiles = []
    for unit in units:
        slack = rng.random() < SLACK_SHARE
        profiles.append(Profile(
            unit=unit, population=residents.get(unit.path, 0), members=members.get(unit.path, 0),
            late=SLACK_LATE if slack else LATE, missing=SLACK_MISSING if slack else MISSING,
            filer=filers.get(unit.pk),
        ))
    return profiles


def _per_unit(units, queryset, distinct="id"):
    """{unit path: count of the records in its subtree}, one query per path length."""
    result = {}
    for length in sorted({len(unit.path) for unit in units}):
        rows = (
            queryset.annotate(prefix=Substr("unit_path", 1, length)).order_by().values("prefix")
            .annotate(n=Count(distinct, distinct=True))
        )
        result.update((row["prefix"], row["n"]) for row in rows)
    return {unit.path: result.get(unit.path, 0) for unit in units}


def _pick_corrections(days, rng):
    """{day the correction is filed: [the day it corrects]}: the previous day's report, within the
    last two weeks and before yesterday, so the correction comes before the day's snapshot."""
    candidates = days[-15:-2]
    corrected = sorted(rng.sample(candidates, min(CORRECTIONS, len(candidates))))
    result = defaultdict(list)
    for day in corrected:
        result[day + datetime.timedelta(days=1)].append(day)
    return result


def _plan_day(form, profiles, day, today, now, held_today, rng):
    """The first versions of the day's filings that had come in by `now`."""
    progress = (day - (today - datetime.timedelta(days=HISTORY_DAYS))).days / HISTORY_DAYS
    filings = []
    for profile in profiles:
        unit = profile.unit
        roll = rng.random()
        if roll < profile.missing:
            continue
        late = roll < profile.missing + profile.late
        due = deadline(form, unit.type, day)
        if late:
            filed_at = due + datetime.timedelta(minutes=rng.randint(10, LATE_WINDOW * 60))
        else:
            window = int(ON_TIME_WINDOW.get(unit.type, 5) * 60)
            filed_at = due - datetime.timedelta(minutes=rng.randint(1, window))
        zero = rng.random() < ZERO.get(unit.type, 0.1)
        values = _zero_values(form) if zero else _values(form, profile, progress, rng)
        if filed_at > now or (day == today and unit.pk in held_today):
            continue
        filing = Filing(
            form=form, form_code=form.code, unit=unit, unit_path=unit.path, day=day, version=1, values=values,
            zero_report=zero, late=late, filed_at=filed_at, filed_by=profile.filer,
        )
        filing.fill_slots()  # bulk_create bypasses save(), which copies the numbers to their columns
        filings.append(filing)
    if day == today - datetime.timedelta(days=1) and len(filings) == len(profiles):
        # Yesterday one village did not file, so that yesterday's report has a unit missing.
        villages = [filing for filing in filings if filing.unit.type == UnitType.VILLAGE]
        if villages:
            filings.remove(rng.choice(villages))
    return filings


def _hand_items(form):
    return form.items_of_kind(ItemKind.NUMBER, ItemKind.TEXT)


def _zero_values(form):
    """A zero report as the form files one: every number 0, no text."""
    return {item["code"]: 0 if item["kind"] == ItemKind.NUMBER else "" for item in _hand_items(form)}


def _values(form, profile, progress, rng):
    """Plausible hand numbers for a unit: outsiders registered fall off as the month goes on (the
    holiday returns are over); 入户测温 is a village's count, never more than its residents."""
    unit_type = profile.unit.type
    if unit_type == UnitType.VILLAGE:
        expected = max(0.5, 2.5 * profile.population / 650 * (1 - 0.7 * progress))
        elsewhere = rng.randint(0, round(2 * expected))
        risk = 1 if rng.random() < 0.06 else 0
        numbers = {
            "temperature_checked": int(profile.population * rng.uniform(0.1, 0.4)),
            "gatherings_stopped": rng.choices([0, 1, 2], [82, 15, 3])[0],
            "places_disinfected": rng.randint(1, 4),
            "leaflets_handed_out": rng.randint(20, 150),
        }
    else:
        elsewhere = rng.randint(0, 3 if unit_type == UnitType.SCHOOL else 5)
        risk = 1 if rng.random() < 0.03 else 0
        numbers = {
            "temperature_checked": 0,
            "gatherings_stopped": 0,
            "places_disinfected": rng.randint(1, 6 if unit_type == UnitType.SCHOOL else 3),
            "leaflets_handed_out": rng.randint(0, min(60, max(profile.members, 1))),
        }
    numbers.update(outsiders_from_risk_areas=risk, outsiders_from_elsewhere=elsewhere,
                   outsiders_registered=risk + elsewhere)
    share, texts = EVENTS.get(unit_type, (0, []))
    events = rng.choice(texts) if texts and rng.random() < share else ""
    values = {}
    for item in _hand_items(form):
        code = item["code"]
        if item["kind"] == ItemKind.NUMBER:
            values[code] = numbers.get(code, 0)
        else:
            values[code] = events if code == "events" else ""
    return values


def _fill_computed(form, filings, day, now):
    """The computed items each filing keeps, counted for all the filing units of the day at once
    as they stood at the deadline of the form's first unit type (the villages', which most of the
    units are), or now while today runs."""
    if not filings:
        return
    codes = [item["code"] for item in form.items_of_kind(ItemKind.COMPUTED)]
    as_of = min(deadline(form, form.unit_types[0], day), now)
    values = rollup_many(form, [filing.unit for filing in filings], day, as_of)
    for filing in filings:
        filing.computed = {code: values[filing.unit_id][code] for code in codes}


def _correct(form, day, county, correction, profiles, rng):
    """Correct one village's report of `day` the next morning: version 2 with the reason, the
    first version superseded; the day's snapshots get a new version. Returns the filings written
    (0 when no village filed that day)."""
    candidates = list(
        Filing.objects.current().filter(
            form_code=form.code, day=day, unit__type=UnitType.VILLAGE, zero_report=False,
            unit_path__startswith=county.path,
        ).select_related("unit", "filed_by").order_by("unit_path")
    )
    if not candidates:
        return 0
    old = rng.choice(candidates)
    at = local_moment(day + datetime.timedelta(days=1), datetime.time(8, 30)) + datetime.timedelta(
        minutes=rng.randint(0, 120)
    )
    reason, change = correction
    values = dict(old.values)
    if change == "outsiders":
        added = rng.randint(1, 3)
        values["outsiders_from_elsewhere"] += added
        values["outsiders_registered"] += added
    elif change == "temperature":
        population = next(profile.population for profile in profiles if profile.unit.pk == old.unit_id)
        checked = int(population * rng.uniform(0.1, 0.4))
        if checked == values["temperature_checked"]:
            checked = checked + 1 if checked < population else checked - 1
        values["temperature_checked"] = checked
    else:
        values["gatherings_stopped"] += 1
        values["events"] = "；".join(text for text in (values["events"], LATE_EVENT) if text)
    computed = rollup_many(form, [old.unit], day, day_end(day))[old.unit_id]
    Filing.objects.filter(pk=old.pk).update(superseded_at=at)
    new = Filing.objects.create(
        form=form, unit=old.unit, day=day, version=old.version + 1, values=values,
        computed={item["code"]: computed[item["code"]] for item in form.items_of_kind(ItemKind.COMPUTED)},
        zero_report=False, late=old.late, filed_at=at, filed_by=old.filed_by, reason=reason,
    )
    resnapshot_after_correction(new, now=at)
    return 1
