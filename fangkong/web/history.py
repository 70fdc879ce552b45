"""A record's change history (django-simple-history) as people read it: who, when, and
which fields went from what to what, with identity numbers masked for roles that may not
see them."""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from fangkong.lib.masking import mask_id_number, mask_phone

ACTIONS = {"+": _("新建"), "~": _("修改"), "-": _("删除")}
MASKS = {"id_number": mask_id_number, "phone": mask_phone}


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class Entry:
    when: object
    who: object
    action: str
    reason: str
    changes: list = field(default_factory=list)


def _display(model_field, value, related):
    if value is None or value == "":
        return ""
    if model_field.is_relation:
        return str(related.get((model_field.related_model, value), value))
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return str(_("是") if value else _("否"))
    return str(value)


def _related_objects(model, deltas):
    """The related objects named in the deltas' foreign-key changes, one query per model."""
    wanted = {}
    for delta in deltas:
        for change in delta.changes:
            model_field = model._meta.get_field(change.field)
            if model_field.is_relation:
                ids = wanted.setdefault(model_field.related_model, set())
                ids.update(v for v in (change.old, change.new) if v is not None)
    return {
        (related_model, pk): obj
        for related_model, ids in wanted.items()
        for pk, obj in related_model._base_manager.in_bulk(ids).items()
    }


def history_entries(record, user, limit=50):
    """The latest `limit` versions of `record`, newest first, each diffed against the one before."""
    versions = list(record.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    pairs = list(zip(versions, versions[1:] + [None]))[:limit]
    deltas = [newer.diff_against(older) if older is not None else None for newer, older in pairs]
    related = _related_objects(type(record), [d for d in deltas if d is not None])
    mask = not user.sees_identity()
    entries = []
    for (newer, _older), delta in zip(pairs, deltas):
        entry = Entry(
            when=newer.history_date,
            who=newer.history_user,
            action=ACTIONS.get(newer.history_type, newer.history_type),
            reason=newer.history_change_reason or "",
        )
        if delta is not None:
            for change in delta.changes:
                model_field = type(record)._meta.get_field(change.field)
                old, new = (_display(model_field, v, related) for v in (change.old, change.new))
                if mask and change.field in MASKS:
                    old, new = MASKS[change.field](old), MASKS[change.field](new)
                entry.changes.append(Change(str(model_field.verbose_name), old, new))
        entries.append(entry)
    return entries
