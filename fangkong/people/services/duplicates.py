"""Likely duplicates (疑似重复人员) and merging them.

Two records with different valid resident IDs are different people, so a group of likely
duplicates is people with the same name, birth date and phone of whom at least one has no
ID number. A person decides and merges; nothing is merged automatically.
"""

from django.db import IntegrityError, models, transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from fangkong.people.models import Person

KEY = ("name", "birth_date", "phone")
# Fields a merge fills on the kept record when it has them blank.
FILLABLE = ("id_type", "id_number", "sex", "birth_date", "phone", "household", "relation_to_head", "address")


def likely_duplicate_groups(queryset):
    """Rows of {name, birth_date, phone, count} for groups of likely duplicates."""
    return (
        queryset.exclude(phone="")
        .exclude(birth_date=None)
        .values(*KEY)
        .annotate(count=Count("id"), without_id=Count("id", filter=Q(id_number="")))
        .filter(count__gt=1, without_id__gt=0)
        .order_by("name", "birth_date")
    )


def members_of_group(queryset, name, birth_date, phone):
    return queryset.filter(name=name, birth_date=birth_date, phone=phone).order_by("id")


class MergeError(ValueError):
    pass


@transaction.atomic
def merge_persons(keep, duplicate, *, user=None):
    """Merge `duplicate` into `keep`: blanks on `keep` are filled, everything that points at
    the duplicate (affiliations, moves, visits, flags, …) is pointed at `keep`, then the
    duplicate is deleted. Both deletions and changes stay in the history."""
    if keep.pk == duplicate.pk:
        raise MergeError(_("不能将人员与自身合并"))
    if keep.id_number and duplicate.id_number and keep.id_number != duplicate.id_number:
        raise MergeError(_("两人证件号码不同，不是同一人，不能合并"))
    for field in FILLABLE:
        if not getattr(keep, field) and getattr(duplicate, field):
            setattr(keep, field, getattr(duplicate, field))
    if duplicate.id_number:
        # The unique ID moves to the kept record; free it first.
        Person.objects.filter(pk=duplicate.pk).update(id_number="")
    # Hidden relations (the history tables' related_name="+") are not listed, so history stays.
    for relation in Person._meta.related_objects:
        if isinstance(relation, models.ManyToOneRel):
            _repoint(relation.field, duplicate, keep)
    if user is not None:
        keep._history_user = duplicate._history_user = user
    keep._change_reason = f"合并重复人员 #{duplicate.pk}"
    keep.save()
    duplicate._change_reason = f"合并入 #{keep.pk}"
    duplicate.delete()
    return keep


def _repoint(field, old, new):
    """Point rows of `field.model` from `old` to `new`; a row that would then clash with a
    unique constraint duplicates one `new` already has, and goes with the duplicate."""
    rows = field.model._default_manager.filter(**{field.name: old})
    for row in rows:
        setattr(row, field.name, new)
        try:
            with transaction.atomic():
                row.save(update_fields=[field.name])
        except IntegrityError:
            row.delete()
