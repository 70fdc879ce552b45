"""Completeness and timeliness of filings (报送及时率、完整率), counted as DHIS2 counts them:
for a period, the units that must file (expected), those that have filed by the cut-off
(received, a zero report included; late ones too, unless counted as they stood at the deadline)
and those whose first filing came by the deadline (on time),
rolled up the tree, with the units still missing."""

from collections import Counter

from django.db.models import Q

from fangkong.orgs.jurisdiction import path_range
from fangkong.orgs.models import Unit

from ..models import Filing


def _range(field, prefix):
    low, high = path_range(prefix)
    return Q(**{f"{field}__gte": low, f"{field}__lt": high})


def expected_units(form, root):
    """The active units under `root` (itself included) that must file `form`."""
    return Unit.objects.filter(_range("path", root.path), type__in=form.unit_types, is_active=True)


def filing_status(form, root, day, known_at=None):
    """{unit path: late} of the filings under `root` as they stood at `known_at` (None: now)."""
    qs = Filing.objects.filter(form_code=form.code, day=form.period_start(day)).filter(_range("unit_path", root.path))
    qs = qs.current() if known_at is None else qs.as_of(known_at)
    rows = qs.values_list("unit_path", "late")
    return dict(rows)


def _rolled_up(paths, top):
    """Counter {path: number of `paths` at or below it} for every path from length `top` down.
    Each level is counted from the one below it: one pass over the paths (counted in C), then
    over ever fewer parents."""
    total = Counter(paths)
    level = Counter(path[:-4] for path in paths if len(path) > top)
    while level:
        total.update(level)
        above = Counter()
        for path, count in level.items():
            if len(path) > top:
                above[path[:-4]] += count
        level = above
    return total


def completeness_tree(form, root, day, known_at=None):
    """{unit path: {"expected", "received", "on_time"}} for `root` and every unit under it that
    has units filing at or below it, from two queries whatever the size of the tree."""
    filed = filing_status(form, root, day, known_at)
    paths = list(expected_units(form, root).values_list("path", flat=True))
    received = [path for path in paths if path in filed]
    top = len(root.path)
    expected = _rolled_up(paths, top)
    got = _rolled_up(received, top)
    timely = _rolled_up([path for path in received if not filed[path]], top)
    return {
        path: {"expected": count, "received": got[path], "on_time": timely[path]}
        for path, count in expected.items()
    }


def completeness(form, unit, day, known_at=None):
    """The counts of `unit`'s subtree with the codes of the units that have not filed."""
    filed = filing_status(form, unit, day, known_at)
    expected = list(expected_units(form, unit).order_by("path").values_list("path", "code"))
    received = [path for path, _code in expected if path in filed]
    return {
        "expected": len(expected),
        "received": len(received),
        "on_time": sum(1 for path in received if not filed[path]),
        "missing": [code for path, code in expected if path not in filed],
    }


def children_completeness(form, unit, day, known_at=None):
    """[(child unit, counts)] for the children of `unit` that have units filing below them."""
    tree = completeness_tree(form, unit, day, known_at)
    children = Unit.objects.get_children(unit) if not unit.is_leaf() else Unit.objects.none()
    return [(child, tree[child.path]) for child in children.order_by("path") if child.path in tree]


def rate(part, whole):
    """A share in per cent with one decimal, or None for nothing expected."""
    return round(100.0 * part / whole, 1) if whole else None


