"""Completeness and timeliness of the daily reports (报送情况): for a unit and a day, how many
units must file, how many have, how many on time, the rates (报告率、及时率), a row per child
unit to drill down, the last seven periods at a glance, and the units that have not filed yet
with their deadline and the people responsible — on the page and as .xlsx.

The unit comes from `Unit.objects.restrict(request.user)`: one outside the jurisdiction is 404,
as if it did not exist."""

import datetime
import tempfile

import xlsxwriter
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from fangkong.accounts.models import RoleAssignment
from fangkong.lib.dates import cn_date, cn_datetime
from fangkong.lib.masking import mask_phone
from fangkong.orgs.jurisdiction import path_range
from fangkong.orgs.models import Unit, UnitType
from fangkong.web.views import is_htmx, render_list, top_units

from .models import Filing, Period
from .services.completeness import completeness, completeness_tree, expected_units, rate
from .services.deadlines import chunks, group_path, missing_units
from .services.forms import DEFAULT_FORM, FormNotFound, deadline, form_in_force, forms_in_force

VIEW = "reports.view_filing"
PAGE_SIZE = 50
STRIP_PERIODS = 7
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _day(request):
    text = request.GET.get("date", "").strip()
    if not text:
        return timezone.localdate()
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        messages.error(request, _("日期“%(text)s”有误，应写作2022-01-27；已显示今天的情况。") % {"text": text})
        return timezone.localdate()


def _unit(request):
    """The unit asked for (by code) inside the jurisdiction, or the user's top unit."""
    code = request.GET.get("unit", "").strip()
    if code:
        unit = Unit.objects.restrict(request.user).filter(code=code).first()
    else:
        unit = next(iter(top_units(request.user)), None)
    if unit is None:
        raise Http404(_("没有这个单位，或它不在您的辖区内。"))
    return unit


def _form(request, day):
    try:
        return form_in_force(request.GET.get("form", "").strip() or DEFAULT_FORM, day)
    except FormNotFound:
        raise Http404(_("该日期没有在用的这张报表。")) from None


def _query(unit, day, form, **extra):
    return urlencode({"unit": unit.code, "date": day.isoformat(), "form": form.code, **extra})


def filing_url(form, period, unit):
    """The page where `unit` files its report of `period`."""
    url = reverse("reports:filing_form", args=[unit.code, period.isoformat()])
    return url if form.code == DEFAULT_FORM else f"{url}?" + urlencode({"form": form.code})


def _people(units, user):
    """{unit id: [(role, name, phone as `user` may see it)]} of the active users holding a role in
    each unit."""
    sees = user.sees_identity()
    people = {}
    for ids in chunks(unit.pk for unit in units):
        assignments = (
            RoleAssignment.objects.filter(unit_id__in=ids, user__is_active=True)
            .select_related("user", "role").order_by("unit_id", "role__name", "user__username")
        )
        for assignment in assignments:
            phone = assignment.user.phone if sees else mask_phone(assignment.user.phone)
            people.setdefault(assignment.unit_id, []).append((assignment.role.name, str(assignment.user), phone))
    return people


def _missing_units(form, period, unit):
    return missing_units(form, period, root=unit).only("pk", "path", "code", "name", "type").order_by("path")


def _missing_rows(units, form, period, user, now):
    """What is shown of each unit not yet filed: deadline, overdue, parent, responsible people."""
    units = list(units)
    parents = {}
    for paths in chunks({group_path(unit.path) for unit in units}):
        parents.update(Unit.objects.filter(path__in=paths).values_list("path", "name"))
    people = _people(units, user)
    due = {}
    rows = []
    for unit in units:
        if unit.type not in due:
            due[unit.type] = deadline(form, unit.type, period)
        parent = group_path(unit.path)
        rows.append({
            "unit": unit, "deadline": due[unit.type], "precision": _precision(due[unit.type]),
            "overdue": due[unit.type] <= now,
            "parent": parents.get(parent, "") if parent != unit.path else "",
            "people": people.get(unit.pk, []), "filing_url": filing_url(form, period, unit),
        })
    return rows


def _precision(moment):
    """Deadlines as people write them: 14时, or 14时30分 when there are minutes."""
    return "minute" if timezone.localtime(moment).minute else "hour"


def _deadlines(form, period):
    """[(unit type label, deadline, precision)] of the form's filing unit types."""
    types = dict(UnitType.choices)
    rows = []
    for unit_type in form.unit_types:
        moment = deadline(form, unit_type, period)
        rows.append((types.get(unit_type, unit_type), moment, _precision(moment)))
    return rows


def _figures(counts):
    return {**counts, "missing_count": counts["expected"] - counts["received"],
            "report_rate": rate(counts["received"], counts["expected"]),
            "timely_rate": rate(counts["on_time"], counts["expected"])}


def _tree_figures(form, unit, day):
    """The unit's figures and a row per child, from one pass of the roll-up (the same counts as
    `completeness` and `children_completeness`, without counting the subtree twice)."""
    tree = completeness_tree(form, unit, day)
    children = Unit.objects.get_children(unit).order_by("path") if not unit.is_leaf() else Unit.objects.none()
    return {
        "figures": _figures(tree.get(unit.path, {"expected": 0, "received": 0, "on_time": 0})),
        "children": [{"unit": child, "query": _query(child, day, form), **_figures(tree[child.path])}
                     for child in children if child.path in tree],
    }


