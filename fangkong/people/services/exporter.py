"""Exporting persons as a ledger (.xlsx) with the template's headers, so that an export can be
imported again. Streams: the queryset is iterated in chunks and rows go straight to disk."""

from django.utils.translation import gettext as _

from fangkong.lib.masking import mask_id_number, mask_phone

from .columns import COLUMNS, LABELS
from .xlsx import LedgerSheet, new_workbook

# The person's value behind each ledger column, as a `values_list` lookup.
SOURCES = {
    "name": "name", "id_type": "id_type", "id_number": "id_number", "sex": "sex", "birth_date": "birth_date",
    "phone": "phone", "address": "address", "unit": "unit__code", "household_number": "household__number",
    "head_id_number": "household__head__id_number", "relation": "relation_to_head",
    "population_type": "population_type", "is_elderly": "is_elderly", "has_chronic_illness": "has_chronic_illness",
    "is_pregnant": "is_pregnant", "is_disabled": "is_disabled",
}
MASKS = {"id_number": mask_id_number, "head_id_number": mask_id_number, "phone": mask_phone}


def _cell(key, value):
    if isinstance(value, bool):
        return "是" if value else "否"
    if key in LABELS:
        return LABELS[key].get(value, value)
    return value


def export_persons(queryset, out, *, masked):
    """Write the persons of `queryset` to `out` (a path or binary file object); with `masked`
    the ID and phone numbers are masked. Restrict the queryset (jurisdiction) before."""
    workbook = new_workbook(out)
    sheet = LedgerSheet(workbook, _("人员台账"), [column.header for column in COLUMNS])
    keys = [column.key for column in COLUMNS]
    rows = queryset.values_list(*(SOURCES[key] for key in keys)).iterator(chunk_size=5000)
    for row in rows:
        cells = [_cell(key, value) for key, value in zip(keys, row)]
        if masked:
            cells = [MASKS[key](value) if key in MASKS and value else value for key, value in zip(keys, cells)]
        sheet.write_row(cells)
    workbook.close()
