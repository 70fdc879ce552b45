"""Filing a unit's report (填报日报告、零报告) and correcting it.

A unit files once per period; what it files later is a correction — a new version with a reason,
the old version kept with `superseded_at` — so a roll-up as of any moment sees what stood then.
The computed items are counted from the records when the report is filed and kept with it
(locked: the filer cannot change them). A period takes no filing or correction after the form's
lock. Time is passed in (`now`) so that the deadline and the lock are decided by the caller's
clock, not read here.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.lib.dates import cn_datetime
from fangkong.orgs.models import Unit
from fangkong.people.models import Person

from ..models import Filing, ItemKind
from . import deadlines, rollup, snapshots
from .forms import deadline, locked_after

TEXT_LIMIT = 1000
REASON_LIMIT = 200


@dataclass
class FormPage:
    """What the form page of one unit and period shows."""

    form: object
    unit: Unit
    day: object  # the first day of the period
    as_of: object
    computed: dict  # {code: value} counted from the records up to `as_of`
    filing: Filing | None  # the current version, if filed
    deadline: object
    late: bool  # the deadline has passed
    locked: bool  # the period takes no more filings or corrections
    lock_at: object
    versions: list = field(default_factory=list)  # every version, newest first

    @property
    def computed_items(self):
        """The computed items with their values, and the ratio items worked out from them."""
        values = rollup.with_ratios(self.form, self.filing.computed if self.filing else self.computed)
        return [
            {**item, "value": values.get(item["code"])}
            for item in self.form.items_of_kind(ItemKind.COMPUTED, ItemKind.RATIO)
        ]

    @property
    def hand_items(self):
        return self.form.items_of_kind(ItemKind.NUMBER, ItemKind.TEXT)

    @property
    def filed_items(self):
        if self.filing is None:
            return []
        return [{**item, "value": self.filing.values.get(item["code"])} for item in self.hand_items]


def versions(form, unit, day):
    return list(
        Filing.objects.filter(form_code=form.code, unit=unit, day=form.period_start(day))
        .select_related("filed_by").order_by("-version")
    )


def open_form(form, unit, day, now):
    """The form of `unit` for the period of `day` as it stands at `now`."""
    start = form.period_start(day)
    as_of = rollup.default_as_of(start, now)
    history = versions(form, unit, start)
    current = next((filing for filing in history if filing.superseded_at is None), None)
    due = deadline(form, unit.type, start)
    lock_at = locked_after(form, start)
    return FormPage(
        form=form, unit=unit, day=start, as_of=as_of, computed=rollup.unit_values(form, unit, start, as_of),
        filing=current, deadline=due, late=now > due, locked=now >= lock_at, lock_at=lock_at, versions=history,
    )


def my_filing_units(user, form):
    """The active units of the user's jurisdiction that file `form`."""
    return Unit.objects.restrict(user).filter(type__in=form.unit_types, is_active=True).order_by("path")


def registered_population(unit):
    """The people registered anywhere in the unit's subtree."""
    return Person.objects.filter(unit_path__startswith=unit.path).count()


def _number(item, value, errors):
    if isinstance(value, str):
        value = value.strip()
        if value.lstrip("-").isdecimal():
            value = int(value)
    if value is None or value == "":
        errors[item["code"]] = _("请填写%(label)s（没有请填0）") % {"label": item["label"]}
    elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
        errors[item["code"]] = _("%(label)s必须是不小于0的整数") % {"label": item["label"]}
    else:
        return value
    return None


def clean_values(form, values):
    """The hand items of a filing, checked: numbers non-negative integers, texts at most 1000
    characters, nothing that is not a hand item of the form. Raises ValidationError keyed by
    item code."""
    if not isinstance(values, dict):
        raise ValidationError(_("填报数据必须是“项目编码: 数值”的映射"))
    errors = {}
    cleaned = {}
    for code in values:
        item = form.item(code)
        if item is None:
            errors[code] = _("未知的填报项目“%(code)s”") % {"code": code}
        elif item["kind"] in (ItemKind.COMPUTED, ItemKind.RATIO):
            errors[code] = _("%(label)s由系统统计，不能手工填报") % {"label": item["label"]}
    for item in form.items_of_kind(ItemKind.NUMBER, ItemKind.TEXT):
        code = item["code"]
        value = values.get(code)
        if item["kind"] == ItemKind.NUMBER:
            number = _number(item, value, errors)
            if number is not None:
                cleaned[code] = number
        elif value is None:
            cleaned[code] = ""
        elif not isinstance(value, str):
            errors[code] = _("%(label)s必须是文字") % {"label": item["label"]}
        elif len(value.strip()) > TEXT_LIMIT:
            errors[code] = _("%(label)s不能超过%(limit)d个字") % {"label": item["label"], "limit": TEXT_LIMIT}
        else:
            cleaned[code] = value.strip()
    if errors:
        raise ValidationError({code: [message] for code, message in errors.items()})
    return cleaned


