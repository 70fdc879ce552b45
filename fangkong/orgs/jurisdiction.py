"""Jurisdiction: what a user may see is the union of the subtrees of the units where
they hold a role. Every list, detail, export, report and API call goes through
`Model.objects.restrict(user)`, which filters on a materialised tree path.

Models that take part declare `jurisdiction_path_field`, the name of a column holding the
tree path of the unit a row belongs to (the Unit's own `path`, or a copy of it on hot
tables such as people and households, kept in step when units move).
"""

from functools import reduce
from operator import or_

from django.db import models


def minimal_paths(paths):
    """Drop paths that lie inside another path of the set."""
    result = []
    for path in sorted(set(paths)):
        if not result or not path.startswith(result[-1]):
            result.append(path)
    return result


def jurisdiction_paths(user):
    """The tree paths of the roots of the user's jurisdiction; None means everything."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    if user.is_superuser:
        return None
    cached = getattr(user, "_jurisdiction_paths", None)
    if cached is None:
        cached = minimal_paths(user.role_assignments.values_list("unit__path", flat=True))
        user._jurisdiction_paths = cached
    return cached


def ancestor_paths(path, steplen=4):
    """The paths of a unit and of every unit above it, from the root down."""
    return [path[:end] for end in range(steplen, len(path) + 1, steplen)]


ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # treebeard's, as Unit uses it


def path_range(prefix):
    """(low, high) with `low <= path < high` exactly for the paths starting with `prefix`, for raw
    SQL on composite indexes, where `LIKE 'prefix%'` cannot use the index under a non-C
    collation. Paths are made of the tree alphabet only, so the bound is the next prefix."""
    chars = list(prefix)
    while chars:
        position = ALPHABET.find(chars[-1])
        if position < len(ALPHABET) - 1:
            chars[-1] = ALPHABET[position + 1]
            return prefix, "".join(chars)
        chars.pop()
    return prefix, "~"


def path_filter(field, paths):
    """A Q object matching rows whose `field` lies within any of `paths`."""
    return reduce(or_, (models.Q(**{f"{field}__startswith": p}) for p in paths))


class JurisdictionQuerySet(models.QuerySet):
    def restrict(self, user):
        paths = jurisdiction_paths(user)
        if paths is None:
            return self
        if not paths:
            return self.none()
        return self.filter(path_filter(self.model.jurisdiction_path_field, paths))


class JurisdictionManager(models.Manager.from_queryset(JurisdictionQuerySet)):
    pass