def _strip(form, unit, period, today):
    """The figures of the last periods up to `period` (one query for the filings of all)."""
    step = datetime.timedelta(days=7 if form.period == Period.WEEKLY else 1)
    periods = [period - step * back for back in range(STRIP_PERIODS - 1, -1, -1)]
    low, high = path_range(unit.path)
    counts = dict(
        (row["day"], row) for row in
        Filing.objects.current().filter(
            form_code=form.code, day__in=periods, unit_path__gte=low, unit_path__lt=high,
            unit__type__in=form.unit_types, unit__is_active=True,
        ).order_by().values("day").annotate(received=Count("pk"), on_time=Count("pk", filter=Q(late=False)))
    )
    expected = expected_units(form, unit).count()
    strip = []
    for day in periods:
        row = counts.get(day, {"received": 0, "on_time": 0})
        strip.append({"day": day, "future": day > today, "query": _query(unit, day, form), **_figures(
            {"expected": expected, "received": row["received"], "on_time": row["on_time"]})})
    return strip


def _ancestors(unit, user, day, form):
    """[(ancestor, its page's query or None outside the jurisdiction)] from the top down."""
    ancestors = list(Unit.objects.get_ancestors(unit))
    inside = set(Unit.objects.restrict(user).filter(pk__in=[a.pk for a in ancestors]).values_list("pk", flat=True))
    return [(ancestor, _query(ancestor, day, form) if ancestor.pk in inside else None) for ancestor in ancestors]


@login_required
@permission_required(VIEW, raise_exception=True)
def completeness_page(request):
    day = _day(request)
    unit = _unit(request)
    form = _form(request, day)
    period = form.period_start(day)
    now = timezone.now()
    missing = _missing_units(form, period, unit)
    page = Paginator(missing, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "unit": unit, "day": day, "period": period, "form": form, "now": now, "page": page,
        "missing": _missing_rows(page.object_list, form, period, request.user, now),
        "can_file": request.user.has_perm("reports.add_filing"),
        "export_query": _query(unit, day, form),
    }
    if not is_htmx(request):  # the pages of the missing list come alone
        context.update({
            **_tree_figures(form, unit, day),
            "forms": forms_in_force(day), "ancestors": _ancestors(unit, request.user, day, form),
            "deadlines": _deadlines(form, period),
            "strip": _strip(form, unit, period, timezone.localdate(now)),
        })
    return render_list(request, "reports/completeness.html", "reports/completeness_missing.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
def missing_xlsx(request):
    """The units of the subtree that have not filed, as .xlsx (未报单位清单)."""
    day = _day(request)
    unit = _unit(request)
    form = _form(request, day)
    period = form.period_start(day)
    now = timezone.now()
    figures = _figures(completeness(form, unit, day))
    rows = _missing_rows(_missing_units(form, period, unit), form, period, request.user, now)
    out = tempfile.TemporaryFile()
    _write_workbook(out, unit, form, period, figures, rows, now)
    out.seek(0)
    name = _("%(unit)s%(form)s未报单位-%(date)s.xlsx") % {
        "unit": unit.name, "form": form.name, "date": period.strftime("%Y%m%d")}
    response = FileResponse(out, as_attachment=True, filename=name, content_type=XLSX)
    response["Cache-Control"] = "private, no-store"
    return response


def _write_workbook(out, unit, form, period, figures, rows, now):
    # Rows are written in order, so constant memory (inline strings) suits a county-wide list.
    book = xlsxwriter.Workbook(out, {"constant_memory": True})
    sheet = book.add_worksheet(_("未报单位"))
    title = book.add_format({"bold": True, "font_size": 14, "align": "center", "font_name": "宋体"})
    head = book.add_format({"bold": True, "border": 1, "align": "center", "valign": "vcenter", "bg_color": "#F2F2F2",
                            "font_name": "宋体"})
    cell = book.add_format({"border": 1, "font_name": "宋体", "text_wrap": True, "valign": "top"})
    headers = [_("序号"), _("单位名称"), _("单位编码"), _("单位类型"), _("上级单位"), _("截止时间"), _("状态"),
               _("责任人"), _("联系电话")]
    sheet.merge_range(0, 0, 0, len(headers) - 1, _("%(unit)s%(form)s未报单位清单（%(date)s）") % {
        "unit": unit.name, "form": form.name, "date": cn_date(period)}, title)
    sheet.write_string(1, 0, _("统计时间：%(now)s；应报%(expected)d个，已报%(received)d个，未报%(missing)d个") % {
        "now": cn_datetime(now, minutes=True), "expected": figures["expected"], "received": figures["received"],
        "missing": figures["missing_count"]})
    sheet.write_row(2, 0, headers, head)
    types = dict(UnitType.choices)
    for index, row in enumerate(rows, start=1):
        values = [
            str(index), row["unit"].name, row["unit"].code, str(types.get(row["unit"].type, row["unit"].type)),
            row["parent"], cn_datetime(row["deadline"], minutes=row["precision"] == "minute"), _("已逾期") if row["overdue"] else _("未到截止时间"),
            "\n".join(f"{role} {name}" for role, name, _phone in row["people"]),
            "\n".join(phone for _role, _name, phone in row["people"] if phone),
        ]
        for column, value in enumerate(values):
            sheet.write_string(index + 2, column, value, cell)
    sheet.set_column(0, 0, 6)
    sheet.set_column(1, 2, 18)
    sheet.set_column(3, 6, 14)
    sheet.set_column(7, 8, 24)
    sheet.freeze_panes(3, 2)
    book.close()
