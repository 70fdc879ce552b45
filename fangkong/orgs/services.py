"""Changes to the organisation tree."""

from django.apps import apps
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr

from .models import Unit


def add_unit(parent, **fields):
    """Add a unit under `parent` (None for a new root)."""
    if parent is None:
        return Unit.objects.add_root(create_kwargs=fields)
    return Unit.objects.add_child(parent, create_kwargs=fields)


def models_with_copied_path():
    """(model, field) for the models that keep a copy of a unit's path in a column of their own
    (`unit_path`, or e.g. an alert's `origin_path`)."""
    found = []
    for model in apps.get_models():
        field = getattr(model, "jurisdiction_path_field", None)
        if field and field != "path" and "__" not in field:
            found.append((model, field))
    return found


@transaction.atomic
def move_unit(unit, new_parent):
    """Move a unit and its subtree under `new_parent`, carrying the copied paths along."""
    old_path = unit.path
    Unit.objects.move(unit, new_parent, pos="last-child")
    unit.refresh_from_db()
    new_path = unit.path
    if new_path == old_path:
        return unit
    for model, field in models_with_copied_path():
        model.objects.filter(**{f"{field}__startswith": old_path}).update(
            **{field: Concat(Value(new_path), Substr(F(field), len(old_path) + 1))}
        )
    return unit
