"""A record's change history (django-simple-history) as entries a person can read: who, when,
and each changed field with its old and new value in words, ID and phone numbers masked for
roles that may not see them."""

import datetime

from django.utils.translation import gettext

from fangkong.lib.masking import mask_id_number, mask_phone
from fangkong.orgs.models import Unit
from fangkong.people.models import Household

TYPES = {"+": "created", "~": "changed", "-": "deleted"}
MASKS = {"id_number": mask_id_number, "phone": mask_phone}


def history_entries(instance, user):
    """Entries of `instance`'s history, newest first."""
    records = list(instance.history.select_related("history_user").order_by("history_date", "history_id"))
    if not records:
        return []
    fields = {f.name: f for f in records[0].tracked_fields if f.editable and not f.primary_key}
    show = _Display(records, fields, user)
    entries = []
    previous = None
    for record in records:
        if record.history_type == "+" or previous is None:
            # A new record lists what was filled in; blanks and unticked flags are left out.
            changed = [name for name in fields if getattr(record, fields[name].attname) not in (None, "", False)]
            changes = [(name, None, show(name, getattr(record, fields[name].attname))) for name in changed]
        elif record.history_type == "-":
            changes = []
        else:
            delta = record.diff_against(previous, included_fields=list(fields))
            changes = [(c.field, show(c.field, c.old), show(c.field, c.new)) for c in delta.changes]
        entries.append(
            {
                "id": record.history_id,
                "date": record.history_date,
                "type": TYPES[record.history_type],
                "user": str(record.history_user) if record.history_user else None,
                "reason": record.history_change_reason or None,
                "changes": [
                    {"field": name, "label": str(fields[name].verbose_name), "old": old, "new": new}
                    for name, old, new in changes
                ],
            }
        )
        previous = record
    entries.reverse()
    return entries


class _Display:
    """Turns stored values into words; the units and households named anywhere in the
    history are fetched once."""

    def __init__(self, records, fields, user):
        self.fields = fields
        self.sees_identity = user.sees_identity()
        self.units = self._names(records, "unit", Unit, lambda u: f"{u.name}（{u.code}）")
        self.households = self._names(records, "household", Household, lambda h: h.number)

    @staticmethod
    def _names(records, name, model, label):
        if not hasattr(records[0], f"{name}_id"):
            return {}
        ids = {getattr(r, f"{name}_id") for r in records} - {None}
        return {obj.pk: label(obj) for obj in model.objects.filter(pk__in=ids)}

    def __call__(self, name, value):
        if value in (None, ""):
            return None
        field = self.fields[name]
        if name == "unit":
            return self.units.get(value, str(value))
        if name == "household":
            return self.households.get(value, str(value))
        if name in MASKS and not self.sees_identity:
            return MASKS[name](value)
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
        if isinstance(value, bool):
            return gettext("是") if value else gettext("否")
        if isinstance(value, datetime.date):
            return value.isoformat()
        return str(value)
