"""Server-rendered pages. Every queryset goes through `restrict(request.user)`: a record
outside the user's jurisdiction is 404, the same as one that does not exist."""

import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fangkong.lib.history import history_entries
from fangkong.lib.uploads import saved_upload
from fangkong.orgs.jurisdiction import jurisdiction_paths
from fangkong.orgs.models import Assignment, CommandBody, CommandPost, Unit, UnitType
from fangkong.people.models import Household, ImportBatch, Person
from fangkong.people.services import ledger
from fangkong.people.services.duplicates import MergeError, likely_duplicate_groups, members_of_group, merge_persons
from fangkong.people.services.rollup import child_counts

from .forms import VULNERABLE_FLAGS, HouseholdFilterForm, LedgerImportForm, PersonFilterForm

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def is_htmx(request):
    """A request from htmx that wants a fragment (a history restore wants the whole page)."""
    return "HX-Request" in request.headers and "HX-History-Restore-Request" not in request.headers


def render_list(request, page_template, results_template, context):
    """The whole page, or only its results when htmx asks for them."""
    response = render(request, results_template if is_htmx(request) else page_template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def paginate(request, queryset):
    # Paginator counts once (the count is cached on it); the page then reads one slice.
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


@login_required
def home(request):
    user = request.user
    vulnerable = Q()
    for flag in VULNERABLE_FLAGS.values():
        vulnerable |= Q(**{flag: True})
    persons = Person.objects.restrict(user).aggregate(
        total=Count("pk"),
        follow_up=Count("pk", filter=Q(needs_follow_up=True)),
        vulnerable=Count("pk", filter=vulnerable),
        **{key: Count("pk", filter=Q(**{flag: True})) for key, flag in VULNERABLE_FLAGS.items()},
    )
    # order_by() drops the tree ordering, which would otherwise join the GROUP BY.
    by_type = Unit.objects.restrict(user).order_by().values("type").annotate(n=Count("pk"))
    type_counts = {row["type"]: row["n"] for row in by_type}
    context = {
        "persons": persons,
        "households": Household.objects.restrict(user).count(),
        "unit_counts": [(label, type_counts[value]) for value, label in UnitType.choices if value in type_counts],
        "batches": ImportBatch.objects.restrict(user).select_related("unit", "user")[:5],
    }
    return render(request, "web/home.html", context)


def top_units(user):
    """The roots of the user's jurisdiction (the tree's roots for a superuser)."""
    paths = jurisdiction_paths(user)
    if paths is None:
        return list(Unit.objects.get_root_nodes())
    return list(Unit.objects.filter(path__in=paths))


def residents_in_subtrees(units):
    """{unit path: persons living anywhere under it}, in one query."""
    if not units:
        return {}
    counts = Person.objects.aggregate(
        **{f"u{unit.pk}": Count("pk", filter=Q(unit_path__startswith=unit.path)) for unit in units}
    )
    return {unit.path: counts[f"u{unit.pk}"] for unit in units}


def with_resident_counts(units, counts):
    """Set `resident_count` on each unit from {unit path: count}."""
    for unit in units:
        unit.resident_count = counts.get(unit.path, 0)
    return units


@login_required
@permission_required("orgs.view_unit", raise_exception=True)
def unit_tree(request):
    units = top_units(request.user)
    with_resident_counts(units, residents_in_subtrees(units))
    return render(request, "web/unit_tree.html", {"units": units})


@login_required
@permission_required("orgs.view_unit", raise_exception=True)
@require_GET
def unit_children(request, pk):
    """The children of a unit with their subtree resident counts (an htmx fragment)."""
    unit = get_object_or_404(Unit.objects.restrict(request.user), pk=pk)
    children = with_resident_counts(list(Unit.objects.get_children(unit)), child_counts(unit))
    return render(request, "web/_unit_nodes.html", {"units": children})


@login_required
@permission_required("orgs.view_unit", raise_exception=True)
def unit_detail(request, pk):
    user = request.user
    unit = get_object_or_404(Unit.objects.restrict(user), pk=pk)
    ancestors = list(Unit.objects.get_ancestors(unit))
    linkable = set(Unit.objects.restrict(user).filter(pk__in=[a.pk for a in ancestors]).values_list("pk", flat=True))
    children = with_resident_counts(list(Unit.objects.get_children(unit)), child_counts(unit))
    post_order = {kind: i for i, kind in enumerate(CommandPost.Kind.values)}
    bodies = list(
        CommandBody.objects.restrict(user)
        .filter(unit=unit)
        .prefetch_related("posts", "task_groups__lead_unit", "task_groups__member_units")
    )
    for body in bodies:
        body.sorted_posts = sorted(body.posts.all(), key=lambda post: (post_order[post.kind], post.pk))
    subtree = Q(unit_path__startswith=unit.path)
    context = {
        "unit": unit,
        "ancestors": [(ancestor, ancestor.pk in linkable) for ancestor in ancestors],
        "children": children,
        "bodies": bodies,
        "assignments": Assignment.objects.restrict(user).filter(unit=unit).order_by("pk"),
        "residents": Person.objects.filter(subtree).count(),
        "households": Household.objects.filter(subtree).count(),
    }
    return render(request, "web/unit_detail.html", context)


@login_required
@permission_required("people.view_person", raise_exception=True)
def person_list(request):
    form = PersonFilterForm(request.GET, user=request.user)
    persons = form.filter(Person.objects.restrict(request.user)).select_related("unit")
    context = {"form": form, "page": paginate(request, persons.order_by("unit_path", "name", "pk"))}
    return render_list(request, "web/person_list.html", "web/_person_results.html", context)


@login_required
@permission_required("people.view_person", raise_exception=True)
def person_duplicates(request):
    """Likely duplicates (同名、同出生日期、同手机号，且有人没有证件号) for a person to merge."""
    people = Person.objects.restrict(request.user)
    groups = []
    for group in likely_duplicate_groups(people)[:100]:
        members = members_of_group(people, group["name"], group["birth_date"], group["phone"]).select_related("unit")
        groups.append({**group, "members": list(members)})
    return render(request, "web/person_duplicates.html", {"groups": groups})


@login_required
@permission_required("people.change_person", raise_exception=True)
@require_POST
def person_merge(request):
    people = Person.objects.restrict(request.user)
    keep = get_object_or_404(people, pk=request.POST.get("keep"))
    duplicate = get_object_or_404(people, pk=request.POST.get("duplicate"))
    try:
        merge_persons(keep, duplicate, user=request.user)
    except MergeError as error:
        messages.error(request, str(error))
        return redirect("person_duplicates")
    messages.success(request, _("已合并为一人：%(name)s") % {"name": keep.name})
    return redirect("person_detail", keep.pk)


@login_required
@permission_required("people.view_person", raise_exception=True)
def person_detail(request, pk):
    user = request.user
    person = get_object_or_404(Person.objects.restrict(user).select_related("unit", "household"), pk=pk)
    context = {
        "person": person,
        "household_visible": person.household_id is not None
        and Household.objects.restrict(user).filter(pk=person.household_id).exists(),
        "affiliations": person.affiliations.select_related("unit").order_by("pk"),
        "moves": person.moves.select_related("from_unit", "to_unit", "recorded_by"),
        "history": history_entries(person, user),
    }
    return render(request, "web/person_detail.html", context)


@login_required
@permission_required("people.view_household", raise_exception=True)
def household_list(request):
    form = HouseholdFilterForm(request.GET, user=request.user)
    households = form.filter(Household.objects.restrict(request.user)).select_related("unit", "head")
    households = households.annotate(member_count=Count("members"))
    context = {"form": form, "page": paginate(request, households.order_by("unit_path", "number"))}
    return render_list(request, "web/household_list.html", "web/_household_results.html", context)


@login_required
@permission_required("people.view_household", raise_exception=True)
def household_detail(request, pk):
    user = request.user
    household = get_object_or_404(Household.objects.restrict(user).select_related("unit", "head"), pk=pk)
    context = {
        "household": household,
        "members": Person.objects.restrict(user).filter(household=household).select_related("unit").order_by("pk"),
        "moves": household.moves.select_related("from_unit", "to_unit", "recorded_by"),
        "history": history_entries(household, user),
    }
    return render(request, "web/household_detail.html", context)


@login_required
@permission_required("people.export_person", raise_exception=True)
def person_export(request):
    """The people of the current list filter as an Excel ledger, masked unless the role may see IDs."""
    user = request.user
    form = PersonFilterForm(request.GET, user=user)
    persons = form.filter(Person.objects.restrict(user)).order_by("unit_path", "name", "pk")
    out = tempfile.TemporaryFile()
    ledger.export_persons(persons, out, masked=not user.sees_identity())
    out.seek(0)
    name = _("人员台账") + timezone.localtime().strftime("-%Y%m%d-%H%M.xlsx")
    return FileResponse(out, as_attachment=True, filename=name, content_type=XLSX)


@login_required
@permission_required("people.import_person", raise_exception=True)
def ledger_template(request):
    out = tempfile.TemporaryFile()
    ledger.write_persons_template(out)
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=_("人员台账模板") + ".xlsx", content_type=XLSX)