def check_rules(form, unit, values, computed):
    """Apply the form's rules to the hand values with the computed ones. A rule on computed
    items only is skipped: the filer cannot change those, so it must not block the report."""
    merged = {**computed, **values}
    hand = set(values)
    errors = {}
    for rule in form.rules:
        if rule["type"] == "sum":
            codes = [rule["total"], *rule["parts"]]
            if not hand.intersection(codes):
                continue
            total = merged.get(rule["total"]) or 0
            parts = [merged.get(code) or 0 for code in rule["parts"]]
            if total != sum(parts):
                place = rule["total"] if rule["total"] in hand else next(code for code in codes if code in hand)
                errors.setdefault(place, []).append(
                    _("%(label)s（%(total)d）应等于各分项之和（%(parts)s = %(sum)d）") % {
                        "label": form.item(rule["total"])["label"], "total": total,
                        "parts": " + ".join(str(part) for part in parts), "sum": sum(parts),
                    })
        elif rule["type"] == "max_population":
            population = None
            for code in rule["items"]:
                value = merged.get(code) or 0
                if not value:
                    continue
                population = registered_population(unit) if population is None else population
                if value > population:
                    errors.setdefault(code, []).append(
                        _("%(label)s（%(value)d）不能超过本单位登记人口（%(population)d人）") % {
                            "label": form.item(code)["label"], "value": value, "population": population,
                        })
    if errors:
        raise ValidationError(errors)


def _check_open(form, unit, day, now):
    if unit.type not in form.unit_types:
        raise ValidationError(_("%(unit)s不填报“%(form)s”") % {"unit": unit.name, "form": form.name},
                              code="unit_type")
    if day < form.effective_from or (form.effective_to and day > form.effective_to):
        raise ValidationError(_("“%(form)s”（第%(version)d版）在该报告期不适用") % {
            "form": form.name, "version": form.version}, code="not_in_force")
    if day > timezone.localdate(now):
        raise ValidationError(_("报告期尚未开始，不能提前填报"), code="future")
    lock_at = locked_after(form, day)
    if now >= lock_at:
        raise ValidationError(_("报告期已锁定（%(moment)s起不能再补报或更正）") % {"moment": cn_datetime(lock_at)},
                              code="locked")


def _day_over(form, filing, now):
    return form.period_last_day(filing.day) < timezone.localdate(now)


def _all_zero(form, values):
    return all(not values.get(item["code"]) for item in form.items_of_kind(ItemKind.NUMBER, ItemKind.TEXT))


def file_report(form, unit, day, values, user, now=None, zero=False):
    """File the report of `unit` for the period of `day` (a zero report — 无事报平安 — when `zero`:
    every number 0, no text). Returns the Filing; ValidationError when it may not be filed or
    the values do not pass."""
    now = now or timezone.now()
    day = form.period_start(day)
    _check_open(form, unit, day, now)
    if zero:
        values = {item["code"]: 0 if item["kind"] == ItemKind.NUMBER else ""
                  for item in form.items_of_kind(ItemKind.NUMBER, ItemKind.TEXT)}
    values = clean_values(form, values)
    computed = rollup.unit_values(form, unit, day, rollup.default_as_of(day, now))
    check_rules(form, unit, values, computed)
    duplicate = ValidationError(_("%(unit)s已报送该期报告；如需修改，请填写原因后更正") % {"unit": unit.name},
                                code="duplicate")
    with transaction.atomic():
        if Filing.objects.filter(form_code=form.code, unit=unit, day=day).exists():
            raise duplicate
        try:
            with transaction.atomic():
                filing = Filing.objects.create(
                    form=form, unit=unit, day=day, values=values, computed=computed, zero_report=zero,
                    late=now > deadline(form, unit.type, day), filed_at=now, filed_by=user,
                )
        except IntegrityError:  # filed by someone else at the same moment
            raise duplicate from None
        if _day_over(form, filing, now):
            snapshots.resnapshot_after_correction(filing, now)
        deadlines.filing_received(filing, now)
    return filing


def correct_filing(filing, values, reason, user, now=None):
    """Correct a filing: a new version with the values and the reason; the old one is kept,
    superseded. Returns the new version."""
    now = now or timezone.now()
    form = filing.form
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("请填写更正原因")]})
    if len(reason) > REASON_LIMIT:
        raise ValidationError({"reason": [_("更正原因不能超过%(limit)d个字") % {"limit": REASON_LIMIT}]})
    if filing.superseded_at is not None:
        raise ValidationError(_("该版本已被更正，请在最新版本上更正"), code="superseded")
    _check_open(form, filing.unit, filing.day, now)
    values = clean_values(form, values)
    computed = rollup.unit_values(form, filing.unit, filing.day, rollup.default_as_of(filing.day, now))
    check_rules(form, filing.unit, values, computed)
    with transaction.atomic():
        changed = Filing.objects.filter(pk=filing.pk, superseded_at__isnull=True).update(superseded_at=now)
        if changed != 1:  # corrected by someone else meanwhile
            raise ValidationError(_("该版本已被更正，请在最新版本上更正"), code="superseded")
        filing.superseded_at = now
        corrected = Filing.objects.create(
            form=form, unit=filing.unit, day=filing.day, version=filing.version + 1, values=values,
            computed=computed, zero_report=_all_zero(form, values), late=filing.late, filed_at=now, filed_by=user,
            reason=reason,
        )
        if _day_over(form, corrected, now):
            snapshots.resnapshot_after_correction(corrected, now)
        deadlines.filing_received(corrected, now)
    return corrected


STATUS_MISSING, STATUS_FILED, STATUS_LATE, STATUS_ZERO = "missing", "filed", "late", "zero"


def status_of(filing):
    """未报 / 已报 / 迟报 / 零报告 of a unit's current filing (None: not filed)."""
    if filing is None:
        return STATUS_MISSING
    if filing.late:
        return STATUS_LATE
    return STATUS_ZERO if filing.zero_report else STATUS_FILED


def current_filings(form, units, day):
    """{unit pk: current filing} of the units' filings for the period of `day`."""
    rows = Filing.objects.current().filter(
        form_code=form.code, day=form.period_start(day), unit__in=[unit.pk for unit in units]
    ).select_related("filed_by")
    return {filing.unit_id: filing for filing in rows}
