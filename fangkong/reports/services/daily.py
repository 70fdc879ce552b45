"""The daily report of a unit (日报汇总): the contract of `fangkong report daily`, the API and
the pages. For a day that is over and has a snapshot, the figures are the snapshot's (its latest
version, with the corrections listed), so yesterday's report does not change silently; otherwise
they are rolled up live."""

from django.utils import timezone

from fangkong.lib.dates import cn_cutoff
from fangkong.orgs.models import Unit

from .completeness import completeness, expected_units
from .forms import DEFAULT_FORM, form_in_force
from .rollup import default_as_of, rollup, rollup_many
from .snapshots import corrections, latest


def daily_report(unit, day, form=None, as_of=None, now=None):
    """{"unit", "date", "as_of", "items", "completeness", …} for `unit`'s subtree on `day`."""
    now = now or timezone.now()
    form = form or form_in_force(DEFAULT_FORM, day)
    snapshot = None
    # A cut-off given by the caller (截至12时) applies to the filings too; a whole day is
    # reported with the filings as they stand, late ones included.
    known_at = as_of
    if as_of is None and day < timezone.localdate(now):
        snapshot = latest(form.code, unit, day)
    if snapshot is not None:
        as_of, items = snapshot.as_of, snapshot.values
    else:
        as_of = as_of or default_as_of(day, now)
        items = rollup(form, unit, day, as_of, known_at)
    return {
        "unit": unit.code,
        "unit_name": unit.name,
        "date": day.isoformat(),
        "as_of": timezone.localtime(as_of).isoformat(),
        "as_of_text": cn_cutoff(as_of),
        "form": {"code": form.code, "version": form.version, "name": form.name},
        "items": items,
        "completeness": completeness(form, unit, day, known_at),
        "snapshot": {"version": snapshot.version, "taken_at": timezone.localtime(snapshot.taken_at).isoformat()}
        if snapshot else None,
        "corrections": [
            {**row, "taken_at": timezone.localtime(row["taken_at"]).isoformat()}
            for row in corrections(form.code, unit, day)
        ] if snapshot else [],
    }


def children_rows(unit, day, form, as_of, known_at=None):
    """[(child unit, items)] rolled up for each child of `unit` with filing units below it."""
    children = [
        child for child in Unit.objects.get_children(unit).order_by("path")
        if expected_units(form, child).exists()
    ]
    values = rollup_many(form, children, day, as_of, known_at) if children else {}
    return [(child, values[child.pk]) for child in children]