def run_import(upload, unit, user, dry_run):
    """Save the upload to a temporary file (the importer reads a path) and import it."""
    with saved_upload(upload) as path:
        return ledger.import_persons(path, unit=unit, user=user, file_name=upload.name, dry_run=dry_run)


@login_required
@permission_required("people.import_person", raise_exception=True)
def ledger_import(request):
    user = request.user
    if request.method == "POST":
        form = LedgerImportForm(request.POST, request.FILES, user=user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                batch = run_import(data["file"], data["unit"], user, data["dry_run"])
            except ledger.LedgerError as error:
                form.add_error("file", str(error))
            else:
                return redirect("ledger_batch", pk=batch.pk)
    else:
        form = LedgerImportForm(user=user)
    context = {"form": form, "batches": ImportBatch.objects.restrict(user).select_related("unit", "user")[:20]}
    return render(request, "web/ledger_import.html", context)


@login_required
@permission_required("people.import_person", raise_exception=True)
def ledger_batch(request, pk):
    """What came of one import: the counts and the rejected rows to download."""
    batch = get_object_or_404(ImportBatch.objects.restrict(request.user).select_related("unit", "user"), pk=pk)
    return render(request, "web/ledger_batch.html", {"batch": batch})


@login_required
@permission_required("people.import_person", raise_exception=True)
def ledger_errors(request, pk):
    """The rejected rows of an import, with their errors; only for batches in the jurisdiction."""
    batch = get_object_or_404(ImportBatch.objects.restrict(request.user), pk=pk)
    if not batch.error_file:
        raise Http404
    label = _("错误行")
    name = f"{Path(batch.file_name).stem}-{label}{Path(batch.error_file.name).suffix}"
    return FileResponse(batch.error_file.open("rb"), as_attachment=True, filename=name)
