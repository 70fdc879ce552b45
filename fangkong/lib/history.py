"""A record's change history (django-simple-history) as people read it: who, when, and each
field with its old and new value in words; ID and phone numbers masked for roles that may
not see them. Pages and the API both show history through `history_entries`."""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from .masking import mask_id_number, mask_phone

TYPES = {"+": "created", "~": "changed", "-": "deleted"}
ACTIONS = {"+": _("新建"), "~": _("修改"), "-": _("删除")}
MASKS = {"id_number": mask_id_number, "phone": mask_phone}


@dataclass
class Change:
    field: str
    label: str
    old: str | None
    new: str | None


@dataclass
class Entry:
    id: int
    when: object
    who: object
    type: str
    action: str
    reason: str
    changes: list = field(default_factory=list)


def history_entries(record, user, limit=50):
    """The latest `limit` versions of `record`, newest first. A change lists the fields that
    changed; a creation lists what was filled in (blanks and unticked flags left out)."""
    versions = list(
        record.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1]
    )
    if not versions:
        return []
    fields = {f.name: f for f in versions[0].tracked_fields if f.editable and not f.primary_key}
    pairs = list(zip(versions, versions[1:] + [None]))[:limit]
    raw = [_raw_changes(newer, older, fields) for newer, older in pairs]
    show = _Display(fields, raw, user)
    return [
        Entry(
            id=newer.history_id,
            when=newer.history_date,
            who=newer.history_user,
            type=TYPES[newer.history_type],
            action=ACTIONS[newer.history_type],
            reason=newer.history_change_reason or "",
            changes=[
                Change(name, str(fields[name].verbose_name), show(name, old), show(name, new))
                for name, old, new in changes
            ],
        )
        for (newer, _older), changes in zip(pairs, raw)
    ]


def _raw_changes(newer, older, fields):
    if newer.history_type == "-":
        return []
    if older is None or newer.history_type == "+":
        values = ((name, getattr(newer, fields[name].attname)) for name in fields)
        return [(name, None, value) for name, value in values if value not in (None, "", False)]
    delta = newer.diff_against(older, included_fields=list(fields))
    return [(c.field, c.old, c.new) for c in delta.changes]


class _Display:
    """Stored values in words; the related records named anywhere in the history are
    fetched once per model."""

    def __init__(self, fields, raw, user):
        self.fields = fields
        self.sees_identity = user.sees_identity()
        wanted = {}
        for changes in raw:
            for name, old, new in changes:
                if fields[name].is_relation:
                    wanted.setdefault(fields[name].related_model, set()).update(v for v in (old, new) if v is not None)
        self.related = {
            (model, pk): obj for model, ids in wanted.items() for pk, obj in model._base_manager.in_bulk(ids).items()
        }

    def __call__(self, name, value):
        if value in (None, ""):
            return None
        model_field = self.fields[name]
        if model_field.is_relation:
            obj = self.related.get((model_field.related_model, value))
            return getattr(obj, "history_label", str(obj)) if obj is not None else str(value)
        if name in MASKS and not self.sees_identity:
            return MASKS[name](value)
        if model_field.choices:
            return str(dict(model_field.flatchoices).get(value, value))
        if isinstance(value, bool):
            return str(_("是") if value else _("否"))
        return str(value)
