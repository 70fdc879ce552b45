"""Situation reports written from the data (情况汇报、工作简报): the daily report of a unit as of a
cut-off, put into a template's sentences, kept as a numbered bulletin of the unit (简报第N期).
Called by the pages, the API and `fangkong report situation` alike."""

import types

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.lib.dates import cn_cutoff, cn_date
from fangkong.orgs.models import CommandBody, Unit

from ..models import Bulletin
from .completeness import children_completeness, rate
from .daily import children_rows, daily_report
from .forms import DEFAULT_FORM, FormNotFound, form_in_force
from .templates import item_shape, latest_template, render_docx

# “全县/全镇/全村……”: the word a report uses for its own area.
AREA_WORDS = {
    "province": "省", "city": "市", "county": "县", "town": "镇", "village": "村", "grid": "网格",
    "building": "楼栋", "edu_bureau": "系统", "school": "校", "grade": "年级", "class": "班",
    "company": "企业", "department": "单位", "team": "班组",
}
DEFAULT_AREA_WORD = "辖区"
NUMBER_ATTEMPTS = 5


def area_word(unit):
    return AREA_WORDS.get(unit.type, DEFAULT_AREA_WORD)


def issuer(unit):
    """Who issues the report: the office of the unit's leading group (领导小组办公室)."""
    body = CommandBody.objects.filter(unit=unit).order_by("pk").values_list("name", flat=True).first()
    return f"{body}办公室" if body else f"{unit.name}疫情防控工作领导小组办公室"


def _completeness(counts, names):
    return {
        **counts,
        "rate": rate(counts["on_time"], counts["expected"]) or 0,
        "missing_count": len(names),
        "missing_names": names,
        "missing_text": "、".join(names),
    }


def _events(form, items):
    """有事报事: the reports of every text item, each with the unit that wrote it."""
    events = []
    for item in form.items:
        if item_shape(item) == "text":
            events.extend({"name": row["name"], "unit": row["unit"], "text": row["text"]}
                          for row in items.get(item["code"]) or [])
    return events


def _row(name, code, items, counts):
    # A namespace, not a dict: in a template `row.items` must be the figures, not dict.items.
    return types.SimpleNamespace(name=name, code=code, items=items,
                                 completeness={**counts, "rate": rate(counts["on_time"], counts["expected"]) or 0})


def situation_context(unit, as_of, number=None, now=None, form_code=DEFAULT_FORM):
    """What a situation-report template is rendered with, for `unit`'s subtree as of `as_of`,
    from the version of form `form_code` in force that day."""
    now = now or timezone.now()
    as_of = timezone.localtime(as_of)
    day = as_of.date()
    form = form_in_force(form_code, day)
    report = daily_report(unit, day, form=form, as_of=as_of, now=now)
    missing = report["completeness"]["missing"]
    names = list(Unit.objects.filter(code__in=missing).order_by("path").values_list("name", flat=True))
    counts = {child.pk: row for child, row in children_completeness(form, unit, day)}
    empty = {"expected": 0, "received": 0, "on_time": 0}
    return {
        "unit_name": unit.name,
        "unit_code": unit.code,
        "area_word": area_word(unit),
        "issuer": issuer(unit),
        "as_of_text": cn_cutoff(as_of),
        "date_text": cn_date(day),
        "issue_date": cn_date(timezone.localtime(now).date()),
        "number": number,
        "form_name": form.name,
        "items": report["items"],
        "events": _events(form, report["items"]),
        "completeness": _completeness(report["completeness"], names),
        "children": [
            _row(child.name, child.code, values, counts.get(child.pk, empty))
            for child, values in children_rows(unit, day, form, as_of)
        ],
    }


def _sample_items(form):
    items = {}
    for index, item in enumerate(form.items, start=1):
        shape = item_shape(item)
        if shape == "text":
            items[item["code"]] = [{"unit": "430626100201", "name": "东门村", "text": "劝阻聚餐一起"}]
        elif shape == "both":
            items[item["code"]] = {"new": index, "cumulative": index * 10}
        elif shape == "ratio":
            items[item["code"]] = 87.5
        else:
            items[item["code"]] = index
    return items


def sample_context(form):
    """A context of the same shape as `situation_context`, with made-up figures, to check an
    uploaded template before it is stored."""
    items = _sample_items(form)
    counts = {"expected": 2, "received": 1, "on_time": 1}
    return {
        "unit_name": "城关镇",
        "unit_code": "430626100",
        "area_word": "镇",
        "issuer": "城关镇疫情防控工作领导小组办公室",
        "as_of_text": "2022年1月27日12时",
        "date_text": "2022年1月27日",
        "issue_date": "2022年1月27日",
        "number": 1,
        "form_name": form.name,
        "items": items,
        "events": _events(form, items),
        "completeness": _completeness(counts, ["西门村"]),
        "children": [
            _row("东门村", "430626100201", items, {"expected": 1, "received": 1, "on_time": 1}),
            _row("西门村", "430626100202", items, {"expected": 1, "received": 0, "on_time": 0}),
        ],
    }


def render_situation(template, context):
    """The .docx bytes of `template` (a ReportTemplate) rendered with `context`."""
    return render_docx(bytes(template.content), context)


def next_number(unit):
    top = Bulletin.objects.filter(unit=unit).aggregate(top=Max("number"))["top"]
    return (top or 0) + 1


def write_situation(unit, as_of, template_code="situation-2020", user=None, now=None):
    """Write the situation report of `unit` as of `as_of` with the latest version of
    `template_code`, and keep it as the unit's next bulletin. LookupError for an unknown
    template; ValidationError for a cut-off in the future or a template that fails."""
    now = now or timezone.now()
    if as_of > now:
        raise ValidationError(_("统计截至时间不能晚于现在。"), code="future")
    template = latest_template(template_code)
    try:
        context = situation_context(unit, as_of, now=now, form_code=template.form_code)
    except FormNotFound:
        raise ValidationError(_("%(date)s没有生效的报表“%(code)s”。") % {
            "date": cn_date(timezone.localtime(as_of).date()), "code": template.form_code}, code="form") from None
    for _attempt in range(NUMBER_ATTEMPTS):
        number = next_number(unit)
        context["number"] = number
        content = render_situation(template, context)
        title = _("%(unit)s%(name)s（第%(number)d期，截至%(as_of)s）") % {
            "unit": unit.name, "name": template.name, "number": number, "as_of": context["as_of_text"],
        }
        try:
            # Two people writing at once get the same number; the loser takes the next one.
            with transaction.atomic():
                return Bulletin.objects.create(
                    unit=unit, number=number, template=template, as_of=as_of, title=title[:200], content=content,
                    issued_at=now, issued_by=user,
                )
        except IntegrityError:
            continue
    raise ValidationError(_("简报期数编号冲突，请重试。"), code="conflict")


def bulletin_file_name(bulletin):
    return f"{bulletin.unit.name}{bulletin.template.name}第{bulletin.number}期.docx"
