"""Each day's rolled-up figures, kept (每日汇总快照). The worker takes version 1 of a day once it
is over, for every unit that has filing units in its subtree; a correction filed later takes a
new version for the unit and each unit above it, with the reason, so the change shows as a
correction and yesterday's report does not change silently."""

import datetime

from django.db import transaction
from django.utils import timezone

from fangkong.lib.dates import day_end
from fangkong.orgs.jurisdiction import ancestor_paths
from fangkong.orgs.models import Unit

from ..models import Snapshot
from .completeness import completeness_tree, expected_units
from .forms import forms_in_force
from .rollup import rollup_many


def snapshot_units(form, root=None):
    """The units that get a snapshot: every filing unit of `form` and every unit above one
    (under `root` when given)."""
    filing = expected_units(form, root) if root is not None else Unit.objects.filter(
        type__in=form.unit_types, is_active=True
    )
    paths = set()
    for path in filing.values_list("path", flat=True).iterator(chunk_size=20000):
        paths.update(ancestor_paths(path))
    if root is not None:
        paths = {path for path in paths if path.startswith(root.path)}
    return list(Unit.objects.filter(path__in=paths).order_by("path")) if paths else []


def latest(form_code, unit, day):
    return Snapshot.objects.filter(form_code=form_code, unit=unit, day=day).order_by("-version").first()


def take_snapshots(form, day, units, now=None, reason=""):
    """Snapshot `day` for `units` (as of the end of the day, or now while it runs). A unit whose
    figures equal its latest snapshot gets no new version. Returns the snapshots written."""
    now = now or timezone.now()
    as_of = min(day_end(day), now)
    units = list(units)
    if not units:
        return []
    values = rollup_many(form, units, day, as_of)
    counts = {}
    for root in _roots(units):
        counts.update(completeness_tree(form, root, day))
    stored = {}
    for snap in Snapshot.objects.filter(form_code=form.code, day=day, unit__in=units).order_by("unit_id", "version"):
        stored[snap.unit_id] = snap
    written = []
    for unit in units:
        completeness_counts = counts.get(unit.path, {"expected": 0, "received": 0, "on_time": 0})
        last = stored.get(unit.pk)
        if last is not None and last.values == values[unit.pk] and last.completeness == completeness_counts:
            continue
        written.append(Snapshot(
            form_code=form.code, unit=unit, unit_path=unit.path, day=day,
            version=last.version + 1 if last else 1, as_of=as_of, values=values[unit.pk],
            completeness=completeness_counts, taken_at=now, reason=reason,
        ))
    with transaction.atomic():
        Snapshot.objects.bulk_create(written)
    return written


def _roots(units):
    paths = sorted({unit.path for unit in units})
    roots = []
    for path in paths:
        if not roots or not path.startswith(roots[-1]):
            roots.append(path)
    return Unit.objects.filter(path__in=roots)


def resnapshot_after_correction(filing, now=None):
    """A correction to a closed day: new snapshot versions for the filing unit and the units above
    it that already had a snapshot of that day."""
    form = filing.form
    paths = ancestor_paths(filing.unit_path)
    units = [
        unit for unit in Unit.objects.filter(path__in=paths)
        if Snapshot.objects.filter(form_code=form.code, unit=unit, day=filing.day).exists()
    ]
    reason = f"{filing.unit.name}更正：{filing.reason}" if filing.reason else f"{filing.unit.name}补报"
    return take_snapshots(form, filing.day, units, now=now, reason=reason)


def snapshot_pass(now=None):
    """Worker pass: once a day is over, take its snapshots (version 1) for every form in force.
    Safe to repeat: units already snapshotted with the same figures get nothing new."""
    now = now or timezone.now()
    yesterday = timezone.localdate(now) - datetime.timedelta(days=1)
    written = 0
    for form in forms_in_force(yesterday):
        units = snapshot_units(form)
        done = set(
            Snapshot.objects.filter(form_code=form.code, day=yesterday).values_list("unit_id", flat=True)
        )
        todo = [unit for unit in units if unit.pk not in done]
        written += len(take_snapshots(form, yesterday, todo, now=now))
    return {"snapshots": written}


def corrections(form_code, unit, day):
    """The later versions of a day's snapshot, each with what changed: [{"version", "taken_at",
    "reason", "changes": {code: [old, new]}}]."""
    snaps = list(Snapshot.objects.filter(form_code=form_code, unit=unit, day=day).order_by("version"))
    result = []
    for before, after in zip(snaps, snaps[1:]):
        changes = {
            code: [before.values.get(code), value]
            for code, value in after.values.items() if before.values.get(code) != value
        }
        result.append({
            "version": after.version, "taken_at": after.taken_at, "reason": after.reason, "changes": changes,
        })
    return result


