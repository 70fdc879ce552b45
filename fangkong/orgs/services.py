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
    """Models that keep a copy of their unit's path in `unit_path`."""
    return [m for m in apps.get_models() if getattr(m, "jurisdiction_path_field", None) == "unit_path"]


@transaction.atomic
def move_unit(unit, new_parent):
    """Move a unit and its subtree under `new_parent`, carrying the copied paths along."""
    old_path = unit.path
    Unit.objects.move(unit, new_parent, pos="last-child")
    unit.refresh_from_db()
    new_path = unit.path
    if new_path == old_path:
        return unit
    for model in models_with_copied_path():
        model.objects.filter(unit_path__startswith=old_path).update(
            unit_path=Concat(Value(new_path), Substr(F("unit_path"), len(old_path) + 1))
        )
    return unit
