"""Lists for door-knocking (应接尽接), per grid: eligible people not yet vaccinated, people who
started but have not finished their full course, and people due a booster (full course at least
`BOOSTER_INTERVAL_MONTHS` months ago, aged 18 or more, no booster). People under an active
deferral are left out of these lists and listed apart with their reasons.

Every list starts from `Person.objects.restrict(user)`; the dose figures are correlated
subqueries on the (person, dose number) index, so a page costs one query whatever its length."""

from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _

from fangkong.orgs.jurisdiction import path_range
from fangkong.people.models import Person

from ..models import Deferral, Dose
from .coverage import MIN_AGE, age_on, months_before, years_before

# 2021–2022 guidance: a booster from six months after the full course (aged 18 or more).
BOOSTER_INTERVAL_MONTHS = 6
BOOSTER_MIN_AGE = 18
KINDS = {
    "not_vaccinated": _("未接种"),
    "not_full": _("未完成全程接种"),
    "booster_due": _("应接种加强针"),
}


def _subtree(field, path):
    low, high = path_range(path)
    return Q(**{f"{field}__gte": low, f"{field}__lt": high})


def active_deferrals(on_date):
    return Deferral.objects.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on_date), starts_on__lte=on_date)


def people_list(user, unit, kind, on_date, grid=None):
    """The persons of `unit`'s subtree (or of `grid` within it) on list `kind` as of `on_date`,
    annotated with `doses` (highest dose number), `course` and `last_on` (last dose date)."""
    if kind not in KINDS:
        raise ValueError(kind)
    given = Dose.objects.filter(person=OuterRef("pk"), given_on__lte=on_date)
    people = (
        Person.objects.restrict(user)
        .filter(_subtree("unit_path", (grid or unit).path), is_provisional=False,
                birth_date__lte=years_before(on_date, MIN_AGE))
        .exclude(Exists(active_deferrals(on_date).filter(person=OuterRef("pk"))))
        .annotate(
            doses=Subquery(given.order_by("-dose_number").values("dose_number")[:1]),
            course=Subquery(given.order_by("dose_number").values("product__full_course_doses")[:1]),
            last_on=Subquery(given.order_by("-dose_number").values("given_on")[:1]),
        )
    )
    if kind == "not_vaccinated":
        people = people.filter(~Exists(given))
    elif kind == "not_full":
        people = people.filter(Exists(given), doses__lt=F("course"))
    else:
        people = people.filter(
            Exists(given), doses=F("course"), birth_date__lte=years_before(on_date, BOOSTER_MIN_AGE),
            last_on__lte=months_before(on_date, BOOSTER_INTERVAL_MONTHS),
        )
    return people.select_related("unit", "household").order_by("unit_path", "name", "pk")


def deferred_people(user, unit, on_date, grid=None):
    """Active deferrals of the persons of `unit`'s subtree (or of `grid`)."""
    return (
        active_deferrals(on_date).restrict(user)
        .filter(_subtree("unit_path", (grid or unit).path))
        .select_related("person__unit", "person__household", "created_by")
        .order_by("unit_path", "person__name", "pk")
    )


def person_row(person, user, on_date):
    """What a list shows of a person, ID and phone masked unless the user's role may see them."""
    household = person.household
    return {
        "id": person.pk,
        "name": person.name,
        "id_number": person.id_number_for(user),
        "phone": person.phone_for(user),
        "age": age_on(person.birth_date, on_date) if person.birth_date else None,
        "address": (household.address if household else "") or person.address,
        "grid": person.unit.name,
        "grid_code": person.unit.code,
        "doses": getattr(person, "doses", None) or 0,
        "last_on": getattr(person, "last_on", None),
    }


EXPORT_HEADERS = (_("姓名"), _("证件号码"), _("联系电话"), _("年龄"), _("家庭住址"), _("所属网格"), _("已接种剂次"),
                  _("末次接种日期"))
DEFERRAL_HEADERS = (_("姓名"), _("证件号码"), _("联系电话"), _("年龄"), _("家庭住址"), _("所属网格"), _("暂缓原因"),
                    _("说明"), _("起始日期"), _("截止日期"))


def _sheet(workbook, name, headers):
    from fangkong.people.services.xlsx import LedgerSheet

    sheet = LedgerSheet(workbook, name, [str(header) for header in headers], [None] * len(headers))
    for first, last, width in ((0, 0, 10), (1, 1, 21), (2, 2, 14), (4, 5, 24), (7, 9, 12)):
        sheet.sheet.set_column(first, last, width)
    return sheet


def export_list(out, user, unit, kind, on_date, grid=None):
    """The list as an .xlsx (Chinese headers) on `out`, and a second sheet of the deferred."""
    from fangkong.people.services.xlsx import new_workbook

    workbook = new_workbook(out)
    sheet = _sheet(workbook, str(KINDS[kind]), EXPORT_HEADERS)
    deferred = _sheet(workbook, str(_("暂缓接种")), DEFERRAL_HEADERS)
    for person in people_list(user, unit, kind, on_date, grid).iterator(chunk_size=2000):
        row = person_row(person, user, on_date)
        sheet.write_row([row["name"], row["id_number"], row["phone"], row["age"], row["address"], row["grid"],
                         row["doses"], row["last_on"]])
    for deferral in deferred_people(user, unit, on_date, grid).iterator(chunk_size=2000):
        row = person_row(deferral.person, user, on_date)
        deferred.write_row([row["name"], row["id_number"], row["phone"], row["age"], row["address"], row["grid"],
                            str(deferral.get_reason_display()), deferral.note, deferral.starts_on, deferral.ends_on])
    workbook.close()
