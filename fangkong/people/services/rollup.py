"""Roll-ups of people over the organisation trees. A person counts once per tree: where
they live in the administrative tree, and once in the education or enterprise tree however
many classes or teams they belong to there."""

from django.db.models import Count
from django.db.models.functions import Substr

from fangkong.orgs.jurisdiction import path_filter
from fangkong.orgs.models import Tree
from fangkong.people.models import Affiliation, Person


def persons_per_tree(paths):
    """{tree: number of distinct persons} within the subtrees at `paths` (a list of unit paths)."""
    if not paths:
        return {tree: 0 for tree in Tree.values}
    result = {tree: 0 for tree in Tree.values}
    result[Tree.ADMINISTRATIVE] = Person.objects.filter(path_filter("unit_path", paths)).count()
    affiliated = (
        Affiliation.objects.filter(path_filter("unit_path", paths))
        .values("unit__tree")
        .annotate(persons=Count("person", distinct=True))
    )
    for row in affiliated:
        result[row["unit__tree"]] = row["persons"]
    return result


def child_counts(unit):
    """Residents per child unit of `unit` (whole subtrees), in one query: {child path: count}."""
    counts = (
        Person.objects.filter(unit_path__startswith=unit.path)
        .exclude(unit_path=unit.path)
        .annotate(child_path=Substr("unit_path", 1, len(unit.path) + unit.steplen))
        .values("child_path")
        .annotate(n=Count("id"))
    )
    return {row["child_path"]: row["n"] for row in counts}
